package model

import (
	"cmp"
	"fmt"
	"math/bits"
	"net/netip"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// denseLimit is the largest key space grouped through plain arrays; larger
// ones go through a hash map from composite key to group id.
var denseLimit uint64 = 1 << 22

// keyer maps rows to one key component: a code in [0, size), 0 = absent.
type keyer struct {
	k    GroupKey
	size uint64

	prefix []uint32 // address code -> prefix id, for Prefix keys; dictionary code -> label id, for Label keys
	pvals  []netip.Prefix
	labels []string // Label keys: label by id ("" at 0: absent)

	bucket0 int64 // time keys: index of the first bucket

	local map[uint64]uint32 // wide numeric keys: value -> code
	lvals []uint64

	// After the first pass of a multi-key group-by: remap turns a raw code
	// into a dense one, inv turns it back; n is the dense key space.
	remap []uint32
	inv   []uint32
	n     uint64
}

func newKeyer(snap *Snapshot, k GroupKey) *keyer {
	ky := &keyer{k: k}
	switch {
	case k.Label != nil && (k.Field.Kind() == KindAddr || k.Field.Kind() == KindString):
		ids := map[string]uint32{}
		ky.labels = []string{""}
		n := len(snap.Addrs)
		if k.Field.Kind() == KindString {
			n = len(snap.Strings(k.Field))
		}
		ky.prefix = make([]uint32, n)
		for c := 1; c < n; c++ {
			var l string
			if k.Field.Kind() == KindAddr {
				l = k.Label.LabelAddr(snap.Addrs[c])
			} else {
				l = k.Label.LabelString(k.Field, snap.Strings(k.Field)[c])
			}
			if l == "" {
				continue
			}
			id, ok := ids[l]
			if !ok {
				id = uint32(len(ky.labels))
				ids[l] = id
				ky.labels = append(ky.labels, l)
			}
			ky.prefix[c] = id
		}
		ky.size = uint64(len(ky.labels))
	case k.Field.Kind() == KindAddr && k.Prefix > 0:
		ids := map[netip.Prefix]uint32{}
		ky.prefix = make([]uint32, len(snap.Addrs))
		ky.pvals = []netip.Prefix{{}}
		for c, a := range snap.Addrs {
			if c == 0 {
				continue
			}
			n := k.Prefix
			if a.Is6() && n <= 32 {
				n = 64 // see ParseGroupKey
			}
			p, _ := a.Prefix(min(n, a.BitLen()))
			id, ok := ids[p]
			if !ok {
				id = uint32(len(ky.pvals))
				ids[p] = id
				ky.pvals = append(ky.pvals, p)
			}
			ky.prefix[c] = id
		}
		ky.size = uint64(len(ky.pvals))
	case k.Field.Kind() == KindAddr:
		ky.size = uint64(len(snap.Addrs))
	case k.Field.Kind() == KindString:
		ky.size = uint64(len(snap.Strings(k.Field)))
	case k.Field.Kind() == KindEnum:
		ky.size = uint64(len(EnumValues(k.Field)) + 1)
	case k.Bucket > 0:
		ky.bucket0 = snap.MinStart / k.Bucket
		ky.size = uint64(snap.MaxStart/k.Bucket-ky.bucket0) + 2
	case fieldInfo[k.Field].Max <= 65535:
		ky.size = fieldInfo[k.Field].Max + 2
	default:
		ky.local = map[uint64]uint32{}
		ky.lvals = []uint64{0}
		ky.size = 1 << 32
	}
	return ky
}

// codes writes the raw key codes of the rows (rs nil = rows 0..len(out)-1).
func (ky *keyer) codes(sg *Seg, rs []int32, out []uint32) {
	f := ky.k.Field
	row := func(j int) int {
		if rs == nil {
			return j
		}
		return int(rs[j])
	}
	switch f.Kind() {
	case KindAddr, KindString:
		cs := sg.Codes(f)
		switch {
		case cs == nil:
			clear(out)
		case rs == nil && ky.prefix == nil:
			copy(out, cs[:len(out)])
		case rs == nil:
			for j := range out {
				out[j] = ky.prefix[cs[j]]
			}
		default:
			for j, r := range rs {
				c := cs[r]
				if ky.prefix != nil {
					c = ky.prefix[c]
				}
				out[j] = c
			}
		}
	case KindEnum:
		es := sg.Enum(f)
		for j := range out {
			var c uint32
			if es != nil {
				c = uint32(es[row(j)])
			}
			out[j] = c
		}
	default:
		if col := sg.Num(f); col == nil {
			clear(out)
			return
		} else if ky.k.Bucket == 0 && ky.local == nil && (col.U8 != nil || col.U16 != nil && f != FieldEnd) {
			// narrow numbers: the value+1 is the code
			for j := range out {
				r := j
				if rs != nil {
					r = int(rs[j])
				}
				if col.Absent != nil && col.Absent[r>>6]&(1<<(uint(r)&63)) != 0 {
					out[j] = 0
				} else if col.U8 != nil {
					out[j] = uint32(col.U8[r]) + 1
				} else {
					out[j] = uint32(col.U16[r]) + 1
				}
			}
			return
		}
		for j := range out {
			var c uint32
			if v, ok := sg.Uint(f, row(j)); ok {
				switch {
				case ky.k.Bucket > 0:
					c = uint32(int64(v)/ky.k.Bucket-ky.bucket0) + 1
					if uint64(c) >= ky.size { // a row newer than the snapshot's bounds
						c = uint32(ky.size - 1)
					}
				case ky.local != nil:
					lc, seen := ky.local[v]
					if !seen {
						lc = uint32(len(ky.lvals))
						ky.local[v] = lc
						ky.lvals = append(ky.lvals, v)
					}
					c = lc
				default:
					c = uint32(v + 1)
				}
			}
			out[j] = c
		}
	}
}

// value turns a key code back into its printable value.
func (ky *keyer) value(snap *Snapshot, code uint64) KeyValue {
	if code == 0 {
		return KeyValue{Absent: true, Text: "-"}
	}
	f := ky.k.Field
	if ky.labels != nil {
		return KeyValue{Text: ky.labels[code]}
	}
	switch f.Kind() {
	case KindAddr:
		if ky.prefix != nil {
			p := ky.pvals[code]
			return KeyValue{Text: p.String(), Addr: p}
		}
		a := snap.Addrs[code]
		return KeyValue{Text: a.String(), Addr: netip.PrefixFrom(a, a.BitLen())}
	case KindString:
		return KeyValue{Text: snap.Strings(f)[code]}
	case KindEnum:
		return KeyValue{Text: EnumString(f, uint8(code)), Num: code}
	}
	var v uint64
	switch {
	case ky.k.Bucket > 0:
		t := (int64(code) - 1 + ky.bucket0) * ky.k.Bucket
		return KeyValue{Text: formatUnix(t), Num: uint64(t)}
	case ky.local != nil:
		v = ky.lvals[code]
	default:
		v = code - 1
	}
	return KeyValue{Text: strconv.FormatUint(v, 10), Num: v}
}

// grouper accumulates metrics per group id in parallel arrays.
type grouper struct {
	keyers  []*keyer
	dense   bool
	space   uint64   // the composite key space
	ids     *u64map  // composite -> group id (hash mode)
	comps   []uint64 // group id -> composite (hash mode)
	cnt     []uint64
	byt     []uint64
	pkt     []uint64
	rej     []uint64
	dfields []Field
	dsets   []*u64set           // per distinct metric: (group<<32 | value code)
	dlocal  []map[uint64]uint32 // per distinct metric on wide numbers: value -> code

	// Sums of bytes and packets are checked: bound[k] is an upper bound
	// of everything summed so far (saturating); while it stays below the
	// largest uint64 no group's sum can wrap and the plain loops run, after
	// that every addition is checked and saturates.
	bound     [2]uint64
	saturated [2]bool // a sum of bytes (0) or packets (1) saturated

	// Set by the partitioned path (partagg.go): the distinct counts of
	// each group by distinct metric, and the totals over every group
	// (the grouper then holds only the candidates for the answer).
	dcount [][]uint32
	totals *groupTotals

	sc *segScratch // a segment's selected rows, codes, composite keys and group ids
}

// segScratch is the scratch space of a goroutine grouping a segment: its
// selected rows, one key's codes, the composite keys and the group ids.
// It is pooled (see scatterers).
type segScratch struct {
	rows []int32
	raw  []uint32
	comp []uint64
	ids  []uint32
}

var segScratches = sync.Pool{New: func() any {
	return &segScratch{rows: make([]int32, 0, SegmentRows), raw: make([]uint32, SegmentRows),
		comp: make([]uint64, SegmentRows), ids: make([]uint32, SegmentRows)}
}}

// groupTotals are the totals over every group, when the grouper holds
// only some of them.
type groupTotals struct {
	groups             int
	cnt, byt, pkt, rej uint64
	distinct           []uint64 // distinct values, per distinct metric
}

// addSat returns a+b, or the largest uint64 and false when the sum wraps.
func addSat(a, b uint64) (uint64, bool) {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0), false
	}
	return s, true
}

