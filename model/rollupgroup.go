package model

import "sort"

// ActionSet selects rows by action, indexed like Bucket.ByAction: 0 for
// rows without an action, then ActionAccept and ActionReject.
type ActionSet [3]bool

// AllActions selects every row.
var AllActions = ActionSet{true, true, true}

// RollupMetric reports whether the per-minute rollups can compute m:
// count, bytes, packets, rejects and reject-ratio, not distinct values.
func RollupMetric(m Metric) bool { return m.Kind != MetricDistinct }

// RollupKey reports whether the rollups can group by k: a time bucket of
// start that is a whole number of minutes.
func RollupKey(k GroupKey) bool { return k.Bucket > 0 && k.Bucket%60 == 0 }

// GroupRollups answers q over the rows whose action is in acts from the
// per-minute rollups, which keep every row ever indexed, evicted ones
// included: the totals when q has no keys, or one row per time bucket
// when its one key is a RollupKey. Rows are ranked as Group ranks them.
//
// ok is false when q asks for more than the rollups hold (other keys, a
// distinct metric), or when they do not account for every row: some rows
// had no start time, or the rollups could not be read consistently with
// a snapshot. The result describes the newest snapshot at or after snap.
func GroupRollups(snap *Snapshot, q GroupQuery, acts ActionSet) (res *GroupResult, ok bool) {
	if snap == nil || snap.ix == nil || len(q.Keys) > 1 || len(q.Keys) == 1 && !RollupKey(q.Keys[0]) {
		return nil, false
	}
	if len(q.Metrics) == 0 {
		q.Metrics = []Metric{{Kind: MetricCount, Name: "count"}}
	}
	for _, m := range q.Metrics {
		if !RollupMetric(m) {
			return nil, false
		}
	}
	if q.Sort < 0 || q.Sort >= len(q.Metrics) {
		return nil, false
	}
	bucket := int64(1 << 62) // no key: one bucket holds everything
	if len(q.Keys) == 1 {
		bucket = q.Keys[0].Bucket
	}
	// Publish merges the rollups before it stores the snapshot, so a
	// publication in between shows as a mismatch; the newest snapshot is
	// then tried, a few times.
	for try := 0; try < 4; try++ {
		agg, total := snap.ix.foldRollups(bucket)
		if total == snap.End {
			return rollupResult(q, agg, acts), true
		}
		next := snap.ix.Snapshot()
		if next.Gen == snap.Gen {
			return nil, false // rows without a start time: not in the rollups
		}
		snap = next
	}
	return nil, false
}

// foldRollups sums the published per-minute rollups into buckets of the
// given size (seconds, a multiple of 60) and counts the rows they hold.
func (ix *Index) foldRollups(bucket int64) (map[int64]*[3]Rollup, uint64) {
	agg := map[int64]*[3]Rollup{}
	var total uint64
	ix.rollMu.Lock()
	defer ix.rollMu.Unlock()
	for m, cell := range ix.roll {
		t := m * 60
		k := t - floorMod(t, bucket)
		b := agg[k]
		if b == nil {
			b = new([3]Rollup)
			agg[k] = b
		}
		for a := range cell {
			b[a].add(cell[a])
			total += cell[a].Flows
		}
	}
	return agg, total
}

// rollupResult turns bucketed rollups into a GroupResult for q. Sums of
// bytes and packets saturate, and say so, as Group's do.
func rollupResult(q GroupQuery, agg map[int64]*[3]Rollup, acts ActionSet) *GroupResult {
	type group struct {
		start  int64
		sum    Rollup // of the selected actions
		rejcts uint64
	}
	var gs []group
	var tot group
	for k, cell := range agg {
		g := group{start: k}
		for a := range cell {
			if !acts[a] {
				continue
			}
			g.sum.add(cell[a])
			if Action(a) == ActionReject {
				g.rejcts += cell[a].Flows
			}
		}
		if g.sum.Flows == 0 {
			continue
		}
		gs = append(gs, g)
		tot.sum.add(g.sum)
		tot.rejcts += g.rejcts
	}
	ints := func(g group, m Metric) uint64 {
		switch m.Kind {
		case MetricCount:
			return g.sum.Flows
		case MetricBytes:
			return g.sum.Bytes
		case MetricPackets:
			return g.sum.Packets
		case MetricRejects:
			return g.rejcts
		}
		return 0
	}
	value := func(g group, m Metric) float64 {
		if m.Kind == MetricRejectRatio {
			if g.sum.Flows == 0 {
				return 0
			}
			return float64(g.rejcts) / float64(g.sum.Flows)
		}
		return float64(ints(g, m))
	}
	n := len(q.Metrics)
	res := &GroupResult{Query: q, Totals: make([]float64, n), TotalInts: make([]uint64, n), Saturated: make([]bool, n),
		Count: int(tot.sum.Flows)}
	for mi, m := range q.Metrics {
		res.Totals[mi], res.TotalInts[mi] = value(tot, m), ints(tot, m)
		res.Saturated[mi] = tot.sum.Saturated && (m.Kind == MetricBytes || m.Kind == MetricPackets)
	}
	if len(q.Keys) == 0 {
		return res
	}
	res.Groups = len(gs)
	sm := q.Metrics[q.Sort]
	sort.Slice(gs, func(i, j int) bool {
		if sm.Integral() {
			vi, vj := ints(gs[i], sm), ints(gs[j], sm)
			if vi != vj {
				return vi > vj != q.Asc
			}
		} else if vi, vj := value(gs[i], sm), value(gs[j], sm); vi != vj {
			return vi > vj != q.Asc
		}
		return gs[i].start < gs[j].start
	})
	if q.Top > 0 && q.Top < len(gs) {
		gs = gs[:q.Top]
	}
	for _, g := range gs {
		row := GroupRow{Key: []KeyValue{{Text: formatUnix(g.start), Num: uint64(g.start)}}, Vals: make([]float64, n), Ints: make([]uint64, n)}
		for mi, m := range q.Metrics {
			row.Vals[mi], row.Ints[mi] = value(g, m), ints(g, m)
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}
