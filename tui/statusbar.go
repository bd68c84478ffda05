package tui

import (
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// statusBar is the line under every view: records indexed, matching,
// ingest rate, the process's memory of its bound, evicted, bad lines, follow, and
// a sparkline of records per minute over the last minutes (from the
// index's rollups, so it stays right after eviction). Items that do not
// fit the width are left out, least useful first.
type statusBar struct {
	env     *env
	w       int
	spark   []uint64
	samples []rateSample
	rate    float64 // records per second

	note    string // a confirmation or error shown until the next key
	noteErr bool
}

// flash shows text in place of the counters until the next key press:
// export and copy confirmations, and their failures. "" clears it.
func (v *statusBar) flash(text string, isErr bool) {
	v.note, v.noteErr = text, isErr
}

// rateSample is the index's row count at a time of the clock.
type rateSample struct {
	at  time.Time
	end uint64
}

// rateWindow is how far back the ingest rate looks.
const rateWindow = 5 * time.Second

// newStatusBar returns the status bar.
func newStatusBar(e *env) *statusBar { return &statusBar{env: e} }

// SetSize sets the bar's width.
func (v *statusBar) SetSize(w, _ int) { v.w = w }

// Update takes in snapshots (for the rate) and status ticks (rate and
// sparkline).
func (v *statusBar) Update(msg tea.Msg) {
	switch msg := msg.(type) {
	case snapshotMsg:
		if msg.snap != nil {
			v.sample(v.env.now(), msg.snap.End)
		}
	case statusMsg:
		v.spark = msg.spark
		if v.env.snap != nil {
			v.sample(msg.at, v.env.snap.End)
		}
	}
}

// sample adds a row count and recomputes the rate over rateWindow.
func (v *statusBar) sample(at time.Time, end uint64) {
	v.samples = append(v.samples, rateSample{at, end})
	for len(v.samples) > 2 && at.Sub(v.samples[1].at) >= rateWindow {
		v.samples = v.samples[1:]
	}
	first := v.samples[0]
	if dt := at.Sub(first.at).Seconds(); dt > 0 && end >= first.end {
		v.rate = float64(end-first.end) / dt
	}
}

// statusItem is one piece of the bar; prio orders what is dropped first
// (higher first).
type statusItem struct {
	text string
	prio int
}

// View renders one line of exactly w cells.
func (v *statusBar) View() string {
	t := v.env.theme
	if v.note != "" {
		st := t.Notice
		if v.noteErr {
			st = t.Error
		}
		return fitLine(" "+st.Render(truncate(v.note, max(1, v.w-2))), v.w)
	}
	snap := v.env.snap
	var items []statusItem
	add := func(prio int, s string) { items = append(items, statusItem{s, prio}) }
	var rows, evicted, bad uint64
	if snap != nil {
		rows, evicted = uint64(snap.Rows()), snap.Evicted
		for i := range snap.Sources {
			bad += snap.Sources[i].BadTotal()
		}
	}
	if n := len(v.env.unseen); n > 0 {
		// A failed source stays said until Sources is opened: the note
		// above goes with the next key, and the other sources go on.
		s := "source " + truncateMiddle(model.Sanitize(v.env.unseen[0]), 20) + " failed"
		if n > 1 {
			s = itoa(n) + " sources failed"
		}
		add(0, t.Error.Render(s+" (4)"))
	}
	add(0, model.HumanCount(rows)+" records")
	switch {
	case v.env.sel == nil || v.env.pending:
		add(0, "… match") // a new filter's first result is on its way
	case v.env.expr == "":
		add(0, "all match")
	default:
		add(0, model.HumanCount(uint64(v.env.sel.Count))+" match")
	}
	add(2, model.HumanCount(uint64(v.rate+0.5))+"/s")
	add(3, memoryItem(v.env, snap))
	if evicted > 0 {
		add(4, t.Warn.Render("evicted "+model.HumanCount(evicted)))
	} else {
		add(5, "evicted 0")
	}
	if bad > 0 {
		add(1, t.Warn.Render("bad "+model.HumanCount(bad)))
	} else {
		add(5, "bad 0")
	}
	if v.env.follow {
		add(0, t.Follow.Render("FOLLOW"))
	} else {
		add(0, t.Warn.Render("PAUSED")+" (f)")
	}
	// Drop the least useful items until the rest fits, keeping room for
	// at least a few minutes of sparkline.
	const sep = " │ "
	const minSpark = 5
	room := v.w
	if len(v.spark) > 0 {
		room -= width(sep) + minSpark
	}
	keep := make([]bool, len(items))
	for i := range keep {
		keep[i] = true
	}
	fits := func() bool {
		n := 1
		first := true
		for i, it := range items {
			if keep[i] {
				if !first {
					n += width(sep)
				}
				n += width(stripStyle(it.text))
				first = false
			}
		}
		return n <= room
	}
	for !fits() {
		worst := -1
		for i, it := range items {
			if keep[i] && it.prio > 0 && (worst < 0 || it.prio >= items[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
	}
	var parts []string
	used := 1
	for i, it := range items {
		if keep[i] {
			parts = append(parts, it.text)
			used += width(stripStyle(it.text)) + width(sep)
		}
	}
	if n := min(len(v.spark), v.w-used); len(v.spark) > 0 && n >= minSpark {
		parts = append(parts, t.Spark.Render(sparkline(v.spark[len(v.spark)-n:])))
	}
	return fitLine(t.Status.Render(" "+strings.Join(parts, t.Muted.Render(sep))), v.w)
}

// stripStyle returns the plain text of a styled string, for measuring.
func stripStyle(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i++; i < len(s) && !(s[i] >= 0x40 && s[i] <= 0x7e && s[i] != '['); i++ {
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sparkline draws values as block characters, scaled to the largest; a
// zero is a blank so gaps in the data show.
func sparkline(vals []uint64) string {
	const blocks = "▁▂▃▄▅▆▇█"
	var top uint64
	for _, v := range vals {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range vals {
		if v == 0 || top == 0 {
			b.WriteByte(' ')
			continue
		}
		k := int((v*7 + top - 1) / top) // 1..7, rounded up so small values show
		b.WriteString(string([]rune(blocks)[k]))
	}
	return b.String()
}

// itoa formats an int with thousands separators.
func itoa(n int) string {
	s := strconv.Itoa(n)
	if n < 10000 && n > -10000 {
		return s
	}
	var b strings.Builder
	neg := s[0] == '-'
	if neg {
		b.WriteByte('-')
		s = s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
