package tui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func TestBar(t *testing.T) {
	for _, c := range []struct {
		v, top float64
		w      int
		want   string
	}{
		{10, 10, 4, "████"},
		{5, 10, 4, "██  "},
		{1, 10, 4, "▍   "},
		{0.001, 10, 4, "▏   "},
		{0, 10, 4, "    "},
		{20, 10, 3, "███"},
		{1, 0, 2, "  "},
	} {
		if got := bar(c.v, c.top, c.w); got != c.want {
			t.Errorf("bar(%v, %v, %d) = %q, want %q", c.v, c.top, c.w, got, c.want)
		}
	}
}

func TestMetricAndShareText(t *testing.T) {
	bytesM := model.Metric{Kind: model.MetricBytes}
	ratio := model.Metric{Kind: model.MetricRejectRatio}
	count := model.Metric{Kind: model.MetricCount}
	if got := metricText(bytesM, 1536); got != "1.5 KiB" {
		t.Errorf("bytes: %q", got)
	}
	if got := metricText(ratio, 0.375); got != "37.5%" {
		t.Errorf("ratio: %q", got)
	}
	if got := metricText(count, 12345); got != "12.3k" {
		t.Errorf("count: %q", got)
	}
	if got := shareText(count, 25, 100); got != "25.0%" {
		t.Errorf("share: %q", got)
	}
	if got := shareText(ratio, 0.5, 0.2); got != "" {
		t.Errorf("a ratio has no share, got %q", got)
	}
}

func TestKeyText(t *testing.T) {
	key := func(s string) model.GroupKey {
		k, err := model.ParseGroupKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, c := range []struct {
		key  string
		kv   model.KeyValue
		want string
	}{
		{"dstport", model.KeyValue{Text: "22", Num: 22}, "22 ssh"},
		{"dstport", model.KeyValue{Text: "40000", Num: 40000}, "40000"},
		{"protocol", model.KeyValue{Text: "6", Num: 6}, "tcp (6)"},
		{"protocol", model.KeyValue{Text: "250", Num: 250}, "250"},
		{"minute", model.KeyValue{Text: "x", Num: 1717236060}, "06-01 10:01"},
		{"day", model.KeyValue{Text: "x", Num: 1717200000}, "2024-06-01"},
		{"srcaddr", model.KeyValue{Absent: true, Text: "-"}, "- (absent)"},
		{"interface-id", model.KeyValue{Text: "eni-\x1b[31m"}, `eni-\x1b[31m`},
	} {
		if got := keyText(key(c.key), c.kv); got != c.want {
			t.Errorf("%s %+v: %q, want %q", c.key, c.kv, got, c.want)
		}
	}
}

// TestGroupLineFits: every group line is exactly the width, whatever the
// width and the key's length, with and without the flows column.
func TestGroupLineFits(t *testing.T) {
	k, _ := model.ParseGroupKey("interface-id")
	q := model.GroupQuery{Keys: []model.GroupKey{k}, Metrics: []model.Metric{{Kind: model.MetricBytes}, {Kind: model.MetricCount}}}
	res := &model.GroupResult{Query: q, Totals: []float64{300, 3},
		Rows: []model.GroupRow{
			{Key: []model.KeyValue{{Text: strings.Repeat("eni-0123456789abcdef", 4)}}, Vals: []float64{200, 2}},
			{Key: []model.KeyValue{{Text: "eni-1"}}, Vals: []float64{100, 1}},
		}}
	for _, w := range []int{40, 60, 80, 120, 160, 300} {
		for _, secondary := range []bool{true, false} {
			l := layoutGroups(w, 80, secondary)
			for i, row := range res.Rows {
				line, bf, bt := groupLine(res, row, l, i == 0)
				if n := ansi.StringWidth(line); n != w {
					t.Errorf("w=%d secondary=%v row %d: %d cells: %q", w, secondary, i, n, line)
				}
				if bf < 0 || bt > len(line) || bf > bt {
					t.Errorf("w=%d: bar range %d..%d of %d", w, bf, bt, len(line))
				}
			}
		}
	}
}

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

func TestCopySequence(t *testing.T) {
	plain := "\x1b]52;c;aGk=\a"
	if got := copySequence("hi", ""); got != plain {
		t.Errorf("plain: %q", got)
	}
	if got := copySequence("hi", "tmux"); got != plain+"\x1bPtmux;\x1b\x1b]52;c;aGk=\a\x1b\\" {
		t.Errorf("tmux: %q", got)
	}
	if got := copySequence("hi", "screen"); !strings.HasPrefix(got, "\x1bP\x1b]52;c;aGk=\a") {
		t.Errorf("screen: %q", got)
	}
	env := map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}
	if got := multiplexer(func(k string) string { return env[k] }); got != "tmux" {
		t.Errorf("multiplexer with $TMUX = %q", got)
	}
	if got := multiplexer(func(string) string { return "" }); got != "" {
		t.Errorf("multiplexer = %q", got)
	}
	// The sequence is zero-width: the last line still fits the screen.
	if n := ansi.StringWidth("abc" + copySequence("hi", "tmux")); n != 3 {
		t.Errorf("width with the sequence: %d", n)
	}
}

