package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/model/vpc"
)

// Configuration evidence for a diagnosis: the CLI (`why`) and the
// explorer (w) both ask RuleQuery what to look up, fetch the configuration
// their own way (the demo's estate, a names file, EC2), and hand it to
// AddRules, so the two cannot disagree about what the rules say.

// RuleQuery is the configuration question of the diagnosis: its pair and
// port, the protocol (tcp when the question gave none: most questions are
// about TCP), and the interfaces that logged each end, which EC2 look-ups
// start from. ok is false without a port: an ACL or security group rule
// cannot be judged without one.
func (w *Why) RuleQuery() (q vpc.Query, ok bool) {
	if w.Port < 0 || w.Port > 65535 {
		return vpc.Query{}, false
	}
	q = vpc.Query{Src: w.Src, Dst: w.Dst, Protocol: w.Proto, Port: uint16(w.Port)}
	if q.Protocol == 0 {
		q.Protocol = 6
	}
	for _, s := range w.Sides {
		switch {
		case s.Side == sideSource && q.SrcInterface == "" && s.Interface != "-":
			q.SrcInterface = s.Interface
		case s.Side == sideDest && q.DstInterface == "" && s.Interface != "-":
			q.DstInterface = s.Interface
		}
	}
	return q, true
}

// AddRules evaluates cfg for the diagnosis's question and adds what it
// says: the deciding rule of every component on the path (Rules), the
// configuration's verdict (RulesVerdict), and one more sentence of
// Explanation that says plainly whether the rules and the records agree.
// It reports whether anything was added: nothing is when no port was
// asked or cfg knows neither end.
func (w *Why) AddRules(cfg *vpc.Config) bool {
	q, ok := w.RuleQuery()
	if !ok || cfg.Empty() {
		return false
	}
	ev := cfg.Evaluate(q)
	if ev.Verdict == vpc.VerdictUnknown {
		return false
	}
	w.Rules = w.Rules[:0]
	for _, r := range ev.Rules {
		w.Rules = append(w.Rules, Rule{Direction: r.Direction.String(), Side: r.Side.String(),
			Component: r.Component, Rule: r.Rule, Effect: r.Effect.String(), Text: r.Text})
	}
	w.RulesVerdict = ev.Verdict
	w.Explanation += " " + rulesSentence(w.Verdict, ev)
	if ev.Blocking >= 0 && ev.Verdict == w.Verdict && ev.Complete {
		// What flow logs alone cannot tell apart, the configuration did.
		w.CannotTell += " Here the configuration tells: " + ev.Rules[ev.Blocking].Text + "."
	}
	return true
}

// RulesDisagree reports whether the configuration's verdict contradicts
// the records' (not when the records cannot tell: nothing logged, or
// nothing reaching the destination).
func (w *Why) RulesDisagree() bool {
	return w.RulesVerdict != "" && w.RulesVerdict != w.Verdict && !recordsCannotTell(w.Verdict)
}

func recordsCannotTell(verdict string) bool {
	return verdict == VerdictNoRecords || verdict == VerdictNotReachingDst
}

// rulesSentence compares the configuration's verdict with the records'.
func rulesSentence(records string, ev vpc.Evaluation) string {
	why := "every rule on the path allows it"
	if ev.Blocking >= 0 {
		why = ev.Rules[ev.Blocking].Text
	}
	var s string
	switch {
	case records == ev.Verdict:
		s = "The configuration agrees: " + why + "."
	case recordsCannotTell(records):
		s = fmt.Sprintf("The configuration says %s: %s.", ev.Verdict, why)
	default:
		s = fmt.Sprintf("The rules and the records disagree: the configuration says %s (%s), the records %s. "+
			"The configuration may have changed since these records, or the traffic went another way "+
			"(another interface, a NAT gateway or load balancer in between).", ev.Verdict, why, records)
	}
	if !ev.Complete {
		s += " Not all of the configuration is known: " + strings.Join(ev.Notes, "; ") + "."
	}
	return s
}

// writeRules writes the rules section of Report, under the explanation
// (it is what the question is about): each component's deciding rule in
// words, along the path of the request, then the reply's.
func (w *Why) writeRules(b *strings.Builder, width int) {
	if len(w.Rules) == 0 {
		return
	}
	fmt.Fprintf(b, "Rules (%s):\n", w.rulesHeading())
	for _, r := range w.Rules {
		mark := "ok  "
		if r.Effect != vpc.EffectAllow.String() {
			mark = "STOP"
		}
		text := r.Text
		if text == "" {
			text = strings.TrimSpace(r.Side + " " + r.Direction + " " + r.Component + " " + r.Rule + ": " + r.Effect)
		}
		fmt.Fprintf(b, "  %s %s\n", mark, wrap(text, width-7, "       "))
	}
	b.WriteByte('\n')
}

func (w *Why) rulesHeading() string {
	switch {
	case w.RulesDisagree():
		return "they say " + w.RulesVerdict + ", the records " + w.Verdict
	case w.RulesVerdict == w.Verdict:
		return "they agree with the records"
	}
	return "they say " + w.RulesVerdict
}

// AddNames names the two ends and the interfaces that logged them from
// cfg (a names file, the demo's estate, EC2 look-ups): SrcName, DstName,
// each Side's Name, and, for the report, who each end is, "web-2 (sg web,
// subnet app-b)". Ends cfg does not know keep their addresses only.
func (w *Why) AddNames(cfg *vpc.Config) {
	if cfg.Empty() {
		return
	}
	about := func(a netip.Addr, eni string) (string, string) {
		e := cfg.Interface(eni)
		if e == nil || !slices.Contains(e.Addrs, a) && !slices.Contains(e.PublicAddrs, a) {
			e = cfg.InterfaceByAddr(a, "")
		}
		name := cfg.NameOfAddr(a)
		if e == nil {
			return name, name
		}
		if name == "" {
			name = cfg.NameOfInterface(e.ID)
		}
		who := name
		if who == "" {
			who = e.ID // known, but without a name
		}
		if p := cfg.Placement(e); p != "" {
			who += " (" + p + ")"
		}
		return name, who
	}
	q, _ := w.RuleQuery()
	w.SrcName, w.srcAbout = about(w.Src, q.SrcInterface)
	w.DstName, w.dstAbout = about(w.Dst, q.DstInterface)
	for i := range w.Sides {
		w.Sides[i].Name = cfg.NameOfInterface(w.Sides[i].Interface)
	}
}

// writeNames writes who the two ends are, under the report's title.
func (w *Why) writeNames(b *strings.Builder, width int) {
	if w.srcAbout == "" && w.dstAbout == "" {
		return
	}
	end := func(about string, a netip.Addr) string {
		if about == "" {
			return a.String()
		}
		return about
	}
	fmt.Fprintf(b, "%s\n", wrap(end(w.srcAbout, w.Src)+" -> "+end(w.dstAbout, w.Dst), width, "  "))
}
