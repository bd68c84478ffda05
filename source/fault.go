package source

import "context"

// Fault is a read error that cut an object short: a truncated gzip stream,
// an I/O error mid-file, a stream that broke. The lines before the fault
// were delivered; the consumer records the fault beside the bad lines
// (model.Index.ReportError) so it is counted and shown, never silent.
type Fault struct {
	Object string // file, object key or stream that failed
	Line   int64  // the first line that was not delivered (1-based, 0 if unknown)
	Err    error  // what went wrong
}

type reporterKey struct{}

// WithReporter returns a context under which Report calls fn. The Mux
// installs one per source so that a fault travels to the ingest goroutine
// behind every batch the source emitted before it; tests install their own.
func WithReporter(ctx context.Context, fn func(Fault) error) context.Context {
	return context.WithValue(ctx, reporterKey{}, fn)
}

// Report hands a fault to whoever runs the source, as an emit does with a
// batch: it may block under back-pressure and returns an error once ctx is
// done. Without a reporter in ctx it does nothing. A source should also
// note the fault in its own Status (StatusBox.AddError).
func Report(ctx context.Context, f Fault) error {
	if fn, ok := ctx.Value(reporterKey{}).(func(Fault) error); ok {
		return fn(f)
	}
	return nil
}
