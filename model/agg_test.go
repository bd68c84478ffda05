package model

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// naiveGroup computes a group-by row by row through Record, as the
// reference for Group.
func naiveGroup(snap *Snapshot, sel *Selection, keys []GroupKey, metrics []Metric) map[string][]float64 {
	type st struct {
		count, bytes, packets, rejects uint64
		distinct                       []map[string]bool
	}
	m := map[string]*st{}
	var rec Record
	sel.ForEach(func(sg *Seg, i int) bool {
		snap.Record(sg, i, &rec)
		var parts []string
		for _, k := range keys {
			switch {
			case k.Bucket > 0:
				if v, ok := rec.Uint(FieldStart); ok {
					parts = append(parts, FormatUnix(int64(v)/k.Bucket*k.Bucket))
				} else {
					parts = append(parts, "-")
				}
			case k.Prefix > 0:
				a, ok := rec.Addr(k.Field)
				if !ok {
					parts = append(parts, "-")
					break
				}
				bits := k.Prefix
				if a.Is6() && bits <= 32 {
					bits = 64
				}
				p, _ := a.Prefix(min(bits, a.BitLen()))
				parts = append(parts, p.String())
			default:
				parts = append(parts, rec.Text(k.Field))
			}
		}
		key := strings.Join(parts, "|")
		s := m[key]
		if s == nil {
			s = &st{}
			for range metrics {
				s.distinct = append(s.distinct, map[string]bool{})
			}
			m[key] = s
		}
		s.count++
		b, _ := rec.Uint(FieldBytes)
		p, _ := rec.Uint(FieldPackets)
		s.bytes += b
		s.packets += p
		if rec.Action() == ActionReject {
			s.rejects++
		}
		for j, mt := range metrics {
			if mt.Kind == MetricDistinct && rec.Has(mt.Field) {
				s.distinct[j][rec.Text(mt.Field)] = true
			}
		}
		return true
	})
	out := map[string][]float64{}
	for k, s := range m {
		var vals []float64
		for j, mt := range metrics {
			switch mt.Kind {
			case MetricCount:
				vals = append(vals, float64(s.count))
			case MetricBytes:
				vals = append(vals, float64(s.bytes))
			case MetricPackets:
				vals = append(vals, float64(s.packets))
			case MetricRejects:
				vals = append(vals, float64(s.rejects))
			case MetricRejectRatio:
				vals = append(vals, float64(s.rejects)/float64(s.count))
			case MetricDistinct:
				vals = append(vals, float64(len(s.distinct[j])))
			}
		}
		out[k] = vals
	}
	return out
}

func TestGroupMatchesNaive(t *testing.T) {
	n := 2*SegmentRows + 500 // three segments, the last one partial
	if testing.Short() {
		n = SegmentRows + 500 // two
	}
	lines := genRecordLines(n, 5)
	ix := NewIndex(0)
	ix.Ingest(&Batch{Source: "gen", Data: []byte(strings.Join(lines, "\n") + "\n")})
	snap := ix.Publish()

	sparse := everyThird(snap)

	keySets := [][]string{{"srcaddr"}, {"dstport"}, {"action"}, {"srcaddr/24"}, {"srcaddr/16", "action"},
		{"hour"}, {"interface-id", "dstaddr"}, {"flow-direction"}, {"tcp-flags"}, {"packets"}}
	// A field unknown to the schema (tgw-id, kept as text) is not a group
	// key: it is refused by name rather than grouped wrongly.
	if _, err := ParseGroupKey("tgw-id"); err == nil || !strings.Contains(err.Error(), `"tgw-id"`) {
		t.Errorf("ParseGroupKey(tgw-id) = %v; want an error naming it", err)
	}
	metricSets := [][]string{{"count"}, {"bytes", "packets", "rejects", "reject-ratio"}, {"distinct(dstport)", "count"}}
	for _, ks := range keySets {
		for _, ms := range metricSets {
			for _, sel := range []*Selection{SelectAll(snap), sparse} {
				name := fmt.Sprintf("%s/%s/%d", strings.Join(ks, ","), strings.Join(ms, ","), sel.Count)
				t.Run(name, func(t *testing.T) {
					var keys []GroupKey
					for _, k := range ks {
						gk, err := ParseGroupKey(k)
						if err != nil {
							t.Fatal(err)
						}
						keys = append(keys, gk)
					}
					var metrics []Metric
					for _, m := range ms {
						mt, err := ParseMetric(m)
						if err != nil {
							t.Fatal(err)
						}
						metrics = append(metrics, mt)
					}
					want := naiveGroup(snap, sel, keys, metrics)
					res, err := Group(snap, sel, GroupQuery{Keys: keys, Metrics: metrics})
					if err != nil {
						t.Fatal(err)
					}
					if res.Groups != len(want) || len(res.Rows) != len(want) || res.Count != sel.Count {
						t.Fatalf("groups %d rows %d, want %d", res.Groups, len(res.Rows), len(want))
					}
					for i, row := range res.Rows {
						var parts []string
						for _, kv := range row.Key {
							parts = append(parts, kv.Text)
						}
						key := strings.Join(parts, "|")
						w, ok := want[key]
						if !ok {
							t.Fatalf("unexpected group %q", key)
						}
						for j := range w {
							if w[j] != row.Vals[j] {
								t.Fatalf("group %q metric %s = %v, want %v", key, ms[j], row.Vals[j], w[j])
							}
						}
						if i > 0 && res.Rows[i-1].Vals[0] < row.Vals[0] {
							t.Fatalf("not sorted at %d", i)
						}
					}
				})
			}
		}
	}
}

