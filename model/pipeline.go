package model

import (
	"bytes"
	"runtime"
	"sync/atomic"
)

// Pipeline parses batches on several goroutines and appends their records
// to the index in the order the batches were submitted, so ingest uses
// every core while the index keeps its single writer.
//
// One goroutine submits (Submit, Fault, Flush, Close). The index must not
// be written by anyone else while the pipeline runs; call Flush before
// Publish, from the submitting goroutine, so the snapshot covers every
// batch submitted so far.
type Pipeline struct {
	ix    *Index
	work  chan *pjob
	order chan *pjob
	done  chan struct{}
	objs  map[pkey]*pobj
	free  chan *pjob

	records, bad, headers, blank atomic.Uint64
}

type pkey struct{ src, obj string }

// pobj is the submitter's view of one object: its format and next line
// number after the batches submitted so far.
type pobj struct {
	format *Format
	line   int64
}

type pjob struct {
	b      Batch
	format *Format // format at the start of the batch
	line   int64   // line number of the batch's first line
	eof    bool

	recs  []Record
	extra [][]byte // backing store for the records' Extra slices
	provs []pprov
	bad   []ParseError
	reas  []Reason
	res   IngestResult

	done    func(IngestResult) // called on the committer after the batch is in
	fault   *ParseError        // a source fault to record, instead of a batch
	barrier chan struct{}
	ready   chan struct{}
}

type pprov struct {
	line, off int64
}

// NewPipeline starts a pipeline over ix with the given number of parsing
// goroutines (GOMAXPROCS if <= 0).
func NewPipeline(ix *Index, workers int) *Pipeline {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pipeline{
		ix:    ix,
		work:  make(chan *pjob, workers),
		order: make(chan *pjob, workers*3),
		done:  make(chan struct{}),
		objs:  map[pkey]*pobj{},
		free:  make(chan *pjob, workers*4+2),
	}
	for i := 0; i < workers; i++ {
		go p.worker()
	}
	go p.commit()
	return p
}

// Submit hands a batch to the pipeline; it blocks while the pipeline is
// full. The pipeline owns b.Data until the batch is committed. done, if
// not nil, is called with the batch's result on the committing goroutine
// once its records are in the index; it must be quick.
func (p *Pipeline) Submit(b *Batch, done func(IngestResult)) {
	k := pkey{b.Source, b.Object}
	st := p.objs[k]
	if st == nil || b.Reset {
		f := b.Format
		if f == nil {
			f = p.ix.defFormat
		}
		if f == nil {
			f = DefaultFormat
		}
		st = &pobj{format: f, line: 1}
		p.objs[k] = st
	}
	if b.Line > 0 {
		st.line = b.Line
	}
	j := p.job()
	j.b = *b
	j.done = done
	j.format, j.line = st.format, st.line
	// Find where this batch leaves the object: its last header line sets
	// the format of the next batch, its line count the next line number.
	lines, last := scanHeaders(b.Data)
	st.line += lines
	if last != nil {
		st.format = last
	}
	if b.EOF {
		delete(p.objs, k)
	}
	p.order <- j
	p.work <- j
}

// Fault records a source failure (see Index.ReportError) in order with the
// batches around it.
func (p *Pipeline) Fault(source, object string, line int64, err error) {
	j := p.job()
	j.fault = sourceError(source, object, line, err)
	close(j.ready)
	p.order <- j
}

// Flush waits until every batch submitted so far is in the index.
func (p *Pipeline) Flush() {
	j := &pjob{barrier: make(chan struct{}), ready: make(chan struct{})}
	close(j.ready)
	p.order <- j
	<-j.barrier
}

// Close flushes and stops the pipeline's goroutines.
func (p *Pipeline) Close() {
	p.Flush()
	close(p.work)
	close(p.order)
	<-p.done
}

// Capacity is the most batches the pipeline holds at once (submitted but
// not yet committed): with the caller's own queue, the bound on memory.
func (p *Pipeline) Capacity() int { return cap(p.order) + 1 }

// Totals counts what the pipeline has committed so far.
func (p *Pipeline) Totals() IngestResult {
	return IngestResult{Records: int(p.records.Load()), Bad: int(p.bad.Load()),
		Headers: int(p.headers.Load()), Blank: int(p.blank.Load())}
}

