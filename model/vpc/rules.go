package vpc

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Direction is the way traffic crosses a component, seen from the
// interface (security group) or subnet (ACL) it belongs to.
type Direction uint8

// Directions.
const (
	Inbound Direction = iota
	Outbound
)

// String returns "inbound" or "outbound".
func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// MarshalText writes the direction's name (JSON).
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Side says which end of the conversation a component belongs to.
type Side uint8

// Sides.
const (
	SideSource Side = iota
	SideDestination
)

// String returns "source" or "destination".
func (s Side) String() string {
	if s == SideDestination {
		return "destination"
	}
	return "source"
}

// MarshalText writes the side's name (JSON).
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Effect is what a component did with the traffic.
type Effect uint8

// Effects. A security group never denies: when none of its rules allows
// the traffic its effect is EffectNoMatch, which blocks it all the same.
const (
	EffectAllow Effect = iota
	EffectDeny
	EffectNoMatch
)

// String returns "allow", "deny" or "no-match".
func (e Effect) String() string {
	switch e {
	case EffectDeny:
		return "deny"
	case EffectNoMatch:
		return "no-match"
	}
	return "allow"
}

// MarshalText writes the effect's name (JSON).
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Blocks reports whether the effect stops the traffic.
func (e Effect) Blocks() bool { return e != EffectAllow }

// Traffic says whether a result is about the request or its reply.
type Traffic uint8

// Traffic kinds.
const (
	Request Traffic = iota
	Reply
)

// String returns "request" or "reply".
func (t Traffic) String() string {
	if t == Reply {
		return "reply"
	}
	return "request"
}

// MarshalText writes the kind's name (JSON).
func (t Traffic) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// RuleResult says which rule of one component decided one direction of
// the conversation. Its JSON form is the `rules` entry of `why`.
type RuleResult struct {
	Direction Direction `json:"direction"`
	Side      Side      `json:"side"`
	Component string    `json:"component"` // sg-... or acl-...
	// Rule is the ACL rule number ("*" for the catch-all) or the
	// security-group rule in words ("tcp 5432 from sg-0app"); "" when no
	// rule of a security group matched.
	Rule    string  `json:"rule"`
	Effect  Effect  `json:"effect"`
	Traffic Traffic `json:"traffic"` // request, or the reply judged again by a stateless ACL
	Text    string  `json:"text"`    // the whole finding in words
}

// Verdicts of an evaluation: the same words as the record-based verdicts
// of `flowlens why`, so the two can be compared.
const (
	VerdictAllowed            = "allowed"
	VerdictSourceOutbound     = "blocked-at-source-outbound"
	VerdictDestinationInbound = "blocked-at-destination-inbound"
	VerdictReplyAtDestination = "reply-blocked-at-destination"
	VerdictReplyAtSource      = "reply-blocked-at-source"
	VerdictUnknown            = "unknown" // neither end's configuration is known
)

// PortRange is an inclusive range of ports.
type PortRange struct{ Lo, Hi uint16 }

// Ephemeral is the reply port range checked when the request's source
// port is not known: every port a client OS or AWS service may pick
// (Linux uses 32768-60999, Windows 49152-65535, NAT gateways and load
// balancers 1024-65535).
var Ephemeral = PortRange{1024, 65535}

// Query is one conversation to evaluate: a request from Src to Dst on
// Protocol and Port, and its reply.
type Query struct {
	Src, Dst netip.Addr
	Protocol uint8
	Port     uint16 // destination port of the request (ignored for portless protocols)
	// ReplyPorts are the request's source ports, where the reply goes; the
	// zero value means Ephemeral. Pass the ports seen in the records when
	// they are known.
	ReplyPorts PortRange
	// SrcInterface and DstInterface are the interfaces of the two ends
	// when the records name them; "" = find them by address.
	SrcInterface, DstInterface string
}

// Evaluation is what the configuration says about a Query.
type Evaluation struct {
	// Verdict is the first place along the path where the configuration
	// stops the traffic (one of the Verdict constants).
	Verdict string `json:"verdict"`
	// Rules lists the deciding rule of every component on the path, in
	// path order: the source's security group and ACL outbound, the
	// destination's ACL and security group inbound, then the reply through
	// the destination's and the source's ACLs.
	Rules []RuleResult `json:"rules"`
	// Blocking is the index in Rules of the result that gives the verdict
	// (-1 when allowed or unknown).
	Blocking int `json:"-"`
	// Notes say what could not be evaluated (an end outside the known
	// configuration, a group not described, a referenced group whose
	// members are unknown). Complete is false when there are any.
	Notes    []string `json:"notes,omitempty"`
	Complete bool     `json:"complete"`
}

