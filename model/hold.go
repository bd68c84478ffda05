package model

import "sync/atomic"

// holdState keeps rows from eviction for a reader that must see every row
// (a query printing records as they arrive): rows at or after the held row
// stay in the index even over the memory budget, and the writer's feeder
// waits (see Index.OverHeld) instead of evicting them. The zero value
// holds nothing.
type holdState struct {
	row atomic.Uint64 // held row + 1; 0 = nothing held
}

// Hold keeps rows with global id >= row from eviction until the hold
// moves on or is released. Safe from any goroutine; the reader calls it
// each time it has consumed more rows.
func (ix *Index) Hold(row uint64) { ix.hold.row.Store(row + 1) }

// Held returns the held row, if any.
func (ix *Index) Held() (row uint64, ok bool) {
	h := ix.hold.row.Load()
	return h - 1, h != 0
}

// Release lets every row be evicted again.
func (ix *Index) Release() { ix.hold.row.Store(0) }

// evictable reports whether a segment ending before row end may be
// evicted under the current hold.
func (ix *Index) evictable(end uint64) bool {
	h := ix.hold.row.Load()
	return h == 0 || end <= h-1
}

// OverHeld reports whether the index, as of its last publication, is over
// its memory budget only because rows are held: the feeder should wait
// for the reader before it appends more. Safe from any goroutine.
func (ix *Index) OverHeld() bool {
	s := ix.Snapshot()
	return ix.hold.row.Load() != 0 && s.Memory > s.Budget && len(s.Segs) > 1 && !ix.evictable(s.Segs[0].Base+uint64(s.Segs[0].N))
}
