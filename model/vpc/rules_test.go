package vpc

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

var (
	addr = netip.MustParseAddr
	pfx  = netip.MustParsePrefix
)

// allow and deny build ACL entries: n, egress, protocol, cidr, ports.
func allow(n int, egress bool, proto int, cidr string, from, to int) ACLEntry {
	return ACLEntry{Number: n, Egress: egress, Protocol: proto, Allow: true, CIDR: pfx(cidr), FromPort: from, ToPort: to, ICMPType: -1, ICMPCode: -1}
}

func deny(n int, egress bool, proto int, cidr string, from, to int) ACLEntry {
	e := allow(n, egress, proto, cidr, from, to)
	e.Allow = false
	return e
}

const in, out = false, true

// openACL allows everything both ways, IPv4 and IPv6 (the default ACL).
func openACL(id, subnet string) *NetworkACL {
	return &NetworkACL{ID: id, Subnets: []string{subnet}, Entries: []ACLEntry{
		allow(100, in, -1, "0.0.0.0/0", 0, 0), allow(101, in, -1, "::/0", 0, 0),
		allow(100, out, -1, "0.0.0.0/0", 0, 0), allow(101, out, -1, "::/0", 0, 0),
		deny(CatchAll, in, -1, "0.0.0.0/0", 0, 0), deny(CatchAll, in, -1, "::/0", 0, 0),
		deny(CatchAll, out, -1, "0.0.0.0/0", 0, 0), deny(CatchAll, out, -1, "::/0", 0, 0),
	}}
}

