package filter

import (
	"math/bits"
	"sort"

	"github.com/flowlens/flowlens/model"
)

// blockWords is the number of bitmap words evaluated at a time (4096 rows):
// small enough that every intermediate bitmap stays in L1.
const blockWords = 64

// sparseMax is the most selected rows of a word for which a dictionary
// lookup visits only those rows instead of all 64 (measured: sparse wins
// below about 15% of the rows).
const sparseMax = 10

// Eval selects the rows of snap that match the filter. With prev nil it
// evaluates every row. Otherwise prev must be an earlier result of the same
// filter on an earlier (or the same) snapshot of the same index: only rows
// at or after prev.End are evaluated, segments evicted since (Base <
// snap.First) are dropped, and the bitmaps of segments that did not change
// are shared with prev (a segment that grew gets a copy). Segments without
// a match are left out; a segment whose every row matches has nil Bits.
// Eval never modifies prev and is safe to call concurrently.
func (f *Filter) Eval(snap *model.Snapshot, prev *model.Selection) *model.Selection {
	if snap == nil {
		return model.NewSelection(nil, 0)
	}
	if f.prog == nil || f.prog.kind == cTrue {
		return model.SelectAll(snap)
	}
	if f.prog.kind == cFalse {
		return model.NewSelection(nil, snap.End)
	}
	if prev != nil && prev.End > snap.End {
		prev = nil
	}
	ec := f.newEvalCtx(snap)
	segs := make([]model.SegSel, 0, len(snap.Segs))
	pi := 0
	for _, sg := range snap.Segs {
		from := 0
		var old *model.SegSel
		if prev != nil {
			for pi < len(prev.Segs) && prev.Segs[pi].Seg.Base < sg.Base {
				pi++
			}
			if pi < len(prev.Segs) && prev.Segs[pi].Seg.Base == sg.Base {
				old = &prev.Segs[pi]
			}
			if prev.End > sg.Base {
				from = int(min(prev.End-sg.Base, uint64(sg.N)))
			}
		}
		if from == sg.N {
			if old != nil {
				segs = append(segs, model.SegSel{Seg: sg, Bits: old.Bits, Count: old.Count})
			}
			continue
		}
		words := (sg.N + 63) / 64
		bm := make([]uint64, words)
		if w := from / 64; w > 0 && old != nil {
			if old.Bits == nil {
				for i := 0; i < w; i++ {
					bm[i] = all64
				}
			} else {
				copy(bm[:w], old.Bits)
			}
		}
		ec.evalSeg(sg, from, bm)
		count := 0
		for _, w := range bm {
			count += bits.OnesCount64(w)
		}
		switch count {
		case 0:
		case sg.N:
			segs = append(segs, model.SegSel{Seg: sg, Count: count})
		default:
			segs = append(segs, model.SegSel{Seg: sg, Bits: bm, Count: count})
		}
	}
	return model.NewSelection(segs, snap.End)
}

// evalCtx is the state of one Eval call.
type evalCtx struct {
	f       *Filter
	snap    *model.Snapshot
	code    []codeView // by leaf id, for code leaves
	extraID []int      // by leaf id, for unknown fields
	src     [][]bool   // by leaf id, for source leaves: match per source id
	scratch [][]uint64 // two block buffers per nesting depth, for or
	maskBuf []uint64   // a leaf's mask when it is also the leaf's output
}

func (f *Filter) newEvalCtx(snap *model.Snapshot) *evalCtx {
	ec := &evalCtx{f: f, snap: snap, maskBuf: make([]uint64, blockWords)}
	n := len(f.leaves)
	ec.code = make([]codeView, n)
	ec.extraID = make([]int, n)
	ec.src = make([][]bool, n)
	for _, l := range f.leaves {
		switch l.kind {
		case lCode:
			ec.code[l.id], ec.extraID[l.id] = l.codeTable(snap)
		case lSource:
			m := make([]bool, len(snap.Sources))
			for i := range snap.Sources {
				m[i] = l.pred.str(snap.Sources[i].Name)
			}
			ec.src[l.id] = m
		}
	}
	return ec
}

