package tui

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
	"sort"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Sort in Flows (s cycles the column, S reverses). The table can hold
// 10M records, so it is never sorted whole: a command keeps the best
// sortK rows of the applied filter's selection by the column (a bounded
// heap of row ids, one pass over the rows) and Flows shows them in that
// order. Paging past them asks for four times as many, up to
// maxSortK, where the table ends and the header says so. New records
// for the same filter are merged into the rows kept (only the new rows
// are read); evicted rows leave the list, which stays exact for the
// rows it keeps, and a list that lost half its rows is computed again.
// Runs are paced like Groups' (the analysis type): at most every
// refreshEvery while data streams, never while following, which is time
// order.

// flowSortCol is the column the Flows table is sorted by.
type flowSortCol uint8

const (
	byTime flowSortCol = iota // the records in the order they came: follow's order
	byBytes
	byPackets
	byDuration
	byStart
	byEnd
	bySrcAddr
	byDstAddr
	bySrcPort
	byDstPort
	numFlowSorts
)

// flowSorts describe the columns s cycles through: their name, the
// direction they start in (numbers largest first, addresses and ports A
// to Z, as in Groups), and the table column that carries the mark.
var flowSorts = [numFlowSorts]struct {
	name  string
	asc   bool
	kind  colKind
	field model.Field
}{
	byTime:     {name: "time order", asc: true, kind: colTime},
	byBytes:    {name: "bytes", kind: colBytes, field: model.FieldBytes},
	byPackets:  {name: "packets", kind: colPackets, field: model.FieldPackets},
	byDuration: {name: "duration", kind: 255},
	byStart:    {name: "start", kind: colTime, field: model.FieldStart},
	byEnd:      {name: "end", kind: 255, field: model.FieldEnd},
	bySrcAddr:  {name: "srcaddr", asc: true, kind: colSrc, field: model.FieldSrcAddr},
	byDstAddr:  {name: "dstaddr", asc: true, kind: colDst, field: model.FieldDstAddr},
	bySrcPort:  {name: "srcport", asc: true, kind: colSrc, field: model.FieldSrcPort},
	byDstPort:  {name: "dstport", asc: true, kind: colDst, field: model.FieldDstPort},
}

// sortK is how many rows a sort keeps at first (a few pages of the
// largest screen), maxSortK the most paging may ask for.
const (
	sortK    = 1000
	maxSortK = 64000
)

// rowValue is a row's value in the sorted column, compared as a class
// then a 128-bit number: class 0 is absent (always last, whatever the
// direction), 1 a number or an IPv4 address, 2 an IPv6 address (after
// IPv4, as netip orders them).
type rowValue struct {
	cls    uint8
	hi, lo uint64
}

// sortEntry is a kept row: its global id and its value.
type sortEntry struct {
	key rowValue
	row uint64
}

// topK keeps the best k rows offered: a heap whose root is the worst
// row kept, so a row that does not beat it costs one comparison.
type topK struct {
	asc bool
	k   int
	h   []sortEntry
}

// before reports whether a sorts before b: present before absent, then
// by value in the direction asked, ties in time order (older first), so
// the order is total and the same on every run.
func (t *topK) before(a, b *sortEntry) bool {
	if (a.key.cls == 0) != (b.key.cls == 0) {
		return b.key.cls == 0
	}
	if a.key != b.key {
		less := a.key.cls < b.key.cls || a.key.cls == b.key.cls && (a.key.hi < b.key.hi || a.key.hi == b.key.hi && a.key.lo < b.key.lo)
		return less == t.asc
	}
	return a.row < b.row
}