// Evaluate runs q through the configuration.
func (c *Config) Evaluate(q Query) Evaluation {
	ev := Evaluation{Blocking: -1, Complete: true}
	src := c.endpoint(q.SrcInterface, q.Src, "")
	vpcHint := ""
	if src != nil {
		vpcHint = src.VPCID
	}
	dst := c.endpoint(q.DstInterface, q.Dst, vpcHint)
	if src == nil && dst == nil {
		ev.Verdict = VerdictUnknown
		ev.Complete = false
		ev.Notes = append(ev.Notes, fmt.Sprintf("neither %s nor %s is a known interface: no configuration to evaluate", q.Src, q.Dst))
		return ev
	}
	if src == nil {
		ev.note("%s is not a known interface: its security groups and ACL were not evaluated", q.Src)
	}
	if dst == nil {
		ev.note("%s is not a known interface: its security groups and ACL were not evaluated", q.Dst)
	}
	sameSubnet := src != nil && dst != nil && src.SubnetID != "" && src.SubnetID == dst.SubnetID
	if sameSubnet {
		ev.Notes = append(ev.Notes, fmt.Sprintf("both ends are in %s: network ACLs do not apply within a subnet", src.SubnetID))
	}
	p := newProbe(q)
	reply := q.ReplyPorts
	if reply == (PortRange{}) {
		reply = Ephemeral
	}
	// A stage appends its results and reports whether a block among them
	// is certain (false when a rule that might allow could not be resolved).
	type stage struct {
		verdict string
		run     func() bool
	}
	stages := []stage{}
	if src != nil {
		stages = append(stages, stage{VerdictSourceOutbound, func() bool { return c.groupStage(&ev, src, Outbound, SideSource, q.Dst, p) }})
		if !sameSubnet {
			stages = append(stages, stage{VerdictSourceOutbound, func() bool {
				return c.aclStage(&ev, src, Outbound, SideSource, Request, q.Dst, p, PortRange{q.Port, q.Port})
			}})
		}
	}
	if dst != nil {
		if !sameSubnet {
			stages = append(stages, stage{VerdictDestinationInbound, func() bool {
				return c.aclStage(&ev, dst, Inbound, SideDestination, Request, q.Src, p, PortRange{q.Port, q.Port})
			}})
		}
		stages = append(stages, stage{VerdictDestinationInbound, func() bool { return c.groupStage(&ev, dst, Inbound, SideDestination, q.Src, p) }})
		if !sameSubnet {
			stages = append(stages, stage{VerdictReplyAtDestination, func() bool {
				return c.aclStage(&ev, dst, Outbound, SideDestination, Reply, q.Src, p.reply(), reply)
			}})
		}
	}
	if src != nil && !sameSubnet {
		stages = append(stages, stage{VerdictReplyAtSource, func() bool {
			return c.aclStage(&ev, src, Inbound, SideSource, Reply, q.Dst, p.reply(), reply)
		}})
	}
	for _, s := range stages {
		n := len(ev.Rules)
		sure := s.run()
		if ev.Blocking >= 0 || !sure {
			continue
		}
		for i := n; i < len(ev.Rules); i++ {
			if ev.Rules[i].Effect.Blocks() {
				ev.Blocking, ev.Verdict = i, s.verdict
				break
			}
		}
	}
	if ev.Verdict == "" {
		ev.Verdict = VerdictAllowed
	}
	return ev
}

func (ev *Evaluation) note(format string, args ...any) {
	ev.Notes = append(ev.Notes, fmt.Sprintf(format, args...))
	ev.Complete = false
}

// endpoint finds the interface of one end: by the interface id the records
// gave, else by address.
func (c *Config) endpoint(id string, a netip.Addr, vpc string) *Interface {
	if id != "" {
		if e := c.Interface(id); e != nil {
			return e
		}
	}
	if !a.IsValid() {
		return nil
	}
	return c.InterfaceByAddr(a, vpc)
}

// probe is the packet being judged: protocol, destination port and, for
// ICMP, the message type (an echo request for the request, an echo reply
// for the reply, since flow logs do not record the type).
type probe struct {
	proto    uint8
	port     uint16
	icmpType int
}

func newProbe(q Query) probe {
	p := probe{proto: q.Protocol, port: q.Port, icmpType: -1}
	switch q.Protocol {
	case 1:
		p.icmpType = 8
	case 58:
		p.icmpType = 128
	}
	return p
}

