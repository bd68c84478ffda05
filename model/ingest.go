package model

import (
	"bytes"
	"strconv"
)

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
}

type objKey struct {
	src uint16
	obj uint32
}

type objState struct {
	p    *Parser
	line int64 // next line number
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

// Ingest parses a batch with the shared parser and appends its records.
// Bad lines are counted by reason on the batch's source, with the latest
// few kept as samples; they never stop ingest. Writer only; call Publish
// to make the rows visible.
func (ix *Index) Ingest(b *Batch) IngestResult {
	var res IngestResult
	src := ix.Source(b.Source)
	obj := ix.Object(b.Object)
	key := objKey{src, obj}
	st := ix.parsers[key]
	if st == nil || b.Reset {
		f := b.Format
		if f == nil {
			f = ix.defFormat
		}
		st = &objState{p: NewParser(f), line: 1}
		ix.parsers[key] = st
	}
	if b.Line > 0 {
		st.line = b.Line
	}
	stats := &ix.sources[src]
	stats.Bytes += uint64(len(b.Data))
	data := b.Data
	off := b.Offset
	rec := &ix.scratch
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n')
		var line []byte
		if n < 0 {
			line, data = data, nil
		} else {
			line, data = data[:n], data[n+1:]
		}
		kind, reason := st.p.Parse(line, rec)
		switch kind {
		case LineRecord:
			ix.Append(rec, Prov{Source: src, Object: obj, Line: st.line, Offset: off})
			res.Records++
		case LineHeader:
			res.Headers++
		case LineBlank:
			res.Blank++
		case LineBad:
			res.Bad++
			stats.Bad[reason]++
			ix.sample(stats, st.p.Error(line, reason, b.Source, b.Object, st.line))
		}
		st.line++
		off += int64(len(line)) + 1
	}
	stats.Records += uint64(res.Records)
	stats.Lines += uint64(res.Records + res.Headers + res.Blank + res.Bad)
	if b.EOF {
		delete(ix.parsers, key)
	}
	return res
}

// ReportError records a failure of a source that cut an object short (a
// truncated gzip, a read error) as a bad line with ReasonSource, so it is
// counted and shown beside malformed lines. Writer only.
func (ix *Index) ReportError(source, object string, line int64, err error) {
	stats := &ix.sources[ix.Source(source)]
	stats.Bad[ReasonSource]++
	ix.sample(stats, sourceError(source, object, line, err))
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