// checked reports whether the sums of column c (0 bytes, 1 packets) must
// be checked before m more of its rows are added.
func (g *grouper) checked(k int, c *NumCol, m int) bool {
	inc := uint64(m) * esc32
	for _, o := range c.Over {
		inc, _ = addSat(inc, o.Value)
	}
	g.bound[k], _ = addSat(g.bound[k], inc)
	return g.bound[k] == ^uint64(0)
}

// Group runs a group-by over sel (nil = every row of snap), in phases:
//
//   - plan: check the query and make one keyer per key, which turns each
//     row into a dense code (a dictionary code, an address prefix id, a
//     bucket number, ...);
//   - shrink: with several keys (or a wide numeric key) keep only the
//     codes that occur, so the product of the key spaces, the composite
//     key, stays small enough for plain arrays in most cases;
//   - accumulate: add every selected row to its group, in arrays indexed
//     by the composite key (dense) or through group ids assigned
//     partition by partition (hash);
//   - result: rank the groups, keep the top N and turn keys into values.
func Group(snap *Snapshot, sel *Selection, q GroupQuery) (*GroupResult, error) {
	q, err := checkGroupQuery(q)
	if err != nil {
		return nil, err
	}
	if sel == nil {
		sel = SelectAll(snap)
	}
	g := planGroup(snap, q)
	defer segScratches.Put(g.sc)
	g.shrink(sel)
	if err := g.keySpace(q); err != nil {
		return nil, err
	}
	// Many groups, or distinct counts: the partitioned path.
	dk, part := g.partitionable(snap, q)
	part = part && (!g.dense || len(dk) > 0) && !weighted(sel)
	if q.MaxScratch > 0 {
		if err := g.checkScratch(snap, sel, q, dk, part); err != nil {
			return nil, err // scratch.go: --max-memory bounds the process
		}
	}
	if part {
		g.rawKeys()
		g.initMetrics(q.Metrics, 0, 0)
		g.accumulatePartitioned(snap, sel, q, dk)
		return g.result(snap, q), nil
	}
	g.accumulateUnpartitioned(sel, q)
	return g.result(snap, q), nil
}

