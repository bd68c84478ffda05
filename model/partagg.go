package model

import (
	"container/heap"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Partitioned aggregation: the group-by for millions of groups, and for
// distinct counts. One table of millions of groups misses the cache on
// nearly every row, so the rows are first scattered by the hash of their
// composite key into partitions small enough for the cache, each row
// carrying what the metrics need (byte and packet counts, the reject
// flag, the values of distinct metrics); then every partition is
// aggregated on its own, in small tables. Both phases run on every core:
// the scatter over runs of segments, into blocks of each worker's own,
// the aggregation partition by partition. A partition keeps only its best
// groups when the question asks for a top N (the global top N are among
// them), and its totals.

// partRows is about how many rows a partition gets: its tables then stay
// within a few hundred KiB.
const partRows = 8 << 10

// blockWords is the size of a scatter block in uint32 words (16 KiB).
const blockWords = 4 << 10

// partitioned holds a partitioned group-by in progress.
type partitioned struct {
	g       *grouper
	snap    *Snapshot
	q       GroupQuery
	pbits   uint
	workers int

	// A scattered row is stride uint32 words: the composite key (kw
	// words: one when every composite key fits 32 bits, two otherwise),
	// then the payload: bytes, packets and the reject flag when the
	// metrics need them (at wB, wP, wR; -1 when not), then one value code
	// per distinct metric (from wD on).
	kw, stride, wB, wP, wR, wD int
	dkeyers                    []*keyer // one per distinct metric: its values as codes

	scat  []*scatterer
	side  [][]sideRow // overflowed sums, by partition
	seen  [][]uint64  // per distinct metric: bitmap of the value codes seen
	parts []partOut   // per partition, from the aggregation
}

// scatterer is one worker's scatter state: a block list per partition.
// (Staging rows a cache line per partition and writing the blocks a line
// at a time, write-combining, measured 10-15% slower here.)
type scatterer struct {
	full  [][][]uint32 // per partition: the filled blocks
	cur   []cursor     // per partition: the block being filled
	slab  []uint32     // where new blocks are cut from
	slabs []*[64 * blockWords]uint32
	side  []sideRow
	seen  [][]uint64

	sc   *segScratch // a segment's rows, codes and composite keys
	cols [][]uint32  // payload columns of a segment's rows
}

// scatterers and partTables keep the workers' scratch memory between
// group-bys (as slabs keeps the blocks'): fresh memory costs a page
// fault a page, which on this project's shared VMs took longer than
// grouping the rows that fill it (about 4 ms a MiB).
var (
	scatterers = sync.Pool{New: func() any { return &scatterer{} }}
	partTables = sync.Pool{New: func() any { return &partTable{} }}
)

// reset readies a pooled scatterer for nparts partitions.
func (s *scatterer) reset(nparts int) {
	if cap(s.full) < nparts {
		s.full = make([][][]uint32, nparts)
	}
	s.full = s.full[:nparts]
	s.cur = fresh(s.cur, nparts)
	for p := range s.full {
		s.full[p] = s.full[p][:0]
	}
	s.side, s.seen = s.side[:0], s.seen[:0]
	s.sc = segScratches.Get().(*segScratch)
}

// cursor is a partition's block being filled and the words used in it
// (together: a row's write reads one cache line of cursors).
type cursor struct {
	b []uint32
	o int
}

// sideRow is a row whose bytes or packets did not fit the column (the
// rare overflow): its sums are added to its group apart, checked.
type sideRow struct {
	key          uint64
	bytes, packs uint64
}

// partOut is what aggregating one partition leaves: its candidates for
// the answer (all its groups, or its best ones) and its totals.
type partOut struct {
	keys               []uint64
	cnt, byt, pkt, rej []uint64
	dcnt               [][]uint32
	groups             int
	tcnt, tbyt, tpkt   uint64
	trej               uint64
	sat                [2]bool
}

// partitionable returns a keyer for each distinct metric's values, and
// whether the partitioned path can answer the query: the values must be
// codes (not wide numbers).
func (g *grouper) partitionable(snap *Snapshot, q GroupQuery) ([]*keyer, bool) {
	var dk []*keyer
	for _, m := range q.Metrics {
		if m.Kind != MetricDistinct {
			continue
		}
		ky := newKeyer(snap, GroupKey{Field: m.Field})
		if ky.local != nil || ky.k.Bucket > 0 {
			return nil, false
		}
		dk = append(dk, ky)
	}
	return dk, len(dk) <= maxPartDistinct
}

// maxPartDistinct is the most distinct metrics a scattered row carries.
const maxPartDistinct = 8

// accumulatePartitioned runs the partitioned group-by over sel and leaves
// in g the candidate groups and the totals, for result.
func (g *grouper) accumulatePartitioned(snap *Snapshot, sel *Selection, q GroupQuery, dk []*keyer) {
	pa := &partitioned{g: g, snap: snap, q: q, dkeyers: dk, kw: 2, wB: -1, wP: -1, wR: -1}
	if g.space <= 1<<32 {
		pa.kw = 1 // every composite key is below 2^32
	}
	pa.stride = pa.kw
	slot := func(need bool) int {
		if !need {
			return -1
		}
		pa.stride++
		return pa.stride - 1
	}
	pa.wB, pa.wP, pa.wR = slot(g.byt != nil), slot(g.pkt != nil), slot(g.rej != nil)
	pa.wD = pa.stride
	pa.stride += len(dk)
	for n := sel.Count / partRows; n > 1 && pa.pbits < 12; n >>= 1 {
		pa.pbits++
	}
	pa.workers = max(1, min(runtime.GOMAXPROCS(0), len(sel.Segs)))
	pa.scatter(sel)
	pa.aggregate()
	pa.merge()
	for _, s := range pa.scat {
		s.release()
	}
}

// part returns the partition of composite key k: the top bits of its
// hash (the partition's table uses the next ones).
func (pa *partitioned) part(k uint64) int { return int(hash64(k) >> (64 - pa.pbits)) }

// run calls f(0) .. f(n-1) on n goroutines and waits for them.
func run(n int, f func(w int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	wg.Wait()
}

// scatter writes every selected row, with its payload, to a block of its
// partition; each worker takes a contiguous run of segments.
func (pa *partitioned) scatter(sel *Selection) {
	nparts := 1 << pa.pbits
	pa.scat = make([]*scatterer, pa.workers)
	run(pa.workers, func(w int) {
		s := scatterers.Get().(*scatterer)
		s.reset(nparts)
		for p := range s.cur {
			s.cur[p].b = s.block()
		}
		for _, ky := range pa.dkeyers {
			s.seen = append(s.seen, make([]uint64, (ky.size+63)/64))
		}
		n := len(sel.Segs)
		for i := w * n / pa.workers; i < (w+1)*n/pa.workers; i++ {
			pa.scatterSeg(&sel.Segs[i], s)
		}
		segScratches.Put(s.sc)
		s.sc = nil
		pa.scat[w] = s
	})
	pa.side = make([][]sideRow, nparts)
	for _, s := range pa.scat {
		for _, sr := range s.side {
			p := pa.part(sr.key)
			pa.side[p] = append(pa.side[p], sr)
		}
	}
	pa.seen = make([][]uint64, len(pa.dkeyers))
	for d := range pa.dkeyers {
		pa.seen[d] = pa.scat[0].seen[d]
		for _, s := range pa.scat[1:] {
			for i, x := range s.seen[d] {
				pa.seen[d][i] |= x
			}
		}
	}
}

// slabs holds the memory of scatter blocks between group-bys: a TUI
// regroups every few seconds, and 10M rows take over 100 MB of blocks.
var slabs = sync.Pool{New: func() any { return new([64 * blockWords]uint32) }}

// block returns a fresh block, cut from the worker's slab.
func (s *scatterer) block() []uint32 {
	if len(s.slab) < blockWords {
		sl := slabs.Get().(*[64 * blockWords]uint32)
		s.slabs = append(s.slabs, sl)
		s.slab = sl[:]
	}
	b := s.slab[:blockWords:blockWords]
	s.slab = s.slab[blockWords:]
	return b
}

// release gives the worker's slabs back to their pool, and itself to
// its own.
func (s *scatterer) release() {
	for _, sl := range s.slabs {
		slabs.Put(sl)
	}
	clear(s.slabs)
	s.slabs, s.slab = s.slabs[:0], nil
	for p := range s.full {
		clear(s.full[p])
		s.full[p] = s.full[p][:0]
	}
	clear(s.cur)
	scatterers.Put(s)
}

// scatterSeg scatters the selected rows of one segment: their keys and
// payload columns are gathered first, then each row's words are written
// to its partition's current block.
func (pa *partitioned) scatterSeg(ss *SegSel, s *scatterer) {
	sg := ss.Seg
	var rs []int32
	m := sg.N
	if ss.Bits != nil {
		rs = selectedRows(ss, s.sc.rows[:0])
		m = len(rs)
	}
	if m == 0 {
		return
	}
	keys := s.sc.comp[:m]
	pa.g.compositeInto(sg, rs, keys, s.sc.raw)
	// the payload columns, in row order
	kw := pa.kw
	np := pa.stride - kw
	for len(s.cols) < np {
		s.cols = append(s.cols, make([]uint32, SegmentRows))
	}
	cols := s.cols[:np]
	if pa.wB >= 0 {
		pa.gatherSum(sg, FieldBytes, rs, cols[pa.wB-kw][:m], s, func(sr *sideRow, v uint64) { sr.bytes = v })
	}
	if pa.wP >= 0 {
		pa.gatherSum(sg, FieldPackets, rs, cols[pa.wP-kw][:m], s, func(sr *sideRow, v uint64) { sr.packs = v })
	}
	if pa.wR >= 0 {
		out := cols[pa.wR-kw][:m]
		act := sg.Enum(FieldAction)
		for j := range out {
			r := j
			if rs != nil {
				r = int(rs[j])
			}
			out[j] = 0
			if act != nil && act[r] == uint8(ActionReject) {
				out[j] = 1
			}
		}
	}
	for d, ky := range pa.dkeyers {
		out := cols[pa.wD-kw+d][:m]
		ky.codes(sg, rs, out)
		bm := s.seen[d]
		for _, v := range out {
			bm[v>>6] |= 1 << (v & 63)
		}
	}
	stride := pa.stride
	shift := 64 - pa.pbits // 64 with one partition: every hash gives 0
	for j, k := range keys {
		p := int(hash64(k) >> shift)
		c := &s.cur[p]
		o := c.o
		if o+stride > blockWords {
			s.full[p] = append(s.full[p], c.b[:o])
			c.b = s.block()
			o = 0
		}
		b := c.b[o : o+stride : o+stride]
		b[0] = uint32(k)
		if kw == 2 {
			b[1] = uint32(k >> 32)
		}
		for x, c := range cols {
			b[kw+x] = c[j]
		}
		c.o = o + stride
	}
}

// gatherSum copies a bytes or packets column's values of the rows into
// out; a value kept in the overflow list goes to the side rows (with the
// row's key) and counts 0 here.
func (pa *partitioned) gatherSum(sg *Seg, f Field, rs []int32, out []uint32, s *scatterer, set func(*sideRow, uint64)) {
	c := sg.Num(f)
	if c == nil {
		clear(out)
		return
	}
	if rs == nil {
		copy(out, c.U32[:len(out)])
	} else {
		for j, r := range rs {
			out[j] = c.U32[r]
		}
	}
	if c.Over == nil {
		return
	}
	for j, v := range out {
		if v != esc32 {
			continue
		}
		r := j
		if rs != nil {
			r = int(rs[j])
		}
		sr := sideRow{key: s.sc.comp[j]}
		set(&sr, c.overflow(r))
		s.side = append(s.side, sr)
		out[j] = 0
	}
}

// aggregate runs every partition through its own tables, on every core.
func (pa *partitioned) aggregate() {
	nparts := 1 << pa.pbits
	pa.parts = make([]partOut, nparts)
	var next atomic.Int64
	run(pa.workers, func(int) {
		t := partTables.Get().(*partTable)
		t.sized = false
		for {
			p := int(next.Add(1) - 1)
			if p >= nparts {
				break
			}
			pa.aggregateOne(p, t)
		}
		partTables.Put(t)
	})
}

// partTable is a worker's reusable tables for aggregating a partition:
// an open-addressing table from composite key to group id, the groups'
// keys and their accumulators side by side (count, then bytes, packets,
// rejects as needed: stride words per group), and the distinct pairs.
// The tables are sized for about as many groups and pairs as the
// worker's last partition had (partitions are alike; a table that turns
// out small grows), so that a question with few groups per partition
// does not clear and probe tables sized for every row.
type partTable struct {
	slots  []uint64 // tag<<32 | group id+1 (0: empty): a slot is 8 bytes
	mask   uint64
	shift  uint
	pbits  uint     // the hash bits that chose the partition
	exact  bool     // the keys fit 32 bits: a slot's tag is its key
	keys   []uint64 // by group id
	acc    []uint64 // stride words by group id
	stride int
	dcnt   [][]uint32 // per distinct metric, by group id
	pairs  []u64pairs // per distinct metric: the (group, value) pairs seen
	iv     []uint64   // scratch: each group's value of the sort metric
	fv     []float64

	sized     bool      // the last partition's ratios below are known
	lastN     float64   // groups a row in the last partition
	lastPairs []float64 // pairs a row in the last partition, per distinct metric
	rows      int       // rows of the partition
}

// u64pairs is a set of (group id, value code) pairs of one partition.
type u64pairs struct {
	slots []uint64 // id<<32 | value, +1; 0 = empty
	mask  uint64
	n     int
}

func (s *u64pairs) reset(size int) {
	s.slots = fresh(s.slots, size)
	s.mask, s.n = uint64(size-1), 0
}

// add inserts a pair and reports whether it was new.
func (s *u64pairs) add(k uint64) bool {
	if (s.n+1)*2 > len(s.slots) {
		old := s.slots
		s.slots = make([]uint64, 2*len(old))
		s.mask, s.n = uint64(len(s.slots)-1), 0
		for _, v := range old {
			if v != 0 {
				s.add(v - 1)
			}
		}
	}
	k++
	for i := hash64(k) >> 32 & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = k
			s.n++
			return true
		case k:
			return false
		}
	}
}

