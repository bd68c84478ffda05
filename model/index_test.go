package model

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
)

// ingestFile feeds a fixture to the index as one batch.
func ingestFile(t testing.TB, ix *Index, path string) IngestResult {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ix.Ingest(&Batch{Source: path, Data: data, Line: 1, EOF: true})
}

// normalise rewrites a line the way the index prints it back: single
// spaces, canonical addresses, seconds instead of milliseconds.
func normalise(t testing.TB, f *Format, line string) string {
	p := NewParser(f)
	var rec Record
	if k, r := p.Parse([]byte(line), &rec); k != LineRecord {
		t.Fatalf("normalise %q: %v %v", line, k, r)
	}
	var parts []string
	ei := 0
	for _, fld := range rec.Format.Fields {
		if fld == FieldUnknown {
			parts = append(parts, string(rec.Extra[ei]))
			ei++
			continue
		}
		parts = append(parts, rec.Text(fld))
	}
	return strings.Join(parts, " ")
}

func TestIndexRoundTripFixtures(t *testing.T) {
	for _, name := range []string{"default.log", "v3.log", "v5.log", "v8.log", "v7-ecs.log", "crlf.log", "ipv6.log", "nodata.log"} {
		t.Run(name, func(t *testing.T) {
			ix := NewIndex(0)
			res := ingestFile(t, ix, "../testdata/"+name)
			snap := ix.Publish()
			if res.Bad != 0 {
				t.Fatalf("bad lines: %+v %v", res, snap.Sources[0].Samples)
			}
			lines := readLines(t, "../testdata/"+name)
			var want []string
			f := DefaultFormat
			for _, l := range lines {
				l = bytes.TrimRight(l, "\r\n")
				if IsHeaderLine(l) {
					f = MustParseFormat(string(l))
					continue
				}
				want = append(want, normalise(t, f, string(l)))
			}
			if snap.Rows() != len(want) {
				t.Fatalf("rows %d, want %d", snap.Rows(), len(want))
			}
			k := 0
			SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
				if got := string(snap.AppendLine(nil, sg, i)); got != want[k] {
					t.Errorf("row %d:\n got %s\nwant %s", k, got, want[k])
				}
				pv := snap.Provenance(sg, i)
				if pv.Source != "../testdata/"+name || pv.Line == 0 {
					t.Errorf("provenance %+v", pv)
				}
				k++
				return true
			})
		})
	}
}

func TestIndexBadLinesCounted(t *testing.T) {
	ix := NewIndex(0)
	// most lines are broken on purpose, so format inference would give up
	// on them: the default format says what each line's fault is
	ix.SetDefaultFormat(DefaultFormat)
	res := ingestFile(t, ix, "../testdata/malformed.log")
	snap := ix.Publish()
	st := snap.Sources[0]
	if res.Records != 2 || res.Headers != 1 || res.Blank != 1 {
		t.Fatalf("result %+v", res)
	}
	want := map[Reason]uint64{ReasonFieldCount: 2, ReasonNumber: 2, ReasonRange: 2, ReasonAddress: 1, ReasonEnum: 1, ReasonControl: 1}
	for r, n := range want {
		if st.Bad[r] != n {
			t.Errorf("%v: %d, want %d (samples %v)", r, st.Bad[r], n, st.Samples)
		}
	}
	if st.BadTotal() != 9 || len(st.Samples) != maxSamples {
		t.Fatalf("total %d samples %d", st.BadTotal(), len(st.Samples))
	}
	last := st.Samples[len(st.Samples)-1]
	if last.Line != 11 || last.Reason != ReasonControl || strings.ContainsRune(last.Excerpt, 0x1b) {
		t.Fatalf("last sample %+v", last)
	}
	// the record after the mid-file header is still read
	sg := snap.Segs[0]
	if got := snap.Text(sg, 1, FieldDstAddr); got != "10.0.5.53" {
		t.Fatalf("row after header: %s", got)
	}
	if pv := snap.Provenance(sg, 1); pv.Line != 13 {
		t.Fatalf("line of last row = %d, want 13", pv.Line)
	}
}

