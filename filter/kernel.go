package filter

import (
	"encoding/binary"
	"sort"
)

// Kernels compute one 64-bit match word per 64 rows. The u8 and u16 ones
// are SWAR: one 64-bit load holds 8 (or 4) values, each lane is compared
// with carry-free arithmetic that leaves the lane's top bit set on a match,
// and a multiply gathers the top bits into consecutive result bits.

const (
	lo7   = 0x7f7f7f7f7f7f7f7f
	hi8   = 0x8080808080808080
	lo15  = 0x7fff7fff7fff7fff
	hi16  = 0x8000800080008000
	pack8 = 0x0102040810204080            // bit 8i -> bit 56+i
	pk16  = 1<<56 | 1<<41 | 1<<26 | 1<<11 // bits 16i and 16i+4 -> 56+i, 60+i
	rep8  = 0x0101010101010101            // replicate a byte
	rep16 = 0x0001000100010001            // replicate a uint16
	all64 = ^uint64(0)
)

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// zero8 sets the top bit of each zero byte of x (exact, no false positives).
func zero8(x uint64) uint64 { return ^(((x & lo7) + lo7) | x) & hi8 }

// zero16 sets the top bit of each zero uint16 lane of x.
func zero16(x uint64) uint64 { return ^(((x & lo15) + lo15) | x) & hi16 }

// gather8 moves the 8 lane top bits to bits 0..7.
func gather8(z uint64) uint64 { return (z >> 7) * pack8 >> 56 }

// gather16 moves the 4+4 lane top bits of z1 and z2 to bits 0..7.
func gather16(z1, z2 uint64) uint64 { return (z1>>15 | z2>>11) * pk16 >> 56 }

// gec holds the constants of a lane-wise x >= c test: with t = (x & low) +
// kk, t's lane top bit says low(x) >= low(c); sel picks how x's own top bit
// combines (or when c's top bit is clear, and when it is set).
type gec struct{ kk, sel uint64 }

func mkGe8(c uint64) gec {
	g := gec{kk: (0x80 - c&0x7f) * rep8}
	if c < 0x80 {
		g.sel = hi8
	}
	return g
}

func mkGe16(c uint64) gec {
	g := gec{kk: (0x8000 - c&0x7fff) * rep16}
	if c < 0x8000 {
		g.sel = hi16
	}
	return g
}

func (g *gec) ge8(x uint64) uint64 {
	t := (x & lo7) + g.kk
	return (t&x | (t|x)&g.sel) & hi8
}

func (g *gec) ge16(x uint64) uint64 {
	t := (x & lo15) + g.kk
	return (t&x | (t|x)&g.sel) & hi16
}

// term is one range of a kernel, with its SWAR constants for its width.
type term struct {
	lo, hi       uint64
	eq           bool   // lo == hi
	c            uint64 // lo replicated
	hasLo, hasHi bool   // lo > 0, hi < the width's maximum
	geLo, geHi   gec    // x >= lo, x >= hi+1
	span1        uint64 // hi - lo + 1, for the scalar form
}

const (
	kNone  uint8 = iota // no value matches
	kAll                // every value matches
	kTerms              // value in one of n terms (then xor inv)
	kMask               // (v & m) == m (then xor inv); u8 only
	kTable              // bit v of tab
	kIvs                // binary search over ivs (u32)
)

// numKern is a compiled predicate over raw column values: match(v) =
// base(v) != inv.
type numKern struct {
	kind uint8
	inv  bool
	n    int
	t    [2]term
	mask uint64 // kMask: the mask replicated per byte
	m8   uint8
	tab  []uint64
	ivs  []iv
}

func mkTerms(runs []iv, width uint, inv bool) numKern {
	k := numKern{kind: kTerms, inv: inv, n: len(runs)}
	wmax := uint64(1)<<width - 1
	for i, r := range runs {
		t := term{lo: r.lo, hi: r.hi, eq: r.lo == r.hi, hasLo: r.lo > 0, hasHi: r.hi < wmax, span1: r.hi - r.lo + 1}
		switch width {
		case 8:
			t.c = r.lo * rep8
			t.geLo, t.geHi = mkGe8(r.lo), mkGe8(r.hi+1)
		case 16:
			t.c = r.lo * rep16
			t.geLo, t.geHi = mkGe16(r.lo), mkGe16(r.hi+1)
		}
		k.t[i] = t
	}
	return k
}

// runs8 lists the runs of set (want) or clear (!want) bits of a 256-bit table.
func runs8(t [4]uint64, want bool) []iv {
	var out []iv
	in := false
	for v := uint64(0); v < 256; v++ {
		b := t[v>>6]>>(v&63)&1 == 1
		if b == want && !in {
			out = append(out, iv{v, v})
			in = true
		} else if b == want {
			out[len(out)-1].hi = v
		} else {
			in = false
		}
	}
	return out
}

