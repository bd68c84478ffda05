package detect

import (
	"fmt"
	"sort"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// stretch is a run of NODATA (or SKIPDATA) records of one interface whose
// intervals touch (or lie closer than the merge distance).
type stretch struct {
	iface     uint32
	status    model.LogStatus
	start     int64 // earliest start
	lastStart int64 // latest start
	end       int64 // latest end
	n         uint64
	minRow    uint64
	maxRow    uint64
	changed   bool
	fid       string
}

// gaps runs logging-gap.
type gaps struct {
	spec    *Spec
	v       values
	scope   filter.Node           // the engine's scope (nil: everything)
	runs    map[uint64][]*stretch // iface<<8 | status
	removed []string
	snap    *model.Snapshot
}

// nodataSlack is how far apart two NODATA intervals may be and still be
// one stretch: aggregation intervals follow each other, give or take the
// clock of the host that wrote them.
const nodataSlack = 60

func newGaps(s *Spec, v values, scope filter.Node) *gaps {
	return &gaps{spec: s, v: v, scope: scope, runs: map[uint64][]*stretch{}}
}

// lateRecords is 0: a gap's runs are kept whole, nothing is released.
func (g *gaps) lateRecords() uint64 { return 0 }

func (g *gaps) process(snap *model.Snapshot, sel *model.Selection, from uint64, _ *clock) {
	g.snap = snap
	newRows(sel, from, func(c *cols, i int) {
		st := c.logStatus(i)
		ifc := code(c.iface, i)
		if ifc == 0 || (st != model.StatusNoData && st != model.StatusSkipData) {
			return
		}
		slack := int64(nodataSlack)
		if st == model.StatusSkipData {
			slack = g.v.dur("skipdata-gap")
		}
		start := c.startTime(i)
		end := c.endTime(i)
		row := c.sg.Base + uint64(i)
		k := uint64(ifc)<<8 | uint64(st)
		var r *stretch
		kept := g.runs[k][:0]
		for _, o := range g.runs[k] {
			if o.end+slack < start || end+slack < o.start {
				kept = append(kept, o)
				continue
			}
			if r == nil {
				r = o
				kept = append(kept, o)
				continue
			}
			r.start, r.lastStart, r.end = min(r.start, o.start), max(r.lastStart, o.lastStart), max(r.end, o.end)
			r.n += o.n
			r.minRow, r.maxRow = min(r.minRow, o.minRow), max(r.maxRow, o.maxRow)
			g.removed = append(g.removed, o.fid)
		}
		if r == nil {
			r = &stretch{iface: ifc, status: st, start: start, lastStart: start, end: end, minRow: row, maxRow: row,
				fid: fmt.Sprintf("%s/%x.%d/%d", g.spec.Name, ifc, st, start)}
			kept = append(kept, r)
		} else {
			r.start, r.lastStart, r.end = min(r.start, start), max(r.lastStart, start), max(r.end, end)
			r.minRow, r.maxRow = min(r.minRow, row), max(r.maxRow, row)
		}
		r.n++
		r.changed = true
		g.runs[k] = kept
	})
}

// qualifies reports whether a stretch is a finding: any SKIPDATA, or
// NODATA covering at least nodata-stretch.
func (g *gaps) qualifies(r *stretch) bool {
	return r.status == model.StatusSkipData || r.end-r.start >= g.v.dur("nodata-stretch")
}

func (g *gaps) changedFindings() ([]*Finding, []string) {
	var out []*Finding
	keys := make([]uint64, 0, len(g.runs))
	for k := range g.runs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		for _, r := range g.runs[k] {
			if r.changed && g.qualifies(r) {
				r.changed = false
				out = append(out, g.finding(r))
			}
		}
	}
	rm := g.removed
	g.removed = nil
	return out, rm
}

func (g *gaps) finding(r *stretch) *Finding {
	var ifc string
	if d := g.snap.Strings(model.FieldInterfaceID); int(r.iface) < len(d) {
		ifc = d[r.iface]
	}
	f := &Finding{ID: r.fid, Detection: g.spec.Name, Port: -1, Interface: ifc, First: r.start, Last: r.end,
		Flows: r.n, minRow: r.minRow, maxRow: r.maxRow}
	span := fmtDur(r.end - r.start)
	if r.status == model.StatusSkipData {
		f.Severity = SevMedium
		f.Brief = "lost " + fmtDurTop(r.end-r.start)
		f.say(ifc, fmt.Sprintf("lost records in %d interval(s) over %s (SKIPDATA): answers over that time are incomplete", r.n, span))
	} else {
		f.Severity = SevLow
		f.Brief = "idle " + fmtDurTop(r.end-r.start)
		f.say(ifc, fmt.Sprintf("logged no traffic for %s (%d NODATA intervals): idle, stopped or detached", span, r.n))
	}
	status := &filter.Compare{Ref: ref(model.FieldLogStatus), Op: filter.OpEq,
		Values: []filter.Lit{{Kind: filter.LitEnum, Lo: uint64(r.status), Str: r.status.String()}}}
	f.Evidence = and(append([]filter.Node{g.scope, status, eqStr(model.FieldInterfaceID, ifc)}, timeRange(r.start, r.lastStart+1)...)...)
	return f
}
