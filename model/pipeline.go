package model

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// Pipeline is the one way batches get into the index: it parses them and
// appends their records in the order the batches were submitted. With
// workers, batches are parsed on that many goroutines into chunks of
// columns, dictionary codes included, and one committer copies the chunks
// into the index in order, so ingest uses every core while the index keeps
// its single writer. With none, the submitting goroutine does both before
// Submit returns (Index.Ingest is this pipeline).
//
// One goroutine submits (Submit, Fault, Flush, Close). The index must not
// be written by anyone else while the pipeline runs; call Flush before
// Publish, from the submitting goroutine, so the snapshot covers every
// batch submitted so far.
type Pipeline struct {
	ix   *Index
	objs objTracker

	// scan, when set, makes this a streaming scan's pipeline: workers
	// group their chunks themselves, the committer only counts (see Scan).
	scan    *Scan
	workers sync.WaitGroup

	seq *pworker // no workers: the submitting goroutine's

	// with workers
	work  chan *pjob
	order chan *pjob
	done  chan struct{}
	free  chan *pjob

	batch IngestResult // the committer's sum over the pieces of a batch

	records, bad, headers, blank atomic.Uint64
}

// pieceBytes is the most bytes of a batch parsed as one job: a source's
// batch is one piece, a big one handed to Ingest is cut at line ends, so a
// chunk's columns stay small enough for the cache.
const pieceBytes = 512 << 10

// pjob is one piece of a batch on its way through the pipeline.
//
// A worker writes the job's chunk and counts for every line: the job is
// padded so that no other worker's job shares those cache lines.
type pjob struct {
	_      cacheLine
	b      Batch   // Data, Line and Offset are the piece's
	format *Format // format at the start of the piece
	line   int64   // line number of the piece's first line
	first  bool    // the first piece of its batch
	final  bool    // the last piece of its batch

	c    chunk
	reas []Reason
	// the last maxSamples bad lines, a ring: described at commit time
	bad  [maxSamples]badLine
	nbad int
	res  IngestResult

	note    *Inference         // on the first piece: what format inference made of the object
	done    func(IngestResult) // on the final piece: called once the batch is in
	fault   *ParseError        // a source fault to record, instead of a batch
	barrier chan struct{}
	ready   chan struct{}
	_       cacheLine
}

// pworker is what one parsing goroutine keeps from job to job.
//
// The parser and the record are written for every line, so a worker keeps
// them in memory of its own, padded by a cache line on both sides: when
// they shared a line with another worker's, each core's writes evicted the
// other's copy, and a scan took 60% more CPU in the runs where the
// allocator had put the two workers' parsers side by side.
type pworker struct {
	_      cacheLine
	parser Parser
	rv     resolver
	rec    Record
	job    *pjob // no workers: the one job, reused

	skip FieldSet    // fields not kept (a scan's)
	scan *scanWorker // a scan's worker: groups the chunks it parses
	_    cacheLine
}

// cacheLine pads data written by one core away from another core's.
type cacheLine [64]byte

func newWorker(ix *Index) *pworker {
	w := &pworker{rv: resolver{ix: ix}}
	w.parser.SetFormat(nil)
	return w
}

// NewPipeline returns a pipeline over ix that parses on the given number
// of goroutines; with 0 workers, Submit parses and appends on the calling
// goroutine. Close it when done.
func NewPipeline(ix *Index, workers int) *Pipeline {
	return newPipeline(ix, workers, nil)
}

// newPipeline makes a pipeline, a scan's when scan is set (with at least
// one worker).
func newPipeline(ix *Index, workers int, scan *Scan) *Pipeline {
	p := &Pipeline{ix: ix, scan: scan}
	if workers <= 0 && scan != nil {
		workers = 1
	}
	if workers <= 0 {
		p.seq = newWorker(ix)
		p.seq.job = &pjob{}
		return p
	}
	depth := 3
	if scan != nil {
		// A scan's jobs hold little but their batch; a deep queue keeps
		// the workers busy while one of them waits for a core.
		depth = 16
	}
	p.work = make(chan *pjob, workers*depth/3)
	p.order = make(chan *pjob, workers*depth)
	p.done = make(chan struct{})
	p.free = make(chan *pjob, workers*(depth+1)+2)
	p.workers.Add(workers)
	for i := 0; i < workers; i++ {
		w := newWorker(ix)
		if scan != nil {
			scan.newWorker(w)
		}
		go p.worker(w)
	}
	go p.commit()
	return p
}

