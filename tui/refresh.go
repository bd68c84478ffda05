package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// refreshEvery is the shortest time between two runs of an analysis
// (group-by, series) caused by new data: live data re-runs it at most four
// times a second, however fast it arrives.
const refreshEvery = 250 * time.Millisecond

// refresher paces the runs of one analysis (Groups, Chart): one run in
// flight at a time, tagged with a generation that changes with the
// question (key, metric, filter, range), so a result for an old question
// is dropped; new data for the same question is taken in at most every
// refreshEvery, and a request made too early is kept for a tick.
// It reads the wall clock, not the program's clock (tests pin that one).
type refresher struct {
	gen     uint64
	running bool // a run for gen is in flight
	dirty   bool // the data changed since the run in flight started
	ticking bool // a tick is on its way
	last    time.Time
}

// tickMsg wakes an analysis that was asked to refresh too early.
type tickMsg struct {
	to viewID
}

func (m tickMsg) owner() viewID { return m.to }

// change starts a new question: the run in flight, if any, is forgotten
// and the next run may start at once.
func (r *refresher) change() {
	r.gen++
	r.running, r.dirty = false, false
	r.last = time.Time{}
}

// request asks for a run over the newest data. It reports whether to
// start one now (the caller does, with r.gen); otherwise it returns the
// tick to wait for, if one is needed.
func (r *refresher) request(owner viewID) (bool, tea.Cmd) {
	if r.running {
		r.dirty = true
		return false, nil
	}
	now := time.Now()
	if wait := r.last.Add(refreshEvery).Sub(now); wait > 0 {
		r.dirty = true
		if r.ticking {
			return false, nil
		}
		r.ticking = true
		return false, tea.Tick(wait, func(time.Time) tea.Msg { return tickMsg{to: owner} })
	}
	r.running, r.dirty, r.last = true, false, now
	return true, nil
}

// done takes in the end of a run of generation gen; it reports whether
// the result is current, and whether the data changed meanwhile (the
// caller then requests again).
func (r *refresher) done(gen uint64) (current, again bool) {
	if gen != r.gen {
		return false, false
	}
	r.running = false
	return true, r.dirty
}

// tick takes in a tick; it reports whether a request is due.
func (r *refresher) tick() bool {
	r.ticking = false
	return r.dirty && !r.running
}

// analysis is the lifecycle Groups and Chart share. Each answers one
// question at a time: the applied filter (expr) plus the view's own
// settings (key and metric, zoom). Runs go in commands paced by the
// refresher; a new question (a new filter, or a setting changed through
// change) makes the result on screen stale until its first answer lands;
// new rows for the same question re-run it only while the view is on
// screen, at most every refreshEvery.
type analysis struct {
	ref     refresher
	to      viewID           // the view its ticks go to
	expr    string           // the applied filter the question is over
	visible bool             // the view is on screen: live data re-runs it
	runSel  *model.Selection // the selection of the run in flight
	resSel  *model.Selection // the selection the result was computed over
	stale   bool             // the result answers an older question
}

// change starts a new question; have says whether a result is on screen
// (it turns stale).
func (a *analysis) change(have bool) {
	a.ref.change()
	a.stale = have
}

// due reports whether a run over e.sel should start now (the caller
// starts it, tagged a.ref.gen); when not, it may return the tick to wait
// for. A changed filter is a new question.
func (a *analysis) due(e *env, have bool) (bool, tea.Cmd) {
	if a.expr != e.expr {
		a.expr = e.expr
		a.change(have)
	}
	// While a new filter's first selection is on its way, e.sel is the old
	// filter's: a run over it would answer the new question with the old
	// rows (and be taken as current). The selection's arrival refreshes.
	sel := e.sel
	if sel == nil || e.snap == nil || e.pending {
		return false, nil
	}
	if !a.visible || (have && sel == a.resSel && !a.stale) || (a.ref.running && sel == a.runSel) {
		return false, nil
	}
	ok, cmd := a.ref.request(a.to)
	if !ok {
		return false, cmd
	}
	a.runSel = sel
	return true, nil
}

// done takes in the end of a run of generation gen over sel. It reports
// whether the result is current (the caller keeps it) and whether to
// refresh again (the data or the selection moved on meanwhile).
func (a *analysis) done(gen uint64, sel *model.Selection, e *env) (current, again bool) {
	current, again = a.ref.done(gen)
	if !current {
		return false, false
	}
	a.resSel, a.stale = sel, false
	return true, again || e.sel != sel
}

// tick takes in a tickMsg: it starts the refresh that waited for it, if
// one is still due.
func (a *analysis) tick(refresh func() tea.Cmd) tea.Cmd {
	if a.ref.tick() {
		return refresh()
	}
	return nil
}

// failed ends a run that could not start.
func (a *analysis) failed() { a.ref.running = false }