func (ec *evalCtx) buf(i int) []uint64 {
	for len(ec.scratch) <= i {
		ec.scratch = append(ec.scratch, make([]uint64, blockWords))
	}
	return ec.scratch[i]
}

// evalSeg writes the match bits of rows [from, sg.N) into bm; words before
// from/64 are left alone. Whole words go through the column kernels, the
// last partial word (only in the segment being written) row by row.
func (ec *evalCtx) evalSeg(sg *model.Seg, from int, bm []uint64) {
	full := sg.N / 64
	for w := from / 64; w < full; w += blockWords {
		w1 := min(w+blockWords, full)
		ec.node(ec.f.prog, sg, w, w1, nil, bm[w:w1], 0)
	}
	if tail := full * 64; tail < sg.N {
		var word uint64
		for i := tail; i < sg.N; i++ {
			if ec.row(ec.f.prog, sg, i) {
				word |= 1 << (i & 63)
			}
		}
		bm[full] = word
	}
}

// node evaluates n over words [w0, w1) of sg: out[i] = match & mask[i]
// (mask nil: all rows). out may be mask itself.
func (ec *evalCtx) node(n *cnode, sg *model.Seg, w0, w1 int, mask, out []uint64, depth int) {
	switch n.kind {
	case cTrue:
		if mask == nil {
			fillConst(true, nil, out)
		} else {
			copy(out, mask)
		}
	case cFalse:
		clear(out)
	case cLeaf:
		ec.leaf(n.leaf, sg, w0, w1, mask, out)
	case cAnd:
		ec.node(n.kids[0], sg, w0, w1, mask, out, depth+1)
		for _, k := range n.kids[1:] {
			var any uint64
			for _, w := range out {
				any |= w
			}
			if any == 0 {
				return
			}
			ec.node(k, sg, w0, w1, out, out, depth+1)
		}
	case cOr:
		m := mask
		if mask != nil { // keep the mask: out may be the same buffer
			m = ec.buf(2 * depth)[:len(out)]
			copy(m, mask)
		}
		tmp := ec.buf(2*depth + 1)[:len(out)]
		ec.node(n.kids[0], sg, w0, w1, m, out, depth+1)
		for _, k := range n.kids[1:] {
			var any uint64
			for i := range tmp {
				t := ^out[i]
				if m != nil {
					t &= m[i]
				}
				tmp[i] = t
				any |= t
			}
			if any == 0 {
				return
			}
			ec.node(k, sg, w0, w1, tmp, tmp, depth+1)
			for i := range out {
				out[i] |= tmp[i]
			}
		}
	}
}

// constLeaf fills out for a segment that lacks the leaf's column.
func constLeaf(v bool, mask, out []uint64) {
	if v && mask != nil {
		copy(out, mask)
		return
	}
	fillConst(v, nil, out)
}

