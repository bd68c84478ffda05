package detect

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// wkind is the kind of a windowed detection.
type wkind uint8

const (
	wScan wkind = iota
	wSweep
	wBrute
	wExfil
	wUnidir
	wBlocked
)

// pruneRows is how many rows a half-window's table may go untouched
// before it is dropped (once it is also older than the window): memory
// stays bounded by what the last rows touched, and a lagging source that
// keeps writing into old half-windows keeps its tables.
const pruneRows = 1 << 20

// minLateness is the least time a half-window is kept for records that
// arrive late once the window after it has passed: flow records are
// published minutes after they end and out of order between interfaces,
// and sources read side by side (a directory of daily files, a month of
// S3 objects) interleave days. A detection keeps its window's tables for
// max(minLateness, window) behind the newest record the engine has seen;
// a record older than that is counted (Result.Late), not detected. A week:
// what bounds the tables in practice is the detections' memory share
// (Config.Memory), which releases the oldest half-windows first only when
// it is needed; an hour made three daily files read together lose most of
// their detections (750k of 900k records late) with memory to spare.
const minLateness = 7 * 24 * 3600

// episode is one finding of a windowed detection: a run of consecutive
// half-windows of one key in which the window's threshold was crossed,
// with the totals of every record of the key in that run.
type episode struct {
	id      int32
	alias   int32 // the episode this one was merged into, or -1
	k       key
	dir     uint8 // unidirectional: the direction that carried the bytes
	h0, h1  int64 // half-windows, inclusive
	flows   [2]uint64
	bytes   [2]uint64
	rejects uint64
	first   int64
	last    int64
	minRow  uint64
	maxRow  uint64
	mem     members
	peak    float64 // the largest window metric seen
	changed bool
	shown   bool // reported as a finding (and not withdrawn since)
	fid     string
}

// windowed runs one of the detections that count a key's records in
// hopping windows (a window is two consecutive half-windows).
type windowed struct {
	kind wkind
	spec *Spec
	v    values
	rows filter.Node // the records counted, with the engine's scope

	hop       int64 // half a window, in seconds
	tables    map[int64]*hbTable
	last      *hbTable
	dirtyTabs []*hbTable
	eps       []*episode
	byKey     map[key][]int32 // live episodes by episode key
	epHBs     map[int64]bool  // the half-windows any episode's run has spanned
	epBits    [1 << 10]uint64 // a bit per hashed episode key: most cells have no episode, and this says so without a map lookup
	processed uint64
	maxHB     int64
	removed   []string
	snap      *model.Snapshot
	pool      chunkPool
	floor     int64          // the oldest half-window still kept: those before it are settled and released
	dropped   map[int64]bool // half-windows at or after floor released by pruneRows (their records come too late too)
	late      uint64         // records of this runner's keys that came for a released half-window

	thr      float64 // the window metric a finding needs (more than it, or at least it when incl)
	incl     bool
	perHost  float64 // port-sweep: max-flows-per-host
	minFlows float64 // unidirectional: the least records one way
	part     uint64  // this runner counts the keys whose hash is part modulo parts
	parts    uint64
}

