package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
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
	owner viewID
}

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
		return false, tea.Tick(wait, func(time.Time) tea.Msg { return tickMsg{owner: owner} })
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