// everyThird selects the rows of snap whose index is divisible by 3: a
// sparse selection.
func everyThird(snap *Snapshot) *Selection {
	var segs []SegSel
	for _, sg := range snap.Segs {
		bits := make([]uint64, segWords)
		n := 0
		for i := 0; i < sg.N; i++ {
			if (sg.Base+uint64(i))%3 == 0 {
				bits[i>>6] |= 1 << (uint(i) & 63)
				n++
			}
		}
		segs = append(segs, SegSel{Seg: sg, Bits: bits, Count: n})
	}
	return NewSelection(segs, snap.End)
}

// TestGroupHashMode runs the naive comparison with the dense limit forced
// down, so every multi-key group-by goes through the hash table.
func TestGroupHashMode(t *testing.T) {
	saved := denseLimit
	denseLimit = 16
	defer func() { denseLimit = saved }()
	TestGroupMatchesNaive(t)
}

func TestU64Tables(t *testing.T) {
	m := newU64map(4)
	s := newU64set()
	want := map[uint64]uint32{}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200000; i++ {
		k := r.Uint64() >> uint(r.IntN(64))
		v, seen := m.getOrPut(k, uint32(len(want)))
		w, ok := want[k]
		if seen != ok || ok && v != w {
			t.Fatalf("getOrPut(%d) = %d,%v want %d,%v", k, v, seen, w, ok)
		}
		if !ok {
			want[k] = uint32(len(want))
		}
		if s.add(k) == ok {
			t.Fatalf("set add(%d) new=%v, seen before=%v", k, !ok, ok)
		}
	}
	n := 0
	s.each(func(k uint64) {
		if _, ok := want[k]; !ok {
			t.Fatalf("set holds %d", k)
		}
		n++
	})
	if n != len(want) || s.n != len(want) {
		t.Fatalf("set has %d, want %d", n, len(want))
	}
}

func TestGroupTopN(t *testing.T) {
	lines := genRecordLines(20000, 8)
	ix := NewIndex(0)
	ix.Ingest(&Batch{Source: "gen", Data: []byte(strings.Join(lines, "\n") + "\n")})
	snap := ix.Publish()
	q := GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}}, Metrics: []Metric{{Kind: MetricBytes}, {Kind: MetricCount}}}
	all, _ := Group(snap, nil, q)
	q.Top = 10
	top, _ := Group(snap, nil, q)
	if len(top.Rows) != 10 || top.Groups != all.Groups {
		t.Fatalf("top rows %d groups %d/%d", len(top.Rows), top.Groups, all.Groups)
	}
	for i := range top.Rows {
		if top.Rows[i].Key[0].Text != all.Rows[i].Key[0].Text || top.Rows[i].Vals[0] != all.Rows[i].Vals[0] {
			t.Fatalf("top %d: %v vs %v", i, top.Rows[i], all.Rows[i])
		}
	}
	var sum float64
	for _, r := range all.Rows {
		sum += r.Vals[0]
	}
	if d := sum - top.Totals[0]; d > sum*1e-12 || d < -sum*1e-12 {
		t.Fatalf("totals %v vs %v", top.Totals[0], sum)
	}
	q.Asc = true
	asc, _ := Group(snap, nil, q)
	if !sort.SliceIsSorted(asc.Rows, func(i, j int) bool { return asc.Rows[i].Vals[0] < asc.Rows[j].Vals[0] }) {
		t.Fatal("ascending sort")
	}
}

