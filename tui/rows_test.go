package tui

import (
	"strings"
	"testing"

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
	cols = append(cols, column{title: "eni", kind: colMark})
	title := func(k int) string { return cols[k].title }
	tests := []struct {
		name string
		row  int
		want map[string]string
	}{
		{"custom format", 0, map[string]string{
			"time": "10:00:00", "interface": "eni-0a1b2c3d4e5f67890", "source": "10.0.1.5:49152",
			"destination": "203.0.113.7:443", "proto": "tcp", "action": "ACCEPT", "pkts": "10", "bytes": "5.0 KiB",
			"dir": "egress", "flags": "SYN-ACK,FIN", "path": "8", "pkt-src": "10.0.1.5", "eni": "↑890"}},
		{"reject with absent path", 1, map[string]string{"eni": "↓890", "action": "REJECT", "path": "-", "flags": "SYN", "destination": "10.0.0.5:22"}},
		{"nodata", 2, map[string]string{"eni": "·001", "source": "-", "destination": "-", "proto": "-", "action": "NODATA", "bytes": "-", "pkts": "-"}},
		{"ipv6", 3, map[string]string{"eni": "·001", "source": "[2001:db8::1]:443", "proto": "udp", "bytes": "1.4 MiB", "dir": "-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sg, i := row(t, snap, tc.row)
			cells := rowCells(snap, sg, i, cols, false, nil, nil)
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
		// The two interfaces' records of a flow stay apart: the interface
		// column, or from 68 cells its mark, never both.
		if kinds[colIface] && kinds[colMark] || w >= 68 && !kinds[colIface] && !kinds[colMark] {
			t.Fatalf("width %d: interface %v, mark %v", w, kinds[colIface], kinds[colMark])
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
			line, af, at := appendRow(nil, rowCells(snap, sg, i, cols, false, nil, nil), cols)
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
