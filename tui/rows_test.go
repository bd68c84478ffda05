package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// testSnapshot indexes a few hand-written lines: a v5-style custom format
// with an unknown field, then default-format lines (NODATA, IPv6).
func testSnapshot(t testing.TB) *model.Snapshot {
	t.Helper()
	ix := model.NewIndex(0)
	custom := "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction traffic-path pkt-srcaddr my-field\n" +
		"5 eni-0a1b2c3d4e5f67890 10.0.1.5 203.0.113.7 49152 443 6 10 5120 1717236000 1717236060 ACCEPT OK 19 egress 8 10.0.1.5 hello\n" +
		"5 eni-0a1b2c3d4e5f67890 198.51.100.23 10.0.0.5 55000 22 6 2 120 1717236001 1717236061 REJECT OK 2 ingress - 198.51.100.23 -\n"
	ix.Ingest(&model.Batch{Source: "src", Object: "vpc-a.log", Data: []byte(custom), Line: 1, EOF: true})
	plain := "2 111122223333 eni-00000000000000001 - - - - - - - 1717236002 1717236062 - NODATA\n" +
		"2 111122223333 eni-00000000000000001 2001:db8::1 2001:db8::2 443 50000 17 1 1500000 1717236003 1717236063 ACCEPT OK\n"
	ix.Ingest(&model.Batch{Source: "src", Object: "default.log", Data: []byte(plain), Line: 1, EOF: true})
	return ix.Publish()
}

func row(t testing.TB, snap *model.Snapshot, k int) (*model.Seg, int) {
	t.Helper()
	sg, i, ok := model.SelectAll(snap).Nth(k)
	if !ok {
		t.Fatalf("no row %d", k)
	}
	return sg, i
}

