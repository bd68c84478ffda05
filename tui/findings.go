package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
)

// findingsView lists what the detections found (model/detect), live:
// every snapshot the sources publish is handed to the engine in a command
// (one run at a time; a snapshot that arrives meanwhile is run next), and
// the list is re-sorted by severity then recency. Findings stay after the
// index evicts their records, marked. enter opens Flows filtered to
// exactly a finding's evidence (a drill-down level, so back returns); w
// asks why its source cannot talk to its target.
type findingsView struct {
	viewBase

	eng     *detect.Engine
	err     error
	running bool
	next    *model.Snapshot // the newest snapshot that came during a run
	res     detect.Result
	took    time.Duration
	at      time.Time // when the last run finished

	cursor string // ID of the finding under the cursor ("" for the first)
	at0    int    // the cursor's position in res.All (found once per result)
	line   int    // the cursor's line within the rows area
	counts [4]int // findings by severity
	gone   int    // findings over evicted records
}

// findingsMsg is the result of one engine run.
type findingsMsg struct {
	res  detect.Result
	took time.Duration
}

func (findingsMsg) owner() viewID { return viewFindings }

// newFindings returns the Findings view, its engine looking at the
// records within scope (the explorer's time window; nil: all).
func newFindings(e *env, scope filter.Node) (*findingsView, error) {
	eng, err := detect.New(detect.Config{Scope: scope, Memory: e.mem.Detect})
	if err != nil {
		return nil, err
	}
	return &findingsView{viewBase: viewBase{env: e}, eng: eng}, nil
}

// run updates the engine with snap off the UI goroutine. The engine is
// only ever touched by the one run in flight.
func (v *findingsView) run(snap *model.Snapshot) tea.Cmd {
	v.running = true
	eng := v.eng
	return func() tea.Msg {
		t0 := time.Now()
		res := eng.Update(snap)
		return findingsMsg{res: res, took: time.Since(t0)}
	}
}

// Update takes new snapshots (whatever is on screen: findings are live),
// engine results, and the keys of the list.
func (v *findingsView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case snapshotMsg:
		if v.running {
			v.next = msg.snap
			return nil
		}
		return v.run(msg.snap)
	case findingsMsg:
		v.running = false
		v.res, v.took, v.at = msg.res, msg.took, v.env.now()
		v.counts, v.gone = [4]int{}, 0
		for _, f := range v.res.All {
			v.counts[f.Severity]++
			if f.Evicted != detect.EvictNone {
				v.gone++
			}
		}
		v.at0 = v.find()
		if n := v.next; n != nil {
			v.next = nil
			if n.End > v.res.Rows || n.Evicted != v.res.Evicted {
				return v.run(n)
			}
		}
		return nil
	case tea.KeyMsg:
		k := v.env.keys
		page := max(1, v.rowsHeight()-1)
		switch {
		case key.Matches(msg, k.Up):
			v.move(-1)
		case key.Matches(msg, k.Down):
			v.move(1)
		case key.Matches(msg, k.PageUp):
			v.move(-page)
		case key.Matches(msg, k.PageDown):
			v.move(page)
		case key.Matches(msg, k.Home):
			v.move(-1 << 30)
		case key.Matches(msg, k.End):
			v.move(1 << 30)
		case key.Matches(msg, k.Drill):
			if f, ok := v.current(); ok {
				v.ask(request{kind: reqDrill, drill: drillRequest{label: "finding: " + findingLabel(f), clause: f.Evidence, exact: true}})
			}
		case key.Matches(msg, k.Why):
			if f, ok := v.current(); ok && f.Src.IsValid() && f.Dst.IsValid() {
				v.ask(request{kind: reqWhy, why: detect.WhyQuery{Src: f.Src, Dst: f.Dst, Port: f.Port, Proto: f.Proto}})
			}
		}
	}
	return nil
}

// findingLabel names a finding in a breadcrumb.
func findingLabel(f *detect.Finding) string {
	s := f.Detection
	if f.Src.IsValid() {
		s += " " + f.Src.String()
	}
	return s + " > " + f.Target()
}

// find returns the position of the cursor's finding (0 when it is gone).
func (v *findingsView) find() int {
	for i, f := range v.res.All {
		if f.ID == v.cursor {
			return i
		}
	}
	return 0
}

// index returns the position of the cursor's finding.
func (v *findingsView) index() int { return min(v.at0, max(0, len(v.res.All)-1)) }

// current returns the finding under the cursor.
func (v *findingsView) current() (*detect.Finding, bool) {
	if len(v.res.All) == 0 {
		return nil, false
	}
	return v.res.All[v.index()], true
}

