package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/model/vpc"
)

// addRules adds configuration evidence to a verdict: the security-group
// and network-ACL rules on the path of the pair and port, from the names
// store (the demo's estate) or, with EC2 look-ups, from EC2. It says
// plainly whether the rules agree with what the records show. Nothing is
// added when no configuration is known or no port was given.
func addRules(ctx context.Context, nm *naming, w *detect.Why, stderr io.Writer) {
	if w.Port < 0 {
		return
	}
	var srcENI, dstENI string
	for _, s := range w.Sides {
		switch s.Side {
		case "source":
			srcENI = s.Interface
		case "destination":
			dstENI = s.Interface
		}
	}
	cfg := nm.store.Load()
	if nm.en != nil {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		c, err := nm.en.Rules(ctx, w.Src, w.Dst, srcENI, dstENI)
		cancel()
		nm.report(err, stderr)
		cfg = c
	}
	if cfg.Empty() {
		return
	}
	proto := w.Proto
	if proto == 0 {
		proto = 6 // the question did not say: most questions are about TCP
	}
	ev := cfg.Evaluate(vpc.Query{Src: w.Src, Dst: w.Dst, Protocol: proto, Port: uint16(w.Port),
		SrcInterface: srcENI, DstInterface: dstENI})
	if ev.Verdict == vpc.VerdictUnknown {
		return
	}
	for _, r := range ev.Rules {
		w.Rules = append(w.Rules, detect.Rule{Direction: r.Direction.String(), Side: r.Side.String(),
			Component: r.Component, Rule: r.Rule, Effect: r.Effect.String()})
	}
	w.Explanation += " " + rulesVerdict(w.Verdict, ev)
}

// rulesVerdict compares the configuration's verdict with the records'.
func rulesVerdict(records string, ev vpc.Evaluation) string {
	why := "every rule on the path allows it"
	if ev.Blocking >= 0 {
		why = ev.Rules[ev.Blocking].Text
	}
	var s string
	switch {
	case records == ev.Verdict:
		s = "The configuration agrees: " + why + "."
	case records == detect.VerdictNoRecords || records == detect.VerdictNotReachingDst:
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
