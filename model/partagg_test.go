package model

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// groupUnpartitioned answers q as Group does without the partitioned
// path: dense arrays or one hash table over every group, and hash sets
// of (group, value) for distinct counts. It is the reference the
// partitioned path is checked against.
func groupUnpartitioned(snap *Snapshot, sel *Selection, q GroupQuery) (*GroupResult, error) {
	q, err := checkGroupQuery(q)
	if err != nil {
		return nil, err
	}
	g := planGroup(snap, q)
	defer segScratches.Put(g.sc)
	g.shrink(sel)
	if err := g.keySpace(q); err != nil {
		return nil, err
	}
	g.accumulateUnpartitioned(sel, q)
	return g.result(snap, q), nil
}

// manyKeyLines returns n default-format lines whose addresses come from
// a pool of addrs (a fifth of them IPv6), a few hot: millions of
// conversations, and more than 65,536 addresses when addrs is, so that
// a pair of address codes no longer fits 32 bits. Some byte counts pass
// 2^32 (kept in a column's overflow list) and some lines have no
// addresses at all (NODATA).
func manyKeyLines(n, addrs int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	addr := func(b []byte) []byte {
		v := r.IntN(addrs)
		if r.IntN(8) == 0 {
			v = r.IntN(100) // hot
		}
		if v%5 == 4 {
			b = append(b, "2001:db8::"...)
			return strconv.AppendUint(b, uint64(v), 16)
		}
		return fmt.Appendf(b, "10.%d.%d.%d", v>>16, v>>8&255, v&255)
	}
	out := make([]byte, 0, n*110)
	for i := 0; i < n; i++ {
		t := 1717236000 + i/1000
		eni := r.IntN(50)
		if r.IntN(200) == 0 {
			out = fmt.Appendf(out, "2 123456789012 eni-%d - - - - - - - %d %d - NODATA\n", eni, t, t+60)
			continue
		}
		out = fmt.Appendf(out, "2 123456789012 eni-%d ", eni)
		out = addr(out)
		out = append(out, ' ')
		out = addr(out)
		pk := 1 + r.IntN(100)
		by := uint64(pk * (40 + r.IntN(1400)))
		if r.IntN(1000) == 0 {
			by += 1 << 33
		}
		act := "ACCEPT"
		if r.IntN(7) == 0 {
			act = "REJECT"
		}
		out = fmt.Appendf(out, " %d %d 6 %d %d %d %d %s OK\n", 1024+r.IntN(3000), []int{22, 80, 443, 5432, 8080}[r.IntN(5)]+r.IntN(3), pk, by, t, t+r.IntN(60), act)
	}
	return out
}

// TestGroupPartitionedMatchesUnpartitioned: the partitioned path gives
// what the dense and hash paths give (every group's key, metrics and
// rank, the totals), over half a million keys: conversations whose
// composite key fits 32 bits and ones whose does not, IPv6 addresses,
// named keys (labels) and names-free ones, a sparse selection, sums
// that pass 2^32, with and without a top (or bottom) N.
func TestGroupPartitionedMatchesUnpartitioned(t *testing.T) {
	n, wide := 600_000, 120_000
	if testing.Short() {
		n, wide = 300_000, 80_000
	}
	names := hostNames{}
	for v := 0; v < 1000; v += 3 {
		names[fmt.Sprintf("10.0.%d.%d", v>>8, v&255)] = "host-" + strconv.Itoa(v%17)
	}
	for _, c := range []struct {
		name  string
		addrs int
	}{{"narrow", 40_000}, {"wide", wide}} {
		ix := NewIndex(0)
		ingestChunks(ix, manyKeyLines(n, c.addrs, 11))
		snap := ix.Publish()
		if w := len(snap.Addrs) > 1<<16; w != (c.name == "wide") {
			t.Fatalf("%s: %d addresses; the pairs' codes must fit 32 bits only when narrow", c.name, len(snap.Addrs))
		}
		for _, q := range []struct {
			keys    []GroupKey
			metrics []string
		}{
			{[]GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstAddr}}, []string{"bytes", "count", "rejects", "packets"}},
			{[]GroupKey{{Field: FieldSrcAddr}}, []string{"distinct(dstport)", "bytes"}},
			{[]GroupKey{{Field: FieldDstAddr}}, []string{"distinct(srcaddr)", "count"}},
			{[]GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstPort}}, []string{"reject-ratio", "count", "distinct(dstaddr)", "distinct(srcport)"}},
			{[]GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstAddr, Name: "dst-name", Label: names}}, []string{"bytes", "distinct(dstport)"}},
			{[]GroupKey{{Field: FieldDstAddr, Name: "dst-name", Label: names}}, []string{"distinct(srcaddr)", "packets"}},
			{[]GroupKey{{Field: FieldSrcPort}, {Field: FieldSrcAddr}}, []string{"count", "bytes"}},
		} {
			var gq GroupQuery
			gq.Keys = q.keys
			var kn []string
			for _, k := range q.keys {
				kn = append(kn, k.Field.String()+k.Name)
			}
			for _, m := range q.metrics {
				mt, err := ParseMetric(m)
				if err != nil {
					t.Fatal(err)
				}
				gq.Metrics = append(gq.Metrics, mt)
			}
			for _, sel := range []*Selection{SelectAll(snap), everyThird(snap)} {
				for _, top := range []int{0, 10, -10} { // -10: the bottom 10
					gq.Top, gq.Asc = max(top, -top), top < 0
					name := fmt.Sprintf("%s/%s/%s/%d/top%d", c.name, strings.Join(kn, ","), strings.Join(q.metrics, ","), sel.Count, top)
					ck, _ := checkGroupQuery(gq)
					g := planGroup(snap, ck)
					g.shrink(sel)
					if err := g.keySpace(ck); err != nil {
						t.Fatal(err)
					}
					dk, part := g.partitionable(snap, ck)
					segScratches.Put(g.sc)
					if !part || g.dense && len(dk) == 0 {
						t.Fatalf("%s: not a question for the partitioned path", name)
					}
					got, err := Group(snap, sel, gq)
					if err != nil {
						t.Fatal(err)
					}
					want, err := groupUnpartitioned(snap, sel, gq)
					if err != nil {
						t.Fatal(err)
					}
					if top == 0 && got.Groups < 10_000 && strings.Contains(name, "addr,dst-addr/") {
						t.Fatalf("%s: %d groups; the test wants many", name, got.Groups)
					}
					if g, w := fmt.Sprint(got.Groups, got.Count, got.Totals, got.TotalInts, got.Saturated), fmt.Sprint(want.Groups, want.Count, want.Totals, want.TotalInts, want.Saturated); g != w {
						t.Fatalf("%s: groups, count, totals %s; want %s", name, g, w)
					}
					if len(got.Rows) != len(want.Rows) {
						t.Fatalf("%s: %d rows, want %d", name, len(got.Rows), len(want.Rows))
					}
					for i := range got.Rows {
						if !sameRow(got.Rows[i], want.Rows[i]) {
							t.Fatalf("%s: row %d = %v, want %v", name, i, got.Rows[i], want.Rows[i])
						}
					}
				}
			}
		}
	}
}

func sameRow(a, b GroupRow) bool {
	if len(a.Key) != len(b.Key) || len(a.Vals) != len(b.Vals) || len(a.Ints) != len(b.Ints) {
		return false
	}
	for i := range a.Key {
		if a.Key[i] != b.Key[i] {
			return false
		}
	}
	for i := range a.Vals {
		if a.Vals[i] != b.Vals[i] || a.Ints[i] != b.Ints[i] {
			return false
		}
	}
	return true
}