// genRecordLines makes lines that exercise every storage path: absent
// values, IPv6, overflowing packets/bytes, end far from start or before it,
// NODATA rows, and a second format with a mid-stream header.
func genRecordLines(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]string, 0, n+2)
	for i := 0; i < n; i++ {
		if i == n/2 {
			out = append(out, "version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction tgw-id")
		}
		st := 1717236000 + r.IntN(86400)
		end := st + r.IntN(600)
		pk := fmt.Sprint(r.IntN(1000))
		by := fmt.Sprint(r.IntN(1 << 20))
		switch r.IntN(50) {
		case 0:
			by = "98765432109876"
		case 1:
			pk = "4294967295"
		case 2:
			end = st + 100000
		case 3:
			end = st - 5
		}
		src := fmt.Sprintf("10.%d.%d.%d", r.IntN(3), r.IntN(4), r.IntN(200))
		if r.IntN(10) == 0 {
			src = fmt.Sprintf("2001:db8::%x", r.IntN(300))
		}
		dst := fmt.Sprintf("198.51.100.%d", r.IntN(50))
		act := []string{"ACCEPT", "REJECT"}[r.IntN(2)]
		if i < n/2 {
			if r.IntN(20) == 0 {
				out = append(out, fmt.Sprintf("2 111122223333 eni-%d - - - - - - - %d %d - NODATA", r.IntN(5), st, end))
				continue
			}
			out = append(out, fmt.Sprintf("2 111122223333 eni-%d %s %s %d %d 6 %s %s %d %d %s OK", r.IntN(5), src, dst, r.IntN(65536), r.IntN(1024), pk, by, st, end, act))
		} else {
			flags := fmt.Sprint(r.IntN(32))
			if r.IntN(5) == 0 {
				flags = "-"
			}
			out = append(out, fmt.Sprintf("5 %s %s %d %d 17 %s %s %d %d %s OK %s egress tgw-%d", src, dst, r.IntN(65536), r.IntN(1024), pk, by, st, end, act, flags, r.IntN(3)))
		}
	}
	return out
}

func TestIndexManySegmentsRoundTrip(t *testing.T) {
	segs := 4
	if testing.Short() {
		segs = 3
	}
	lines := genRecordLines((segs-1)*SegmentRows+123, 42)
	ix := NewIndex(0)
	// random ports and counts that no sample could tell apart
	ix.SetDefaultFormat(DefaultFormat)
	data := []byte(strings.Join(lines, "\n") + "\n")
	// feed in uneven batches, publishing in between
	for off := 0; off < len(data); {
		end := min(off+1+rand.IntN(200_000), len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		ix.Ingest(&Batch{Source: "gen", Data: data[off:end]})
		ix.Publish()
		off = end
	}
	snap := ix.Publish()
	var want []string
	f := DefaultFormat
	for _, l := range lines {
		if IsHeaderLine([]byte(l)) {
			f = MustParseFormat(l)
			continue
		}
		want = append(want, normalise(t, f, l))
	}
	if snap.Rows() != len(want) || len(snap.Segs) != segs {
		t.Fatalf("rows %d segs %d, want %d", snap.Rows(), len(snap.Segs), len(want))
	}
	k := 0
	var rec Record
	SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
		got := string(snap.AppendLine(nil, sg, i))
		if got != want[k] {
			t.Fatalf("row %d:\n got %s\nwant %s", k, got, want[k])
		}
		snap.Record(sg, i, &rec)
		var parts []string
		ei := 0
		for _, fld := range rec.Format.Fields {
			if fld == FieldUnknown {
				parts = append(parts, string(rec.Extra[ei]))
				ei++
				continue
			}
			parts = append(parts, rec.Text(fld))
		}
		if strings.Join(parts, " ") != want[k] {
			t.Fatalf("Record row %d: %v", k, parts)
		}
		k++
		return true
	})
	if sel := SelectAll(snap); sel.Count != len(want) {
		t.Fatal(sel.Count)
	}
	// Nth agrees with ForEach
	sel := SelectAll(snap)
	for _, n := range []int{0, 1, SegmentRows - 1, SegmentRows, len(want) - 1} {
		sg, i, ok := sel.Nth(n)
		if !ok || string(snap.AppendLine(nil, sg, i)) != want[n] {
			t.Fatalf("Nth(%d)", n)
		}
	}
}

