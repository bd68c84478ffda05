package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// Messages that carry data. Each names its owner in the root's routing.
type (
	// snapshotMsg is a newly published snapshot (root, then every view).
	snapshotMsg struct {
		snap *model.Snapshot
		done bool // the feed has finished: no more snapshots will come
	}
	// evalMsg is the applied filter's selection over a snapshot (root).
	evalMsg struct {
		gen  uint64
		snap *model.Snapshot
		sel  *model.Selection
		took time.Duration
	}
	// previewMsg is the match count of the expression being typed
	// (filter bar).
	previewMsg struct {
		gen  uint64
		expr string
		flt  *filter.Filter
		snap *model.Snapshot
		sel  *model.Selection
	}
	// statusMsg carries the sources' states and the sparkline, once a
	// second (sources view, status bar).
	statusMsg struct {
		at       time.Time
		statuses []source.Status
		spark    []uint64 // flows per minute, oldest first, ending now
		rss      uint64   // the process's resident memory in bytes
	}
	// fatalMsg ends the program with an error (a panic in a goroutine).
	fatalMsg struct{ err error }
)

// applyFilter is a filter to make the applied one (rootModel.apply): what
// enter applied in the filter bar, a drill-down level or preset, or the
// filter a popped level restores. sel, when set, is the filter's selection
// over snap, already computed (the bar's count, the popped level's
// selection), so the views show it at once.
type applyFilter struct {
	expr string
	flt  *filter.Filter
	snap *model.Snapshot
	sel  *model.Selection
}

// snapshotEvery caps how often a new snapshot is taken in while data
// streams: every snapshot causes a redraw, and slow SSH links deserve at
// most ten a second.
const snapshotEvery = 100 * time.Millisecond

// statusEvery is how often sources are polled for their status.
const statusEvery = time.Second

// sparkMinutes is how many minutes the status-bar sparkline covers.
const sparkMinutes = 15

// waitSnapshot returns a command that waits for the next snapshot, no
// sooner than `after`. Once the feed is done it returns the index's final
// snapshot with done set; the root then stops re-arming.
func waitSnapshot(feed Feed, ix *model.Index, after time.Duration) tea.Cmd {
	return func() tea.Msg {
		if after > 0 {
			time.Sleep(after)
		}
		select {
		case s := <-feed.Updates():
			return snapshotMsg{snap: s}
		case <-feed.Done():
			select {
			case s := <-feed.Updates():
				return snapshotMsg{snap: s, done: true}
			default:
				return snapshotMsg{snap: ix.Snapshot(), done: true}
			}
		}
	}
}

// evalCmd runs filter f over snap, incrementally from prev (nil: from
// scratch), off the UI goroutine.
func evalCmd(gen uint64, f *filter.Filter, snap *model.Snapshot, prev *model.Selection) tea.Cmd {
	return func() tea.Msg {
		t0 := time.Now()
		sel := f.Eval(snap, prev)
		return evalMsg{gen: gen, snap: snap, sel: sel, took: time.Since(t0)}
	}
}

// previewCmd counts what expr would select over snap.
func previewCmd(gen uint64, expr string, f *filter.Filter, snap *model.Snapshot) tea.Cmd {
	return func() tea.Msg {
		return previewMsg{gen: gen, expr: expr, flt: f, snap: snap, sel: f.Eval(snap, nil)}
	}
}

// statusCmd polls the sources and the rollups after `after`.
func statusCmd(feed Feed, ix *model.Index, now func() time.Time, procMem func() uint64, after time.Duration) tea.Cmd {
	return func() tea.Msg {
		if after > 0 {
			time.Sleep(after)
		}
		snap := ix.Snapshot()
		at := now()
		msg := statusMsg{at: at, statuses: feed.Statuses(), rss: procMem()}
		if snap != nil {
			end := at.Unix()/60*60 + 60
			from := end - sparkMinutes*60
			buckets := snap.Rollups(from, end, 60)
			msg.spark = make([]uint64, sparkMinutes)
			for _, b := range buckets {
				if k := (b.Start - from) / 60; k >= 0 && k < sparkMinutes {
					msg.spark[k] = b.Total().Flows
				}
			}
		}
		return msg
	}
}

// query keeps the applied filter's selection current: one evaluation in
// flight at a time, each over the newest snapshot and incremental from the
// last result, tagged with a generation that changes with the filter so a
// late result for an old filter is dropped.
type query struct {
	expr    string
	flt     *filter.Filter
	gen     uint64
	running bool // an evaluation for gen is in flight
	latest  *model.Snapshot
	sel     *model.Selection
	selSnap *model.Snapshot
}

// snapshot takes in a new snapshot and returns the evaluation to run, if
// none is in flight.
func (q *query) snapshot(s *model.Snapshot) tea.Cmd {
	q.latest = s
	if q.running || s == nil || s == q.selSnap {
		return nil
	}
	q.running = true
	return evalCmd(q.gen, q.flt, s, q.sel)
}

// set applies a new filter. sel, when not nil, is its selection over snap.
func (q *query) set(expr string, f *filter.Filter, snap *model.Snapshot, sel *model.Selection) tea.Cmd {
	q.gen++
	q.expr, q.flt = expr, f
	q.sel, q.selSnap, q.running = nil, nil, false
	if sel != nil {
		q.sel, q.selSnap = sel, snap
	}
	if q.latest == nil {
		return nil
	}
	if q.sel != nil && q.selSnap == q.latest {
		return nil
	}
	q.running = true
	return evalCmd(q.gen, f, q.latest, q.sel)
}

// result takes in an evaluation; it reports whether it was current, and
// returns the next evaluation if newer rows arrived meanwhile.
func (q *query) result(m evalMsg) (tea.Cmd, bool) {
	if m.gen != q.gen {
		return nil, false
	}
	q.running = false
	q.sel, q.selSnap = m.sel, m.snap
	if q.latest != nil && q.latest != m.snap && q.latest.Gen > m.snap.Gen {
		q.running = true
		return evalCmd(q.gen, q.flt, q.latest, q.sel), true
	}
	return nil, true
}

// pending reports whether the applied filter has no result yet.
func (q *query) pending() bool { return q.sel == nil }
