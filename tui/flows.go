package tui

import (
	"math/bits"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// flowsView is the live table of the selected records, oldest at the top and
// newest at the bottom. In follow mode the cursor sticks to the newest
// record; moving it pauses follow and pins it to its record (by global row
// id, so eviction and new rows never move what is under it). Only the
// visible rows are ever read.
type flowsView struct {
	viewBase

	cursor uint64 // global row id under the cursor when not following
	line   int    // the cursor's line within the rows area

	formats int  // len(Snapshot.Formats) the columns were fitted for
	named   bool // the columns were fitted with the name columns
	dated   bool // the data spans days: show dates
	extra   []column
	cols    []column

	buf   []byte
	cells []string

	fd  finder   // F, n, N (find.go)
	srt flowSort // s, S (sort.go)
}

// newFlows returns the Flows view.
func newFlows(e *env) *flowsView {
	return &flowsView{viewBase: viewBase{env: e}, formats: -1, srt: flowSort{analysis: analysis{to: viewFlows, visible: true}}}
}

// SetSize sets the area the table fills, header included.
func (v *flowsView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.fit()
}

// rowsHeight is the number of record lines.
func (v *flowsView) rowsHeight() int { return max(1, v.h-1) }

// fit chooses the columns for the width and the snapshot's formats.
func (v *flowsView) fit() {
	snap := v.env.snap
	if snap != nil {
		v.formats = len(snap.Formats)
		v.dated = snap.MaxStart-snap.MinStart > 20*3600
		v.extra = extraColumns(snap.Formats)
		v.named = v.env.namer != nil
		if v.named {
			v.extra = append(nameColumns(), v.extra...)
		}
	}
	v.cols = fitColumns(baseColumns(v.dated), v.extra, v.w-1)
}

// Update handles movement, follow, enter, and new snapshots (which may
// bring new formats and so new columns).
func (v *flowsView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case findMsg:
		v.takeFind(msg)
	case sortMsg:
		return v.takeSort(msg)
	case tickMsg:
		return v.srt.tick(v.refreshSort)
	case snapshotMsg:
		if s := v.env.snap; s != nil && (len(s.Formats) != v.formats || (s.MaxStart-s.MinStart > 20*3600) != v.dated || (v.env.namer != nil) != v.named) {
			v.fit()
		}
	case tea.KeyMsg:
		k := v.env.keys
		page := v.rowsHeight() - 1
		switch {
		case key.Matches(msg, k.Up):
			v.move(-1)
		case key.Matches(msg, k.Down):
			v.move(1)
		case key.Matches(msg, k.PageUp):
			v.move(-max(1, page))
		case key.Matches(msg, k.PageDown):
			v.move(max(1, page))
		case key.Matches(msg, k.Home):
			v.move(-1 << 40)
		case key.Matches(msg, k.End):
			v.setFollow(true) // as less +F: the end is where new records arrive
		case key.Matches(msg, k.Follow):
			v.setFollow(!v.env.follow)
		case key.Matches(msg, k.Sort):
			next := (v.srt.q.col + 1) % numFlowSorts
			return v.setSort(next, flowSorts[next].asc)
		case key.Matches(msg, k.Reverse):
			if v.sorted() {
				return v.setSort(v.srt.q.col, !v.srt.q.asc)
			}
		case key.Matches(msg, k.Find):
			v.ask(request{kind: reqFind})
		case key.Matches(msg, k.FindNext):
			return v.findStep(1)
		case key.Matches(msg, k.FindPrev):
			return v.findStep(-1)
		case key.Matches(msg, k.Conv):
			v.ask(request{kind: reqConv})
		case key.Matches(msg, k.Open):
			if row, ok := v.cursorRow(); ok {
				v.pin(row)
				v.ask(request{kind: reqOpen, row: row})
			}
		case key.Matches(msg, k.Why):
			if row, ok := v.cursorRow(); ok {
				if q, ok := whyOfRow(v.env.selSnap, row); ok {
					v.pin(row)
					v.ask(request{kind: reqWhy, why: q})
				}
			}
		}
		return v.extendSort()
	}
	return nil
}

