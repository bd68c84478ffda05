package tui

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func TestChartSpan(t *testing.T) {
	// 5 minutes in 5 s buckets, ending with the bucket of the newest row.
	w := chartSpan(0, 1717236299, 0)
	if w.bucket != 5 || w.to != 1717236300 || w.from != 1717236000 || w.n() != 60 {
		t.Errorf("zoom 0: %+v", w)
	}
	// Once rows were evicted buckets are at least the rollups' minute.
	if w := chartSpan(0, 1717236299, 60); w.bucket != 60 || w.n() != 5 {
		t.Errorf("floored: %+v", w)
	}
	if z := autoZoom(120); z != 0 {
		t.Errorf("autoZoom(2m) = %d", z)
	}
	if z := autoZoom(2 * 3600); chartZoom[z].rng != 3*3600 {
		t.Errorf("autoZoom(2h) = %d", z)
	}
	if z := autoZoom(30 * 86400); z != len(chartZoom)-1 {
		t.Errorf("autoZoom(30d) = %d", z)
	}
}

// TestBucketsAt: every bucket maps to columns in order and none is lost,
// with fewer and with more buckets than columns.
func TestBucketsAt(t *testing.T) {
	for _, c := range []struct{ n, gw int }{{60, 69}, {60, 149}, {5, 69}, {60, 30}, {7, 7}} {
		seen := make([]int, c.n)
		last := -1
		for x := 0; x < c.gw; x++ {
			b0, b1 := bucketsAt(x, c.n, c.gw)
			for b := b0; b < b1; b++ {
				seen[b]++
				if b < last {
					t.Errorf("n=%d gw=%d: bucket %d after %d", c.n, c.gw, b, last)
				}
				last = b
			}
		}
		for b, k := range seen {
			if k == 0 {
				t.Errorf("n=%d gw=%d: bucket %d has no column", c.n, c.gw, b)
			}
			if c.n > c.gw && k != 1 {
				t.Errorf("n=%d gw=%d: bucket %d summed %d times", c.n, c.gw, b, k)
			}
			if x := columnOf(b, c.n, c.gw); x >= c.gw {
				t.Errorf("n=%d gw=%d: bucket %d at column %d", c.n, c.gw, b, x)
			}
		}
	}
}

// TestDrawChart: the chart fills its area exactly at every size, labels
// its axes with units and times, names both panels, and says when a
// filtered chart misses evicted rows.
func TestDrawChart(t *testing.T) {
	win := chartWindow{from: 1717236000, to: 1717236300, bucket: 5}
	var bkts []model.Bucket
	for k := int64(0); k < 60; k += 3 {
		b := model.Bucket{Start: win.from + k*5}
		b.ByAction[model.ActionAccept] = model.Rollup{Flows: uint64(k), Packets: uint64(10 * k), Bytes: uint64(1 << 20 * k)}
		b.ByAction[model.ActionReject] = model.Rollup{Flows: 1, Packets: 1, Bytes: 60}
		bkts = append(bkts, b)
	}
	th := NewTheme(false)
	in := chartInput{win: win, buckets: bkts, have: true}
	for _, sz := range []struct{ w, h int }{{40, 5}, {40, 8}, {80, 19}, {80, 18}, {160, 43}, {300, 95}} {
		out := drawChart(th, sz.w, sz.h, in, nil)
		checkScreen(t, out, sz.w, sz.h)
		if sz.h >= 8 {
			for _, want := range []string{"bytes per 5s", "ACCEPT", "REJECT", "57.0 MiB", "0 B", "UTC", "10:00", "└"} {
				if !strings.Contains(out, want) {
					t.Errorf("%dx%d: no %q in\n%s", sz.w, sz.h, want, out)
				}
			}
		}
	}
	in.metric, in.partial, in.evicted = 2, true, 1500
	out := drawChart(th, 80, 19, in, nil)
	for _, want := range []string{"flows per 5s", "partial: 1.5k evicted rows not counted", "57 │"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if out := drawChart(th, 80, 19, chartInput{}, nil); !strings.Contains(out, "charting…") {
		t.Errorf("no data yet:\n%s", out)
	}
}

// TestChartAfterEviction: once the index evicted old rows, the unfiltered
// chart still counts every record ever indexed (from the rollups), and a
// filtered chart, which can only count the rows left, says it is partial.
func TestChartAfterEviction(t *testing.T) {
	ix := model.NewIndex(4 << 20)
	gen := model.NewSynth(56)
	var buf []byte
	total := 0
	for i := 0; i < 5; i++ {
		buf = gen.Append(buf[:0], 50_000)
		ix.Ingest(&model.Batch{Source: "t", Data: buf})
		total += 50_000
		ix.Publish()
	}
	snap := ix.Publish()
	if snap.Evicted == 0 {
		t.Fatalf("nothing was evicted (%d rows kept)", snap.Rows())
	}
	win := chartSpan(autoZoom(snap.MaxStart-snap.MinStart), snap.MaxStart, 60)
	sum := func(bs []model.Bucket) (n uint64) {
		for _, b := range bs {
			n += b.Total().Flows
		}
		return n
	}
	all := seriesCmd(1, snap, model.SelectAll(snap), filter.MustCompile(""), win)().(seriesMsg)
	if !all.rollups || sum(all.buckets) != uint64(total) {
		t.Errorf("unfiltered: rollups %v, %d flows; want %d from the rollups", all.rollups, sum(all.buckets), total)
	}
	in := chartInput{win: all.win, buckets: all.buckets, have: true, partial: !all.rollups && all.evicted > 0}
	if out := drawChart(NewTheme(false), 80, 19, in, nil); strings.Contains(out, "partial") {
		t.Errorf("an unfiltered chart from the rollups says partial:\n%s", out)
	}
	f := seriesCmd(1, snap, nil, filter.MustCompile("action = ACCEPT or action = REJECT"), win)().(seriesMsg)
	if f.rollups || sum(f.buckets) != uint64(snap.Rows()) {
		t.Errorf("filtered: rollups %v, %d flows; want the %d rows left", f.rollups, sum(f.buckets), snap.Rows())
	}
	in = chartInput{win: f.win, buckets: f.buckets, have: true, partial: !f.rollups && f.evicted > 0, evicted: f.evicted}
	if out := drawChart(NewTheme(false), 80, 19, in, nil); !strings.Contains(out, "partial: ") {
		t.Errorf("a filtered chart after eviction does not say partial:\n%s", out)
	}
}