// tableSize is the size of a table for n entries, at most half full.
func tableSize(n int) int {
	size := 1024
	for size < 2*n {
		size *= 2
	}
	return size
}

// reset empties the tables for a partition of n rows (a partition has
// at most n groups and n pairs), sized for a little more than the last
// partition's groups and pairs.
func (t *partTable) reset(n, stride, distinct int) {
	expect := func(perRow float64) int {
		if !t.sized {
			return n
		}
		return min(n, int(perRow*float64(n)*1.25)+64)
	}
	t.rows = n
	t.resize(tableSize(expect(t.lastN)))
	if m := expect(t.lastN); cap(t.keys) < m {
		t.keys, t.acc = make([]uint64, 0, m), make([]uint64, 0, m*stride)
	}
	t.keys, t.acc, t.stride = t.keys[:0], t.acc[:0], stride
	for len(t.dcnt) < distinct {
		t.dcnt = append(t.dcnt, nil)
		t.pairs = append(t.pairs, u64pairs{})
		t.lastPairs = append(t.lastPairs, 0)
	}
	for d := 0; d < distinct; d++ {
		t.dcnt[d] = t.dcnt[d][:0]
		t.pairs[d].reset(tableSize(expect(t.lastPairs[d])))
	}
}

// done records the partition's groups and pairs a row, to size the next
// one's tables.
func (t *partTable) done(distinct int) {
	r := float64(max(t.rows, 1))
	t.sized, t.lastN = true, float64(len(t.keys))/r
	for d := 0; d < distinct; d++ {
		t.lastPairs[d] = float64(t.pairs[d].n) / r
	}
}