// exportJob writes the applied filter's records. Sorted, it still
// writes every one of them in time order (the sort keeps only the best
// rows, and a file of those alone would not say what it left out): the
// prompt says so.
func (v *flowsView) exportJob() (exportJob, bool) {
	j, ok := recordsJob(v.env)
	if ok && v.sorted() {
		j.label += " in time order (not sorted)"
	}
	return j, ok
}

// copyItems offers the record under the cursor.
func (v *flowsView) copyItems() []copyItem {
	row, ok := v.cursorRow()
	if !ok {
		return nil
	}
	return recordItems(v.env.selSnap, row)
}

// setFollow turns follow on (the cursor goes to the newest record, the
// table to the bottom) or off (the cursor stays on its record).
func (v *flowsView) setFollow(on bool) {
	if on && v.sorted() {
		v.sortOff()
	}
	if !on {
		if row, ok := v.cursorRow(); ok {
			v.pin(row)
		}
		v.env.follow = false
		return
	}
	v.env.follow = true
}

// pin stops following and keeps the cursor on row where it is on screen.
func (v *flowsView) pin(row uint64) {
	if v.env.follow {
		k, _ := v.index()
		top := v.top(k)
		v.line = k - top
	}
	v.env.follow = false
	v.cursor = row
}

// index returns the cursor's position in the selection.
func (v *flowsView) index() (int, bool) {
	if v.sorted() {
		l := v.srt.shown()
		if l == nil || len(l.rows) == 0 {
			return 0, false
		}
		return min(v.srt.pos, len(l.rows)-1), true
	}
	sel := v.env.sel
	if sel == nil || sel.Count == 0 {
		return 0, false
	}
	if v.env.follow {
		return sel.Count - 1, true
	}
	return min(rank(sel, v.cursor), sel.Count-1), true
}

// top returns the first visible position for cursor position k.
func (v *flowsView) top(k int) int {
	rh := v.rowsHeight()
	if v.sorted() {
		line := min(max(v.srt.line, 0), rh-1)
		return max(min(k-line, len(v.srt.list.rows)-rh), 0)
	}
	n := v.env.sel.Count
	if v.env.follow {
		return max(n-rh, 0)
	}
	line := min(max(v.line, 0), rh-1)
	top := k - line
	top = min(top, n-rh)
	return max(top, 0)
}

// cursorRow returns the global row id under the cursor.
func (v *flowsView) cursorRow() (uint64, bool) {
	k, ok := v.index()
	if !ok {
		return 0, false
	}
	if v.sorted() {
		return v.srt.list.rows[k].row, true
	}
	sg, i, ok := v.env.sel.Nth(k)
	if !ok {
		return 0, false
	}
	return sg.Base + uint64(i), true
}

// move moves the cursor by delta records, pausing follow.
func (v *flowsView) move(delta int) {
	k, ok := v.index()
	if !ok {
		return
	}
	if v.sorted() {
		v.srt.line = k - v.top(k)
		nk := min(max(k+delta, 0), len(v.srt.list.rows)-1)
		v.srt.pos = nk
		v.srt.line = min(max(v.srt.line+nk-k, 0), v.rowsHeight()-1)
		return
	}
	v.line = k - v.top(k)
	v.env.follow = false
	n := v.env.sel.Count
	nk := min(max(k+delta, 0), n-1)
	if sg, i, ok := v.env.sel.Nth(nk); ok {
		v.cursor = sg.Base + uint64(i)
	}
	v.line = min(max(v.line+nk-k, 0), v.rowsHeight()-1)
}

// rank returns how many selected rows have a global id below row: the
// position of row in sel if it is selected, else of the next selected
// row. It costs one step per segment plus one bitmap segment's words.
func rank(sel *model.Selection, row uint64) int {
	n := 0
	for _, ss := range sel.Segs {
		base := ss.Seg.Base
		if row >= base+uint64(ss.Seg.N) {
			n += ss.Count
			continue
		}
		if row <= base {
			break
		}
		k := int(row - base)
		if ss.Bits == nil {
			return n + k
		}
		w := k >> 6
		for _, word := range ss.Bits[:w] {
			n += bits.OnesCount64(word)
		}
		if r := uint(k) & 63; r > 0 {
			n += bits.OnesCount64(ss.Bits[w] & (1<<r - 1))
		}
		return n
	}
	return n
}