// accumulateUnpartitioned adds every selected row to its group in arrays
// indexed by the composite key (dense) or through one table of group
// ids (hash), with hash sets of (group, value) for distinct counts.
func (g *grouper) accumulateUnpartitioned(sel *Selection, q GroupQuery) {
	g.size(sel, q)
	if g.dense {
		g.accumulateDense(sel)
	} else {
		g.accumulateHashed(sel)
	}
}

// weighted reports whether sel holds rows standing for many records (a
// streaming scan's partial groups, see Scan).
func weighted(sel *Selection) bool {
	for i := range sel.Segs {
		if sel.Segs[i].Seg.c.wt != nil {
			return true
		}
	}
	return false
}

// checkGroupQuery validates q and fills in its defaults.
func checkGroupQuery(q GroupQuery) (GroupQuery, error) {
	if len(q.Keys) == 0 || len(q.Keys) > 4 {
		return q, fmt.Errorf("group-by: want 1 to 4 keys, got %d", len(q.Keys))
	}
	if len(q.Metrics) == 0 {
		q.Metrics = []Metric{{Kind: MetricCount, Name: "count"}}
	}
	if q.Sort < 0 || q.Sort >= len(q.Metrics) {
		return q, fmt.Errorf("group-by: sort metric %d out of range", q.Sort)
	}
	return q, nil
}

// planGroup makes the keyers of q's keys and the grouper's scratch space.
func planGroup(snap *Snapshot, q GroupQuery) *grouper {
	g := &grouper{sc: segScratches.Get().(*segScratch)}
	for _, k := range q.Keys {
		g.keyers = append(g.keyers, newKeyer(snap, k))
	}
	return g
}

// segRows returns the selected rows of a segment, nil when all are (the
// grouper's scratch: valid until the next call), and their number.
func (g *grouper) segRows(ss *SegSel) ([]int32, int) {
	if ss.Bits == nil {
		return nil, ss.Seg.N
	}
	rs := selectedRows(ss, g.sc.rows[:0])
	return rs, len(rs)
}

// shrink is the first pass of a multi-key (or wide-key) group-by: it finds
// the codes in use, to shrink each key's space.
func (g *grouper) shrink(sel *Selection) {
	if g.rawDense() {
		return // the raw codes are small enough already
	}
	for _, ky := range g.keyers {
		if ky.local != nil { // the codes are given as values are met
			for si := range sel.Segs {
				ss := &sel.Segs[si]
				rs, m := g.segRows(ss)
				ky.codes(ss.Seg, rs, g.sc.raw[:m])
			}
			ky.n = uint64(len(ky.lvals))
			continue
		}
		used := g.usedCodes(sel, ky)
		ky.remap = make([]uint32, ky.size)
		for c, u := range used {
			if u {
				ky.remap[c] = uint32(len(ky.inv))
				ky.inv = append(ky.inv, uint32(c))
			}
		}
		ky.n = uint64(len(ky.inv))
	}
}

