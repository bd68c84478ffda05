package source

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxCopyCandidates bounds the files opened while looking for the copy of
// a truncated file, so a huge log directory costs little.
const maxCopyCandidates = 64

// truncated handles a plain file found truncated (or rewritten) under
// the tailer: logrotate's copytruncate copies the file and then empties
// it, and whatever the writer added between our last read and the
// truncation is no longer in the file. If the copy is beside it (same
// first bytes, at least as long as what was read), the missing tail is
// read from the copy, as the continuation of the same object, so
// nothing is lost. Otherwise the possible loss is counted and said: it
// is at most what was written in one poll interval (250 ms by default),
// but it cannot be known to be nothing.
func (t *tailer) truncated(k *sink) {
	if t.raw == 0 {
		return // nothing was read: nothing can be missing in between
	}
	cp, size := t.findCopy()
	if cp == nil {
		k.box.Drop(DropPossibleLoss, 1, fmt.Sprintf(
			"%s: truncated after %d bytes were read (copytruncate?) and no copy of it was found beside it; lines written between the last read and the truncation, if any, are lost",
			t.path, t.raw))
		return
	}
	defer cp.Close()
	name := cp.Name()
	if size == t.raw {
		k.opts.logf("%s: truncated; its copy %s holds nothing more", t.path, name)
		return
	}
	if _, err := cp.Seek(t.raw, io.SeekStart); err != nil {
		k.box.Drop(DropPossibleLoss, 1, fmt.Sprintf("%s: truncated; its copy %s could not be read: %v", t.path, name, err))
		return
	}
	k.opts.logf("%s: truncated; reading its last %d bytes from the copy %s", t.path, size-t.raw, name)
	want := size - t.raw
	t.a.begin()
	for want > 0 {
		sp := t.a.space()
		if int64(len(sp)) > want {
			sp = sp[:want]
		}
		n, err := cp.Read(sp)
		t.a.commit(n)
		want -= int64(n)
		if err != nil || n == 0 {
			break
		}
	}
	t.a.end()
	if want > 0 {
		k.box.Drop(DropPossibleLoss, 1, fmt.Sprintf("%s: truncated; its copy %s ended %d bytes early", t.path, name, want))
	}
	if err := t.flush(k, false); err != nil {
		k.opts.logf("%s: %v", t.path, err)
	}
}

// findCopy looks beside the tailer's file for another regular file that
// starts with the same bytes and holds at least what was read: the copy
// copytruncate made. It returns it open, with its size.
func (t *tailer) findCopy() (*os.File, int64) {
	if len(t.head) == 0 {
		return nil, 0
	}
	dir := filepath.Dir(t.path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	tried := 0
	buf := make([]byte, len(t.head))
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil || fi.Size() < t.raw || t.sameFile(fi) {
			continue
		}
		if tried++; tried > maxCopyCandidates {
			break
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if _, err := io.ReadFull(f, buf); err == nil && bytes.Equal(buf, t.head) {
			return f, fi.Size()
		}
		f.Close()
	}
	return nil, 0
}