func newWindowed(kind wkind, s *Spec, v values, rows filter.Node) *windowed {
	hop := v.dur("window") / 2
	if hop < 1 {
		hop = 1
	}
	w := &windowed{kind: kind, spec: s, v: v, rows: rows, hop: hop,
		tables: map[int64]*hbTable{}, byKey: map[key][]int32{}, epHBs: map[int64]bool{}, maxHB: -1 << 62, parts: 1,
		floor: -1 << 62, dropped: map[int64]bool{}}
	w.thr, w.incl = w.threshold()
	w.perHost = v.n("max-flows-per-host")
	w.minFlows = v.n("flows")
	return w
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (w *windowed) table(hb int64) *hbTable {
	if w.last != nil && w.last.hb == hb {
		return w.last
	}
	t := w.tables[hb]
	if t == nil {
		var hint int32
		if w.last != nil {
			hint = w.last.n
		}
		t = newHBTable(hb, hint)
		w.tables[hb] = t
	}
	w.last = t
	if hb > w.maxHB {
		w.maxHB = hb
	}
	return t
}

// add counts row i of c.
func (w *windowed) add(c *cols, i int, row uint64) {
	src, dst := code(c.src, i), code(c.dst, i)
	var k key
	var dir uint8
	var mem uint32
	hasMem := false
	switch w.kind {
	case wScan:
		k = key{a: uint64(src)<<32 | uint64(dst)}
		mem, hasMem = uint32(c.dstPort(i)), true
	case wSweep:
		k = key{a: uint64(src), b: uint64(c.dstPort(i)) | uint64(c.protocol(i))<<16}
		mem, hasMem = dst, true
	case wBrute:
		k = key{a: uint64(src)<<32 | uint64(dst), b: uint64(c.dstPort(i))}
	case wExfil:
		k = key{a: uint64(src)<<32 | uint64(dst)}
	case wUnidir:
		lo, hi := src, dst
		if hi < lo {
			lo, hi, dir = hi, lo, 1
		}
		k = key{a: uint64(lo)<<32 | uint64(hi)}
	case wBlocked:
		sp, dp := c.srcPort(i), c.dstPort(i)
		if IsReply(sp, dp) {
			k, dir = key{a: uint64(dst)<<32 | uint64(src), b: uint64(sp) | uint64(c.protocol(i))<<16}, 1
		} else {
			k = key{a: uint64(src)<<32 | uint64(dst), b: uint64(dp) | uint64(c.protocol(i))<<16}
		}
	}
	h := k.hash()
	if w.parts > 1 && (h>>32)*w.parts>>32 != w.part { // not % parts: a division per row
		return
	}
	st := c.startTime(i)
	hb := floorDiv(st, w.hop)
	if w.released(hb) {
		w.late++ // its window was settled and released
		return
	}
	t := w.table(hb)
	ci := t.get(k, h, &w.pool)
	cl := t.at(ci)
	cl.flows[dir]++
	cl.bytes[dir] += c.byteCount(i)
	if c.act(i) == model.ActionReject {
		cl.rejects++
	}
	cl.first = min(cl.first, uint32(st))
	cl.last = max(cl.last, uint32(c.endTime(i)))
	seg := uint32(row >> segShift)
	cl.minSeg, cl.maxSeg = min(cl.minSeg, seg), max(cl.maxSeg, seg)
	if hasMem {
		t.addMember(cl, mem)
	}
	// The table's bound, while the cell is in cache. A metric on the way
	// may exceed the cell's final one (unidirectional: until the other
	// direction speaks), which only loosens the bound.
	for d := range t.bound {
		t.bound[d] = max(t.bound[d], w.metric(t, cl, d))
	}
	if t.markDirty(ci) {
		if len(t.dirty) == 0 {
			w.dirtyTabs = append(w.dirtyTabs, t)
		}
		t.dirty = append(t.dirty, ci)
	}
	t.touched = w.processed
}

// process counts the rows of sel from global row from on, segment by
// segment, and settles the findings they change.
func (w *windowed) process(snap *model.Snapshot, sel *model.Selection, from uint64, clk *clock) {
	w.snap = snap
	for k := range sel.Segs {
		ss := &sel.Segs[k]
		if ss.Seg.Base+uint64(ss.Seg.N) <= from {
			continue
		}
		// Settle against the records of every detection before this
		// segment: the half-windows they passed release their tables,
		// and this segment's records for them are late.
		w.prune(clk.upTo(ss.Seg.Base), clk.late)
		segRows(ss, from, func(c *cols, i int) {
			w.processed++
			w.add(c, i, c.sg.Base+uint64(i))
		})
		w.settle()
	}
	w.prune(clk.last(), clk.late)
}

func (w *windowed) lateRecords() uint64 { return w.late }

// metric is what a cell adds to its window's metric, by direction: the
// quantity the threshold is on (members, flows or bytes). For
// unidirectional, a direction only counts while the other is silent.
func (w *windowed) metric(t *hbTable, c *cell, d int) uint64 {
	switch w.kind {
	case wScan, wSweep:
		return uint64(t.memberLen(c))
	case wBrute:
		return uint64(c.flows[0])
	case wExfil:
		return c.bytes[0]
	case wUnidir:
		if c.flows[1-d] != 0 {
			return 0
		}
		return c.bytes[d]
	case wBlocked:
		return uint64(c.flows[0] + c.flows[1])
	}
	return 0
}

// threshold is the window metric a finding needs: more than it (or at
// least it, for the counts of brute-force and blocked-internal).
func (w *windowed) threshold() (float64, bool) {
	switch w.kind {
	case wScan:
		return w.v.n("ports"), false
	case wSweep:
		return w.v.n("hosts"), false
	case wBrute:
		return w.v.n("attempts"), true
	case wBlocked:
		return w.v.n("flows"), true
	}
	return w.v.n("bytes"), false
}

// settle evaluates the windows of every cell written since the last call.
//
// A table none of whose cells can do anything is skipped whole, without
// going back to its cells (a second cache miss each, which was a fifth of
// a pass): when no episode covers its half-window (so no cell of it is
// part of one, and none can join one) and even its fullest cell with the
// fullest of either neighbour could not cross the threshold. Episodes
// made while settling that come to cover it attach its cells themselves.
func (w *windowed) settle() {
	for _, t := range w.dirtyTabs {
		nb := [2]*hbTable{w.tables[t.hb-1], w.tables[t.hb+1]}
		skip := !w.epHBs[t.hb] && w.hopelessTable(t, nb[0]) && w.hopelessTable(t, nb[1])
		for _, ci := range t.dirty {
			t.clearDirty(ci)
			if !skip {
				w.touch(t, ci, nb)
			}
		}
		t.dirty = t.dirty[:0]
	}
	w.dirtyTabs = w.dirtyTabs[:0]
}

// hopelessTable reports whether no window of a cell of t and one of o (nil:
// none) can cross the threshold, by the tables' bounds.
func (w *windowed) hopelessTable(t, o *hbTable) bool {
	for d := range t.bound {
		var ob uint64
		if o != nil {
			ob = o.bound[d]
		}
		if sum := float64(t.bound[d] + ob); sum > w.thr || (w.incl && sum == w.thr) {
			return false
		}
	}
	return true
}

// covered notes that an episode's run spans half-windows lo..hi: settle
// skips the tables of the others. Runs only grow, and a half-window once
// noted stays so.
func (w *windowed) covered(lo, hi int64) {
	for hb := lo; hb <= hi; hb++ {
		w.epHBs[hb] = true
	}
}

// prune releases the tables of the half-windows that are settled: those
// that ended more than the window and the lateness allowance before
// newest (the newest record time the engine has seen, 0: none), and
// those pruneRows rows left untouched.
func (w *windowed) prune(newest, late int64) {
	if newest > 0 {
		keep := 2*w.hop + max(minLateness, 2*w.hop)
		if late > 0 {
			keep = 2*w.hop + late
		}
		// The first half-window whose end, (hb+1)*hop, is not before
		// newest-keep.
		w.raiseFloor(floorDiv(newest-keep-1, w.hop))
	}
	for hb, t := range w.tables {
		if hb < w.maxHB-3 && t.touched+pruneRows < w.processed && len(t.dirty) == 0 {
			w.drop(hb, t)
			w.dropped[hb] = true
		}
	}
}

// raiseFloor releases every table before half-window floor.
func (w *windowed) raiseFloor(floor int64) {
	if floor <= w.floor {
		return
	}
	w.floor = floor
	for hb, t := range w.tables {
		if hb < floor {
			w.drop(hb, t)
		}
	}
	for hb := range w.dropped {
		if hb < floor {
			delete(w.dropped, hb)
		}
	}
}

func (w *windowed) drop(hb int64, t *hbTable) {
	delete(w.tables, hb)
	w.pool.release(t)
	if w.last == t {
		w.last = nil
	}
}

// released reports whether half-window hb's table was released.
func (w *windowed) released(hb int64) bool {
	return hb < w.floor || len(w.dropped) > 0 && w.dropped[hb]
}

// cref is a cell and the table that holds it (nil t: no such cell).
type cref struct {
	t  *hbTable
	ci int32
}

func (r cref) ok() bool    { return r.t != nil }
func (r cref) cell() *cell { return r.t.at(r.ci) }

// touch evaluates the two windows cell ci of t is part of; nb are the
// tables of the half-windows before and after t (nil when none).
func (w *windowed) touch(t *hbTable, ci int32, nb [2]*hbTable) {
	c := t.at(ci)
	k := c.key()
	thr, incl := w.thr, w.incl
	self := cref{t, ci}
	for side, o := range nb {
		if o == nil && w.released(t.hb-1+2*int64(side)) {
			// The other half was settled and released: judged on
			// this half alone, the window could only be wrong (a
			// one-way flow whose answers are gone).
			continue
		}
		// Skip the window when even the fullest cell of the other
		// half-window could not lift this one over the threshold.
		hopeless := true
		for d := range t.bound {
			m := w.metric(t, c, d)
			if m == 0 && w.kind == wUnidir {
				continue
			}
			var ob uint64
			if o != nil {
				ob = o.bound[d]
			}
			if sum := float64(m + ob); sum > thr || (incl && sum == thr) {
				hopeless = false
			}
		}
		if hopeless {
			continue
		}
		other := cref{}
		if o != nil {
			if oi := o.find(k, k.hash()); oi >= 0 {
				other = cref{o, oi}
			}
		}
		a, b := other, self
		x := t.hb - 1
		if side == 1 {
			a, b, x = self, other, t.hb
		}
		ok, dir, m := w.exceeds(a, b)
		if !ok {
			continue
		}
		lo, hi := x, x+1
		if !a.ok() {
			lo = x + 1
		}
		if !b.ok() {
			hi = x
		}
		e := w.episodeFor(k, dir, lo, hi)
		if m > e.peak {
			e.peak = m
			e.changed = true
		}
		if a.ok() {
			w.attach(a, e)
		}
		if b.ok() {
			w.attach(b, e)
		}
	}
	if c.ep == 0 {
		for _, d := range [2]uint8{0, 1} {
			if e := w.covering(k, d, t.hb); e != nil {
				w.attach(self, e)
				break
			}
		}
	}
	if c.ep != 0 {
		w.propagate(self)
	}
}

func epKey(k key, dir uint8) key { return key{k.a, k.b ^ uint64(dir)<<63} }

func (w *windowed) resolve(id int32) *episode {
	e := w.eps[id]
	for e.alias >= 0 {
		e = w.eps[e.alias]
	}
	return e
}

func (w *windowed) mayHave(ek key) bool {
	h := ek.hash() & (1<<16 - 1)
	return w.epBits[h>>6]&(1<<(h&63)) != 0
}

// covering returns the episode of k in direction dir whose run holds hb.
func (w *windowed) covering(k key, dir uint8, hb int64) *episode {
	ek := epKey(k, dir)
	if !w.mayHave(ek) {
		return nil
	}
	for _, id := range w.byKey[ek] {
		if e := w.eps[id]; e.h0 <= hb && hb <= e.h1 {
			return e
		}
	}
	return nil
}

// episodeFor returns the episode that half-windows lo..hi of k extend:
// one whose run they touch (merging runs they join), or a new one.
func (w *windowed) episodeFor(k key, dir uint8, lo, hi int64) *episode {
	ek := epKey(k, dir)
	ids := w.byKey[ek]
	var e *episode
	kept := ids[:0]
	for _, id := range ids {
		o := w.eps[id]
		if o.h1+1 < lo || hi+1 < o.h0 {
			kept = append(kept, id)
			continue
		}
		if e == nil {
			e = o
			kept = append(kept, id)
			continue
		}
		w.merge(e, o)
	}
	w.byKey[ek] = kept
	if e != nil {
		return e
	}
	e = &episode{id: int32(len(w.eps)), alias: -1, k: k, dir: dir, h0: lo, h1: hi,
		first: 1<<62 - 1, minRow: 1<<64 - 1, changed: true}
	e.fid = fmt.Sprintf("%s/%x.%x.%d/%d", w.spec.Name, k.a, k.b, dir, lo)
	w.eps = append(w.eps, e)
	w.byKey[ek] = append(w.byKey[ek], e.id)
	h := ek.hash() & (1<<16 - 1)
	w.epBits[h>>6] |= 1 << (h & 63)
	w.covered(lo, hi)
	return e
}

// merge folds o into e: their runs became one.
func (w *windowed) merge(e, o *episode) {
	for d := range e.flows {
		e.flows[d] += o.flows[d]
		e.bytes[d] += o.bytes[d]
	}
	e.rejects += o.rejects
	e.first, e.last = min(e.first, o.first), max(e.last, o.last)
	e.minRow, e.maxRow = min(e.minRow, o.minRow), max(e.maxRow, o.maxRow)
	e.h0, e.h1 = min(e.h0, o.h0), max(e.h1, o.h1)
	w.covered(e.h0, e.h1)
	e.peak = max(e.peak, o.peak)
	o.mem.each(e.mem.add)
	o.alias = e.id
	e.changed = true
	if o.shown {
		w.removed = append(w.removed, o.fid)
	}
}

// attach makes cell r part of episode e.
func (w *windowed) attach(r cref, e *episode) {
	c := r.cell()
	if c.ep != 0 {
		// Already in a run: episodeFor merged the runs e joins, so that
		// run is e (or, for unidirectional, the other direction's).
		return
	}
	c.ep = e.id + 1
	h0, h1 := e.h0, e.h1
	e.h0, e.h1 = min(e.h0, r.t.hb), max(e.h1, r.t.hb)
	w.covered(e.h0, h0-1) // what the run grew by, if anything
	w.covered(h1+1, e.h1)
	w.propagate(r)
}

// propagate adds what cell r gained since it last reported to its episode.
func (w *windowed) propagate(r cref) {
	c, t := r.cell(), r.t
	e := w.resolve(c.ep - 1)
	rep := t.reps[r.ci]
	now := contrib{c.flows, c.bytes, c.rejects, t.memberLen(c)}
	if now == rep {
		return
	}
	for d := range c.flows {
		e.flows[d] += uint64(c.flows[d] - rep.flows[d])
		e.bytes[d] += c.bytes[d] - rep.bytes[d]
	}
	e.rejects += uint64(c.rejects - rep.rejects)
	e.first, e.last = min(e.first, int64(c.first)), max(e.last, int64(c.last))
	e.minRow = min(e.minRow, uint64(c.minSeg)<<segShift)
	e.maxRow = max(e.maxRow, uint64(c.maxSeg)<<segShift|(1<<segShift-1))
	if now.mem != rep.mem {
		// Only what it gained: a cell of a busy sweep holds thousands of
		// hosts, and went over them all again at every segment.
		t.eachMemberSince(c, rep.mem, e.mem.add)
	}
	e.changed = true
	t.reps[r.ci] = now
}

func refFlows(r cref, d int) uint64 {
	if !r.ok() {
		return 0
	}
	return uint64(r.cell().flows[d])
}

func refBytes(r cref, d int) uint64 {
	if !r.ok() {
		return 0
	}
	return r.cell().bytes[d]
}

// unionLen is the number of distinct members of cells a and b.
func unionLen(a, b cref) int {
	switch {
	case !a.ok() && !b.ok():
		return 0
	case !a.ok():
		return b.t.memberLen(b.cell())
	case !b.ok():
		return a.t.memberLen(a.cell())
	}
	if a.t.memberLen(a.cell()) < b.t.memberLen(b.cell()) {
		a, b = b, a
	}
	ac := a.cell()
	n := a.t.memberLen(ac)
	b.t.eachMember(b.cell(), func(v uint32) {
		if !a.t.hasMember(ac, v) {
			n++
		}
	})
	return n
}

// exceeds reports whether the window of cells a and b (either may be
// missing) crosses the detection's threshold, in which direction, and
// the metric severity is judged by.
func (w *windowed) exceeds(a, b cref) (bool, uint8, float64) {
	switch w.kind {
	case wScan:
		n := float64(unionLen(a, b))
		return n > w.thr, 0, n
	case wSweep:
		n := float64(unionLen(a, b))
		flows := float64(refFlows(a, 0) + refFlows(b, 0))
		return n > w.thr && flows <= w.perHost*n, 0, n
	case wBrute:
		n := float64(refFlows(a, 0) + refFlows(b, 0))
		return n >= w.thr, 0, n
	case wExfil:
		n := float64(refBytes(a, 0) + refBytes(b, 0))
		return n > w.thr, 0, n
	case wUnidir:
		for d := 0; d < 2; d++ {
			n := float64(refBytes(a, d) + refBytes(b, d))
			if n > w.thr && refFlows(a, 1-d)+refFlows(b, 1-d) == 0 && float64(refFlows(a, d)+refFlows(b, d)) >= w.minFlows {
				return true, uint8(d), n
			}
		}
	case wBlocked:
		n := float64(refFlows(a, 0) + refFlows(a, 1) + refFlows(b, 0) + refFlows(b, 1))
		return n >= w.thr, 0, n
	}
	return false, 0, 0
}

// changedFindings builds the findings of the episodes changed since the
// last call, and returns the IDs of the ones merged away.
func (w *windowed) changedFindings() ([]*Finding, []string) {
	var out []*Finding
	for _, e := range w.eps {
		if e.alias >= 0 || !e.changed {
			continue
		}
		e.changed = false
		if !w.valid(e) {
			if e.shown {
				e.shown = false
				w.removed = append(w.removed, e.fid)
			}
			continue
		}
		e.shown = true
		out = append(out, w.finding(e))
	}
	rm := w.removed
	w.removed = nil
	return out, rm
}

// valid reports whether an episode still stands once all its records are
// in: a sweep whose hosts turn out to be probed again and again is a
// health checker, and one-way traffic that got answers is a conversation.
// Records arrive late and out of order, so both are judged again on
// every change, and a finding that no longer stands is withdrawn.
func (w *windowed) valid(e *episode) bool {
	switch w.kind {
	case wSweep:
		return float64(e.flows[0]) <= w.v.n("max-flows-per-host")*float64(e.mem.len())
	case wUnidir:
		return e.flows[1-e.dir] == 0
	}
	return true
}

func (w *windowed) addr(c uint32) netip.Addr {
	if int(c) < len(w.snap.Addrs) {
		return w.snap.Addrs[c]
	}
	return netip.Addr{}
}

// level grades metric m against thresholds lo (exclusive), med and high.
func level(m, lo, med, high float64, inclusive bool) Severity {
	above := func(x float64) bool {
		if inclusive {
			return m >= x
		}
		return m > x
	}
	switch {
	case above(high):
		return SevHigh
	case above(med):
		return SevMedium
	case above(lo):
		return SevLow
	}
	return SevLow
}

func (w *windowed) finding(e *episode) *Finding {
	v := w.v
	f := &Finding{ID: e.fid, Detection: w.spec.Name, Port: -1, First: e.first, Last: e.last,
		Flows: e.flows[0], Bytes: e.bytes[0], Rejected: e.rejects, Distinct: e.mem.len(),
		minRow: e.minRow, maxRow: e.maxRow}
	hi, lo := uint32(e.k.a>>32), uint32(e.k.a)
	var keyNodes []filter.Node
	switch w.kind {
	case wScan:
		f.Src, f.Dst = w.addr(hi), w.addr(lo)
		keyNodes = []filter.Node{eqAddr(model.FieldSrcAddr, f.Src), eqAddr(model.FieldDstAddr, f.Dst)}
		f.Severity = level(e.peak, v.n("ports"), v.n("medium-ports"), v.n("high-ports"), false)
		if IsPrivate(f.Src) {
			f.Severity = f.Severity.up()
		}
		f.Brief = fmt.Sprintf("%d ports", f.Distinct)
		f.say(f.Src.String(), fmt.Sprintf("probed %d ports of %s (%s flows, %s rejected; ports %s)",
			f.Distinct, f.Dst, model.HumanCount(f.Flows), model.HumanCount(f.Rejected), portSample(&e.mem)))
	case wSweep:
		f.Src = w.addr(uint32(e.k.a))
		f.Port, f.Proto = int(uint16(e.k.b)), uint8(e.k.b>>16)
		keyNodes = []filter.Node{eqAddr(model.FieldSrcAddr, f.Src), cmpNum(model.FieldProtocol, filter.OpEq, uint64(f.Proto)),
			cmpNum(model.FieldDstPort, filter.OpEq, uint64(f.Port))}
		f.Severity = level(e.peak, v.n("hosts"), v.n("medium-hosts"), v.n("high-hosts"), false)
		if IsPrivate(f.Src) {
			f.Severity = f.Severity.up()
		}
		f.Brief = rejectedBrief(f.Flows, f.Rejected)
		f.say(f.Src.String(), fmt.Sprintf("probed %s/%d%s on %d hosts (%s flows, %s rejected)",
			model.ProtocolName(f.Proto), f.Port, portLabel(f.Port), f.Distinct, model.HumanCount(f.Flows), model.HumanCount(f.Rejected)))
	case wBrute:
		f.Src, f.Dst, f.Port, f.Proto = w.addr(hi), w.addr(lo), int(e.k.b), 6
		keyNodes = []filter.Node{eqAddr(model.FieldSrcAddr, f.Src), eqAddr(model.FieldDstAddr, f.Dst),
			cmpNum(model.FieldDstPort, filter.OpEq, uint64(f.Port))}
		f.Severity = SevMedium
		if e.peak >= v.n("high-attempts") {
			f.Severity = SevHigh
		}
		if IsPrivate(f.Src) && e.rejects == 0 {
			f.Severity = SevLow
		}
		f.Brief = rejectedBrief(f.Flows, f.Rejected)
		f.say(f.Src.String(), fmt.Sprintf("made %s short or rejected connections to %s on %d%s (%s rejected; at most %s in %s)",
			model.HumanCount(f.Flows), f.Dst, f.Port, portLabel(f.Port), model.HumanCount(f.Rejected),
			strconv.FormatFloat(e.peak, 'f', 0, 64), v.text["window"]))
	case wExfil:
		f.Src, f.Dst = w.addr(hi), w.addr(lo)
		keyNodes = []filter.Node{eqAddr(model.FieldSrcAddr, f.Src), eqAddr(model.FieldDstAddr, f.Dst)}
		f.Severity = level(e.peak, v.n("bytes"), v.n("medium-bytes"), v.n("high-bytes"), false)
		f.Brief = model.HumanBytes(f.Bytes)
		f.say(f.Src.String(), fmt.Sprintf("sent %s to %s in %s flows (at most %s in %s)",
			model.HumanBytes(f.Bytes), f.Dst, model.HumanCount(f.Flows), model.HumanBytes(uint64(e.peak)), v.text["window"]))
	case wUnidir:
		f.Src, f.Dst = w.addr(hi), w.addr(lo)
		if e.dir == 1 {
			f.Src, f.Dst = f.Dst, f.Src
		}
		f.Flows, f.Bytes = e.flows[e.dir], e.bytes[e.dir]
		keyNodes = []filter.Node{eqAddr(model.FieldSrcAddr, f.Src), eqAddr(model.FieldDstAddr, f.Dst)}
		f.Severity = SevLow
		if model.IsPublic(f.Dst) {
			f.Severity = SevMedium
		}
		f.Brief = model.HumanBytes(f.Bytes)
		f.say(f.Src.String(), fmt.Sprintf("sent %s to %s in %s flows with nothing accepted coming back",
			model.HumanBytes(f.Bytes), f.Dst, model.HumanCount(f.Flows)))
	case wBlocked:
		f.Src, f.Dst = w.addr(hi), w.addr(lo)
		f.Port, f.Proto = int(uint16(e.k.b)), uint8(e.k.b>>16)
		f.Flows, f.Bytes = e.flows[0]+e.flows[1], e.bytes[0]+e.bytes[1]
		keyNodes = []filter.Node{cmpNum(model.FieldProtocol, filter.OpEq, uint64(f.Proto)), blockedPair(f.Src, f.Dst, uint16(f.Port))}
		f.Severity = level(e.peak, v.n("flows"), v.n("medium-flows"), v.n("high-flows"), true)
		blockedSummary(f, e.flows[0], e.flows[1])
	}
	rows := implied(w.rows, facts{f.Src, f.Dst})
	f.Evidence = and(append(append([]filter.Node{rows}, keyNodes...), timeRange(e.h0*w.hop, (e.h1+1)*w.hop)...)...)
	return f
}

// blockedPair selects the records of conversation client -> server:port
// as blocked-internal keys them: requests (not replies) to the port, and
// replies from it.
func blockedPair(client, server netip.Addr, port uint16) filter.Node {
	req := []filter.Node{eqAddr(model.FieldSrcAddr, client), eqAddr(model.FieldDstAddr, server),
		cmpNum(model.FieldDstPort, filter.OpEq, uint64(port))}
	if port >= 1024 {
		req = append(req, &filter.Not{X: servicePortsIn(model.FieldSrcPort)})
	}
	if !isServicePort[port] {
		return and(req...)
	}
	rep := and(eqAddr(model.FieldSrcAddr, server), eqAddr(model.FieldDstAddr, client),
		cmpNum(model.FieldSrcPort, filter.OpEq, uint64(port)), cmpNum(model.FieldDstPort, filter.OpGe, 1024))
	return or(and(req...), rep)
}

// servicePortsIn is "f in (1-1023, <service ports>)".
func servicePortsIn(f model.Field) filter.Node {
	vals := []filter.Lit{{Kind: filter.LitNum, Lo: 1, Hi: 1023}}
	for _, p := range servicePorts {
		vals = append(vals, filter.Lit{Kind: filter.LitNum, Lo: uint64(p), Hi: uint64(p)})
	}
	return &filter.Compare{Ref: ref(f), Op: filter.OpIn, Values: vals}
}

// blockedSummary says which way a blocked conversation's rejects went:
// rejected requests point at a security group or an ACL, rejected replies
// at an ACL only.
func blockedSummary(f *Finding, req, rep uint64) {
	svc := fmt.Sprintf("%s/%d%s", model.ProtocolName(f.Proto), f.Port, portLabel(f.Port))
	who := f.Src.String() + " -> " + f.Dst.String()
	switch {
	case rep == 0:
		f.Brief = "requests"
		f.say(who, fmt.Sprintf("%s: %s requests rejected (security group or network ACL)", svc, model.HumanCount(req)))
	case req == 0:
		f.Brief = "replies:ACL"
		f.say(who, fmt.Sprintf("%s: %s replies rejected (a network ACL: security groups never block replies)", svc, model.HumanCount(rep)))
	default:
		f.Brief = "req+replies"
		f.say(who, fmt.Sprintf("%s: %s requests and %s replies rejected", svc, model.HumanCount(req), model.HumanCount(rep)))
	}
}

// rejectedBrief says briefly whether probes or attempts got through: "all
// rej" when every one was rejected, else how many were accepted.
func rejectedBrief(flows, rejected uint64) string {
	if rejected >= flows {
		return "all rej"
	}
	return model.HumanCount(flows-rejected) + " acc"
}

func portLabel(p int) string {
	if p < 0 || p > 65535 {
		return ""
	}
	if n := model.PortName(uint16(p)); n != "" {
		return " (" + n + ")"
	}
	return ""
}

// portSample lists a few of a scan's ports, lowest first.
func portSample(m *members) string {
	var ps []int
	m.each(func(v uint32) { ps = append(ps, int(v)) })
	sort.Ints(ps)
	const show = 8
	s := ""
	for i, p := range ps {
		if i == show {
			s += fmt.Sprintf(", ... %d", ps[len(ps)-1])
			break
		}
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(p)
	}
	return s
}