// rawDense sets every key's space to its raw size and reports true when
// that needs no first pass: a single key, or keys whose raw spaces
// multiply to no more than the dense limit (and no wide numeric key,
// whose codes are given as values are met).
func (g *grouper) rawDense() bool {
	space := uint64(1)
	for _, ky := range g.keyers {
		if ky.local != nil {
			return false
		}
		hi, lo := bits.Mul64(space, max(ky.size, 1))
		if hi != 0 {
			space = ^uint64(0)
			break
		}
		space = lo
	}
	if len(g.keyers) > 1 && space > denseLimit {
		return false
	}
	for _, ky := range g.keyers {
		ky.n = ky.size
	}
	return true
}

// usedCodes marks the codes of the key that the selection's rows have,
// on every core (each worker marks its own runs of segments).
func (g *grouper) usedCodes(sel *Selection, ky *keyer) []bool {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(sel.Segs)))
	marks := make([][]bool, workers)
	run(workers, func(w int) {
		used := make([]bool, ky.size)
		sc := segScratches.Get().(*segScratch)
		defer segScratches.Put(sc)
		rows, raw := sc.rows, sc.raw
		n := len(sel.Segs)
		for i := w * n / workers; i < (w+1)*n/workers; i++ {
			ss := &sel.Segs[i]
			var rs []int32
			m := ss.Seg.N
			if ss.Bits != nil {
				rs = selectedRows(ss, rows[:0])
				m = len(rs)
			}
			out := raw[:m]
			ky.codes(ss.Seg, rs, out)
			for _, c := range out {
				used[c] = true
			}
		}
		marks[w] = used
	})
	used := marks[0]
	for _, m := range marks[1:] {
		for c, u := range m {
			used[c] = used[c] || u
		}
	}
	return used
}

// size computes the composite key space, chooses dense or hash mode and
// allocates the metric arrays.
func (g *grouper) size(sel *Selection, q GroupQuery) {
	space := g.space
	n, capacity := 0, 0
	if g.dense {
		n = int(space)
		capacity = n
	} else {
		// Hash mode means a big key space; start the table and the group
		// arrays at a fair share of the rows so they do not grow their
		// way up.
		capacity = int(min(space, uint64(sel.Count)/4))
		g.comps = make([]uint64, 0, capacity)
	}
	g.initMetrics(q.Metrics, n, capacity)
}

// rawKeys drops the keys' remapping to the codes in use when the
// composite of the raw codes fits in 64 bits: only dense mode needs small
// codes, and the remapping costs a lookup per key and row.
func (g *grouper) rawKeys() {
	space := uint64(1)
	for _, ky := range g.keyers {
		if ky.local != nil {
			return
		}
		hi, lo := bits.Mul64(space, max(ky.size, 1))
		if hi != 0 {
			return
		}
		space = lo
	}
	for _, ky := range g.keyers {
		ky.remap, ky.inv, ky.n = nil, nil, ky.size
	}
	g.space = space
}

// keySpace computes the composite key space and whether it is small
// enough for dense mode.
func (g *grouper) keySpace(q GroupQuery) error {
	space := uint64(1)
	for _, ky := range g.keyers {
		hi, lo := bits.Mul64(space, max(ky.n, 1))
		if hi != 0 {
			return fmt.Errorf("group-by: the key space of %d keys is too large; use fewer or narrower keys", len(q.Keys))
		}
		space = lo
	}
	g.space = space
	g.dense = space <= denseLimit
	return nil
}

// initMetrics sizes the metric arrays the query needs to n groups (room
// for capacity) and sets up its distinct sets.
func (g *grouper) initMetrics(ms []Metric, n, capacity int) {
	need := map[MetricKind]bool{}
	for _, m := range ms {
		need[m.Kind] = true
		if m.Kind == MetricDistinct {
			g.dfields = append(g.dfields, m.Field)
			g.dsets = append(g.dsets, newU64set())
			g.dlocal = append(g.dlocal, map[uint64]uint32{})
		}
	}
	need[MetricRejects] = need[MetricRejects] || need[MetricRejectRatio]
	g.cnt = make([]uint64, n, capacity)
	if need[MetricBytes] {
		g.byt = make([]uint64, n, capacity)
	}
	if need[MetricPackets] {
		g.pkt = make([]uint64, n, capacity)
	}
	if need[MetricRejects] {
		g.rej = make([]uint64, n, capacity)
	}
}