// move moves the cursor by delta findings; it then stays on its finding
// (by ID) as the list changes under it.
func (v *findingsView) move(delta int) {
	n := len(v.res.All)
	if n == 0 {
		return
	}
	k := v.index()
	nk := min(max(k+delta, 0), n-1)
	v.cursor, v.at0 = v.res.All[nk].ID, nk
	v.line = min(max(v.line+nk-k, 0), v.rowsHeight()-1)
}

// rowsHeight is the number of finding lines (a summary line and the
// column header come first).
func (v *findingsView) rowsHeight() int { return max(1, v.h-2) }

// findingCols are the widths of the table's columns at width w:
// severity, detection, source, target, flows, last seen, what, detail (0:
// left out). A narrow row is what, who, how severe and how many records
// in brief (what: the finding's Brief, "126 ports", "replies:ACL"); from
// 100 columns the last-seen time joins, then the detail once at least
// minDetail columns are left for it; from 150 the addresses get room for
// most IPv6 ones.
func findingCols(w int) (c findingWidths) {
	c = findingWidths{sev: 6, det: 16, src: 15, dst: 21, flows: 5}
	if w >= 100 {
		c.flows, c.last = 6, 8
	}
	if w >= 150 {
		c.src, c.dst = 22, 28
	}
	return c.fill(w)
}

// fill gives the rest of width w to what, and to the detail once at least
// minDetail columns are left for it.
func (c findingWidths) fill(w int) findingWidths {
	used := 1 + c.sev + 1 + c.det + 1 + c.src + 1 + c.dst + 1 + c.flows + 1
	if c.last > 0 {
		used += c.last + 1
	}
	c.what, c.detail = max(0, w-used), 0
	if rest := w - used - briefWidth - 1; rest >= minDetail {
		c.what, c.detail = briefWidth, rest
	}
	return c
}

// named widens the source and target columns for the names of the
// estate (EC2, a names file, the demo's), as Flows and Groups show them,
// where the table is wide enough to keep a detail column: "10.0.21.13
// app-7". Narrower, a name is shown when it fits beside its address.
func (c findingWidths) named(w int) findingWidths {
	if w < 140 {
		return c
	}
	c.src, c.dst = c.src+9, c.dst+9
	return c.fill(w)
}

// withName appends name (sanitized) to an address cell when both fit in
// width; an address alone otherwise, as Groups does.
func withName(cell, name string, width int) string {
	if name == "" {
		return cell
	}
	name = model.Sanitize(name)
	if len(cell)+1+len(name) > width {
		return cell
	}
	return cell + " " + name
}

// minDetail is the narrowest detail column worth showing.
const minDetail = 24

// findingWidths are the Findings table's column widths.
type findingWidths struct{ sev, det, src, dst, flows, last, what, detail int }

// briefWidth is the most a finding's Brief takes (model/detect keeps it
// to 11 characters); an evicted finding's is marked with a leading ~.
const briefWidth = 12