// Submit hands a batch to the pipeline; it blocks while the pipeline is
// full. The pipeline owns b.Data until the batch is committed. done, if
// not nil, is called with the batch's result on the committing goroutine
// once its records are in the index; it must be quick.
func (p *Pipeline) Submit(b *Batch, done func(IngestResult)) {
	res := p.submit(b, done)
	if p.seq != nil && done != nil {
		done(res)
	}
}

// submit cuts b into pieces and parses each (no workers) or hands it to
// the workers. Without workers it returns the batch's result.
func (p *Pipeline) submit(b *Batch, done func(IngestResult)) IngestResult {
	st := p.objs.begin(b, p.ix.defFormat)
	format, line, off := st.format, st.line, b.Offset
	note := st.note
	st.note = nil
	data := b.Data
	var sum IngestResult
	for first := true; first || len(data) > 0; first = false {
		piece := data
		if len(piece) > pieceBytes {
			if i := bytes.IndexByte(piece[pieceBytes:], '\n'); i >= 0 {
				piece = piece[:pieceBytes+i+1]
			}
		}
		data = data[len(piece):]
		var j *pjob
		if p.seq != nil {
			j = p.seq.job
			j.reset()
		} else {
			j = p.job()
		}
		j.b = *b
		j.b.Data, j.b.Line, j.b.Offset = piece, line, off
		j.format, j.line = format, line
		j.first, j.final = first, len(data) == 0
		if first {
			j.note = note
		}
		var lines int64
		var last *Format
		if p.seq != nil {
			lines, last = p.seq.parse(j)
			p.commitJob(j)
			sum.add(j.res)
			j.b = Batch{}
		} else {
			// Find where this piece leaves the object before a worker
			// parses it: its last header line sets the format of what
			// follows, its line count the next line number.
			if b.NoHeaders {
				lines = countLines(piece)
			} else {
				lines, last = scanHeaders(piece)
			}
			if j.final {
				j.done = done
			}
			p.order <- j
			p.work <- j
		}
		if last != nil {
			format = last
		}
		line += lines
		off += int64(len(piece))
	}
	p.objs.end(st, b, line-st.line, format)
	return sum
}

func (r *IngestResult) add(o IngestResult) {
	r.Records += o.Records
	r.Headers += o.Headers
	r.Blank += o.Blank
	r.Bad += o.Bad
}

// ingest parses and commits b on the calling goroutine (no workers).
func (p *Pipeline) ingest(b *Batch) IngestResult { return p.submit(b, nil) }

// Fault records a source failure (see Index.ReportError) in order with the
// batches around it.
func (p *Pipeline) Fault(source, object string, line int64, err error) {
	j := &pjob{fault: sourceError(source, object, line, err)}
	if p.seq != nil {
		p.commitJob(j)
		return
	}
	j.ready = make(chan struct{})
	close(j.ready)
	p.order <- j
}

// Flush waits until every batch submitted so far is in the index.
func (p *Pipeline) Flush() {
	if p.seq != nil {
		return
	}
	j := &pjob{barrier: make(chan struct{}), ready: make(chan struct{})}
	close(j.ready)
	p.order <- j
	<-j.barrier
}

// Close flushes and stops the pipeline's goroutines.
func (p *Pipeline) Close() {
	if p.seq != nil {
		return
	}
	p.Flush()
	close(p.work)
	close(p.order)
	<-p.done
	p.workers.Wait()
}

// Capacity is the most batches the pipeline holds at once (submitted but
// not yet committed): with the caller's own queue, the bound on memory.
func (p *Pipeline) Capacity() int {
	if p.seq != nil {
		return 1
	}
	return cap(p.order) + 1
}

// Totals counts what the pipeline has committed so far.
func (p *Pipeline) Totals() IngestResult {
	return IngestResult{Records: int(p.records.Load()), Bad: int(p.bad.Load()),
		Headers: int(p.headers.Load()), Blank: int(p.blank.Load())}
}