// offer considers one row.
func (t *topK) offer(e sortEntry) {
	h := t.h
	if len(h) < t.k {
		h = append(h, e)
		for i := len(h) - 1; i > 0; { // up: the worst to the root
			p := (i - 1) / 2
			if !t.before(&h[p], &h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return
	}
	if !t.before(&e, &h[0]) {
		return
	}
	h[0] = e
	for i := 0; ; { // down
		w, l := i, 2*i+1
		if l < len(h) && t.before(&h[w], &h[l]) {
			w = l
		}
		if r := l + 1; r < len(h) && t.before(&h[w], &h[r]) {
			w = r
		}
		if w == i {
			break
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// sorted returns the rows kept, best first.
func (t *topK) sorted() []sortEntry {
	slices.SortFunc(t.h, func(a, b sortEntry) int {
		if t.before(&a, &b) {
			return -1
		}
		return 1 // never equal: rows differ
	})
	return t.h
}

// keyReader reads one segment's values of a sort column.
type keyReader struct {
	col   flowSortCol
	sg    *model.Seg
	codes []uint32
	addrs []netip.Addr
	num   *model.NumCol // the numeric column (end's for duration)
}

// newKeyReader prepares the reading of col in sg.
func newKeyReader(snap *model.Snapshot, sg *model.Seg, col flowSortCol) keyReader {
	r := keyReader{col: col, sg: sg, addrs: snap.Addrs}
	switch col {
	case bySrcAddr, byDstAddr:
		r.codes = sg.Codes(flowSorts[col].field)
	case byDuration:
		r.num = sg.Num(model.FieldEnd)
	default:
		r.num = sg.Num(flowSorts[col].field)
	}
	return r
}

// key returns row i's value.
func (r *keyReader) key(i int) rowValue {
	switch r.col {
	case bySrcAddr, byDstAddr:
		if r.codes == nil || r.codes[i] == 0 {
			return rowValue{}
		}
		a := r.addrs[r.codes[i]]
		if a.Is4() {
			b := a.As4()
			return rowValue{cls: 1, lo: uint64(binary.BigEndian.Uint32(b[:]))}
		}
		b := a.As16()
		return rowValue{cls: 2, hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
	case byDuration:
		if c := r.num; c != nil && c.U16 != nil && !c.IsAbsent(i) && c.U16[i] != 1<<16-1 {
			return rowValue{cls: 1, lo: uint64(c.U16[i])} // end is kept as end-start
		}
		e, ok := r.sg.Uint(model.FieldEnd, i)
		s, ok2 := r.sg.Uint(model.FieldStart, i)
		if !ok || !ok2 {
			return rowValue{}
		}
		return rowValue{cls: 1, lo: e - min(s, e)}
	}
	if c := r.num; c != nil && r.col != byEnd && !c.IsAbsent(i) { // the column read directly
		switch {
		case c.U8 != nil:
			return rowValue{cls: 1, lo: uint64(c.U8[i])}
		case c.U16 != nil:
			return rowValue{cls: 1, lo: uint64(c.U16[i])}
		case c.U32[i] != 1<<32-1 || r.col == byStart: // else the value is in the overflow list
			return rowValue{cls: 1, lo: uint64(c.U32[i])}
		}
	}
	v, ok := r.sg.Uint(flowSorts[r.col].field, i)
	if !ok {
		return rowValue{}
	}
	return rowValue{cls: 1, lo: v}
}

// sortQuery is what a sort run answers: the column, the direction and
// how many rows to keep.
type sortQuery struct {
	col flowSortCol
	asc bool
	k   int
}

// sortList is a sort's answer: the best rows of sel, best first. Every
// row it holds is in its place (exact); complete says it holds every
// row of sel.
type sortList struct {
	q        sortQuery
	rows     []sortEntry
	complete bool
	sel      *model.Selection
	snap     *model.Snapshot
	flt      *filter.Filter // the applied filter sel is of
}

// topRows returns the best q.k rows of sel by q's column. With prev (a
// list of the same query over an older selection of the same filter)
// only the rows from prev.sel.End on are read, and prev's rows still in
// snap are merged in: the rows kept stay exact up to as many as prev
// kept, less those evicted since.
func topRows(snap *model.Snapshot, sel *model.Selection, q sortQuery, prev *sortList) *sortList {
	t := &topK{asc: q.asc, k: q.k, h: make([]sortEntry, 0, min(q.k, max(sel.Count, 0)))}
	from := uint64(0)
	exact := q.k
	complete := true
	if prev != nil {
		from = prev.sel.End
		kept := 0
		for _, e := range prev.rows {
			if e.row >= snap.First {
				t.offer(e)
				kept++
			}
		}
		if !prev.complete {
			exact, complete = kept, false
		}
	}
	for _, ss := range sel.Segs {
		sg := ss.Seg
		if sg.Base+uint64(sg.N) <= from {
			continue
		}
		start := 0
		if from > sg.Base {
			start = int(from - sg.Base)
		}
		r := newKeyReader(snap, sg, q.col)
		if ss.Bits == nil {
			for i := start; i < sg.N; i++ {
				t.offer(sortEntry{r.key(i), sg.Base + uint64(i)})
			}
			continue
		}
		for w := start >> 6; w < (sg.N+63)>>6; w++ {
			word := ss.Bits[w]
			if w == start>>6 {
				word &^= 1<<(uint(start)&63) - 1
			}
			for word != 0 {
				i := w<<6 + bits.TrailingZeros64(word)
				if i >= sg.N {
					break
				}
				t.offer(sortEntry{r.key(i), sg.Base + uint64(i)})
				word &= word - 1
			}
		}
	}
	rows := t.sorted()
	if complete && sel.Count > len(rows) {
		complete = false
	}
	if len(rows) > exact {
		rows = rows[:exact]
	}
	return &sortList{q: q, rows: rows, complete: complete, sel: sel, snap: snap}
}

// sortMsg is a sort's answer (Flows).
type sortMsg struct {
	gen  uint64
	list *sortList
	took time.Duration
}

func (sortMsg) owner() viewID { return viewFlows }

// sortCmd runs topRows off the UI goroutine.
func sortCmd(gen uint64, snap *model.Snapshot, sel *model.Selection, flt *filter.Filter, q sortQuery, prev *sortList) tea.Cmd {
	return func() tea.Msg {
		t0 := time.Now()
		l := topRows(snap, sel, q, prev)
		l.flt = flt
		return sortMsg{gen: gen, list: l, took: time.Since(t0)}
	}
}

// flowSort is the Flows view's sort state.
type flowSort struct {
	analysis
	q    sortQuery // q.col byTime: time order, no sort
	list *sortList // the answer on screen (nil: none yet for q)
	pos  int       // the cursor's position in list.rows
	line int       // the cursor's line within the rows area
}

// shown returns the answer to show: nil while the question's first
// answer is on its way (a new column, a new filter).
func (s *flowSort) shown() *sortList {
	if s.list == nil || s.stale {
		return nil
	}
	return s.list
}

// sorted reports whether the table is sorted by a column.
func (v *flowsView) sorted() bool { return v.srt.q.col != byTime }

// setSort sorts the table by col (byTime: back to time order), in
// direction asc, and starts the run.
func (v *flowsView) setSort(col flowSortCol, asc bool) tea.Cmd {
	if col == byTime {
		v.sortOff()
		return nil
	}
	if !v.sorted() {
		v.setFollow(false) // the record under the cursor is where time order comes back to
	} else if row, ok := v.cursorRow(); ok {
		v.cursor = row
	}
	v.srt.q = sortQuery{col: col, asc: asc, k: sortK}
	v.srt.list, v.srt.pos, v.srt.line = nil, 0, 0
	v.fd.note = "" // "match i of n" counted in the order left: n counts again in this one
	v.srt.change(false)
	return v.refreshSort()
}

// sortOff goes back to time order, the cursor on the record it was on.
func (v *flowsView) sortOff() {
	row, ok := v.cursorRow()
	v.fd.note = ""
	v.srt.q = sortQuery{}
	v.srt.list = nil
	v.srt.change(false)
	if ok {
		v.env.follow = false
		v.cursor, v.line = row, v.rowsHeight()/2
	}
}

// setVisible lets the sort run again when Flows comes into view with
// newer data.
func (v *flowsView) setVisible(on bool) tea.Cmd {
	v.srt.visible = on
	return v.refreshSort()
}

// refreshSort brings the sorted rows up to the applied filter's newest
// selection (paced as Groups are; nothing to do in time order). New
// rows of the same filter are merged into the rows kept.
func (v *flowsView) refreshSort() tea.Cmd {
	if !v.sorted() {
		return nil
	}
	s := &v.srt
	ok, cmd := s.due(v.env, s.list != nil)
	if !ok {
		return cmd
	}
	var prev *sortList
	if l := s.list; l != nil && !s.stale && l.q == s.q && l.flt == v.env.flt && l.snap.Index() == v.env.selSnap.Index() &&
		s.runSel.End >= l.sel.End && (l.complete || 2*len(l.rows) >= l.q.k) {
		prev = l
	}
	return sortCmd(s.ref.gen, v.env.selSnap, s.runSel, v.env.flt, s.q, prev)
}

// takeSort takes in a sort's answer, the cursor staying on its record
// when that is still among the rows.
func (v *flowsView) takeSort(msg sortMsg) tea.Cmd {
	s := &v.srt
	fresh := s.shown() == nil // the first answer of a new question: from the top
	current, again := s.done(msg.gen, msg.list.sel, v.env)
	if !current {
		return nil
	}
	if fresh {
		s.pos, s.line = 0, 0
	}
	if old := s.shown(); old != nil && s.pos < len(old.rows) {
		row := old.rows[s.pos].row
		if i := slices.IndexFunc(msg.list.rows, func(e sortEntry) bool { return e.row == row }); i >= 0 {
			s.pos = i
		}
	}
	s.list = msg.list
	s.pos = min(s.pos, max(len(s.list.rows)-1, 0))
	if fd := &v.fd; fd.pending != 0 && fd.sel != nil { // a find step waited for the rows
		dir := fd.pending
		fd.pending = 0
		v.stepSorted(dir)
	}
	v.env.debugf("flows sorted by %s: %d rows kept of %d in %s", flowSorts[s.q.col].name, len(s.list.rows), s.list.sel.Count, msg.took)
	if again {
		return v.refreshSort()
	}
	return v.extendSort()
}

// extendSort asks for more rows when the cursor is on the last page of
// those kept and the selection has more (up to maxSortK).
func (v *flowsView) extendSort() tea.Cmd {
	s := &v.srt
	l := s.shown()
	if !v.sorted() || l == nil || l.complete || s.q.k >= maxSortK || s.ref.running || s.pos < len(l.rows)-v.rowsHeight() {
		return nil
	}
	s.q.k = min(4*s.q.k, maxSortK)
	s.ref.change() // a new question, but the rows on screen stay until its answer
	s.resSel = nil
	return v.refreshSort()
}

// sortArrow marks the sorted column's title with its direction.
func (v *flowsView) sortArrow() string {
	if v.srt.q.asc {
		return "▲"
	}
	return "▼"
}

// headerNote is what the header says at its right: the find's state,
// then the sort's (its column, and how many rows it keeps of how many).
func (v *flowsView) headerNote() string {
	n := v.fd.note
	if !v.sorted() {
		return n
	}
	s := v.sortArrow() + flowSorts[v.srt.q.col].name
	switch l := v.srt.shown(); {
	case l == nil:
		s += " · sorting…"
	case l.complete:
		s += " · all " + model.HumanCount(uint64(len(l.rows)))
	default:
		s += " · top " + model.HumanCount(uint64(len(l.rows))) + " of " + model.HumanCount(uint64(l.sel.Count))
		if l.q.k >= maxSortK && v.srt.pos >= len(l.rows)-v.rowsHeight() {
			s += " (the most kept)"
		}
	}
	if n != "" {
		return n + " · " + s
	}
	return s
}

// rowAt returns the record at position pos of the table, in its order.
func (v *flowsView) rowAt(pos int) (*model.Snapshot, *model.Seg, int, bool) {
	if !v.sorted() {
		sg, i, ok := v.env.sel.Nth(pos)
		return v.env.selSnap, sg, i, ok
	}
	l := v.srt.shown()
	if l == nil || pos < 0 || pos >= len(l.rows) {
		return nil, nil, 0, false
	}
	sg, i, ok := l.snap.Locate(l.rows[pos].row)
	return l.snap, sg, i, ok
}

// selHas reports whether global row id row is in sel.
func selHas(sel *model.Selection, row uint64) bool {
	if sel == nil {
		return false
	}
	k := sort.Search(len(sel.Segs), func(j int) bool { return sel.Segs[j].Seg.Base > row }) - 1
	if k < 0 {
		return false
	}
	ss := &sel.Segs[k]
	return row-ss.Seg.Base < uint64(ss.Seg.N) && ss.Has(int(row-ss.Seg.Base))
}

// stepSorted puts the cursor on the next or previous match among the
// sorted rows, in their order, wrapping round at the ends.
func (v *flowsView) stepSorted(dir int) {
	fd, s := &v.fd, &v.srt
	l := s.shown()
	if l == nil {
		fd.pending = dir // the sort is on its way
		return
	}
	var at []int
	for p, e := range l.rows {
		if selHas(fd.sel, e.row) {
			at = append(at, p)
		}
	}
	if len(at) == 0 {
		fd.note = "no sorted row matches " + model.Sanitize(fd.expr)
		return
	}
	j, wrapped := stepIn(at, s.pos, dir)
	s.pos, s.line = at[j], v.rowsHeight()/2
	fd.note = matchNote(j, len(at), wrapped)
}
