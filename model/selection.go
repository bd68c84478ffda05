package model

import (
	"math/bits"
	"sort"
)

// SegSel is the selected rows of one segment: a bitmap over the segment's
// first Seg.N rows, or every one of them when Bits is nil.
type SegSel struct {
	Seg   *Seg
	Bits  []uint64 // nil: all Seg.N rows; else at least (Seg.N+63)/64 words
	Count int      // selected rows
}

// Has reports whether row i of the segment is selected.
func (ss *SegSel) Has(i int) bool {
	if i >= ss.Seg.N {
		return false
	}
	return ss.Bits == nil || ss.Bits[i>>6]&(1<<(uint(i)&63)) != 0
}

// Selection is a set of rows of one snapshot, oldest first. It is immutable
// once built: incremental evaluation builds a new Selection that shares the
// unchanged segments.
type Selection struct {
	Segs  []SegSel
	End   uint64 // global id one past the last evaluated row
	Count int
	cum   []int // cumulative counts, for Nth
}

// SelectAll returns a selection of every row of snap.
func SelectAll(snap *Snapshot) *Selection {
	sel := &Selection{End: snap.End, Segs: make([]SegSel, 0, len(snap.Segs))}
	for _, sg := range snap.Segs {
		sel.Segs = append(sel.Segs, SegSel{Seg: sg, Count: sg.N})
	}
	sel.finish()
	return sel
}

// NewSelection builds a selection from per-segment results; end is the
// first global row id not evaluated. Segments with no match may be left out.
func NewSelection(segs []SegSel, end uint64) *Selection {
	sel := &Selection{Segs: segs, End: end}
	sel.finish()
	return sel
}

func (s *Selection) finish() {
	s.cum = make([]int, len(s.Segs)+1)
	n := 0
	for i, ss := range s.Segs {
		n += ss.Count
		s.cum[i+1] = n
	}
	s.Count = n
}

// Nth returns the segment and row of the k-th selected row (0-based,
// oldest first).
func (s *Selection) Nth(k int) (*Seg, int, bool) {
	if s == nil || k < 0 || k >= s.Count {
		return nil, 0, false
	}
	j := sort.Search(len(s.Segs), func(i int) bool { return s.cum[i+1] > k }) // first seg whose cum passes k
	ss := &s.Segs[j]
	k -= s.cum[j]
	if ss.Bits == nil {
		return ss.Seg, k, true
	}
	for w, word := range ss.Bits {
		c := bits.OnesCount64(word)
		if k < c {
			for ; ; k-- {
				t := bits.TrailingZeros64(word)
				if k == 0 {
					return ss.Seg, w*64 + t, true
				}
				word &= word - 1
			}
		}
		k -= c
	}
	return nil, 0, false
}

// ForEach calls fn for every selected row, oldest first, until fn returns
// false.
func (s *Selection) ForEach(fn func(sg *Seg, i int) bool) {
	if s == nil {
		return
	}
	for _, ss := range s.Segs {
		if !ss.ForEach(fn) {
			return
		}
	}
}

// ForEach calls fn for every selected row of the segment until fn returns
// false; it reports whether it ran to the end.
func (ss *SegSel) ForEach(fn func(sg *Seg, i int) bool) bool {
	n := ss.Seg.N
	if ss.Bits == nil {
		for i := 0; i < n; i++ {
			if !fn(ss.Seg, i) {
				return false
			}
		}
		return true
	}
	words := (n + 63) >> 6
	for w := 0; w < words; w++ {
		word := ss.Bits[w]
		for word != 0 {
			t := bits.TrailingZeros64(word)
			i := w*64 + t
			if i >= n {
				break
			}
			if !fn(ss.Seg, i) {
				return false
			}
			word &= word - 1
		}
	}
	return true
}