func (t *partTable) resize(size int) {
	t.slots = fresh(t.slots, size)
	t.mask = uint64(size - 1)
	t.shift = uint(64 - bits.Len(uint(size-1)))
}

// slot returns the first slot to probe for composite key k (hash bits
// past the ones that chose the partition) and the tag its slot holds.
func (t *partTable) slot(k uint64) (uint64, uint64) {
	h := hash64(k)
	tag := h << 32
	if t.exact {
		tag = k << 32
	}
	return h << t.pbits >> t.shift, tag
}

// group returns the id of the group with composite key k, creating it.
// A slot whose tag matches holds k when the keys fit the tag, else when
// the group's key says so.
func (t *partTable) group(k uint64) int {
	i, tag := t.slot(k)
	for ; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return t.add(i, k, tag)
		}
		if s&^(1<<32-1) == tag && (t.exact || t.keys[uint32(s)-1] == k) {
			return int(uint32(s) - 1)
		}
	}
}

// add creates the group of composite key k in empty slot i (its probe's
// end, tag its tag) and returns its id.
func (t *partTable) add(i, k, tag uint64) int {
	n := len(t.keys)
	if (n+1)*2 > len(t.slots) {
		t.grow()
		return t.group(k)
	}
	t.slots[i] = tag | uint64(n+1)
	t.keys = append(t.keys, k)
	if a := len(t.acc) + t.stride; a <= cap(t.acc) {
		t.acc = t.acc[:a]
		clear(t.acc[a-t.stride:])
	} else {
		t.acc = append(t.acc, make([]uint64, t.stride)...)
	}
	for d := range t.dcnt[:len(t.pairs)] {
		t.dcnt[d] = append(t.dcnt[d], 0)
	}
	return n
}

