package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// sortSnapshot indexes five records whose bytes tie, differ and are
// absent (a NODATA record), over IPv4 and IPv6 addresses.
func sortSnapshot(t testing.TB) *model.Snapshot {
	t.Helper()
	ix := model.NewIndex(0)
	lines := "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"3 eni-a 10.0.0.9 10.0.2.9 40000 443 6 5 500 1717236000 1717236060 ACCEPT OK\n" + // row 0
		"3 eni-a 2001:db8::1 10.0.2.9 40001 443 6 1 100 1717236010 1717236011 ACCEPT OK\n" + // row 1
		"3 eni-a 10.0.0.10 10.0.2.9 40002 22 6 7 500 1717236020 1717236200 REJECT OK\n" + // row 2
		"3 eni-b - - - - - - - 1717236030 1717236090 - NODATA\n" + // row 3
		"3 eni-a 10.0.0.2 10.0.2.9 40003 80 6 9 900 1717236040 1717236041 ACCEPT OK\n" // row 4
	ix.Ingest(&model.Batch{Source: "src", Object: "sort.log", Data: []byte(lines), Line: 1, EOF: true})
	snap := ix.Publish()
	if snap.Rows() != 5 {
		t.Fatalf("indexed %d rows", snap.Rows())
	}
	return snap
}

// rowIDs lists a sort's rows by id, relative to the snapshot's first.
func rowIDs(l *sortList) string {
	var b []string
	for _, e := range l.rows {
		b = append(b, fmt.Sprint(e.row-l.snap.First))
	}
	return strings.Join(b, " ")
}

// TestTopRows: each column in both directions, ties in time order,
// absent values last either way, and fewer rows than asked for.
func TestTopRows(t *testing.T) {
	snap := sortSnapshot(t)
	sel := model.SelectAll(snap)
	for _, c := range []struct {
		col  flowSortCol
		asc  bool
		k    int
		want string
	}{
		{byBytes, false, 10, "4 0 2 1 3"}, // 900, the two 500s oldest first, 100, absent
		{byBytes, true, 10, "1 0 2 4 3"},
		{byBytes, false, 2, "4 0"},
		{byBytes, true, 3, "1 0 2"},
		{byPackets, false, 10, "4 2 0 1 3"},
		{byDuration, false, 10, "2 0 3 1 4"}, // 180 s, the two 60 s (NODATA has times) oldest first, 1, 1
		{byStart, false, 10, "4 3 2 1 0"},
		{byEnd, true, 10, "1 4 0 3 2"},
		{bySrcAddr, true, 10, "4 0 2 1 3"}, // 10.0.0.2 < 10.0.0.9 < 10.0.0.10 < IPv6, absent last
		{bySrcAddr, false, 10, "1 2 0 4 3"},
		{byDstPort, true, 10, "2 4 0 1 3"},
		{bySrcPort, false, 1, "4"},
	} {
		l := topRows(snap, sel, sortQuery{col: c.col, asc: c.asc, k: c.k}, nil)
		if got := rowIDs(l); got != c.want {
			t.Errorf("%s asc=%v k=%d: rows %s, want %s", flowSorts[c.col].name, c.asc, c.k, got, c.want)
		}
		if complete := c.k >= 5; l.complete != complete {
			t.Errorf("%s k=%d: complete %v, want %v", flowSorts[c.col].name, c.k, l.complete, complete)
		}
	}
	// A selection with a bitmap: only its rows.
	bits := make([]uint64, 1)
	bits[0] = 1<<1 | 1<<2 | 1<<3
	sub := model.NewSelection([]model.SegSel{{Seg: snap.Segs[0], Bits: bits, Count: 3}}, snap.End)
	if got := rowIDs(topRows(snap, sub, sortQuery{col: byBytes, k: 10}, nil)); got != "2 1 3" {
		t.Errorf("bytes over rows 1-3: %s", got)
	}
	// An empty selection.
	if l := topRows(snap, model.NewSelection(nil, snap.End), sortQuery{col: byBytes, k: 10}, nil); len(l.rows) != 0 || !l.complete {
		t.Errorf("empty selection: %d rows, complete %v", len(l.rows), l.complete)
	}
}

// bruteTop sorts every selected row (the reference the heap must give).
func bruteTop(snap *model.Snapshot, sel *model.Selection, q sortQuery) []sortEntry {
	t := &topK{asc: q.asc}
	var all []sortEntry
	for _, ss := range sel.Segs {
		r := newKeyReader(snap, ss.Seg, q.col)
		ss.ForEach(func(sg *model.Seg, i int) bool {
			all = append(all, sortEntry{r.key(i), sg.Base + uint64(i)})
			return true
		})
	}
	slices.SortFunc(all, func(a, b sortEntry) int {
		if t.before(&a, &b) {
			return -1
		}
		return 1
	})
	return all
}

