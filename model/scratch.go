package model

import (
	"math"
	"math/bits"
	"runtime"
)

// The scratch space of a group-by: what Group allocates beside the index
// while it runs (the keys' code tables, the scattered rows and their
// partitions' blocks, the groups' accumulators). GroupQuery.MaxScratch
// caps it: Group estimates it before it starts and refuses with a
// ScratchError when it would not fit, so that --max-memory bounds the
// process however heavy the question.

// scratchMargin is how much more than the estimate a group-by may really
// use (the estimate is checked against measured allocations in tests).
const scratchMargin = 1.25

// checkScratch refuses (ScratchError) a group-by of sel whose scratch
// space would pass q.MaxScratch. part says the partitioned path will
// answer it, with dk the keyers of its distinct metrics. The groups'
// number is taken as the rows' (the most there can be) unless that does
// not fit; then it is counted (a HyperLogLog sketch of the composite keys,
// one pass over the rows) and the estimate made with it.
func (g *grouper) checkScratch(snap *Snapshot, sel *Selection, q GroupQuery, dk []*keyer, part bool) error {
	n := int64(sel.Count)
	perRow, perGroup, fixed := g.scratchCosts(sel, q, dk, part)
	need := func(groups int64) int64 {
		return int64(float64(fixed+perRow*n+perGroup*groups) * scratchMargin)
	}
	most := n // groups there can be
	if g.dense && !part {
		most = min(n, int64(g.space))
	}
	if need(most) <= q.MaxScratch || perGroup == 0 {
		if need(0) <= q.MaxScratch {
			return nil
		}
		return g.scratchError(q, n, perRow, perGroup, fixed, 1)
	}
	groups := g.countGroups(sel)
	if need(groups) <= q.MaxScratch {
		return nil
	}
	ratio := float64(groups) / float64(max(n, 1))
	return g.scratchError(q, n, perRow, perGroup, fixed, ratio)
}

// scratchError builds the refusal: the space needed, and per row (groups
// taken in proportion to the rows) for a caller that answers for fewer.
func (g *grouper) scratchError(q GroupQuery, n, perRow, perGroup, fixed int64, groupsPerRow float64) *ScratchError {
	pr := int64(math.Ceil((float64(perRow) + float64(perGroup)*groupsPerRow) * scratchMargin))
	fx := int64(float64(fixed) * scratchMargin)
	return &ScratchError{Need: fx + pr*n, Max: q.MaxScratch, Rows: int(n), PerRow: pr, Fixed: fx}
}