// grow doubles the table and places the groups again.
func (t *partTable) grow() {
	t.resize(2 * len(t.slots))
	for id, k := range t.keys {
		i, tag := t.slot(k)
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = tag | uint64(id+1)
	}
}

// aggregateOne aggregates partition p and keeps its candidates.
func (pa *partitioned) aggregateOne(p int, t *partTable) {
	rows := 0
	for _, s := range pa.scat {
		for _, b := range s.full[p] {
			rows += len(b) / pa.stride
		}
		rows += s.cur[p].o / pa.stride
	}
	// A group's accumulators: its count, then the sums of the row's
	// summed words (bytes, packets, reject flag), in the same order.
	acc := 1 + pa.wD - pa.kw
	at := func(w int) int { // accumulator of payload word w, -1 for none
		if w < 0 {
			return -1
		}
		return w - pa.kw + 1
	}
	iB, iP, iR := at(pa.wB), at(pa.wP), at(pa.wR)
	nd := len(pa.dkeyers)
	t.pbits, t.exact = pa.pbits, pa.kw == 1
	t.reset(rows, acc, nd)
	for _, s := range pa.scat {
		for _, b := range s.full[p] {
			pa.addRows(t, b)
		}
		pa.addRows(t, s.cur[p].b[:s.cur[p].o])
	}
	o := partOut{}
	// Rows that overflowed a column: counted already, their sums go in
	// checked (until now every sum stayed below 2^64: rows * 2^32).
	for _, sr := range pa.side[p] {
		id := t.group(sr.key)
		a := t.acc[id*acc : id*acc+acc]
		var ok bool
		if iB >= 0 {
			if a[iB], ok = addSat(a[iB], sr.bytes); !ok {
				o.sat[0] = true
			}
		}
		if iP >= 0 {
			if a[iP], ok = addSat(a[iP], sr.packs); !ok {
				o.sat[1] = true
			}
		}
	}
	n := len(t.keys)
	o.groups = n
	t.done(nd)
	for id := 0; id < n; id++ {
		a := t.acc[id*acc : id*acc+acc]
		o.tcnt += a[0]
		if iB >= 0 {
			o.tbyt, _ = addSat(o.tbyt, a[iB])
		}
		if iP >= 0 {
			o.tpkt, _ = addSat(o.tpkt, a[iP])
		}
		if iR >= 0 {
			o.trej += a[iR]
		}
	}
	// the candidates: every group, or the best Top
	var ids []int
	if top := pa.q.Top; top > 0 && top < n/4 {
		m := pa.q.Metrics[pa.q.Sort]
		iv, fv := t.iv[:0], t.fv[:0]
		for id := 0; id < n; id++ {
			a := t.acc[id*acc : id*acc+acc]
			switch m.Kind {
			case MetricCount:
				iv = append(iv, a[0])
			case MetricBytes:
				iv = append(iv, a[iB])
			case MetricPackets:
				iv = append(iv, a[iP])
			case MetricRejects:
				iv = append(iv, a[iR])
			case MetricRejectRatio:
				fv = append(fv, float64(a[iR])/float64(a[0]))
			default:
				iv = append(iv, uint64(t.dcnt[distinctIndex(pa.q.Metrics, pa.q.Sort)][id]))
			}
		}
		t.iv, t.fv = iv, fv
		if m.Kind == MetricRejectRatio {
			iv = nil
		}
		ids = pa.best(t, n, top, iv, fv)
	} else {
		ids = make([]int, n)
		for id := range ids {
			ids[id] = id
		}
	}
	pick := func(k int) []uint64 {
		if k < 0 {
			return nil
		}
		out := make([]uint64, len(ids))
		for j, id := range ids {
			out[j] = t.acc[id*acc+k]
		}
		return out
	}
	o.keys = make([]uint64, len(ids))
	for j, id := range ids {
		o.keys[j] = t.keys[id]
	}
	o.cnt, o.byt, o.pkt, o.rej = pick(0), pick(iB), pick(iP), pick(iR)
	for d := 0; d < nd; d++ {
		dc := make([]uint32, len(ids))
		for j, id := range ids {
			dc[j] = t.dcnt[d][id]
		}
		o.dcnt = append(o.dcnt, dc)
	}
	pa.parts[p] = o
}