func TestRowCells(t *testing.T) {
	snap := testSnapshot(t)
	cols := append(baseColumns(false), extraColumns(snap.Formats)...)
	title := func(k int) string { return cols[k].title }
	tests := []struct {
		name string
		row  int
		want map[string]string
	}{
		{"custom format", 0, map[string]string{
			"time": "10:00:00", "interface": "eni-0a1b2c3d4e5f67890", "source": "10.0.1.5:49152",
			"destination": "203.0.113.7:443", "proto": "tcp", "action": "ACCEPT", "pkts": "10", "bytes": "5.0 KiB",
			"dir": "egress", "flags": "SYN-ACK,FIN", "path": "8", "pkt-src": "10.0.1.5"}},
		{"reject with absent path", 1, map[string]string{"action": "REJECT", "path": "-", "flags": "SYN", "destination": "10.0.0.5:22"}},
		{"nodata", 2, map[string]string{"source": "-", "destination": "-", "proto": "-", "action": "NODATA", "bytes": "-", "pkts": "-"}},
		{"ipv6", 3, map[string]string{"source": "[2001:db8::1]:443", "proto": "udp", "bytes": "1.4 MiB", "dir": "-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sg, i := row(t, snap, tc.row)
			cells := rowCells(snap, sg, i, cols, false, nil)
			got := map[string]string{}
			for k, c := range cells {
				got[title(k)] = c
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestFitColumns(t *testing.T) {
	snap := testSnapshot(t)
	extra := extraColumns(snap.Formats)
	for w := 40; w <= 300; w++ {
		cols := fitColumns(baseColumns(false), extra, w-1)
		total := len(cols) - 1
		kinds := map[colKind]bool{}
		for _, c := range cols {
			total += c.width
			kinds[c.kind] = true
			if c.width < c.min && (w >= 60 || c.width < 7) {
				t.Fatalf("width %d: column %s is %d wide, below its minimum", w, c.title, c.width)
			}
		}
		if total > w-1 {
			t.Fatalf("width %d: columns take %d cells", w, total)
		}
		for _, k := range []colKind{colTime, colSrc, colDst, colAction} {
			if !kinds[k] {
				t.Fatalf("width %d: essential column %d dropped", w, k)
			}
		}
		if w >= 90 && len(kinds) < 8 {
			t.Fatalf("width %d: only %d base columns", w, len(kinds))
		}
		if w >= 80 { // a typical IPv4 address and port fit whole (the interface gives way)
			for _, c := range cols {
				if (c.kind == colSrc || c.kind == colDst) && c.width < 19 {
					t.Fatalf("width %d: %s is %d wide", w, c.title, c.width)
				}
			}
		}
	}
	if cols := fitColumns(baseColumns(false), extra, 159); len(cols) <= 8 {
		t.Errorf("at 160 columns no extra column fits: %+v", cols)
	}
}

func TestAppendRowFitsAndTruncates(t *testing.T) {
	snap := testSnapshot(t)
	for _, w := range []int{40, 80, 120, 200} {
		cols := fitColumns(baseColumns(false), extraColumns(snap.Formats), w-1)
		for k := 0; k < 4; k++ {
			sg, i := row(t, snap, k)
			line, af, at := appendRow(nil, rowCells(snap, sg, i, cols, false, nil), cols)
			if n := width(string(line)); n > w-1 {
				t.Errorf("width %d row %d: %d cells: %q", w, k, n, line)
			}
			if af < 0 || at > len(line) || !strings.ContainsAny(string(line[af:at]), "ACNR") {
				t.Errorf("width %d row %d: action span %d..%d of %q", w, k, af, at, line)
			}
		}
	}
	if got := truncate("203.0.113.179:54321", 10); got != "203.0.113…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncateMiddle("eni-0a1b2c3d4e5f67890", 9); got != "eni-…7890" {
		t.Errorf("truncateMiddle = %q", got)
	}
	if got := pad("東京東京", 5, false); width(got) != 5 {
		t.Errorf("pad of wide text is %d cells: %q", width(got), got)
	}
}

func TestRankMatchesNth(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "g", Data: model.NewSynth(34).Append(nil, 150_000)})
	snap := ix.Publish()
	for _, expr := range []string{"", "action = REJECT", "dstport = 22 and action = REJECT", "bytes > 100GB"} {
		sel := filter.MustCompile(expr).Eval(snap, nil)
		for k := 0; k < sel.Count; k += 1 + k/3 {
			sg, i, _ := sel.Nth(k)
			id := sg.Base + uint64(i)
			if got := rank(sel, id); got != k {
				t.Fatalf("%q: rank of the %dth row = %d", expr, k, got)
			}
			if got := rank(sel, id+1); got != k+1 {
				t.Fatalf("%q: rank after the %dth row = %d", expr, k, got)
			}
		}
		if got := rank(sel, snap.End+5); got != sel.Count {
			t.Fatalf("%q: rank past the end = %d, want %d", expr, got, sel.Count)
		}
	}
}

func TestQueryDropsStaleResults(t *testing.T) {
	snap := testSnapshot(t)
	var q query
	fa := filter.MustCompile("action = ACCEPT")
	q.set("action = ACCEPT", fa, nil, nil)
	cmd := q.snapshot(snap)
	if cmd == nil || !q.running {
		t.Fatal("first snapshot started no evaluation")
	}
	old := cmd().(evalMsg)
	fr := filter.MustCompile("action = REJECT")
	next := q.set("action = REJECT", fr, nil, nil)
	if next == nil {
		t.Fatal("a new filter started no evaluation")
	}
	if _, current := q.result(old); current {
		t.Fatal("a result for the previous filter was taken")
	}
	res := next().(evalMsg)
	if _, current := q.result(res); !current || q.sel.Count != 1 {
		t.Fatalf("current result not taken: current=%v count=%d", current, q.sel.Count)
	}
	if q.snapshot(snap) != nil {
		t.Fatal("the same snapshot was evaluated twice")
	}
}

func TestLineInput(t *testing.T) {
	keys := DefaultKeyMap()
	in := &lineInput{keys: keys, theme: NewTheme(false), width: 10}
	typeS := func(s string) { in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }
	press := func(k tea.KeyType) { in.Update(tea.KeyMsg{Type: k}) }
	typeS("dstport 22")
	press(tea.KeyCtrlW)
	if in.Value() != "dstport " {
		t.Fatalf("ctrl+w: %q", in.Value())
	}
	typeS("4\x1b[2J43\n")
	if in.Value() != "dstport 4[2J43 " {
		t.Fatalf("control characters not dropped: %q", in.Value())
	}
	press(tea.KeyHome)
	press(tea.KeyCtrlK)
	if in.Value() != "" {
		t.Fatalf("ctrl+k at start: %q", in.Value())
	}
	typeS("action = REJECT and dstport = 22")
	if v := in.View(); width(v) != 10 {
		t.Fatalf("view is %d cells: %q", width(v), v)
	}
	if _, ok := in.Column(0); ok {
		t.Fatal("the start of a scrolled text is reported visible")
	}
	if col, ok := in.Column(len(in.Value())); !ok || col != 9 {
		t.Fatalf("the cursor column = %d, %v", col, ok)
	}
}

func TestDetailLines(t *testing.T) {
	snap := testSnapshot(t)
	text := func(k int) string {
		sg, i := row(t, snap, k)
		var b strings.Builder
		for _, l := range detailLines(snap, sg, i) {
			b.WriteString(l.label + "|" + l.value + "|" + l.meaning + "\n")
		}
		return b.String()
	}
	first := text(0)
	for _, want := range []string{
		"dstport|443|https", "srcport|49152|ephemeral", "protocol|6|tcp", "tcp-flags|19|SYN-ACK,FIN",
		"traffic-path|8|internet gateway", "dstaddr|203.0.113.7|documentation address", "srcaddr|10.0.1.5|private address",
		"flow-direction|egress|out of the interface", "direction|outbound (flow-direction egress)|derived",
		"my-field|hello|field not known to flowlens", "source|src|", "object|vpc-a.log|", "line|2|",
		"start|1717236000|2024-06-01T10:00:00Z",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("detail lacks %q:\n%s", want, first)
		}
	}
	if nd := text(2); !strings.Contains(nd, "srcaddr|-|absent (NODATA)") || !strings.Contains(nd, "object|default.log") {
		t.Errorf("NODATA detail:\n%s", nd)
	}
	if v6 := text(3); !strings.Contains(v6, "direction|public to public (inferred)") {
		t.Errorf("IPv6 detail:\n%s", v6)
	}
}

func TestSparkline(t *testing.T) {
	if got := sparkline([]uint64{0, 1, 50, 100}); got != " ▂▅█" {
		t.Errorf("sparkline = %q", got)
	}
	if got := sparkline([]uint64{0, 0}); got != "  " {
		t.Errorf("empty sparkline = %q", got)
	}
}

func TestKeyTable(t *testing.T) {
	table := KeyTable()
	for _, want := range []string{"| `/` | filter |", "| `q` | quit |", "| `g` | group key |", "| `+` | zoom in |", "| `f` | follow on/off |", "| `?` | help |"} {
		if !strings.Contains(table, want) {
			t.Errorf("key table lacks %q:\n%s", want, table)
		}
	}
}