// composite writes the composite key of each of the m rows (rs nil = the
// segment's first m rows).
func (g *grouper) composite(sg *Seg, rs []int32, c []uint64) {
	g.compositeInto(sg, rs, c, g.sc.raw)
}

// compositeInto is composite with scratch space of the caller's own, for
// goroutines that share the grouper.
func (g *grouper) compositeInto(sg *Seg, rs []int32, c []uint64, raw []uint32) {
	out := raw[:len(c)]
	for k, ky := range g.keyers {
		ky.codes(sg, rs, out)
		radix := max(ky.n, 1)
		switch {
		case k == 0 && ky.remap != nil: // the first key's code is the key so far
			for j, v := range out {
				c[j] = uint64(ky.remap[v])
			}
		case k == 0:
			for j, v := range out {
				c[j] = uint64(v)
			}
		case ky.remap != nil:
			for j, v := range out {
				c[j] = c[j]*radix + uint64(ky.remap[v])
			}
		default:
			for j, v := range out {
				c[j] = c[j]*radix + uint64(v)
			}
		}
	}
}

// accumulateDense adds every selected row to the group its composite key
// names directly.
func (g *grouper) accumulateDense(sel *Selection) {
	sc := segScratches.Get().(*segScratch) // g.sc is composite's
	defer segScratches.Put(sc)
	comp, gid := sc.comp, sc.ids
	single := g.keyers[0]
	for si := range sel.Segs {
		ss := &sel.Segs[si]
		sg := ss.Seg
		rs, m := g.segRows(ss)
		if m == 0 {
			continue
		}
		ids := gid[:m]
		switch {
		case len(g.keyers) > 1 || single.remap != nil:
			c := comp[:m]
			g.composite(sg, rs, c)
			for j, v := range c {
				ids[j] = uint32(v)
			}
		case rs == nil && single.prefix == nil && (single.k.Field.Kind() == KindAddr || single.k.Field.Kind() == KindString) && sg.Codes(single.k.Field) != nil:
			ids = sg.Codes(single.k.Field)[:m] // the hot path: codes are group ids
		default:
			single.codes(sg, rs, ids)
		}
		g.accumulate(sg, rs, ids)
	}
}

// accumulateHashed keeps every selected row's composite key, gives the
// keys group ids partition by partition, then adds the rows.
func (g *grouper) accumulateHashed(sel *Selection) {
	allKeys := make([]uint64, 0, sel.Count) // every row's composite key, in row order
	for si := range sel.Segs {
		ss := &sel.Segs[si]
		rs, m := g.segRows(ss)
		if m == 0 {
			continue
		}
		n := len(allKeys)
		allKeys = allKeys[:n+m]
		g.composite(ss.Seg, rs, allKeys[n:])
	}
	allIDs := g.assignPartitioned(allKeys)
	off := 0
	for si := range sel.Segs {
		ss := &sel.Segs[si]
		rs, m := g.segRows(ss)
		if m == 0 {
			continue
		}
		g.accumulate(ss.Seg, rs, allIDs[off:off+m])
		off += m
	}
}

// assignPartitioned gives every composite key its group id (creating
// groups) and returns the ids in row order. With many distinct keys a
// single hash table misses the cache on nearly every row; the rows are
// first scattered into partitions by hash, so that each partition's table
// stays small enough for the cache, then each partition is resolved.
func (g *grouper) assignPartitioned(keys []uint64) []uint32 {
	ids := make([]uint32, len(keys))
	pbits := 0
	for n := len(keys) / 16384; n > 1 && pbits < 10; n >>= 1 {
		pbits++
	}
	if pbits == 0 {
		g.lookup(keys, ids)
		return ids
	}
	parts := 1 << pbits
	mask := uint64(parts - 1)
	// The partition comes from the hash's middle bits; the tables index by
	// its top bits, which must still vary inside a partition.
	part := func(k uint64) uint64 { return hash64(k) >> 32 & mask }
	start := make([]int, parts+1)
	for _, k := range keys {
		start[part(k)+1]++
	}
	for p := 1; p <= parts; p++ {
		start[p] += start[p-1]
	}
	pkeys := make([]uint64, len(keys))
	prow := make([]uint32, len(keys))
	next := append([]int(nil), start[:parts]...)
	for o, k := range keys {
		p := part(k)
		pkeys[next[p]], prow[next[p]] = k, uint32(o)
		next[p]++
	}
	local := newU64map(2 * len(keys) / parts)
	for p := 0; p < parts; p++ {
		local.reset()
		base := uint32(len(g.comps))
		for x := start[p]; x < start[p+1]; x++ {
			id, _ := local.getOrPut(pkeys[x], uint32(local.n))
			ids[prow[x]] = base + id
		}
		// the partition's groups, in id order
		if p == 0 { // partitions are alike: size for all of them at once
			g.comps = slices.Grow(g.comps, local.n*parts+local.n*parts/8)
		}
		g.comps = append(g.comps, make([]uint64, local.n)...)
		for i, v := range local.vals {
			if v != 0 {
				g.comps[base+v-1] = local.keys[i]
			}
		}
	}
	// size the metric arrays once, now that the groups are known
	n := len(g.comps)
	g.cnt = make([]uint64, n)
	if g.byt != nil {
		g.byt = make([]uint64, n)
	}
	if g.pkt != nil {
		g.pkt = make([]uint64, n)
	}
	if g.rej != nil {
		g.rej = make([]uint64, n)
	}
	return ids
}

