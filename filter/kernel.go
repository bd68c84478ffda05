package filter

import (
	"encoding/binary"
	"sort"
	"unsafe"
)

// Kernels compute one 64-bit match word per 64 rows. The u8 and u16 ones
// are SWAR: one 64-bit load holds 8 (or 4) values, each lane is compared
// with carry-free arithmetic that leaves the lane's top bit set on a match,
// and a multiply gathers the top bits into consecutive result bits.

const (
	lo7    = 0x7f7f7f7f7f7f7f7f
	hi8    = 0x8080808080808080
	lo15   = 0x7fff7fff7fff7fff
	hi16   = 0x8000800080008000
	pack8  = 0x0102040810204080            // bit 8i -> bit 56+i
	pk16   = 1<<56 | 1<<41 | 1<<26 | 1<<11 // bits 16i and 16i+4 -> 56+i, 60+i
	pk16x4 = 1<<48 | 1<<33 | 1<<18 | 1<<3  // see gather16x4
	rep8   = 0x0101010101010101            // replicate a byte
	rep16  = 0x0001000100010001            // replicate a uint16
	all64  = ^uint64(0)
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

// gather16x4 moves the lane top bits of four loads (16 rows) to bits 0..15:
// lane i of load L goes to bit 16i+4L, and one multiply by pk16x4 sends
// each of those to bit 48+4L+i; the cross terms land below bit 48 without
// overlapping, or above bit 63.
func gather16x4(z0, z1, z2, z3 uint64) uint64 {
	return (z0>>15 | z1>>11 | z2>>7 | z3>>3) * pk16x4 >> 48
}

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
	kind  uint8
	inv   bool
	small bool // uint8 values below 0x80 only (enum codes)
	n     int
	t     [2]term
	mask  uint64 // kMask: the mask replicated per byte
	m8    uint8
	tab   []byte   // kTable (uint8): 1 if the value matches, by value
	bits  []uint64 // kTable (uint16): bit v set if v matches
	ivs   []iv
}

func mkTerms(runs []iv, width uint, inv bool) numKern {
	k := numKern{kind: kTerms, inv: inv, n: len(runs)}
	wmax := uint64(1)<<width - 1
	for i, r := range runs {
		t := term{lo: r.lo, hi: r.hi, eq: r.lo == r.hi, hasLo: r.lo > 0, hasHi: r.hi < wmax, span1: r.hi - r.lo + 1}
		// x >= 0 always holds (mkGe(0)); x >= wmax+1 never does (gec{})
		switch width {
		case 8:
			t.c = r.lo * rep8
			t.geLo = mkGe8(r.lo)
			if t.hasHi {
				t.geHi = mkGe8(r.hi + 1)
			}
		case 16:
			t.c = r.lo * rep16
			t.geLo = mkGe16(r.lo)
			if t.hasHi {
				t.geHi = mkGe16(r.hi + 1)
			}
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
	return numKern{kind: kTable, tab: bytesOf(t[:], 256)}
}

// bytesOf expands a bitmap of n bits into one byte (0 or 1) per bit.
func bytesOf(bm []uint64, n int) []byte {
	out := make([]byte, n)
	for v := range out {
		out[v] = byte(bm[v>>6] >> (v & 63) & 1)
	}
	return out
}

// kernFromEnum is kernFromTable for enum codes, which never exceed n: the
// values above n may match or not, whichever gives the cheaper kernel.
func kernFromEnum(t [4]uint64, n int) numKern {
	lo, hi := t, t
	for v := n + 1; v < 256; v++ {
		lo[v>>6] &^= 1 << (v & 63)
		hi[v>>6] |= 1 << (v & 63)
	}
	t = lo
	a, b := kernFromTable(t, 0, false), kernFromTable(hi, 0, false)
	if b.cost() < a.cost() {
		a = b
	}
	a.small = a.kind != kTerms || a.t[0].lo < 0x80
	return a
}

// cost ranks kernels by work per row.
func (k *numKern) cost() int {
	switch k.kind {
	case kNone, kAll:
		return 0
	case kTerms:
		if k.n == 1 && k.t[0].eq {
			return 1
		}
		return 1 + k.n
	case kMask:
		return 2
	}
	return 4
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
		bm := make([]uint64, 1024)
		for _, r := range trues {
			setRange(bm, int(r.lo), int(r.hi)+1)
		}
		return numKern{kind: kTable, bits: bm}
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
		if k.bits != nil {
			return v < 65536 && k.bits[v>>6]&(1<<(v&63)) != 0
		}
		return v < uint64(len(k.tab)) && k.tab[v] == 1
	case kIvs:
		i := sort.Search(len(k.ivs), func(i int) bool { return k.ivs[i].hi >= v })
		return i < len(k.ivs) && k.ivs[i].lo <= v
	}
	return false
}

// run8 writes base-predicate words for words [w0, w1) of a uint8 column.
// Words whose mask word is zero are skipped (written as 0).
func (k *numKern) run8(vals []uint8, w0, w1 int, mask, out []uint64) {
	if k.kind == kTerms && k.n == 1 && k.t[0].eq { // the hot case, with static calls
		c, small := k.t[0].c, k.small
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			if b := (*[64]byte)(vals[w*64:]); small {
				out[i] = eq7w(b, c)
			} else {
				out[i] = eq8w(b, c)
			}
		}
		return
	}
	var word func(b *[64]byte) uint64
	switch {
	case k.kind == kTerms && k.n == 1:
		lo, hi := k.t[0].geLo, k.t[0].geHi
		word = func(b *[64]byte) uint64 { return rng8w(b, &lo, &hi) }
	case k.kind == kTerms:
		t := [4]gec{k.t[0].geLo, k.t[0].geHi, k.t[1].geLo, k.t[1].geHi}
		word = func(b *[64]byte) uint64 { return rng8x2w(b, &t) }
	case k.kind == kMask:
		mk := k.mask
		word = func(b *[64]byte) uint64 { return maskEq8w(b, mk) }
	case k.kind == kTable:
		tab := (*[256]byte)(k.tab)
		word = func(b *[64]byte) uint64 {
			var m uint64
			for j := 63; j >= 0; j-- {
				m = m<<1 | uint64(tab[b[j]])
			}
			return m
		}
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
		return
	}
	for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
		if mask != nil && mask[i] == 0 {
			out[i] = 0
			continue
		}
		out[i] = word((*[64]byte)(vals[w*64:]))
	}
}

