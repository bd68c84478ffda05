package filter

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// benchLines returns n default-format lines with the spread of model's
// benchmark generator: a few hundred interfaces, ten thousand source
// addresses, random destinations, skewed ports and sizes, 10% REJECT.
func benchLines(n int, r *rand.Rand, t *int64) []byte {
	ports := []int{443, 80, 22, 3389, 5432, 53, 8080, 6379, 9092, 123}
	out := make([]byte, 0, n*110)
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			*t++
		}
		eni := fmt.Sprintf("eni-%017x", r.IntN(300))
		src := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(40), 1+r.IntN(250))
		dst := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(220), r.IntN(256), r.IntN(256), 1+r.IntN(250))
		act := "ACCEPT"
		if r.IntN(10) == 0 {
			act = "REJECT"
		}
		pk := 1 + r.IntN(2000)
		line := "2 111122223333 " + eni + " " + src + " " + dst + " " + strconv.Itoa(1024+r.IntN(60000)) + " " +
			strconv.Itoa(ports[r.IntN(len(ports))]) + " 6 " + strconv.Itoa(pk) + " " + strconv.Itoa(pk*(40+r.IntN(1400))) + " " +
			strconv.FormatInt(*t, 10) + " " + strconv.FormatInt(*t+int64(r.IntN(60)), 10) + " " + act + " OK\n"
		out = append(out, line...)
	}
	return out
}

var (
	benchOnce sync.Once
	benchSnap *model.Snapshot
)

const benchRows = 10_000_000

// benchIndex builds (once) an index of 10M generated records.
func benchIndex(b *testing.B) *model.Snapshot {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 7))
		t := int64(1717236000)
		ix := model.NewIndex(16 << 30)
		for done := 0; done < benchRows; done += 500_000 {
			ix.Ingest(&model.Batch{Source: "bench", Data: benchLines(500_000, r, &t)})
		}
		benchSnap = ix.Publish()
	})
	if benchSnap.Rows() != benchRows {
		b.Fatalf("index has %d rows", benchSnap.Rows())
	}
	return benchSnap
}

// benchFilters are the benchmarked expressions with the column bytes each
// reads per row (for SetBytes).
var benchFilters = []struct {
	name, expr string
	bytes      int64
}{
	{"two-conditions", "action = REJECT and dstport = 22", 3},
	{"cidr-range-not", "srcaddr in 10.1.0.0/16 and dstport 1024-65535 and not action = REJECT", 7},
	{"net-not-port", "src net 10.0.0.0/8 and not dst port 443", 6},
	{"not-cidr-dst", "not dstaddr in 10.0.0.0/8 and dstport 1024-65535 and action = REJECT", 7},
	{"host-either", "host 10.1.2.3", 8},
	{"eni-glob", "interface-id = eni-00000000000000001*", 4},
	{"bytes-range", "bytes > 1MB and packets < 100", 8},
	{"start-recent", "start > -15m", 4},
	{"ports-list", "dstport in (22, 3389, 5432, 6379)", 2},
	{"tcp-or", "dstport = 22 or dstport = 3389 or action = REJECT", 3},
	{"leaf-cidr", "srcaddr in 10.1.0.0/16", 4},
	{"leaf-range16", "dstport 1024-65535", 2},
	{"leaf-eq16", "dstport = 22", 2},
	{"leaf-ne8", "not action = REJECT", 1},
	{"leaf-eq8", "action = REJECT", 1},
}

// BenchmarkEval evaluates filters from scratch over 10M rows on one core
// (per-code tables are built by the first run and reused after).
func BenchmarkEval(b *testing.B) {
	snap := benchIndex(b)
	for _, bf := range benchFilters {
		b.Run(bf.name, func(b *testing.B) {
			f, err := CompileAt(bf.expr, genNow)
			if err != nil {
				b.Fatal(err)
			}
			sel := f.Eval(snap, nil)
			b.ReportAllocs()
			b.SetBytes(bf.bytes * int64(snap.Rows()))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sel = f.Eval(snap, nil)
			}
			b.ReportMetric(float64(b.N)*float64(snap.Rows())/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(sel.Count), "matches")
		})
	}
}

// BenchmarkEvalFirst includes building the per-code tables (the first Eval
// of a freshly compiled filter, as after a keystroke).
func BenchmarkEvalFirst(b *testing.B) {
	snap := benchIndex(b)
	for _, bf := range benchFilters[1:3] {
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f, _ := CompileAt(bf.expr, genNow)
				f.Eval(snap, nil)
			}
			b.ReportMetric(float64(b.N)*float64(snap.Rows())/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkEvalIncremental evaluates only the last 4096 rows on top of a
// previous result over the other 10M (as in follow mode).
func BenchmarkEvalIncremental(b *testing.B) {
	snap := benchIndex(b)
	f, _ := CompileAt(benchFilters[1].expr, genNow)
	last := snap.Segs[len(snap.Segs)-1]
	partial := *snap
	partial.Segs = append(append([]*model.Seg(nil), snap.Segs[:len(snap.Segs)-1]...), last)
	partial.End = snap.End - 4096
	// a view of the last segment without its last 4096 rows
	prev := f.Eval(&partial, nil)
	prev.End = snap.End - 4096
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Eval(snap, prev)
	}
}

var compileExprs = []string{
	"action = REJECT and dstport = 22",
	"srcaddr in 10.1.0.0/16 and dstport 1024-65535 and not action = REJECT",
	"src net 10.0.0.0/8 and not dst port 443 or host 203.0.113.7 and proto tcp and tcp-flags has SYN and not tcp-flags has ACK",
	"interface-id = eni-0a1b* and flow-direction = egress and bytes > 10MB and start > -15m and end < 2024-06-01T11:00:00Z",
	"(port in (22, 3389, 5432, 6379, 9092, 123, 53, 80, 443, 8080) or dstport 1024-2048) and not (action = REJECT or log-status in (NODATA, SKIPDATA))",
	`interface-id ~ /^eni-0(a|b)[0-9a-f]+$/ and ${my-extra} != x* and source = "s3://bucket/*"`,
	"port in (1-3, 5-7, 9-11, 13-15, 17-19, 8000-8080) and not dstport in (100-200, 300-400, 500-600) and tcp-flags in (1, 3, 5, 7, 9) and interface-id ~ /^eni-(0a|0b|0c)[0-9a-f]{15}$/ and srcaddr in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 2001:db8::/32, fe80::/10)",
}

// BenchmarkCompile measures parse + check + compile of typical expressions.
func BenchmarkCompile(b *testing.B) {
	for i, expr := range compileExprs {
		b.Run(strconv.Itoa(i), func(b *testing.B) {
			b.ReportAllocs()
			for j := 0; j < b.N; j++ {
				if _, err := CompileAt(expr, genNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
