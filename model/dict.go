package model

import (
	"hash/maphash"
	"net/netip"
	"sync/atomic"
	"unsafe"
)

// The dictionaries intern addresses and strings as uint32 codes; code 0 is
// the absent value and a code never changes once given. Only the index's
// writer adds values. Parse workers look values up at the same time,
// lock-free, through the find methods, which read only what the writer has
// published: table slots are stored and loaded atomically, a table that
// grows is replaced as a whole, and the value list a confirmation needs is
// republished after each round of additions. A worker that misses a value
// (new, or added since its view) leaves it for the writer to resolve, so a
// stale view costs time, never correctness.

// codeTable is an open-addressing table with linear probing whose slots
// hold key<<32 | code (0 = empty; codes are never 0). The key is the value
// itself for IPv4 addresses and a 32-bit hash of it otherwise, when a hit
// must be confirmed against the dictionary's values.
type codeTable struct {
	slots []uint64
	n     int
	shift uint
}

func newCodeTable(size int) *codeTable {
	return &codeTable{slots: make([]uint64, size), shift: uint(64 - bitsLen(size-1))}
}

func bitsLen(x int) int {
	n := 0
	for x > 0 {
		n++
		x >>= 1
	}
	return n
}

func (t *codeTable) home(k uint32) int { return int((uint64(k) * 0x9E3779B97F4A7C15) >> t.shift) }

// get returns the code stored under key k (exact keys), or 0.
func (t *codeTable) get(k uint32) uint32 {
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := atomic.LoadUint64(&t.slots[i])
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == k {
			return uint32(s)
		}
	}
}

// put stores code v under key k (which may repeat for hashed keys). It
// returns the table to use from now on: t itself, or a larger copy once t
// is half full. Writer only.
func (t *codeTable) put(k, v uint32) *codeTable {
	if (t.n+1)*2 > len(t.slots) {
		g := newCodeTable(len(t.slots) * 2)
		for _, s := range t.slots {
			if s != 0 {
				g.store(uint32(s>>32), s)
			}
		}
		t = g
	}
	t.store(k, uint64(k)<<32|uint64(v))
	return t
}

// probe returns the first code stored under hashed key h that eq accepts,
// or 0.
func (t *codeTable) probe(h uint32, eq func(code uint32) bool) uint32 {
	mask := len(t.slots) - 1
	for i := t.home(h); ; i = (i + 1) & mask {
		s := atomic.LoadUint64(&t.slots[i])
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == h && eq(uint32(s)) {
			return uint32(s)
		}
	}
}

func (t *codeTable) store(k uint32, s uint64) {
	mask := len(t.slots) - 1
	i := t.home(k)
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	atomic.StoreUint64(&t.slots[i], s)
	t.n++
}

// addrDict interns addresses. One dictionary serves every address field,
// so srcaddr and dstaddr codes compare directly.
type addrDict struct {
	vals []netip.Addr // by code; writer's copy
	t4   atomic.Pointer[codeTable]
	t6   atomic.Pointer[codeTable] // hashed
	view atomic.Pointer[[]netip.Addr]
	seed maphash.Seed
}

func (d *addrDict) init() {
	d.vals = []netip.Addr{{}}
	d.t4.Store(newCodeTable(1 << 10))
	d.t6.Store(newCodeTable(1 << 6))
	d.seed = maphash.MakeSeed()
	d.publish()
}

func ipv4Key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func (d *addrDict) hash6(a netip.Addr) uint32 {
	b := a.As16()
	return uint32(maphash.Bytes(d.seed, b[:]))
}

// find returns a's code, or 0 when a is not (yet) visible. Safe to call
// while the writer adds values.
func (d *addrDict) find(a netip.Addr) uint32 {
	if a.Is4() {
		return d.t4.Load().get(ipv4Key(a))
	}
	vals := *d.view.Load()
	return d.t6.Load().probe(d.hash6(a), func(c uint32) bool { return int(c) < len(vals) && vals[c] == a })
}

// code returns a's code, adding a if new and counting the bytes it takes.
// Writer only; call publish after a round of additions.
func (d *addrDict) code(a netip.Addr, bytes *int64) uint32 {
	if a.Is4() {
		k := ipv4Key(a)
		t := d.t4.Load()
		if c := t.get(k); c != 0 {
			return c
		}
		c := uint32(len(d.vals))
		d.vals = append(d.vals, a)
		before := len(t.slots)
		if g := t.put(k, c); g != t {
			d.t4.Store(g)
			*bytes += int64(len(g.slots)-before) * 8
		}
		*bytes += 24 + 16
		return c
	}
	h := d.hash6(a)
	t := d.t6.Load()
	if c := t.probe(h, func(c uint32) bool { return d.vals[c] == a }); c != 0 {
		return c
	}
	c := uint32(len(d.vals))
	d.vals = append(d.vals, a)
	if g := t.put(h, c); g != t {
		d.t6.Store(g)
	}
	*bytes += 24 + 48
	return c
}

// publish makes the values added so far visible to find.
func (d *addrDict) publish() {
	v := d.vals
	d.view.Store(&v)
}

// strDict interns strings; code 0 is "" (absent).
type strDict struct {
	vals []string // by code; writer's copy
	t    atomic.Pointer[codeTable]
	view atomic.Pointer[[]string]
	seed maphash.Seed
}

func (d *strDict) init() {
	d.vals = []string{""}
	d.t.Store(newCodeTable(1 << 4))
	d.seed = maphash.MakeSeed()
	d.publish()
}

// find returns the code of b and the dictionary's copy of it, or 0 when b
// is not (yet) visible. Safe to call while the writer adds values.
func (d *strDict) find(b []byte) (uint32, string) {
	vals := *d.view.Load()
	c := d.t.Load().probe(uint32(maphash.Bytes(d.seed, b)), func(c uint32) bool { return int(c) < len(vals) && vals[c] == string(b) })
	if c == 0 {
		return 0, ""
	}
	return c, vals[c]
}

// codeBytes returns the code of b, adding it if new and counting the
// bytes it takes. Writer only; call publish after a round of additions.
func (d *strDict) codeBytes(b []byte, bytes *int64) uint32 {
	h := uint32(maphash.Bytes(d.seed, b))
	t := d.t.Load()
	if c := t.probe(h, func(c uint32) bool { return d.vals[c] == string(b) }); c != 0 {
		return c
	}
	c := uint32(len(d.vals))
	s := string(b)
	d.vals = append(d.vals, s)
	before := len(t.slots)
	if g := t.put(h, c); g != t {
		d.t.Store(g)
		*bytes += int64(len(g.slots)-before) * 8
	}
	*bytes += int64(len(s)) + 16 + 8
	return c
}

// code is codeBytes for a string.
func (d *strDict) code(s string, bytes *int64) uint32 {
	return d.codeBytes(unsafe.Slice(unsafe.StringData(s), len(s)), bytes)
}

// publish makes the values added so far visible to find.
func (d *strDict) publish() {
	v := d.vals
	d.view.Store(&v)
}
