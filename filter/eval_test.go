package filter

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// genAtom returns a random comparison in one of the language's styles,
// with values drawn from what genRecords writes.
func genAtom(r *rand.Rand) string {
	addr := func() string {
		switch r.IntN(4) {
		case 0:
			return pick(r, genAddrs6)
		case 1:
			return fmt.Sprintf("10.%d.%d.%d", r.IntN(3), r.IntN(256), r.IntN(256))
		}
		return pick(r, genAddrs4)
	}
	cidr := func() string {
		return pick(r, []string{"10.0.0.0/8", "10.1.0.0/16", "10.0.1.0/24", "10.1.128.0/17", "10.0.0.0/12", "2001:db8::/32",
			"2001:db8:100:a1::/64", "0.0.0.0/0", "::/0", "10.0.2.*", "10.*.*.*", "198.51.100.77/32", "fe80::/10", "::ffff:0:0/96", "192.0.2.0/31"})
	}
	port := func() string { return pick(r, genPorts) }
	num := func() string {
		return pick(r, []string{"0", "1", "100", "1000", "3k", "1.5k", "64KiB", "10MB", "4294967295", "4294967296", "5GB", "5000000500", "1M"})
	}
	tm := func() string {
		return pick(r, []string{"-15m", "-1h", "-30m", "now", "-2h", "+1h", "1717236100", "1717237000",
			"2024-06-01T10:10:00Z", "2024-06-01T10:30:00+00:30", "2024-06-01", "-59m59s"})
	}
	// val returns a value (or range) in the range of numeric field f.
	val := func(f string, ranges bool) string {
		if !ranges {
			switch f {
			case "packets", "bytes":
				return pick(r, []string{port(), num()})
			case "srcport", "dstport", "sport", "dport":
				return port()
			}
			return pick(r, []string{"0", "1", "2", "3", "4", "6", "17", "18", "255"})
		}
		switch f {
		case "packets", "bytes":
			return pick(r, []string{port(), num(), "1024-65535", "4294967295-5000000000", "1k-2k", "0-0"})
		case "srcport", "dstport", "sport", "dport":
			return pick(r, []string{port(), port(), "1024-65535", "0-1023", "22-443", "65535-65535"})
		}
		return pick(r, []string{"0", "1", "2", "3", "4", "6", "17", "18", "255", "3-4", "5-6", "0-2", "128-255", "7"})
	}
	cmp := func() string { return pick(r, []string{"=", "!=", "<", "<=", ">", ">=", "=="}) }
	eqne := func() string { return pick(r, []string{"=", "!=", "=="}) }
	list := func(gen func() string) string {
		n := 1 + r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = gen()
		}
		return "(" + strings.Join(parts, pick(r, []string{", ", " ", ","})) + ")"
	}
	numField := pick(r, []string{"version", "srcport", "dstport", "protocol", "packets", "bytes", "tcp-flags", "traffic-path", "encryption-status", "sport", "dport"})
	strField := pick(r, []string{"interface-id", "account-id", "vpc-id", "subnet-id", "instance-id", "region", "az-id",
		"pkt-src-aws-service", "reject-reason", "resource-id", "ecs-cluster-name", "eni", "${my-extra}", "${never-seen}", "sublocation-type"})
	addrField := pick(r, []string{"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr", "src", "dst", "addr", "host"})
	strVal := func() string {
		return pick(r, append(append([]string{}, genENIs...), "eni-0a*", "eni-0?1*", "*", "111122223333", "unknown", "vpc-1", "vpc-*",
			"subnet-?", "alpha", `"gamma-1"`, `"x*y"`, "gam*", "AMAZON", "S3", "BPA", "region-2", "i-*", "ecs-0"))
	}
	anyField := pick(r, []string{"srcaddr", "dstport", "packets", "action", "log-status", "interface-id", "tcp-flags", "type",
		"flow-direction", "end", "start", "${my-extra}", "vpc-id", "port", "addr", "protocol", "pkt-dstaddr", "traffic-path"})
	switch r.IntN(30) {
	case 0:
		return "action " + eqne() + " " + pick(r, []string{"ACCEPT", "REJECT", "accept", "Reject"})
	case 1:
		return pick(r, []string{"log-status", "status"}) + " " + eqne() + " " + pick(r, []string{"OK", "NODATA", "skipdata"})
	case 2:
		return pick(r, []string{"flow-direction", "dir"}) + " " + pick(r, []string{"ingress", "EGRESS"})
	case 3:
		return "type " + pick(r, []string{"in", "not in"}) + " " + list(func() string { return pick(r, []string{"IPv4", "ipv6", "EFA"}) })
	case 4:
		return numField + " " + cmp() + " " + val(numField, false)
	case 5:
		f := pick(r, []string{"packets", "bytes"})
		return f + " " + cmp() + " " + num()
	case 6:
		return numField + " " + pick(r, []string{"in ", "not in ", ""}) + list(func() string { return val(numField, true) })
	case 7:
		return pick(r, []string{"dstport", "srcport", "port", "portrange", "src port", "dst portrange"}) + " " +
			pick(r, []string{"1024-65535", "0-1023", "22", "65535", "443-8080", "0"})
	case 8:
		return addrField + " " + eqne() + " " + addr()
	case 9:
		return addrField + " " + pick(r, []string{"in ", "not in ", "= ", "!= ", ""}) + cidr()
	case 10:
		return addrField + " in " + list(func() string {
			if r.IntN(2) == 0 {
				return cidr()
			}
			return addr()
		})
	case 11:
		return pick(r, []string{"src", "dst", ""}) + " " + pick(r, []string{"host", "net", "ip"}) + " " + pick(r, []string{addr(), cidr()})
	case 12:
		return strField + " " + eqne() + " " + strVal()
	case 13:
		return strField + " " + pick(r, []string{"~", "!~"}) + " " + pick(r, []string{"/^eni-0[ab]/", "/a/i", "/^(111|444)/", `/-\d$/`, `"^vpc"`, "/S3|AMAZON/", "/x\\*y/", "/^$/"})
	case 14:
		return strField + " in " + list(strVal)
	case 15:
		return pick(r, []string{"tcp-flags", "flags"}) + " " + pick(r, []string{"has ", ""}) + pick(r, []string{"SYN", "FIN", "RST", "ACK", "SYN-ACK", "SA", "3", "syn"})
	case 16:
		return "tcp-flags " + cmp() + " " + pick(r, []string{"0", "2", "18", "SYN", "19", "255"})
	case 17:
		return pick(r, []string{"proto", "protocol"}) + " " + pick(r, []string{"tcp", "udp", "icmp", "icmpv6", "6", "esp", "0", "255", "in (tcp, udp)", "!= tcp", "6-17"})
	case 18:
		return pick(r, []string{"tcp", "udp", "icmp", "icmp6"})
	case 19:
		return pick(r, []string{"start", "end"}) + " " + cmp() + " " + tm()
	case 20:
		return pick(r, []string{"start", "end"}) + " " + pick(r, []string{"1717236000-1717237000", "1717237500-1717240000", "in (1717236100, 1717236200)"})
	case 21:
		return "exists " + anyField
	case 22:
		return anyField + " " + pick(r, []string{"=", "!="}) + " -"
	case 23:
		if r.IntN(4) == 0 {
			return "source " + pick(r, []string{"~", "!~"}) + " " + pick(r, []string{"/^cw:/", `"src-[ab]"`, "/B/i"})
		}
		return "source " + pick(r, []string{"=", "!=", ""}) + " " + pick(r, []string{`"s3://bucket/*"`, "src-a", "src-?", "cw://group", `"*"`})
	case 24:
		return pick(r, []string{"packets", "bytes"}) + " " + pick(r, []string{">", ">=", "<"}) + " " + pick(r, []string{"4294967294", "4294967295", "4294967296", "5GB", "4GiB"})
	case 25:
		return "end " + cmp() + " " + pick(r, []string{"1717236060", "1717306000", "1717236100", "-1h", "now"})
	case 26:
		return pick(r, []string{"version", "traffic-path", "encryption-status"}) + " " + pick(r, []string{"2", "3", "in (2, 5, 8)", "1-3", "> 4", "!= 7"})
	case 27:
		return "port " + pick(r, []string{"!=", "=", ">", "<"}) + " " + port()
	case 28:
		return "addr " + pick(r, []string{"!=", "="}) + " " + addr()
	}
	return "${my-extra} " + pick(r, []string{"= alpha", "!= beta", "= gam*", `= "x*y"`, "~ /^[ab]/", "in (alpha, beta)"})
}

