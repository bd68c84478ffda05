package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/source"
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
			// The title turns at the key; the rows are the old question's,
			// marked grouping…, until the smallest groups arrive.
			waitGone(t, tm, "grouping…")
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

// TestJourneyFind: F finds records by a filter expression without
// narrowing the table; from the newest record the first match is the
// latest; n and N step through the matches, wrapping at the ends.
func TestJourneyFind(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "FOLLOW")
			tm.Type("F")
			waitScreen(t, tm, "find (a filter expression")
			tm.Type("dstport = 22")
			tm.Send(keyEnter)
			waitScreen(t, tm, "PAUSED", "all match")
			m := waitMatch(t, tm, findNote)
			total := m[2]
			if m[1] != total {
				t.Errorf("the first match from the newest record is %s of %s; want the latest", m[1], total)
			}
			cursorOn(t, tm, ":22 ")
			tm.Type("N")
			waitScreen(t, tm, "match "+dec(total, 1)+" of "+total)
			cursorOn(t, tm, ":22 ")
			tm.Type("n")
			tm.Type("n")
			waitScreen(t, tm, "match 1 of "+total+" (wrapped)")
			cursorOn(t, tm, ":22 ")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

var findNote = regexp.MustCompile(`match ([0-9]+) of ([0-9]+)`)

// waitMatch waits for re on the screen and returns its submatches.
func waitMatch(t *testing.T, p *prog, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.s.Screen()); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("screen never matched %s:\n%s", re, p.s.Screen())
	return nil
}

// cursorOn checks that the cursor's line holds want.
func cursorOn(t *testing.T, p *prog, want string) {
	t.Helper()
	for _, l := range screenLines(p.s.Screen()) {
		if strings.HasPrefix(l, ">") {
			if !strings.Contains(l, want) {
				t.Errorf("the cursor is on %q; want %q in it", l, want)
			}
			return
		}
	}
	t.Errorf("no cursor line:\n%s", p.s.Screen())
}

// dec returns the decimal n minus d.
func dec(n string, d int) string {
	v, _ := strconv.Atoi(n)
	return strconv.Itoa(v - d)
}

