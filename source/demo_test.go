package source

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

var demoT0 = time.Date(2024, 6, 1, 10, 0, 30, 0, time.UTC)

// demoRecords runs a demo to its end and parses every record with the
// shared parser, per object; bad lines fail the test.
func demoRecords(t *testing.T, o Options) ([]model.Record, *batchLog) {
	t.Helper()
	l := readAll(t, NewDemo(o))
	parsers := map[string]*model.Parser{}
	var recs []model.Record
	var rec model.Record
	bs, _ := l.snapshot()
	for _, b := range bs {
		p := parsers[b.Object]
		if p == nil || b.Reset {
			p = model.NewParser(b.Format)
			parsers[b.Object] = p
		}
		for _, line := range bytes.SplitAfter(b.Data, []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			switch kind, reason := p.Parse(line, &rec); kind {
			case model.LineRecord:
				recs = append(recs, rec.Clone())
			case model.LineBad:
				t.Fatalf("%s: bad demo line (%s): %q", b.Object, reason, line)
			}
		}
	}
	return recs, l
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestDemoDeterministic(t *testing.T) {
	run := func(seed uint64) []byte {
		l := readAll(t, NewDemo(Options{Seed: seed, Rate: 80, Now: fixedClock(demoT0)}))
		bs, _ := l.snapshot()
		var all []byte
		for _, b := range bs {
			all = append(all, b.Object...)
			all = append(all, b.Data...)
		}
		return all
	}
	a, b, c := run(42), run(42), run(43)
	if !bytes.Equal(a, b) {
		t.Error("same seed and clock, different output")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same output")
	}
}

func TestDemoEstate(t *testing.T) {
	recs, l := demoRecords(t, Options{Seed: 1, Rate: 100, Now: fixedClock(demoT0)})
	// One cycle of backfill at 100 records/s, stamped up to the clock.
	if n := len(recs); n != int(DemoCycle.Seconds())*100+1 {
		t.Errorf("%d records", n)
	}
	enis, vpcs, objs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var v6, nodata, skipdata, v5, v2, tp5, tp7, svc int
	var maxEnd int64
	for i := range recs {
		r := &recs[i]
		enis[r.Text(model.FieldInterfaceID)] = true
		if r.Has(model.FieldVPCID) {
			vpcs[r.Text(model.FieldVPCID)] = true
		}
		if a, ok := r.Addr(model.FieldSrcAddr); ok && a.Is6() {
			v6++
		}
		switch r.LogStatus() {
		case model.StatusNoData:
			nodata++
		case model.StatusSkipData:
			skipdata++
		}
		if v, _ := r.Uint(model.FieldVersion); v == 5 {
			v5++
		} else {
			v2++
		}
		switch v, _ := r.Uint(model.FieldTrafficPath); v {
		case 5:
			tp5++
		case 7:
			tp7++
		}
		if r.Text(model.FieldPktDstAWSService) == "DYNAMODB" {
			svc++
		}
		if e, ok := r.Uint(model.FieldEnd); ok && int64(e) > maxEnd {
			maxEnd = int64(e)
		}
	}
	for _, ln := range l.lines() {
		objs[ln.obj] = true
	}
	if len(enis) < 40 || len(vpcs) != 2 || len(objs) != 3 {
		t.Errorf("%d interfaces, %d VPCs in v5 objects, %d objects", len(enis), len(vpcs), len(objs))
	}
	if v6 == 0 || nodata == 0 || skipdata == 0 || v2 == 0 || v5 == 0 || tp5 == 0 || tp7 == 0 || svc == 0 {
		t.Errorf("ipv6 %d nodata %d skipdata %d v2 %d v5 %d peering %d endpoint %d dynamodb %d", v6, nodata, skipdata, v2, v5, tp5, tp7, svc)
	}
	if maxEnd > demoT0.Unix() || maxEnd < demoT0.Unix()-10 {
		t.Errorf("newest end %d, clock %d: timestamps must follow the clock", maxEnd, demoT0.Unix())
	}
	// Each v5 object starts with its header line.
	for _, ln := range l.lines() {
		if ln.line == 1 && strings.HasSuffix(ln.obj, "us-east-1.log") && strings.Contains(ln.obj, "prod") && ln.text != demoV5Header {
			t.Errorf("%s starts with %q", ln.obj, ln.text)
		}
	}
}

// incidentMatch evaluates the incidents' filter expressions by hand.
func incidentMatch(name string, r *model.Record) bool {
	dport, _ := r.Uint(model.FieldDstPort)
	src, _ := r.Addr(model.FieldSrcAddr)
	dst, _ := r.Addr(model.FieldDstAddr)
	bytes, _ := r.Uint(model.FieldBytes)
	reject := r.Action() == model.ActionReject
	sport, _ := r.Uint(model.FieldSrcPort)
	switch name {
	case "acl-reply":
		return reject && sport == 6379
	case "logging-gap":
		return r.LogStatus() == model.StatusSkipData
	case "port-sweep":
		return src == netip.MustParseAddr("10.0.10.13") && dport == 22
	case "unidirectional":
		return dst == netip.MustParseAddr(demoStreamTo)
	case "rejects-spike":
		return src == netip.MustParseAddr("10.0.10.12") && reject
	case "sg-misconfig":
		return reject && dport == 5432 && netip.MustParsePrefix("10.0.0.0/16").Contains(src)
	case "port-scan":
		return src == netip.MustParseAddr(demoScanner) && reject
	case "brute-force":
		return reject && (dport == 22 || dport == 3389)
	case "exfiltration":
		return dst == netip.MustParseAddr(demoExfilDest) && bytes > 10<<20
	}
	return false
}

func TestDemoIncidents(t *testing.T) {
	incs := DemoIncidents()
	if len(incs) != 9 {
		t.Fatalf("%d incidents", len(incs))
	}
	check := func(t *testing.T, recs []model.Record, from int64, within time.Duration) {
		for _, inc := range incs {
			if inc.Length > 0 && inc.Start >= within {
				continue // not played in the span looked at
			}
			var n int
			hosts := map[string]int{}
			ports := map[uint64]bool{}
			for i := range recs {
				r := &recs[i]
				if end, _ := r.Uint(model.FieldEnd); int64(end) < from || !incidentMatch(inc.Name, r) {
					continue
				}
				n++
				hosts[r.Text(model.FieldSrcAddr)]++
				p, _ := r.Uint(model.FieldDstPort)
				ports[p] = true
			}
			if least := 5; n < least && !(inc.Name == "logging-gap" && n > 0) {
				t.Errorf("%s: %d matching records", inc.Name, n)
				continue
			}
			// The culprit dominates what the filter finds.
			top, topN := "", 0
			for h, c := range hosts {
				if c > topN {
					top, topN = h, c
				}
			}
			if want := inc.Hosts[0]; inc.Name != "exfiltration" && inc.Name != "logging-gap" && top != want {
				t.Errorf("%s: the filter mostly finds %s, want %s", inc.Name, top, want)
			}
			if inc.Name == "port-scan" && len(ports) < 100 {
				t.Errorf("port scan touched %d ports", len(ports))
			}
			if inc.Filter == "" || inc.Title == "" {
				t.Errorf("%s: no filter or title", inc.Name)
			}
		}
	}
	t.Run("backfill", func(t *testing.T) {
		recs, _ := demoRecords(t, Options{Seed: 3, Rate: 100, Now: fixedClock(demoT0)})
		check(t, recs, 0, DemoCycle)
	})
	t.Run("first live minute", func(t *testing.T) {
		// A clock that moves ten seconds per look; the demo stops at Until.
		now := demoT0
		clock := func() time.Time { now = now.Add(10 * time.Second); return now }
		recs, _ := demoRecords(t, Options{Seed: 3, Rate: 100, Now: clock, Follow: true, Until: demoT0.Add(75 * time.Second)})
		check(t, recs, demoT0.Unix()+1, 75*time.Second)
	})
}

// TestDemoQuiet: with no incident chosen the demo plays none of them.
func TestDemoQuiet(t *testing.T) {
	recs, _ := demoRecords(t, Options{Seed: 3, Rate: 100, Now: fixedClock(demoT0), Incidents: []string{}})
	for _, inc := range DemoIncidents() {
		for i := range recs {
			if incidentMatch(inc.Name, &recs[i]) {
				t.Errorf("%s: %s", inc.Name, recs[i].Text(model.FieldSrcAddr))
				break
			}
		}
	}
	one, _ := demoRecords(t, Options{Seed: 3, Rate: 100, Now: fixedClock(demoT0), Incidents: []string{"port-sweep"}})
	var sweep int
	for i := range one {
		if incidentMatch("port-sweep", &one[i]) {
			sweep++
		}
		if incidentMatch("port-scan", &one[i]) {
			t.Fatal("port-scan plays though only port-sweep was chosen")
		}
	}
	if sweep < 50 {
		t.Errorf("%d port-sweep records", sweep)
	}
}

func TestDemoLive(t *testing.T) {
	var now time.Time
	step := make(chan time.Time)
	clock := func() time.Time {
		select {
		case now = <-step:
		default:
		}
		return now
	}
	now = demoT0
	src := NewDemo(Options{Seed: 9, Rate: 200, Now: clock, Follow: true})
	l, stop := runSource(t, src)
	base := int(DemoCycle.Seconds())*200 + 1
	waitCond(t, "the backfill", func() bool { return len(l.lines()) >= base })
	step <- demoT0.Add(10 * time.Second)
	waitCond(t, "ten more seconds", func() bool { return src.Status().Lines >= uint64(base+2000) })
	if st := src.Status(); st.State != StateFollowing || st.Lag > time.Second {
		t.Errorf("status %+v", st)
	}
	// The clock jumps an hour: the demo does not try to catch up on an
	// hour of traffic; what it skips is counted.
	step <- demoT0.Add(time.Hour)
	waitCond(t, "the skip", func() bool { return src.Status().Dropped > 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := src.Status(); st.Lines > uint64(base+2000+40*200) {
		t.Errorf("%d lines after the jump", st.Lines)
	}
}

func TestDemoThroughIndex(t *testing.T) {
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{NewDemo(Options{Seed: 5, Rate: 300, Now: fixedClock(demoT0)})}, MuxOptions{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ss := ix.Snapshot().Sources[0]
	if ss.BadTotal() != 0 || ss.Records != uint64(DemoCycle.Seconds())*300+1 {
		t.Errorf("%d records, bad %v %v", ss.Records, ss.Bad, ss.Samples)
	}
}
