package tui

import (
	"fmt"
	"strings"
	"testing"
)

// TestJourneyConversations: at 80 columns the eni mark tells a flow's two
// records apart; c shows one row per conversation, both directions and
// each flow once; enter on one drills into both of its directions.
func TestJourneyConversations(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "all match")
			if sz.w == 80 {
				waitScreen(t, tm, " eni ", " ·3f5 ") // the test demo logs no flow-direction
			} else {
				waitScreen(t, tm, " interface ")
			}

			tm.Type("c")
			waitScreen(t, tm, "[2 Groups]", "top conversation by bytes", "both ways, each flow once", " ⇄ ")
			tm.Send(keyEnter)
			waitScreen(t, tm, "[1 Flows]", "drill all › conversation", " or srcaddr = ")

			// Back, and the same question asked of one direction only.
			tm.Send(keyEsc)
			waitScreen(t, tm, "[2 Groups]", " ⇄ ")
			view, fm := finalView(t, tm)
			if !fm.groups.merged || !strings.Contains(view, "conversation (both ways)") {
				t.Errorf("not merged:\n%s", view)
			}
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestJourneyGroupsSort: s sorts Groups by the key, then by the metric;
// S on the metric asks for the smallest groups (not the top ones turned
// over), and the header marks the sorted column.
func TestJourneyGroupsSort(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("2")
			waitScreen(t, tm, "top srcaddr by flows", "▼flows")
			tm.Type("s")
			waitScreen(t, tm, "srcaddr▲", ">- (absent)")
			tm.Type("S")
			waitScreen(t, tm, "srcaddr▼")
			tm.Type("s")
			waitScreen(t, tm, "top srcaddr by flows", "▼flows")
			tm.Type("S")
			waitScreen(t, tm, "bottom srcaddr by flows", "▲flows")
			view, fm := finalView(t, tm)
			rows := fm.groups.res.Rows
			for i := 1; i < len(rows); i++ {
				if rows[i].Vals[0] < rows[i-1].Vals[0] {
					t.Fatalf("bottom groups out of order at %d: %v after %v", i, rows[i].Vals[0], rows[i-1].Vals[0])
				}
			}
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}
