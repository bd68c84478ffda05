package tui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// bandwidthGoal is what following may write to the terminal per second
// at 160x48 (issue 16: a 512 kbit/s link carries 64 KB/s, and the
// explorer must leave most of it to everything else).
const bandwidthGoal = 8 << 10

// TestFollowBandwidth follows the live demo (100 records a second) for
// 30 seconds of its clock at 80x24 and 160x48, in colour (a 256-colour
// terminal) and with the demo estate's names (as flowlens demo shows
// them), counting every byte written to the terminal against the goal.
// Following paces what data changes to one frame a refresh (a second by
// default), each showing everything that arrived until then: the test
// moves the demo's clock a second at a time and, once that second's
// records are in, lets the pacer draw its frame (the refresh itself is
// set beyond the test's length, so no frame is due on its own; TestPacing
// checks the timing). TestFollowBandwidthPTY in cmd/flowlens measures the
// real binary on a pseudo-terminal in real time.
func TestFollowBandwidth(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) }) // after the parallel subtests
	const seconds = 30
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			clk := newTestClock()
			cfg := demoConfig(t, clk, true)
			cfg.Refresh = time.Hour
			cfg.Names = &vpc.Store{}
			cfg.Names.Set(source.DemoConfig())
			p := startProgram(t, cfg, sz.w, sz.h)
			waitFor(t, func() bool { return p.s.selRows.Load() >= 12000 }, "the backfill")
			p.Send(paceMsg{})
			waitScreen(t, p, "12.0k records", "FOLLOW")
			waitWritten(t, p, "12.0k records")
			start := len(p.written())
			frames := p.s.frames.Load()
			for i := 1; i <= seconds; i++ {
				clk.Advance(time.Second)
				want := int64(12000 + 100*i)
				waitFor(t, func() bool { return p.s.selRows.Load() >= want }, "the filter's result to reach %d records", want)
				p.Send(paceMsg{}) // the refresh is due
				waitFor(t, func() bool { _ = p.written(); return p.s.drawnRows.Load() >= want }, "a frame with %d records", want)
				waitWritten(t, p, model.HumanCount(uint64(want))+" records")
			}
			n := len(p.written()) - start
			t.Logf("%dx%d: %d bytes in %d frames for %d s of following: %d B/s (goal %d)",
				sz.w, sz.h, n, p.s.frames.Load()-frames, seconds, n/seconds, bandwidthGoal)
			if n/seconds > bandwidthGoal {
				t.Errorf("following wrote %d B/s at %dx%d; the goal is %d", n/seconds, sz.w, sz.h, bandwidthGoal)
			}
		})
	}
}

