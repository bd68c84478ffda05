package source

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Source reads raw flow-log lines from one place and emits them in batches
// tagged with where they came from. It never parses: the Mux's pipeline
// does, with the shared parser in model.
type Source interface {
	// Name identifies the source in the UI, in errors and in record
	// provenance (Batch.Source), e.g. "/var/log/flows/*.log" or "s3://b/p".
	Name() string
	// Run reads until ctx ends or, when not following, until the input is
	// exhausted. It hands each batch to emit, which blocks while the
	// consumer is busy (bounded back-pressure) and returns an error once
	// ctx is done. emit takes ownership of the batch's Data. emit is
	// safe for concurrent use, so a source may read several objects at
	// once; batches of one object must be emitted in order by one
	// goroutine. A read error that cuts an object short is handed over
	// with Report (through ctx) after the batches before it. A returned
	// error means the source failed; other sources keep running.
	Run(ctx context.Context, emit func(model.Batch) error) error
	// Status reports the source's current state and counters. It is safe to
	// call from any goroutine at any time.
	Status() Status
}

// State is where a source is in its life.
type State uint8

// Source states.
const (
	StateStarting  State = iota // not yet reading
	StateReading                // reading existing data (backfill)
	StateFollowing              // caught up, waiting for new data
	StateWaiting                // waiting for something to appear (a file, a prefix) or backing off
	StateDegraded               // running, but with a problem (see Status.Reason)
	StateDone                   // finished without error
	StateFailed                 // stopped with an error (see Status.Reason)
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateReading:
		return "reading"
	case StateFollowing:
		return "following"
	case StateWaiting:
		return "waiting"
	case StateDegraded:
		return "degraded"
	case StateDone:
		return "done"
	case StateFailed:
		return "failed"
	}
	return "state?"
}

// Status is a snapshot of a source's state and counters.
type Status struct {
	Name   string
	Kind   string // "file", "stdin", "demo", "s3", "cloudwatch", "firehose"
	State  State
	Reason string // why degraded, waiting or failed ("" otherwise)

	Bytes   uint64 // raw bytes emitted
	Lines   uint64 // lines emitted
	Batches uint64
	Dropped uint64 // lines dropped by the source itself (over-long lines, sampled live tail, ...), never silently
	// Drops splits Dropped by reason; DropSamples notes the first few
	// drops and the latest (see StatusBox.Drop).
	Drops       [NumDropReasons]uint64
	DropSamples []string

	Objects     int   // objects (files, keys, streams) known
	ObjectsDone int   // objects read completely
	BytesTotal  int64 // bytes known to exist, for progress (0 if unknown)

	Calls     uint64 // API calls made (AWS sources)
	Retries   uint64
	Throttles uint64

	Lag     time.Duration // how far behind the newest data the source is, if known
	Current string        // the object being read now
	Updated time.Time     // when the status last changed
	Errors  []string      // recent errors, newest last (at most a few)
	// Denied lists the IAM actions the credentials were refused, each
	// once, with what goes missing without it: "ec2:DescribeSubnets
	// (subnet names)". Unlike Errors it never drops one: the explorer
	// notes each in the status bar once.
	Denied []string

	// Counters are counts of the source's own, in display order, shown
	// beside the common ones (a receiver's requests, duplicates and
	// rejects by reason); zero counts may be left out.
	Counters []Counter
	// Info holds lines about the source worth showing as they are (where
	// a receiver listens, when it last heard from whom).
	Info []string

	// Records and Bad count what the index made of the source's lines:
	// records appended and lines rejected, faults included. The Mux fills
	// them in Statuses; a source leaves them zero.
	Records uint64
	Bad     uint64
}

// Counter is one named count of a Status.
type Counter struct {
	Name  string
	Value uint64
}

// StatusBox is a mutex-guarded Status that sources embed to report their
// state. The zero value is ready to use.
type StatusBox struct {
	mu sync.Mutex
	st Status
}

// Status returns a copy of the current status.
func (b *StatusBox) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	st.Errors = append([]string(nil), b.st.Errors...)
	st.Denied = append([]string(nil), b.st.Denied...)
	st.Counters = append([]Counter(nil), b.st.Counters...)
	st.Info = append([]string(nil), b.st.Info...)
	st.DropSamples = append([]string(nil), b.st.DropSamples...)
	return st
}

// Update changes the status under the lock and stamps Updated.
func (b *StatusBox) Update(fn func(st *Status)) {
	b.mu.Lock()
	fn(&b.st)
	b.st.Updated = time.Now()
	b.mu.Unlock()
}

// SetState sets the state and reason.
func (b *StatusBox) SetState(s State, reason string) {
	b.Update(func(st *Status) { st.State, st.Reason = s, reason })
}

// Deny records an IAM action refused (Status.Denied), once.
func (b *StatusBox) Deny(what string) {
	b.Update(func(st *Status) {
		if !slices.Contains(st.Denied, what) {
			st.Denied = append(st.Denied, what)
		}
	})
}

// maxErrors is how many recent errors a Status keeps.
const maxErrors = 5

// AddError records a recent error message (the newest maxErrors are kept).
func (b *StatusBox) AddError(msg string) {
	b.Update(func(st *Status) {
		st.Errors = append(st.Errors, msg)
		if len(st.Errors) > maxErrors {
			st.Errors = st.Errors[len(st.Errors)-maxErrors:]
		}
	})
}

// Count adds an emitted batch to the counters.
func (b *StatusBox) Count(bt *model.Batch, lines int) {
	b.Update(func(st *Status) {
		st.Bytes += uint64(len(bt.Data))
		st.Lines += uint64(lines)
		st.Batches++
	})
}
