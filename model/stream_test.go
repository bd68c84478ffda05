package model

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"
)

// rowSelector selects the rows for which keep is true (a stand-in for a
// compiled filter, which model cannot import).
type rowSelector func(snap *Snapshot, sg *Seg, i int) bool

func (f rowSelector) Eval(snap *Snapshot, _ *Selection) *Selection {
	var segs []SegSel
	for _, sg := range snap.Segs {
		bm := make([]uint64, (sg.N+63)/64)
		n := 0
		for i := 0; i < sg.N; i++ {
			if f(snap, sg, i) {
				bm[i>>6] |= 1 << (i & 63)
				n++
			}
		}
		if n > 0 {
			segs = append(segs, SegSel{Seg: sg, Bits: bm, Count: n})
		}
	}
	return NewSelection(segs, snap.End)
}

func rejects(snap *Snapshot, sg *Seg, i int) bool {
	a := sg.Enum(FieldAction)
	return a != nil && a[i] == uint8(ActionReject)
}

// feed cuts data into batches of about 64 KiB and submits them.
func feed(p *Pipeline, data []byte, source string) {
	const chunk = 64 << 10
	for off := 0; off < len(data); {
		end := min(off+chunk, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		p.Submit(&Batch{Source: source, Object: "obj", Data: append([]byte(nil), data[off:end]...), EOF: end == len(data)}, nil)
		off = end
	}
}

// TestScanMatchesGroup compares a scan's answer with Group over an index
// of the same lines, for keys and metrics of every kind, with and without
// a selector, over enough lines for several blocks per worker.
func TestScanMatchesGroup(t *testing.T) {
	n := 300_000 // several blocks per worker
	switch {
	case testing.Short():
		n = 60_000 // over 20 blocks
	case raceOn:
		n = 140_000
	}
	data := genLines(n, 9)
	// bad lines and a second format mid-stream
	data = append(data, "2 111122223333 eni-0 10.0.0.1 10.0.0.2 70000 22 6 1 2 3 4 ACCEPT OK\n"+
		"version srcaddr dstaddr dstport action bytes\n"+
		"2 10.0.0.9 10.0.0.1 22 REJECT 9000000000\n2 10.0.0.9 - 22 REJECT 1\nnot a line\n"...)
	ref := NewIndex(1 << 34)
	ingestChunks(ref, data)
	// Without CheckAll the scan only finds the fields it does not read:
	// no question here reads srcport, so the line with srcport 70000 is a
	// record to it, as to the index over the same lines with a valid port.
	lazyRef := NewIndex(1 << 34)
	ingestChunks(lazyRef, bytes.Replace(data, []byte(" 70000 22 "), []byte(" 7000 22 "), 1))
	snaps := map[bool]*Snapshot{true: ref.Publish(), false: lazyRef.Publish()}

	key := func(s string) GroupKey {
		k, err := ParseGroupKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	metric := func(s string) Metric {
		m, err := ParseMetric(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	queries := []GroupQuery{
		{Keys: []GroupKey{key("srcaddr")}, Metrics: []Metric{metric("bytes")}, Top: 10},
		{Keys: []GroupKey{key("action")}, Metrics: []Metric{metric("count"), metric("bytes"), metric("packets"), metric("distinct(dstaddr)"), metric("distinct(bytes)")}},
		{Keys: []GroupKey{key("srcaddr/16"), key("dstport")}, Metrics: []Metric{metric("rejects"), metric("reject-ratio")}, Sort: 1, Top: 25},
		{Keys: []GroupKey{key("interface-id"), key("hour"), key("protocol")}, Metrics: []Metric{metric("count"), metric("distinct(srcaddr)")}},
		{Keys: []GroupKey{key("dstaddr"), key("dstport"), key("action"), key("5m")}, Metrics: []Metric{metric("count")}, Top: 40},
		{Keys: []GroupKey{key("bytes")}, Metrics: []Metric{metric("count"), metric("distinct(end)")}, Top: 30},
	}
	if raceOn {
		queries = queries[2:4]
	}
	for qi, q := range queries {
		for ci, sel := range []rowSelector{nil, rejects, nil, rejects} {
			checkAll := ci < 2
			rsnap := snaps[checkAll]
			var want *GroupResult
			var err error
			if sel == nil {
				want, err = Group(rsnap, nil, q)
			} else {
				want, err = Group(rsnap, sel.Eval(rsnap, nil), q)
			}
			if err != nil {
				t.Fatal(err)
			}
			ix := NewIndex(0)
			sq := ScanQuery{Group: q, Workers: 2, CheckAll: checkAll}
			if sel != nil {
				sq.Filter = func() Selector { return sel }
				sq.FilterFields = FieldSet(0).With(FieldAction)
			}
			s, err := NewScan(ix, sq)
			if err != nil {
				t.Fatal(err)
			}
			feed(s.Pipeline(), data, "a")
			s.Pipeline().Close()
			got, err := s.Result()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Rows, want.Rows) || !reflect.DeepEqual(got.Totals, want.Totals) ||
				got.Groups != want.Groups || got.Count != want.Count {
				t.Errorf("query %d (selector %v, check all %v): scan %d groups %v %v\nindex %d groups %v %v", qi, sel != nil, checkAll,
					got.Groups, got.Totals, got.Rows[:min(3, len(got.Rows))], want.Groups, want.Totals, want.Rows[:min(3, len(want.Rows))])
			}
			st, rst := ix.Publish().Sources, rsnap.Sources
			if len(st) != 1 || st[0].Records != rst[0].Records || st[0].Bad != rst[0].Bad || st[0].Lines != rst[0].Lines {
				t.Errorf("query %d (check all %v): source stats %+v, index %+v", qi, checkAll, st, rst)
			}
		}
	}
}

// TestGroupTiesByValue: groups with equal metrics rank by key value, not
// by the order their rows arrived in.
func TestGroupTiesByValue(t *testing.T) {
	lines := []string{
		"2 1 eni-b 10.0.0.9 10.0.0.1 1 22 6 1 100 1717236000 1717236001 ACCEPT OK\n",
		"2 1 eni-a 10.0.0.10 10.0.0.1 1 22 6 1 100 1717236000 1717236001 ACCEPT OK\n",
		"2 1 eni-c 2001:db8::1 10.0.0.1 1 22 6 1 100 1717236000 1717236001 ACCEPT OK\n",
		"2 1 eni-d - 10.0.0.1 1 22 6 1 100 1717236000 1717236001 ACCEPT OK\n",
	}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		ix := NewIndex(0)
		ix.SetDefaultFormat(DefaultFormat) // made-up values (account "1", eni-a) that inference would not read
		var data []byte
		for _, i := range order {
			data = append(data, lines[i]...)
		}
		ix.Ingest(&Batch{Source: "t", Data: data})
		snap := ix.Publish()
		for _, k := range []string{"srcaddr", "interface-id"} {
			gk, _ := ParseGroupKey(k)
			res, err := Group(snap, nil, GroupQuery{Keys: []GroupKey{gk}, Metrics: []Metric{{Kind: MetricBytes, Name: "bytes"}}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Rows {
				got = append(got, r.Key[0].Text)
			}
			want := map[string][]string{"srcaddr": {"-", "10.0.0.9", "10.0.0.10", "2001:db8::1"}, "interface-id": {"eni-a", "eni-b", "eni-c", "eni-d"}}[k]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("order %v, key %s: %v, want %v", order, k, got, want)
			}
		}
	}
}

// TestScanWorkers checks that a scan asked for no particular number of
// workers parses on every core (it once ran one worker, which held a
// one-shot query to a single core).
func TestScanWorkers(t *testing.T) {
	totals := GroupQuery{Keys: []GroupKey{{Field: FieldAction}}, Metrics: []Metric{{Kind: MetricCount}}}
	for _, c := range []struct{ asked, want int }{{0, runtime.GOMAXPROCS(0)}, {-1, runtime.GOMAXPROCS(0)}, {3, 3}} {
		s, err := NewScan(NewIndex(0), ScanQuery{Group: totals, Workers: c.asked})
		if err != nil {
			t.Fatal(err)
		}
		s.Pipeline().Close()
		if got := len(s.workers); got != c.want {
			t.Errorf("Workers %d: %d workers, want %d", c.asked, got, c.want)
		}
	}
}