func TestExportFormatAndSeries(t *testing.T) {
	for path, want := range map[string]string{"a.csv": "csv", "b.JSONL": "jsonl", "c.json": "jsonl", "d.ndjson": "jsonl", "e.txt": ""} {
		got, err := exportFormat(path)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("exportFormat(%q) = %q, %v", path, got, err)
		}
	}
	win := chartWindow{from: 1717236000, to: 1717236180, bucket: 60}
	b := model.Bucket{Start: 1717236060}
	b.ByAction[model.ActionReject] = model.Rollup{Flows: 2, Packets: 3, Bytes: 120}
	var buf bytes.Buffer
	n, err := writeSeries(&buf, "csv", win, []model.Bucket{b})
	if err != nil || n != 3 {
		t.Fatalf("writeSeries: %d, %v", n, err)
	}
	want := strings.Join(seriesColumns, ",") + "\n" +
		"2024-06-01T10:00:00Z,60,0,0,0,0,0,0,0,0,0\n" +
		"2024-06-01T10:01:00Z,60,0,0,0,2,3,120,0,0,0\n" +
		"2024-06-01T10:02:00Z,60,0,0,0,0,0,0,0,0,0\n"
	if buf.String() != want {
		t.Errorf("csv series:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if _, err := writeSeries(&buf, "jsonl", win, []model.Bucket{b}); err != nil {
		t.Fatal(err)
	}
	if line := strings.Split(buf.String(), "\n")[1]; !strings.HasPrefix(line, `{"start":"2024-06-01T10:01:00Z","bucket_seconds":60,"accept_flows":0`) || !strings.Contains(line, `"reject_bytes":120`) {
		t.Errorf("jsonl series line: %s", line)
	}
}

// TestRefresher: one run at a time, new data paced, a changed question
// drops the result in flight.
func TestRefresher(t *testing.T) {
	var r refresher
	if ok, _ := r.request(viewGroups); !ok {
		t.Fatal("the first request does not run")
	}
	gen := r.gen
	if ok, cmd := r.request(viewGroups); ok || cmd != nil {
		t.Fatal("a second run started while one is in flight")
	}
	if cur, again := r.done(gen); !cur || !again {
		t.Fatalf("done = %v, %v; want current, again", cur, again)
	}
	ok, cmd := r.request(viewGroups)
	if ok || cmd == nil {
		t.Fatal("a request right after a run is not paced by a tick")
	}
	if ok, cmd := r.request(viewGroups); ok || cmd != nil {
		t.Fatal("a second tick was asked for")
	}
	r.change()
	if ok, _ := r.request(viewGroups); !ok {
		t.Fatal("a new question does not run at once")
	}
	if cur, _ := r.done(gen); cur {
		t.Error("a result for the old question counted as current")
	}
	if r.tick() {
		t.Error("the old pacing's tick asked for a run while the new one is in flight")
	}
}

func TestBreadcrumbFits(t *testing.T) {
	th := NewTheme(false)
	levels := []drillLevel{{label: "preset: SSH/RDP attempts"}, {label: "srcaddr 198.51.100.23"}, {label: "dstaddr 10.0.0.5"}}
	for _, w := range []int{40, 80, 160} {
		got := breadcrumb(th, levels, w)
		if ansi.StringWidth(got) != w || !strings.Contains(got, "dstaddr 10.0.0.5") || !strings.Contains(got, "esc back") {
			t.Errorf("w=%d: %q", w, got)
		}
	}
	if got := breadcrumb(th, levels, 160); !strings.Contains(got, "all › preset: SSH/RDP attempts › srcaddr 198.51.100.23 › dstaddr 10.0.0.5") {
		t.Errorf("full path: %q", got)
	}
}

func TestResolvePresets(t *testing.T) {
	if _, err := resolvePresets(DefaultPresets()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Preset{
		{Name: "bad filter", Filter: "dstprt = 22", View: "flows"},
		{Name: "bad view", View: "pie"},
		{Name: "bad key", View: "groups", GroupKey: "nope", Metric: "flows"},
		{Name: "bad metric", View: "groups", GroupKey: "srcaddr", Metric: "nope"},
		{Name: "bad chart metric", View: "chart", Metric: "nope"},
	} {
		if _, err := resolvePresets([]Preset{p}); err == nil || !strings.Contains(err.Error(), p.Name) {
			t.Errorf("%s: %v", p.Name, err)
		}
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
