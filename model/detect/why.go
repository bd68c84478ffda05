package detect

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Verdicts of Why, in the order they are tried.
const (
	VerdictNoRecords           = "no-records"
	VerdictBlockedDstInbound   = "blocked-at-destination-inbound"
	VerdictReplyBlockedDst     = "reply-blocked-at-destination"
	VerdictBlockedSrcOutbound  = "blocked-at-source-outbound"
	VerdictReplyBlockedSrc     = "reply-blocked-at-source"
	VerdictAllowed             = "allowed"
	VerdictNotReachingDst      = "not-reaching-destination"
	sideSource, sideDest       = "source", "destination"
	sideUnknown                = "unknown"
	whyDefaultProtocolName     = "tcp"
	reachabilityAnalyzerFollow = "aws ec2 start-network-insights-analysis --network-insights-path-id <the NetworkInsightsPathId printed above>"
)

// Verdicts lists every verdict Why gives.
func Verdicts() []string {
	return []string{VerdictNoRecords, VerdictNotReachingDst, VerdictBlockedDstInbound, VerdictReplyBlockedDst,
		VerdictBlockedSrcOutbound, VerdictReplyBlockedSrc, VerdictAllowed}
}

// WhyQuery asks why Src cannot talk to Dst.
type WhyQuery struct {
	Src, Dst netip.Addr
	// Port is the destination port on Dst (-1: any).
	Port int
	// Proto is the IANA protocol (0: any).
	Proto uint8
	// Scope restricts the records looked at (a parsed filter, nil for
	// all): time bounds, a source.
	Scope filter.Node
}

// Counts sums one direction of a conversation.
type Counts struct {
	Flows    uint64 `json:"flows"`
	Accepted uint64 `json:"accepted"`
	Rejected uint64 `json:"rejected"`
	// First and Last are Unix seconds (0: none).
	First int64 `json:"-"`
	Last  int64 `json:"-"`
	// Interfaces lists the interfaces that logged it.
	Interfaces []string `json:"interfaces"`
}

// MarshalJSON writes {flows, accepted, rejected, first, last, interfaces}
// with the times in RFC 3339 (null when there is no record).
func (c Counts) MarshalJSON() ([]byte, error) {
	b := []byte(`{"flows":`)
	b = strconv.AppendUint(b, c.Flows, 10)
	b = append(b, `,"accepted":`...)
	b = strconv.AppendUint(b, c.Accepted, 10)
	b = append(b, `,"rejected":`...)
	b = strconv.AppendUint(b, c.Rejected, 10)
	b = append(b, `,"first":`...)
	b = appendTime(b, c.First)
	b = append(b, `,"last":`...)
	b = appendTime(b, c.Last)
	b = append(b, `,"interfaces":[`...)
	for i, s := range c.Interfaces {
		if i > 0 {
			b = append(b, ',')
		}
		b = model.AppendJSONString(b, s)
	}
	return append(b, "]}"...), nil
}

func (c *Counts) add(action model.Action, start, end int64) {
	c.Flows++
	switch action {
	case model.ActionAccept:
		c.Accepted++
	case model.ActionReject:
		c.Rejected++
	}
	if c.First == 0 || start < c.First {
		c.First = start
	}
	if end > c.Last {
		c.Last = end
	}
}

// Side is what one interface logged of the conversation.
type Side struct {
	Interface string `json:"interface"`
	// Side says whose interface it is: source, destination or unknown.
	Side string `json:"side"`
	// How tells how the side was told: flow-direction, or the address on
	// every record of the interface (v2 logs), or a guess.
	How string `json:"how"`
	// Name is the interface's name when the configuration knows it
	// (AddNames).
	Name    string `json:"name,omitempty"`
	Forward Counts `json:"forward"`
	Reverse Counts `json:"reverse"`
}