// waitFor polls cond (20 s at most) and fails naming what never came.
func waitFor(t *testing.T, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for "+what, args...)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPacing: a frame caused by data waits for the refresh; a key, and
// the answer to it, are drawn at once.
func TestPacing(t *testing.T) {
	m := staticModel(t, 80, 24)
	now := testStart
	p := newPaced(m, m, time.Second)
	p.clock = func() time.Time { return now }
	first := p.View()

	// Data within the refresh: held, and a tick is asked for.
	m.env.follow = false
	_, cmd := p.Update(statusMsg{at: now, statuses: nil, spark: make([]uint64, sparkMinutes)})
	if p.fresh || !p.ticking || cmd == nil {
		t.Fatalf("a status poll within the refresh was not held (fresh %v, ticking %v)", p.fresh, p.ticking)
	}
	if p.View() != first {
		t.Errorf("a held frame was drawn anew")
	}
	// The tick draws it.
	p.Update(paceMsg{})
	if !p.fresh {
		t.Errorf("the tick did not release the held frame")
	}
	p.View()

	// A key is drawn at once, even within the refresh.
	_, cmd = p.Update(typed("2"))
	if !p.fresh {
		t.Errorf("a key was held")
	}
	p.View()
	if !m.working() {
		t.Fatalf("Groups should be working on its first answer")
	}
	// Its answer is drawn at once too.
	for _, msg := range drain(cmd, nil) {
		if gm, ok := msg.(groupMsg); ok {
			p.Update(gm)
		}
	}
	if m.working() || !p.fresh {
		t.Errorf("the answer was held (working %v, fresh %v)", m.working(), p.fresh)
	}
	if !strings.Contains(p.View(), "groups ·") {
		t.Errorf("the answer is not on screen:\n%s", p.frame)
	}

	// After a quiet refresh, data waits only for what comes with it (a
	// snapshot's filter result): a short tick, not a whole refresh.
	now = now.Add(2 * time.Second)
	p.ticking = false
	p.Update(statusMsg{at: now, spark: make([]uint64, sparkMinutes)})
	if p.fresh || !p.ticking || p.due.Sub(now) > coalesce {
		t.Errorf("data after a quiet refresh: fresh %v, ticking %v, due in %s", p.fresh, p.ticking, p.due.Sub(now))
	}
}

// TestRefreshFor: --refresh wins; else the default, lower over SSH.
func TestRefreshFor(t *testing.T) {
	env := func(ssh string) func(string) string {
		return func(k string) string {
			if k == "SSH_CONNECTION" {
				return ssh
			}
			return ""
		}
	}
	for _, c := range []struct {
		d    time.Duration
		ssh  string
		want time.Duration
	}{{0, "", DefaultRefresh}, {0, "10.0.0.1 5000 10.0.0.2 22", SSHRefresh}, {300 * time.Millisecond, "10.0.0.1 5000 10.0.0.2 22", 300 * time.Millisecond}} {
		if got := refreshFor(c.d, env(c.ssh)); got != c.want {
			t.Errorf("refreshFor(%s, ssh %q) = %s, want %s", c.d, c.ssh, got, c.want)
		}
	}
}

// TestCompactLine: a compacted line, written over whatever the terminal
// showed, leaves the same cells as the line itself (a tiny terminal
// that knows text, SGR, cursor forward and erase line checks it).
func TestCompactLine(t *testing.T) {
	st := lipgloss.NewStyle().Reverse(true)
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	lines := []string{
		" 10:00:01 web-1                 10.0.1.5:443            10.0.2.9:51234          tcp    ACCEPT        3     120 B",
		st.Render(">10:00:01 web-1                 10.0.1.5:443            selected") + "            ",
		"short",
		"          leading blanks and trailing          ",
		"a b  c   d    e     f      g",
	}
	old := strings.Repeat("#", 120)
	for _, l := range lines {
		c := compactLine(l)
		// The renderer erases the rest of a line narrower than the screen.
		if got, want := paint(old, c+"\x1b[K", 120), paint(old, l+"\x1b[K", 120); got != want {
			t.Errorf("compacted %q\nto %q\nshows %q\nwant  %q", l, c, got, want)
		}
		if len(c) > len(l)+3 {
			t.Errorf("compaction grew %q to %q", l, c)
		}
	}
	if c := compactLine(lines[0]); len(c) > len(lines[0])*85/100 {
		t.Errorf("a padded table line barely shrank: %d of %d bytes", len(c), len(lines[0]))
	}
}

// paint writes s over a line showing old, as a terminal would (styles
// are recorded as a marker per cell), and returns the cells.
func paint(old, s string, w int) string {
	cells := []rune(old + strings.Repeat(" ", max(0, w-len(old))))
	styled := false
	x := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			p := s[i+2 : j]
			switch s[j] {
			case 'm':
				styled = p != "" && p != "0"
			case 'C':
				n, _ := strconv.Atoi(p)
				x += max(n, 1)
			case 'K':
				for k := x; k < len(cells); k++ {
					cells[k] = ' '
				}
			}
			i = j + 1
			continue
		}
		r := []rune(s[i:])[0]
		if x < len(cells) {
			if styled && r == ' ' {
				r = '_' // a styled blank shows
			}
			cells[x] = r
		}
		x++
		i += len(string(r))
	}
	return ansi.Strip(string(cells))
}