// kernFromTable picks the cheapest kernel for a uint8 truth table; mask/inv
// describe a tcp-flags has test the table came from.
func kernFromTable(t [4]uint64, mask uint8, inv bool) numKern {
	trues, falses := runs8(t, true), runs8(t, false)
	switch {
	case len(trues) == 0:
		return numKern{kind: kNone}
	case len(falses) == 0:
		return numKern{kind: kAll}
	case len(trues) <= 2:
		return mkTerms(trues, 8, false)
	case len(falses) <= 2:
		return mkTerms(falses, 8, true)
	case mask != 0:
		return numKern{kind: kMask, inv: inv, mask: uint64(mask) * rep8, m8: mask}
	}
	return numKern{kind: kTable, tab: t[:]}
}

// kernFromIvs picks the kernel for values 0..wmax (65535 or 2^32-1).
func kernFromIvs(p *valPred, wmax uint64) numKern {
	if p.all {
		if p.inv {
			return numKern{kind: kNone}
		}
		return numKern{kind: kAll}
	}
	trues, falses := clipIvs(p.ivs, wmax)
	if p.inv {
		trues, falses = falses, trues
	}
	width := uint(16)
	if wmax > 0xffff {
		width = 32
	}
	switch {
	case len(trues) == 0:
		return numKern{kind: kNone}
	case len(falses) == 0:
		return numKern{kind: kAll}
	case len(trues) <= 2:
		return mkTerms(trues, width, false)
	case len(falses) <= 2:
		return mkTerms(falses, width, true)
	case width == 16:
		tab := make([]uint64, 1024)
		for _, r := range trues {
			for v := r.lo; v <= r.hi; v++ {
				tab[v>>6] |= 1 << (v & 63)
			}
		}
		return numKern{kind: kTable, tab: tab}
	}
	return numKern{kind: kIvs, ivs: trues}
}

// base evaluates the kernel's base predicate (before inv) on one value.
func (k *numKern) base(v uint64) bool {
	switch k.kind {
	case kAll:
		return true
	case kTerms:
		for i := 0; i < k.n; i++ {
			if v >= k.t[i].lo && v <= k.t[i].hi {
				return true
			}
		}
	case kMask:
		return uint8(v)&k.m8 == k.m8
	case kTable:
		return v>>6 < uint64(len(k.tab)) && k.tab[v>>6]>>(v&63)&1 == 1
	case kIvs:
		i := sort.Search(len(k.ivs), func(i int) bool { return k.ivs[i].hi >= v })
		return i < len(k.ivs) && k.ivs[i].lo <= v
	}
	return false
}

// run8 writes base-predicate words for words [w0, w1) of a uint8 column.
// Words whose mask word is zero are skipped (written as 0).
func (k *numKern) run8(vals []uint8, w0, w1 int, mask, out []uint64) {
	switch {
	case k.kind == kTerms && k.n == 1 && k.t[0].eq:
		c := k.t[0].c
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			b := (*[64]byte)(vals[w*64:])
			out[i] = gather8(zero8(le64(b[0:8])^c)) |
				gather8(zero8(le64(b[8:16])^c))<<8 |
				gather8(zero8(le64(b[16:24])^c))<<16 |
				gather8(zero8(le64(b[24:32])^c))<<24 |
				gather8(zero8(le64(b[32:40])^c))<<32 |
				gather8(zero8(le64(b[40:48])^c))<<40 |
				gather8(zero8(le64(b[48:56])^c))<<48 |
				gather8(zero8(le64(b[56:64])^c))<<56
		}
	case k.kind == kTerms:
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			b := (*[64]byte)(vals[w*64:])
			var m uint64
			for j := 0; j < 8; j++ {
				x := le64(b[j*8 : j*8+8])
				m |= gather8(k.lanes8(x)) << (8 * j)
			}
			out[i] = m
		}
	case k.kind == kMask:
		mk := k.mask
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			b := (*[64]byte)(vals[w*64:])
			var m uint64
			for j := 0; j < 8; j++ {
				x := le64(b[j*8 : j*8+8])
				m |= gather8(zero8(x&mk^mk)) << (8 * j)
			}
			out[i] = m
		}
	case k.kind == kTable:
		tab := (*[4]uint64)(k.tab)
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			b := (*[64]byte)(vals[w*64:])
			var m uint64
			for j, v := range b {
				m |= (tab[v>>6] >> (v & 63) & 1) << j
			}
			out[i] = m
		}
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
	}
}

// lanes8 returns the lane top bits of the values of x inside the terms.
func (k *numKern) lanes8(x uint64) uint64 {
	var r uint64
	for i := 0; i < k.n; i++ {
		t := &k.t[i]
		if t.eq {
			r |= zero8(x ^ t.c)
			continue
		}
		l := uint64(hi8)
		if t.hasLo {
			l = t.geLo.ge8(x)
		}
		if t.hasHi {
			l &^= t.geHi.ge8(x)
		}
		r |= l
	}
	return r
}