// Rule is configuration evidence for a verdict: which security-group or
// network-ACL rule allows or denies a direction (filled in by the EC2
// look-ups where configuration is available; flow logs alone never name
// a rule).
type Rule struct {
	Direction string `json:"direction"` // inbound or outbound
	Side      string `json:"side"`      // source or destination
	Component string `json:"component"` // sg-... or acl-...
	Rule      string `json:"rule"`      // ACL rule number, or the SG rule in words
	Effect    string `json:"effect"`    // allow, deny or no-match
	Text      string `json:"text"`      // the whole finding in words
}

// Why is the diagnosis of one conversation.
type Why struct {
	Src   netip.Addr `json:"-"`
	Dst   netip.Addr `json:"-"`
	Port  int        `json:"-"`
	Proto uint8      `json:"-"`

	// SrcName and DstName are the two ends' names when the configuration
	// knows them (AddNames).
	SrcName string `json:"src-name,omitempty"`
	DstName string `json:"dst-name,omitempty"`
	// srcAbout and dstAbout describe the ends for the report: "web-2 (sg
	// web, subnet app-b)".
	srcAbout, dstAbout string

	Verdict  string `json:"verdict"`
	Forward  Counts `json:"forward"`
	Reverse  Counts `json:"reverse"`
	Sides    []Side `json:"sides"`
	Evidence string `json:"evidence"`
	// Explanation says what the records show and what to look at.
	Explanation string `json:"explanation"`
	// CannotTell says what flow logs cannot tell apart for this verdict.
	CannotTell string `json:"cannot-tell"`
	// Confirm holds the AWS CLI commands that would confirm the verdict
	// from the configuration (Reachability Analyzer).
	Confirm []string `json:"confirm"`
	// Rules is configuration evidence (security groups and network
	// ACLs), when known.
	Rules []Rule `json:"rules,omitempty"`
	// RulesVerdict is what the configuration says, in the words of
	// Verdict ("" when Rules is empty): AddRules.
	RulesVerdict string `json:"rules-verdict,omitempty"`
	// Partial says the index no longer holds every record read (rows
	// were evicted): the verdict covers what is left.
	Partial string `json:"partial,omitempty"`
}

// MarshalJSON writes the diagnosis with the question first: source,
// destination, port and protocol (null when any), then the verdict.
func (w *Why) MarshalJSON() ([]byte, error) {
	type plain Why
	var port, proto any
	if w.Port >= 0 {
		port = w.Port
	}
	if w.Proto != 0 {
		proto = model.ProtocolName(w.Proto)
	}
	return json.Marshal(struct {
		Source      string `json:"source"`
		Destination string `json:"destination"`
		Port        any    `json:"port"`
		Protocol    any    `json:"protocol"`
		*plain
	}{w.Src.String(), w.Dst.String(), port, proto, (*plain)(w)})
}

