package source

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/model/vpc"
)

// TestDemoConfigAgreesWithTraffic plays a few demo cycles and evaluates
// every request the generator logs against the demo estate's rules: an
// ACCEPTed request must be allowed by them, a REJECTed one blocked.
func TestDemoConfigAgreesWithTraffic(t *testing.T) {
	cfg := DemoConfig()
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	g := newDemoGen(7, 200, t0, time.Time{}, nil)
	type key struct {
		src, dst string
		proto    int
		port     int
		srcSide  bool
	}
	checked := map[key]bool{}
	agree, n := 0, 0
	for i := 0; i < 200*int(2*DemoCycle/time.Second); i++ {
		r := g.next()
		if r.status != "" || r.src == "" {
			continue
		}
		// Requests only: the side that logs its own address as the
		// source on egress, or the destination on ingress, with a
		// service port (replies go to ephemeral ports).
		if r.proto == 6 || r.proto == 17 {
			if r.dport >= 32768 {
				continue
			}
		} else if r.proto != 1 || strings.HasPrefix(r.dst, "10.2.1") {
			continue // (only the monitors ping: a ping to one is a reply)
		}
		// Each interface logs its own view: the source's interface records
		// what its own outbound rules did, the destination's what its
		// inbound rules did.
		srcSide := r.src == r.eni.addr || r.src == r.eni.addr6
		k := key{r.src, r.dst, r.proto, r.dport, srcSide}
		if checked[k] {
			continue
		}
		checked[k] = true
		src, dst := netip.MustParseAddr(r.src), netip.MustParseAddr(r.dst)
		if d := cfg.InterfaceByAddr(dst, ""); d != nil && d.Kind() == "NAT gateway" && r.reject {
			continue // unsolicited traffic to a NAT gateway: dropped by the gateway, not by a rule
		}
		ev := cfg.Evaluate(vpc.Query{Src: src, Dst: dst, Protocol: uint8(r.proto), Port: uint16(r.dport),
			ReplyPorts: vpc.PortRange{Lo: uint16(r.sport), Hi: uint16(r.sport)}})
		n++
		blocked := ev.Verdict == vpc.VerdictDestinationInbound
		if srcSide {
			blocked = ev.Verdict == vpc.VerdictSourceOutbound
		}
		if blocked == r.reject {
			agree++
			continue
		}
		// The internet background noise hits random ports of the load
		// balancers: one that happens to be 80 or 443 is open.
		if r.reject && (r.dport == 80 || r.dport == 443) {
			continue
		}
		t.Errorf("%s -> %s %d/%d: logged %s, rules say %s\n%s", r.src, r.dst, r.proto, r.dport, r.action(), ev.Verdict, ruleTexts(ev))
	}
	if n < 100 || agree < n*9/10 {
		t.Errorf("only %d of %d requests checked agree", agree, n)
	}
}

func ruleTexts(ev vpc.Evaluation) string {
	var b strings.Builder
	for _, r := range ev.Rules {
		b.WriteString("  " + r.Text + "\n")
	}
	for _, n := range ev.Notes {
		b.WriteString("  note: " + n + "\n")
	}
	return b.String()
}

// TestDemoSGMisconfigRule: the sg-misconfig incident's REJECT is explained
// by the missing rule, without AWS.
func TestDemoSGMisconfigRule(t *testing.T) {
	cfg := DemoConfig()
	ev := cfg.Evaluate(vpc.Query{Src: netip.MustParseAddr("10.0.21.14"), Dst: netip.MustParseAddr("10.0.30.10"), Protocol: 6, Port: 5432})
	if ev.Verdict != vpc.VerdictDestinationInbound {
		t.Fatalf("verdict %s\n%s", ev.Verdict, ruleTexts(ev))
	}
	if got := ev.Rules[ev.Blocking].Text; got != "no inbound rule in sg-db (db) allows tcp/5432 from 10.0.21.14" {
		t.Errorf("blocking rule: %q", got)
	}
	for addr, name := range map[string]string{"10.0.21.14": "app-8", "10.0.30.10": "db-1", "10.0.0.21": "alb-1",
		"10.0.1.10": "nat-b", "192.0.2.44": "office", "2001:db8:1000:10::11": "web-1", "10.1.0.30": "stg-nlb"} {
		if got := cfg.NameOfAddr(netip.MustParseAddr(addr)); got != name {
			t.Errorf("%s: name %q, want %q", addr, got, name)
		}
	}
	if k := cfg.InterfaceByAddr(netip.MustParseAddr("10.0.1.10"), "").Kind(); k != "NAT gateway" {
		t.Errorf("nat-b kind %q", k)
	}
}

