package tui

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/source"
)

// whyView answers "why can't A talk to B?" for the record, group pair or
// finding w was pressed on: the diagnosis (detect.Diagnose) runs in a
// command over the latest snapshot, and the view shows its report, which
// scrolls. With a port and a configuration (the demo's estate, a names
// file, EC2 look-ups) the report lists the security-group and ACL rules
// on the path and whether they agree with the records
// (detect.Why.AddRules, as `flowlens why` does); EC2 look-ups run in a
// second command, the verdict shown meanwhile. It opens over the view it
// was asked from; back returns there.
type whyView struct {
	viewBase
	q        detect.WhyQuery
	gen      uint64
	res      *detect.Why
	err      error
	rules    ruleState // the configuration look-up of res
	rulesErr error     // why some of the configuration could not be looked up
	lines    []string
	marks    []lineMark // how each of lines is drawn
	offset   int
}

// ruleState is where the rules of a diagnosis are.
type ruleState uint8

const (
	rulesNone    ruleState = iota // no look-up (no port, no configuration)
	rulesLooking                  // EC2 look-ups running
	rulesDone                     // looked up (res has them when any applied)
)

// lineMark says how a line of the report is drawn.
type lineMark uint8

const (
	markPlain lineMark = iota
	markStop           // a rule that stops the traffic
	markWarn           // the rules and the records disagree; a look-up failed
	markMuted          // a look-up in progress
)

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

// whyRulesMsg is a diagnosis with its rules added (res is a copy of the
// one shown), and what could not be looked up.
type whyRulesMsg struct {
	gen uint64
	res *detect.Why
	err error
}

func (whyRulesMsg) owner() viewID { return viewWhy }

// rulesTimeout bounds the EC2 look-ups of one diagnosis.
const rulesTimeout = 30 * time.Second

func newWhy(e *env) *whyView { return &whyView{viewBase: viewBase{env: e}} }

// open starts the diagnosis of q over snap, within scope (the explorer's
// time window), and returns the command that runs it. The names known
// already (Config.Names) are added in the same command, and so are the
// rules without EC2 look-ups.
func (v *whyView) open(snap *model.Snapshot, q detect.WhyQuery, scope filter.Node) tea.Cmd {
	v.gen++
	v.q, v.res, v.err, v.rules, v.rulesErr, v.lines, v.marks, v.offset = q, nil, nil, rulesNone, nil, nil, nil, 0
	q.Scope = scope
	gen := v.gen
	names, fetch := v.env.names, v.env.rules
	return func() tea.Msg {
		w, err := detect.Diagnose(snap, q)
		if err == nil && names != nil {
			if fetch == nil {
				w.AddRules(names.Load())
			}
			w.AddNames(names.Load())
		}
		return whyMsg{gen: gen, res: w, err: err}
	}
}

// lookUpRules returns the command that fetches the configuration of the
// diagnosis's two ends and adds its rules to a copy of it (nil: nothing
// to look up).
func (v *whyView) lookUpRules() tea.Cmd {
	fetch := v.env.rules
	if fetch == nil || v.res == nil {
		return nil
	}
	q, ok := v.res.RuleQuery()
	if !ok {
		return nil
	}
	v.rules = rulesLooking
	gen, w := v.gen, *v.res
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), rulesTimeout)
		cfg, err := fetch(ctx, q)
		cancel()
		w.AddRules(cfg)
		w.AddNames(cfg)
		return whyRulesMsg{gen: gen, res: &w, err: err}
	}
}

// Update takes the diagnosis and its rules, and scrolls the report.
func (v *whyView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case whyMsg:
		if msg.gen != v.gen {
			return nil // an older question
		}
		v.res, v.err = msg.res, msg.err
		cmd := v.lookUpRules()
		v.wrap()
		return cmd
	case whyRulesMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.res, v.rules, v.rulesErr = msg.res, rulesDone, msg.err
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
	v.lines, v.marks = v.lines[:0], v.marks[:0]
	add := func(l string, m lineMark) {
		v.lines = append(v.lines, " "+model.Sanitize(l))
		v.marks = append(v.marks, m)
	}
	width := max(20, v.w-2)
	inRules := false
	for i, l := range strings.Split(strings.TrimRight(v.res.Report(width), "\n"), "\n") {
		m := markPlain
		switch {
		case strings.HasPrefix(l, "Rules ("):
			inRules = true
			if v.res.RulesDisagree() {
				m = markWarn
			}
		case l == "":
			inRules = false
		case inRules && strings.HasPrefix(l, "  STOP "):
			m = markStop
		case inRules && strings.HasPrefix(l, "       ") && len(v.marks) > 0:
			m = v.marks[len(v.marks)-1] // a rule's text goes on
		}
		add(l, m)
		if i == 0 {
			// Under the verdict: where the rules are, when not listed yet
			// or not all found.
			switch {
			case v.res.Port < 0 && !v.env.names.Load().Empty():
				add("Rules need a port: press w on a record, or on a group keyed by dstport too.", markMuted)
			case v.rules == rulesLooking:
				add("Looking up the security groups and network ACLs of both ends (EC2)…", markMuted)
			case v.rulesErr != nil:
				for _, e := range source.DistinctErrors(v.rulesErr) {
					add("Rules: "+e.Error(), markWarn)
				}
			}
		}
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
	for i, m := range v.marks {
		switch m {
		case markStop:
			lines[i] = t.Reject.Render(fitLine(lines[i], v.w))
		case markWarn:
			lines[i] = t.Warn.Render(fitLine(lines[i], v.w))
		case markMuted:
			lines[i] = t.Muted.Render(fitLine(lines[i], v.w))
		}
	}
	if len(lines) > 0 {
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