// Diagnose answers q over snap.
func Diagnose(snap *model.Snapshot, q WhyQuery) (*Why, error) {
	if !q.Src.IsValid() || !q.Dst.IsValid() {
		return nil, fmt.Errorf("why: two addresses are needed")
	}
	if q.Src == q.Dst {
		return nil, fmt.Errorf("why: %s and %s are the same address", q.Src, q.Dst)
	}
	w := &Why{Src: q.Src, Dst: q.Dst, Port: q.Port, Proto: q.Proto}
	ev := and(whyEvidence(q), q.Scope)
	w.Evidence = ev.String()
	flt, err := filter.Compile(w.Evidence)
	if err != nil {
		return nil, fmt.Errorf("why: %w", err)
	}
	sel := flt.Eval(snap, nil)

	ifaces := snap.Strings(model.FieldInterfaceID)
	sides := map[uint32]*Side{}
	var order []uint32
	src, dst := q.Src, q.Dst
	dirs := map[uint32]model.Direction{}
	newRows(sel, 0, func(c *cols, i int) {
		ifc := code(c.iface, i)
		sd := sides[ifc]
		if sd == nil {
			name := "-"
			if int(ifc) < len(ifaces) && ifc != 0 {
				name = ifaces[ifc]
			}
			sd = &Side{Interface: name, Side: sideUnknown}
			sides[ifc] = sd
			order = append(order, ifc)
		}
		s := addrAt(snap, code(c.src, i))
		fwd := s == src
		if d := c.sg.Enum(model.FieldFlowDirection); d != nil && d[i] != 0 {
			dir := model.Direction(d[i])
			dirs[ifc] = dir
			owner := s
			if dir == model.DirIngress {
				owner = addrAt(snap, code(c.dst, i))
			}
			switch owner {
			case src:
				sd.Side, sd.How = sideSource, "flow-direction"
			case dst:
				sd.Side, sd.How = sideDest, "flow-direction"
			}
		}
		st, en := c.startTime(i), c.endTime(i)
		if fwd {
			sd.Forward.add(c.act(i), st, en)
			w.Forward.add(c.act(i), st, en)
		} else {
			sd.Reverse.add(c.act(i), st, en)
			w.Reverse.add(c.act(i), st, en)
		}
	})
	for _, ifc := range order {
		if sd := sides[ifc]; sd.Side == sideUnknown && ifc != 0 {
			sd.Side, sd.How = ownerOf(snap, ifc, src, dst)
		}
	}
	for _, ifc := range order {
		sd := sides[ifc]
		w.Sides = append(w.Sides, *sd)
		if sd.Forward.Flows > 0 {
			w.Forward.Interfaces = append(w.Forward.Interfaces, sd.Interface)
		}
		if sd.Reverse.Flows > 0 {
			w.Reverse.Interfaces = append(w.Reverse.Interfaces, sd.Interface)
		}
	}
	sort.Slice(w.Sides, func(i, j int) bool {
		if w.Sides[i].Side != w.Sides[j].Side {
			return sideRank(w.Sides[i].Side) < sideRank(w.Sides[j].Side)
		}
		return w.Sides[i].Interface < w.Sides[j].Interface
	})
	sort.Strings(w.Forward.Interfaces)
	sort.Strings(w.Reverse.Interfaces)
	if w.Forward.Interfaces == nil {
		w.Forward.Interfaces = []string{}
	}
	if w.Reverse.Interfaces == nil {
		w.Reverse.Interfaces = []string{}
	}
	if w.Sides == nil {
		w.Sides = []Side{}
	}
	w.judge()
	w.Confirm = w.confirm()
	if snap.Evicted > 0 {
		w.Partial = fmt.Sprintf("%d older records were evicted from memory (--max-memory): the verdict covers the %d left", snap.Evicted, snap.Rows())
	}
	return w, nil
}

func sideRank(s string) int {
	switch s {
	case sideSource:
		return 0
	case sideDest:
		return 1
	}
	return 2
}

func addrAt(snap *model.Snapshot, c uint32) netip.Addr {
	if int(c) < len(snap.Addrs) {
		return snap.Addrs[c]
	}
	return netip.Addr{}
}

// whyEvidence selects both directions of the conversation: src -> dst
// (to port) and dst -> src (from port).
func whyEvidence(q WhyQuery) filter.Node {
	fwd := []filter.Node{eqAddr(model.FieldSrcAddr, q.Src), eqAddr(model.FieldDstAddr, q.Dst)}
	rev := []filter.Node{eqAddr(model.FieldSrcAddr, q.Dst), eqAddr(model.FieldDstAddr, q.Src)}
	if q.Port >= 0 {
		fwd = append(fwd, cmpNum(model.FieldDstPort, filter.OpEq, uint64(q.Port)))
		rev = append(rev, cmpNum(model.FieldSrcPort, filter.OpEq, uint64(q.Port)))
	}
	n := or(and(fwd...), and(rev...))
	if q.Proto != 0 {
		n = and(cmpNum(model.FieldProtocol, filter.OpEq, uint64(q.Proto)), n)
	}
	return n
}