// scratchCosts returns the bytes a group-by allocates per row, per group
// and once, on the path it will take (dense arrays, partitions, or the
// hash path).
func (g *grouper) scratchCosts(sel *Selection, q GroupQuery, dk []*keyer, part bool) (perRow, perGroup, fixed int64) {
	workers := int64(max(1, min(runtime.GOMAXPROCS(0), len(sel.Segs))))
	sums := int64(0) // accumulators beside the count: bytes, packets, rejects
	distinct := int64(0)
	for _, m := range q.Metrics {
		switch m.Kind {
		case MetricBytes, MetricPackets, MetricRejects, MetricRejectRatio:
			sums++
		case MetricDistinct:
			distinct++
		}
	}
	sums = min(sums, 3)
	// Without a top N cut every group is an answer row: its key values
	// (text included) and metric values.
	answer := 200 + int64(len(q.Keys))*200 + int64(len(q.Metrics))*32 // measured: 660 bytes for two keys and two metrics
	if q.Top == 0 {
		perGroup += answer
	}
	// The keys' code tables: remapped codes, codes in use (a byte a code
	// per worker), prefix and label tables with the maps that built them
	// (a map of prefixes costs about 430 bytes a prefix as it grows).
	for _, ky := range g.keyers {
		fixed += int64(len(ky.remap))*4 + int64(len(ky.inv))*4 + int64(ky.size)*workers
		fixed += int64(len(ky.prefix))*4 + int64(len(ky.pvals))*440 + int64(len(ky.labels))*160
		fixed += int64(len(ky.lvals)) * 48
	}
	for _, ky := range dk {
		fixed += int64(ky.size)/8*workers + int64(len(ky.prefix))*4
	}
	// A segment's rows, codes, composite keys and group ids, per worker
	// and the grouper's own (segScratch, pooled: counted as if fresh).
	fixed += (workers + 1) * SegmentRows * (4 + 4 + 8 + 4)
	switch {
	case part:
		stride := 2 + sums + distinct
		pbits := 0
		for c := sel.Count / partRows; c > 1 && pbits < 12; c >>= 1 {
			pbits++
		}
		nparts := int64(1) << pbits
		// Scattered rows in blocks (a word a row for blocks cut short);
		// each worker's block per partition being filled, the slabs they
		// are cut from, and its payload columns.
		perRow = stride*4 + 4
		fixed += workers*nparts*blockWords*4 + workers*(2<<20) + workers*SegmentRows*4*(stride-2)
		// A partition's tables, per worker (sized to twice its rows),
		// with the distinct metrics' pairs.
		fixed += workers * 4 * int64(partRows) * (16 + 8*(1+sums) + 16*distinct)
		// Every group is a candidate kept by its partition, then merged:
		// its key, count and sums, and its distinct counts, twice.
		perGroup += 2 * (8 + 8*(1+sums) + 4*distinct)
	case g.dense:
		fixed += int64(g.space) * 8 * (1 + sums)
		perGroup = 0 // the answer rows are among the space's, counted once
		if q.Top == 0 {
			perGroup = answer // only the groups met become answer rows
		}
	default:
		// The hash path: every row's composite key and group id, twice
		// (partitioned by hash), and the groups' accumulators.
		perRow = 8 + 4 + 8 + 4 + 16*distinct
		perGroup += 8 + 8*(1+sums) + 16
	}
	return perRow, perGroup, fixed
}

// countGroups estimates the number of groups of sel: a HyperLogLog sketch
// (4096 registers: about 1.6% off) of the rows' composite keys.
func (g *grouper) countGroups(sel *Selection) int64 {
	const p = 12
	workers := max(1, min(runtime.GOMAXPROCS(0), len(sel.Segs)))
	regs := make([][1 << p]uint8, workers)
	run(workers, func(w int) {
		r := &regs[w]
		rows, raw := make([]int32, 0, SegmentRows), make([]uint32, SegmentRows)
		keys := make([]uint64, SegmentRows)
		n := len(sel.Segs)
		for i := w * n / workers; i < (w+1)*n/workers; i++ {
			ss := &sel.Segs[i]
			var rs []int32
			m := ss.Seg.N
			if ss.Bits != nil {
				rs = selectedRows(ss, rows[:0])
				m = len(rs)
			}
			k := keys[:m]
			g.compositeInto(ss.Seg, rs, k, raw)
			for _, c := range k {
				h := mix64(c)
				j := h >> (64 - p)
				rho := uint8(bits.LeadingZeros64(h<<p|1<<(p-1)) + 1)
				if rho > r[j] {
					r[j] = rho
				}
			}
		}
	})
	const m = 1 << p
	sum, zeros := 0.0, 0
	for j := 0; j < m; j++ {
		v := regs[0][j]
		for w := 1; w < workers; w++ {
			v = max(v, regs[w][j])
		}
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(float64(m)/float64(zeros))
	}
	return int64(est)
}

// mix64 is a full 64-bit mix (splitmix64's finaliser): every output bit
// depends on every input bit, as a sketch's register index needs.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Newest returns the selection of s's newest rows: its last segments
// whose selected rows add up to at most n (the rows of an answer that
// covers less than the whole selection, newest first).
func (s *Selection) Newest(n int) *Selection {
	if n >= s.Count {
		return s
	}
	i, count := len(s.Segs), 0
	for i > 0 && count+s.Segs[i-1].Count <= n {
		i--
		count += s.Segs[i].Count
	}
	out := &Selection{Segs: s.Segs[i:], End: s.End, Count: count}
	out.finish()
	return out
}
