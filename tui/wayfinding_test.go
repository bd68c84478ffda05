package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
)

// lastLine returns a screen's key hint line.
func lastLine(scr string) string {
	l := screenLines(scr)
	return l[len(l)-1]
}

// TestJourneyFindingYourWay walks issue 16's way-finding items at 80x24
// and 160x48: the hint line keeps ? help and q quit and shows presets and
// groups; help is about the view it was opened over; End resumes
// following; esc at the top clears the typed filter; presets replace each
// other on the breadcrumb; text cut at the edge ends with an ellipsis.
func TestJourneyFindingYourWay(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "all match")

			// The hint line: by importance, help and quit always there.
			hints := lastLine(tm.s.Screen())
			for _, want := range []string{"/ filter", "enter detail", "f follow", "p presets", "2 groups", "? help", "q quit"} {
				if !strings.Contains(hints, want) {
					t.Errorf("the hint line lacks %q: %q", want, hints)
				}
			}

			// Help is about the view it was opened over.
			tm.Type("2")
			waitScreen(t, tm, "[2 Groups]", "groups ·")
			tm.Type("?")
			waitScreen(t, tm, "Help: Groups", "In Groups", "group key", "drill in")
			if scr := tm.s.Screen(); strings.Contains(scr, "zoom in") || followRE.MatchString(scr) {
				t.Errorf("help over Groups offers keys that do nothing there:\n%s", scr)
			}
			tm.Send(keyEsc)
			waitScreen(t, tm, "[2 Groups]", "g group key")
			tm.Type("1")
			waitScreen(t, tm, "[1 Flows]", "FOLLOW")

			// End resumes following, as less +F does.
			tm.Send(keyUp)
			waitScreen(t, tm, "PAUSED")
			tm.Send(keyEnd)
			waitScreen(t, tm, "FOLLOW")

			// esc at the top clears the typed filter (and says how to get
			// it back); esc with nothing to clear is disabled.
			tm.Type("/")
			tm.Type("action = REJECT")
			waitScreen(t, tm, "✓ ")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter action = REJECT")
			waitGone(t, tm, "filtering…", "… match")
			if !strings.Contains(lastLine(tm.s.Screen()), "esc clear filter") && sz.w > 100 {
				t.Errorf("esc is not offered with a filter to clear: %q", lastLine(tm.s.Screen()))
			}
			tm.Send(keyEsc)
			waitScreen(t, tm, "filter cleared", "filter none")
			if strings.Contains(lastLine(tm.s.Screen()), "esc ") {
				t.Errorf("esc is offered with nothing to clear: %q", lastLine(tm.s.Screen()))
			}

			// Presets replace each other on the breadcrumb.
			pick(t, tm, "p", "Presets", "rejected sources")
			waitScreen(t, tm, "› preset: rejected sources", "top srcaddr by flows")
			pick(t, tm, "p", "Presets", "top talkers")
			waitScreen(t, tm, "› preset: top talkers", "top srcaddr by bytes")
			if scr := tm.s.Screen(); strings.Contains(scr, "rejected sources") {
				t.Errorf("the second preset stacked on the first:\n%s", scr)
			}
			tm.Send(keyEsc) // one level: back to where the first preset was chosen
			waitScreen(t, tm, "[1 Flows]", "filter none")
			waitGone(t, tm, "drill ")

			// A cut line ends with an ellipsis: the preset picker's
			// descriptions at 80 columns.
			tm.Type("p")
			waitScreen(t, tm, "Presets", "find>")
			if sz.w == 80 && !strings.Contains(tm.s.Screen(), "by…") {
				t.Errorf("a description cut at 80 columns has no ellipsis:\n%s", tm.s.Screen())
			}
			tm.Send(keyEsc)

			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestPendingCount: while a new filter's first result is on its way the
// status bar does not show the old filter's match count.
func TestPendingCount(t *testing.T) {
	m := staticModel(t, 120, 30)
	if !strings.Contains(m.status.View(), "all match") {
		t.Fatalf("status bar: %q", m.status.View())
	}
	f, err := filter.Compile("action = REJECT")
	if err != nil {
		t.Fatal(err)
	}
	cmd := m.apply(applyFilter{expr: "action = REJECT", flt: f})
	if s := m.status.View(); !strings.Contains(s, "… match") || strings.Contains(s, "all match") {
		t.Errorf("pending: the status bar says %q", s)
	}
	feed(m, cmd)
	if s := m.status.View(); strings.Contains(s, "… match") {
		t.Errorf("the result landed; the status bar still says %q", s)
	}
}

// TestSuspendKey: ctrl+z asks Bubble Tea to suspend (it restores the
// terminal, stops the process and redraws on fg; scripts/tmux-journeys.sh
// walks it in a shell).
func TestSuspendKey(t *testing.T) {
	m := staticModel(t, 80, 24)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlZ})
	if cmd == nil {
		t.Fatal("ctrl+z did nothing")
	}
	if _, ok := cmd().(tea.SuspendMsg); !ok {
		t.Errorf("ctrl+z returned %T, want tea.SuspendMsg", cmd())
	}
}
