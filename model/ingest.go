package model

import "strconv"

// Batch is a run of raw lines from one object of one source, the unit that
// sources emit and the ingest goroutine parses. Sources never parse.
type Batch struct {
	Source string // source name, e.g. "/var/log/flows.log" or "s3://bucket/prefix"
	Object string // file, object key or stream within the source ("" = the source itself)
	Data   []byte // whole lines, each ending in '\n' (the last one may lack it)
	Line   int64  // line number of the first line of Data (1-based; 0 = continue counting)
	Offset int64  // byte offset of Data[0] within the object

	// Format, when set, is the object's format until a header line says
	// otherwise (--log-format, or a format the source learned).
	Format *Format
	// Reset says the object started over (truncated or re-created): its
	// header state is forgotten.
	Reset bool
	// EOF says the object is complete; its parse state is dropped.
	EOF bool
	// Committed, when set, is called once the batch's lines are in the
	// index (appended, or counted as bad; not yet published), on the
	// goroutine that commits: it must be quick. The source Mux calls it,
	// so that a receiver acknowledges only what is safely in.
	Committed func(IngestResult)
	// Release, when set, is called by the pipeline once nothing reads
	// Data any more (the batch is committed, or was read by a scan): the
	// source may reuse the buffer. Reused buffers keep a big load from
	// leaving its whole input behind as garbage.
	Release func()
	// NoHeaders says the source checked that no line of Data starts with
	// a lowercase letter, '$' or a blank, so none can be a header line:
	// the pipeline then only counts the lines before handing them to its
	// workers, instead of looking at each for a format change.
	NoHeaders bool
	// Cursor, when set, is the source's position once this batch is read
	// (for --state); the index does not look at it, the source Mux hands
	// it to MuxOptions.Committed once the batch is in.
	Cursor any
}

// IngestResult counts what one Ingest call did.
type IngestResult struct {
	Records int
	Headers int
	Blank   int
	Bad     int
}

// SetDefaultFormat sets the format of objects that start without a header
// line and whose batches carry no Format (nil restores DefaultFormat).
// Writer only.
func (ix *Index) SetDefaultFormat(f *Format) { ix.defFormat = f }

// Ingest parses a batch with the shared parser and appends its records,
// through a pipeline without workers (see Pipeline): each object's format
// and line numbers carry over from batch to batch. Bad lines are counted
// by reason on the batch's source, with the latest few kept as samples;
// they never stop ingest. Writer only; call Publish to make the rows
// visible.
func (ix *Index) Ingest(b *Batch) IngestResult {
	return ix.sequential().ingest(b)
}

// sequential returns the index's own pipeline without workers.
func (ix *Index) sequential() *Pipeline {
	if ix.seq == nil {
		ix.seq = NewPipeline(ix, 0)
	}
	return ix.seq
}

// ReportError records a failure of a source that cut an object short (a
// truncated gzip, a read error) as a bad line with ReasonSource, so it is
// counted and shown beside malformed lines. Writer only.
func (ix *Index) ReportError(source, object string, line int64, err error) {
	ix.sequential().Fault(source, object, line, err)
}

func sourceError(source, object string, line int64, err error) *ParseError {
	return &ParseError{Source: source, Object: object, Line: line, Reason: ReasonSource, Excerpt: strconv.Quote(err.Error())}
}

func (ix *Index) sample(stats *SourceStats, e *ParseError) {
	if len(stats.Samples) == maxSamples {
		copy(stats.Samples, stats.Samples[1:])
		stats.Samples = stats.Samples[:maxSamples-1]
	}
	stats.Samples = append(stats.Samples, *e)
}
