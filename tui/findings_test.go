package tui

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
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
