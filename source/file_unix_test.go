//go:build unix

package source

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func inode(t *testing.T, path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no inode numbers here")
	}
	return uint64(st.Ino)
}

func TestFollowInodeReuse(t *testing.T) {
	// A file is deleted and, once the tailer has closed it, a new file
	// gets the same inode number: it must be read as a new file from its
	// first line, not skipped or resumed at the old offset.
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flows.log")
		writeFile(t, path, flowLines(0, 40))
		l, stop := runSource(t, newFileT(t, path, followOpts(poll)))
		seq, reused := 40, 0
		for round := 0; round < 10; round++ {
			waitCond(t, "the file's lines", func() bool { return l.count() >= seq })
			ino := inode(t, path)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			// Wait until the tailer closed the deleted file (EOF batch).
			waitCond(t, "the deleted file to be closed", func() bool {
				bs, _ := l.snapshot()
				return len(bs) > 0 && bs[len(bs)-1].EOF
			})
			// Fewer lines than before, then more: both shapes of reuse.
			n := 10
			if round%2 == 1 {
				n = 60
			}
			writeFile(t, path, flowLines(seq, seq+n))
			if inode(t, path) == ino {
				reused++
			}
			seq += n
		}
		waitCond(t, "every line", func() bool { return l.count() >= seq })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, seq)
		l.check(t)
		t.Logf("inode reused in %d of 10 rounds", reused)
	})
}

func TestNamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	src, err := NewFile(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if st := src.Status(); st.Kind != "pipe" || src.Name() != path {
		t.Errorf("kind %q name %q", st.Kind, src.Name())
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write([]byte(flowLines(0, 100)))
		f.Close()
	}()
	l := readAll(t, src)
	wantSeqs(t, l.seqs(), 0, 100)
}
