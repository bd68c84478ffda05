package source

import (
	"time"

	"github.com/flowlens/flowlens/model"
)

// Options configures a source. Every source takes the same Options and
// ignores the fields that do not concern it. Start from DefaultOptions: the
// zero value of TailLines means "start at the end", which is rarely what a
// caller that forgot to set it wants.
type Options struct {
	// Follow keeps reading after the existing data is consumed, like
	// tail -F: appended lines, new files matching a glob or directory,
	// rotated and re-created files, until the context ends. Without it a
	// source reads what exists and returns.
	Follow bool
	// Poll turns file-system events off: files are checked every
	// PollInterval instead (NFS, SMB, FUSE and other file systems that
	// emit no events). With events on, a slower safety check still runs.
	Poll bool
	// PollInterval is how often files are checked in poll-only mode
	// (default 250 ms). With events on, the safety check runs every
	// 4 PollIntervals, and at least every second.
	PollInterval time.Duration
	// RotateWait is how long a file that was renamed away or deleted must
	// stay idle (no new bytes) before it is closed and the new file at its
	// path, if any, is read (default 1 s). It covers writers that go on
	// appending to the old file for a moment after a rotation.
	RotateWait time.Duration
	// TailLines is where files that exist when the source starts are
	// read from: -1 from the beginning, 0 from the end (only new lines),
	// N from N lines before the end. Files that appear later are always
	// read from the beginning.
	TailLines int
	// Ordered reads the files of a directory or glob one after the other,
	// oldest first (rotated files before the live one), so records arrive
	// in file order, as a query that prints records promises. Without it
	// two to four files are decoded at once, in no particular order.
	Ordered bool

	// Since and Until bound the time range of interest (zero: unbounded).
	// The demo backfills from Since and stops at Until; file sources read
	// everything and leave time filtering to the query.
	Since, Until time.Time

	// Format, when set (--log-format), is the format of objects until a
	// header line says otherwise; it is put into every Batch.Format.
	Format *model.Format
	// MaxLine is the longest line a source delivers, in bytes
	// (default model.DefaultMaxLine). Longer lines are skipped and
	// counted in Status.Dropped.
	MaxLine int
	// Now is the clock (nil: time.Now). The demo's data follows it.
	Now func() time.Time

	// Rate is the demo's records per second (default 100).
	Rate float64
	// Seed makes the demo's traffic reproducible (0 is a valid seed).
	Seed uint64
	// Incidents chooses the demo's scripted incidents by name (see
	// DemoIncidents): nil plays them all, an empty non-nil list none
	// (everyday traffic only).
	Incidents []string

	// Profile, Region, EndpointURL and StreamPrefix configure the AWS
	// sources (--profile, --region, --endpoint-url, --stream-prefix).
	Profile, Region, EndpointURL, StreamPrefix string
	// LiveTail makes the CloudWatch source follow with StartLiveTail.
	LiveTail bool
	// AWSTimeouts bounds the waits of AWS calls (zero fields: defaults).
	AWSTimeouts Timeouts
	// FilterPattern is a CloudWatch Logs filter pattern pushed down to
	// the service.
	FilterPattern string

	// Firehose configures firehose:// receivers.
	Firehose FirehoseOptions

	// Logf receives debug logs (nil: discarded). Sources never write to
	// stdout or stderr: the TUI owns the terminal.
	Logf func(format string, args ...any)
}

// DefaultOptions returns Options that read every file from its beginning
// once, at the default poll interval, rotation wait and line limit.
func DefaultOptions() Options {
	return Options{
		TailLines:    -1,
		PollInterval: defaultPollInterval,
		RotateWait:   defaultRotateWait,
		MaxLine:      model.DefaultMaxLine,
		Rate:         defaultDemoRate,
	}
}

const (
	defaultPollInterval = 250 * time.Millisecond
	defaultRotateWait   = time.Second
	defaultDemoRate     = 100

	// batchTarget is the size at which a batch is cut, in bytes.
	batchTarget = 256 << 10
)

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Options) maxLine() int {
	if o.MaxLine > 0 {
		return o.MaxLine
	}
	return model.DefaultMaxLine
}

func (o *Options) pollInterval() time.Duration {
	if o.PollInterval > 0 {
		return o.PollInterval
	}
	return defaultPollInterval
}

// safetyInterval is how often a follower re-checks everything when it
// also gets file-system events.
func (o *Options) safetyInterval() time.Duration {
	if o.Poll {
		return o.pollInterval()
	}
	d := 4 * o.pollInterval()
	if d > time.Second {
		d = time.Second
	}
	return d
}

func (o *Options) rotateWait() time.Duration {
	if o.RotateWait > 0 {
		return o.RotateWait
	}
	return defaultRotateWait
}

func (o *Options) rate() float64 {
	if o.Rate > 0 {
		return o.Rate
	}
	return defaultDemoRate
}
