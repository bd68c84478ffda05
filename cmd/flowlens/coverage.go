package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// An answer must never leave out records without saying so (STYLE 20b).
// This file decides whether an answer over the index is exact although
// the oldest records were evicted (the time range begins after them, or
// the per-minute rollups, which survive eviction, hold the answer), and
// otherwise writes on stderr what was evicted, dropped or truncated and
// what the answer covers.

// filterShape is what the exactness of an answer depends on in a filter.
type filterShape struct {
	// actionOnly: the filter reads nothing but the action (or is empty),
	// so the rollups, which are kept by action, can answer it; actions
	// are the rows it selects.
	actionOnly bool
	actions    model.ActionSet
	// after > 0: every row the filter selects has a start or end time at
	// or after this instant (Unix seconds), so rows evicted before it
	// cannot have matched.
	after int64
}

// shapeOf reads a compiled filter's top-level conjunction.
func shapeOf(f *filter.Filter) filterShape {
	sh := filterShape{actionOnly: true, actions: model.AllActions}
	if f == nil || f.Empty() {
		return sh
	}
	conj := []filter.Node{f.Node()}
	if a, ok := f.Node().(*filter.And); ok {
		conj = a.Args
	}
	for _, n := range conj {
		if acts, ok := filter.ActionsOf(n); ok {
			for i := range sh.actions {
				sh.actions[i] = sh.actions[i] && acts[i]
			}
			continue
		}
		sh.actionOnly = false
		if t, ok := timeFloor(f, n); ok && t > sh.after {
			sh.after = t
		}
	}
	return sh
}

// timeFloor returns t when n is `start`/`end` >= t (or > t-1): a lower
// bound on the row's time.
func timeFloor(f *filter.Filter, n filter.Node) (int64, bool) {
	c, ok := n.(*filter.Compare)
	if !ok || c.Ref.Kind != filter.RefField || (c.Ref.Field != model.FieldStart && c.Ref.Field != model.FieldEnd) || len(c.Values) != 1 {
		return 0, false
	}
	v := c.Values[0]
	var lo, hi int64
	switch v.Kind {
	case filter.LitTime:
		lo, hi = v.Sec, v.Sec
	case filter.LitRel:
		lo = f.Now().Unix() + v.Sec
		hi = lo
	case filter.LitNum:
		lo, hi = int64(v.Lo), int64(v.Hi)
	default:
		return 0, false
	}
	switch c.Op {
	case filter.OpGe:
		return lo, lo > 0
	case filter.OpGt:
		return hi + 1, hi >= 0
	}
	return 0, false
}

// coverage follows what the answers of one query cover, for the notices
// at the end and for --strict.
type coverage struct {
	shape     filterShape
	maxMemory string // the --max-memory flag as given, for the notice

	rollups bool   // an answer came from the rollups although rows were evicted
	partial bool   // an answer left out evicted rows
	lost    uint64 // records evicted before they could be printed (streamed output)
	warned  uint64 // evicted count last warned about while following
}

func newCoverage(f *filter.Filter, maxMemory string) *coverage {
	return &coverage{shape: shapeOf(f), maxMemory: maxMemory}
}

// harmless reports whether the rows evicted from snap cannot change an
// answer of the filter: none were, or all of them are older than the
// filter's time range.
func (c *coverage) harmless(snap *model.Snapshot) bool {
	return snap.Evicted == 0 || c.shape.after > 0 && snap.EvictedMax < c.shape.after
}

// printAnswer writes the aggregate answer of q over snap: from the
// index when eviction cannot have changed it, else from the rollups when
// they hold it, else from the index with the answer marked partial.
// sel evaluates the filter over snap when the index is used.
func (c *coverage) printAnswer(w *bufio.Writer, out string, snap *model.Snapshot, sel func() *model.Selection, q grouping, refresh bool) error {
	if !c.harmless(snap) && c.shape.actionOnly {
		if res, ok := model.GroupRollups(snap, q, c.shape.actions); ok {
			c.rollups = true
			if len(q.Keys) == 0 {
				return writeTotals(w, out, q, res)
			}
			return writeGroups(w, out, res, refresh, snap.Time)
		}
	}
	if !c.harmless(snap) {
		c.partial = true
	}
	return printGroups(w, out, snap, sel(), q, refresh)
}

// records notes that records were printed from snap in one go (not
// streamed): evicted rows are missing from them.
func (c *coverage) records(snap *model.Snapshot) {
	if !c.harmless(snap) {
		c.partial = true
	}
}

// gap notes records evicted between two snapshots of a streamed output
// before they were printed.
func (c *coverage) gap(n uint64) {
	c.lost += n
}

