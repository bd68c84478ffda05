package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

var sizes = []struct{ w, h int }{{80, 24}, {160, 48}}

// TestJourneys walks the user journeys over the live demo: start, follow
// new records, pause and resume, an invalid filter with its hint, a valid
// filter applied, detail and back to the same record, sources, help, quit.
func TestJourneys(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, true), sz.w, sz.h)

			// Start: the backfill is in, following.
			waitScreen(t, tm, "12.0k records", "FOLLOW", "[1 Flows]", "source", "destination")

			// Follow: thirty seconds of new records arrive and show.
			clk.Advance(30 * time.Second)
			waitScreen(t, tm, "15.0k records")

			// Moving pauses follow; f resumes it.
			tm.Send(keyUp)
			waitScreen(t, tm, "PAUSED")
			tm.Type("f")
			waitScreen(t, tm, "FOLLOW")

			// An invalid filter: marker, message with its hint, caret.
			tm.Type("/")
			waitScreen(t, tm, "filter> ")
			tm.Type("action = REJCT")
			waitScreen(t, tm, "✗ invalid", "did you mean REJECT?", "^")

			// Fixed: valid, counted, applied on enter.
			tm.Send(keyCtrlU)
			tm.Type("action = REJECT and dstport = 22")
			waitScreen(t, tm, "✓", " match")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter action = REJECT and dstport = 22", "REJECT")
			// The applied filter's first result must be in before the
			// cursor moves: until then the rows are the old selection's.
			waitGone(t, tm, "filtering…")

			// Detail and back to the same place.
			tm.Send(keyUp)
			tm.Send(keyEnter)
			waitScreen(t, tm, "› record", "Record (format", "ssh")
			tm.Send(keyEnd)
			waitScreen(t, tm, "Provenance", "object")
			tm.Send(keyEsc)
			waitScreen(t, tm, "enter detail")

			// Sources, then help, then back.
			tm.Type("4")
			waitScreen(t, tm, "[4 Sources]", "following", "records")
			tm.Type("?")
			waitScreen(t, tm, "› help", "next view", "apply filter")
			tm.Send(keyEsc)
			waitScreen(t, tm, "[4 Sources]")
			tm.Send(keyTab)
			waitScreen(t, tm, "[5 Findings]", "high", "port-scan")
			tm.Send(keyTab)
			waitScreen(t, tm, "[1 Flows]")

			view, fm := finalView(t, tm)
			if fm.env.follow {
				t.Error("follow is on after opening a record; want it paused")
			}
			if fm.flows.cursor != fm.detail.row {
				t.Errorf("back from detail: cursor on row %d, detail showed row %d", fm.flows.cursor, fm.detail.row)
			}
			checkScreen(t, view, sz.w, sz.h)
			if !strings.Contains(view, ">") {
				t.Errorf("no cursor row on the final screen:\n%s", view)
			}
		})
	}
}

// checkScreen asserts a view is exactly h lines of w cells.
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := screenLines(view)
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, n, w, l)
		}
	}
}

// TestGolden snapshots the stable screens over the finished demo with a
// fixed clock; regenerate with go test ./tui -update.
func TestGolden(t *testing.T) {
	screens := []goldenScreen{
		{"flows", func(t *testing.T, tm *prog) {}},
		{"filtered", func(t *testing.T, tm *prog) {
			tm.Type("/")
			tm.Type("action = REJECT and dport in (22, 3389)")
			waitScreen(t, tm, "✓ ")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter action = REJECT and dport in (22, 3389)", ":3389")
		}},
		{"invalid-filter", func(t *testing.T, tm *prog) {
			tm.Type("/")
			tm.Type("dstprt = 22 and action = REJECT")
			waitScreen(t, tm, "✗ invalid", "dstport")
		}},
		{"detail", func(t *testing.T, tm *prog) {
			tm.Send(keyUp)
			tm.Send(keyEnter)
			waitScreen(t, tm, "Record (format")
		}},
		{"sources", func(t *testing.T, tm *prog) {
			tm.Type("4")
			waitScreen(t, tm, "[4 Sources]", "done")
		}},
		{"help", func(t *testing.T, tm *prog) {
			tm.Type("?")
			waitScreen(t, tm, "› help")
		}},
	}
	runGoldens(t, screens)
}