// genExpr returns a random expression of up to depth levels, mixing every
// connective spelling.
func genExpr(r *rand.Rand, depth int) string {
	if depth <= 0 || r.IntN(4) == 0 {
		return genAtom(r)
	}
	a, b := genExpr(r, depth-1), genExpr(r, depth-1)
	switch r.IntN(8) {
	case 0:
		return a + " and " + b
	case 1:
		return a + " or " + b
	case 2:
		return "not (" + a + ")"
	case 3:
		return "(" + a + ") " + pick(r, []string{"&&", "||", "AND", "Or"}) + " (" + b + ")"
	case 4:
		return a + " " + b
	case 5:
		return "!" + genAtom(r) + " || " + b
	case 6:
		return "not " + genAtom(r) + " and not (" + b + ")"
	}
	return "(" + a + " or " + b + ") and " + genAtom(r)
}

// checkSel compares a selection with the reference evaluator on every row
// of snap (rows [snap.First, snap.End) are recs[snap.First-base:...]).
func checkSel(t *testing.T, f *Filter, snap *model.Snapshot, sel *model.Selection, d *genData) bool {
	t.Helper()
	if sel.End != snap.End {
		t.Errorf("%q: selection ends at %d, snapshot at %d", f, sel.End, snap.End)
		return false
	}
	got := make([]bool, snap.Rows())
	total := 0
	var prevBase uint64
	for k, ss := range sel.Segs {
		if k > 0 && ss.Seg.Base <= prevBase {
			t.Errorf("%q: segments out of order", f)
			return false
		}
		prevBase = ss.Seg.Base
		if ss.Seg.Base < snap.First {
			t.Errorf("%q: evicted segment %d kept", f, ss.Seg.Base)
			return false
		}
		n := 0
		if ss.Bits != nil {
			for w, word := range ss.Bits[:(ss.Seg.N+63)/64] {
				n += bits.OnesCount64(word)
				if w == (ss.Seg.N-1)/64 && ss.Seg.N%64 != 0 && word>>(ss.Seg.N%64) != 0 {
					t.Errorf("%q: bits set past the segment's end", f)
					return false
				}
			}
		} else {
			n = ss.Seg.N
		}
		if n != ss.Count || n == 0 {
			t.Errorf("%q: segment %d count %d, bits %d", f, ss.Seg.Base, ss.Count, n)
			return false
		}
		total += n
		ss.ForEach(func(sg *model.Seg, i int) bool {
			got[sg.Base+uint64(i)-snap.First] = true
			return true
		})
	}
	if total != sel.Count {
		t.Errorf("%q: selection count %d, segments %d", f, sel.Count, total)
		return false
	}
	for i := range got {
		rec := &d.recs[int(snap.First)+i]
		want := f.MatchSource(rec, d.sources[int(snap.First)+i])
		if got[i] != want {
			t.Errorf("%q: row %d: engine %v, reference %v\nrecord: %s (source %s)", f, int(snap.First)+i, got[i], want, recText(rec), d.sources[int(snap.First)+i])
			return false
		}
	}
	return true
}

