package source

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// batchLog records what a source emitted and reported, and checks the
// batch contract as it goes: whole lines, and per object either a Reset
// or a Line/Offset that continues the previous batch (over-long lines may
// make both jump forward, never back).
type batchLog struct {
	mu      sync.Mutex
	batches []model.Batch
	faults  []Fault
	next    map[string][2]int64 // per object: expected line, offset
	errs    []string
}

func newBatchLog() *batchLog { return &batchLog{next: map[string][2]int64{}} }

func (l *batchLog) emit(b model.Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(b.Data) > 0 && b.Data[len(b.Data)-1] != '\n' && !b.EOF {
		l.errs = append(l.errs, fmt.Sprintf("%s: batch at line %d does not end in a newline", b.Object, b.Line))
	}
	if exp, ok := l.next[b.Object]; ok && !b.Reset && (b.Line < exp[0] || b.Offset < exp[1]) {
		l.errs = append(l.errs, fmt.Sprintf("%s: batch at line %d offset %d goes back (want >= %d, %d)", b.Object, b.Line, b.Offset, exp[0], exp[1]))
	}
	l.next[b.Object] = [2]int64{b.Line + int64(bytes.Count(b.Data, []byte{'\n'})), b.Offset + int64(len(b.Data))}
	if b.EOF {
		delete(l.next, b.Object)
	}
	l.batches = append(l.batches, b)
	return nil
}

func (l *batchLog) report(f Fault) error {
	l.mu.Lock()
	l.faults = append(l.faults, f)
	l.mu.Unlock()
	return nil
}

// logLine is one line a source delivered, with its provenance.
type logLine struct {
	obj  string
	line int64
	off  int64
	text string
}

func (l *batchLog) lines() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logLine
	for _, b := range l.batches {
		line, off, data := b.Line, b.Offset, b.Data
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			var s []byte
			if i < 0 {
				s, data = data, nil
			} else {
				s, data = data[:i], data[i+1:]
			}
			out = append(out, logLine{b.Object, line, off, string(s)})
			line++
			off += int64(len(s)) + 1
		}
	}
	return out
}

// seqs returns the sequence numbers of the flowLine lines delivered, in
// order, ignoring other lines.
func (l *batchLog) seqs() []int {
	var out []int
	for _, ln := range l.lines() {
		if n, ok := seqOf(ln.text); ok {
			out = append(out, n)
		}
	}
	return out
}

func (l *batchLog) count() int { return len(l.seqs()) }

func (l *batchLog) has(seq int) bool {
	for _, n := range l.seqs() {
		if n == seq {
			return true
		}
	}
	return false
}

func (l *batchLog) snapshot() ([]model.Batch, []Fault) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]model.Batch(nil), l.batches...), append([]Fault(nil), l.faults...)
}

func (l *batchLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errs {
		t.Error(e)
	}
}

// runSource runs src until stop is called (or it returns by itself) and
// records its output; stop returns Run's error.
func runSource(t *testing.T, src Source) (*batchLog, func() error) {
	t.Helper()
	l := newBatchLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(WithReporter(ctx, l.report), l.emit) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = fmt.Errorf("source did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return l, stop
}

// waitCond waits until cond holds, failing the test after a generous
// deadline (CI runs with -race on two cores).
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// flowLine returns a valid default-format record that carries seq in its
// bytes field.
func flowLine(seq int) string {
	return "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 " + strconv.Itoa(1024+seq%60000) +
		" 443 6 1 " + strconv.Itoa(seq) + " 1717236000 1717236060 ACCEPT OK\n"
}

func flowLines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(flowLine(i))
	}
	return b.String()
}

// seqOf reads the sequence number of a flowLine line.
func seqOf(s string) (int, bool) {
	f := strings.Fields(s)
	if len(f) != 14 || f[0] != "2" {
		return 0, false
	}
	n, err := strconv.Atoi(f[9])
	return n, err == nil
}

// wantSeqs checks that got is exactly from..to-1, in order: every line
// read once.
func wantSeqs(t *testing.T, got []int, from, to int) {
	t.Helper()
	if len(got) == to-from {
		ok := true
		for i, n := range got {
			if n != from+i {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	seen := map[int]int{}
	for _, n := range got {
		seen[n]++
	}
	var missing, dup []int
	for i := from; i < to; i++ {
		switch seen[i] {
		case 0:
			missing = append(missing, i)
		case 1:
		default:
			dup = append(dup, i)
		}
	}
	t.Fatalf("got %d lines for %d..%d: missing %s, repeated %s, out of order: %v", len(got), from, to-1,
		short(missing), short(dup), len(missing) == 0 && len(dup) == 0)
}

func short(v []int) string {
	if len(v) > 12 {
		return fmt.Sprint(v[:12], "... (", len(v), ")")
	}
	return fmt.Sprint(v)
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// followOpts returns options for following files in tests: short poll
// interval and rotation wait, events or poll-only.
func followOpts(poll bool) Options {
	o := DefaultOptions()
	o.Follow = true
	o.Poll = poll
	o.PollInterval = 10 * time.Millisecond
	o.RotateWait = 40 * time.Millisecond
	return o
}

func newFileT(t *testing.T, spec string, o Options) Source {
	t.Helper()
	s, err := NewFile(spec, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// modes runs fn with file-system events and in poll-only mode.
func modes(t *testing.T, fn func(t *testing.T, poll bool)) {
	t.Run("events", func(t *testing.T) { t.Parallel(); fn(t, false) })
	t.Run("poll", func(t *testing.T) { t.Parallel(); fn(t, true) })
}
