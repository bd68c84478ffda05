package tui

import (
	"errors"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// Memory: --max-memory bounds the whole process (model.Budget). The
// status bar shows the process's resident memory against the bound, not
// just the index's share; a group-by's scratch space is capped, and one
// that would pass the cap answers for the newest rows that fit (and says
// so) or, when not even a few fit, is refused with the reason. A big
// analysis gives its memory back to the system when it is done.

// processMemory returns the process's resident memory in bytes: from
// /proc/self/statm where there is one, else what the Go runtime holds
// from the system and has not given back.
func processMemory() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// scratchFor returns the scratch space an analysis may use now: what the
// memory limit leaves once the index (as big as it may grow while sources
// are live, or as it is once they are done) and the rest of the heap are
// counted, and never less than the budget's own share for analysis (the
// shares are drawn so that the index's and the analysis's fit together).
func scratchFor(b model.Budget, indexNow int64, growing bool) int64 {
	if b.Scratch <= 0 {
		return 0 // no bound
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return b.Scratch
	}
	live := int64(s[0].Value.Uint64())
	index := indexNow
	if growing {
		index = max(index, b.Index)
	}
	free := b.Limit - index - max(live-indexNow, 0) - b.Max/20
	return max(b.Scratch, free)
}

// minPartial is the fewest rows worth answering for when the whole
// selection does not fit the scratch space.
const minPartial = 2 * model.SegmentRows

// releaseRows is the selection past which a group-by gives its scratch
// space back to the system when done.
const releaseRows = 2_000_000

// groupScratch runs q over sel within the scratch space the budget
// leaves now (scratchFor; no cap without a budget): when the whole
// selection would pass it, over the newest rows that fit, reporting how
// many that is (covered < sel.Count); when too few fit, the refusal.
func groupScratch(snap *model.Snapshot, sel *model.Selection, q model.GroupQuery, b model.Budget, growing bool) (res *model.GroupResult, covered *model.Selection, err error) {
	q.MaxScratch = scratchFor(b, snap.Memory, growing)
	res, err = model.Group(snap, sel, q)
	covered = sel
	var se *model.ScratchError
	if errors.As(err, &se) {
		if fit := se.Fit(); fit >= minPartial && sel.Newest(fit).Count >= minPartial {
			covered = sel.Newest(fit)
			res, err = model.Group(snap, covered, q)
		}
	}
	if !growing && sel != nil && sel.Count > releaseRows {
		release() // no live refresh will reuse the scratch space
	}
	return res, covered, err
}

// release gives the memory the heap no longer uses back to the system.
// Twice: the group-by keeps its scatter blocks in a sync.Pool for the next
// regroup of live data, which one collection only moves aside.
func release() {
	debug.FreeOSMemory()
	debug.FreeOSMemory()
}

// releaseCmd releases memory off the UI goroutine (a collection takes a
// moment over a big index): when an analysis view is left.
func releaseCmd() tea.Msg {
	release()
	return nil
}

// memoryItem is the status bar's memory: the process against the bound,
// or (without one) the index against its budget.
func memoryItem(e *env, snap *model.Snapshot) string {
	if e.mem.Max > 0 && e.rss > 0 {
		return "mem " + model.HumanBytes(e.rss) + "/" + model.HumanBytes(uint64(e.mem.Max))
	}
	var mem, budget int64
	if snap != nil {
		mem, budget = snap.Memory, snap.Budget
	}
	return "mem " + model.HumanBytes(uint64(mem)) + "/" + model.HumanBytes(uint64(budget))
}

// memoryLines is the Sources view's account of memory, wrapped to w
// cells: the process, the bound, the index, the analysis cap.
func memoryLines(t *Theme, e *env, snap *model.Snapshot, w int) []string {
	var items []string
	if e.rss > 0 {
		items = append(items, kv(t, "process", model.HumanBytes(e.rss)))
	}
	if e.mem.Max > 0 {
		items = append(items, kv(t, "bound", model.HumanBytes(uint64(e.mem.Max))+" (--max-memory)"))
	}
	if snap != nil {
		items = append(items, kv(t, "index", model.HumanBytes(uint64(snap.Memory))+" of "+model.HumanBytes(uint64(snap.Budget))))
	}
	if e.mem.Scratch > 0 {
		items = append(items, kv(t, "analysis", "up to "+model.HumanBytes(uint64(e.mem.Scratch))))
	}
	head := " " + t.Header.Render("memory") + "  "
	lines := []string{head}
	for _, it := range items {
		last := &lines[len(lines)-1]
		if width(stripStyle(*last+it)) > w && width(stripStyle(*last)) > width(stripStyle(head)) {
			lines = append(lines, strings.Repeat(" ", width(stripStyle(head))))
			last = &lines[len(lines)-1]
		}
		*last += it
	}
	return lines
}
