package filter

import (
	"math/bits"
	"net/netip"
	"sync"
	"weak"

	"github.com/flowlens/flowlens/model"
)

// codeTab is a match table over the codes of one dictionary: bit c of
// bits is set when code c matches (code 0, absent, included). A table is
// never changed once published; extending it makes a new one (copying the
// bitmap), so readers need no lock. A bit per code keeps the hot part of a
// large address dictionary in cache.
type codeTab struct {
	bits   []uint64
	n      int    // codes covered
	trues  int    // matching codes
	first  uint32 // the first matching code (trues > 0)
	falses [2]uint32
	nfalse int // non-matching codes recorded in falses (at most 2)
}

func (t *codeTab) match(c uint32) bool { return t.bits[c>>6]&(1<<(c&63)) != 0 }

// extend returns a table covering n codes; fill sets the bits of the
// matching codes in [from, to) of a bitmap (those bits are clear on entry).
// Only the codes past t.n are computed, so growing a dictionary by k codes
// costs k predicate evaluations and a copy of the bitmap (n/8 bytes).
func (t *codeTab) extend(n int, fill func(bits []uint64, from, to int)) *codeTab {
	if t != nil && t.n >= n {
		return t
	}
	nt := &codeTab{bits: make([]uint64, (n+63)/64), n: n}
	from := 0
	if t != nil {
		copy(nt.bits, t.bits)
		nt.trues, nt.first, nt.falses, nt.nfalse = t.trues, t.first, t.falses, t.nfalse
		from = t.n
	}
	fill(nt.bits, from, n)
	for w := from / 64; w < len(nt.bits); w++ {
		word := nt.bits[w]
		lo, hi := max(from, w*64), min(n, w*64+64)
		valid := (all64 >> (64 - (hi - lo))) << (lo & 63) // bits of codes [lo, hi)
		set := word & valid
		if nt.trues == 0 && set != 0 {
			nt.first = uint32(w*64 + bits.TrailingZeros64(set))
		}
		nt.trues += bits.OnesCount64(set)
		for clr := ^word & valid; clr != 0 && nt.nfalse < 2; clr &= clr - 1 {
			nt.falses[nt.nfalse] = uint32(w*64 + bits.TrailingZeros64(clr))
			nt.nfalse++
		}
	}
	return nt
}

// codeCache keeps a leaf's table for the index it was last used with.
type codeCache struct {
	mu  sync.Mutex
	ix  weak.Pointer[model.Index]
	id  int // dExtra: the unknown field's id in that index
	tab *codeTab
}

// codeView is how one Eval matches a code column.
type codeView struct {
	kind uint8
	a, b uint32
	tab  *codeTab
}

const (
	cvNone uint8 = iota // no code matches
	cvAll               // every code matches
	cvEq                // code == a
	cvNe                // code != a
	cvNe2               // code != a && code != b
	cvTab               // look the code up in tab
)

func (v *codeView) match(c uint32) bool {
	switch v.kind {
	case cvAll:
		return true
	case cvEq:
		return c == v.a
	case cvNe:
		return c != v.a
	case cvNe2:
		return c != v.a && c != v.b
	case cvTab:
		return v.tab.match(c)
	}
	return false
}

func viewOf(t *codeTab) codeView {
	nf := t.n - t.trues
	switch {
	case t.trues == 0:
		return codeView{kind: cvNone}
	case nf == 0:
		return codeView{kind: cvAll}
	case t.trues == 1:
		return codeView{kind: cvEq, a: t.first}
	case nf == 1:
		return codeView{kind: cvNe, a: t.falses[0]}
	case nf == 2:
		return codeView{kind: cvNe2, a: t.falses[0], b: t.falses[1]}
	}
	return codeView{kind: cvTab, tab: t}
}

// codeTable returns the match table of code leaf l for snap's dictionary,
// built or extended as needed, and the column id for unknown fields (-1 if
// the snapshot has never seen the field).
func (l *leaf) codeTable(snap *model.Snapshot) (codeView, int) {
	id := -1
	var n int
	var fill func(bits []uint64, from, to int)
	absent := func(bits []uint64, from int) int {
		if from == 0 {
			if l.absent {
				bits[0] |= 1
			}
			from = 1
		}
		return from
	}
	switch l.dict {
	case dAddr:
		addrs := snap.Addrs
		n = len(addrs)
		m := newAddrMatcher(&l.pred)
		fill = func(bits []uint64, from, to int) {
			for c := absent(bits, from); c < to; c++ {
				if m.match(addrs[c]) {
					bits[c>>6] |= 1 << (c & 63)
				}
			}
		}
	case dStr, dExtra:
		var strs []string
		if l.dict == dStr {
			strs = snap.Strings(l.field)
		} else if id = snap.ExtraID(l.extra); id >= 0 {
			strs = snap.ExtraStrings(id)
		}
		n = len(strs)
		fill = func(bits []uint64, from, to int) {
			for c := absent(bits, from); c < to; c++ {
				if l.pred.str(strs[c]) {
					bits[c>>6] |= 1 << (c & 63)
				}
			}
		}
	}
	if n == 0 {
		n = 1 // code 0 (absent) always exists
	}
	ix := snap.Index()
	if ix == nil || id < 0 && l.dict == dExtra { // nothing to key a cache by
		return viewOf((*codeTab)(nil).extend(n, fill)), id
	}
	c := &l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	wp := weak.Make(ix)
	if c.ix != wp || c.id != id {
		c.ix, c.id, c.tab = wp, id, nil
	}
	c.tab = c.tab.extend(n, fill)
	return viewOf(c.tab), id
}

// addrMatcher is an address predicate with IPv4 prefixes as masks.
type addrMatcher struct {
	v4  []struct{ net, mask uint32 }
	v6  []netip.Prefix
	set map[netip.Addr]bool
	all bool
	inv bool
}

func newAddrMatcher(p *valPred) *addrMatcher {
	m := &addrMatcher{all: p.all, inv: p.inv, set: p.addrs}
	for _, pf := range p.pfx {
		if a := pf.Addr(); a.Is4() {
			mask := uint32(0)
			if pf.Bits() > 0 {
				mask = ^uint32(0) << (32 - pf.Bits())
			}
			m.v4 = append(m.v4, struct{ net, mask uint32 }{be32(a.As4()), mask})
		} else {
			m.v6 = append(m.v6, pf)
		}
	}
	return m
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// match is valPred.addr, faster: an IPv4 address is tested against the
// IPv4 prefixes with a mask, other addresses against the IPv6 ones
// (Prefix.Contains never mixes families).
func (m *addrMatcher) match(a netip.Addr) bool {
	b := m.all || m.set[a]
	if !b {
		if a.Is4() {
			x := be32(a.As4())
			for _, p := range m.v4 {
				if x&p.mask == p.net {
					b = true
					break
				}
			}
		} else {
			for _, p := range m.v6 {
				if p.Contains(a) {
					b = true
					break
				}
			}
		}
	}
	return b != m.inv
}