// warnFollow writes a one-line notice while following when eviction
// starts to cut into the answers, and again each time it doubles.
func (c *coverage) warnFollow(stderr io.Writer, snap *model.Snapshot) {
	if (c.partial || c.lost > 0) && snap.Evicted > 2*c.warned {
		fmt.Fprintf(stderr, "flowlens: --max-memory %s: %s oldest records evicted so far; answers cover only the newest %s\n",
			c.maxMemory, groupDigits(snap.Evicted), groupDigits(uint64(snap.Rows())))
		c.warned = max(snap.Evicted, 1)
	}
}

// report writes on stderr what the answers left out: evicted records
// (unless the answer is exact anyway) and every record a source dropped
// or lost, by source, with samples. It returns a one-line summary of
// what --strict refuses ("" when nothing was evicted, dropped or
// truncated).
func (c *coverage) report(w io.Writer, snap *model.Snapshot, sts []source.Status) string {
	var strict []string
	if snap != nil && snap.Evicted > 0 {
		read := snap.End
		switch {
		case c.lost > 0:
			fmt.Fprintf(w, "flowlens: --max-memory %s: %s records were evicted before they could be printed (the output fell behind); "+
				"they are missing from the output. Raise --max-memory, or write to a faster consumer.\n",
				c.maxMemory, groupDigits(c.lost))
		case c.partial:
			fmt.Fprintf(w, "flowlens: --max-memory %s: the %s oldest of %s records read were evicted; this answer covers only the newest %s. "+
				"Raise --max-memory (about %s would hold them all), narrow --since, or ask only for count, bytes, packets, rejects "+
				"or reject-ratio, in total or by a time bucket of whole minutes, which the rollups answer in full.\n",
				c.maxMemory, groupDigits(snap.Evicted), groupDigits(read), groupDigits(uint64(snap.Rows())), needed(snap))
		case c.rollups:
			fmt.Fprintf(w, "flowlens: --max-memory %s: the %s oldest records were evicted; the answer comes from the per-minute rollups, "+
				"which keep every record, and is exact.\n", c.maxMemory, groupDigits(snap.Evicted))
		}
		strict = append(strict, groupDigits(snap.Evicted)+" records evicted")
	}
	for _, st := range sts {
		// What a source noted without failing (a symlink out of a
		// directory not followed, a read fault it went past, a retried
		// call): a failed source's reason ends the run, and a receiver's
		// notes are printed with its counters.
		if st.State != source.StateFailed && len(st.Counters) == 0 {
			for _, e := range st.Errors {
				if slices.Contains(st.DropSamples, e) {
					continue // said below with the drops
				}
				fmt.Fprintf(w, "flowlens: %s: %s\n", model.Sanitize(st.Name), model.Sanitize(strings.TrimPrefix(e, st.Name+": ")))
			}
		}
		if st.Dropped == 0 {
			continue
		}
		fmt.Fprintf(w, "flowlens: %s: %s\n", model.Sanitize(st.Name), dropSummary(st))
		for i, s := range st.DropSamples {
			if i == 3 {
				break
			}
			fmt.Fprintf(w, "  %s\n", model.Sanitize(s))
		}
		strict = append(strict, fmt.Sprintf("%s dropped from %s", groupDigits(st.Dropped), model.Sanitize(st.Name)))
	}
	if snap != nil {
		for _, ss := range snap.Sources {
			if n := ss.Bad[model.ReasonSource]; n > 0 {
				strict = append(strict, fmt.Sprintf("%s read fault(s) in %s", groupDigits(n), model.Sanitize(ss.Name)))
			}
		}
	}
	return strings.Join(strict, ", ")
}

// dropSummary says how many lines a source dropped, by reason.
func dropSummary(st source.Status) string {
	var parts []string
	for r := source.DropReason(0); r < source.NumDropReasons; r++ {
		if n := st.Drops[r]; n > 0 {
			parts = append(parts, groupDigits(n)+" "+r.String())
		}
	}
	sort.Strings(parts)
	what := "line(s) dropped"
	if len(parts) == 1 && st.Drops[source.DropPossibleLoss] > 0 {
		what = "possible loss(es)"
	}
	s := groupDigits(st.Dropped) + " " + what
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// needed estimates the memory that would hold every record read.
func needed(snap *model.Snapshot) string {
	if snap.Rows() == 0 {
		return "more"
	}
	per := float64(snap.Memory-snap.Dict) / float64(snap.Rows())
	return model.HumanBytes(uint64(per*float64(snap.End)) + uint64(snap.Dict))
}
