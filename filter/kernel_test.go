package filter

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestKernels compares every kernel's word-at-a-time form with its
// one-value form, for random value sets over full uint8 and uint16 ranges
// and raw uint32 values, with and without masks.
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for round := 0; round < 3000; round++ {
		var p valPred
		for k := r.IntN(5); k >= 0; k-- {
			var lo, hi uint64
			switch r.IntN(3) {
			case 0:
				lo = uint64(r.IntN(256))
				hi = lo + uint64(r.IntN(3))
			case 1:
				lo = uint64(r.IntN(70000))
				hi = lo + uint64(r.IntN(200))
			default:
				lo = r.Uint64N(1 << 33)
				hi = lo + r.Uint64N(1<<31)
			}
			if r.IntN(8) == 0 {
				lo = 0
			}
			if r.IntN(8) == 0 {
				hi = math.MaxUint64
			}
			p.ivs = append(p.ivs, iv{lo, hi})
		}
		p.ivs = normIvs(p.ivs)
		p.inv = r.IntN(2) == 0
		p8 := p // tcp-flags has: a bit mask, on uint8 columns only
		if r.IntN(6) == 0 {
			p8.mask = uint8(1 + r.IntN(255))
		}
		k8 := kernFromTable(table8(p8.num), p8.mask, p8.inv)
		kEnum := kernFromEnum(table8(p.num), 3)
		k16 := kernFromIvs(&p, math.MaxUint16)
		k32 := kernFromIvs(&p, math.MaxUint32)

		v8 := make([]uint8, 128)
		v16 := make([]uint16, 128)
		v32 := make([]uint32, 128)
		for i := range v8 {
			v8[i] = uint8(r.IntN(256))
			v16[i] = uint16(r.IntN(65536))
			v32[i] = r.Uint32()
			if r.IntN(3) == 0 && len(p.ivs) > 0 { // land on and near the bounds
				b := p.ivs[r.IntN(len(p.ivs))]
				x := b.lo + uint64(r.IntN(3)) - 1
				if r.IntN(2) == 0 {
					x = b.hi + uint64(r.IntN(3)) - 1
				}
				v8[i], v16[i], v32[i] = uint8(x), uint16(x), uint32(x)
			}
		}
		var mask []uint64
		if r.IntN(2) == 0 {
			mask = []uint64{r.Uint64(), 0}
		}
		out := make([]uint64, 2)
		check := func(name string, k *numKern, n int, val func(i int) uint64, run func()) {
			t.Helper()
			run()
			for i := 0; i < n; i++ { // kernels write base bits (before inv) where the mask is set
				got := out[i/64]>>(i%64)&1 == 1
				base := k.base(val(i))
				if (mask == nil || mask[i/64]>>(i%64)&1 == 1) && got != base {
					t.Fatalf("round %d %s kind %d: value %d: kernel %v, base %v (pred %+v)", round, name, k.kind, val(i), got, base, p)
				}
			}
		}
		check("u8", &k8, 128, func(i int) uint64 { return uint64(v8[i]) }, func() { k8.run8(v8, 0, 2, mask, out) })
		check("enum", &kEnum, 128, func(i int) uint64 { return uint64(v8[i] & 3) }, func() {
			e := make([]uint8, 128)
			for i := range e {
				e[i] = v8[i] & 3
			}
			kEnum.run8(e, 0, 2, mask, out)
		})
		check("u16", &k16, 128, func(i int) uint64 { return uint64(v16[i]) }, func() { k16.run16(v16, 0, 2, mask, out) })
		check("u32", &k32, 128, func(i int) uint64 { return uint64(v32[i]) }, func() { k32.run32(v32, 0, 2, mask, out) })
		// the kernels agree with the predicate on their domain
		for v := uint64(0); v < 256; v++ {
			if k8.base(v) != k8.inv != p8.num(v) {
				t.Fatalf("u8 kernel disagrees with predicate at %d", v)
			}
			if v <= 3 && kEnum.base(v) != kEnum.inv != p.num(v) {
				t.Fatalf("enum kernel disagrees with predicate at %d", v)
			}
		}
		for i := 0; i < 200; i++ {
			v := uint64(r.IntN(65536))
			if k16.base(v) != k16.inv != p.num(v) {
				t.Fatalf("u16 kernel disagrees with predicate at %d", v)
			}
			w := uint64(r.Uint32())
			if k32.base(w) != k32.inv != p.num(w) {
				t.Fatalf("u32 kernel disagrees with predicate at %d", w)
			}
		}
	}
}

func TestGather(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i++ {
		var z [4]uint64
		var want uint64
		for L := range z {
			for lane := 0; lane < 4; lane++ {
				if r.IntN(2) == 0 {
					z[L] |= 1 << (16*lane + 15)
					want |= 1 << (4*L + lane)
				}
			}
		}
		if got := gather16x4(z[0], z[1], z[2], z[3]); got != want {
			t.Fatalf("gather16x4 = %016b, want %016b", got, want)
		}
		if got := gather16(z[0], z[1]); got != want&0xff {
			t.Fatalf("gather16 = %08b, want %08b", got, want&0xff)
		}
		var b uint64
		var w8 uint64
		for lane := 0; lane < 8; lane++ {
			if r.IntN(2) == 0 {
				b |= 1 << (8*lane + 7)
				w8 |= 1 << lane
			}
		}
		if got := gather8(b); got != w8 {
			t.Fatalf("gather8 = %08b, want %08b", got, w8)
		}
	}
}

func TestEndianConstant(t *testing.T) {
	x := uint16(1)
	if got := *(*byte)(unsafe.Pointer(&x)) == 1; got != littleEndian {
		t.Fatalf("littleEndian = %v, but the host is little-endian: %v", littleEndian, got)
	}
}