func (k *numKern) lanes16(x uint64) uint64 {
	var r uint64
	for i := 0; i < k.n; i++ {
		t := &k.t[i]
		if t.eq {
			r |= zero16(x ^ t.c)
			continue
		}
		l := uint64(hi16)
		if t.hasLo {
			l = t.geLo.ge16(x)
		}
		if t.hasHi {
			l &^= t.geHi.ge16(x)
		}
		r |= l
	}
	return r
}

// run16 is run8 for a uint16 column.
func (k *numKern) run16(vals []uint16, w0, w1 int, mask, out []uint64) {
	switch {
	case k.kind == kTerms && k.n == 1 && k.t[0].eq:
		c := k.t[0].c
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint16)(vals[w*64:])
			var m uint64
			for j := 0; j < 64; j += 8 {
				x1 := uint64(v[j]) | uint64(v[j+1])<<16 | uint64(v[j+2])<<32 | uint64(v[j+3])<<48
				x2 := uint64(v[j+4]) | uint64(v[j+5])<<16 | uint64(v[j+6])<<32 | uint64(v[j+7])<<48
				m |= gather16(zero16(x1^c), zero16(x2^c)) << j
			}
			out[i] = m
		}
	case k.kind == kTerms && k.n == 1:
		t := k.t[0]
		lo, hi := t.geLo, t.geHi
		hasLo, hasHi := t.hasLo, t.hasHi
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint16)(vals[w*64:])
			var m uint64
			for j := 0; j < 64; j += 8 {
				x1 := uint64(v[j]) | uint64(v[j+1])<<16 | uint64(v[j+2])<<32 | uint64(v[j+3])<<48
				x2 := uint64(v[j+4]) | uint64(v[j+5])<<16 | uint64(v[j+6])<<32 | uint64(v[j+7])<<48
				l1, l2 := uint64(hi16), uint64(hi16)
				if hasLo {
					l1, l2 = lo.ge16(x1), lo.ge16(x2)
				}
				if hasHi {
					l1 &^= hi.ge16(x1)
					l2 &^= hi.ge16(x2)
				}
				m |= gather16(l1, l2) << j
			}
			out[i] = m
		}
	case k.kind == kTerms:
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint16)(vals[w*64:])
			var m uint64
			for j := 0; j < 64; j += 8 {
				x1 := uint64(v[j]) | uint64(v[j+1])<<16 | uint64(v[j+2])<<32 | uint64(v[j+3])<<48
				x2 := uint64(v[j+4]) | uint64(v[j+5])<<16 | uint64(v[j+6])<<32 | uint64(v[j+7])<<48
				m |= gather16(k.lanes16(x1), k.lanes16(x2)) << j
			}
			out[i] = m
		}
	case k.kind == kTable:
		tab := (*[1024]uint64)(k.tab)
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint16)(vals[w*64:])
			var m uint64
			for j, x := range v {
				m |= (tab[x>>6] >> (x & 63) & 1) << j
			}
			out[i] = m
		}
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
	}
}

// run32 is run8 for a uint32 column (scalar, branch-free compares).
func (k *numKern) run32(vals []uint32, w0, w1 int, mask, out []uint64) {
	switch {
	case k.kind == kTerms && k.n == 1:
		lo, s1 := uint32(k.t[0].lo), k.t[0].span1
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint32)(vals[w*64:])
			var m uint64
			for j, x := range v {
				m |= ((uint64(x-lo) - s1) >> 63) << j
			}
			out[i] = m
		}
	case k.kind == kTerms:
		lo1, s1 := uint32(k.t[0].lo), k.t[0].span1
		lo2, s2 := uint32(k.t[1].lo), k.t[1].span1
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint32)(vals[w*64:])
			var m uint64
			for j, x := range v {
				m |= ((uint64(x-lo1)-s1)>>63 | (uint64(x-lo2)-s2)>>63) << j
			}
			out[i] = m
		}
	case k.kind == kIvs:
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint32)(vals[w*64:])
			var m uint64
			for j, x := range v {
				if k.base(uint64(x)) {
					m |= 1 << j
				}
			}
			out[i] = m
		}
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
	}
}

// fillConst writes an all-true or all-false block.
func fillConst(v bool, mask, out []uint64) {
	if !v {
		clear(out)
		return
	}
	for i := range out {
		out[i] = all64
	}
}

// finish turns base words into match words: xor inv, drop absent rows (or
// add them, when absentMatch), and keep only rows of mask.
func finish(out, mask, absent []uint64, w0 int, inv, absentMatch bool) {
	x := uint64(0)
	if inv {
		x = all64
	}
	for i := range out {
		m := out[i] ^ x
		if absent != nil {
			a := absent[w0+i]
			m &^= a
			if absentMatch {
				m |= a
			}
		}
		if mask != nil {
			m &= mask[i]
		}
		out[i] = m
	}
}
