package tui

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// moveTo presses down until the cursor row shows every want.
func moveTo(t *testing.T, p *prog, want ...string) string {
	t.Helper()
	for i := 0; i < 40; i++ {
		line := cursorLine(p.s.Screen())
		ok := line != ""
		for _, w := range want {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return line
		}
		p.Send(keyDown)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no row with %q:\n%s", want, p.s.Screen())
	return ""
}

// TestFindingsJourney: the Findings view lists the demo's incidents by
// severity; enter on one opens Flows filtered to exactly its evidence
// (the status bar counts as many records as the finding), with the
// breadcrumb; back returns to the finding.
func TestFindingsJourney(t *testing.T) {
	brute := incident(t, "brute-force")
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("5")
			waitScreen(t, tm, "[5 Findings]", " high", "port-sweep", "12.0k records read")
			// Most severe first.
			if line := strings.Fields(strings.TrimLeft(screenLines(tm.s.Screen())[4], "> ")); len(line) < 1 || line[0] != "high" {
				t.Errorf("first finding is not high: %q", line)
			}
			row := moveTo(t, tm, "brute-force", brute.Src, brute.Dst+":22")
			flows := strings.Fields(strings.TrimPrefix(row, ">"))[4]
			tm.Send(keyEnter)
			waitScreen(t, tm, "[1 Flows]", "finding: brute-force "+brute.Src, "filter protocol = tcp", flows+" match")
			waitGone(t, tm, "filtering…")
			cursor := cursorLine(tm.s.Screen())
			if !strings.Contains(cursor, brute.Src) || !strings.Contains(cursor, "REJECT") {
				t.Errorf("the evidence shows %q", cursor)
			}
			tm.Send(keyEsc)
			waitScreen(t, tm, "[5 Findings]", "filter none")
			waitGone(t, tm, "finding: brute-force")
			waitCursor(t, tm, "brute-force", brute.Src)
			view, fm := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
			if len(fm.drills) != 0 || fm.env.expr != "" {
				t.Errorf("back did not restore the filter: %q, %d levels", fm.env.expr, len(fm.drills))
			}
		})
	}
}

// TestWhyJourney: w on a rejected record opens the verdict: a security
// group's inbound REJECT, and a reply REJECTed by a network ACL (the
// record is the reply: the question is turned round to its request).
func TestWhyJourney(t *testing.T) {
	for _, c := range []struct {
		incident, filter, verdict string
	}{
		{"sg-misconfig", "action = REJECT and dstport = 5432", "BLOCKED-AT-DESTINATION-INBOUND"},
		{"acl-reply", "action = REJECT and srcport = 6379", "REPLY-BLOCKED-AT-DESTINATION"},
	} {
		inc := incident(t, c.incident)
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", c.incident, sz.w, sz.h), func(t *testing.T) {
				clk := newTestClock()
				cfg := demoConfig(t, clk, false)
				cfg.Filter = c.filter
				tm := startProgram(t, cfg, sz.w, sz.h)
				waitScreen(t, tm, "sources done", "REJECT")
				waitGone(t, tm, "filtering…")
				tm.Type("w")
				waitScreen(t, tm, "› why", inc.Src+" -> "+inc.Dst+" port "+fmt.Sprint(inc.Port)+": "+c.verdict)
				tm.Send(keyEnd)
				waitScreen(t, tm, "create-network-insights-path")
				tm.Send(keyEsc)
				waitScreen(t, tm, "[1 Flows]", "filter "+c.filter)
				view, _ := finalView(t, tm)
				checkScreen(t, view, sz.w, sz.h)
			})
		}
	}
}