// eq8w matches the 64 bytes of b equal to c (c replicated).
func eq8w(b *[64]byte, c uint64) uint64 {
	return gather8(zero8(le64(b[0:8])^c)) |
		gather8(zero8(le64(b[8:16])^c))<<8 |
		gather8(zero8(le64(b[16:24])^c))<<16 |
		gather8(zero8(le64(b[24:32])^c))<<24 |
		gather8(zero8(le64(b[32:40])^c))<<32 |
		gather8(zero8(le64(b[40:48])^c))<<40 |
		gather8(zero8(le64(b[48:56])^c))<<48 |
		gather8(zero8(le64(b[56:64])^c))<<56
}

// zero7 is zero8 for bytes below 0x80 (enum codes): no lane can carry.
func zero7(x uint64) uint64 { return ^(x + lo7) & hi8 }

// eq7w is eq8w for bytes below 0x80.
func eq7w(b *[64]byte, c uint64) uint64 {
	return gather8(zero7(le64(b[0:8])^c)) |
		gather8(zero7(le64(b[8:16])^c))<<8 |
		gather8(zero7(le64(b[16:24])^c))<<16 |
		gather8(zero7(le64(b[24:32])^c))<<24 |
		gather8(zero7(le64(b[32:40])^c))<<32 |
		gather8(zero7(le64(b[40:48])^c))<<40 |
		gather8(zero7(le64(b[48:56])^c))<<48 |
		gather8(zero7(le64(b[56:64])^c))<<56
}

// maskEq8w matches the bytes v of b with v & mk == mk (mk replicated).
func maskEq8w(b *[64]byte, mk uint64) uint64 {
	var m uint64
	for j := 56; j >= 0; j -= 8 {
		m = m<<8 | gather8(zero8(le64(b[j:j+8])&mk^mk))
	}
	return m
}

// rng8w matches the bytes x of b with x >= lo and not x >= hi+1.
func rng8w(b *[64]byte, lo, hi *gec) uint64 {
	var m uint64
	for j := 56; j >= 0; j -= 8 {
		x := le64(b[j : j+8])
		m = m<<8 | gather8(lo.ge8(x)&^hi.ge8(x))
	}
	return m
}

// rng8x2w matches the bytes in either of two ranges (t: lo1, hi1, lo2, hi2).
func rng8x2w(b *[64]byte, t *[4]gec) uint64 {
	var m uint64
	for j := 56; j >= 0; j -= 8 {
		x := le64(b[j : j+8])
		m = m<<8 | gather8(t[0].ge8(x)&^t[1].ge8(x)|t[2].ge8(x)&^t[3].ge8(x))
	}
	return m
}

