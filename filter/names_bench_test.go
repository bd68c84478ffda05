package filter

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/flowlens/flowlens/model/vpc"
)

// benchNames names 10,000 of the benchmark index's source addresses
// (web-N and db-N by turns) and its 300 interfaces.
func benchNames() *vpc.Config {
	p := vpc.Parts{Names: map[string]string{}}
	n := 0
	for a := 0; a < 4 && n < 10000; a++ {
		for b := 0; b < 40 && n < 10000; b++ {
			for c := 1; c <= 250 && n < 10000; c++ {
				kind := "web"
				if n%2 == 1 {
					kind = "db"
				}
				p.Names[netip.AddrFrom4([4]byte{10, byte(a), byte(b), byte(c)}).String()] = fmt.Sprintf("%s-%d", kind, n)
				n++
			}
		}
	}
	for i := 0; i < 300; i++ {
		p.Names[fmt.Sprintf("eni-%017x", i)] = fmt.Sprintf("host-%d", i)
	}
	return vpc.NewConfig(p)
}

// BenchmarkNameFilter evaluates name filters over 10M rows (compiled once,
// per-code tables reused, as BenchmarkEval) beside an address filter of
// about the same selectivity, and measures the compile that resolves
// 10,000 names.
func BenchmarkNameFilter(b *testing.B) {
	snap := benchIndex(b)
	names := benchNames()
	for _, bf := range []struct{ name, expr string }{
		{"src-name-glob", "src-name = web-*"},
		{"name-either", "name = db-1*"},
		{"src-name-and-reject", "src-name = web-* and action = REJECT"},
		{"address-cidr", "srcaddr in 10.0.0.0/16"},
	} {
		b.Run(bf.name, func(b *testing.B) {
			f, err := CompileOptions(bf.expr, Options{Now: genNow, Names: names})
			if err != nil {
				b.Fatal(err)
			}
			sel := f.Eval(snap, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sel = f.Eval(snap, nil)
			}
			b.ReportMetric(float64(b.N)*float64(snap.Rows())/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(sel.Count), "matches")
		})
	}
	b.Run("compile-10k-names", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := CompileOptions("name = web-*", Options{Now: genNow, Names: names}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
