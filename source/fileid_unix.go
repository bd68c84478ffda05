//go:build unix

package source

import (
	"os"
	"syscall"
)

// idOf returns the identity of a file: its device and inode numbers.
func idOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), ok: true}
	}
	return fileID{}
}
