package model

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// Selector picks the rows of a snapshot that a question covers.
// filter.Filter satisfies it.
type Selector interface {
	Eval(snap *Snapshot, prev *Selection) *Selection
}

// ScanQuery is the question a streaming scan answers.
type ScanQuery struct {
	// Group is the grouping asked for (with no keys, group by action to
	// get totals, as the index path does).
	Group GroupQuery
	// Filter returns a selector for one worker (nil: every record). Each
	// worker gets its own, evaluated over snapshots of its own columns.
	Filter func() Selector
	// FilterFields lists the fields the filter reads (FieldUnknown: it
	// reads unknown ${...} fields). The keys' and metrics' fields are
	// added to it.
	FilterFields FieldSet
	// Workers is the number of parsing goroutines (GOMAXPROCS if <= 0).
	Workers int
	// CheckAll checks every field of every line, as the index does, so
	// that the same lines count as bad. Without it the fields the
	// question does not read are only found (see Parser.Skip): a line
	// whose only fault is a bad value in one of them is counted as a
	// record, which is what makes the scan fast.
	CheckAll bool
}

// Fields returns the fields the group query reads: its keys and the
// fields behind its metrics.
func (q GroupQuery) Fields() FieldSet {
	var s FieldSet
	for _, k := range q.Keys {
		s = s.With(k.Field)
	}
	for _, m := range q.Metrics {
		switch m.Kind {
		case MetricBytes:
			s = s.With(FieldBytes)
		case MetricPackets:
			s = s.With(FieldPackets)
		case MetricRejects, MetricRejectRatio:
			s = s.With(FieldAction)
		case MetricDistinct:
			s = s.With(m.Field)
		}
	}
	return s
}

// Scan answers a group query over batches as they stream past, without
// keeping rows: the answer covers every record read, whatever its size.
// Its Pipeline takes the batches (a source.Mux can drive it); each worker
// parses them with the shared parser, keeping only the fields the
// question reads (the others are only found, or with CheckAll checked so
// that bad lines are found and counted exactly as on the way into the
// index), into blocks of columns of its own. Each full block is filtered by the compiled filter and
// grouped by the group-by code, into the worker's partial groups. Result
// merges the workers' partial groups and ranks them with the same code
// the index uses, so the answer is the one Group gives over an index of
// the same records.
type Scan struct {
	q    ScanQuery
	skip FieldSet
	pipe *Pipeline

	mu      sync.Mutex
	workers []*scanWorker
}

// NewScan returns a scan for q whose pipeline counts bad lines and
// sources into ix (as the index pipeline does; ix receives no rows).
func NewScan(ix *Index, q ScanQuery) (*Scan, error) {
	g, err := checkGroupQuery(q.Group)
	if err != nil {
		return nil, err
	}
	q.Group = g
	need := q.FilterFields | q.Group.Fields()
	if need.Has(FieldEnd) {
		need = need.With(FieldStart) // end is kept as a delta from start
	}
	s := &Scan{q: q, skip: ^need}
	workers := q.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s.pipe = newPipeline(ix, workers, s)
	return s, nil
}

// Pipeline returns the pipeline that takes the scan's batches. Close it
// before asking for the Result.
func (s *Scan) Pipeline() *Pipeline { return s.pipe }

// scanWorker is one worker's side of a scan. The pieces it parses go
// into an index of its own (its own dictionaries, so workers never wait on
// each other), whose rows are grouped a block at a time and then
// forgotten. The partial groups are keyed by natural key codes (the
// field's own code: an address, not its prefix; a start time, not its
// bucket), which the merge turns into the query's keys.
type scanWorker struct {
	s       *Scan
	ix      *Index
	sel     Selector
	prev    *Selection // the selector's last answer: only new rows are evaluated
	grouped uint64     // rows before this one are in the partial groups

	keys   []*keyer     // natural keyers, one per query key
	levels []tupleLevel // interned key prefixes, for three or four keys
	g      *grouper     // partial groups; comps holds the interned key tuples
	last   *Snapshot    // the worker's final snapshot (its dictionaries)

	rows []int32
	raw  []uint32
	comp []uint64
	ids  []uint32
}

// scanBlock is how many rows a worker gathers before grouping them: enough
// to make the per-block work (a snapshot, a filter run) negligible, few
// enough for the block's columns to stay small.
const scanBlock = SegmentRows / 2

// tupleLevel interns (prefix id, code) pairs of a key tuple.
type tupleLevel struct {
	m    *u64map
	keys []uint64 // by id
}

// newWorker makes pw a worker of the scan: it parses keeping only what the
// question reads, with codes from the worker's own dictionaries.
func (s *Scan) newWorker(pw *pworker) {
	w := &scanWorker{s: s, ix: NewIndex(math.MaxInt64)}
	if s.q.Filter != nil {
		w.sel = s.q.Filter()
	}
	pw.rv = resolver{ix: w.ix}
	pw.skip = s.skip
	pw.parser.Skip(s.skip, s.q.CheckAll)
	pw.scan = w
	s.mu.Lock()
	s.workers = append(s.workers, w)
	s.mu.Unlock()
}