func TestIndexEvictionKeepsRollups(t *testing.T) {
	lines := genLines(6*SegmentRows, 3)
	ix := NewIndex(8 << 20) // room for a few segments only
	ix.Ingest(&Batch{Source: "gen", Data: lines})
	snap := ix.Publish()
	if snap.Evicted == 0 || snap.Memory-snap.Dict > snap.Budget {
		t.Fatalf("evicted %d memory %d budget %d", snap.Evicted, snap.Memory, snap.Budget)
	}
	if uint64(snap.Rows())+snap.Evicted != 6*SegmentRows || snap.First != snap.Evicted {
		t.Fatalf("rows %d + evicted %d", snap.Rows(), snap.Evicted)
	}
	var flows, bytesSum uint64
	for _, b := range snap.Rollups(0, 1<<40, 3600) {
		tot := b.Total()
		flows += tot.Flows
		bytesSum += tot.Bytes
	}
	var wantBytes uint64
	p := NewParser(nil)
	var rec Record
	for _, l := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		p.Parse(l, &rec)
		wantBytes += rec.Num[numSlot[FieldBytes]]
	}
	if flows != 6*SegmentRows || bytesSum != wantBytes {
		t.Fatalf("rollups: flows %d bytes %d, want %d %d", flows, bytesSum, 6*SegmentRows, wantBytes)
	}
	if _, _, ok := snap.Locate(0); ok {
		t.Fatal("evicted row still located")
	}
}

// TestIndexConcurrentReaders runs readers over snapshots while the writer
// appends; run with -race.
func TestIndexConcurrentReaders(t *testing.T) {
	ix := NewIndex(16 << 20)
	n := 4 * SegmentRows
	if testing.Short() {
		n = 2 * SegmentRows // the readers still meet sealed segments and a growing one
	}
	lines := genRecordLines(n, 9)
	data := []byte(strings.Join(lines, "\n") + "\n")
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				snap := ix.Snapshot()
				n := 0
				SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
					if !snap.Absent(sg, i, FieldSrcPort) {
						_, _ = sg.Uint(FieldEnd, i)
					}
					_ = snap.AppendLine(nil, sg, i)
					n++
					return n < 20000
				})
				if g, err := Group(snap, nil, GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}}, Metrics: []Metric{{Kind: MetricBytes}}, Top: 5}); err != nil || g.Count != snap.Rows() {
					t.Error("group during ingest", err)
					return
				}
			}
		}()
	}
	for off := 0; off < len(data); {
		end := min(off+50_000, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		ix.Ingest(&Batch{Source: "gen", Data: data[off:end]})
		ix.Publish()
		off = end
	}
	close(done)
	wg.Wait()
}

func TestCodeTable(t *testing.T) {
	tb := newCodeTable(4)
	want := map[uint32]uint32{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 1; i <= 100000; i++ {
		k := r.Uint32()
		if _, ok := want[k]; ok {
			continue
		}
		want[k] = uint32(i)
		tb = tb.put(k, uint32(i))
	}
	for k, v := range want {
		if got := tb.get(k); got != v {
			t.Fatalf("get(%d) = %d, want %d", k, got, v)
		}
	}
	if tb.get(0) != 0 && want[0] == 0 {
		t.Fatal("missing key found")
	}
}

// TestAppendSteadyStateAllocs: once the values are in the dictionaries
// and the segment is open, appending a record allocates nothing, and
// ingesting a batch of known values allocates a few times per batch, never
// per line.
func TestAppendSteadyStateAllocs(t *testing.T) {
	data := genLines(2000, 5)
	ix := NewIndex(0)
	ix.Ingest(&Batch{Source: "s", Object: "o", Data: data})
	ix.Publish()

	p := NewParser(nil)
	var rec Record
	line, _ := CutLine(data)
	if k, r := p.Parse(line, &rec); k != LineRecord {
		t.Fatal(r)
	}
	pv := Prov{Source: ix.Source("s"), Object: ix.Object("o"), Line: 1}
	ix.Append(&rec, pv)
	if n := testing.AllocsPerRun(1000, func() {
		pv.Line++
		ix.Append(&rec, pv)
	}); n != 0 {
		t.Errorf("Append allocates %.2f times per record", n)
	}

	b := Batch{Source: "s", Object: "o", Data: data}
	if n := testing.AllocsPerRun(10, func() { ix.Ingest(&b) }); n > 4 {
		t.Errorf("Ingest of %d known lines allocates %.0f times", 2000, n)
	}
	if snap := ix.Publish(); snap.Rows() != 2000*12+1002 {
		t.Fatalf("rows %d", snap.Rows())
	}
}