// TestTopRowsIncremental: rows merged from an older answer plus the new
// rows only give the same rows as a full pass, with evicted rows gone
// and the list cut to the rows it still knows exactly.
func TestTopRowsIncremental(t *testing.T) {
	gen := model.NewSynth(7)
	ix := model.NewIndex(6 << 20) // small: the oldest segments are evicted as rows come
	var buf []byte
	ingest := func(n int) *model.Snapshot {
		buf = gen.Append(buf[:0], n)
		ix.Ingest(&model.Batch{Source: "synth", Data: buf})
		return ix.Publish()
	}
	snap1 := ingest(150_000)
	sel1 := model.SelectAll(snap1)
	for _, q := range []sortQuery{{col: byBytes, k: 500}, {col: bySrcAddr, asc: true, k: 300}, {col: byDuration, k: 200}} {
		l1 := topRows(snap1, sel1, q, nil)
		want1 := bruteTop(snap1, sel1, q)[:q.k]
		if !slices.Equal(l1.rows, want1) {
			t.Fatalf("%s: the heap's rows differ from a full sort", flowSorts[q.col].name)
		}
		l, lost := l1, 0
		for round := 0; round < 6; round++ {
			snap := ingest(60_000)
			sel := model.SelectAll(snap)
			next := topRows(snap, sel, q, l)
			want := bruteTop(snap, sel, q)
			if n := len(next.rows); n > len(want) || !slices.Equal(next.rows, want[:n]) {
				t.Fatalf("%s round %d: merged rows are not the best %d", flowSorts[q.col].name, round, n)
			}
			evicted := 0
			for _, e := range l.rows {
				if e.row < snap.First {
					evicted++
				}
			}
			if len(next.rows) != len(l.rows)-evicted {
				t.Errorf("%s round %d: kept %d rows; %d known less %d evicted", flowSorts[q.col].name, round, len(next.rows), len(l.rows), evicted)
			}
			l, lost = next, lost+evicted
		}
		if lost == 0 {
			t.Errorf("%s: no kept row was evicted: the merge's eviction path is not tested", flowSorts[q.col].name)
		}
		if snap := ix.Snapshot(); snap.Evicted == 0 {
			t.Fatalf("nothing was evicted (%d rows): the test does not test eviction", snap.Rows())
		}
	}
}

// BenchmarkTopRows keeps the best sortK rows of 10M by bytes, by source
// address, and of a sparse selection (budget: a sort answers well
// within a second, off the UI goroutine).
func BenchmarkTopRows(b *testing.B) {
	_, snap := bigIndex(b)
	all := model.SelectAll(snap)
	for _, c := range []struct {
		name string
		col  flowSortCol
		asc  bool
	}{{"bytes", byBytes, false}, {"srcaddr", bySrcAddr, true}, {"duration", byDuration, false}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				topRows(snap, all, sortQuery{col: c.col, asc: c.asc, k: sortK}, nil)
			}
		})
	}
}

// TestKeyReader: the columns read directly give what Seg.Uint gives.
func TestKeyReader(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "synth", Data: model.NewSynth(3).Append(nil, 70_000)})
	snap := ix.Publish()
	sortSnap := sortSnapshot(t)
	for _, sn := range []*model.Snapshot{snap, sortSnap} {
		for col := byBytes; col < numFlowSorts; col++ {
			if col == bySrcAddr || col == byDstAddr {
				continue
			}
			for _, sg := range sn.Segs {
				r := newKeyReader(sn, sg, col)
				for i := 0; i < sg.N; i++ {
					var want rowValue
					if col == byDuration {
						e, ok := sg.Uint(model.FieldEnd, i)
						s, ok2 := sg.Uint(model.FieldStart, i)
						if ok && ok2 {
							want = rowValue{cls: 1, lo: e - min(s, e)}
						}
					} else if v, ok := sg.Uint(flowSorts[col].field, i); ok {
						want = rowValue{cls: 1, lo: v}
					}
					if got := r.key(i); got != want {
						t.Fatalf("%s of row %d: %+v, want %+v", flowSorts[col].name, sg.Base+uint64(i), got, want)
					}
				}
			}
		}
	}
}

// TestStepIn: the next and previous match from a position, wrapping.
func TestStepIn(t *testing.T) {
	at := []int{2, 5, 9}
	for _, c := range []struct {
		cur, dir, j int
		wrapped     bool
	}{
		{-1, 1, 0, false}, {2, 1, 1, false}, {3, 1, 1, false}, {9, 1, 0, true},
		{9, -1, 1, false}, {5, -1, 0, false}, {2, -1, 2, true}, {0, -1, 2, true},
	} {
		if j, w := stepIn(at, c.cur, c.dir); j != c.j || w != c.wrapped {
			t.Errorf("from %d dir %d: %d %v, want %d %v", c.cur, c.dir, j, w, c.j, c.wrapped)
		}
	}
}
