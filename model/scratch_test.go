package model

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// scratchQueries are group-bys of every path: dense arrays, partitions
// (many groups, distinct counts), the hash path.
var scratchQueries = []struct {
	name string
	q    GroupQuery
}{
	{"srcaddr-bytes", GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}}, Metrics: []Metric{{Kind: MetricBytes}, {Kind: MetricCount}}}},
	{"dstport-count", GroupQuery{Keys: []GroupKey{{Field: FieldDstPort}}, Metrics: []Metric{{Kind: MetricCount}}}},
	{"conversation-dstports", GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstAddr}},
		Metrics: []Metric{{Kind: MetricDistinct, Field: FieldDstPort}, {Kind: MetricCount}}}},
	{"conversation-bytes", GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstAddr}},
		Metrics: []Metric{{Kind: MetricBytes}, {Kind: MetricCount}}}},
	{"srcaddr24-dstport", GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr, Prefix: 24}, {Field: FieldDstPort}},
		Metrics: []Metric{{Kind: MetricRejectRatio}, {Kind: MetricCount}}}},
	{"five-tuple", GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}, {Field: FieldSrcPort}, {Field: FieldDstAddr}, {Field: FieldDstPort}},
		Metrics: []Metric{{Kind: MetricPackets}, {Kind: MetricCount}}}},
	{"minute-distinct-srcaddr", GroupQuery{Keys: []GroupKey{{Field: FieldStart, Bucket: 60}},
		Metrics: []Metric{{Kind: MetricDistinct, Field: FieldSrcAddr}}}},
}

// estimateScratch returns checkScratch's estimate for q over sel, with
// the groups counted as Group found them.
func estimateScratch(snap *Snapshot, sel *Selection, q GroupQuery, groups int) int64 {
	q, _ = checkGroupQuery(q)
	g := planGroup(snap, q)
	g.shrink(sel)
	_ = g.keySpace(q)
	dk, part := g.partitionable(snap, q)
	part = part && (!g.dense || len(dk) > 0)
	perRow, perGroup, fixed := g.scratchCosts(sel, q, dk, part)
	return int64(float64(fixed+perRow*int64(sel.Count)+perGroup*int64(groups)) * scratchMargin)
}

// TestScratchEstimate: what a group-by allocates stays within the
// estimate checkScratch refuses by, on every path, and the estimate is
// not so far above it that reasonable questions are refused.
func TestScratchEstimate(t *testing.T) {
	ix := NewIndex(1 << 30)
	ingestChunks(ix, genLines(400_000, 3))
	snap := ix.Publish()
	sel := SelectAll(snap)
	for _, c := range scratchQueries {
		for _, top := range []int{1000, 0} {
			t.Run(fmt.Sprintf("%s/top%d", c.name, top), func(t *testing.T) {
				q := c.q
				q.Top = top
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				res, err := Group(snap, sel, q)
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				used := int64(after.TotalAlloc - before.TotalAlloc)
				est := estimateScratch(snap, sel, q, res.Groups)
				t.Logf("%s: %d groups, allocated %s, estimated %s (%.2fx)", c.name, res.Groups,
					HumanBytes(uint64(used)), HumanBytes(uint64(est)), float64(est)/float64(used))
				if used > est {
					t.Errorf("allocated %d bytes, more than the estimate %d", used, est)
				}
				if top != 0 {
					qq, _ := checkGroupQuery(q)
					g := planGroup(snap, qq)
					g.shrink(sel)
					if n := g.countGroups(sel); n < int64(res.Groups)*95/100 || n > int64(res.Groups)*105/100+10 {
						t.Errorf("the sketch counts %d groups; there are %d", n, res.Groups)
					}
				}
				if est > 4*used+(8<<20) {
					t.Errorf("estimate %d is far above the %d bytes allocated", est, used)
				}
			})
		}
	}
}

// TestScratchRefusal: a group-by over the cap is refused before it
// allocates, with an error that says so and how many rows would fit; the
// newest rows that fit are then grouped within the cap.
func TestScratchRefusal(t *testing.T) {
	ix := NewIndex(1 << 30)
	ingestChunks(ix, genLines(400_000, 5))
	snap := ix.Publish()
	sel := SelectAll(snap)
	q := scratchQueries[2].q // conversation, distinct ports: the heaviest
	q.Top = 1000
	q.MaxScratch = 4 << 20
	_, err := Group(snap, sel, q)
	var se *ScratchError
	if !errors.As(err, &se) || !errors.Is(err, ErrScratch) {
		t.Fatalf("Group over the cap: %v, want a ScratchError", err)
	}
	if se.Rows != sel.Count || se.Need <= se.Max || se.Fit() >= sel.Count {
		t.Fatalf("refusal %+v (fit %d of %d rows)", se, se.Fit(), sel.Count)
	}
	t.Logf("%v; %d rows fit", err, se.Fit())
	q.MaxScratch = 64 << 20
	fit := sel.Newest(0)
	if fit.Count != 0 {
		t.Fatalf("Newest(0) has %d rows", fit.Count)
	}
	part := sel.Newest(sel.Count / 3)
	if part.Count > sel.Count/3 || part.Count < sel.Count/3-SegmentRows || part.Segs[len(part.Segs)-1].Seg != sel.Segs[len(sel.Segs)-1].Seg {
		t.Fatalf("Newest(%d): %d rows", sel.Count/3, part.Count)
	}
	if _, err := Group(snap, part, q); err != nil {
		t.Fatalf("a third of the rows under a 64 MiB cap: %v", err)
	}
}

// TestBudget: the shares of --max-memory.
func TestBudget(t *testing.T) {
	b := NewBudget(512_000_000)
	if b.Index+b.Scratch+b.Detect >= b.Limit || b.Limit >= b.Max {
		t.Errorf("budget %+v: index, scratch and detections must fit under the limit, the limit under the bound", b)
	}
	// The detections' share came out of the index's and the scratch
	// space's: the three take what those two took before.
	if b.Detect != 51_200_000 || b.Index+b.Scratch+b.Detect != 409_600_000 {
		t.Errorf("budget %+v: the detections get 10%%, the three 80%% of the bound", b)
	}
	if small := NewBudget(16 << 20); small.Limit <= 0 || small.Index <= 0 || small.Detect <= 0 {
		t.Errorf("the smallest budget: %+v", small)
	}
}
