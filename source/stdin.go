package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/flowlens/flowlens/model"
)

// Stdin reads flow-log lines from a stream: standard input (`-`) or a
// named pipe given as a path. The stream is one object that ends when the
// stream does. Lines are delivered as soon as the writer pauses (a short
// read), in batches of up to about 256 KiB while it does not.
type Stdin struct {
	StatusBox
	name    string
	r       io.Reader
	open    func() (io.ReadCloser, error) // for a named pipe: opened in Run
	opts    Options
	started atomic.Bool
}

var _ Source = (*Stdin)(nil)

// NewStdin returns a source that reads r (normally os.Stdin) to its end.
// It is named "stdin". Reading blocks while r does: when the context ends,
// Run returns at once, and the goroutine blocked in r.Read ends with r.
func NewStdin(r io.Reader, opts Options) Source {
	return newStream("stdin", "stdin", r, nil, opts)
}

// newPipe returns a stream source for a named pipe or character device.
func newPipe(spec, path string, opts Options) Source {
	return newStream(spec, "pipe", nil, func() (io.ReadCloser, error) { return os.Open(path) }, opts)
}

func newStream(name, kind string, r io.Reader, open func() (io.ReadCloser, error), opts Options) *Stdin {
	s := &Stdin{name: name, r: r, open: open, opts: opts}
	s.Update(func(st *Status) { st.Name, st.Kind, st.State, st.Objects = name, kind, StateStarting, 1 })
	return s
}

// Name returns "stdin", or the pipe's path.
func (s *Stdin) Name() string { return s.name }

// streamMsg is what the reading goroutine hands to Run.
type streamMsg struct {
	chunks []chunk
	drops  []drop
	err    error // a read error other than the end of the stream
	eof    bool  // the stream ended (after chunks)
	line   int64 // the next line number at the end
	off    int64
}

// Run reads the stream until it ends or ctx does.
func (s *Stdin) Run(ctx context.Context, emit func(model.Batch) error) error {
	if !s.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: source already running", s.name)
	}
	msgs := make(chan streamMsg, 1)
	quit := make(chan struct{})
	defer close(quit)
	go s.read(msgs, quit)
	k := &sink{name: s.name, format: s.opts.Format, emit: emit, box: &s.StatusBox, opts: &s.opts}
	s.SetState(StateWaiting, "waiting for input")
	reset := true
	for {
		var m streamMsg
		select {
		case <-ctx.Done():
			return nil
		case m = <-msgs:
		}
		k.dropped(s.name, m.drops)
		if len(m.chunks) > 0 {
			s.SetState(StateReading, "")
		}
		for i, c := range m.chunks {
			if err := k.send("", c, reset, m.eof && m.err == nil && i == len(m.chunks)-1); err != nil {
				return nil
			}
			reset = false
		}
		if m.err != nil {
			s.AddError(fmt.Sprintf("%s:%d: %v", s.name, m.line, m.err))
			if err := Report(ctx, Fault{Line: m.line, Err: m.err}); err != nil {
				return nil
			}
			if err := k.send("", chunk{off: m.off, line: m.line}, reset, true); err != nil {
				return nil
			}
			s.Update(func(st *Status) { st.State, st.Reason, st.ObjectsDone = StateDone, m.err.Error(), 1 })
			return nil
		}
		if m.eof {
			if len(m.chunks) == 0 {
				if err := k.send("", chunk{off: m.off, line: m.line}, reset, true); err != nil {
					return nil
				}
			}
			s.Update(func(st *Status) { st.State, st.Reason, st.ObjectsDone = StateDone, "", 1 })
			return nil
		}
		s.SetState(StateFollowing, "")
	}
}

// read runs in its own goroutine: it reads the stream and sends chunks
// cut at every pause of the writer and at the batch size.
func (s *Stdin) read(msgs chan<- streamMsg, quit <-chan struct{}) {
	send := func(m streamMsg) bool {
		select {
		case msgs <- m:
			return true
		case <-quit:
			return false
		}
	}
	r := s.r
	if s.open != nil {
		rc, err := s.open()
		if err != nil {
			send(streamMsg{err: err, line: 1})
			return
		}
		defer rc.Close()
		r = rc
	}
	a := newAssembler(s.opts.maxLine())
	for {
		a.begin()
		sp := a.space()
		n, err := r.Read(sp)
		a.commit(n)
		if err == nil && a.runaway() {
			err = errRunaway
		}
		if n < len(sp) || err != nil {
			a.end()
		}
		m := streamMsg{chunks: a.takeReady(), drops: a.takeDrops()}
		if err != nil {
			a.end()
			if errors.Is(err, io.EOF) {
				a.finish(true)
				m.eof = true
			} else {
				a.finish(false) // an incomplete last line is not delivered
				m.err = err
			}
			m.chunks = append(m.chunks, a.takeReady()...)
			m.line, m.off = a.nextLine(), a.pos()
		}
		if len(m.chunks) > 0 || len(m.drops) > 0 || m.eof || m.err != nil {
			if !send(m) {
				a.end()
				return
			}
		}
		if m.eof || m.err != nil {
			return
		}
	}
}