// load16 returns the uint16 values v[j..j+3] as the lanes of one uint64
// (lane i = v[j+i]).
func load16(v *[64]uint16, j int) uint64 {
	if littleEndian {
		return *(*uint64)(unsafe.Pointer(&v[j]))
	}
	return uint64(v[j]) | uint64(v[j+1])<<16 | uint64(v[j+2])<<32 | uint64(v[j+3])<<48
}

// run16 is run8 for a uint16 column.
func (k *numKern) run16(vals []uint16, w0, w1 int, mask, out []uint64) {
	if k.kind == kTerms && k.n == 1 { // the hot cases, with static calls
		t := &k.t[0]
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			if v := (*[64]uint16)(vals[w*64:]); t.eq {
				out[i] = eq16w(v, t.c)
			} else {
				out[i] = rng16w(v, &t.geLo, &t.geHi)
			}
		}
		return
	}
	var word func(v *[64]uint16) uint64
	switch {
	case k.kind == kTerms:
		t := [4]gec{k.t[0].geLo, k.t[0].geHi, k.t[1].geLo, k.t[1].geHi}
		word = func(v *[64]uint16) uint64 { return rng16x2w(v, &t) }
	case k.kind == kTable:
		tab := (*[1024]uint64)(k.bits)
		word = func(v *[64]uint16) uint64 {
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
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
		return
	}
	for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
		if mask != nil && mask[i] == 0 {
			out[i] = 0
			continue
		}
		out[i] = word((*[64]uint16)(vals[w*64:]))
	}
}

func eq16w(v *[64]uint16, c uint64) uint64 {
	var m uint64
	for j := 48; j >= 0; j -= 16 {
		m = m<<16 | gather16x4(zero16(load16(v, j)^c), zero16(load16(v, j+4)^c),
			zero16(load16(v, j+8)^c), zero16(load16(v, j+12)^c))
	}
	return m
}

func rng16w(v *[64]uint16, lo, hi *gec) uint64 {
	var m uint64
	for j := 48; j >= 0; j -= 16 {
		x0, x1, x2, x3 := load16(v, j), load16(v, j+4), load16(v, j+8), load16(v, j+12)
		m = m<<16 | gather16x4(lo.ge16(x0)&^hi.ge16(x0), lo.ge16(x1)&^hi.ge16(x1),
			lo.ge16(x2)&^hi.ge16(x2), lo.ge16(x3)&^hi.ge16(x3))
	}
	return m
}

func rng16x2w(v *[64]uint16, t *[4]gec) uint64 {
	var m uint64
	for j := 56; j >= 0; j -= 8 {
		x1, x2 := load16(v, j), load16(v, j+4)
		m = m<<8 | gather16(t[0].ge16(x1)&^t[1].ge16(x1)|t[2].ge16(x1)&^t[3].ge16(x1),
			t[0].ge16(x2)&^t[1].ge16(x2)|t[2].ge16(x2)&^t[3].ge16(x2))
	}
	return m
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
			out[i] = rng32w((*[64]uint32)(vals[w*64:]), lo, s1)
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
			out[i] = rng32w(v, lo1, s1) | rng32w(v, lo2, s2)
		}
	case k.kind == kIvs:
		for i, w := 0, w0; w < w1; i, w = i+1, w+1 {
			if mask != nil && mask[i] == 0 {
				out[i] = 0
				continue
			}
			v := (*[64]uint32)(vals[w*64:])
			var m uint64
			for j := 63; j >= 0; j-- {
				m <<= 1
				if k.base(uint64(v[j])) {
					m |= 1
				}
			}
			out[i] = m
		}
	default:
		fillConst(k.kind == kAll, mask, out[:w1-w0])
	}
}

// rng32w matches 64 uint32 values against lo <= x < lo+s1 (s1 <= 2^32):
// uint32(x-lo) - s1 is negative exactly inside the range. Four
// accumulators keep the shift-or chains short.
func rng32w(v *[64]uint32, lo uint32, s1 uint64) uint64 {
	var m0, m1, m2, m3 uint64
	for j := 15; j >= 0; j-- {
		m0 = m0<<1 | (uint64(v[j]-lo)-s1)>>63
		m1 = m1<<1 | (uint64(v[j+16]-lo)-s1)>>63
		m2 = m2<<1 | (uint64(v[j+32]-lo)-s1)>>63
		m3 = m3<<1 | (uint64(v[j+48]-lo)-s1)>>63
	}
	return m0 | m1<<16 | m2<<32 | m3<<48
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
