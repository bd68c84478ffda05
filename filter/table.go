package filter

import (
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

// extend returns a table covering n codes; fn says whether a new code
// matches. Only the codes past t.n are computed, so growing a dictionary by
// k codes costs k predicate calls and a copy of the bitmap (n/8 bytes).
func (t *codeTab) extend(n int, fn func(c int) bool) *codeTab {
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
	for c := from; c < n; c++ {
		if fn(c) {
			nt.bits[c>>6] |= 1 << (c & 63)
			if nt.trues == 0 {
				nt.first = uint32(c)
			}
			nt.trues++
		} else if nt.nfalse < 2 {
			nt.falses[nt.nfalse] = uint32(c)
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
	var fn func(c int) bool
	switch l.dict {
	case dAddr:
		addrs := snap.Addrs
		n = len(addrs)
		fn = func(c int) bool { return c == 0 && l.absent || c != 0 && l.pred.addr(addrs[c]) }
	case dStr:
		strs := snap.Strings(l.field)
		n = len(strs)
		fn = func(c int) bool { return c == 0 && l.absent || c != 0 && l.pred.str(strs[c]) }
	case dExtra:
		if id = snap.ExtraID(l.extra); id < 0 {
			t := (*codeTab)(nil).extend(1, func(int) bool { return l.absent })
			return viewOf(t), -1
		}
		strs := snap.ExtraStrings(id)
		n = len(strs)
		fn = func(c int) bool { return c == 0 && l.absent || c != 0 && l.pred.str(strs[c]) }
	}
	if n == 0 {
		n = 1 // code 0 (absent) always exists
	}
	ix := snap.Index()
	if ix == nil { // not from an index: nothing to key a cache by
		return viewOf((*codeTab)(nil).extend(n, fn)), id
	}
	c := &l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	wp := weak.Make(ix)
	if c.ix != wp || c.id != id {
		c.ix, c.id, c.tab = wp, id, nil
	}
	c.tab = c.tab.extend(n, fn)
	return viewOf(c.tab), id
}