// newGroup appends a group with composite key c (hash mode).
func (g *grouper) newGroup(c uint64) {
	g.comps = append(g.comps, c)
	g.cnt = append(g.cnt, 0)
	if g.byt != nil {
		g.byt = append(g.byt, 0)
	}
	if g.pkt != nil {
		g.pkt = append(g.pkt, 0)
	}
	if g.rej != nil {
		g.rej = append(g.rej, 0)
	}
}

// selectedRows lists the selected rows of a segment.
func selectedRows(ss *SegSel, out []int32) []int32 {
	words := (ss.Seg.N + 63) >> 6
	for w := 0; w < words; w++ {
		word := ss.Bits[w]
		for word != 0 {
			t := bits.TrailingZeros64(word)
			i := w*64 + t
			if i >= ss.Seg.N {
				break
			}
			out = append(out, int32(i))
			word &= word - 1
		}
	}
	return out
}

// lookup maps composite keys to group ids, creating groups (hash mode).
func (g *grouper) lookup(comp []uint64, ids []uint32) {
	if g.ids == nil {
		g.ids = newU64map(len(comp))
	}
	last, lastID := ^uint64(0), uint32(0)
	for j, c := range comp {
		if c == last {
			ids[j] = lastID
			continue
		}
		id, ok := g.ids.getOrPut(c, uint32(len(g.comps)))
		if !ok {
			g.newGroup(c)
		}
		ids[j] = id
		last, lastID = c, id
	}
}

// accumulate adds the rows (rs nil = rows 0..len(ids)-1) to their groups.
func (g *grouper) accumulate(sg *Seg, rs []int32, ids []uint32) {
	if wt := sg.c.wt; wt != nil {
		g.addWeighted(wt, rs, ids)
		g.addDistinct(sg, rs, ids)
		return
	}
	byt := g.byt
	bc, pc := sg.Num(FieldBytes), sg.Num(FieldPackets)
	checkB := byt != nil && bc != nil && g.checked(0, bc, len(ids))
	checkP := g.pkt != nil && pc != nil && g.checked(1, pc, len(ids))
	if rs == nil && byt != nil && bc != nil && bc.Over == nil && !checkB {
		// the common case, fused: counts and byte sums in one pass
		vals := bc.U32[:len(ids)]
		cnt := g.cnt
		for j, id := range ids {
			cnt[id]++
			byt[id] += uint64(vals[j])
		}
		byt = nil
	} else {
		for _, id := range ids {
			g.cnt[id]++
		}
	}
	sum := func(dst []uint64, c *NumCol, check bool, k int) {
		if dst == nil || c == nil {
			return
		}
		for j, id := range ids {
			r := j
			if rs != nil {
				r = int(rs[j])
			}
			v := uint64(c.U32[r])
			if v == esc32 {
				v = c.overflow(r)
			}
			if !check {
				dst[id] += v
				continue
			}
			var ok bool
			if dst[id], ok = addSat(dst[id], v); !ok {
				g.saturated[k] = true
			}
		}
	}
	sum(byt, bc, checkB, 0)
	sum(g.pkt, pc, checkP, 1)
	if act := sg.Enum(FieldAction); g.rej != nil && act != nil {
		for j, id := range ids {
			r := j
			if rs != nil {
				r = int(rs[j])
			}
			if act[r] == uint8(ActionReject) {
				g.rej[id]++
			}
		}
	}
	g.addDistinct(sg, rs, ids)
}