// ownerOf tells, for an interface without flow-direction, whose it is:
// an interface's own address is on every one of its records. When both
// are (it logged nothing but this conversation), the private address is
// taken for the interface's when the other is public.
func ownerOf(snap *model.Snapshot, ifc uint32, a, b netip.Addr) (string, string) {
	ca, cb := addrCode(snap, a), addrCode(snap, b)
	// Every record is read: the segments are shared out between the
	// cores (this scan is half of a why over a big index).
	type tally struct{ rows, withA, withB uint64 }
	parts := make([]tally, len(snap.Segs))
	parallel(len(snap.Segs), func(k int) {
		sg := snap.Segs[k]
		ic := sg.Codes(model.FieldInterfaceID)
		src, dst := sg.Codes(model.FieldSrcAddr), sg.Codes(model.FieldDstAddr)
		if ic == nil || src == nil || dst == nil {
			return
		}
		var t tally
		for i := 0; i < sg.N; i++ {
			if ic[i] != ifc || src[i] == 0 {
				continue
			}
			t.rows++
			if src[i] == ca || dst[i] == ca {
				t.withA++
			}
			if src[i] == cb || dst[i] == cb {
				t.withB++
			}
		}
		parts[k] = t
	})
	var rows, withA, withB uint64
	for _, t := range parts {
		rows, withA, withB = rows+t.rows, withA+t.withA, withB+t.withB
	}
	switch {
	case withA == rows && withB < rows:
		return sideSource, "the source's address is on every record of the interface"
	case withB == rows && withA < rows:
		return sideDest, "the destination's address is on every record of the interface"
	case IsPrivate(a) && !IsPrivate(b):
		return sideSource, "a guess: the interface logged only this conversation, and the source's is the private address"
	case IsPrivate(b) && !IsPrivate(a):
		return sideDest, "a guess: the interface logged only this conversation, and the destination's is the private address"
	}
	return sideUnknown, "the interface logged only this conversation and has no flow-direction: either end may own it"
}

func addrCode(snap *model.Snapshot, a netip.Addr) uint32 {
	for i, x := range snap.Addrs {
		if x == a {
			return uint32(i)
		}
	}
	return 1<<32 - 1
}

// tally sums a direction over the sides of one kind.
func (w *Why) tally(side string, forward bool) Counts {
	var c Counts
	for _, s := range w.Sides {
		if s.Side != side {
			continue
		}
		x := s.Reverse
		if forward {
			x = s.Forward
		}
		c.Flows += x.Flows
		c.Accepted += x.Accepted
		c.Rejected += x.Rejected
	}
	return c
}

