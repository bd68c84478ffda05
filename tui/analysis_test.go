package tui

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/source"
)

// incident returns the demo's scripted incident of that name.
func incident(t *testing.T, name string) source.DemoIncident {
	t.Helper()
	for _, inc := range source.DemoIncidents() {
		if inc.Name == name {
			return inc
		}
	}
	t.Fatalf("no demo incident %q", name)
	return source.DemoIncident{}
}

// cursorLine returns the screen line of the cursor row (it starts with
// ">" after the frame's first column).
func cursorLine(scr string) string {
	for _, l := range screenLines(scr) {
		if strings.HasPrefix(l, ">") {
			return l
		}
	}
	return ""
}

// waitCursor waits until the cursor row shows every want.
func waitCursor(t *testing.T, p *prog, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		line := cursorLine(p.s.Screen())
		ok := line != ""
		for _, w := range want {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cursor row never showed %q; the screen:\n%s", want, p.s.Screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pick opens a picker with key k, narrows it to text and chooses.
func pick(t *testing.T, p *prog, k, title, text string) {
	t.Helper()
	p.Type(k)
	waitScreen(t, p, title, "find>")
	p.Type(text)
	p.Send(keyEnter)
}

// TestAnalysisJourneys walks the analysis journeys over the finished
// seeded demo at 80x24 and 160x48, asserting on the screen at each step:
// group, change key and metric, drill down two levels, pop back one level
// at a time, chart and zoom, a preset, export (the file's contents
// checked) and copy (the OSC 52 bytes checked, plain and for tmux).
func TestAnalysisJourneys(t *testing.T) {
	scan := incident(t, "port-scan")
	brute := incident(t, "brute-force")
	scanner, bruter := scan.Hosts[0], brute.Hosts[0]
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			cfg := demoConfig(t, clk, false)
			if sz.w > 80 {
				cfg.Multiplexer = "tmux"
			}
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "all match")

			// Group: by srcaddr, by flows, with shares and bars.
			tm.Type("2")
			waitScreen(t, tm, "[2 Groups]", "top srcaddr by flows", "share", "█", "groups · 12.0k flows")

			// Change the key, then the metric.
			pick(t, tm, "g", "Group by", "dstport")
			waitScreen(t, tm, "top dstport by flows", "443 https")
			pick(t, tm, "m", "Rank groups by", "bytes")
			waitScreen(t, tm, "top dstport by bytes", " GiB")

			// Rejected sources by distinct destination ports: the scanner
			// tops it.
			tm.Type("/")
			tm.Type("action = REJECT")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter action = REJECT ")
			pick(t, tm, "g", "Group by", "srcaddr")
			pick(t, tm, "m", "Rank groups by", "dst ports")
			waitScreen(t, tm, "top srcaddr by dst ports")
			waitCursor(t, tm, scanner)

			// Drill down, level 1: the scanner's flows.
			tm.Send(keyEnter)
			waitScreen(t, tm, "[1 Flows]", "filter action = REJECT and srcaddr = "+scanner, "drill all › srcaddr "+scanner)

			// Level 2: which of its targets, by flows; drill into the top one.
			tm.Type("2")
			pick(t, tm, "g", "Group by", "dstaddr")
			pick(t, tm, "m", "Rank groups by", "flows")
			waitScreen(t, tm, "top dstaddr by flows")
			waitCursor(t, tm, "10.0.0.")
			target := strings.Fields(strings.TrimPrefix(cursorLine(tm.s.Screen()), ">"))[0]
			tm.Send(keyEnter)
			waitScreen(t, tm, "[1 Flows]", "filter action = REJECT and srcaddr = "+scanner+" and dstaddr = "+target,
				"srcaddr "+scanner+" › dstaddr "+target, scanner+":")

			// Pop one level: the Groups view it left, by dstaddr, under level 1.
			tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
			waitScreen(t, tm, "[2 Groups]", "top dstaddr by flows", "filter action = REJECT and srcaddr = "+scanner, "drill all › srcaddr "+scanner+"  (esc")
			// Pop again: srcaddr by dst ports, the filter before, no breadcrumb.
			tm.Send(keyEsc)
			waitScreen(t, tm, "[2 Groups]", "top srcaddr by dst ports", "filter action = REJECT ")
			if strings.Contains(tm.s.Screen(), "drill all") {
				t.Errorf("the breadcrumb is still there after popping every level:\n%s", tm.s.Screen())
			}
			waitCursor(t, tm, scanner)

			// Chart of every record: both panels, axes with units and times;
			// zoom out and in; cycle the metric.
			tm.Type("/")
			tm.Send(keyCtrlU)
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter none")
			tm.Type("3")
			waitScreen(t, tm, "[3 Chart]", "bytes per 5s", "ACCEPT", "REJECT", "UTC", "0 B │", "└┬")
			tm.Type("-")
			waitScreen(t, tm, "bytes per 15s", "15m ")
			tm.Type("+")
			waitScreen(t, tm, "bytes per 5s", "5m ")
			tm.Type("m")
			waitScreen(t, tm, "packets per 5s")

			// A preset: rejected sources shows the scanner first.
			pick(t, tm, "p", "Presets", "rejected sources")
			waitScreen(t, tm, "[2 Groups]", "filter action = REJECT", "preset: rejected sources", "top srcaddr by flows")
			waitCursor(t, tm, scanner)
			waitGone(t, tm, "grouping…") // export waits for the preset's own answer

			// Export the groups to CSV: the count is confirmed, the file holds them.
			dir := t.TempDir()
			path := filepath.Join(dir, "groups.csv")
			tm.Type("e")
			waitScreen(t, tm, "export groups by srcaddr to>")
			tm.Send(keyCtrlU)
			tm.Type(path)
			tm.Send(keyEnter)
			waitScreen(t, tm, "exported ", " rows to ")
			recs := readCSV(t, path)
			if len(recs) < 3 || strings.Join(recs[0], ",") != "srcaddr,count" || recs[1][0] != scanner || recs[2][0] != bruter {
				t.Errorf("groups.csv starts %q", recs[:min(3, len(recs))])
			}
			if want := fmt.Sprintf("exported %d rows to", len(recs)-1); !strings.Contains(tm.s.Screen(), want) {
				t.Errorf("status bar does not say %q:\n%s", want, tm.s.Screen())
			}

			// A failing export names the path and the reason.
			bad := filepath.Join(dir, "missing", "x.csv")
			tm.Type("e")
			waitScreen(t, tm, "to>")
			tm.Send(keyCtrlU)
			tm.Type(bad)
			tm.Send(keyEnter)
			failed := "export failed (no such file or directory): " + bad
			waitScreen(t, tm, failed[:min(len(failed), sz.w-6)])

			// Copy the filter through OSC 52.
			pick(t, tm, "y", "Copy to the clipboard", "flowlens")
			waitScreen(t, tm, "copied filter (flowlens)", "(OSC 52)")
			b64 := base64.StdEncoding.EncodeToString([]byte("action = REJECT"))
			waitWritten(t, tm, "\x1b]52;c;"+b64+"\a")
			if cfg.Multiplexer == "tmux" {
				waitWritten(t, tm, "\x1bPtmux;\x1b\x1b]52;c;"+b64+"\a\x1b\\")
			} else if bytes.Contains(tm.written(), []byte("\x1bPtmux;")) {
				t.Error("a tmux passthrough was written outside tmux")
			}

			// Back from the preset to where it was asked.
			tm.Send(keyEsc)
			waitScreen(t, tm, "[3 Chart]", "filter none", "packets per 5s")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestExportRecordsAndCopyRecord: from a filtered Flows table, export
// writes every matching record as JSONL (one object per record, AWS field
// names) and copy puts the record under the cursor on the clipboard.
func TestExportRecordsAndCopyRecord(t *testing.T) {
	clk := newTestClock()
	tm := startProgram(t, demoConfig(t, clk, false), 80, 24)
	waitScreen(t, tm, "sources done", "12.0k records")
	inc := incident(t, "brute-force")
	tm.Type("/")
	tm.Type(inc.Filter)
	tm.Send(keyEnter)
	waitScreen(t, tm, "filter "+inc.Filter, " match")
	waitGone(t, tm, "… match") // export waits for the filter's own rows
	path := filepath.Join(t.TempDir(), "rejects.jsonl")
	tm.Type("e")
	waitScreen(t, tm, " records to>", "flowlens-records-")
	tm.Type(path) // replaces the suggested name
	tm.Send(keyEnter)
	waitScreen(t, tm, "exported ", "rows to")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if !strings.Contains(tm.s.Screen(), fmt.Sprintf("exported %s rows", itoa(len(lines)))) {
		t.Errorf("%d lines written; the status bar says:\n%s", len(lines), tm.s.Screen())
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if rec["action"] != "REJECT" || (rec["dstport"] != 22.0 && rec["dstport"] != 3389.0) {
			t.Fatalf("exported a record outside the filter: %s", l)
		}
	}

	pick(t, tm, "y", "Copy to the clipboard", "record as JSON")
	waitScreen(t, tm, "copied record as JSON")
	_, fm := finalView(t, tm)
	row, _ := fm.flows.cursorRow()
	sg, i, _ := fm.env.selSnap.Locate(row)
	want := base64.StdEncoding.EncodeToString(fm.env.selSnap.AppendJSON(nil, sg, i))
	if !bytes.Contains(tm.written(), []byte("\x1b]52;c;"+want+"\a")) {
		t.Errorf("the terminal never got the record's OSC 52 sequence")
	}
}

// TestGroupsLive: the Groups view follows live data, and a new filter is
// a new question: the flows its title counts are the records the filter
// matches (the status bar's count), never a mix with the old answer.
func TestGroupsLive(t *testing.T) {
	clk := newTestClock()
	tm := startProgram(t, demoConfig(t, clk, true), 80, 24)
	waitScreen(t, tm, "12.0k records")
	tm.Type("2")
	waitScreen(t, tm, "groups · 12.0k flows")
	clk.Advance(30 * time.Second)
	waitScreen(t, tm, "15.0k records", "groups · 15.0k flows")
	tm.Type("/")
	tm.Type("action = REJECT")
	tm.Send(keyEnter)
	waitScreen(t, tm, "filter action = REJECT")
	waitAgree := func() string {
		t.Helper()
		var scr string
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			scr = tm.s.Screen()
			g, m := groupsFlows.FindStringSubmatch(scr), matchCount.FindStringSubmatch(scr)
			settled := !strings.Contains(scr, "grouping…") && !strings.Contains(scr, "filtering…")
			if g != nil && m != nil && g[1] == m[1] && settled {
				return g[1]
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("the groups never counted the records the filter matches:\n%s", scr)
		return ""
	}
	first := waitAgree()
	if first == "15.0k" || first == "12.0k" {
		t.Errorf("the groups count %s flows: the old question's answer", first)
	}
	clk.Advance(30 * time.Second) // more live data, the same question
	waitScreen(t, tm, "18.0k records")
	if again := waitAgree(); again == first {
		t.Logf("no new REJECT records in 30 s (%s)", again)
	}
	finalView(t, tm)
}

// groupsFlows and matchCount read the Groups title's flow count and the
// status bar's match count off the screen.
var (
	groupsFlows = regexp.MustCompile(`groups · ([0-9.,]+k?) flows`)
	matchCount  = regexp.MustCompile(`│ ([0-9.,]+k?) match`)
)

// TestAnalysisGolden snapshots the analysis screens over the finished demo.
func TestAnalysisGolden(t *testing.T) {
	screens := []goldenScreen{
		{"groups", func(t *testing.T, tm *prog) {
			tm.Type("2")
			waitScreen(t, tm, "groups · 12.0k flows")
		}},
		{"groups-conversation-bytes", func(t *testing.T, tm *prog) {
			tm.Type("2")
			pick(t, tm, "g", "Group by", "conversation")
			pick(t, tm, "m", "Rank groups by", "bytes")
			waitScreen(t, tm, "top conversation by bytes", " ⇄ ", "flows")
		}},
		{"chart", func(t *testing.T, tm *prog) {
			tm.Type("3")
			waitScreen(t, tm, "bytes per 5s", "UTC")
		}},
		{"presets", func(t *testing.T, tm *prog) {
			tm.Type("p")
			waitScreen(t, tm, "Presets", "rejected conversations")
		}},
		{"drilled", func(t *testing.T, tm *prog) {
			tm.Type("2")
			waitScreen(t, tm, "groups · 12.0k flows")
			tm.Send(keyEnter)
			waitScreen(t, tm, "drill all › srcaddr")
		}},
	}
	runGoldens(t, screens)
}
