package tui

import (
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// What goes over the wire. Following a busy source used to repaint the
// whole screen ten times a second (77 KB/s at 160x48, more than a 512
// kbit/s link carries). Two things keep it light:
//
//   - pacing: a frame caused by data (new snapshots, status polls, live
//     refreshes of Groups and Chart) is drawn at most once per refresh
//     interval (--refresh, default 1 s, 2 s over SSH); a frame caused by
//     the user (a key, the mouse, a resize) is drawn at once, and so is
//     the frame that answers them (the first result of a new filter or
//     question: the moment the screen stops saying it is working);
//   - compaction: blank runs outside styled text travel as a cursor
//     movement instead of spaces, on a line erased first (Bubble Tea's
//     renderer already skips the lines that did not change and erases
//     the rest of a shortened line).

// Refresh intervals: the default, and the one used when SSH_CONNECTION
// says the terminal is at the far end of an SSH link.
const (
	DefaultRefresh = time.Second
	SSHRefresh     = 2 * time.Second
)

// refreshFor returns the refresh interval for a configured one (0: the
// default, lower over SSH).
func refreshFor(d time.Duration, getenv func(string) string) time.Duration {
	switch {
	case d > 0:
		return d
	case getenv("SSH_CONNECTION") != "":
		return SSHRefresh
	}
	return DefaultRefresh
}

// paceMsg wakes the pacer when a held frame is due.
type paceMsg struct{}

// paced wraps the program's model and decides when its frame is drawn
// anew (see the top of this file). View never blocks: a held frame is the
// last one drawn, and the renderer skips a frame equal to the last.
type paced struct {
	inner tea.Model
	root  *rootModel
	every time.Duration
	clock func() time.Time // the wall clock (tests pin the app clock, not this)

	frame   string
	drawn   time.Time // when frame was drawn
	fresh   bool      // the next View draws anew
	working bool      // the frame drawn says work is in progress
	ticking bool      // a paceMsg is on its way
	due     time.Time // when it is due
}

// coalesce is how long a data frame waits at least, even after a quiet
// refresh: a snapshot's filter result lands in the same frame as the
// snapshot's counts, rather than a whole refresh later.
const coalesce = 30 * time.Millisecond

// newPaced paces inner, whose model is root, to one data frame per every.
func newPaced(inner tea.Model, root *rootModel, every time.Duration) *paced {
	return &paced{inner: inner, root: root, every: every, clock: time.Now, fresh: true}
}

// Init starts the inner model.
func (p *paced) Init() tea.Cmd { return p.inner.Init() }

// Update hands msg to the inner model and decides whether the next View
// draws anew; when it holds a frame it asks to be woken when it is due.
func (p *paced) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg.(type) {
	case paceMsg:
		p.ticking, p.fresh = false, true
		return p, nil
	case tea.KeyMsg, tea.MouseMsg, tea.WindowSizeMsg, tea.ResumeMsg:
		p.fresh = true
	}
	_, cmd := p.inner.Update(msg)
	if p.root.working() != p.working {
		p.fresh = true // an answer landed, or work began: show it now
	}
	if p.fresh || p.ticking {
		return p, cmd
	}
	now := p.clock()
	wait := max(p.drawn.Add(p.every).Sub(now), coalesce)
	p.ticking, p.due = true, now.Add(wait)
	return p, tea.Batch(cmd, tea.Tick(wait, func(time.Time) tea.Msg { return paceMsg{} }))
}

// View returns the frame: drawn anew when due, else the last one.
func (p *paced) View() string {
	if p.fresh || p.frame == "" {
		p.frame = compactFrame(p.inner.View())
		p.drawn, p.fresh, p.working = p.clock(), false, p.root.working()
	}
	return p.frame
}

// compactFrame sends blank runs of a frame as cursor movements: in each
// line, a run of at least minRun spaces outside styled text becomes CUF
// (ESC [ n C), and the line then starts with EL (ESC [ K), which erases
// what the skipped cells showed before. Spaces inside styled text (the
// reverse-video cursor row) stay, as their style shows.
func compactFrame(s string) string {
	if !strings.Contains(s, "     ") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = compactLine(l)
	}
	return strings.Join(lines, "\n")
}

// minRun is the shortest blank run worth a cursor movement (4-5 bytes).
const minRun = 6

// compactLine compacts one line (see compactFrame).
func compactLine(l string) string {
	if !strings.Contains(l, "      ") {
		return l
	}
	var b strings.Builder
	styled := false // an SGR other than a reset is in effect
	moved := false  // a run became a cursor movement
	for i := 0; i < len(l); {
		c := l[i]
		if c == 0x1b && i+1 < len(l) && l[i+1] == '[' {
			j := i + 2
			for j < len(l) && (l[j] < 0x40 || l[j] > 0x7e) {
				j++
			}
			if j < len(l) && l[j] == 'm' {
				p := l[i+2 : j]
				styled = !(p == "" || p == "0")
			}
			end := min(j+1, len(l))
			b.WriteString(l[i:end])
			i = end
			continue
		}
		if c == ' ' && !styled {
			j := i
			for j < len(l) && l[j] == ' ' {
				j++
			}
			if n := j - i; n >= minRun {
				if j == len(l) {
					// Trailing blanks: the renderer erases the rest of
					// a line shorter than the screen.
					i = j
					continue
				}
				b.WriteString("\x1b[" + strconv.Itoa(n) + "C")
				moved = true
				i = j
				continue
			}
			b.WriteString(l[i:j])
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	if !moved {
		return b.String()
	}
	return "\x1b[K" + b.String()
}

// working reports whether the screen says work is in progress: a new
// filter's first result, or the active view's first answer to a new
// question. The frame that ends it answers the user and is not paced.
func (m *rootModel) working() bool {
	if m.env.pending {
		return true
	}
	if w, ok := m.views[m.active].(interface{ working() bool }); ok {
		return w.working()
	}
	return false
}
