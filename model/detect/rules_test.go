package detect

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/vpc"
)

// TestRulesSentence: agreement, disagreement and what the records cannot
// show, in words.
func TestRulesSentence(t *testing.T) {
	blocked := vpc.Evaluation{Verdict: vpc.VerdictDestinationInbound, Complete: true, Blocking: 0,
		Rules: []vpc.RuleResult{{Text: "no inbound rule in sg-db (db) allows tcp/5432 from 10.0.21.14"}}}
	if s := rulesSentence(VerdictBlockedDstInbound, blocked); !strings.HasPrefix(s, "The configuration agrees: no inbound rule in sg-db") {
		t.Error(s)
	}
	if s := rulesSentence(VerdictAllowed, blocked); !strings.Contains(s, "The rules and the records disagree") ||
		!strings.Contains(s, "may have changed since these records, or the traffic went another way") {
		t.Error(s)
	}
	if s := rulesSentence(VerdictNoRecords, blocked); !strings.HasPrefix(s, "The configuration says blocked-at-destination-inbound") {
		t.Error(s)
	}
	open := vpc.Evaluation{Verdict: vpc.VerdictAllowed, Blocking: -1, Notes: []string{"sg-x of eni-1 was not described"}}
	if s := rulesSentence(VerdictAllowed, open); !strings.Contains(s, "every rule on the path allows it") ||
		!strings.Contains(s, "Not all of the configuration is known: sg-x of eni-1 was not described") {
		t.Error(s)
	}
}

// TestAddRules: a diagnosis is checked against a configuration through the
// interfaces that logged each end; the report lists the rules, and says
// when they and the records disagree.
func TestAddRules(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.2.9")
	all := netip.MustParsePrefix("0.0.0.0/0")
	cfg := func(dbPort int) *vpc.Config {
		return vpc.NewConfig(vpc.Parts{
			Interfaces: []*vpc.Interface{
				{ID: "eni-app", SubnetID: "subnet-1", VPCID: "vpc-1", Groups: []string{"sg-app"}, Addrs: []netip.Addr{a}},
				{ID: "eni-db", SubnetID: "subnet-1", VPCID: "vpc-1", Groups: []string{"sg-db"}, Addrs: []netip.Addr{b}},
			},
			Groups: []*vpc.SecurityGroup{
				{ID: "sg-app", Name: "app", VPCID: "vpc-1", Egress: []vpc.Rule{{Protocol: vpc.AllProtocols, FromPort: -1, ToPort: -1, CIDR: all}}},
				{ID: "sg-db", Name: "db", VPCID: "vpc-1", Ingress: []vpc.Rule{{Protocol: 6, FromPort: dbPort, ToPort: dbPort, Group: "sg-app"}}},
			},
		})
	}
	blocked := func() *Why {
		return &Why{Src: a, Dst: b, Port: 5432, Verdict: VerdictBlockedDstInbound, Explanation: "REJECTed.",
			Sides: []Side{{Interface: "eni-app", Side: sideSource}, {Interface: "eni-db", Side: sideDest}}}
	}
	w := blocked()
	if q, ok := w.RuleQuery(); !ok || q.Protocol != 6 || q.SrcInterface != "eni-app" || q.DstInterface != "eni-db" {
		t.Fatalf("query %+v %v", q, ok)
	}
	if !w.AddRules(cfg(3306)) || w.RulesVerdict != VerdictBlockedDstInbound || w.RulesDisagree() {
		t.Fatalf("%s: %s", w.RulesVerdict, w.Explanation)
	}
	if !strings.Contains(w.Explanation, "The configuration agrees: no inbound rule in sg-db (db) allows tcp/5432 from 10.0.1.5.") ||
		!strings.HasSuffix(w.CannotTell, "Here the configuration tells: no inbound rule in sg-db (db) allows tcp/5432 from 10.0.1.5.") {
		t.Error(w.Explanation, "|", w.CannotTell)
	}
	rep := w.Report(100)
	if !strings.Contains(rep, "Rules (they agree with the records):") || !strings.Contains(rep, "STOP no inbound rule in sg-db (db) allows tcp/5432 from 10.0.1.5") ||
		!strings.Contains(rep, "ok   outbound sg-app (app) allows all traffic to 0.0.0.0/0") {
		t.Errorf("report:\n%s", rep)
	}
	// Names: the ends as an incident names them, and the interfaces.
	c := cfg(3306).Merge(vpc.Parts{Subnets: []*vpc.Subnet{{ID: "subnet-1", Name: "app-b"}}, Names: map[string]string{"eni-app": "app-2"}})
	w.AddNames(c)
	if w.SrcName != "app-2" || w.DstName != "" || w.Sides[0].Name != "app-2" ||
		!strings.Contains(w.Report(100), "\napp-2 (sg app, subnet app-b) -> eni-db (sg db, subnet app-b)\n") ||
		!strings.Contains(w.Report(100), "eni-app app-2 (the source's)") {
		t.Errorf("names %q %q %+v\n%s", w.SrcName, w.DstName, w.Sides, w.Report(100))
	}
	w = blocked()
	if !w.AddRules(cfg(5432)) || !w.RulesDisagree() || !strings.Contains(w.Report(100), "Rules (they say allowed, the records blocked-at-destination-inbound)") {
		t.Errorf("%s\n%s", w.RulesVerdict, w.Report(100))
	}
	// No port, no configuration, or neither end known: nothing added.
	w = blocked()
	w.Port = -1
	if w.AddRules(cfg(5432)) || len(w.Rules) > 0 {
		t.Error("rules without a port")
	}
	w = blocked()
	if w.AddRules(nil) || w.AddRules(vpc.NewConfig(vpc.Parts{})) {
		t.Error("rules without configuration")
	}
	w = &Why{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Port: 22, Verdict: VerdictAllowed}
	if w.AddRules(cfg(5432)) || w.RulesVerdict != "" {
		t.Error("rules for unknown ends")
	}
}
