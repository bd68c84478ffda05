package model

import (
	"testing"
)

// TestGroupRollupsAfterEviction checks that totals and time buckets from
// the rollups equal what Group computes over every row, after most rows
// were evicted, and that EvictedMax bounds the evicted rows' times.
func TestGroupRollupsAfterEviction(t *testing.T) {
	lines := genLines(6*SegmentRows, 3)
	full := NewIndex(1 << 30)
	full.Ingest(&Batch{Source: "gen", Data: lines})
	all := full.Publish()
	small := NewIndex(8 << 20)
	small.Ingest(&Batch{Source: "gen", Data: lines})
	snap := small.Publish()
	if snap.Evicted == 0 {
		t.Fatal("nothing evicted")
	}
	var maxEvicted int64
	SelectAll(all).ForEach(func(sg *Seg, i int) bool {
		if sg.Base+uint64(i) >= snap.Evicted {
			return false
		}
		for _, f := range []Field{FieldStart, FieldEnd} {
			if v, ok := sg.Uint(f, i); ok && int64(v) > maxEvicted {
				maxEvicted = int64(v)
			}
		}
		return true
	})
	if snap.EvictedMax != maxEvicted {
		t.Fatalf("EvictedMax %d, want %d", snap.EvictedMax, maxEvicted)
	}
	metrics := []Metric{{Kind: MetricCount, Name: "count"}, {Kind: MetricBytes, Name: "bytes"},
		{Kind: MetricPackets, Name: "packets"}, {Kind: MetricRejects, Name: "rejects"}, {Kind: MetricRejectRatio, Name: "reject-ratio"}}
	hour, _ := ParseGroupKey("hour")
	five, _ := ParseGroupKey("5m")
	for _, tc := range []struct {
		name string
		keys []GroupKey
		top  int
		sort int
	}{
		{"totals", nil, 0, 0},
		{"by hour", []GroupKey{hour}, 0, 0},
		{"top 3 five-minute buckets by bytes", []GroupKey{five}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := GroupQuery{Keys: tc.keys, Metrics: metrics, Top: tc.top, Sort: tc.sort}
			got, ok := GroupRollups(snap, q, AllActions)
			if !ok {
				t.Fatal("not answered from the rollups")
			}
			wq := q
			if len(wq.Keys) == 0 {
				wq.Keys = []GroupKey{{Field: FieldAction}}
			}
			want, err := Group(all, nil, wq)
			if err != nil {
				t.Fatal(err)
			}
			for m := range metrics {
				if got.Totals[m] != want.Totals[m] || got.TotalInts[m] != want.TotalInts[m] {
					t.Fatalf("total %s: %v, want %v", metrics[m].Name, got.Totals[m], want.Totals[m])
				}
			}
			if len(tc.keys) == 0 {
				return
			}
			if got.Groups != want.Groups || len(got.Rows) != len(want.Rows) {
				t.Fatalf("%d groups %d rows, want %d %d", got.Groups, len(got.Rows), want.Groups, len(want.Rows))
			}
			for r := range want.Rows {
				if got.Rows[r].Key[0] != want.Rows[r].Key[0] {
					t.Fatalf("row %d key %+v, want %+v", r, got.Rows[r].Key[0], want.Rows[r].Key[0])
				}
				for m := range metrics {
					if got.Rows[r].Vals[m] != want.Rows[r].Vals[m] || got.Rows[r].Ints[m] != want.Rows[r].Ints[m] {
						t.Fatalf("row %d %s: %v, want %v", r, metrics[m].Name, got.Rows[r].Vals[m], want.Rows[r].Vals[m])
					}
				}
			}
		})
	}
	t.Run("rejects only", func(t *testing.T) {
		got, ok := GroupRollups(snap, GroupQuery{Metrics: metrics[:1]}, ActionSet{false, false, true})
		want, _ := Group(all, nil, GroupQuery{Keys: []GroupKey{{Field: FieldAction}}, Metrics: metrics[3:4]})
		if !ok || got.Totals[0] != want.Totals[0] {
			t.Fatalf("rejects %v (%v), want %v", got.Totals, ok, want.Totals)
		}
	})
	t.Run("what the rollups cannot answer", func(t *testing.T) {
		src, _ := ParseGroupKey("srcaddr")
		for _, q := range []GroupQuery{
			{Keys: []GroupKey{src}, Metrics: metrics[:1]},
			{Keys: []GroupKey{{Field: FieldStart, Bucket: 30, Name: "30s"}}, Metrics: metrics[:1]},
			{Metrics: []Metric{{Kind: MetricDistinct, Field: FieldSrcAddr, Name: "distinct(srcaddr)"}}},
		} {
			if _, ok := GroupRollups(snap, q, AllActions); ok {
				t.Fatalf("%+v answered from the rollups", q)
			}
		}
	})
}

// TestGroupRollupsRowsWithoutStart refuses to answer when some rows have
// no start time: the rollups do not hold them.
func TestGroupRollupsRowsWithoutStart(t *testing.T) {
	ix := NewIndex(0)
	f, _ := ParseFormat("version srcaddr dstaddr bytes action")
	ix.Ingest(&Batch{Source: "s", Format: f, Data: []byte("2 10.0.0.1 10.0.0.2 100 ACCEPT\n")})
	snap := ix.Publish()
	if _, ok := GroupRollups(snap, GroupQuery{Metrics: []Metric{{Kind: MetricCount, Name: "count"}}}, AllActions); ok {
		t.Fatal("answered without the row that has no start")
	}
}
