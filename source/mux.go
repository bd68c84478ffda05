package source

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowlens/flowlens/model"
)

// MuxOptions tunes a Mux. The zero value is ready to use.
type MuxOptions struct {
	// Queue is how many batches may wait between the sources and the
	// ingest goroutine (default 16: with batches of about 256 KiB, some
	// 4 MiB). When it is full, sources block in emit: back-pressure, not
	// loss, and memory stays bounded however slow ingest is.
	Queue int
	// PublishEvery is the shortest time between two publications while
	// data flows (default 50 ms). The first batch after a quiet spell is
	// published at once, and pending rows never wait longer than this.
	PublishEvery time.Duration
	// DefaultFormat, when set, is the format of objects that start without
	// a header and whose batches carry no format (see
	// model.Index.SetDefaultFormat).
	DefaultFormat *model.Format
	// Logf receives debug logs (nil: discarded).
	Logf func(format string, args ...any)
	// Sequential turns parallel parsing off: batches are parsed on the
	// goroutine calling Run itself (the default with one CPU).
	Sequential bool
	// Pipeline, when set, takes the batches instead of the index's own
	// pipeline: a streaming scan's (model.Scan), made over the same
	// index. The Mux closes it when every source is done.
	Pipeline *model.Pipeline
	// Committed, when set, is called for every batch that carries a
	// Cursor, once its lines are in the index, on the committing
	// goroutine and in commit order, with the source's index and the
	// number of rows the index has held after it (evicted ones
	// included): a reader that has printed that many rows has printed
	// everything the source read up to the cursor (see --state).
	Committed func(source int, cursor any, rows uint64)
}

// MuxStats counts what a Mux did so far.
type MuxStats struct {
	Batches   uint64 // batches ingested
	Bytes     uint64 // bytes of lines ingested
	Records   uint64 // records appended
	Bad       uint64 // bad lines
	Faults    uint64 // source faults recorded (a truncated gzip, ...)
	Publishes uint64 // snapshots published
	Queued    int    // batches waiting for ingest now
	QueueCap  int    // the most batches that can wait
	// Blocked is the total time sources spent waiting for room in the
	// queue: how much ingest held them back.
	Blocked time.Duration
}

// Mux runs many sources into one index. Each source runs in its own
// goroutine; the goroutine calling Run hands their batches, in arrival
// order, to a model.Pipeline (parsed on every core, appended by its one
// committer) and publishes snapshots. A source that fails is recorded and
// the others go on.
type Mux struct {
	ix      *model.Index
	sources []Source
	opts    MuxOptions
	items   chan item
	updates chan *model.Snapshot
	done    chan struct{}
	started atomic.Bool

	pipe *model.Pipeline // parses and appends; without workers when sequential

	mu    sync.Mutex
	ended []bool
	errs  []error
	per   []srcCount // per source, by index

	batches, bytes, records, bad, faults, publishes atomic.Uint64
	blocked                                         atomic.Int64

	afterIngest func() // test hook: a slow consumer

	committedRows uint64 // rows appended so far; the committing goroutine's
}

// srcCount is what ingest made of one source's lines.
type srcCount struct {
	records, bad atomic.Uint64
}

// item is a batch or a fault on its way from a source to ingest.
type item struct {
	b     model.Batch
	fault *Fault
	src   string
	idx   int // the source's index in Mux.sources
}

// NewMux returns a Mux that feeds sources into ix. ix must not be written
// by anyone else while the Mux runs.
func NewMux(ix *model.Index, sources []Source, opts MuxOptions) *Mux {
	if opts.Queue <= 0 {
		opts.Queue = 16
	}
	if opts.PublishEvery <= 0 {
		opts.PublishEvery = 50 * time.Millisecond
	}
	return &Mux{
		ix:      ix,
		sources: append([]Source(nil), sources...),
		opts:    opts,
		items:   make(chan item, opts.Queue),
		updates: make(chan *model.Snapshot, 1),
		done:    make(chan struct{}),
		ended:   make([]bool, len(sources)),
		errs:    make([]error, len(sources)),
		per:     make([]srcCount, len(sources)),
	}
}

// Sources returns the sources, in the order given to NewMux.
func (m *Mux) Sources() []Source { return m.sources }

// Updates delivers published snapshots. It holds at most one: a slow
// reader gets the newest snapshot, never a backlog. It is not closed;
// wait on Done as well.
func (m *Mux) Updates() <-chan *model.Snapshot { return m.updates }

// Done is closed once every source has returned (sources that do not
// follow return at the end of their input; following ones when the
// context ends) and everything they emitted is ingested and published.
func (m *Mux) Done() <-chan struct{} { return m.done }

// Run starts every source and ingests their batches until all of them
// have returned, then publishes a last time and closes Done. Cancel ctx
// to stop following sources. The error joins the failures of sources,
// each named; nil when none failed (a source ended by ctx did not fail).
func (m *Mux) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("mux: already running")
	}
	if m.opts.DefaultFormat != nil {
		m.ix.SetDefaultFormat(m.opts.DefaultFormat)
	}
	var wg sync.WaitGroup
	for i, s := range m.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.runSource(ctx, i, s)
		}()
	}
	go func() {
		wg.Wait()
		close(m.items)
	}()
	m.ingest()
	close(m.done)
	return m.Err()
}

