package tui

import (
	"net/netip"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
)

// whyView answers "why can't A talk to B?" for the record, group pair or
// finding w was pressed on: the diagnosis (detect.Diagnose) runs in a
// command over the latest snapshot, and the view shows its report, which
// scrolls. It opens over the view it was asked from; back returns there.
type whyView struct {
	viewBase
	q      detect.WhyQuery
	gen    uint64
	res    *detect.Why
	err    error
	lines  []string
	offset int
}

// reqWhy asks the root to diagnose a conversation (request.why) and open
// the why view over the current one.
const reqWhy = reqRemote + 1

// whyMsg is a diagnosis.
type whyMsg struct {
	gen uint64
	res *detect.Why
	err error
}

func (whyMsg) owner() viewID { return viewWhy }

func newWhy(e *env) *whyView { return &whyView{viewBase: viewBase{env: e}} }

// open starts the diagnosis of q over snap, within scope (the explorer's
// time window), and returns the command that runs it.
func (v *whyView) open(snap *model.Snapshot, q detect.WhyQuery, scope filter.Node) tea.Cmd {
	v.gen++
	v.q, v.res, v.err, v.lines, v.offset = q, nil, nil, nil, 0
	q.Scope = scope
	gen := v.gen
	return func() tea.Msg {
		w, err := detect.Diagnose(snap, q)
		return whyMsg{gen: gen, res: w, err: err}
	}
}

// Update takes the diagnosis and scrolls it.
func (v *whyView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case whyMsg:
		if msg.gen != v.gen {
			return nil // an older question
		}
		v.res, v.err = msg.res, msg.err
		v.wrap()
	case tea.KeyMsg:
		v.offset = scroll(v.env.keys, msg, v.offset, v.h, max(0, len(v.lines)-v.h))
	}
	return nil
}

// SetSize re-wraps the report for the new width.
func (v *whyView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.wrap()
}

func (v *whyView) wrap() {
	if v.res == nil {
		return
	}
	v.lines = v.lines[:0]
	for _, l := range strings.Split(strings.TrimRight(v.res.Report(max(20, v.w-2)), "\n"), "\n") {
		v.lines = append(v.lines, " "+model.Sanitize(l))
	}
}

// View renders exactly h lines of w cells.
func (v *whyView) View() string {
	t := v.env.theme
	switch {
	case v.err != nil:
		return scrolledLines([]string{t.Error.Render(" " + model.Sanitize(v.err.Error()))}, 0, v.w, v.h)
	case v.res == nil:
		return scrolledLines([]string{t.Muted.Render(" why " + whyTitle(v.q) + ": looking at both directions…")}, 0, v.w, v.h)
	}
	lines := make([]string, len(v.lines))
	copy(lines, v.lines)
	if len(lines) > 0 && v.offset == 0 {
		st := t.Accept
		if v.res.Verdict != detect.VerdictAllowed {
			st = t.Reject
		}
		lines[0] = st.Render(fitLine(lines[0], v.w))
	}
	return scrolledLines(lines, v.offset, v.w, v.h)
}

func whyTitle(q detect.WhyQuery) string {
	s := q.Src.String() + " -> " + q.Dst.String()
	if q.Port >= 0 {
		s += " port " + itoa(q.Port)
	}
	return s
}

// copyItems offers the Reachability Analyzer command and the evidence.
func (v *whyView) copyItems() []copyItem {
	if v.res == nil {
		return nil
	}
	items := []copyItem{{label: "evidence", desc: "both directions, as a flowlens filter", text: v.res.Evidence}}
	if len(v.res.Confirm) > 0 {
		items = append(items, copyItem{label: "reachability analyzer", desc: "the aws ec2 command that checks the path", text: v.res.Confirm[0]})
	}
	return items
}

// ShortHelp lists the view's keys.
func (v *whyView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Back, k.Up, k.Down, k.Copy, k.Help, k.Quit}
}

// FullHelp lists every key of the view.
func (v *whyView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}}
}

// whyOfRow asks about the conversation of a record: from its source to
// its destination port, or, when the record is a reply (from a service
// port to an ephemeral one), from the destination to the source's port.
func whyOfRow(snap *model.Snapshot, row uint64) (detect.WhyQuery, bool) {
	sg, i, ok := snap.Locate(row)
	if !ok {
		return detect.WhyQuery{}, false
	}
	var rec model.Record
	snap.Record(sg, i, &rec)
	src, ok1 := rec.Addr(model.FieldSrcAddr)
	dst, ok2 := rec.Addr(model.FieldDstAddr)
	if !ok1 || !ok2 || src == dst {
		return detect.WhyQuery{}, false
	}
	sp, _ := rec.Uint(model.FieldSrcPort)
	dp, _ := rec.Uint(model.FieldDstPort)
	pr, _ := rec.Uint(model.FieldProtocol)
	q := detect.WhyQuery{Src: src, Dst: dst, Port: int(dp), Proto: uint8(pr)}
	if pr != 6 && pr != 17 {
		q.Port = -1
	}
	if q.Port >= 0 && detect.IsReply(uint16(sp), uint16(dp)) {
		q = detect.WhyQuery{Src: dst, Dst: src, Port: int(sp), Proto: uint8(pr)}
	}
	return q, true
}

// whyOfGroup asks about a group whose keys hold both addresses (the
// conversation key), and its destination port when that is a key too.
func whyOfGroup(keys []model.GroupKey, row model.GroupRow) (detect.WhyQuery, bool) {
	q := detect.WhyQuery{Port: -1}
	var src, dst netip.Addr
	for i, k := range keys {
		if i >= len(row.Key) || row.Key[i].Absent || k.Label != nil || k.Bucket > 0 {
			continue
		}
		kv := row.Key[i]
		whole := kv.Addr.IsValid() && kv.Addr.Bits() == kv.Addr.Addr().BitLen()
		switch k.Field {
		case model.FieldSrcAddr:
			if whole {
				src = kv.Addr.Addr()
			}
		case model.FieldDstAddr:
			if whole {
				dst = kv.Addr.Addr()
			}
		case model.FieldDstPort:
			q.Port = int(kv.Num)
		}
	}
	if !src.IsValid() || !dst.IsValid() || src == dst {
		return q, false
	}
	q.Src, q.Dst = src, dst
	return q, true
}