func (p probe) reply() probe {
	r := p
	switch p.proto {
	case 1:
		r.icmpType = 0
	case 58:
		r.icmpType = 129
	}
	return r
}

// hasPorts reports whether protocol p carries ports that rules match.
func hasPorts(p int) bool { return p == 6 || p == 17 }

func isICMP(p int) bool { return p == 1 || p == 58 }

// groupStage evaluates the security groups of e in direction d for
// traffic with remote peer remote. It reports false when no rule matched
// but an undescribed group or an unresolved rule might have allowed it.
func (c *Config) groupStage(ev *Evaluation, e *Interface, d Direction, side Side, remote netip.Addr, p probe) bool {
	if len(e.Groups) == 0 {
		ev.Notes = append(ev.Notes, fmt.Sprintf("%s (%s) has no security groups (%s): nothing to evaluate there",
			e.ID, c.NameOfInterface(e.ID), e.Kind()))
		return true
	}
	var misses []RuleResult
	var unresolved []string
	for _, id := range e.Groups {
		g := c.Group(id)
		if g == nil {
			ev.note("%s of %s was not described: its rules are unknown", id, e.ID)
			continue
		}
		rules := g.Ingress
		if d == Outbound {
			rules = g.Egress
		}
		for i := range rules {
			r := &rules[i]
			m, why := c.sgMatch(r, remote, p)
			if m {
				ev.Rules = append(ev.Rules, RuleResult{Direction: d, Side: side, Component: g.ID, Rule: c.sgRuleText(r, d),
					Effect: EffectAllow, Traffic: Request,
					Text: fmt.Sprintf("%s %s allows %s", d, c.groupLabel(g), c.sgRuleText(r, d))})
				return true
			}
			if why != "" {
				unresolved = append(unresolved, fmt.Sprintf("%s rule %s (%s)", g.ID, c.sgRuleText(r, d), why))
			}
		}
		misses = append(misses, RuleResult{Direction: d, Side: side, Component: g.ID, Effect: EffectNoMatch, Traffic: Request,
			Text: fmt.Sprintf("no %s rule in %s allows %s %s %s", d, c.groupLabel(g), p.words(), towards(d), remote)})
	}
	if len(misses) == 0 {
		return false // only undescribed groups: noted above
	}
	if len(misses) < len(e.Groups) {
		// Some groups were not described: one of them may allow it.
		for i := range misses {
			misses[i].Text += " (other groups of " + e.ID + " are unknown)"
		}
	}
	for _, u := range unresolved {
		ev.note("could not tell whether %s matches: %s", remote, u)
	}
	ev.Rules = append(ev.Rules, misses...)
	return len(misses) == len(e.Groups) && len(unresolved) == 0
}

func towards(d Direction) string {
	if d == Outbound {
		return "to"
	}
	return "from"
}

// groupLabel is "sg-0abc (db)" or the bare id when the name adds nothing.
// aclLabel names an ACL in a finding: its id, then its Name tag or, when
// it has none, the named subnet it governs here: "acl-0abc (subnet app-b)".
func (c *Config) aclLabel(acl *NetworkACL, subnet string) string {
	switch {
	case acl.Name != "" && acl.Name != acl.ID:
		return acl.ID + " (" + acl.Name + ")"
	case c.SubnetName(subnet) != subnet:
		return acl.ID + " (subnet " + c.SubnetName(subnet) + ")"
	}
	return acl.ID
}

func (c *Config) groupLabel(g *SecurityGroup) string {
	if g.Name == "" || g.Name == g.ID {
		return g.ID
	}
	return g.ID + " (" + g.Name + ")"
}

