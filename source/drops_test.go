package source

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// copyTruncate does what logrotate's copytruncate does: copy the file to
// dst, then empty it.
func copyTruncate(t *testing.T, path, dst string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(data))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
}

// slowPoll follows in poll-only mode with a poll interval long enough
// that lines written just before a copytruncate are not read in time.
func slowPoll() Options {
	o := followOpts(true)
	o.PollInterval = 300 * time.Millisecond
	return o
}

// TestCopyTruncateReadsTheMissingTailFromTheCopy: lines written after the
// last poll and before the truncation are read from the copy beside the
// file, in order, once.
func TestCopyTruncateReadsTheMissingTailFromTheCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.log")
	writeFile(t, path, flowLines(0, 10))
	src := newFileT(t, path, slowPoll())
	l, stop := runSource(t, src)
	waitCond(t, "the first lines", func() bool { return l.count() == 10 })
	appendFile(t, path, flowLines(10, 20)) // not polled yet...
	copyTruncate(t, path, path+".1")       // ...when the file is copied and emptied
	appendFile(t, path, flowLines(20, 25))
	waitCond(t, "every line", func() bool { return l.count() >= 25 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, l.seqs(), 0, 25)
	l.check(t)
	if st := src.Status(); st.Dropped != 0 {
		t.Fatalf("dropped %d (%q), want none: the copy held them", st.Dropped, st.DropSamples)
	}
}

// TestCopyTruncateWithoutCopyIsAPossibleLoss: when no copy is found, the
// lines written between the last read and the truncation are gone, and
// that is counted and said, never silent.
func TestCopyTruncateWithoutCopyIsAPossibleLoss(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.log")
	writeFile(t, path, flowLines(0, 10))
	src := newFileT(t, path, slowPoll())
	l, stop := runSource(t, src)
	waitCond(t, "the first lines", func() bool { return l.count() == 10 })
	appendFile(t, path, flowLines(10, 20))
	copyTruncate(t, path, filepath.Join(t.TempDir(), "elsewhere.log"))
	appendFile(t, path, flowLines(20, 25))
	waitCond(t, "the lines after the truncation", func() bool { return l.has(24) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st := src.Status()
	if st.Drops[DropPossibleLoss] != 1 || len(st.DropSamples) != 1 || !strings.Contains(st.DropSamples[0], "truncated after") {
		t.Fatalf("drops %v %q, want one possible loss noted", st.Drops, st.DropSamples)
	}
}

// withRunaway lowers the runaway limit for a test.
func withRunaway(t *testing.T, n int64) {
	old := maxRunaway
	maxRunaway = n
	t.Cleanup(func() { maxRunaway = old })
}

// TestRunawayInputIsGivenUp: input with no line end for maxRunaway bytes
// (/dev/zero, a gzip bomb of zeros) is counted as one over-long line and
// given up with a fault, instead of being read for ever; the lines
// before it are kept.
func TestRunawayInputIsGivenUp(t *testing.T) {
	withRunaway(t, 4<<20)
	t.Run("/dev/zero", func(t *testing.T) {
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero")
		}
		src, err := Open("/dev/zero", DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		l, stop := runSource(t, src)
		waitCond(t, "the fault", func() bool { _, f := l.snapshot(); return len(f) == 1 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		_, faults := l.snapshot()
		if !errors.Is(faults[0].Err, errRunaway) || src.Status().Drops[DropTooLong] != 1 {
			t.Fatalf("fault %v, drops %v", faults[0].Err, src.Status().Drops)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write([]byte(flowLines(0, 3)))
		zeros := 64 << 20 // 64 MiB of zeros, some 64 KiB compressed
		if testing.Short() {
			zeros = 16 << 20 // still four times the limit
		}
		zw.Write(make([]byte, zeros))
		zw.Close()
		path := filepath.Join(t.TempDir(), "bomb.log.gz")
		writeFile(t, path, buf.String())
		src := newFileT(t, path, DefaultOptions())
		t0 := time.Now()
		l := readAll(t, src)
		_, faults := l.snapshot()
		if len(faults) != 1 || !errors.Is(faults[0].Err, errRunaway) {
			t.Fatalf("faults %v, want the runaway", faults)
		}
		wantSeqs(t, l.seqs(), 0, 3)
		if st := src.Status(); st.Drops[DropTooLong] != 1 {
			t.Fatalf("drops %v", st.Drops)
		}
		t.Logf("given up after %s", time.Since(t0))
	})
}