// leaf evaluates one leaf over whole words [w0, w1) of sg.
func (ec *evalCtx) leaf(l *leaf, sg *model.Seg, w0, w1 int, mask, out []uint64) {
	if mask != nil && &mask[0] == &out[0] {
		// kernels write raw words before applying the mask: keep a copy
		m := ec.maskBuf[:len(out)]
		copy(m, mask)
		mask = m
	}
	switch l.kind {
	case lU8:
		c := sg.Num(l.field)
		if c == nil || c.U8 == nil {
			constLeaf(l.absent, mask, out)
			return
		}
		l.k.run8(c.U8, w0, w1, mask, out)
		finish(out, mask, c.Absent, w0, l.k.inv, l.absent)
	case lU16:
		c := sg.Num(l.field)
		if c == nil || c.U16 == nil {
			constLeaf(l.absent, mask, out)
			return
		}
		l.k.run16(c.U16, w0, w1, mask, out)
		patchOver(c.Over, w0, w1, out, func(v uint64) bool { return l.pred.num(v) != l.k.inv })
		finish(out, mask, c.Absent, w0, l.k.inv, l.absent)
	case lU32:
		c := sg.Num(l.field)
		if c == nil || c.U32 == nil {
			constLeaf(l.absent, mask, out)
			return
		}
		l.k.run32(c.U32, w0, w1, mask, out)
		patchOver(c.Over, w0, w1, out, func(v uint64) bool { return l.pred.num(v) != l.k.inv })
		finish(out, mask, c.Absent, w0, l.k.inv, l.absent)
	case lEnd:
		ec.end(l, sg, w0, w1, mask, out)
	case lEnum:
		vals := sg.Enum(l.field)
		if vals == nil {
			constLeaf(l.k.base(0) != l.k.inv, mask, out)
			return
		}
		l.k.run8(vals, w0, w1, mask, out)
		finish(out, mask, nil, w0, l.k.inv, false)
	case lCode:
		ec.codes(l, sg, w0, w1, mask, out)
	case lSource:
		ec.source(l, sg, w0, w1, mask, out)
	}
}

// patchOver recomputes the base bit of rows whose value overflowed its
// column (stored as an escape value) from the real value.
func patchOver(over []model.Overflow, w0, w1 int, out []uint64, base func(uint64) bool) {
	if len(over) == 0 {
		return
	}
	lo, hi := uint32(w0*64), uint32(w1*64)
	k := sort.Search(len(over), func(i int) bool { return over[i].Row >= lo })
	for ; k < len(over) && over[k].Row < hi; k++ {
		r := over[k].Row
		i, b := int(r/64)-w0, uint64(1)<<(r&63)
		if base(over[k].Value) {
			out[i] |= b
		} else {
			out[i] &^= b
		}
	}
}

// end evaluates a leaf on end, stored as a uint16 delta from start.
func (ec *evalCtx) end(l *leaf, sg *model.Seg, w0, w1 int, mask, out []uint64) {
	c := sg.Num(model.FieldEnd)
	if c == nil || c.U16 == nil {
		constLeaf(l.absent, mask, out)
		return
	}
	var start []uint32
	if s := sg.Num(model.FieldStart); s != nil {
		start = s.U32
	}
	k := &l.k
	for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
		if mask != nil && mask[i] == 0 {
			out[i] = 0
			continue
		}
		d := (*[64]uint16)(c.U16[w*64:])
		var st *[64]uint32
		if start != nil {
			st = (*[64]uint32)(start[w*64:])
		}
		var m uint64
		for j := 63; j >= 0; j-- {
			v := uint64(d[j])
			if st != nil {
				v += uint64(st[j])
			}
			m <<= 1
			if k.base(v) != k.inv {
				m |= 1
			}
		}
		out[i] = m
	}
	patchOver(c.Over, w0, w1, out, l.pred.num)
	finish(out, mask, c.Absent, w0, false, l.absent)
}

// codes evaluates a leaf on a dictionary-coded column.
func (ec *evalCtx) codes(l *leaf, sg *model.Seg, w0, w1 int, mask, out []uint64) {
	cv := &ec.code[l.id]
	vals := ec.codeCol(l, sg)
	if vals == nil {
		constLeaf(cv.match(0), mask, out)
		return
	}
	switch cv.kind {
	case cvNone, cvAll:
		constLeaf(cv.kind == cvAll, mask, out)
		return
	case cvEq, cvNe, cvNe2:
		a, b := cv.a, cv.b
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint32)(vals[w*64:])
			switch cv.kind {
			case cvEq: // code == a: a range of one
				out[i] = rng32w(v, a, 1)
			case cvNe:
				out[i] = ^rng32w(v, a, 1)
			default:
				out[i] = ^(rng32w(v, a, 1) | rng32w(v, b, 1))
			}
		}
	case cvTab:
		tab := cv.tab.bits
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			v := (*[64]uint32)(vals[w*64:])
			if mask != nil {
				mk := mask[i]
				if mk == 0 {
					out[i] = 0
					continue
				}
				if bits.OnesCount64(mk) <= sparseMax { // look up selected rows only
					out[i] = tabSparse(v, tab, mk)
					continue
				}
			}
			out[i] = tabWord(v, tab)
		}
	}
	finish(out, mask, nil, w0, false, false)
}