// TestRangeText: a range within a day shows clock times; one that spans
// days shows the dates too.
func TestRangeText(t *testing.T) {
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Unix()
	for _, tc := range []struct {
		from, to int64
		want     string
	}{
		{day + 3600, day + 7200, "01:00:00–02:00:00 UTC"},
		{day, day + 86400, "00:00:00–00:00:00 UTC"}, // all of one day: [from, to) ends where the next begins
		{day - 3600, day + 3600, "2026-11-29 23:00–2026-11-30 01:00 UTC"},
		{day - 3*86400, day, "2026-11-27 00:00–2026-11-30 00:00 UTC"},
	} {
		if got := rangeText(tc.from, tc.to); got != tc.want {
			t.Errorf("rangeText(%d, %d) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestJourneyChartRange: ← puts a cursor on the chart and says what its
// bucket holds; v marks a range; [ pans earlier and ] back; enter
// narrows the filter to the range as parsed time bounds, esc comes back.
func TestJourneyChartRange(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("3")
			waitScreen(t, tm, "[3 Chart]", "bytes per")
			tm.Send(tea.KeyMsg{Type: tea.KeyLeft})
			waitScreen(t, tm, "▲ ", "ACCEPT ▲ ", "REJECT ▲ ")
			tm.Type("v")
			tm.Send(tea.KeyMsg{Type: tea.KeyLeft})
			tm.Send(tea.KeyMsg{Type: tea.KeyLeft})
			waitScreen(t, tm, "selected ", "═")
			tm.Type("-")
			tm.Type("[")
			waitScreen(t, tm, "earlier (] later)")
			tm.Type("]")
			waitGone(t, tm, "earlier (] later)")
			tm.Send(keyEnter)
			waitScreen(t, tm, "[1 Flows]", "drill all › time ", "filter start >= ", " and start < ")
			tm.Send(keyEsc)
			waitScreen(t, tm, "[3 Chart]")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestCustomKey: the g picker takes any key query --group-by takes.
func TestCustomKey(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
		keys int
	}{
		{"srcaddr/16", true, 1}, {"5m", true, 1}, {"srcaddr,dstport", true, 2}, {"srcaddr dstport protocol", true, 3},
		{"src-name,dstport", true, 2}, {"srcaddr", false, 0} /* on the list */, {"bogus", false, 0}, {"a,b,c,d,e", false, 0}, {"", false, 0},
	} {
		c, ok := customKey(tc.text)
		if ok != tc.ok || ok && len(c.keys) != tc.keys {
			t.Errorf("customKey(%q) = %v, %v", tc.text, c.keys, ok)
		}
	}
}

// TestJourneyTypedKey: typing a key in the g picker offers it first;
// enter groups by it.
func TestJourneyTypedKey(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("2")
			waitScreen(t, tm, "top srcaddr by flows")
			tm.Type("g")
			waitScreen(t, tm, "Group by")
			tm.Type("srcaddr/16,dstport")
			waitScreen(t, tm, "group by what was typed")
			tm.Send(keyEnter)
			waitScreen(t, tm, "top srcaddr/16,dstport by flows", "srcaddr/16 · dstport", "10.1.0.0/16 · ")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestJourneyFilterHistoryPersists: a filter applied in one run is
// written to the configuration directory and comes back with ↑ in the
// next run's filter bar.
func TestJourneyFilterHistoryPersists(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			dir := configDir(t)
			clk := newTestClock()
			cfg := demoConfig(t, clk, false)
			cfg.ConfigDir = dir
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("/")
			tm.Type("dstport = 22")
			waitScreen(t, tm, "✓")
			tm.Send(keyEnter)
			waitScreen(t, tm, "filter dstport = 22")
			waitFile(t, filepath.Join(dir, "filter-history"), "dstport = 22\n")

			cfg2 := demoConfig(t, newTestClock(), false)
			cfg2.ConfigDir = dir
			tm2 := startProgram(t, cfg2, sz.w, sz.h)
			waitScreen(t, tm2, "sources done")
			tm2.Type("/")
			tm2.Send(keyUp)
			waitScreen(t, tm2, "filter> dstport = 22")
			view, _ := finalView(t, tm2)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestJourneySavedFilter: ctrl+s in the filter bar applies the filter and
// asks a name; the file keeps it, and the next run's p picker lists it
// after the presets and applies it.
func TestJourneySavedFilter(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			dir := configDir(t)
			cfg := demoConfig(t, newTestClock(), false)
			cfg.ConfigDir = dir
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("/")
			tm.Type("dstport = 22")
			waitScreen(t, tm, "✓", "ctrl+s save as")
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlS})
			waitScreen(t, tm, "save the filter as", "filter dstport = 22")
			tm.Type("ssh in")
			tm.Send(keyEnter)
			waitScreen(t, tm, "saved as ssh in")
			waitFile(t, filepath.Join(dir, "saved-filters"), "ssh in\tdstport = 22\n")

			cfg2 := demoConfig(t, newTestClock(), false)
			cfg2.ConfigDir = dir
			tm2 := startProgram(t, cfg2, sz.w, sz.h)
			waitScreen(t, tm2, "sources done")
			tm2.Type("p")
			waitScreen(t, tm2, "Presets", "ssh in", "saved: dstport = 22")
			tm2.Type("ssh in")
			tm2.Send(keyEnter)
			waitScreen(t, tm2, "filter dstport = 22", "preset: ssh in")
			view, _ := finalView(t, tm2)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestJourneySourceFailureStays: a source that fails while the others go
// on is said in the status bar until Sources is opened, keys or not.
func TestJourneySourceFailureStays(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "gone.log")
			if err := os.WriteFile(path, []byte("version srcaddr\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			bad, err := source.NewFile(path, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, 0) // unreadable once it runs (root reads anyway: then it is removed)
			os.Remove(path)
			tm := startProgram(t, demoConfig(t, newTestClock(), false, bad), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "failed (4)")
			tm.Type("2")
			tm.Type("1")
			waitScreen(t, tm, "[1 Flows]", "failed (4)")
			tm.Type("4")
			waitScreen(t, tm, "[4 Sources]", "failed")
			waitGone(t, tm, "failed (4)")
			tm.Type("1")
			waitGone(t, tm, "failed (4)")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// waitFile waits for the file at path to hold want: the explorer writes
// its files off the UI thread.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", filepath.Base(path), b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