// take copies a parsed piece into the worker's index, and groups what has
// gathered once it makes a block.
func (w *scanWorker) take(j *pjob) {
	if j.c.n == 0 {
		return
	}
	w.ix.commitChunk(&j.c, w.ix.Source(j.b.Source), w.ix.Object(j.b.Object))
	if w.ix.next-w.grouped >= scanBlock {
		w.flush()
	}
}

// finish groups the last rows; the worker's dictionaries are final.
func (w *scanWorker) finish() {
	w.flush()
	w.last = w.ix.Publish()
}

// flush filters and groups the rows gathered since the last flush, then
// forgets every full segment (only the one being filled stays).
func (w *scanWorker) flush() {
	if w.ix.next == w.grouped {
		return
	}
	snap := w.ix.Publish()
	var sel *Selection
	if w.sel != nil {
		sel = w.sel.Eval(snap, w.prev)
		w.prev = sel
	} else {
		sel = SelectAll(snap)
	}
	w.group(snap, sel, w.grouped)
	w.grouped = snap.End
	w.ix.maxMemory = 1 // the index is never over budget but here
	w.ix.evict()
	w.ix.maxMemory = math.MaxInt64
}

// group adds the selected rows from global row from on to the partial
// groups.
func (w *scanWorker) group(snap *Snapshot, sel *Selection, from uint64) {
	q := &w.s.q.Group
	if w.g == nil {
		for _, k := range q.Keys {
			w.keys = append(w.keys, newKeyer(snap, GroupKey{Field: k.Field, Name: k.Field.String()}))
		}
		for range max(len(q.Keys)-2, 0) {
			w.levels = append(w.levels, tupleLevel{m: newU64map(1024)})
		}
		w.g = &grouper{comps: []uint64{}}
		w.g.initMetrics(q.Metrics, 0, 0)
		w.raw = make([]uint32, SegmentRows)
		w.comp = make([]uint64, SegmentRows)
		w.ids = make([]uint32, SegmentRows)
	}
	for si := range sel.Segs {
		ss := &sel.Segs[si]
		sg := ss.Seg
		if ss.Count == 0 || sg.Base+uint64(sg.N) <= from {
			continue
		}
		start := int(max(from, sg.Base) - sg.Base)
		rs := rowsFrom(ss, start, &w.rows)
		m := sg.N
		if rs != nil {
			m = len(rs)
		}
		if m == 0 {
			continue
		}
		comp, out := w.comp[:m], w.raw[:m]
		if len(w.keys) == 1 {
			// One key: its natural codes are dense (dictionary codes,
			// value+1 of a narrow number, local codes of a wide one), so
			// the code is the group id and no table is probed. Groups of
			// codes no selected row had stay empty (see Result).
			w.keys[0].codes(sg, rs, out)
			top := uint32(0)
			for _, c := range out {
				top = max(top, c)
			}
			w.g.growDense(int(top) + 1)
			w.g.accumulate(sg, rs, out)
			continue
		}
		for k, ky := range w.keys {
			ky.codes(sg, rs, out)
			if k == 0 {
				for j, c := range out {
					comp[j] = uint64(c)
				}
				continue
			}
			if k >= 2 { // the tuple so far becomes one 32-bit id
				lv := &w.levels[k-2]
				for j, c := range comp {
					id, seen := lv.m.getOrPut(c, uint32(len(lv.keys)))
					if !seen {
						lv.keys = append(lv.keys, c)
					}
					comp[j] = uint64(id)
				}
			}
			for j, c := range out {
				comp[j] = comp[j]<<32 | uint64(c)
			}
		}
		ids := w.ids[:m]
		w.g.lookup(comp, ids)
		w.g.accumulate(sg, rs, ids)
	}
}

// rowsFrom lists the selected rows of ss from row start on, in buf (kept
// for reuse); nil stands for every row of the segment.
func rowsFrom(ss *SegSel, start int, buf *[]int32) []int32 {
	out := (*buf)[:0]
	if ss.Bits == nil {
		if start == 0 {
			return nil
		}
		for i := start; i < ss.Seg.N; i++ {
			out = append(out, int32(i))
		}
	} else {
		out = selectedRows(ss, out)
	}
	*buf = out
	k, _ := slices.BinarySearch(out, int32(start))
	return out[k:]
}

// naturalCodes returns the natural key codes of partial group gid.
func (w *scanWorker) naturalCodes(gid int, out []uint64) {
	c := w.g.comps[gid]
	n := len(w.keys)
	if n == 1 {
		out[0] = c
		return
	}
	for k := n - 1; k >= 1; k-- {
		out[k] = c & (1<<32 - 1)
		c >>= 32
		if k >= 2 {
			c = w.levels[k-2].keys[c]
		}
	}
	out[0] = c
}

// setNatural puts the value behind natural code c of the worker's key k
// into rec (nothing when c is 0, absent).
func (w *scanWorker) setNatural(rec *Record, k int, c uint64) {
	if c == 0 {
		return
	}
	ky := w.keys[k]
	v := c - 1 // narrow numbers: the value+1 is the code
	if ky.local != nil {
		v = ky.lvals[c]
	}
	w.setValue(rec, ky.k.Field, c, v)
}