// tabSparse looks up the codes of the rows of mk in a code bitmap.
func tabSparse(v *[64]uint32, tab []uint64, mk uint64) uint64 {
	var m uint64
	for ; mk != 0; mk &= mk - 1 {
		x := v[bits.TrailingZeros64(mk)&63]
		m |= mk & -mk & -(tab[x>>6] >> (x & 63) & 1)
	}
	return m
}

// tabWord looks 64 codes up in a code bitmap. Four accumulators keep the
// shift-or chains short.
func tabWord(v *[64]uint32, tab []uint64) uint64 {
	var m0, m1, m2, m3 uint64
	for j := 15; j >= 0; j-- {
		x0, x1, x2, x3 := v[j], v[j+16], v[j+32], v[j+48]
		m0 = m0<<1 | tab[x0>>6]>>(x0&63)&1
		m1 = m1<<1 | tab[x1>>6]>>(x1&63)&1
		m2 = m2<<1 | tab[x2>>6]>>(x2&63)&1
		m3 = m3<<1 | tab[x3>>6]>>(x3&63)&1
	}
	return m0 | m1<<16 | m2<<32 | m3<<48
}

func (ec *evalCtx) codeCol(l *leaf, sg *model.Seg) []uint32 {
	if l.dict == dExtra {
		if id := ec.extraID[l.id]; id >= 0 {
			return sg.ExtraCodes(id)
		}
		return nil
	}
	return sg.Codes(l.field)
}

// source evaluates a leaf on the source name, run by run.
func (ec *evalCtx) source(l *leaf, sg *model.Seg, w0, w1 int, mask, out []uint64) {
	clear(out)
	match := ec.src[l.id]
	runs := sg.Runs()
	lo, hi := w0*64, w1*64
	for k, r := range runs {
		end := sg.N
		if k+1 < len(runs) {
			end = int(runs[k+1].Row)
		}
		a, b := max(int(r.Row), lo), min(end, hi)
		if a >= b || int(r.Source) >= len(match) || !match[r.Source] {
			continue
		}
		setRange(out, a-lo, b-lo)
	}
	finish(out, mask, nil, w0, false, false)
}

// setRange sets bits [a, b) of bm.
func setRange(bm []uint64, a, b int) {
	for a < b {
		w := a / 64
		s := a & 63
		e := min(64, s+(b-a))
		bm[w] |= (all64 >> (64 - (e - s))) << s
		a += e - s
	}
}

// row evaluates the program on one row (the partial last word).
func (ec *evalCtx) row(n *cnode, sg *model.Seg, i int) bool {
	switch n.kind {
	case cTrue:
		return true
	case cFalse:
		return false
	case cAnd:
		for _, k := range n.kids {
			if !ec.row(k, sg, i) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range n.kids {
			if ec.row(k, sg, i) {
				return true
			}
		}
		return false
	}
	l := n.leaf
	switch l.kind {
	case lU8, lU16, lU32, lEnd:
		v, ok := sg.Uint(l.field, i)
		if !ok {
			return l.absent
		}
		return l.pred.num(v)
	case lEnum:
		var c uint8
		if vals := sg.Enum(l.field); vals != nil {
			c = vals[i]
		}
		if c == 0 {
			return l.absent
		}
		return l.pred.num(uint64(c))
	case lCode:
		var c uint32
		if vals := ec.codeCol(l, sg); vals != nil {
			c = vals[i]
		}
		return ec.code[l.id].match(c)
	case lSource:
		s := int(sg.Run(i).Source)
		m := ec.src[l.id]
		return s < len(m) && m[s]
	}
	return false
}