// TestDemoWhyAgreesWithRules: over two cycles of the demo, every incident's
// `why` verdict is also what the estate's rules say (detect.Why.AddRules,
// as the CLI and the explorer's w add them), and so is the verdict of
// every conversation between two interfaces of the estate: an ACL covers a
// whole subnet, so a fault must not drop traffic that the records show
// accepted (the acl-reply fault once also dropped db-2's replies to app-2).
func TestDemoWhyAgreesWithRules(t *testing.T) {
	cfg := DemoConfig()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	opts := DefaultOptions()
	opts.Seed, opts.Rate, opts.Now, opts.Since = 1, 100, fixedClock(now), now.Add(-2*DemoCycle)
	ix := model.NewIndex(0)
	if err := NewMux(ix, []Source{NewDemo(opts)}, MuxOptions{}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := ix.Snapshot()
	check := func(name string, q detect.WhyQuery, want string) {
		t.Helper()
		w, err := detect.Diagnose(snap, q)
		if err != nil {
			t.Fatal(err)
		}
		if !w.AddRules(cfg) {
			t.Errorf("%s: why %s %s --port %d: no rules", name, q.Src, q.Dst, q.Port)
			return
		}
		if want != "" && w.Verdict != want {
			t.Errorf("%s: records say %s, want %s", name, w.Verdict, want)
		}
		if w.RulesVerdict != w.Verdict {
			t.Errorf("%s: why %s %s --port %d: records %s, rules %s\n%s", name, q.Src, q.Dst, q.Port, w.Verdict, w.RulesVerdict, w.Explanation)
		}
	}
	for _, inc := range DemoIncidents() {
		if inc.Verdict != "" {
			check(inc.Name, detect.WhyQuery{Src: netip.MustParseAddr(inc.Src), Dst: netip.MustParseAddr(inc.Dst), Port: inc.Port}, inc.Verdict)
		}
	}
	// Every request between two interfaces of the estate (a service port,
	// not a reply to an ephemeral one).
	type pair struct {
		src, dst netip.Addr
		proto    uint8
		port     int
	}
	seen := map[pair]bool{}
	var rec model.Record
	for _, sg := range snap.Segs {
		for i := 0; i < sg.N; i++ {
			snap.Record(sg, i, &rec)
			src, ok1 := rec.Addr(model.FieldSrcAddr)
			dst, ok2 := rec.Addr(model.FieldDstAddr)
			proto, _ := rec.Uint(model.FieldProtocol)
			port, _ := rec.Uint(model.FieldDstPort)
			if !ok1 || !ok2 || (proto != 6 && proto != 17) || port >= 32768 ||
				cfg.InterfaceByAddr(src, "") == nil || cfg.InterfaceByAddr(dst, "") == nil {
				continue
			}
			seen[pair{src, dst, uint8(proto), int(port)}] = true
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d conversations inside the estate", len(seen))
	}
	for p := range seen {
		check("conversation", detect.WhyQuery{Src: p.src, Dst: p.dst, Port: p.port, Proto: p.proto}, "")
	}
	t.Logf("%d conversations inside the estate checked", len(seen))
}

// TestDemoDescribe: the demo's hosts are described as an incident names
// them, "web-2 (sg web, subnet web-a)".
func TestDemoDescribe(t *testing.T) {
	cfg := DemoConfig()
	for addr, want := range map[string]string{
		"10.0.10.12": "web-2 (sg web, subnet web-a)",
		"10.0.21.14": "app-8 (sg batch, subnet app-b)",
		"10.0.31.20": "cache-2 (sg cache, subnet cache-b)",
		"10.0.1.10":  "nat-b (subnet public-b)",
	} {
		if got := cfg.Describe(cfg.InterfaceByAddr(netip.MustParseAddr(addr), "")); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