// TestWhyOfGroup: w on a conversation group asks about its two addresses.
func TestWhyOfGroup(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.21.14"), netip.MustParseAddr("10.0.30.10")
	keys := []model.GroupKey{{Field: model.FieldSrcAddr}, {Field: model.FieldDstAddr}}
	row := model.GroupRow{Key: []model.KeyValue{{Addr: netip.PrefixFrom(a, 32)}, {Addr: netip.PrefixFrom(b, 32)}}}
	q, ok := whyOfGroup(keys, row)
	if !ok || q.Src != a || q.Dst != b || q.Port != -1 {
		t.Errorf("%+v %v", q, ok)
	}
	row.Key[1].Addr = netip.MustParsePrefix("10.0.30.0/24")
	if _, ok := whyOfGroup(keys, row); ok {
		t.Error("a /24 is not one address")
	}
	if _, ok := whyOfGroup(keys[:1], row); ok {
		t.Error("one address is no pair")
	}
}

// TestFindingsGolden snapshots the Findings and why screens.
func TestFindingsGolden(t *testing.T) {
	runGoldens(t, []goldenScreen{
		{"findings", func(t *testing.T, tm *prog) {
			tm.Type("5")
			waitScreen(t, tm, "[5 Findings]", "port-sweep", "12.0k records read")
			waitGone(t, tm, "updating…")
		}},
		{"why", func(t *testing.T, tm *prog) {
			tm.Type("/")
			tm.Type("action = REJECT and srcport = 6379")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter action = REJECT and srcport = 6379")
			waitGone(t, tm, "filtering…")
			tm.Type("w")
			waitScreen(t, tm, "› why", "REPLY-BLOCKED-AT-DESTINATION")
		}},
	})
}

// TestFindingsLive: as the demo keeps generating, the view's findings
// grow without a key press, and the engine's results reach the view.
func TestFindingsLive(t *testing.T) {
	clk := newTestClock()
	tm := startProgram(t, demoConfig(t, clk, true), 160, 48)
	tm.Type("5")
	waitScreen(t, tm, "[5 Findings]", "12.0k records read")
	clk.Advance(30 * time.Second)
	waitScreen(t, tm, "15.0k records read")
	_, fm := finalView(t, tm)
	var seen int
	for _, f := range fm.finds.res.All {
		if f.Severity >= detect.SevMedium {
			seen++
		}
	}
	if seen < 5 {
		t.Errorf("%d medium or high findings", seen)
	}
}

// TestFindingsRows: each row says what (detection and its Brief), who
// (source and target), how severe and how many records, at 80 columns as
// at 160; wider, the detail follows without repeating who; an evicted
// finding is marked and the summary line says what the mark means.
func TestFindingsRows(t *testing.T) {
	ix := model.NewIndex(0)
	for _, name := range []string{"scan.log", "blocked.log", "gaps.log", "unidir.log"} {
		data, err := os.ReadFile(filepath.Join("..", "model", "detect", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		ix.Ingest(&model.Batch{Source: "fixture", Object: name, Data: data, EOF: true})
	}
	eng, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Update(ix.Publish())
	if len(res.All) < 8 {
		t.Fatalf("%d findings", len(res.All))
	}
	gone := *res.All[len(res.All)-1]
	gone.Evicted = detect.EvictAll
	res.All = append(res.All[:len(res.All)-1:len(res.All)-1], &gone)
	for _, sz := range append(sizes, struct{ w, h int }{120, 40}) {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m, err := newRootModel(Config{Index: ix, Feed: newIdleFeed()})
			if err != nil {
				t.Fatal(err)
			}
			m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			m.switchTo(viewFindings)
			m.Update(findingsMsg{res: res})
			view := ansi.Strip(m.View())
			checkScreen(t, view, sz.w, sz.h)
			if !strings.Contains(view, "over evicted records (~)") {
				t.Errorf("the summary line does not explain ~:\n%s", view)
			}
			lines := screenLines(view)
			head := -1
			for i, l := range lines {
				if strings.HasPrefix(l, " SEV ") {
					head = i
				}
			}
			if head < 0 {
				t.Fatalf("no column header:\n%s", view)
			}
			if want := "WHAT"; !strings.Contains(lines[head], want) || strings.Contains(lines[head], "SUMMARY") {
				t.Errorf("header %q", lines[head])
			}
			c := findingCols(sz.w)
			if (c.detail > 0) != (sz.w >= 120) || c.what < 11 {
				t.Errorf("at %d columns: %+v", sz.w, c)
			}
			shown := 0
			for i, f := range res.All {
				if head+1+i >= len(lines)-2 {
					break // below the fold
				}
				row := lines[head+1+i] + " "
				shown++
				cells := strings.Fields(strings.TrimLeft(row, "> "))
				if len(cells) < 6 || cells[0] != f.Severity.String() || cells[1] != f.Detection {
					t.Errorf("%s %s: row %q", f.Severity, f.Detection, row)
					continue
				}
				if f.Src.IsValid() && !strings.Contains(row, " "+truncateMiddle(f.Src.String(), c.src)+" ") {
					t.Errorf("%s: row %q does not show its source", f.Detection, row)
				}
				if !strings.Contains(row, " "+truncateAddrPort(f.Target(), c.dst)+" ") {
					t.Errorf("%s: row %q does not show its target %s", f.Detection, row, f.Target())
				}
				if !strings.Contains(row, " "+model.HumanCount(f.Flows)+" ") {
					t.Errorf("%s: row %q does not show its flows", f.Detection, row)
				}
				what := f.Brief
				if f.Evicted != detect.EvictNone {
					what = "~" + what
				}
				if !strings.Contains(row, " "+what+" ") {
					t.Errorf("%s: row %q does not show %q", f.Detection, row, what)
				}
				if f.Src.IsValid() && strings.Count(row, f.Src.String()) > 1 {
					t.Errorf("%s: row repeats its source: %q", f.Detection, row)
				}
				if c.detail > 0 && !strings.Contains(row, f.Detail[:min(len(f.Detail), 10)]) {
					t.Errorf("%s: row %q has no detail", f.Detection, row)
				}
			}
			if shown < min(len(res.All), sz.h-4) {
				t.Errorf("%d of %d findings recognised on screen:\n%s", shown, len(res.All), view)
			}
		})
	}
}