// sgMatch reports whether rule r allows the probe to or from remote; when
// it cannot tell (a referenced group or prefix list is unknown), it says
// why and reports false.
func (c *Config) sgMatch(r *Rule, remote netip.Addr, p probe) (bool, string) {
	if !protoMatch(r.Protocol, p.proto) {
		return false, ""
	}
	switch {
	case r.Protocol == AllProtocols:
	case hasPorts(r.Protocol):
		if int(p.port) < r.FromPort || int(p.port) > r.ToPort {
			return false, ""
		}
	case isICMP(r.Protocol):
		if r.FromPort != -1 && p.icmpType != -1 && r.FromPort != p.icmpType {
			return false, ""
		}
	}
	remote = remote.Unmap()
	switch {
	case r.CIDR.IsValid():
		return r.CIDR.Contains(remote), ""
	case r.PrefixList != "":
		pl := c.PrefixList(r.PrefixList)
		if pl == nil {
			return false, "prefix list " + r.PrefixList + " not described"
		}
		for _, pf := range pl.CIDRs {
			if pf.Contains(remote) {
				return true, ""
			}
		}
		return false, ""
	case r.Group != "":
		peer := c.InterfaceByAddr(remote, "")
		if peer == nil {
			return false, remote.String() + " is not a known interface, so its groups are unknown"
		}
		// A rule that references a group matches the private addresses
		// of the group's members, not their public ones.
		if !slices.Contains(peer.Addrs, remote) {
			return false, ""
		}
		return slices.Contains(peer.Groups, r.Group), ""
	}
	return false, ""
}

func protoMatch(rule int, p uint8) bool {
	return rule == AllProtocols || rule == int(p)
}

// aclStage evaluates the network ACL of e's subnet in direction d for
// traffic with remote peer remote, to the given destination ports. An ACL
// decides every packet (its catch-all denies the rest), so its result is
// always certain.
func (c *Config) aclStage(ev *Evaluation, e *Interface, d Direction, side Side, t Traffic, remote netip.Addr, p probe, ports PortRange) bool {
	acl := c.ACLOf(e.SubnetID)
	if acl == nil {
		if e.SubnetID != "" && !slices.Contains(ev.Notes, "no network ACL known for "+e.SubnetID) {
			ev.note("no network ACL known for %s", e.SubnetID)
		}
		return true
	}
	if !hasPorts(int(p.proto)) {
		ports = PortRange{}
	}
	spans := decideACL(acl, d == Outbound, remote.Unmap(), p, ports)
	res := RuleResult{Direction: d, Side: side, Component: acl.ID, Traffic: t, Effect: EffectAllow}
	var deny, allow []span
	for _, s := range spans {
		if s.e.Allow {
			allow = append(allow, s)
		} else {
			deny = append(deny, s)
		}
	}
	pick := allow
	if len(deny) > 0 {
		res.Effect = EffectDeny
		pick = deny
	}
	e0 := pick[0].e
	res.Rule = ruleNumber(e0.Number)
	verb := "allows"
	if res.Effect == EffectDeny {
		verb = "denies"
	}
	res.Text = fmt.Sprintf("%s ACL %s rule %s %s %s", d, c.aclLabel(acl, e.SubnetID), res.Rule, verb, aclEntryWords(e0))
	if t == Reply {
		what := "replies to " + remote.String()
		if hasPorts(int(p.proto)) {
			what += " on " + rangeWords(pick[0].lo, pick[0].hi)
			if len(allow) > 0 && len(deny) > 0 {
				what += fmt.Sprintf("; rule %s allows %s", ruleNumber(allow[0].e.Number), rangeWords(allow[0].lo, allow[0].hi))
			}
		}
		res.Text += " (" + what + ")"
	}
	ev.Rules = append(ev.Rules, res)
	return true
}

func ruleNumber(n int) string {
	if n >= CatchAll {
		return "*"
	}
	return fmt.Sprint(n)
}

func rangeWords(lo, hi uint16) string {
	if lo == hi {
		return fmt.Sprintf("port %d", lo)
	}
	return fmt.Sprintf("ports %d-%d", lo, hi)
}

// span is a stretch of destination ports decided by one ACL entry.
type span struct {
	lo, hi uint16
	e      *ACLEntry
}

// catchAll4 and catchAll6 stand for the final deny every ACL ends with,
// when the entries given do not include it.
var (
	catchAll4 = ACLEntry{Number: CatchAll, Protocol: AllProtocols, CIDR: netip.MustParsePrefix("0.0.0.0/0")}
	catchAll6 = ACLEntry{Number: CatchAll, Protocol: AllProtocols, CIDR: netip.MustParsePrefix("::/0")}
)