// setDistinct puts the value behind code c of the set of a distinct
// metric on f (as grouper.addDistinct coded it) into rec; wide holds the
// set's values past 31 bits by code.
func (w *scanWorker) setDistinct(rec *Record, f Field, c uint64, wide []uint64) {
	v := c
	if c&(1<<31) != 0 {
		v = wide[c&^(1<<31)]
	}
	w.setValue(rec, f, c, v)
}

// setValue makes field f present in rec: an address, a string or an enum
// by its code c in the worker's dictionaries, a number as num.
func (w *scanWorker) setValue(rec *Record, f Field, c, num uint64) {
	switch f.Kind() {
	case KindAddr:
		rec.Addrs[addrSlot[f]] = w.last.Addrs[c]
	case KindString:
		str := w.last.Strings(f)[c]
		rec.Str[strSlot[f]] = unsafe.Slice(unsafe.StringData(str), len(str))
	case KindEnum:
		rec.Enums[enumSlot[f]] = uint8(c)
	default:
		rec.Num[numSlot[f]] = num
	}
	rec.Present |= 1 << f
}

// Result returns the answer over every record the pipeline took; call it
// after the pipeline was closed. The workers' partial groups become the
// rows of a small index, each weighted by what it stands for (records,
// bytes, packets, rejects), plus a row for each value of a distinct
// metric's set; Group ranks them as it ranks records.
func (s *Scan) Result() (*GroupResult, error) {
	q := s.q.Group
	var fields []string
	var set FieldSet
	for _, f := range append(q.Keys, distinctKeys(q.Metrics)...) {
		if !set.Has(f.Field) {
			set = set.With(f.Field)
			fields = append(fields, f.Field.String())
		}
	}
	fm, err := newFormat(fields)
	if err != nil {
		return nil, err
	}
	mix := NewIndex(math.MaxInt64)
	mix.weighted = true
	s.mu.Lock()
	workers := s.workers
	s.mu.Unlock()
	codes := make([]uint64, len(q.Keys))
	var rec Record
	groupRecord := func(w *scanWorker, gid int) {
		rec = Record{Format: fm}
		w.naturalCodes(gid, codes)
		for k, c := range codes {
			w.setNatural(&rec, k, c)
		}
	}
	for _, w := range workers {
		if w.g == nil {
			continue
		}
		g := w.g
		for gid := range g.cnt {
			if g.cnt[gid] == 0 {
				continue // a one-key group no selected row had
			}
			groupRecord(w, gid)
			var wt [4]uint64
			wt[0] = g.cnt[gid]
			if g.byt != nil {
				wt[1] = g.byt[gid]
			}
			if g.pkt != nil {
				wt[2] = g.pkt[gid]
			}
			if g.rej != nil {
				wt[3] = g.rej[gid]
			}
			mix.appendWeighted(&rec, wt)
		}
	}
	for _, w := range workers {
		if w.g == nil {
			continue
		}
		for d, f := range w.g.dfields {
			wide := make([]uint64, len(w.g.dlocal[d]))
			for v, c := range w.g.dlocal[d] {
				wide[c] = v
			}
			w.g.dsets[d].each(func(k uint64) {
				groupRecord(w, int(k>>32))
				w.setDistinct(&rec, f, k&(1<<32-1), wide)
				mix.Append(&rec, Prov{})
			})
		}
	}
	return Group(mix.Publish(), nil, q)
}

// distinctKeys returns the fields of the distinct metrics, as keys.
func distinctKeys(ms []Metric) []GroupKey {
	var out []GroupKey
	for _, m := range ms {
		if m.Kind == MetricDistinct {
			out = append(out, GroupKey{Field: m.Field})
		}
	}
	return out
}

// segWeights says what each row of a weighted index stands for: records,
// bytes, packets and rejects, by row. Rows past the slices stand for no
// record (they carry a distinct value only).
type segWeights struct {
	cnt, byt, pkt, rej []uint64
}

// appendWeighted appends rec as a row standing for wt (records, bytes,
// packets, rejects). Weighted rows come before any unweighted one.
func (ix *Index) appendWeighted(rec *Record, wt [4]uint64) {
	ix.Append(rec, Prov{})
	w := ix.active.cols.wt
	w.cnt = append(w.cnt, wt[0])
	w.byt = append(w.byt, wt[1])
	w.pkt = append(w.pkt, wt[2])
	w.rej = append(w.rej, wt[3])
}

// growDense makes groups of every id below n (a one-key scan's, whose
// ids are its codes: see scanWorker.group), each keyed by its id.
func (g *grouper) growDense(n int) {
	for gid := uint64(len(g.comps)); gid < uint64(n); gid++ {
		g.comps = append(g.comps, gid)
	}
	grow := func(s []uint64) []uint64 {
		if s == nil || len(s) >= n {
			return s
		}
		return append(s, make([]uint64, n-len(s))...)
	}
	g.cnt, g.byt, g.pkt, g.rej = grow(g.cnt), grow(g.byt), grow(g.pkt), grow(g.rej)
}