// TestFindingsNames: the Findings view names the ends of a finding from
// the estate's names (here the demo's), as Flows and Groups do: beside
// the address where it fits at 80 columns, always from 140.
func TestFindingsNames(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want []string
	}{
		{80, 24, []string{"10.0.1.10 nat-b", "10.0.0.5:22 bastion"}},
		{160, 48, []string{"10.0.21.13 app-7", "10.0.1.10 nat-b", "10.0.0.5:22 bastion", "eni-f7f8f57f00c26fa21 nat-b"}},
	} {
		t.Run(fmt.Sprintf("%dx%d", c.w, c.h), func(t *testing.T) {
			clk := newTestClock()
			cfg := demoConfig(t, clk, false)
			cfg.Names = &vpc.Store{}
			cfg.Names.Set(source.DemoConfig()) // the demo's estate names its addresses
			tm := startProgram(t, cfg, c.w, c.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("5")
			waitScreen(t, tm, append([]string{"[5 Findings]", "12.0k records read"}, c.want...)...)
			checkScreen(t, tm.s.Screen(), c.w, c.h)
		})
	}
}

// TestFindingsMemory: the summary line says how much the detections hold
// (their share of --max-memory) once it is a MiB or more, how many
// records came too late for them, and which were paused.
func TestFindingsMemory(t *testing.T) {
	v, err := newFindings(&env{theme: NewTheme(false), keys: DefaultKeyMap()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v.res = detect.Result{Gen: 1, Rows: 1000, Memory: 300 << 20}
	if s := ansi.Strip(v.summary()); !strings.Contains(s, "detections hold 300 MiB") {
		t.Errorf("summary %q", s)
	}
	v.res.Memory = 500 << 10
	if s := ansi.Strip(v.summary()); strings.Contains(s, "detections hold") || strings.Contains(s, "late") || strings.Contains(s, "paused") {
		t.Errorf("summary %q", s)
	}
	v.res.Late = map[string]uint64{"port-scan": 3, "brute-force": 4}
	v.res.Paused = []string{"rejects-spike"}
	s := ansi.Strip(v.summary())
	for _, want := range []string{"7 records arrived too late for detection (older than the window kept)",
		"rejects-spike paused: its state passed the detections' memory share of --max-memory"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q does not say %q", s, want)
		}
	}
}
