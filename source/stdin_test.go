package source

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestStdinPausesAndPartialLines(t *testing.T) {
	pr, pw := io.Pipe()
	src := NewStdin(pr, DefaultOptions())
	if src.Name() != "stdin" {
		t.Errorf("name %q", src.Name())
	}
	l, stop := runSource(t, src)
	seq := 0
	for burst := 0; burst < 5; burst++ {
		// Each burst shows up while the writer pauses: nothing waits for a
		// full batch.
		pw.Write([]byte(flowLines(seq, seq+3)))
		seq += 3
		end := seq
		waitCond(t, "the burst", func() bool { return l.count() == end })
	}
	line := flowLine(seq)
	pw.Write([]byte(line[:25]))
	time.Sleep(20 * time.Millisecond)
	if n := len(l.lines()); n != seq {
		t.Fatalf("a partial line was delivered (%d lines)", n)
	}
	pw.Write([]byte(line[25:]))
	seq++
	pw.Write([]byte(flowLine(seq)[:10])) // the last line has no newline
	pw.Close()
	waitCond(t, "the end", func() bool { return src.Status().State == StateDone })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ls := l.lines()
	if len(ls) != seq+1 || ls[seq].text != flowLine(seq)[:10] || ls[seq].line != int64(seq+1) {
		t.Fatalf("%d lines, last %q", len(ls), ls[len(ls)-1].text)
	}
	wantSeqs(t, l.seqs(), 0, seq)
	bs, _ := l.snapshot()
	if !bs[0].Reset || !bs[len(bs)-1].EOF {
		t.Error("first batch without Reset or last without EOF")
	}
	l.check(t)
}

func TestStdinLargeInput(t *testing.T) {
	data := flowLines(0, 30000)
	l := readAll(t, NewStdin(strings.NewReader(data), DefaultOptions()))
	wantSeqs(t, l.seqs(), 0, 30000)
	bs, _ := l.snapshot()
	for _, b := range bs {
		if len(b.Data) > batchTarget {
			t.Fatalf("batch of %d bytes", len(b.Data))
		}
	}
	if len(bs) < 10 {
		t.Errorf("%d batches for %d bytes", len(bs), len(data))
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestStdinReadError(t *testing.T) {
	boom := errors.New("connection reset")
	src := NewStdin(&failingReader{r: strings.NewReader(flowLines(0, 4) + "2 1111"), err: boom}, DefaultOptions())
	l := readAll(t, src)
	wantSeqs(t, l.seqs(), 0, 4)
	if len(l.lines()) != 4 {
		t.Errorf("the torn last line was delivered")
	}
	_, faults := l.snapshot()
	if len(faults) != 1 || !errors.Is(faults[0].Err, boom) || faults[0].Line != 5 {
		t.Errorf("faults %+v", faults)
	}
	if st := src.Status(); st.State != StateDone || len(st.Errors) != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestStdinCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	src := NewStdin(pr, DefaultOptions())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Run(ctx, newBatchLog().emit) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return while the reader blocks")
	}
}