func (p *Pipeline) job() *pjob {
	var j *pjob
	select {
	case j = <-p.free:
		j.reset()
	default:
		j = &pjob{}
	}
	j.ready = make(chan struct{})
	return j
}

// reset empties a job for reuse, keeping its buffers.
func (j *pjob) reset() {
	j.c.reset()
	j.reas = j.reas[:0]
	j.bad, j.nbad = [maxSamples]badLine{}, 0
	j.res, j.fault, j.barrier, j.done, j.note = IngestResult{}, nil, nil, nil, nil
}

// worker parses jobs until the work channel closes.
func (p *Pipeline) worker(w *pworker) {
	defer p.workers.Done()
	for j := range p.work {
		w.parse(j)
		if w.scan != nil {
			w.scan.take(j)
		}
		close(j.ready)
	}
	if w.scan != nil {
		w.scan.finish()
	}
}

// parse reads the job's lines into its chunk, starting in the job's
// format. It returns the number of lines and, when a header line changed
// the format, the format it ended in.
func (w *pworker) parse(j *pjob) (int64, *Format) {
	parser := &w.parser
	parser.SetFormat(j.format)
	j.c.skip = w.skip
	data := j.b.Data
	line, off := j.line, j.b.Offset
	for len(data) > 0 {
		var l []byte
		kind, reason := LineRecord, ReasonNone
		fast := false
		if parser.fast { // the parser finds the line end as it reads the line
			var e int
			if e, fast = parser.parseFast(data, &w.rec); fast {
				l, data = data[:e], data[min(e+1, len(data)):]
			}
		}
		if !fast {
			l, data = CutLine(data)
			kind, reason = parser.Parse(l, &w.rec)
		}
		switch kind {
		case LineRecord:
			j.c.add(&w.rec, line, off, &w.rv)
			j.res.Records++
		case LineHeader:
			j.res.Headers++
		case LineBlank:
			j.res.Blank++
		case LineBad:
			j.res.Bad++
			j.reas = append(j.reas, reason)
			j.bad[j.nbad%maxSamples] = parser.rejected(l, reason, line)
			j.nbad++
		}
		line++
		off += int64(len(l)) + 1
	}
	var last *Format
	if f := parser.Format(); f != j.format {
		last = f
	}
	return line - j.line, last
}

// commit appends parsed jobs to the index in submission order.
func (p *Pipeline) commit() {
	defer close(p.done)
	for j := range p.order {
		<-j.ready
		if j.barrier != nil {
			close(j.barrier)
			continue
		}
		p.commitJob(j)
		if j.fault != nil {
			continue
		}
		j.b, j.done = Batch{}, nil
		select {
		case p.free <- j:
		default:
		}
	}
}

// commitJob appends one parsed piece, or records one fault. Writer only.
func (p *Pipeline) commitJob(j *pjob) {
	ix := p.ix
	if j.fault != nil {
		stats := &ix.sources[ix.Source(j.fault.Source)]
		stats.Bad[ReasonSource]++
		ix.sample(stats, j.fault)
		p.bad.Add(1)
		return
	}
	src := ix.Source(j.b.Source)
	if p.scan == nil { // a scan's worker took the rows
		ix.commitChunk(&j.c, src, ix.Object(j.b.Object))
	}
	stats := &ix.sources[src]
	if j.note != nil {
		stats.noteFormat(j.b.Object, j.note)
	}
	stats.Bytes += uint64(len(j.b.Data))
	stats.Records += uint64(j.res.Records)
	stats.Lines += uint64(j.res.Records + j.res.Headers + j.res.Blank + j.res.Bad)
	for _, r := range j.reas {
		stats.Bad[r]++
	}
	for k := max(0, j.nbad-maxSamples); k < j.nbad; k++ {
		ix.sample(stats, j.bad[k%maxSamples].error(j.b.Source, j.b.Object))
	}
	p.records.Add(uint64(j.res.Records))
	p.bad.Add(uint64(j.res.Bad))
	p.headers.Add(uint64(j.res.Headers))
	p.blank.Add(uint64(j.res.Blank))
	if j.first {
		p.batch = IngestResult{}
	}
	p.batch.add(j.res)
	if j.final && j.done != nil {
		j.done(p.batch)
	}
	if j.final && j.b.Release != nil {
		j.b.Release()
	}
}