// estate is the test VPC: web-1 (10.0.10.11, sg-web, subnet-web), app-1
// (10.0.20.12, sg-app, subnet-app) and db-1 (10.0.30.10 and 2001:db8:30::10,
// sg-db, subnet-db), each subnet with its own ACL; change lets a case
// alter the parts before the Config is built.
func estate(change func(p *Parts)) *Config {
	p := Parts{
		Interfaces: []*Interface{
			{ID: "eni-web1", InstanceID: "i-web1", InstanceName: "web-1", SubnetID: "subnet-web", VPCID: "vpc-1",
				Groups: []string{"sg-web"}, Addrs: []netip.Addr{addr("10.0.10.11"), addr("2001:db8:10::11")}},
			{ID: "eni-app1", InstanceID: "i-app1", InstanceName: "app-1", SubnetID: "subnet-app", VPCID: "vpc-1",
				Groups: []string{"sg-app"}, Addrs: []netip.Addr{addr("10.0.20.12")}},
			{ID: "eni-app2", InstanceID: "i-app2", InstanceName: "app-2", SubnetID: "subnet-app", VPCID: "vpc-1",
				Groups: []string{"sg-app"}, Addrs: []netip.Addr{addr("10.0.20.13")}},
			{ID: "eni-db1", InstanceID: "i-db1", InstanceName: "db-1", SubnetID: "subnet-db", VPCID: "vpc-1",
				Groups: []string{"sg-db", "sg-mon"}, Addrs: []netip.Addr{addr("10.0.30.10"), addr("2001:db8:30::10")}},
			{ID: "eni-nat", Type: "nat_gateway", Description: "Interface for NAT Gateway nat-0abc", SubnetID: "subnet-web",
				VPCID: "vpc-1", Addrs: []netip.Addr{addr("10.0.10.5")}},
		},
		Groups: []*SecurityGroup{
			{ID: "sg-web", Name: "web", Ingress: []Rule{{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0")}},
				Egress: []Rule{{Protocol: -1, FromPort: -1, ToPort: -1, CIDR: pfx("0.0.0.0/0")}, {Protocol: -1, FromPort: -1, ToPort: -1, CIDR: pfx("::/0")}}},
			{ID: "sg-app", Name: "app", Ingress: []Rule{{Protocol: 6, FromPort: 8443, ToPort: 8443, Group: "sg-web"}},
				Egress: []Rule{{Protocol: -1, FromPort: -1, ToPort: -1, CIDR: pfx("0.0.0.0/0")}}},
			{ID: "sg-db", Name: "db", Ingress: []Rule{
				{Protocol: 6, FromPort: 5432, ToPort: 5432, Group: "sg-app"},
				{Protocol: 6, FromPort: 6379, ToPort: 6379, CIDR: pfx("10.0.20.0/24")},
				{Protocol: 6, FromPort: 22, ToPort: 22, PrefixList: "pl-office"},
				{Protocol: 6, FromPort: 5432, ToPort: 5432, CIDR: pfx("2001:db8:10::/64")},
			}, Egress: []Rule{{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0")}}},
			{ID: "sg-mon", Name: "mon", Ingress: []Rule{{Protocol: 1, FromPort: 8, ToPort: -1, CIDR: pfx("10.0.0.0/16")}}},
		},
		ACLs:        []*NetworkACL{openACL("acl-web", "subnet-web"), openACL("acl-app", "subnet-app"), openACL("acl-db", "subnet-db")},
		PrefixLists: []*PrefixList{{ID: "pl-office", Name: "office", CIDRs: []netip.Prefix{pfx("192.0.2.0/28")}}},
	}
	if change != nil {
		change(&p)
	}
	return NewConfig(p)
}

// setACL replaces the entries of ACL id.
func setACL(id string, entries ...ACLEntry) func(p *Parts) {
	return func(p *Parts) {
		for _, a := range p.ACLs {
			if a.ID == id {
				a.Entries = entries
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	type want struct {
		verdict string
		// blocking: "component rule effect" of the deciding result ("" when allowed)
		blocking string
		// texts that must each appear in some result's Text
		texts []string
		// rules: "direction side component rule effect traffic" of every result, in order (nil = not checked)
		rules      []string
		incomplete bool // notes say what could not be evaluated
	}
	cases := []struct {
		name   string
		change func(p *Parts)
		q      Query
		want   want
	}{
		{
			name: "sg allow by referenced group",
			q:    Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432, ReplyPorts: PortRange{40000, 40000}},
			want: want{verdict: VerdictAllowed,
				texts: []string{"inbound sg-db (db) allows tcp 5432 from sg-app (app)"},
				rules: []string{
					"outbound source sg-app all traffic to 0.0.0.0/0 allow request",
					"outbound source acl-app 100 allow request",
					"inbound destination acl-db 100 allow request",
					"inbound destination sg-db tcp 5432 from sg-app (app) allow request",
					"outbound destination acl-db 100 allow reply",
					"inbound source acl-app 100 allow reply",
				}},
		},
		{
			name: "sg allow by cidr",
			q:    Query{Src: addr("10.0.20.13"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 6379},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound sg-db (db) allows tcp 6379 from 10.0.20.0/24"}},
		},
		{
			name: "sg allow by prefix list",
			q:    Query{Src: addr("192.0.2.7"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 22},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"inbound sg-db (db) allows tcp 22 from pl-office (office)",
				"192.0.2.7 is not a known interface"}},
		},
		{
			name: "sg prefix list does not cover the address",
			q:    Query{Src: addr("192.0.2.70"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 22},
			want: want{incomplete: true, verdict: VerdictDestinationInbound, blocking: "sg-db  no-match",
				texts: []string{"no inbound rule in sg-db (db) allows tcp/22 from 192.0.2.70", "no inbound rule in sg-mon (mon) allows tcp/22 from 192.0.2.70"}},
		},
		{
			name: "sg no match: the referenced group does not hold the source",
			q:    Query{Src: addr("10.0.10.11"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictDestinationInbound, blocking: "sg-db  no-match",
				texts: []string{"no inbound rule in sg-db (db) allows tcp/5432 from 10.0.10.11"}},
		},
		{
			name: "sg referenced group with an unknown source cannot be decided",
			q:    Query{Src: addr("10.0.99.9"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"could not tell whether 10.0.99.9 matches: sg-db rule tcp 5432 from sg-app (app)"}},
		},
		{
			name: "sg by prefix list not described",
			change: func(p *Parts) {
				p.PrefixLists = nil
			},
			q:    Query{Src: addr("192.0.2.7"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 22},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"prefix list pl-office not described"}},
		},
		{
			name: "sg ipv6 rule",
			q:    Query{Src: addr("2001:db8:10::11"), Dst: addr("2001:db8:30::10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound sg-db (db) allows tcp 5432 from 2001:db8:10::/64",
				"outbound ACL acl-web rule 101 allows all traffic to ::/0"}},
		},
		{
			name: "sg source outbound no match",
			q:    Query{Src: addr("10.0.30.10"), Dst: addr("10.0.20.12"), Protocol: 6, Port: 8443},
			want: want{verdict: VerdictSourceOutbound, blocking: "sg-db  no-match",
				texts: []string{"no outbound rule in sg-db (db) allows tcp/8443 to 10.0.20.12"}},
		},
		{
			name: "sg icmp echo by type",
			q:    Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 1},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound sg-mon (mon) allows icmp type 8 from 10.0.0.0/16"}},
		},
		{
			name:   "nacl rule order: the lowest number wins",
			change: setACL("acl-db", deny(90, in, 6, "10.0.20.0/24", 5432, 5432), allow(100, in, -1, "0.0.0.0/0", 0, 0), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictDestinationInbound, blocking: "acl-db 90 deny",
				texts: []string{"inbound ACL acl-db rule 90 denies tcp 5432 from 10.0.20.0/24"}},
		},
		{
			name:   "nacl rule order: an allow before a deny",
			change: setACL("acl-db", allow(80, in, 6, "10.0.20.0/24", 5432, 5432), deny(90, in, -1, "0.0.0.0/0", 0, 0), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want:   want{verdict: VerdictAllowed, texts: []string{"inbound ACL acl-db rule 80 allows tcp 5432 from 10.0.20.0/24"}},
		},
		{
			name:   "nacl explicit deny of a source",
			change: setACL("acl-db", deny(50, in, -1, "10.0.20.12/32", 0, 0), allow(100, in, -1, "0.0.0.0/0", 0, 0), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictDestinationInbound, blocking: "acl-db 50 deny",
				texts: []string{"inbound ACL acl-db rule 50 denies all traffic from 10.0.20.12/32"}},
		},
		{
			name:   "nacl catch-all deny",
			change: setACL("acl-db", allow(100, in, 6, "10.0.20.0/24", 6379, 6379), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictDestinationInbound, blocking: "acl-db * deny",
				texts: []string{"inbound ACL acl-db rule * denies all traffic from 0.0.0.0/0"}},
		},
		{
			name: "nacl ephemeral reply blocked at the destination",
			change: setACL("acl-db", allow(100, in, 6, "10.0.0.0/16", 5432, 5432), allow(100, out, 6, "10.0.0.0/16", 0, 1023),
				deny(CatchAll, out, -1, "0.0.0.0/0", 0, 0), deny(CatchAll, in, -1, "0.0.0.0/0", 0, 0)),
			q: Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432, ReplyPorts: PortRange{40000, 40000}},
			want: want{verdict: VerdictReplyAtDestination, blocking: "acl-db * deny",
				texts: []string{"outbound ACL acl-db rule * denies all traffic to 0.0.0.0/0 (replies to 10.0.20.12 on port 40000)"},
				rules: []string{
					"outbound source sg-app all traffic to 0.0.0.0/0 allow request",
					"outbound source acl-app 100 allow request",
					"inbound destination acl-db 100 allow request",
					"inbound destination sg-db tcp 5432 from sg-app (app) allow request",
					"outbound destination acl-db * deny reply",
					"inbound source acl-app 100 allow reply",
				}},
		},
		{
			name: "nacl ephemeral reply: part of the range",
			change: setACL("acl-app", allow(100, out, -1, "0.0.0.0/0", 0, 0), allow(100, in, 6, "10.0.0.0/16", 32768, 65535),
				deny(90, in, 6, "0.0.0.0/0", 1024, 32767)),
			q: Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictReplyAtSource, blocking: "acl-app 90 deny",
				texts: []string{"inbound ACL acl-app rule 90 denies tcp 1024-32767 from 0.0.0.0/0 (replies to 10.0.30.10 on ports 1024-32767; rule 100 allows ports 32768-65535)"}},
		},
		{
			name: "nacl ephemeral reply: the observed port is allowed",
			change: setACL("acl-app", allow(100, out, -1, "0.0.0.0/0", 0, 0), allow(100, in, 6, "10.0.0.0/16", 32768, 65535),
				deny(90, in, 6, "0.0.0.0/0", 1024, 32767)),
			q:    Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432, ReplyPorts: PortRange{51000, 51000}},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound ACL acl-app rule 100 allows tcp 32768-65535 from 10.0.0.0/16 (replies to 10.0.30.10 on port 51000)"}},
		},
		{
			name: "nacl ipv4 entries do not match ipv6 traffic",
			change: setACL("acl-db", allow(100, in, -1, "0.0.0.0/0", 0, 0), allow(100, out, -1, "0.0.0.0/0", 0, 0),
				deny(CatchAll, in, -1, "0.0.0.0/0", 0, 0), deny(CatchAll, in, -1, "::/0", 0, 0)),
			q: Query{Src: addr("2001:db8:10::11"), Dst: addr("2001:db8:30::10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictDestinationInbound, blocking: "acl-db * deny",
				texts: []string{"inbound ACL acl-db rule * denies all traffic from ::/0"}},
		},
		{
			name: "nacl ipv6 rule allows",
			change: setACL("acl-db", deny(90, in, -1, "0.0.0.0/0", 0, 0), allow(110, in, 6, "2001:db8:10::/64", 5432, 5432),
				allow(120, out, 6, "::/0", 1024, 65535)),
			q: Query{Src: addr("2001:db8:10::11"), Dst: addr("2001:db8:30::10"), Protocol: 6, Port: 5432},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound ACL acl-db rule 110 allows tcp 5432 from 2001:db8:10::/64",
				"outbound ACL acl-db rule 120 allows tcp 1024-65535 to ::/0"}},
		},
		{
			name:   "nacl protocol -1 deny covers udp",
			change: setACL("acl-db", deny(10, in, -1, "10.0.20.0/24", 0, 0), allow(100, in, 17, "0.0.0.0/0", 53, 53), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 17, Port: 53},
			want: want{verdict: VerdictDestinationInbound, blocking: "acl-db 10 deny",
				texts: []string{"inbound ACL acl-db rule 10 denies all traffic from 10.0.20.0/24"}},
		},
		{
			name:   "nacl protocol-specific entry skips other protocols",
			change: setACL("acl-db", deny(10, in, 17, "0.0.0.0/0", 0, 65535), allow(100, in, -1, "0.0.0.0/0", 0, 0), allow(100, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want:   want{verdict: VerdictAllowed, texts: []string{"inbound ACL acl-db rule 100 allows all traffic from 0.0.0.0/0"}},
		},
		{
			name:   "nacl icmp reply needs echo reply outbound",
			change: setACL("acl-db", allow(100, in, 1, "0.0.0.0/0", 0, 0), ACLEntry{Number: 100, Egress: true, Protocol: 1, Allow: true, CIDR: pfx("0.0.0.0/0"), ICMPType: 8, ICMPCode: -1}),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 1},
			want: want{verdict: VerdictReplyAtDestination, blocking: "acl-db * deny",
				texts: []string{"outbound ACL acl-db rule * denies all traffic to 0.0.0.0/0 (replies to 10.0.20.12)"}},
		},
		{
			name:   "same subnet: ACLs do not apply",
			change: setACL("acl-app", deny(1, in, -1, "0.0.0.0/0", 0, 0), deny(1, out, -1, "0.0.0.0/0", 0, 0)),
			q:      Query{Src: addr("10.0.20.12"), Dst: addr("10.0.20.13"), Protocol: 6, Port: 8443},
			want: want{verdict: VerdictDestinationInbound, blocking: "sg-app  no-match",
				texts: []string{"network ACLs do not apply within a subnet", "no inbound rule in sg-app (app) allows tcp/8443 from 10.0.20.12"},
				rules: []string{
					"outbound source sg-app all traffic to 0.0.0.0/0 allow request",
					"inbound destination sg-app  no-match request",
				}},
		},
		{
			name: "security groups are stateful: no reply check",
			change: setACL("acl-web", allow(100, in, 6, "0.0.0.0/0", 443, 443), allow(100, out, 6, "0.0.0.0/0", 1024, 65535),
				allow(110, out, 6, "10.0.0.0/16", 8443, 8443), allow(110, in, 6, "10.0.0.0/16", 1024, 65535)),
			q:    Query{Src: addr("203.0.113.9"), Dst: addr("10.0.10.11"), Protocol: 6, Port: 443},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"inbound sg-web (web) allows tcp 443 from 0.0.0.0/0", "outbound ACL acl-web rule 100 allows tcp 1024-65535 to 0.0.0.0/0"}},
		},
		{
			name: "a group not described leaves the stage undecided",
			change: func(p *Parts) {
				p.Groups = p.Groups[:2] // sg-db and sg-mon unknown
			},
			q: Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"sg-db of eni-db1 was not described", "sg-mon of eni-db1 was not described"},
				rules: []string{
					"outbound source sg-app all traffic to 0.0.0.0/0 allow request",
					"outbound source acl-app 100 allow request",
					"inbound destination acl-db 100 allow request",
					"outbound destination acl-db 100 allow reply",
					"inbound source acl-app 100 allow reply",
				}},
		},
		{
			name: "an interface without groups (NAT gateway)",
			q:    Query{Src: addr("10.0.10.5"), Dst: addr("198.51.100.4"), Protocol: 6, Port: 443},
			want: want{incomplete: true, verdict: VerdictAllowed, texts: []string{"eni-nat (nat-0abc) has no security groups (NAT gateway)"}},
		},
		{
			name: "interface ids from the records win over addresses",
			q:    Query{Src: addr("10.0.20.12"), Dst: addr("10.9.9.9"), DstInterface: "eni-db1", Protocol: 6, Port: 5432},
			want: want{verdict: VerdictAllowed, texts: []string{"inbound sg-db (db) allows tcp 5432 from sg-app (app)"}},
		},
		{
			name: "neither end known",
			q:    Query{Src: addr("192.0.2.1"), Dst: addr("198.51.100.1"), Protocol: 6, Port: 80},
			want: want{incomplete: true, verdict: VerdictUnknown, texts: []string{"neither 192.0.2.1 nor 198.51.100.1 is a known interface"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := estate(tc.change).Evaluate(tc.q)
			if ev.Verdict != tc.want.verdict {
				t.Errorf("verdict %q, want %q\n%s", ev.Verdict, tc.want.verdict, dump(ev))
			}
			if ev.Complete == tc.want.incomplete {
				t.Errorf("complete %v, want %v\n%s", ev.Complete, !tc.want.incomplete, dump(ev))
			}
			gotBlock := ""
			if ev.Blocking >= 0 {
				r := ev.Rules[ev.Blocking]
				gotBlock = r.Component + " " + r.Rule + " " + r.Effect.String()
			}
			if gotBlock != tc.want.blocking {
				t.Errorf("blocking %q, want %q\n%s", gotBlock, tc.want.blocking, dump(ev))
			}
			all := dump(ev)
			for _, s := range tc.want.texts {
				if !strings.Contains(all, s) {
					t.Errorf("no %q in\n%s", s, all)
				}
			}
			if tc.want.rules != nil {
				var got []string
				for _, r := range ev.Rules {
					got = append(got, strings.Join([]string{r.Direction.String(), r.Side.String(), r.Component, r.Rule, r.Effect.String(), r.Traffic.String()}, " "))
				}
				if strings.Join(got, "\n") != strings.Join(tc.want.rules, "\n") {
					t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want.rules, "\n"))
				}
			}
		})
	}
}

