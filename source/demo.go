package source

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Demo generates live flow-log traffic for a small AWS estate (see
// demo_estate.go): 44 interfaces in three VPCs, web/app/db tiers, NAT,
// IPv6 clients, AWS service endpoints, peering, NODATA and SKIPDATA
// records, and the scripted incidents of DemoIncidents. Two VPCs log in
// the 29-field v5 custom format (each object starts with its header
// line), the staging VPC in the default format.
//
// The output is deterministic for a seed, a rate and a clock: record i is
// stamped start + i/Rate, where start is one DemoCycle before the clock's
// reading when Run begins (or Options.Since), and Run emits every record
// whose time has come by the clock. With a clock that does not move, Run
// emits the backfill only; with Follow off, it stops there.
type Demo struct {
	StatusBox
	opts    Options
	started atomic.Bool
}

var _ Source = (*Demo)(nil)

// NewDemo returns the demo source, named "demo". It uses Options.Seed,
// Rate (records per second, default 100), Now, Since (backfill from; a
// DemoCycle by default), Until (stop at) and Follow.
func NewDemo(opts Options) Source {
	d := &Demo{opts: opts}
	d.Update(func(st *Status) {
		st.Name, st.Kind, st.State, st.Objects = "demo", "demo", StateStarting, len(demoVPCs)
	})
	return d
}

// Name returns "demo".
func (d *Demo) Name() string { return "demo" }

// demoV5Header is the header of the v5 objects: the reference's 29 fields.
const demoV5Header = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"

var demoV5 = model.MustParseFormat(demoV5Header)

const (
	demoTick        = 100 * time.Millisecond // how often Run looks at the clock
	demoMaxBackfill = 2_000_000              // records at most in the backfill
	demoMaxBehind   = 30 * time.Second       // beyond this, a blocked demo skips ahead (counted in Dropped)
)

// demoObj is the flow log of one VPC: one object of the source.
type demoObj struct {
	vpc    *demoVPC
	format *model.Format
	buf    []byte
	lines  int
	line   int64 // line number of buf[0]
	off    int64 // offset of buf[0]
	begun  bool
}

// Run generates until ctx ends, Until is reached, or (without Follow)
// the backfill is out.
func (d *Demo) Run(ctx context.Context, emit func(model.Batch) error) error {
	if !d.started.CompareAndSwap(false, true) {
		return fmt.Errorf("demo: source already running")
	}
	t0 := d.opts.now()
	g := newDemoGen(d.opts.Seed, d.opts.rate(), t0, d.opts.Since, d.opts.Incidents)
	objs := make([]*demoObj, len(demoVPCs))
	byVPC := map[*demoVPC]*demoObj{}
	for i, v := range demoVPCs {
		o := &demoObj{vpc: v, format: model.DefaultFormat, line: 1}
		if v.v5 {
			o.format = demoV5
		}
		objs[i] = o
		byVPC[v] = o
	}
	send := func(o *demoObj, eof bool) error {
		if len(o.buf) == 0 && !eof {
			return nil
		}
		b := model.Batch{Source: "demo", Object: o.vpc.object, Data: o.buf, Line: o.line, Offset: o.off,
			Format: o.format, Reset: !o.begun, EOF: eof}
		if err := emit(b); err != nil {
			return err
		}
		d.Count(&b, o.lines)
		o.begun = true
		o.off += int64(len(o.buf))
		o.line += int64(o.lines)
		o.buf, o.lines = nil, 0
		return nil
	}
	d.SetState(StateReading, "")
	timer := time.NewTimer(demoTick)
	defer timer.Stop()
	live := false
	for {
		now := d.opts.now()
		limit := now
		if !d.opts.Until.IsZero() && d.opts.Until.Before(limit) {
			limit = d.opts.Until
		}
		due := g.indexAt(limit)
		if behind := uint64(g.rate * demoMaxBehind.Seconds()); live && due > g.n+behind {
			skipped := due - behind - g.n
			g.skip(skipped)
			d.Drop(DropSkipped, skipped, fmt.Sprintf("demo: fell %s behind the clock; %d records skipped", demoMaxBehind, skipped))
		}
		for g.n < due {
			r := g.next()
			o := byVPC[r.eni.vpc]
			if !o.begun && o.lines == 0 && o.line == 1 && o.vpc.v5 {
				o.buf = append(o.buf, demoV5Header...)
				o.buf = append(o.buf, '\n')
				o.lines++
			}
			o.buf = r.appendLine(o.buf, o.vpc.v5)
			o.lines++
			if len(o.buf) >= batchTarget {
				if err := send(o, false); err != nil {
					return nil
				}
			}
		}
		for _, o := range objs {
			if err := send(o, false); err != nil {
				return nil
			}
		}
		var lag time.Duration
		if g.n > 0 {
			lag = now.Sub(g.at(g.n - 1))
		}
		d.Update(func(st *Status) { st.Lag, st.State, st.Reason = lag, StateFollowing, "" })
		live = true
		if !d.opts.Follow || (!d.opts.Until.IsZero() && !now.Before(d.opts.Until)) {
			for _, o := range objs {
				if err := send(o, true); err != nil {
					return nil
				}
			}
			d.Update(func(st *Status) { st.State, st.ObjectsDone = StateDone, len(objs) })
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			timer.Reset(demoTick)
		}
	}
}

// drec is one flow-log record of the demo, before formatting.
type drec struct {
	eni            *demoENI
	src, dst       string
	pktSrc, pktDst string // "" = same as src / dst
	sport, dport   int
	proto          int
	packets, bytes uint64
	start, end     int64
	reject         bool
	flags          int // tcp-flags
	srcSvc, dstSvc string
	path           int // traffic-path, 0 = "-"
	egress         bool
	status         string // "" = OK; NODATA and SKIPDATA leave the flow fields out
	v6             bool
}

// appendLine formats r in the v5 demo format or the default format.
func (r *drec) appendLine(b []byte, v5 bool) []byte {
	e := r.eni
	dash := func(b []byte, s string) []byte {
		if s == "" {
			return append(b, '-')
		}
		return append(b, s...)
	}
	num := func(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }
	flow := r.status == ""
	if !v5 {
		b = append(b, "2 "...)
		b = append(b, e.account...)
		b = append(b, ' ')
		b = append(b, e.id...)
		if !flow {
			b = append(b, " - - - - - - - "...)
			b = num(b, r.start)
			b = append(b, ' ')
			b = num(b, r.end)
			b = append(b, " - "...)
			b = append(b, r.status...)
			return append(b, '\n')
		}
		b = append(b, ' ')
		b = append(b, r.src...)
		b = append(b, ' ')
		b = append(b, r.dst...)
		b = append(b, ' ')
		b = num(b, int64(r.sport))
		b = append(b, ' ')
		b = num(b, int64(r.dport))
		b = append(b, ' ')
		b = num(b, int64(r.proto))
		b = append(b, ' ')
		b = num(b, int64(r.packets))
		b = append(b, ' ')
		b = num(b, int64(r.bytes))
		b = append(b, ' ')
		b = num(b, r.start)
		b = append(b, ' ')
		b = num(b, r.end)
		b = append(b, ' ')
		b = append(b, r.action()...)
		return append(b, " OK\n"...)
	}
	b = append(b, "5 "...)
	if !flow {
		b = append(b, "- - - - - "...)
		b = num(b, r.start)
		b = append(b, ' ')
		b = num(b, r.end)
		b = append(b, " - - - "...)
	} else {
		b = append(b, r.src...)
		b = append(b, ' ')
		b = append(b, r.dst...)
		b = append(b, ' ')
		b = num(b, int64(r.sport))
		b = append(b, ' ')
		b = num(b, int64(r.dport))
		b = append(b, ' ')
		b = num(b, int64(r.proto))
		b = append(b, ' ')
		b = num(b, r.start)
		b = append(b, ' ')
		b = num(b, r.end)
		if r.v6 {
			b = append(b, " IPv6 "...)
		} else {
			b = append(b, " IPv4 "...)
		}
		b = num(b, int64(r.packets))
		b = append(b, ' ')
		b = num(b, int64(r.bytes))
		b = append(b, ' ')
	}
	b = append(b, e.account...)
	b = append(b, ' ')
	b = append(b, e.vpc.id...)
	b = append(b, ' ')
	b = append(b, e.subnet.id...)
	b = append(b, ' ')
	b = append(b, e.instance...)
	b = append(b, ' ')
	b = append(b, e.id...)
	b = append(b, ' ')
	b = append(b, e.vpc.region...)
	b = append(b, ' ')
	b = append(b, e.subnet.az...)
	b = append(b, " - - "...)
	if !flow {
		b = append(b, "- - - - - - - - "...)
		b = append(b, r.status...)
		return append(b, '\n')
	}
	b = append(b, r.action()...)
	b = append(b, ' ')
	b = num(b, int64(r.flags))
	b = append(b, ' ')
	pktSrc, pktDst := r.pktSrc, r.pktDst
	if pktSrc == "" {
		pktSrc = r.src
	}
	if pktDst == "" {
		pktDst = r.dst
	}
	b = append(b, pktSrc...)
	b = append(b, ' ')
	b = append(b, pktDst...)
	b = append(b, ' ')
	b = dash(b, r.srcSvc)
	b = append(b, ' ')
	b = dash(b, r.dstSvc)
	b = append(b, ' ')
	if r.path == 0 || !r.egress {
		b = append(b, '-')
	} else {
		b = num(b, int64(r.path))
	}
	if r.egress {
		b = append(b, " egress OK\n"...)
	} else {
		b = append(b, " ingress OK\n"...)
	}
	return b
}

func (r *drec) action() string {
	if r.reject {
		return "REJECT"
	}
	return "ACCEPT"
}

// demoGen produces the demo's record sequence: record i is a function of
// the seed and of the records before it, and is stamped start + i/rate.
type demoGen struct {
	rng   *rand.Rand
	rate  float64
	t0    time.Time       // the incident schedule starts here
	start time.Time       // time of record 0
	n     uint64          // records produced
	q     []drec          // records of the current conversation
	qi    int             // the next of them to produce
	nodat int64           // last minute that got its NODATA records
	scan  int             // next port-scan target
	sweep int             // next port-sweep address
	on    map[string]bool // incidents played

	edge, web, app, db, cache, lambda, dns, mon, kafka []*demoENI
	stgNLB, stgWeb, stgDB                              *demoENI
	stgApp                                             []*demoENI
}

func newDemoGen(seed uint64, rate float64, t0, since time.Time, incidents []string) *demoGen {
	start := t0.Add(-DemoCycle)
	if !since.IsZero() && since.Before(t0) {
		start = since
	}
	if max := time.Duration(float64(demoMaxBackfill) / rate * float64(time.Second)); t0.Sub(start) > max {
		start = t0.Add(-max)
	}
	g := &demoGen{rng: rand.New(rand.NewPCG(seed, 0x666c6f776c656e73)), rate: rate, t0: t0, start: start}
	g.edge = []*demoENI{demoByName("alb-1"), demoByName("alb-2")}
	g.web, g.app, g.db = demoTier(tierWeb)[:6], demoTier(tierApp)[:8], demoTier(tierDB)[:3]
	g.cache, g.lambda = demoTier(tierCache), demoTier(tierLambda)
	g.dns, g.mon, g.kafka = demoTier(tierDNS), demoTier(tierMon), demoTier(tierKafka)
	g.stgNLB, g.stgWeb, g.stgDB = demoByName("stg-nlb"), demoByName("stg-web-1"), demoByName("stg-db-1")
	g.stgApp = []*demoENI{demoByName("stg-app-1"), demoByName("stg-app-2")}
	g.nodat = start.Unix() / 60
	g.on = map[string]bool{}
	for _, inc := range demoIncidents {
		g.on[inc.Name] = incidents == nil
	}
	for _, name := range incidents {
		g.on[name] = true
	}
	return g
}

// at returns the time of record i.
func (g *demoGen) at(i uint64) time.Time {
	return g.start.Add(time.Duration(float64(i) / g.rate * float64(time.Second)))
}

// indexAt returns how many records have a time at or before t.
func (g *demoGen) indexAt(t time.Time) uint64 {
	if t.Before(g.start) {
		return 0
	}
	return uint64(float64(t.Sub(g.start))/float64(time.Second)*g.rate) + 1
}

// skip drops n records (the demo fell behind).
func (g *demoGen) skip(n uint64) {
	g.n += n
	g.q, g.qi = g.q[:0], 0
}

// next returns record g.n and advances.
func (g *demoGen) next() drec {
	e := g.at(g.n)
	g.n++
	if g.qi == len(g.q) {
		g.q, g.qi = g.q[:0], 0
		g.fill(e)
	}
	r := g.q[g.qi]
	g.qi++
	return r
}

func (g *demoGen) pick(es []*demoENI) *demoENI { return es[g.rng.IntN(len(es))] }

func (g *demoGen) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

func (g *demoGen) ephemeral() int { return g.between(32768, 60999) }

// active reports whether incident name is played and e falls in its
// window this cycle.
func (g *demoGen) active(e time.Time, name string) bool {
	if !g.on[name] {
		return false
	}
	for _, inc := range demoIncidents {
		if inc.Name == name {
			return g.inWindow(e, inc)
		}
	}
	return false
}

// inWindow reports whether e falls in an incident's window this cycle.
func (g *demoGen) inWindow(e time.Time, inc DemoIncident) bool {
	if inc.Length == 0 {
		return true
	}
	p := e.Sub(g.t0) % DemoCycle
	if p < 0 {
		p += DemoCycle
	}
	return p >= inc.Start && p < inc.Start+inc.Length
}

// fill queues the records of one conversation happening at time e.
func (g *demoGen) fill(e time.Time) {
	sec := e.Unix()
	end := sec - int64(g.rng.IntN(5))
	start := end - int64(g.rng.IntN(60))
	if m := sec / 60; m > g.nodat {
		g.nodat = m
		// Idle interfaces log NODATA each interval; a busy NAT gateway
		// loses some records every other minute (SKIPDATA).
		for _, name := range []string{"db-4", "vpce-2"} {
			g.q = append(g.q, drec{eni: demoByName(name), start: m*60 - 60, end: m * 60, status: "NODATA"})
		}
		if m%2 == 1 && g.on["logging-gap"] {
			g.q = append(g.q, drec{eni: demoByName("nat-b"), start: m*60 - 60, end: m * 60, status: "SKIPDATA"})
		}
	}
	// Each incident takes its own share of the conversations while it
	// is on (the shares do not overlap): the rest is everyday traffic.
	x := g.rng.Float64()
	switch {
	case x < 0.01 && g.on["sg-misconfig"]: // app-8 -> db-1:5432, rejected by db-1's security group (a demoFault)
		g.conv(conv{a: demoByName("app-8"), b: demoByName("db-1"), dport: 5432, proto: 6,
			req: [2]uint64{3, 180}, flags: [2]int{2, 0}, path: 1}, start, end)
		return
	case x >= 0.01 && x < 0.015 && g.on["acl-reply"]: // app-2 -> cache-2:6379, replies dropped by the cache-b ACL (a demoFault)
		g.conv(conv{a: demoByName("app-2"), b: demoByName("cache-2"), dport: 6379, proto: 6,
			req: [2]uint64{3, 180}, flags: [2]int{2, 18}, path: 1, bPath: 1}, start, end)
		return
	case x >= 0.015 && x < 0.265 && g.active(e, "port-scan"):
		target := g.edge[0]
		if g.scan%2 == 1 {
			target = demoByName("bastion")
		}
		port := demoScanPorts[(g.scan/2)%len(demoScanPorts)]
		g.scan++
		open := target.name == "alb-1" && (port == 80 || port == 443)
		g.conv(conv{outA: demoScanner, b: target, dport: port, proto: 6, reject: !open,
			req: [2]uint64{1, 44}, resp: [2]uint64{1, 44}, flags: [2]int{2, 18}}, start, end)
		return
	case x >= 0.265 && x < 0.345 && g.active(e, "brute-force"): // SSH / RDP brute force
		target, port := demoByName("bastion"), 22
		if g.rng.IntN(3) == 0 {
			target, port = demoByName("jump-win"), 3389
		}
		g.conv(conv{outA: demoBruter, b: target, dport: port, proto: 6, reject: true,
			req: [2]uint64{uint64(g.between(2, 3)), uint64(g.between(120, 180))}, flags: [2]int{2, 0}}, start, end)
		return
	case x >= 0.345 && x < 0.36 && g.active(e, "exfiltration"): // through nat-b
		big := uint64(g.between(200, 900)) << 20
		g.nat(demoByName("app-7"), demoByName("nat-b"), demoExfilDest, 443, [2]uint64{big / 1400, big}, [2]uint64{big / 2800, big / 60}, start, end)
		return
	case x >= 0.36 && x < 0.46 && g.active(e, "port-sweep"): // web-3 probes 10.0.16.0/20 on 22, one address after the other
		a := demoSweepNet + 1 + g.sweep%(demoSweepSize-2)
		g.sweep++
		addr := fmt.Sprintf("%d.%d.%d.%d", a>>24, a>>16&255, a>>8&255, a&255)
		c := conv{a: demoByName("web-3"), dport: 22, proto: 6, req: [2]uint64{1, 60}, flags: [2]int{2, 0}, path: 1}
		if t := demoByAddr[addr]; t != nil {
			c.b, c.reject = t, true // its security group allows no SSH from the web tier
		} else {
			c.outB, c.oneWay = addr, true // nobody there: the SYN goes unanswered
		}
		g.conv(c, start, end)
		return
	case x >= 0.46 && x < 0.49 && g.active(e, "unidirectional"): // web-5 streams UDP over IPv6, nothing comes back
		p := uint64(g.between(3000, 6000))
		g.conv(conv{a: demoByName("web-5"), outB: demoStreamTo, dport: 9999, proto: 17, v6: true, oneWay: true,
			req: [2]uint64{p, p * 1200}, path: 8}, start, end)
		return
	case x >= 0.49 && x < 0.64 && g.active(e, "rejects-spike"): // web-2 -> cache-1:6379, no rule for it (a demoFault)
		g.conv(conv{a: demoByName("web-2"), b: demoByName("cache-1"), dport: 6379, proto: 6,
			req: [2]uint64{3, 180}, flags: [2]int{2, 0}, path: 1}, start, end)
		return
	}
	g.normal(start, end)
}

// normal queues one conversation of everyday traffic.
func (g *demoGen) normal(start, end int64) {
	w := g.rng.IntN(100)
	web := func() [2]uint64 {
		p := uint64(g.between(6, 300))
		return [2]uint64{p, p * uint64(g.between(70, 600))}
	}
	resp := func(req [2]uint64) [2]uint64 {
		p := req[0] + uint64(g.between(0, 40))
		return [2]uint64{p, p * uint64(g.between(300, 1400))}
	}
	flags := func() [2]int {
		switch k := g.rng.IntN(20); {
		case k < 10:
			return [2]int{3, 19}
		case k < 15:
			return [2]int{2, 18}
		case k < 19:
			return [2]int{0, 0}
		default:
			return [2]int{4, 0}
		}
	}
	switch {
	case w < 18: // internet clients -> load balancers, one in five over IPv6
		alb := g.pick(g.edge)
		req := web()
		c := conv{b: alb, dport: 443, proto: 6, req: req, resp: resp(req), flags: flags(), bPath: 8}
		if g.rng.IntN(5) == 0 {
			c.outA = fmt.Sprintf("2001:db8:ffff:%x::%x", g.between(1, 200), g.between(1, 4000))
			c.v6 = true
		} else if g.rng.IntN(2) == 0 {
			c.outA = "203.0.113." + strconv.Itoa(g.between(1, 199))
		} else {
			c.outA = "198.51.100." + strconv.Itoa(g.between(30, 254))
		}
		g.conv(c, start, end)
	case w < 32: // load balancer -> web; one in four is a health check (GET /health)
		req := web()
		res := resp(req)
		if g.rng.IntN(4) == 0 {
			req, res = [2]uint64{5, uint64(g.between(380, 420))}, [2]uint64{4, uint64(g.between(600, 660))}
		}
		g.conv(conv{a: g.pick(g.edge), b: g.pick(g.web), dport: 8080, proto: 6, req: req, resp: res, flags: flags(), path: 1, bPath: 1}, start, end)
	case w < 44: // web -> app
		req := web()
		g.conv(conv{a: g.pick(g.web), b: g.pick(g.app[:7]), dport: 8443, proto: 6, req: req, resp: resp(req), flags: flags(), path: 1, bPath: 1}, start, end)
	case w < 54: // app -> database (primary or a replica)
		req := web()
		db := g.db[0]
		if g.rng.IntN(3) > 0 {
			db = g.pick(g.db)
		}
		g.conv(conv{a: g.pick(g.app[:7]), b: db, dport: 5432, proto: 6, req: req, resp: resp(req), flags: flags(), path: 1, bPath: 1}, start, end)
	case w < 61: // app -> cache
		req := [2]uint64{uint64(g.between(2, 40)), uint64(g.between(200, 4000))}
		g.conv(conv{a: g.pick(g.app[:7]), b: g.pick(g.cache), dport: 6379, proto: 6, req: req, resp: resp(req), flags: flags(), path: 1, bPath: 1}, start, end)
	case w < 66: // app or lambda -> DynamoDB through the gateway endpoint
		src := g.pick(g.app[:7])
		if g.rng.IntN(2) == 0 {
			src = g.pick(g.lambda)
		}
		req := web()
		g.conv(conv{a: src, outB: demoDynamo[g.rng.IntN(len(demoDynamo))], bSvc: "DYNAMODB", dport: 443, proto: 6, req: req, resp: resp(req), flags: flags(), path: 7}, start, end)
	case w < 70: // app -> S3 through the gateway endpoint
		req := web()
		g.conv(conv{a: g.pick(g.app[:7]), outB: demoS3[g.rng.IntN(len(demoS3))], bSvc: "S3", dport: 443, proto: 6, req: req, resp: resp(req), flags: flags(), path: 7}, start, end)
	case w < 74: // app -> partner APIs through NAT: small requests, bigger answers
		app := g.pick(g.app[:7])
		nat := demoByName("nat-a")
		if app.subnet.az == "use1-az2" {
			nat = demoByName("nat-b")
		}
		req := [2]uint64{uint64(g.between(4, 12)), uint64(g.between(500, 8000))}
		g.nat(app, nat, demoPartners[g.rng.IntN(len(demoPartners))], 443, req, resp(req), start, end)
	case w < 82: // DNS to the shared resolvers over inter-region peering
		src := g.pick(demoENIs[6:32])
		g.conv(conv{a: src, b: g.pick(g.dns), dport: 53, proto: 17, req: [2]uint64{1, uint64(g.between(60, 90))},
			resp: [2]uint64{1, uint64(g.between(90, 400))}, path: 5, bPath: 5}, start, end)
	case w < 86: // monitoring scrapes the apps
		req := [2]uint64{uint64(g.between(4, 8)), uint64(g.between(400, 900))}
		g.conv(conv{a: g.pick(g.mon), b: g.pick(g.app), dport: 9100, proto: 6, req: req, resp: resp(req), flags: flags(), path: 5, bPath: 5}, start, end)
	case w < 90: // apps -> Kafka
		req := web()
		g.conv(conv{a: g.pick(g.app[:7]), b: g.pick(g.kafka), dport: 9092, proto: 6, req: req, resp: resp(req), flags: flags(), path: 5, bPath: 5}, start, end)
	case w < 91: // admins SSH to the bastion from the office: long sessions
		p := uint64(g.between(200, 3000))
		req := [2]uint64{p, p * uint64(g.between(60, 200))}
		g.conv(conv{outA: demoOffice, b: demoByName("bastion"), dport: 22, proto: 6, req: req, resp: resp(req), flags: [2]int{0, 0}, bPath: 8}, start, end)
	case w < 93: // monitoring pings
		g.conv(conv{a: g.pick(g.mon), b: g.pick(demoENIs[6:20]), proto: 1, req: [2]uint64{4, 336}, resp: [2]uint64{4, 336}, path: 5, bPath: 5}, start, end)
	case w < 95: // internet background noise at the edge, rejected
		g.conv(conv{outA: "198.51.100." + strconv.Itoa(g.between(100, 254)), b: g.pick(demoENIs[:6]),
			dport: g.between(1, 65535), proto: 6, reject: true, req: [2]uint64{1, 40}, flags: [2]int{2, 0}}, start, end)
	default: // staging, logged in the default format
		switch g.rng.IntN(3) {
		case 0:
			if g.rng.IntN(3) == 0 { // the network load balancer's TCP health check: SYN, then RST
				g.conv(conv{a: g.stgNLB, b: g.stgWeb, dport: 80, proto: 6, req: [2]uint64{2, 104}, resp: [2]uint64{1, 60}, flags: [2]int{6, 18}}, start, end)
				return
			}
			req := web()
			g.conv(conv{outA: "203.0.113." + strconv.Itoa(g.between(1, 199)), b: g.stgNLB, dport: 80, proto: 6, req: req, resp: resp(req), flags: flags()}, start, end)
		case 1:
			req := web()
			g.conv(conv{a: g.stgWeb, b: g.pick(g.stgApp), dport: 8080, proto: 6, req: req, resp: resp(req), flags: flags()}, start, end)
		default:
			req := web()
			g.conv(conv{a: g.pick(g.stgApp), b: g.stgDB, dport: 3306, proto: 6, req: req, resp: resp(req), flags: flags()}, start, end)
		}
	}
}

// conv is one conversation: a request from a to b and its response. An
// end inside the estate (a, b) logs both directions on its interface; an
// outside end (outA, outB) logs nothing.
type conv struct {
	a, b       *demoENI
	outA, outB string // outside addresses, when a or b is nil
	bSvc       string // AWS service of an outside b
	dport      int
	proto      int
	req, resp  [2]uint64 // packets, bytes
	flags      [2]int    // tcp-flags of request and response
	reject     bool      // b's security group rejects the request: no response
	replyBlock bool      // b's subnet ACL rejects the response on its way out
	oneWay     bool      // nothing answers (no host there, or a one-way stream)
	path       int       // traffic-path of a's egress
	bPath      int       // traffic-path of b's egress
	v6         bool
}

func (g *demoGen) conv(c conv, start, end int64) {
	addrOf := func(e *demoENI, out string) string {
		if e == nil {
			return out
		}
		if c.v6 && e.addr6 != "" {
			return e.addr6
		}
		return e.addr
	}
	if c.a != nil && c.b != nil {
		for _, f := range demoFaults {
			if g.on[f.incident] && f.client == c.a.name && f.server == c.b.name && f.port == c.dport {
				switch f.kind {
				case faultSGInbound:
					c.reject = true
				case faultACLReply:
					c.replyBlock = true
				}
			}
		}
	}
	src, dst := addrOf(c.a, c.outA), addrOf(c.b, c.outB)
	sport, dport := g.ephemeral(), c.dport
	if c.proto == 1 {
		sport, dport = 0, 0
	}
	if c.proto != 6 {
		c.flags = [2]int{0, 0}
	}
	if c.resp[0] == 0 {
		c.resp = c.req
	}
	req := drec{src: src, dst: dst, sport: sport, dport: dport, proto: c.proto, packets: c.req[0], bytes: c.req[1],
		start: start, end: end, flags: c.flags[0], dstSvc: c.bSvc, v6: c.v6}
	resp := drec{src: dst, dst: src, sport: dport, dport: sport, proto: c.proto, packets: c.resp[0], bytes: c.resp[1],
		start: start, end: end, flags: c.flags[1], srcSvc: c.bSvc, v6: c.v6}
	answered := !c.reject && !c.oneWay
	if c.a != nil {
		r := req
		r.eni, r.egress, r.path = c.a, true, c.path
		g.q = append(g.q, r)
		if answered && !c.replyBlock {
			r := resp
			r.eni = c.a
			g.q = append(g.q, r)
		}
	}
	if c.b != nil {
		r := req
		r.eni, r.reject = c.b, c.reject
		g.q = append(g.q, r)
		if answered {
			r := resp
			r.eni, r.egress, r.path, r.reject = c.b, true, c.bPath, c.replyBlock
			g.q = append(g.q, r)
		}
	}
}

// nat queues a conversation from app to an internet host through a NAT
// gateway: on the NAT interface the request arrives addressed to the
// gateway (pkt-dstaddr is the real destination) and leaves from it.
func (g *demoGen) nat(app, nat *demoENI, remote string, port int, req, resp [2]uint64, start, end int64) {
	sport := g.ephemeral()
	base := drec{proto: 6, start: start, end: end}
	r := base
	r.eni, r.src, r.dst, r.sport, r.dport, r.packets, r.bytes, r.flags, r.egress, r.path = app, app.addr, remote, sport, port, req[0], req[1], 3, true, 1
	g.q = append(g.q, r)
	r = base
	r.eni, r.src, r.dst, r.sport, r.dport, r.packets, r.bytes, r.flags = app, remote, app.addr, port, sport, resp[0], resp[1], 19
	g.q = append(g.q, r)
	r = base
	r.eni, r.src, r.dst, r.pktDst, r.sport, r.dport, r.packets, r.bytes, r.flags = nat, app.addr, nat.addr, remote, sport, port, req[0], req[1], 3
	g.q = append(g.q, r)
	natPort := g.ephemeral()
	r = base
	r.eni, r.src, r.dst, r.sport, r.dport, r.packets, r.bytes, r.flags, r.egress, r.path = nat, nat.addr, remote, natPort, port, req[0], req[1], 3, true, 8
	g.q = append(g.q, r)
	// and the answer, back through the gateway
	r = base
	r.eni, r.src, r.dst, r.sport, r.dport, r.packets, r.bytes, r.flags = nat, remote, nat.addr, port, natPort, resp[0], resp[1], 19
	g.q = append(g.q, r)
	r = base
	r.eni, r.src, r.dst, r.pktSrc, r.sport, r.dport, r.packets, r.bytes, r.flags, r.egress, r.path = nat, nat.addr, app.addr, remote, port, sport, resp[0], resp[1], 19, true, 1
	g.q = append(g.q, r)
}