// decideACL returns, for every port of ports (one span when the protocol
// has no ports), the entry of acl that decides it: the matching entry with
// the lowest number, or the catch-all deny.
func decideACL(acl *NetworkACL, egress bool, remote netip.Addr, p probe, ports PortRange) []span {
	entries := make([]*ACLEntry, 0, len(acl.Entries))
	for i := range acl.Entries {
		if acl.Entries[i].Egress == egress {
			entries = append(entries, &acl.Entries[i])
		}
	}
	slices.SortStableFunc(entries, func(a, b *ACLEntry) int { return a.Number - b.Number })
	todo := []PortRange{ports}
	var out []span
	for _, e := range entries {
		if len(todo) == 0 {
			break
		}
		if !e.CIDR.IsValid() || e.CIDR.Addr().Is4() != remote.Is4() || !e.CIDR.Contains(remote) {
			continue
		}
		if !protoMatch(e.Protocol, p.proto) {
			continue
		}
		if isICMP(e.Protocol) && e.ICMPType != -1 && p.icmpType != -1 && e.ICMPType != p.icmpType {
			continue
		}
		lo, hi := uint16(0), uint16(65535)
		if hasPorts(e.Protocol) && !(e.FromPort == 0 && e.ToPort == 0) {
			lo, hi = uint16(max(e.FromPort, 0)), uint16(min(e.ToPort, 65535))
		}
		var rest []PortRange
		for _, r := range todo {
			a, b := max(r.Lo, lo), min(r.Hi, hi)
			if a > b {
				rest = append(rest, r)
				continue
			}
			out = append(out, span{a, b, e})
			if r.Lo < a {
				rest = append(rest, PortRange{r.Lo, a - 1})
			}
			if b < r.Hi {
				rest = append(rest, PortRange{b + 1, r.Hi})
			}
		}
		todo = rest
	}
	ca := catchAll4
	if !remote.Is4() {
		ca = catchAll6
	}
	ca.Egress = egress
	for _, r := range todo {
		out = append(out, span{r.Lo, r.Hi, &ca})
	}
	slices.SortFunc(out, func(a, b span) int { return int(a.lo) - int(b.lo) })
	return out
}

// words describes the probe: "tcp/5432", "udp/53", "icmp", "all traffic".
func (p probe) words() string {
	name := protoName(int(p.proto))
	if hasPorts(int(p.proto)) {
		return fmt.Sprintf("%s/%d", name, p.port)
	}
	return name
}

// sgRuleText is a security-group rule in words: "tcp 5432 from
// 10.0.20.0/24", "all traffic to 0.0.0.0/0", "tcp 443 to pl-0abc
// (com.amazonaws.us-east-1.s3)".
func (c *Config) sgRuleText(r *Rule, d Direction) string {
	var b strings.Builder
	b.WriteString(protoPorts(r.Protocol, r.FromPort, r.ToPort, true))
	b.WriteString(" ")
	b.WriteString(towards(d))
	b.WriteString(" ")
	switch {
	case r.CIDR.IsValid():
		b.WriteString(r.CIDR.String())
	case r.PrefixList != "":
		b.WriteString(r.PrefixList)
		if pl := c.PrefixList(r.PrefixList); pl != nil && pl.Name != "" {
			b.WriteString(" (" + pl.Name + ")")
		}
	case r.Group != "":
		b.WriteString(r.Group)
		if g := c.Group(r.Group); g != nil && g.Name != "" && g.Name != g.ID {
			b.WriteString(" (" + g.Name + ")")
		}
	default:
		b.WriteString("nowhere")
	}
	return b.String()
}

// aclEntryWords is an ACL entry in words: "tcp 1024-65535 from 0.0.0.0/0".
func aclEntryWords(e *ACLEntry) string {
	from, to := e.FromPort, e.ToPort
	if hasPorts(e.Protocol) && from == 0 && to == 0 {
		from, to = 0, 65535
	}
	if isICMP(e.Protocol) {
		from, to = e.ICMPType, e.ICMPCode
	}
	dir := "from"
	if e.Egress {
		dir = "to"
	}
	return protoPorts(e.Protocol, from, to, false) + " " + dir + " " + e.CIDR.String()
}

// protoPorts writes a protocol and its port range (or ICMP type).
func protoPorts(proto, from, to int, sg bool) string {
	switch {
	case proto == AllProtocols:
		return "all traffic"
	case hasPorts(proto):
		switch {
		case from <= 0 && to >= 65535, sg && from == -1:
			return protoName(proto) + " all ports"
		case from == to:
			return fmt.Sprintf("%s %d", protoName(proto), from)
		}
		return fmt.Sprintf("%s %d-%d", protoName(proto), from, to)
	case isICMP(proto):
		if from == -1 {
			return protoName(proto)
		}
		return fmt.Sprintf("%s type %d", protoName(proto), from)
	}
	return protoName(proto)
}

func protoName(p int) string {
	switch p {
	case AllProtocols:
		return "all traffic"
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmpv6"
	}
	return fmt.Sprintf("protocol %d", p)
}
