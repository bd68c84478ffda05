package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

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
		if got := keyText(key(c.key), c.kv, nil); got != c.want {
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
				line, bf, bt := groupLine(res, row, l, i == 0, nil, false)
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

// TestLayoutKeepsKeysWhole: at 80 columns the key column takes what an
// IPv6 conversation needs (44 cells), leaving the bar 8; a narrow key
// leaves the bar the rest.
func TestLayoutKeepsKeysWhole(t *testing.T) {
	if l := layoutGroups(80, 44, true); l.key != 44 || l.bar != 80-27-44 {
		t.Errorf("80 columns, key 44: %+v", l)
	}
	if l := layoutGroups(80, 60, true); l.key != 80-27-8 || l.bar != 8 {
		t.Errorf("80 columns, key 60: %+v", l)
	}
	if l := layoutGroups(80, 15, true); l.key != 15 || l.bar != 80-27-15 {
		t.Errorf("80 columns, key 15: %+v", l)
	}
}