// addRows adds a block of scattered rows to their groups.
func (pa *partitioned) addRows(t *partTable, b []uint32) {
	stride, acc, kw, wD, nd := pa.stride, t.stride, pa.kw, pa.wD, len(pa.dkeyers)
	for o := 0; o+stride <= len(b); o += stride {
		w := b[o : o+stride : o+stride]
		k := uint64(w[0])
		if kw == 2 {
			k |= uint64(w[1]) << 32
		}
		// t.group(k), its probe inlined
		i, tag := t.slot(k)
		var id int
		for {
			s := t.slots[i]
			if s == 0 {
				id = t.add(i, k, tag)
				break
			}
			if s&^(1<<32-1) == tag && (t.exact || t.keys[uint32(s)-1] == k) {
				id = int(uint32(s) - 1)
				break
			}
			i = (i + 1) & t.mask
		}
		a := t.acc[id*acc : id*acc+acc : id*acc+acc]
		a[0]++
		for x := kw; x < wD; x++ {
			a[x-kw+1] += uint64(w[x])
		}
		for d := 0; d < nd; d++ {
			if v := w[wD+d]; v != 0 && t.pairs[d].add(uint64(id)<<32|uint64(v)) {
				t.dcnt[d][id]++
			}
		}
	}
}

// best returns the top n of a partition's groups by the sort metric, ties
// by key value, as result ranks them: iv holds each group's value of an
// integral sort metric, fv of reject-ratio.
func (pa *partitioned) best(t *partTable, groups, n int, iv []uint64, fv []float64) []int {
	asc := pa.q.Asc
	less := func(a, b int) bool { // a ranks before b
		if iv != nil {
			if iv[a] != iv[b] {
				return (iv[a] > iv[b]) != asc
			}
		} else if fv[a] != fv[b] {
			return (fv[a] > fv[b]) != asc
		}
		return pa.g.compareKeys(pa.snap, t.keys[a], t.keys[b]) < 0
	}
	h := &groupHeap{less: less}
	for id := 0; id < groups; id++ {
		if h.Len() < n {
			heap.Push(h, id)
			continue
		}
		// Most groups rank below the worst kept one by value alone: they
		// are passed over without a call (ties go to less: their keys).
		if w := h.items[0]; iv != nil && iv[id] != iv[w] && (iv[id] > iv[w]) == asc {
			continue
		}
		if less(id, h.items[0]) {
			h.items[0] = id
			heap.Fix(h, 0)
		}
	}
	return h.items
}

