package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model"
)

// hostileSnapshot indexes records whose strings hold C1 controls (an
// 8-bit CSI), bidi overrides, invalid UTF-8 and wide characters, in a
// known string field and in a field unknown to flowlens. (The parser
// refuses lines with C0 controls such as ESC outright.)
func hostileSnapshot(t *testing.T) *model.Snapshot {
	t.Helper()
	ix := model.NewIndex(64 << 20)
	data := "version vpc-id srcaddr action tgw-id\n" +
		"5 vpc-\u009b31mred 10.0.0.1 ACCEPT tgw-\u202ex\n" +
		"5 vpc-東京 10.0.0.2 REJECT \u009b2J\n" +
		"5 vpc-\u202eabc 10.0.0.3 ACCEPT \xff\xfe\n" +
		"5 plain 10.0.0.4 ACCEPT b\n"
	ix.Ingest(&model.Batch{Source: "hostile", Data: []byte(data)})
	return ix.Publish()
}

// noControls fails when out holds a control character, a C1 control or a
// bidi override that would reach the terminal.
func noControls(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r == 0xfffd {
			t.Errorf("%s: %U reached the output:\n%q", what, r, out)
			return
		}
	}
}

// TestTableWidthsAfterEscaping: the record and group tables measure
// their columns after escaping, in terminal cells, so every row lines up.
func TestTableWidthsAfterEscaping(t *testing.T) {
	snap := hostileSnapshot(t)
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := printRecords(w, "table", snap, model.SelectAll(snap), 0, 0, true, nil); err != nil {
		t.Fatal(err)
	}
	q := model.GroupQuery{Metrics: []model.Metric{{Kind: model.MetricCount, Name: "count"}}}
	k, _ := model.ParseGroupKey("vpc-id")
	q.Keys = []model.GroupKey{k}
	w.Flush()
	records := b.String()
	b.Reset()
	if err := printGroups(w, "table", snap, model.SelectAll(snap), q, false); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	for name, out := range map[string]string{"records": records, "groups": b.String()} {
		noControls(t, name, out)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		col := -1 // the cell where the second column starts, the same on every line
		for _, l := range lines {
			first := strings.Index(l, "  ")
			for first >= 0 && first+2 < len(l) && l[first+2] == ' ' {
				first++
			}
			c := ansi.StringWidth(l[:first+2])
			if col < 0 {
				col = c
			} else if c != col {
				t.Errorf("%s: the second column starts at cell %d here and %d on the first line:\n%s", name, c, col, out)
				break
			}
		}
	}
	if !strings.Contains(records, `vpc-\u009b31mred`) || !strings.Contains(records, `tgw-\u202ex`) {
		t.Errorf("escapes are not shown as text:\n%s", records)
	}
}

// TestCSVToATerminalIsEscaped: CSV written to a terminal is escaped like
// a table; CSV written elsewhere keeps the data exactly.
func TestCSVToATerminalIsEscaped(t *testing.T) {
	snap := hostileSnapshot(t)
	for _, out := range []string{csvTerminal, "csv"} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := printRecords(w, out, snap, model.SelectAll(snap), 0, 0, true, nil); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if out == csvTerminal {
			noControls(t, out, b.String())
			if recs[1][1] != `vpc-\u009b31mred` {
				t.Errorf("%s: cell %q, want it escaped", out, recs[1][1])
			}
		} else if recs[1][1] != "vpc-\u009b31mred" || recs[1][4] != "tgw-\u202ex" {
			t.Errorf("csv to a file changed the data: %q", recs[:2])
		}
	}
}

// TestHugeSums: five byte counts of 7.4e18 sum to 3.7e19, past the largest
// uint64. The answer must not wrap to a small number: it prints the
// maximum and the table says the sum saturated; a sum past 2^53 but below
// the maximum prints exactly.
func TestHugeSums(t *testing.T) {
	line := "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 7400000000000000000 1717236000 1717236060 ACCEPT OK\n"
	in := strings.Repeat(line, 5) + strings.Repeat("2 1 eni-1 10.0.0.3 10.0.0.2 1 2 6 1 4611686018427387905 1717236000 1717236060 ACCEPT OK\n", 2)
	out, errOut, code := runCmd(t, in, "query", "--metrics", "bytes", "--output", "table", "-")
	if code != 0 || !strings.Contains(out, "bytes\t18446744073709551615\n") || !strings.Contains(out, "# the sum of bytes exceeds") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = runCmd(t, in, "query", "--group-by", "srcaddr", "--metrics", "bytes", "--output", "jsonl", "-")
	if !strings.Contains(out, `{"srcaddr":"10.0.0.1","bytes":18446744073709551615}`) || !strings.Contains(out, `{"srcaddr":"10.0.0.3","bytes":9223372036854775810}`) {
		t.Fatalf("jsonl:\n%s", out)
	}
}