// View renders exactly h lines of w cells.
func (v *findingsView) View() string {
	t := v.env.theme
	lines := make([]string, 0, v.h)
	lines = append(lines, fitLine(v.summary(), v.w))
	names := v.env.nameConfig()
	c := findingCols(v.w)
	if !names.Empty() {
		c = c.named(v.w)
	}
	buf := []byte{' '}
	buf = appendPad(buf, "SEV", c.sev, false)
	buf = appendPad(append(buf, ' '), "DETECTION", c.det, false)
	buf = appendPad(append(buf, ' '), "SOURCE", c.src, false)
	buf = appendPad(append(buf, ' '), "TARGET", c.dst, false)
	buf = appendPad(append(buf, ' '), "FLOWS", c.flows, true)
	if c.last > 0 {
		buf = appendPad(append(buf, ' '), "LAST", c.last, false)
	}
	buf = appendPad(append(buf, ' '), "WHAT", c.what, false)
	if c.detail > 0 {
		buf = appendPad(append(buf, ' '), "DETAIL", c.detail, false)
	}
	lines = append(lines, t.Header.Render(fitLine(string(buf), v.w)))
	all := v.res.All
	rh := v.rowsHeight()
	if len(all) == 0 {
		lines = append(lines, fitLine(t.Muted.Render(" "+v.emptyText()), v.w))
	}
	k := v.index()
	top := max(0, min(k-min(v.line, rh-1), len(all)-rh))
	for i := top; i < len(all) && len(lines) < v.h; i++ {
		f := all[i]
		gutter := byte(' ')
		if i == k {
			gutter = '>'
		}
		source := "-"
		if f.Src.IsValid() {
			source = withName(truncateMiddle(f.Src.String(), c.src), names.NameOfAddr(f.Src), c.src)
		}
		target := truncateAddrPort(model.Sanitize(f.Target()), c.dst)
		switch {
		case f.Interface != "":
			target = withName(target, names.NameOfInterface(f.Interface), c.dst)
		case f.Dst.IsValid():
			target = withName(target, names.NameOfAddr(f.Dst), c.dst)
		}
		what, detail := model.Sanitize(f.Brief), model.Sanitize(f.Detail)
		if f.Evicted != detect.EvictNone {
			what = "~" + what
			detail = "(" + f.Evicted.String() + ") " + detail
		}
		b := []byte{gutter}
		b = appendPad(b, f.Severity.String(), c.sev, false)
		b = appendPad(append(b, ' '), f.Detection, c.det, false)
		b = appendPad(append(b, ' '), source, c.src, false)
		b = appendPad(append(b, ' '), target, c.dst, false)
		b = appendPad(append(b, ' '), model.HumanCount(f.Flows), c.flows, true)
		if c.last > 0 {
			b = appendPad(append(b, ' '), clockTime(f.Last), c.last, false)
		}
		b = appendPad(append(b, ' '), truncate(what, c.what), c.what, false)
		if c.detail > 0 {
			b = appendPad(append(b, ' '), truncate(detail, c.detail), c.detail, false)
		}
		s := fitLine(string(b), v.w)
		switch {
		case i == k:
			s = t.Selected.Render(s)
		case f.Evicted == detect.EvictAll:
			s = t.Muted.Render(s)
		case f.Severity == detect.SevHigh:
			s = t.Reject.Render(s[:1+c.sev]) + s[1+c.sev:]
		case f.Severity == detect.SevMedium:
			s = t.Warn.Render(s[:1+c.sev]) + s[1+c.sev:]
		}
		lines = append(lines, s)
	}
	for len(lines) < v.h {
		lines = append(lines, strings.Repeat(" ", v.w))
	}
	return strings.Join(lines[:v.h], "\n")
}

// clockTime writes Unix seconds as HH:MM:SS UTC.
func clockTime(sec int64) string {
	if sec <= 0 {
		return "-"
	}
	return time.Unix(sec, 0).UTC().Format("15:04:05")
}

// summary is the line above the table: counts by severity, evictions, and
// how much the detections have read.
func (v *findingsView) summary() string {
	t := v.env.theme
	n, evicted := v.counts, v.gone
	s := " " + t.Reject.Render(strconv.Itoa(n[detect.SevHigh])+" high") + " · " +
		t.Warn.Render(strconv.Itoa(n[detect.SevMedium])+" medium") + " · " + strconv.Itoa(n[detect.SevLow]) + " low"
	if evicted > 0 {
		s += t.Muted.Render(" · " + strconv.Itoa(evicted) + " over evicted records (~)")
	}
	unlisted := 0
	for _, c := range v.res.Unlisted {
		unlisted += c
	}
	if unlisted > 0 {
		s += t.Warn.Render(" · " + strconv.Itoa(unlisted) + " more not listed")
	}
	s += t.Muted.Render(" · " + model.HumanCount(v.res.Rows) + " records read")
	if note := v.res.LateNote(); note != "" {
		s += t.Warn.Render(" · " + note)
	}
	for _, d := range v.res.Paused {
		s += t.Warn.Render(" · " + d + " " + detect.PausedNote)
	}
	if v.res.Memory >= 1<<20 {
		// The detections' share of --max-memory (the status bar's
		// mem is the whole process's). Under a MiB (the state of a
		// few thousand records) it is not worth the room.
		s += t.Muted.Render(" · detections hold " + model.HumanBytes(uint64(v.res.Memory)))
	}
	if v.running {
		s += t.Muted.Render(" · updating…")
	}
	return s
}

// emptyText explains an empty list.
func (v *findingsView) emptyText() string {
	switch {
	case v.res.Gen == 0:
		return "looking…"
	case v.res.Rows == 0:
		return "no records yet"
	}
	return "nothing found in " + model.HumanCount(v.res.Rows) + " records (thresholds: see the README)"
}

// copyItems offers the finding's evidence and its summary.
func (v *findingsView) copyItems() []copyItem {
	f, ok := v.current()
	if !ok {
		return nil
	}
	return []copyItem{
		{label: "evidence", desc: "the finding's records, as a flowlens filter", text: f.EvidenceText()},
		{label: "finding", desc: "the finding as a JSON line", text: string(f.AppendJSON(nil))},
	}
}

// ShortHelp lists the view's main keys.
func (v *findingsView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Drill, k.Why, k.Up, k.Down, k.Back, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (v *findingsView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Drill, k.Why}}
}