// addDistinct adds the rows' values of the distinct metrics' fields to
// their groups' sets.
func (g *grouper) addDistinct(sg *Seg, rs []int32, ids []uint32) {
	for d, f := range g.dfields {
		set, local := g.dsets[d], g.dlocal[d]
		row := func(j int) int {
			if rs != nil {
				return int(rs[j])
			}
			return j
		}
		switch f.Kind() {
		case KindAddr, KindString, KindEnum:
			// codes read straight from the column
			if cs := sg.Codes(f); cs != nil {
				for j, id := range ids {
					if c := cs[row(j)]; c != 0 {
						set.add(uint64(id)<<32 | uint64(c))
					}
				}
			} else if es := sg.Enum(f); es != nil {
				for j, id := range ids {
					if c := es[row(j)]; c != 0 {
						set.add(uint64(id)<<32 | uint64(c))
					}
				}
			}
			continue
		}
		for j, id := range ids {
			v, ok := sg.Uint(f, row(j))
			if !ok {
				continue
			}
			if v > 1<<31-1 {
				lc, seen := local[v]
				if !seen {
					lc = uint32(len(local))
					local[v] = lc
				}
				v = uint64(lc) | 1<<31 // wide values get their own code space
			}
			set.add(uint64(id)<<32 | v)
		}
	}
}

// addWeighted adds rows that each stand for many records (the partial
// groups a streaming scan merges, see Scan): their weights rather than
// one record's values. Rows past the weights stand for no record; they
// only carry distinct values.
func (g *grouper) addWeighted(wt *segWeights, rs []int32, ids []uint32) {
	for j, id := range ids {
		r := j
		if rs != nil {
			r = int(rs[j])
		}
		if r >= len(wt.cnt) {
			continue
		}
		g.cnt[id] += wt.cnt[r]
		var ok bool
		if g.byt != nil {
			if g.byt[id], ok = addSat(g.byt[id], wt.byt[r]); !ok {
				g.saturated[0] = true
			}
		}
		if g.pkt != nil {
			if g.pkt[id], ok = addSat(g.pkt[id], wt.pkt[r]); !ok {
				g.saturated[1] = true
			}
		}
		if g.rej != nil {
			g.rej[id] += wt.rej[r]
		}
	}
}

