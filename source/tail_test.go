package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The follow suite: real files are written, rotated, truncated, deleted
// and re-created while a File source follows them, with file-system
// events and in poll-only mode. Every written line must be read exactly
// once, in order.

func TestFollowAppendAndPartialLine(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "flows.log")
		writeFile(t, path, flowLines(0, 10))
		l, stop := runSource(t, newFileT(t, path, followOpts(poll)))
		waitCond(t, "the first 10 lines", func() bool { return l.count() == 10 })

		// A line written in pieces is held until its newline arrives.
		line := flowLine(10)
		appendFile(t, path, line[:20])
		appendFile(t, path, line[20:50])
		time.Sleep(3 * followOpts(poll).PollInterval) // give a wrong implementation the chance to emit the fragment
		if n := len(l.lines()); n != 10 {
			t.Fatalf("a partial line was delivered: %d lines", n)
		}
		appendFile(t, path, line[50:]+flowLines(11, 500))
		waitCond(t, "500 lines", func() bool { return l.count() >= 500 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, 500)
		l.check(t)
		for i, ln := range l.lines() {
			if ln.line != int64(i+1) || ln.obj != path {
				t.Fatalf("line %d: got %s:%d", i+1, ln.obj, ln.line)
			}
		}
	})
}

// rotator writes numbered lines to a log file the way a logger and
// logrotate do.
type rotator struct {
	t    *testing.T
	path string
	f    *os.File
	seq  int
}

func newRotator(t *testing.T, path string) *rotator {
	r := &rotator{t: t, path: path}
	r.reopen()
	return r
}

func (r *rotator) reopen() {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	if r.f != nil {
		r.f.Close()
	}
	r.f = f
}

func (r *rotator) write(n int) {
	if _, err := r.f.WriteString(flowLines(r.seq, r.seq+n)); err != nil {
		r.t.Fatal(err)
	}
	r.seq += n
}

func (r *rotator) close() { r.f.Close() }

func TestFollowRenameRotation50(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flows.log")
		w := newRotator(t, path)
		defer w.close()
		w.write(5)
		l, stop := runSource(t, newFileT(t, path, followOpts(poll)))
		for gen := 0; gen < 50; gen++ {
			first := w.seq
			w.write(3)
			// The tailer must have opened this generation before it is
			// renamed away twice: rotation is never that fast in practice.
			waitCond(t, "the generation's first line", func() bool { return l.has(first) })
			w.write(7 + gen%5) // still unread when the file is rotated
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.reopen()
		}
		w.write(10)
		end := w.seq
		waitCond(t, "every line", func() bool { return l.count() >= end })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, end)
		l.check(t)
		batches, _ := l.snapshot()
		resets := 0
		for _, b := range batches {
			if b.Reset {
				resets++
			}
		}
		if resets != 51 {
			t.Errorf("%d generations started (Reset), want 51", resets)
		}
	})
}

func TestFollowRotationLateWriter(t *testing.T) {
	// After the rename the writer goes on appending to the old file for a
	// moment before it reopens: those lines must not be lost, and must come
	// before the new file's.
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flows.log")
		o := followOpts(poll)
		o.RotateWait = 500 * time.Millisecond
		w := newRotator(t, path)
		defer w.close()
		w.write(20)
		l, stop := runSource(t, newFileT(t, path, o))
		waitCond(t, "20 lines", func() bool { return l.count() == 20 })
		for round := 0; round < 3; round++ {
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.write(30) // late lines, to the renamed file
			late := w.f
			nw, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			w.f.WriteString(flowLines(w.seq, w.seq+10)) // still the old file
			w.seq += 10
			w.f = nw
			late.Close()
			w.write(25)
			end := w.seq
			waitCond(t, "the new file's lines", func() bool { return l.count() >= end })
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, w.seq)
		l.check(t)
	})
}

func TestFollowCopyTruncate50(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flows.log")
		writeFile(t, path, "")
		w := newRotator(t, path)
		defer w.close()
		l, stop := runSource(t, newFileT(t, path, followOpts(poll)))
		for gen := 0; gen < 50; gen++ {
			w.write(10 + gen%7)
			// copytruncate loses whatever the reader had not read when the
			// file is truncated; that is the method's own race, so wait.
			end := w.seq
			waitCond(t, "the lines before the copy", func() bool { return l.count() >= end })
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path+".1", string(data))
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			if gen%3 == 0 {
				// Write more than was there before the reader notices: the
				// size alone no longer shows the truncation.
				w.write(len(data)/len(flowLine(0)) + 5)
			}
		}
		w.write(10)
		end := w.seq
		waitCond(t, "every line", func() bool { return l.count() >= end })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, end)
		l.check(t)
	})
}

func TestFollowDeleteRecreate(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "flows.log")
		w := newRotator(t, path)
		defer w.close()
		w.write(5)
		l, stop := runSource(t, newFileT(t, path, followOpts(poll)))
		for gen := 0; gen < 20; gen++ {
			first := w.seq
			w.write(4)
			waitCond(t, "the generation's first line", func() bool { return l.has(first) })
			w.write(6) // unread when the file is deleted
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if gen%2 == 0 {
				w.reopen() // re-created at once
			} else {
				// Deleted for a while: the old file is drained and closed.
				end := w.seq
				waitCond(t, "the deleted file's lines", func() bool { return l.count() >= end })
				w.reopen()
			}
		}
		w.write(10)
		end := w.seq
		waitCond(t, "every line", func() bool { return l.count() >= end })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, end)
		l.check(t)
	})
}

func TestFollowPathAppearsLater(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "later", "flows.log") // its directory does not exist either
		src := newFileT(t, path, followOpts(poll))
		l, stop := runSource(t, src)
		waitCond(t, "the waiting state", func() bool { return src.Status().State == StateWaiting })
		if !strings.Contains(src.Status().Reason, "waiting for") {
			t.Errorf("reason %q", src.Status().Reason)
		}
		if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, flowLines(0, 5))
		waitCond(t, "5 lines", func() bool { return l.count() == 5 })
		appendFile(t, path, flowLines(5, 9))
		waitCond(t, "9 lines", func() bool { return l.count() == 9 })
		waitCond(t, "the following state", func() bool { return src.Status().State == StateFollowing })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, 9)
	})
}

func TestFollowSymlinkRepoint(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		dir := t.TempDir()
		other := filepath.Join(dir, "archive") // targets live in another directory
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "current.log")
		seq := 0
		point := func(target string) {
			tmp := link + ".tmp"
			if err := os.Symlink(target, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, link); err != nil { // atomic re-point, as ln -sfn does
				t.Fatal(err)
			}
		}
		target := filepath.Join(other, "flows-0.log")
		writeFile(t, target, flowLines(0, 10))
		seq = 10
		point(target)
		l, stop := runSource(t, newFileT(t, link, followOpts(poll)))
		for i := 1; i <= 5; i++ {
			appendFile(t, target, flowLines(seq, seq+5)) // written through the old target
			seq += 5
			end := seq
			waitCond(t, "the old target's lines", func() bool { return l.count() >= end })
			target = filepath.Join(other, "flows-"+string(rune('0'+i))+".log")
			writeFile(t, target, flowLines(seq, seq+7))
			seq += 7
			point(target)
		}
		end := seq
		waitCond(t, "every line", func() bool { return l.count() >= end })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 0, seq)
		for _, ln := range l.lines() {
			if ln.obj != link {
				t.Fatalf("object %q, want the link's path", ln.obj)
			}
		}
	})
}