// merge turns the partitions' candidates into the grouper's groups (hash
// mode: composite keys in comps) and its totals.
func (pa *partitioned) merge() {
	g := pa.g
	n := 0
	for i := range pa.parts {
		n += len(pa.parts[i].keys)
	}
	g.dense = false
	g.comps = make([]uint64, 0, n)
	g.cnt = make([]uint64, 0, n)
	if pa.wB >= 0 {
		g.byt = make([]uint64, 0, n)
	}
	if pa.wP >= 0 {
		g.pkt = make([]uint64, 0, n)
	}
	if pa.wR >= 0 {
		g.rej = make([]uint64, 0, n)
	}
	g.dcount = make([][]uint32, len(pa.dkeyers))
	t := &groupTotals{}
	for i := range pa.parts {
		o := &pa.parts[i]
		g.comps = append(g.comps, o.keys...)
		g.cnt = append(g.cnt, o.cnt...)
		g.byt = append(g.byt, o.byt...)
		g.pkt = append(g.pkt, o.pkt...)
		g.rej = append(g.rej, o.rej...)
		for d := range g.dcount {
			g.dcount[d] = append(g.dcount[d], o.dcnt[d]...)
		}
		t.groups += o.groups
		t.cnt += o.tcnt
		t.byt, _ = addSat(t.byt, o.tbyt)
		t.pkt, _ = addSat(t.pkt, o.tpkt)
		t.rej += o.trej
		g.saturated[0] = g.saturated[0] || o.sat[0]
		g.saturated[1] = g.saturated[1] || o.sat[1]
	}
	for d := range pa.dkeyers {
		var k uint64
		for i, x := range pa.seen[d] {
			if i == 0 {
				x &^= 1 // code 0: absent
			}
			k += uint64(bits.OnesCount64(x))
		}
		t.distinct = append(t.distinct, k)
	}
	g.totals = t
}