func dump(ev Evaluation) string {
	var b strings.Builder
	for _, r := range ev.Rules {
		b.WriteString(r.Text + "\n")
	}
	for _, n := range ev.Notes {
		b.WriteString("note: " + n + "\n")
	}
	return b.String()
}

func TestRuleResultJSON(t *testing.T) {
	ev := estate(setACL("acl-db", deny(90, in, 6, "0.0.0.0/0", 5432, 5432))).Evaluate(
		Query{Src: addr("10.0.20.12"), Dst: addr("10.0.30.10"), Protocol: 6, Port: 5432})
	b, err := json.Marshal(ev.Rules[ev.Blocking])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"direction":"inbound","side":"destination","component":"acl-db","rule":"90","effect":"deny","traffic":"request","text":"inbound ACL acl-db rule 90 denies tcp 5432 from 0.0.0.0/0"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// TestACLLabel: an ACL is named in a finding by its Name tag, else by the
// named subnet it governs there, else by its id alone.
func TestACLLabel(t *testing.T) {
	q := Query{Src: netip.MustParseAddr("10.0.20.12"), Dst: netip.MustParseAddr("10.0.30.10"), Protocol: 6, Port: 5432}
	blocking := func(c *Config) string {
		ev := c.Evaluate(q)
		if ev.Blocking < 0 {
			t.Fatalf("not blocked: %s", ev.Verdict)
		}
		return ev.Rules[ev.Blocking].Text
	}
	block := setACL("acl-db", deny(90, false, 6, "10.0.20.0/24", 5432, 5432), allow(100, false, -1, "0.0.0.0/0", 0, 0), allow(100, true, -1, "0.0.0.0/0", 0, 0))
	if got := blocking(estate(block)); !strings.HasPrefix(got, "inbound ACL acl-db rule 90 denies") {
		t.Error(got)
	}
	named := estate(func(p *Parts) {
		block(p)
		p.Subnets = []*Subnet{{ID: "subnet-db", Name: "db-a"}}
	})
	if got := blocking(named); !strings.HasPrefix(got, "inbound ACL acl-db (subnet db-a) rule 90 denies") {
		t.Error(got)
	}
	tagged := estate(func(p *Parts) {
		block(p)
		p.Subnets = []*Subnet{{ID: "subnet-db", Name: "db-a"}}
		for _, a := range p.ACLs {
			if a.ID == "acl-db" {
				a.Name = "db-strict"
			}
		}
	})
	if got := blocking(tagged); !strings.HasPrefix(got, "inbound ACL acl-db (db-strict) rule 90 denies") {
		t.Error(got)
	}
}