// Err joins the failures of the sources that have failed so far.
func (m *Mux) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for i, err := range m.errs {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.sources[i].Name(), err))
		}
	}
	return errors.Join(errs...)
}

func (m *Mux) runSource(ctx context.Context, i int, s Source) {
	name := s.Name()
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			err = nil
		}
		if err != nil && m.opts.Logf != nil {
			m.opts.Logf("source %s failed: %v", name, err)
		}
		m.mu.Lock()
		m.ended[i], m.errs[i] = true, err
		m.mu.Unlock()
	}()
	send := func(it item) error {
		select {
		case m.items <- it:
			return nil
		default:
		}
		t0 := time.Now()
		select {
		case m.items <- it:
			m.blocked.Add(int64(time.Since(t0)))
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	emit := func(b model.Batch) error {
		if b.Source == "" {
			b.Source = name
		}
		return send(item{b: b, idx: i})
	}
	sctx := WithReporter(ctx, func(f Fault) error { return send(item{fault: &f, src: name, idx: i}) })
	err = s.Run(sctx, emit)
}

// ingest is the single writer of the index. Batches go through a
// model.Pipeline: with more than one CPU its workers parse them in
// parallel and its committer appends them in order; otherwise it parses
// them here, in place.
func (m *Mux) ingest() {
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || m.opts.Sequential {
		workers = 0
	}
	m.pipe = m.opts.Pipeline
	if m.pipe == nil {
		m.pipe = model.NewPipeline(m.ix, workers)
	}
	defer m.pipe.Close()
	every := m.opts.PublishEvery
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	armed, dirty := false, false
	var last time.Time
	publish := func() {
		m.pipe.Flush() // the snapshot covers every batch handed over
		s := m.ix.Publish()
		m.publishes.Add(1)
		m.offer(s)
		dirty, last = false, time.Now()
	}
	for {
		select {
		case it, ok := <-m.items:
			if !ok {
				publish()
				return
			}
			m.waitHeld(publish)
			m.handle(&it)
			dirty = true
			if since := time.Since(last); since >= every {
				publish()
			} else if !armed {
				timer.Reset(every - since)
				armed = true
			}
		case <-timer.C:
			armed = false
			if !dirty {
				break
			}
			if since := time.Since(last); since >= every {
				publish()
			} else {
				timer.Reset(every - since)
				armed = true
			}
		}
	}
}

func (m *Mux) handle(it *item) {
	if it.fault != nil {
		m.pipe.Fault(it.src, it.fault.Object, it.fault.Line, it.fault.Err)
		m.faults.Add(1)
		m.per[it.idx].bad.Add(1)
		return
	}
	idx, size, ack, cursor := it.idx, len(it.b.Data), it.b.Committed, it.b.Cursor
	done := func(res model.IngestResult) {
		m.committedRows += uint64(res.Records) // the committer is one goroutine
		if cursor != nil && m.opts.Committed != nil {
			m.opts.Committed(idx, cursor, m.committedRows)
		}
		if m.afterIngest != nil {
			m.afterIngest()
		}
		m.batches.Add(1)
		m.bytes.Add(uint64(size))
		m.records.Add(uint64(res.Records))
		m.bad.Add(uint64(res.Bad))
		m.per[idx].records.Add(uint64(res.Records))
		m.per[idx].bad.Add(uint64(res.Bad))
		if ack != nil {
			ack(res)
		}
	}
	m.pipe.Submit(&it.b, done)
}

// offer puts s in the updates slot, replacing an unread older snapshot.
func (m *Mux) offer(s *model.Snapshot) {
	for {
		select {
		case m.updates <- s:
			return
		default:
		}
		select {
		case <-m.updates:
		default:
		}
	}
}

// Statuses returns the status of every source, in the order given to
// NewMux, with Records and Bad filled in from what ingest made of its
// lines. A source whose Run returned an error shows StateFailed and the
// error; one that returned without error shows StateDone.
func (m *Mux) Statuses() []Status {
	out := make([]Status, len(m.sources))
	for i, s := range m.sources {
		st := s.Status()
		if st.Name == "" {
			st.Name = s.Name()
		}
		st.Records, st.Bad = m.per[i].records.Load(), m.per[i].bad.Load()
		m.mu.Lock()
		ended, err := m.ended[i], m.errs[i]
		m.mu.Unlock()
		switch {
		case err != nil:
			st.State, st.Reason = StateFailed, err.Error()
		case ended && st.State != StateFailed:
			st.State = StateDone
		}
		out[i] = st
	}
	return out
}

// Stats returns the Mux's counters.
func (m *Mux) Stats() MuxStats {
	return MuxStats{
		Batches:   m.batches.Load(),
		Bytes:     m.bytes.Load(),
		Records:   m.records.Load(),
		Bad:       m.bad.Load(),
		Faults:    m.faults.Load(),
		Publishes: m.publishes.Load(),
		Queued:    len(m.items),
		QueueCap:  cap(m.items),
		Blocked:   time.Duration(m.blocked.Load()),
	}
}