func recText(rec *model.Record) string {
	var parts []string
	for _, fl := range rec.Format.Fields {
		if fl != model.FieldUnknown {
			parts = append(parts, fl.String()+"="+rec.Text(fl))
		}
	}
	for i := range rec.Extra {
		parts = append(parts, rec.Format.Names[rec.Format.Extra[i]]+"="+string(rec.Extra[i]))
	}
	return strings.Join(parts, " ")
}

// TestDifferential checks the compiled engine against Match on thousands of
// random expressions over generated rows in four formats (absent values,
// NODATA, IPv6, overflowing numbers, unknown fields, several sources),
// in more than one segment.
func TestDifferential(t *testing.T) {
	t.Run("multi-segment", func(t *testing.T) { differential(t, model.SegmentRows+20000, 400, 7) })
	t.Run("small", func(t *testing.T) { differential(t, 5000, 3000, 8) })
}

func differential(t *testing.T, rows, n int, seed uint64) {
	d := genRecords(rows, 400, seed)
	ix := model.NewIndex(0)
	snap := ingestAll(d, ix, 0)[0]
	if rows > model.SegmentRows && len(snap.Segs) < 2 {
		t.Fatalf("want several segments, got %d", len(snap.Segs))
	}
	r := rand.New(rand.NewPCG(seed, 12))
	if testing.Short() {
		n /= 10
	}
	matched := 0
	for i := 0; i < n; i++ {
		expr := genExpr(r, 3)
		f, err := CompileAt(expr, genNow)
		if err != nil {
			t.Fatalf("generated %q: %v", expr, err)
		}
		sel := f.Eval(snap, nil)
		if sel.Count > 0 && sel.Count < snap.Rows() {
			matched++
		}
		if !checkSel(t, f, snap, sel, d) {
			t.Logf("expression: %s\ncanonical: %s", expr, f)
			return
		}
	}
	if matched < n/4 {
		t.Errorf("only %d of %d expressions selected some but not all rows", matched, n)
	}
}