func (p *Pipeline) job() *pjob {
	var j *pjob
	select {
	case j = <-p.free:
		j.recs, j.provs, j.bad, j.reas, j.extra = j.recs[:0], j.provs[:0], j.bad[:0], j.reas[:0], j.extra[:0]
		j.res, j.fault, j.barrier, j.done = IngestResult{}, nil, nil, nil
	default:
		j = &pjob{}
	}
	j.ready = make(chan struct{})
	return j
}

// scanHeaders counts the lines of data and returns the format of its last
// usable header line (nil if none), as the parser would end up with.
func scanHeaders(data []byte) (int64, *Format) {
	var n int64
	var last *Format
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		n++
		k := 0
		for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
			k++
		}
		if k < len(line) && (line[k] >= 'a' && line[k] <= 'z' || line[k] == '$') && IsHeaderLine(line) {
			if f, err := ParseFormat(string(bytes.TrimRight(line, "\r"))); err == nil {
				last = f
			}
		}
	}
	return n, last
}

// worker parses batches into records.
func (p *Pipeline) worker() {
	parser := NewParser(nil)
	for j := range p.work {
		parser.SetFormat(j.format)
		data := j.b.Data
		line, off := j.line, j.b.Offset
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			var l []byte
			if i < 0 {
				l, data = data, nil
			} else {
				l, data = data[:i], data[i+1:]
			}
			if len(j.recs) == cap(j.recs) {
				j.recs = append(j.recs, Record{})[:len(j.recs)]
			}
			rec := j.recs[:len(j.recs)+1]
			kind, reason := parser.Parse(l, &rec[len(rec)-1])
			switch kind {
			case LineRecord:
				if r := &rec[len(rec)-1]; r.Extra != nil {
					// the parser reuses its Extra slice: keep a copy
					n := len(j.extra)
					j.extra = append(j.extra, r.Extra...)
					r.Extra = j.extra[n:len(j.extra):len(j.extra)]
				}
				j.recs = rec
				j.provs = append(j.provs, pprov{line, off})
				j.res.Records++
			case LineHeader:
				j.res.Headers++
			case LineBlank:
				j.res.Blank++
			case LineBad:
				j.res.Bad++
				j.reas = append(j.reas, reason)
				if len(j.bad) < maxSamples {
					j.bad = append(j.bad, *parser.Error(l, reason, j.b.Source, j.b.Object, line))
				}
			}
			line++
			off += int64(len(l)) + 1
		}
		close(j.ready)
	}
}

// commit appends parsed batches to the index in submission order.
func (p *Pipeline) commit() {
	defer close(p.done)
	ix := p.ix
	for j := range p.order {
		<-j.ready
		switch {
		case j.barrier != nil:
			close(j.barrier)
			continue
		case j.fault != nil:
			stats := &ix.sources[ix.Source(j.fault.Source)]
			stats.Bad[ReasonSource]++
			ix.sample(stats, j.fault)
			p.bad.Add(1)
		default:
			src := ix.Source(j.b.Source)
			obj := ix.Object(j.b.Object)
			for i := range j.recs {
				ix.Append(&j.recs[i], Prov{Source: src, Object: obj, Line: j.provs[i].line, Offset: j.provs[i].off})
			}
			stats := &ix.sources[src]
			stats.Bytes += uint64(len(j.b.Data))
			stats.Records += uint64(j.res.Records)
			stats.Lines += uint64(j.res.Records + j.res.Headers + j.res.Blank + j.res.Bad)
			for _, r := range j.reas {
				stats.Bad[r]++
			}
			for i := range j.bad {
				ix.sample(stats, &j.bad[i])
			}
			p.records.Add(uint64(j.res.Records))
			p.bad.Add(uint64(j.res.Bad))
			p.headers.Add(uint64(j.res.Headers))
			p.blank.Add(uint64(j.res.Blank))
			if j.done != nil {
				j.done(j.res)
			}
		}
		j.b, j.done = Batch{}, nil
		select {
		case p.free <- j:
		default:
		}
	}
}
