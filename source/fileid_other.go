//go:build !unix

package source

import "os"

// idOf returns an unknown identity: without inode numbers, rotation is
// detected with os.SameFile and renamed or re-created files are not
// recognised across names.
func idOf(fi os.FileInfo) fileID { return fileID{} }