// TestIncremental evaluates after every publish, each time from the
// previous result, with a memory budget that evicts old segments, and
// checks each result against the reference and against a fresh Eval.
func TestIncremental(t *testing.T) {
	d := genRecords(4*model.SegmentRows, 3000, 3)
	r := rand.New(rand.NewPCG(5, 6))
	exprs := make([]*Filter, 60)
	if testing.Short() {
		exprs = exprs[:4]
	}
	for i := range exprs {
		expr := genExpr(r, 2)
		if i == 0 {
			expr = "action = REJECT and dstport = 22"
		}
		exprs[i] = must(t, expr)
	}
	prevs := make([]*model.Selection, len(exprs))
	ix := model.NewIndex(9 << 20)
	evicted := false
	for i := range d.batches {
		ix.Ingest(&d.batches[i])
		if i%7 != 6 && i != len(d.batches)-1 {
			continue
		}
		snap := ix.Publish()
		if snap.First > 0 {
			evicted = true
		}
		for k, f := range exprs {
			sel := f.Eval(snap, prevs[k])
			if !checkSel(t, f, snap, sel, d) {
				t.Fatalf("after batch %d (rows %d-%d)", i, snap.First, snap.End)
			}
			if fresh := f.Eval(snap, nil); fresh.Count != sel.Count {
				t.Fatalf("%q: incremental count %d, fresh %d", f, sel.Count, fresh.Count)
			}
			prevs[k] = sel
		}
	}
	if !evicted {
		t.Fatal("the budget evicted nothing; the test does not cover eviction")
	}
}

// TestTwoIndexes uses one filter on two indexes whose dictionaries differ,
// alternately, so per-code tables must not leak from one to the other.
func TestTwoIndexes(t *testing.T) {
	d1, d2 := genRecords(5000, 100, 21), genRecords(5000, 100, 22)
	s1 := ingestAll(d1, model.NewIndex(0), 0)[0]
	s2 := ingestAll(d2, model.NewIndex(0), 0)[0]
	for _, expr := range []string{"srcaddr in 10.0.0.0/8", "interface-id = eni-0a*", "${my-extra} = alpha", "not dstaddr = 10.0.1.25", "srcaddr != 10.0.2.140"} {
		f := must(t, expr)
		for round := 0; round < 2; round++ {
			checkSel(t, f, s1, f.Eval(s1, nil), d1)
			checkSel(t, f, s2, f.Eval(s2, nil), d2)
		}
	}
}

func must(t testing.TB, expr string) *Filter {
	t.Helper()
	f, err := CompileAt(expr, genNow)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	return f
}

// TestConcurrentEval runs one filter from several goroutines, incrementally,
// while the writer keeps appending to the segment they read (run it with
// -race), then checks the last results.
func TestConcurrentEval(t *testing.T) {
	d := genRecords(30000, 200, 17)
	ix := model.NewIndex(0)
	f := must(t, "srcaddr in 10.0.0.0/8 and not dstport = 22 or interface-id = eni-0a* and ${my-extra} != alpha or source = src-?")
	snaps := make(chan *model.Snapshot, len(d.batches))
	done := make(chan *model.Selection)
	for g := 0; g < 3; g++ {
		go func() {
			var prev *model.Selection
			for snap := range snaps {
				prev = f.Eval(snap, prev)
			}
			done <- prev
		}()
	}
	for i := range d.batches {
		ix.Ingest(&d.batches[i])
		snaps <- ix.Publish()
	}
	close(snaps)
	last := ix.Publish()
	for g := 0; g < 3; g++ {
		sel := <-done
		checkSel(t, f, last, f.Eval(last, sel), d)
	}
}