func (w *Why) judge() {
	fa, fb, fu := w.tally(sideSource, true), w.tally(sideDest, true), w.tally(sideUnknown, true)
	ra, rb, ru := w.tally(sideSource, false), w.tally(sideDest, false), w.tally(sideUnknown, false)
	svc := w.service()
	a, b := w.Src.String(), w.Dst.String()
	allowedToo := ""
	if w.Forward.Accepted > 0 && w.Reverse.Accepted > 0 {
		allowedToo = fmt.Sprintf(" Some flows were accepted both ways too (%d forward, %d back): the block is intermittent, recent, or hits only some source ports.", w.Forward.Accepted, w.Reverse.Accepted)
	}
	ambiguous := " The interface that logged it has no flow-direction and logged nothing else, so it could be either end's."
	switch {
	case w.Forward.Flows+w.Reverse.Flows == 0:
		w.Verdict = VerdictNoRecords
		w.Explanation = fmt.Sprintf("Nothing was logged between %s and %s%s.", a, b, svc)
		w.CannotTell = "Whether the traffic was never sent, went through interfaces outside the logged scope (no flow log, another account or VPC), or is not delivered yet: flow records arrive minutes late."
	case fb.Rejected > 0 || (fu.Rejected > 0 && fa.Rejected == 0 && fb.Flows == 0):
		w.Verdict = VerdictBlockedDstInbound
		w.Explanation = fmt.Sprintf("%s's interface REJECTed %d of the requests from %s%s on the way in; nothing came back.%s", b, fb.Rejected+fu.Rejected, a, svc, allowedToo)
		w.CannotTell = "Its security group from its subnet's inbound network ACL: an inbound REJECT looks the same for both."
		if fb.Rejected == 0 {
			w.CannotTell += ambiguous + " It may be the source's outbound rules."
		}
	case fb.Accepted > 0 && rb.Rejected > 0:
		w.Verdict = VerdictReplyBlockedDst
		w.Explanation = fmt.Sprintf("%s's interface ACCEPTed %s from %s%s, and REJECTed %d of its replies on the way out. Security groups are stateful and never block a reply: the outbound network ACL of %s's subnet does (often its rule for the ephemeral ports 1024-65535).%s", b, counted(fb.Accepted, "request"), a, svc, rb.Rejected, b, allowedToo)
		w.CannotTell = "Which ACL rule, and whether some REJECTs are packets that arrived after the connection closed (also logged as REJECT)."
	case fa.Rejected > 0:
		w.Verdict = VerdictBlockedSrcOutbound
		w.Explanation = fmt.Sprintf("%s's own interface REJECTed %s to %s%s on the way out: %s never left.%s", a, counted(fa.Rejected, "request"), b, svc, itThey(fa.Rejected), allowedToo)
		w.CannotTell = "Its security group's outbound rules from its subnet's outbound network ACL."
	case ra.Rejected > 0:
		w.Verdict = VerdictReplyBlockedSrc
		w.Explanation = fmt.Sprintf("%s's replies%s reached %s's interface and were REJECTed on the way in (%d). Security groups let replies in: the inbound network ACL of %s's subnet does not (often its rule for the ephemeral ports 1024-65535).%s", b, svc, a, ra.Rejected, a, allowedToo)
		w.CannotTell = "Which ACL rule, and whether some REJECTs are late packets of closed connections."
	case ru.Rejected > 0:
		w.Verdict = VerdictReplyBlockedDst
		w.Explanation = fmt.Sprintf("Replies from %s to %s%s were REJECTed (%d): a network ACL blocks them (security groups never block replies).%s", b, a, svc, ru.Rejected, allowedToo)
		w.CannotTell = "Which subnet's ACL: the destination's outbound or the source's inbound." + ambiguous
	case w.Forward.Accepted > 0 && w.Reverse.Accepted > 0:
		w.Verdict = VerdictAllowed
		w.Explanation = fmt.Sprintf("Accepted both ways: %s to %s%s and %d back. The network lets them talk: look above it (the application, TLS, DNS, credentials, whether the service listens).", counted(w.Forward.Accepted, "flow"), b, svc, w.Reverse.Accepted)
		w.CannotTell = "Whether the application answered with an error: flow logs count packets, not what they say."
	case fb.Accepted > 0:
		w.Verdict = VerdictAllowed
		w.Explanation = fmt.Sprintf("%s's interface ACCEPTed %s from %s%s but nothing came back: the network let them in; the host dropped them (its own firewall, nothing listening on UDP) or answered by another path.", b, counted(fb.Accepted, "request"), a, svc)
		w.CannotTell = "A host firewall from a silent application or an asymmetric route: none of them is logged."
	default:
		w.Verdict = VerdictNotReachingDst
		w.Explanation = fmt.Sprintf("%s from %s to %s%s %s ACCEPTed on the way out, and nothing was logged at the destination or back.", counted(w.Forward.Accepted, "request"), a, b, svc, wasWere(w.Forward.Accepted))
		w.CannotTell = "A missing route (route table, transit gateway, peering), the destination subnet's inbound ACL or security group where no flow log runs, the destination being outside the logged scope, or records not delivered yet."
		if fa.Accepted == 0 {
			w.CannotTell += ambiguous
		}
	}
}

// service describes the port and protocol asked about (" on tcp/5432").
func (w *Why) service() string {
	if w.Port < 0 {
		return ""
	}
	proto := whyDefaultProtocolName
	if w.Proto != 0 {
		proto = model.ProtocolName(w.Proto)
	}
	return fmt.Sprintf(" on %s/%d", proto, w.Port)
}

// iface returns the interface that logged side s, if any.
func (w *Why) iface(s string) string {
	for _, sd := range w.Sides {
		if sd.Side == s && sd.Interface != "-" {
			return sd.Interface
		}
	}
	return ""
}

