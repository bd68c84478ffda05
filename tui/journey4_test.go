package tui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// screenBytes reads the bytes column of the table's rows on screen, in
// order (the first size with a unit on each line: no other column has
// one).
func screenBytes(t *testing.T, p *prog) []float64 {
	t.Helper()
	units := map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
	var out []float64
	for _, l := range screenLines(p.s.Screen())[3:] {
		m := bytesCell.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v*units[m[2]])
	}
	if len(out) < 5 {
		t.Fatalf("only %d rows with bytes on screen:\n%s", len(out), p.s.Screen())
	}
	return out
}

var bytesCell = regexp.MustCompile(` ([0-9.]+) (B|KiB|MiB|GiB|TiB)\b`)

// ordered checks that vs never goes the wrong way.
func ordered(t *testing.T, what string, vs []float64, asc bool) {
	t.Helper()
	for i := 1; i < len(vs); i++ {
		if asc && vs[i] < vs[i-1] || !asc && vs[i] > vs[i-1] {
			t.Fatalf("%s out of order at row %d: %v", what, i, vs)
		}
	}
}

// TestJourneyFlowsSort: s sorts Flows by bytes, largest first, marked
// in the header with how many rows it keeps; S reverses it; paging past
// the rows kept asks for more; enter, find and its steps work on the
// sorted rows; s moves on to the next column; copy and the
// conversations work from it; f goes back to time order, following.
func TestJourneyFlowsSort(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "FOLLOW")
			tm.Type("s")
			waitScreen(t, tm, "▼bytes", "top 1.0k of 12.0k", "PAUSED")
			desc := screenBytes(t, tm)
			ordered(t, "bytes ▼", desc, false)
			if line := cursorLine(tm.s.Screen()); !strings.Contains(line, "760 MiB") {
				t.Errorf("the cursor is on %q; want the largest record (760 MiB)", line)
			}
			tm.Type("S")
			waitScreen(t, tm, "▲bytes", "top 1.0k of 12.0k")
			asc := screenBytes(t, tm)
			ordered(t, "bytes ▲", asc, true)
			if asc[0] > desc[len(desc)-1] {
				t.Errorf("bytes ▲ starts at %v, above where ▼ ended (%v)", asc[0], desc[len(desc)-1])
			}
			// Paging past the rows kept asks for more of them.
			tm.Type(strings.Repeat(" ", 1000/(sz.h-6)+2))
			waitScreen(t, tm, "top 4.0k of 12.0k")
			tm.Send(keyHome)
			waitMatch(t, tm, regexp.MustCompile(`(?m)^ time.*\n>`)) // the cursor on the first row
			// Enter opens the record under the cursor; back keeps the sort.
			row := cursorLine(tm.s.Screen())
			tm.Send(keyEnter)
			waitScreen(t, tm, "› record")
			tm.Send(keyEsc)
			waitScreen(t, tm, "▲bytes")
			if got := cursorLine(tm.s.Screen()); got != row {
				t.Errorf("back from detail the cursor is on %q; was on %q", got, row)
			}
			// Find steps through the sorted rows in their order.
			tm.Type("F")
			waitScreen(t, tm, "find (a filter expression")
			tm.Type("dstport = 22")
			tm.Send(keyEnter)
			m1 := waitMatch(t, tm, findNote)
			cursorOn(t, tm, ":22 ")
			tm.Type("n")
			waitScreen(t, tm, "match "+strconv.Itoa(atoi(t, m1[1])+1)+" of "+m1[2])
			cursorOn(t, tm, ":22 ")
			// s: the next column; y copies the sorted row under the
			// cursor; c opens its conversations and 1 comes back sorted.
			tm.Type("s")
			waitScreen(t, tm, "▼packets · top 1.0k") // the header's note (the pkts column, when shown, is marked too), once the rows are in
			tm.Type("y")
			waitScreen(t, tm, "Copy to the clipboard", "record as JSON")
			tm.Send(keyEsc)
			waitGone(t, tm, "Copy to the clipboard")
			tm.Type("c")
			waitScreen(t, tm, "top conversation by bytes", "both ways")
			tm.Type("1")
			waitScreen(t, tm, "[1 Flows]", "▼packets · top 1.0k of 12.0k")
			tm.Type("f")
			waitScreen(t, tm, "FOLLOW")
			waitGone(t, tm, "▼packets", "top 1.0k")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestJourneyFlowsSortLive: sorted by start, newest first, new records
// are merged in as they arrive (at most every refreshEvery); e says it
// exports in time order.
func TestJourneyFlowsSortLive(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			tm := startProgram(t, demoConfig(t, clk, true), sz.w, sz.h)
			waitScreen(t, tm, "FOLLOW")
			waitMatch(t, tm, regexp.MustCompile(`1[0-9]\.[0-9]k records`))
			for range 4 {
				tm.Type("s")
			}
			first := waitMatch(t, tm, topNote)[1]
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				clk.Advance(2 * time.Second)
				if m := topNote.FindStringSubmatch(tm.s.Screen()); m != nil && m[1] != first {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			tm.Type("e")
			waitScreen(t, tm, "in time order (not sorted)")
			tm.Send(keyEsc)
			view, m := finalView(t, tm)
			l := m.flows.srt.shown()
			if l == nil || model.HumanCount(uint64(l.sel.Count)) == first {
				t.Fatalf("the sorted rows never took in new records (first over %s)", first)
			}
			sg, i, _ := l.snap.Locate(l.rows[0].row)
			top, _ := sg.Uint(model.FieldStart, i)
			if top != uint64(l.snap.MaxStart) {
				t.Errorf("the first row starts at %d; the newest record at %d", top, l.snap.MaxStart)
			}
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

var topNote = regexp.MustCompile(`top [0-9.]+k of ([0-9.]+k)`)

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJourneyGroupsFind: F in Groups finds groups by the text of their
// key, names included, in any case; n and N step through them in the
// table's order, wrapping at the ends; the header says which match of
// how many.
func TestJourneyGroupsFind(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := demoConfig(t, newTestClock(), false)
			cfg.Names = &vpc.Store{}
			cfg.Names.Set(source.DemoConfig()) // the demo's estate names its addresses
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records")
			tm.Type("2")
			waitScreen(t, tm, "top srcaddr by flows", " groups · ")
			waitGone(t, tm, "grouping…")
			tm.Type("F")
			waitScreen(t, tm, "find (text in the keys")
			tm.Type("APP-")
			tm.Send(keyEnter)
			m := waitMatch(t, tm, findNote)
			total := m[2]
			if m[1] != "1" || total == "1" {
				t.Fatalf("the first find is match %s of %s; want the first of several", m[1], total)
			}
			waitCursor(t, tm, "app-")
			tm.Type("n")
			waitScreen(t, tm, "match 2 of "+total)
			waitCursor(t, tm, "app-")
			tm.Type("N")
			waitScreen(t, tm, "match 1 of "+total)
			tm.Type("N")
			waitScreen(t, tm, "match "+total+" of "+total+" (wrapped)")
			waitCursor(t, tm, "app-")
			tm.Type("F")
			waitScreen(t, tm, "find (text in the keys")
			tm.Send(keyCtrlU)
			tm.Type("no-such-host")
			tm.Send(keyEnter)
			waitScreen(t, tm, "no group matches no-such-host")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}