// result ranks the groups and builds the answer.
func (g *grouper) result(snap *Snapshot, q GroupQuery) *GroupResult {
	ngroups := len(g.cnt)
	distinct := g.dcount
	t := g.totals
	if t == nil {
		t = &groupTotals{}
		distinct = make([][]uint32, len(g.dfields))
		for d := range g.dfields {
			distinct[d] = make([]uint32, ngroups)
			all := newU64set()
			g.dsets[d].each(func(k uint64) {
				distinct[d][k>>32]++
				all.add(k & (1<<32 - 1))
			})
			t.distinct = append(t.distinct, uint64(all.n))
		}
	}
	// exact is an integral metric's value for a group; float its value
	// as GroupRow.Vals holds it (reject-ratio is the one fraction).
	exact := func(id int, mi int) uint64 {
		switch m := q.Metrics[mi]; m.Kind {
		case MetricCount:
			return g.cnt[id]
		case MetricBytes:
			return g.byt[id]
		case MetricPackets:
			return g.pkt[id]
		case MetricRejects:
			return g.rej[id]
		case MetricDistinct:
			return uint64(distinct[distinctIndex(q.Metrics, mi)][id])
		}
		return 0
	}
	float := func(id int, mi int) float64 {
		if q.Metrics[mi].Kind == MetricRejectRatio {
			return float64(g.rej[id]) / float64(g.cnt[id])
		}
		return float64(exact(id, mi))
	}
	comp := func(id int) uint64 {
		if g.dense {
			return uint64(id)
		}
		return g.comps[id]
	}

	res := &GroupResult{Query: q, Totals: make([]float64, len(q.Metrics)), TotalInts: make([]uint64, len(q.Metrics)), Saturated: make([]bool, len(q.Metrics))}
	idx := make([]int, 0, ngroups)
	for id := 0; id < ngroups; id++ {
		if g.cnt[id] != 0 {
			idx = append(idx, id)
		}
	}
	if g.totals == nil {
		t.groups = len(idx)
		for _, id := range idx {
			t.cnt += g.cnt[id]
			// a sum that saturated (here or in a partial sum) ends at the max
			if g.byt != nil {
				t.byt, _ = addSat(t.byt, g.byt[id])
			}
			if g.pkt != nil {
				t.pkt, _ = addSat(t.pkt, g.pkt[id])
			}
			if g.rej != nil {
				t.rej += g.rej[id]
			}
		}
	}
	cnt, byt, pkt, rej := t.cnt, t.byt, t.pkt, t.rej
	res.Groups, res.Count = t.groups, int(cnt)
	for mi, m := range q.Metrics {
		switch m.Kind {
		case MetricCount:
			res.TotalInts[mi] = cnt
		case MetricBytes:
			res.TotalInts[mi] = byt
			res.Saturated[mi] = g.saturated[0] || byt == ^uint64(0)
		case MetricPackets:
			res.TotalInts[mi] = pkt
			res.Saturated[mi] = g.saturated[1] || pkt == ^uint64(0)
		case MetricRejects:
			res.TotalInts[mi] = rej
		case MetricRejectRatio:
			if cnt > 0 {
				res.Totals[mi] = float64(rej) / float64(cnt)
			}
			continue
		case MetricDistinct:
			res.TotalInts[mi] = t.distinct[distinctIndex(q.Metrics, mi)]
		}
		res.Totals[mi] = float64(res.TotalInts[mi])
	}

	less := func(a, b int) bool { // a ranks before b
		if q.Metrics[q.Sort].Integral() {
			if va, vb := exact(a, q.Sort), exact(b, q.Sort); va != vb {
				return (va > vb) != q.Asc
			}
		} else if va, vb := float(a, q.Sort), float(b, q.Sort); va != vb {
			return (va > vb) != q.Asc
		}
		// Ties rank by key value, not by code: codes follow the order
		// rows arrived in, which differs between runs over several
		// sources and between the index and a streaming scan.
		return g.compareKeys(snap, comp(a), comp(b)) < 0
	}
	top := q.Top
	if top <= 0 || top > len(idx) {
		top = len(idx)
	}
	if top < len(idx)/4 {
		idx = topN(idx, top, less)
	} else {
		sort.Slice(idx, func(i, j int) bool { return less(idx[i], idx[j]) })
		idx = idx[:top]
	}
	for _, id := range idx {
		row := GroupRow{Key: make([]KeyValue, len(g.keyers)), Vals: make([]float64, len(q.Metrics)), Ints: make([]uint64, len(q.Metrics))}
		c := comp(id)
		for k := len(g.keyers) - 1; k >= 0; k-- {
			ky := g.keyers[k]
			radix := max(ky.n, 1)
			code := c % radix
			if ky.inv != nil {
				code = uint64(ky.inv[code])
			}
			row.Key[k] = ky.value(snap, code)
			c /= radix
		}
		for mi := range q.Metrics {
			row.Vals[mi] = float(id, mi)
			row.Ints[mi] = exact(id, mi)
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

// compareKeys orders two groups by their key values, the first key
// first (see keyer.compare).
func (g *grouper) compareKeys(snap *Snapshot, ca, cb uint64) int {
	var da, db [4]uint64
	for k := len(g.keyers) - 1; k >= 0; k-- {
		radix := max(g.keyers[k].n, 1)
		da[k], db[k] = ca%radix, cb%radix
		ca, cb = ca/radix, cb/radix
	}
	for k, ky := range g.keyers {
		if c := ky.compare(snap, da[k], db[k]); c != 0 {
			return c
		}
	}
	return 0
}

// compare orders two codes of the key by the values they stand for:
// absent first, then numbers and times ascending, enums in their declared
// order, addresses and prefixes in netip order (IPv4 first), strings
// bytewise.
func (ky *keyer) compare(snap *Snapshot, a, b uint64) int {
	if ky.inv != nil {
		a, b = uint64(ky.inv[a]), uint64(ky.inv[b])
	}
	switch {
	case a == b:
		return 0
	case a == 0:
		return -1
	case b == 0:
		return 1
	}
	switch f := ky.k.Field; {
	case ky.labels != nil:
		return strings.Compare(ky.labels[a], ky.labels[b])
	case ky.prefix != nil:
		pa, pb := ky.pvals[a], ky.pvals[b]
		if c := pa.Addr().Compare(pb.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(pa.Bits(), pb.Bits())
	case f.Kind() == KindAddr:
		return snap.Addrs[a].Compare(snap.Addrs[b])
	case f.Kind() == KindString:
		strs := snap.Strings(f)
		return strings.Compare(strs[a], strs[b])
	case ky.local != nil:
		return cmp.Compare(ky.lvals[a], ky.lvals[b])
	}
	return cmp.Compare(a, b) // the code order is the value order
}

func distinctIndex(ms []Metric, mi int) int {
	n := 0
	for i := 0; i < mi; i++ {
		if ms[i].Kind == MetricDistinct {
			n++
		}
	}
	return n
}

// rowReader reads bytes, packets and action of rows quickly.
type rowReader struct {
	bytes, packets *NumCol
	action         []uint8
}

func (r *rowReader) reset(sg *Seg) {
	r.bytes, r.packets, r.action = sg.Num(FieldBytes), sg.Num(FieldPackets), sg.Enum(FieldAction)
}

// colSum reads a packets/bytes value for summing; absent rows hold 0.
func colSum(c *NumCol, i int) uint64 {
	if c == nil {
		return 0
	}
	v := c.U32[i]
	if v == esc32 {
		return c.overflow(i)
	}
	return uint64(v)
}