// View renders the header and the visible rows: exactly h lines of w
// cells.
func (v *flowsView) View() string {
	t := v.env.theme
	var b strings.Builder
	rh := v.rowsHeight()
	v.buf = append(v.buf[:0], ' ')
	marked := false
	for k, c := range v.cols {
		if k > 0 {
			v.buf = append(v.buf, ' ')
		}
		title := c.title
		if v.sorted() && !marked && c.kind == flowSorts[v.srt.q.col].kind {
			title, marked = title+v.sortArrow(), true // as Groups marks: after a left-aligned title, before a number's
			if c.right {
				title = v.sortArrow() + c.title
			}
		}
		v.buf = appendPad(v.buf, title, c.width, c.right)
	}
	hdr := fitLine(string(v.buf), v.w)
	if n := v.headerNote(); n != "" && v.w > 20 { // the find's and the sort's state, at the right of the header
		n = truncate(" "+n+" ", v.w*3/5)
		hdr = fitLine(string(v.buf), v.w-width(n)) + n
	}
	b.WriteString(t.Header.Render(hdr))
	if v.h <= 1 {
		return b.String()
	}
	k, ok := v.index()
	if !ok {
		b.WriteString("\n")
		b.WriteString(fitLine(t.Muted.Render(" "+v.emptyText()), v.w))
		for i := 1; i < rh; i++ {
			b.WriteString("\n")
			b.WriteString(strings.Repeat(" ", v.w))
		}
		return b.String()
	}
	top := v.top(k)
	for r := 0; r < rh; r++ {
		b.WriteString("\n")
		pos := top + r
		snap, sg, i, ok := v.rowAt(pos)
		if !ok {
			b.WriteString(strings.Repeat(" ", v.w))
			continue
		}
		v.cells = rowCells(snap, sg, i, v.cols, v.dated, v.env.namer, v.cells)
		gutter := byte(' ')
		if pos == k {
			gutter = '>'
		}
		line, af, at := appendRow(append(v.buf[:0], gutter), v.cells, v.cols)
		v.buf = line
		s := fitLine(string(line), v.w)
		switch {
		case pos == k:
			b.WriteString(t.Selected.Render(s))
		case af >= 0 && at <= len(s):
			act := s[af:at]
			st := t.Accept
			if strings.HasPrefix(strings.TrimSpace(act), "REJECT") {
				st = t.Reject
			} else if !strings.HasPrefix(strings.TrimSpace(act), "ACCEPT") {
				st = t.Muted
			}
			b.WriteString(s[:af])
			b.WriteString(st.Render(act))
			b.WriteString(s[at:])
		default:
			b.WriteString(s)
		}
	}
	return b.String()
}

// emptyText explains an empty table.
func (v *flowsView) emptyText() string {
	e := v.env
	switch {
	case v.sorted() && v.srt.shown() == nil && e.sel != nil && e.sel.Count > 0:
		return "sorting by " + flowSorts[v.srt.q.col].name + "…"
	case e.sel == nil:
		return "filtering…"
	case e.snap == nil || e.snap.Rows() == 0:
		if e.done {
			return "no records were read (see the sources view, 4)"
		}
		return "waiting for records…"
	default:
		return "no record of " + itoa(e.snap.Rows()) + " matches the filter (/ to change it)"
	}
}

// ShortHelp lists the view's main keys.
func (v *flowsView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Filter, k.Open, k.Follow, k.Presets, k.Groups, k.Clear, k.Find, k.Sort, k.Conv, k.Export, k.Copy, k.Sources}
}

// FullHelp lists every key of the view.
func (v *flowsView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Open, k.Why, k.Follow, k.Sort, k.Reverse, k.Conv, k.Find, k.FindNext, k.FindPrev, k.Filter, k.Export}}
}
