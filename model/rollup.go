package model

import "sort"

// Rollup sums flows (records), packets and bytes.
type Rollup struct {
	Flows   uint64
	Packets uint64
	Bytes   uint64
	// Saturated says Packets or Bytes reached the largest uint64 and
	// stopped there: the true sum is larger (only hostile counters, each
	// at most 2^63-1, get there).
	Saturated bool
}

func (r *Rollup) add(o Rollup) {
	r.Flows += o.Flows
	r.addSums(o.Packets, o.Bytes)
	r.Saturated = r.Saturated || o.Saturated
}

// addRow adds one record's packets and bytes.
func (r *Rollup) addRow(packets, bytes uint64) {
	r.Flows++
	r.addSums(packets, bytes)
}

func (r *Rollup) addSums(packets, bytes uint64) {
	var okP, okB bool
	r.Packets, okP = addSat(r.Packets, packets)
	r.Bytes, okB = addSat(r.Bytes, bytes)
	if !okP || !okB {
		r.Saturated = true
	}
}

// Bucket is one time bucket of rollups, split by action: index 0 holds
// records without an action (NODATA, SKIPDATA, formats without action),
// then ActionAccept and ActionReject.
type Bucket struct {
	Start    int64 // Unix seconds
	ByAction [3]Rollup
}

// Total sums the bucket over all actions.
func (b *Bucket) Total() Rollup {
	var t Rollup
	for _, r := range b.ByAction {
		t.add(r)
	}
	return t
}

// addRollup adds one minute's totals to the writer's pending rollups;
// Publish merges them into the published ones. Writer only.
func (ix *Index) addRollup(minute int64, by *[3]Rollup) { addCell(ix.pend, minute, by) }

func addCell(cells map[int64]*[3]Rollup, minute int64, by *[3]Rollup) {
	cell := cells[minute]
	if cell == nil {
		cell = new([3]Rollup)
		cells[minute] = cell
	}
	for a := range by {
		cell[a].add(by[a])
	}
}

// mergeRollups publishes the pending rollups. Writer only.
func (ix *Index) mergeRollups() {
	if len(ix.pend) == 0 {
		return
	}
	ix.rollMu.Lock()
	for m, p := range ix.pend {
		addCell(ix.roll, m, p)
	}
	ix.rollMu.Unlock()
	clear(ix.pend)
}

// rollups folds the per-minute rollups into buckets of the given size
// (seconds, rounded up to whole minutes) over [from, to).
func (ix *Index) rollups(from, to, bucket int64) []Bucket {
	if bucket < 60 {
		bucket = 60
	}
	bucket = (bucket + 59) / 60 * 60
	agg := map[int64]*Bucket{}
	ix.rollMu.Lock()
	for m, cell := range ix.roll {
		t := m * 60
		if t < from || t >= to {
			continue
		}
		k := t - floorMod(t, bucket)
		b := agg[k]
		if b == nil {
			b = &Bucket{Start: k}
			agg[k] = b
		}
		for a := range cell {
			b.ByAction[a].add(cell[a])
		}
	}
	ix.rollMu.Unlock()
	out := make([]Bucket, 0, len(agg))
	for _, b := range agg {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