// confirm builds the Reachability Analyzer commands for the path.
func (w *Why) confirm() []string {
	var b strings.Builder
	b.WriteString("aws ec2 create-network-insights-path")
	if s := w.iface(sideSource); s != "" {
		fmt.Fprintf(&b, " --source %s", s)
	} else {
		fmt.Fprintf(&b, " --source <the interface or instance id of %s> --source-ip %s", w.Src, w.Src)
	}
	switch d := w.iface(sideDest); {
	case d != "":
		fmt.Fprintf(&b, " --destination %s", d)
	case !IsPrivate(w.Dst):
		fmt.Fprintf(&b, " --destination <the internet gateway id> --destination-ip %s", w.Dst)
	default:
		fmt.Fprintf(&b, " --destination <the interface or instance id of %s> --destination-ip %s", w.Dst, w.Dst)
	}
	proto := whyDefaultProtocolName
	if w.Proto == 17 {
		proto = "udp"
	}
	fmt.Fprintf(&b, " --protocol %s", proto)
	if w.Port >= 0 {
		fmt.Fprintf(&b, " --destination-port %d", w.Port)
	}
	return []string{b.String(), reachabilityAnalyzerFollow}
}

// Report is the verdict for people, wrapped at width columns: the
// question and verdict, the explanation, both directions and what each
// interface logged, what flow logs cannot tell apart, the evidence and the
// commands that confirm it. It holds text from logs (interface ids): the
// caller sanitises it for the terminal.
func (w *Why) Report(width int) string {
	var b strings.Builder
	what := w.Src.String() + " -> " + w.Dst.String()
	if w.Port >= 0 {
		what += fmt.Sprintf(" port %d", w.Port)
	}
	fmt.Fprintf(&b, "%s: %s\n", what, strings.ToUpper(w.Verdict))
	w.writeNames(&b, width)
	b.WriteByte('\n')
	fmt.Fprintf(&b, "%s\n\n", wrap(w.Explanation, width, ""))
	w.writeRules(&b, width)
	dir := func(name string, c Counts) {
		fmt.Fprintf(&b, "%-8s %5d flows %5d accepted %5d rejected", name, c.Flows, c.Accepted, c.Rejected)
		if c.Flows > 0 {
			sep := "  "
			if width < 100 {
				sep = "\n         "
			}
			fmt.Fprintf(&b, "%s%s .. %s", sep, model.FormatUnix(c.First), model.FormatUnix(c.Last))
		}
		b.WriteByte('\n')
	}
	dir("forward", w.Forward)
	dir("reverse", w.Reverse)
	for _, s := range w.Sides {
		name := s.Interface
		if s.Name != "" {
			name += " " + s.Name
		}
		fmt.Fprintf(&b, "  %s (the %s's)\n    out: %d accepted, %d rejected; back: %d accepted, %d rejected\n", name, s.Side,
			s.Forward.Accepted, s.Forward.Rejected, s.Reverse.Accepted, s.Reverse.Rejected)
	}
	fmt.Fprintf(&b, "\n%s\n", wrap("Flow logs cannot tell apart: "+w.CannotTell, width, "  "))
	fmt.Fprintf(&b, "\n%s\n", wrap("Evidence: "+w.Evidence, width, "  "))
	b.WriteString("\nConfirm from the configuration (Reachability Analyzer):\n")
	for _, c := range w.Confirm {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	if w.Partial != "" {
		fmt.Fprintf(&b, "\n%s\n", wrap("Note: "+w.Partial, width, "  "))
	}
	return b.String()
}

// wrap folds s at width columns (words longer than a line stay whole),
// indenting continuation lines.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if col+1+len(word) > width {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// counted writes n things: "1 request", "3 requests".
func counted(n uint64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.FormatUint(n, 10) + " " + thing + "s"
}

func wasWere(n uint64) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func itThey(n uint64) string {
	if n == 1 {
		return "it"
	}
	return "they"
}
