package tui

import (
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Find (F, then n and N) moves the Flows cursor to the next or previous
// record that matches an expression, without narrowing the table as the
// filter does: the records around a match stay in view. What to find is
// a filter expression, parsed and combined with the applied filter
// (filter.Filter.And); its matches are evaluated in a command, kept for
// the snapshot they were found in, and brought up to date incrementally
// when n or N is pressed over newer records.

// reqFind asks the root for the find prompt.
const reqFind = reqConv + 1

// finder is the Flows view's find state.
type finder struct {
	expr    string           // what was asked, as typed
	flt     *filter.Filter   // the applied filter narrowed by it
	base    *filter.Filter   // the applied filter flt was built on
	sel     *model.Selection // its matches in snap (nil: being found)
	snap    *model.Snapshot
	gen     uint64
	pending int // the step (1 next, -1 previous) waiting for the matches
	note    string
}

// findMsg is a find's matches (Flows).
type findMsg struct {
	gen  uint64
	snap *model.Snapshot
	sel  *model.Selection
}

func (findMsg) owner() viewID { return viewFlows }

// findCmd evaluates f over snap off the UI goroutine (prev: the matches
// in an older snapshot of the same find, read incrementally).
func findCmd(gen uint64, f *filter.Filter, snap *model.Snapshot, prev *model.Selection) tea.Cmd {
	return func() tea.Msg {
		return findMsg{gen: gen, snap: snap, sel: f.Eval(snap, prev)}
	}
}

// startFind compiles what F asked for and hands it to Flows (the root's
// part: the prompt is the root's).
func (m *rootModel) startFind(text string) tea.Cmd {
	if m.findFor == viewGroups {
		m.groups.find(text)
		return nil
	}
	n, err := filter.Parse(text)
	var f *filter.Filter
	if err == nil {
		f, err = m.env.flt.And(n)
	}
	if err != nil {
		m.status.flash("find: "+err.Error(), true)
		return nil
	}
	return m.flows.find(text, f)
}

// find starts a new find and steps to its first match after the cursor.
func (v *flowsView) find(expr string, f *filter.Filter) tea.Cmd {
	v.fd.gen++
	dir := 1
	if v.env.follow {
		dir = -1 // at the newest record: the latest match, as one looks back from a tail
	}
	v.fd = finder{expr: expr, flt: f, base: v.env.flt, gen: v.fd.gen, pending: dir, note: "finding…"}
	return findCmd(v.fd.gen, f, v.env.selSnap, nil)
}

// findStep moves to the next (dir 1) or previous (-1) match, finding
// again first when the filter or the records changed.
func (v *flowsView) findStep(dir int) tea.Cmd {
	fd := &v.fd
	switch {
	case fd.flt == nil:
		fd.note = "F to find"
		return nil
	case fd.base != v.env.flt: // the applied filter changed: the find narrows the new one
		n, err := filter.Parse(fd.expr)
		var f *filter.Filter
		if err == nil {
			f, err = v.env.flt.And(n)
		}
		if err != nil {
			fd.note = "find: " + err.Error()
			return nil
		}
		return v.find(fd.expr, f)
	case fd.sel == nil:
		fd.pending = dir // still finding: step when the matches arrive
		return nil
	}
	// Step at once on the matches known; newer records are searched
	// meanwhile and counted in from the next step on.
	v.stepTo(dir)
	if fd.snap != v.env.selSnap && fd.pending == 0 {
		fd.gen++
		fd.pending = 0
		return findCmd(fd.gen, fd.flt, v.env.selSnap, fd.sel)
	}
	return nil
}

// takeFind takes in a find's matches and makes the step waiting for them.
func (v *flowsView) takeFind(msg findMsg) {
	fd := &v.fd
	if msg.gen != fd.gen {
		return
	}
	fd.sel, fd.snap = msg.sel, msg.snap
	if fd.pending != 0 {
		dir := fd.pending
		fd.pending = 0
		v.stepTo(dir)
	}
}

// stepTo puts the cursor on the next or previous match, wrapping round
// at the ends, the match in the middle of the screen.
func (v *flowsView) stepTo(dir int) {
	fd := &v.fd
	s := fd.sel
	if v.sorted() && s != nil {
		v.stepSorted(dir)
		return
	}
	if s == nil || s.Count == 0 {
		fd.note = "no record matches " + model.Sanitize(fd.expr)
		return
	}
	_, ok := v.index()
	cur := uint64(0)
	if ok {
		if r, ok := v.cursorRow(); ok {
			cur = r
		}
	}
	wrapped := false
	var j int
	if dir > 0 {
		j = rank(s, cur+1) // the first match after the cursor
		if !ok {
			j = 0
		}
		if j >= s.Count {
			j, wrapped = 0, true
		}
	} else {
		j = rank(s, cur) - 1 // the last match before it
		if j < 0 {
			j, wrapped = s.Count-1, true
		}
	}
	sg, i, found := s.Nth(j)
	if !found {
		return
	}
	v.env.follow = false
	v.cursor = sg.Base + uint64(i)
	v.line = v.rowsHeight() / 2
	fd.note = matchNote(j, s.Count, wrapped)
}

// Find in Groups (F, n, N) moves the cursor to the next or previous
// group whose key, as shown with its names, holds the text typed, in
// any case. The groups kept are at most groupTop, so the matches are
// found on the spot, in the table's order, each time a step is asked;
// a new answer (live data) recounts them.

// groupFind is the Groups view's find state.
type groupFind struct {
	text string // what was asked, as typed ("": no find)
	note string // the header's "match i of n"
}

// find starts finding text, from the cursor's group on.
func (v *groupsView) find(text string) {
	v.gf = groupFind{text: text}
	if text == "" {
		return
	}
	v.st.cursor--
	v.findStep(1)
}

// matches returns the positions of the groups whose key holds the text.
func (v *groupsView) matches() []int {
	if v.res == nil || v.gf.text == "" {
		return nil
	}
	want := strings.ToLower(v.gf.text)
	nc := v.env.nameConfig()
	var at []int
	for i, r := range v.res.Rows {
		if strings.Contains(strings.ToLower(rowKeyText(v.res.Query.Keys, r, nc, v.merged)), want) {
			at = append(at, i)
		}
	}
	return at
}

// findStep moves to the next (dir 1) or previous (-1) match, wrapping
// round at the ends.
func (v *groupsView) findStep(dir int) {
	gf := &v.gf
	if gf.text == "" {
		gf.note = "F to find"
		return
	}
	at := v.matches()
	if len(at) == 0 {
		gf.note = "no group matches " + model.Sanitize(gf.text)
		v.clamp()
		return
	}
	j, wrapped := stepIn(at, v.st.cursor, dir)
	v.st.cursor = at[j]
	gf.note = matchNote(j, len(at), wrapped)
}

// stepIn returns the index in at (positions, ascending) of the next
// (dir 1) or previous (-1) position after or before cur, wrapping round
// at the ends (wrapped says it did).
func stepIn(at []int, cur, dir int) (j int, wrapped bool) {
	if dir > 0 {
		j, _ = slices.BinarySearch(at, cur+1)
		if j >= len(at) {
			return 0, true
		}
		return j, false
	}
	j, _ = slices.BinarySearch(at, cur)
	if j--; j < 0 {
		return len(at) - 1, true
	}
	return j, false
}

// matchNote is the header's "match i of n" for match j (0-based).
func matchNote(j, n int, wrapped bool) string {
	s := "match " + itoa(j+1) + " of " + itoa(n)
	if wrapped {
		s += " (wrapped)"
	}
	return s
}

// findNote recounts the matches in a new answer.
func (v *groupsView) findNote() {
	if v.gf.text == "" {
		return
	}
	at := v.matches()
	switch j, found := slices.BinarySearch(at, v.st.cursor); {
	case len(at) == 0:
		v.gf.note = "no group matches " + model.Sanitize(v.gf.text)
	case found:
		v.gf.note = matchNote(j, len(at), false)
	default:
		v.gf.note = itoa(len(at)) + " matches (n, N)"
	}
}