func TestSeriesMatchesRollups(t *testing.T) {
	lines := genLines(50_000, 4)
	ix := NewIndex(0)
	ix.Ingest(&Batch{Source: "gen", Data: lines})
	snap := ix.Publish()
	a := Series(snap, nil, 300)
	b := snap.Rollups(0, 1<<40, 300)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("series %d buckets, rollups %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("bucket %d: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func TestParseKeysAndMetrics(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"srcaddr", ""}, {"src", ""}, {"dport", ""}, {"srcaddr/24", ""}, {"dstaddr/16", ""}, {"hour", ""}, {"minute", ""},
		{"5m", ""}, {"dstport/24", "needs an address field"}, {"srcaddr/200", "0..128"}, {"dstprt", "did you mean dstport?"},
	} {
		_, err := ParseGroupKey(tc.in)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseGroupKey(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
	for _, tc := range []struct{ in, err string }{
		{"count", ""}, {"bytes", ""}, {"distinct(dstport)", ""}, {"distinct(dport)", ""}, {"distinct(nope)", "unknown field"}, {"avg", "want count"},
	} {
		_, err := ParseMetric(tc.in)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseMetric(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestEnrichment(t *testing.T) {
	if TCPFlagNames(18) != "SYN-ACK" || TCPFlagNames(3) != "SYN,FIN" || TCPFlagNames(19) != "SYN-ACK,FIN" || TCPFlagNames(4) != "RST" || TCPFlagNames(0) != "-" {
		t.Error("tcp flags", TCPFlagNames(18), TCPFlagNames(3), TCPFlagNames(19))
	}
	if ProtocolName(6) != "tcp" || ProtocolName(58) != "icmpv6" || ProtocolName(250) != "250" {
		t.Error("protocols")
	}
	if n, ok := ProtocolNumber("UDP"); !ok || n != 17 {
		t.Error("protocol number")
	}
	if PortName(22) != "ssh" || TrafficPathName(7) != "gateway VPC endpoint" {
		t.Error("names")
	}
	_ = rand.IntN
	for in, want := range map[string]string{"10.1.2.3": "private", "100.64.1.1": "cgnat", "169.254.169.254": "link-local",
		"8.8.8.8": "public", "224.0.0.5": "multicast", "127.0.0.1": "loopback", "fd00::1": "private", "2600::1": "public",
		"fe80::1": "link-local", "203.0.113.7": "documentation"} {
		if got := AddrClass(mustAddr(in)); got != want {
			t.Errorf("AddrClass(%s) = %s, want %s", in, got, want)
		}
	}
	if HumanBytes(1536) != "1.5 KiB" || HumanBytes(512) != "512 B" || HumanCount(12345) != "12.3k" {
		t.Error(HumanBytes(1536), HumanCount(12345))
	}
}

// TestSumsSaturate: counters are at most 2^63-1, but a few of them still
// pass the largest uint64 when summed. Before, such sums wrapped (a total
// of 3.7e19 printed as a small number); now they stop at the maximum and
// say so, in group-bys (dense and hash mode), totals, rollups and series,
// and sums below the maximum are exact even past 2^53.
func TestSumsSaturate(t *testing.T) {
	const huge = "7400000000000000000" // five of them: 3.7e19
	var lines []string
	for i := 0; i < 5; i++ {
		lines = append(lines, "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 "+huge+" 1717236000 1717236060 ACCEPT OK")
	}
	for i := 0; i < 2; i++ { // 2^62+1 twice: exact only in integers
		lines = append(lines, "2 1 eni-1 10.0.0.3 10.0.0.2 1 2 6 1 4611686018427387905 1717236000 1717236060 ACCEPT OK")
	}
	lines = append(lines, "2 1 eni-1 10.0.0.4 10.0.0.5 1 2 6 9223372036854775808 1 1717236000 1717236060 ACCEPT OK") // refused
	ix := NewIndex(0)
	res := ix.Ingest(&Batch{Source: "s", Data: []byte(strings.Join(lines, "\n"))})
	snap := ix.Publish()
	if res.Records != 7 || snap.Sources[0].Bad[ReasonRange] != 1 {
		t.Fatalf("ingest %+v, bad %v", res, snap.Sources[0].Bad)
	}
	const max = "18446744073709551615"
	for _, dense := range []bool{true, false} {
		if !dense {
			saved := denseLimit
			denseLimit = 1
			defer func() { denseLimit = saved }()
		}
		q := GroupQuery{
			Keys:    []GroupKey{{Field: FieldSrcAddr, Name: "srcaddr"}, {Field: FieldDstAddr, Name: "dstaddr"}},
			Metrics: []Metric{{Kind: MetricBytes, Name: "bytes"}, {Kind: MetricCount, Name: "count"}},
		}
		g, err := Group(snap, nil, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Rows) != 2 || g.Rows[0].Key[0].Text != "10.0.0.1" {
			t.Fatalf("dense %v: rows %+v", dense, g.Rows)
		}
		if got := string(g.Rows[0].AppendValue(nil, q, 0)); got != max {
			t.Errorf("dense %v: saturated sum printed %s, want %s", dense, got, max)
		}
		if got := string(g.Rows[1].AppendValue(nil, q, 0)); got != "9223372036854775810" {
			t.Errorf("dense %v: exact sum printed %s", dense, got)
		}
		if got := string(g.AppendTotal(nil, 0)); got != max || !g.Saturated[0] || g.Saturated[1] {
			t.Errorf("dense %v: total %s saturated %v", dense, got, g.Saturated)
		}
		if n := g.Notice(); !strings.Contains(n, "bytes") || !strings.Contains(n, max) {
			t.Errorf("notice %q", n)
		}
		if got := string(AppendGroupJSON(nil, q, g.Rows[0])); !strings.Contains(got, `"bytes":`+max) {
			t.Errorf("JSON %s", got)
		}
	}
	for _, b := range [][]Bucket{snap.Rollups(0, 1<<40, 3600), Series(snap, nil, 3600)} {
		if len(b) != 1 {
			t.Fatalf("buckets %+v", b)
		}
		tot := b[0].Total()
		if !tot.Saturated || tot.Bytes != ^uint64(0) || tot.Flows != 7 {
			t.Errorf("bucket total %+v", tot)
		}
	}
	if got := string(AppendMetric(nil, Metric{Kind: MetricBytes}, 3.7e19)); got != max {
		t.Errorf("AppendMetric(3.7e19) = %s", got)
	}
}

// TestGroupPartitionedTop: on the partitioned path (many groups, distinct
// counts, several partitions and workers) a top-N answer is the head of
// the full ranking, and the totals cover every group, whichever metric
// ranks.
func TestGroupPartitionedTop(t *testing.T) {
	ix := NewIndex(0)
	n := 300_000
	if testing.Short() {
		n = 60_000 // still several partitions of partRows
	}
	ix.Ingest(&Batch{Source: "gen", Data: genLines(n, 8)})
	snap := ix.Publish()
	sel := SelectAll(snap)
	for _, c := range []struct {
		keys    []string
		metrics []string
	}{
		{[]string{"srcaddr", "dstaddr"}, []string{"bytes", "count", "rejects"}},
		{[]string{"srcaddr"}, []string{"distinct(dstport)", "bytes"}},
		{[]string{"dstaddr"}, []string{"distinct(srcaddr)", "count"}},
		{[]string{"srcaddr", "dstport"}, []string{"reject-ratio", "count", "distinct(dstaddr)"}},
	} {
		var q GroupQuery
		for _, k := range c.keys {
			gk, _ := ParseGroupKey(k)
			q.Keys = append(q.Keys, gk)
		}
		for _, m := range c.metrics {
			mt, _ := ParseMetric(m)
			q.Metrics = append(q.Metrics, mt)
		}
		all, err := Group(snap, sel, q)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveGroup(snap, sel, q.Keys, q.Metrics)
		if all.Groups != len(want) || len(all.Rows) != len(want) || all.Count != sel.Count {
			t.Fatalf("%v: groups %d rows %d count %d, want %d groups, %d rows", c, all.Groups, len(all.Rows), all.Count, len(want), sel.Count)
		}
		totals := make([]float64, len(q.Metrics))
		for _, vals := range want {
			for j, v := range vals {
				totals[j] += v
			}
		}
		for j, m := range q.Metrics {
			if m.Kind == MetricDistinct { // the distinct values over every group
				vals := map[string]bool{}
				sel.ForEach(func(sg *Seg, i int) bool {
					if !snap.Absent(sg, i, m.Field) {
						vals[snap.Text(sg, i, m.Field)] = true
					}
					return true
				})
				totals[j] = float64(len(vals))
			}
			if m.Kind == MetricRejectRatio {
				continue
			}
			if all.Totals[j] != totals[j] {
				t.Errorf("%v: total %s = %v, want %v", c, m.Name, all.Totals[j], totals[j])
			}
		}
		for _, top := range []int{1, 10, 100} {
			q.Top = top
			res, err := Group(snap, sel, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Groups != all.Groups || len(res.Rows) != top || fmt.Sprint(res.Totals) != fmt.Sprint(all.Totals) {
				t.Fatalf("%v top %d: groups %d rows %d totals %v, want %d %v", c, top, res.Groups, len(res.Rows), res.Totals, all.Groups, all.Totals)
			}
			for i := range res.Rows {
				if fmt.Sprint(res.Rows[i]) != fmt.Sprint(all.Rows[i]) {
					t.Fatalf("%v top %d: row %d = %v, want %v", c, top, i, res.Rows[i], all.Rows[i])
				}
			}
		}
	}
}