func TestEvalEdges(t *testing.T) {
	d := genRecords(70000, 500, 4)
	ix := model.NewIndex(0)
	snap := ingestAll(d, ix, 0)[0]
	f := must(t, "action = REJECT")
	t.Run("nil snapshot", func(t *testing.T) {
		if sel := f.Eval(nil, nil); sel.Count != 0 || sel.End != 0 {
			t.Fatal(sel.Count)
		}
	})
	t.Run("empty filter selects all", func(t *testing.T) {
		sel := must(t, "").Eval(snap, nil)
		if sel.Count != snap.Rows() || sel.Segs[0].Bits != nil {
			t.Fatal(sel.Count)
		}
	})
	t.Run("constant false", func(t *testing.T) {
		if sel := must(t, "exists source and not exists source").Eval(snap, nil); sel.Count != 0 || sel.End != snap.End {
			t.Fatal(sel.Count)
		}
	})
	t.Run("all rows match", func(t *testing.T) {
		sel := must(t, "exists version").Eval(snap, nil)
		for _, ss := range sel.Segs {
			if ss.Bits != nil {
				t.Fatal("a fully selected segment should have nil Bits")
			}
		}
		checkSel(t, must(t, "exists version"), snap, sel, d)
	})
	t.Run("same snapshot shares bitmaps", func(t *testing.T) {
		a := f.Eval(snap, nil)
		b := f.Eval(snap, a)
		if a.Count != b.Count || &a.Segs[0].Bits[0] != &b.Segs[0].Bits[0] {
			t.Fatal("re-evaluating the same snapshot should share bitmaps")
		}
	})
	t.Run("prev from a later snapshot is ignored", func(t *testing.T) {
		later := f.Eval(snap, nil)
		early := &model.Snapshot{Segs: snap.Segs[:1], First: snap.First, End: snap.Segs[0].Base + uint64(snap.Segs[0].N)}
		checkSel(t, f, early, f.Eval(early, later), d)
	})
	t.Run("snapshot without index", func(t *testing.T) {
		hand := *snap // a copy keeps the index; a zero Snapshot has none
		hand2 := model.Snapshot{Segs: hand.Segs, First: hand.First, End: hand.End, Addrs: hand.Addrs, Sources: hand.Sources}
		g := must(t, "srcaddr in 10.0.0.0/8 or source = src-a")
		checkSel(t, g, &hand2, g.Eval(&hand2, nil), d)
	})
}

// TestEvalIncrementalAllocs: following a live index, Eval over the rows
// appended since the previous result allocates a small constant number of
// times (its context, the grown segment's bitmap, the selection), however
// many segments and rows lie behind it and whatever the filter reads:
// the old segments' bitmaps are shared, never copied or re-evaluated.
func TestEvalIncrementalAllocs(t *testing.T) {
	const most = 20
	type pair struct{ before, after *model.Snapshot }
	var idx []pair
	sizes := []int{70_000, 300_000} // 2 segments, then 5
	if testing.Short() {
		sizes[1] = 140_000 // 3
	}
	for _, rows := range sizes {
		ix := model.NewIndex(0)
		gen := model.NewSynth(7)
		ix.Ingest(&model.Batch{Source: "t", Data: gen.Append(nil, rows)})
		before := ix.Publish()
		ix.Ingest(&model.Batch{Source: "t", Data: gen.Append(nil, 4096)})
		idx = append(idx, pair{before, ix.Publish()})
	}
	for _, expr := range []string{
		"action = REJECT and dstport = 22",
		"srcaddr in 10.0.0.0/8 and not dstport in (80, 443) or bytes > 1MB",
		"interface-id = eni-0* and flow-direction = egress",
	} {
		f, err := CompileAt(expr, genNow)
		if err != nil {
			t.Fatal(err)
		}
		var got []float64
		for _, p := range idx {
			prev := f.Eval(p.before, nil)
			f.Eval(p.after, prev) // dictionary tables extended once, as a live view does
			got = append(got, testing.AllocsPerRun(20, func() { f.Eval(p.after, prev) }))
		}
		t.Logf("%s: %v allocations", expr, got)
		if got[0] != got[1] || got[1] > most {
			t.Errorf("%s: an incremental Eval allocates %v times over 2 and over 5 segments; want the same, at most %d", expr, got, most)
		}
	}
}
