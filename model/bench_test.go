package model

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

// genLines returns n default-format lines with a realistic spread: 300
// interfaces, ~5,000 internal and ~60,000 external addresses with a skew,
// a handful of hot ports, 10% REJECT, one second of time per 1,000 lines.
func genLines(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	ports := []int{443, 80, 22, 3389, 5432, 53, 8080, 6379, 9092, 123}
	out := make([]byte, 0, n*112)
	t := int64(1717236000)
	addr := func(b []byte, internal bool) []byte {
		if internal {
			v := r.IntN(5000)
			b = append(b, "10."...)
			b = strconv.AppendInt(b, int64(v/1250), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(v/250%5), 10)
			b = append(b, '.')
			return strconv.AppendInt(b, int64(1+v%250), 10)
		}
		v := r.IntN(60000)
		if r.IntN(4) == 0 {
			v = r.IntN(500) // hot external peers
		}
		b = strconv.AppendInt(b, int64(1+v%220), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(v/220%256), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(v/56320), 10)
		b = append(b, '.')
		return strconv.AppendInt(b, int64(1+v%250), 10)
	}
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			t++
		}
		out = append(out, "2 111122223333 eni-"...)
		out = append(out, fmt.Sprintf("%017x", r.IntN(300))...)
		out = append(out, ' ')
		inbound := r.IntN(2) == 0
		out = addr(out, !inbound)
		out = append(out, ' ')
		out = addr(out, inbound)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(1024+r.IntN(60000)), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(ports[r.IntN(len(ports))]), 10)
		out = append(out, " 6 "...)
		pk := 1 + r.IntN(2000)
		out = strconv.AppendInt(out, int64(pk), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(pk*(40+r.IntN(1400))), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, t, 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, t+int64(r.IntN(60)), 10)
		if r.IntN(10) == 0 {
			out = append(out, " REJECT OK\n"...)
		} else {
			out = append(out, " ACCEPT OK\n"...)
		}
	}
	return out
}

var big struct {
	once sync.Once
	data []byte
	snap *Snapshot
}

// bigIndex returns 10M generated default-format records, indexed once per
// test binary run.
func bigIndex(b *testing.B) *Snapshot {
	big.once.Do(func() {
		big.data = genLines(10_000_000, 1)
		ix := NewIndex(8 << 30)
		ingestChunks(ix, big.data)
		big.snap = ix.Publish()
	})
	return big.snap
}

func ingestChunks(ix *Index, data []byte) {
	const chunk = 1 << 20
	for off := 0; off < len(data); {
		end := off + chunk
		if end > len(data) {
			end = len(data)
		} else {
			for data[end-1] != '\n' {
				end++
			}
		}
		ix.Ingest(&Batch{Source: "bench", Data: data[off:end]})
		off = end
	}
}

func BenchmarkParse(b *testing.B) {
	data := genLines(100_000, 1)
	lines := splitLines(data)
	p := NewParser(nil)
	var rec Record
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	b.ResetTimer()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if k, r := p.Parse(lines[i%len(lines)], &rec); k != LineRecord {
			b.Fatal(r)
		}
	}
	cpu.report(1, "cpu-records/s")
}

func BenchmarkIngest1M(b *testing.B) {
	data := genLines(1_000_000, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		ix := NewIndex(4 << 30)
		ingestChunks(ix, data)
		s := ix.Publish()
		if s.Rows() != 1_000_000 {
			b.Fatal(s.Rows())
		}
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
	cpu.report(1e6, "cpu-records/s")
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := 0
		for data[i] != '\n' {
			i++
		}
		out = append(out, data[:i+1])
		data = data[i+1:]
	}
	return out
}

// BenchmarkIndexMemory10M reports index bytes per record for 10M
// default-format records (the budget is 40).
func BenchmarkIndexMemory10M(b *testing.B) {
	snap := bigIndex(b)
	for i := 0; i < b.N; i++ {
		_ = snap.Rows()
	}
	b.ReportMetric(float64(snap.Memory)/float64(snap.Rows()), "bytes/record")
	b.ReportMetric(float64(snap.Dict)/float64(snap.Rows()), "dict-bytes/record")
}

// BenchmarkTop10BytesBySrcaddr10M is the DESIGN budget: top-10 sum(bytes)
// by srcaddr over 10M records in <= 25 ms.
func BenchmarkTop10BytesBySrcaddr10M(b *testing.B) {
	snap := bigIndex(b)
	q := GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr}}, Metrics: []Metric{{Kind: MetricBytes}}, Top: 10}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		res, err := Group(snap, nil, q)
		if err != nil || len(res.Rows) != 10 {
			b.Fatal(err)
		}
	}
	cpu.report(0, "")
	b.ReportMetric(float64(snap.Rows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGroupSrcaddr24Dstport10M groups by two keys through the hash path.
func BenchmarkGroupSrcaddr24Dstport10M(b *testing.B) {
	snap := bigIndex(b)
	q := GroupQuery{Keys: []GroupKey{{Field: FieldSrcAddr, Prefix: 24}, {Field: FieldDstPort}}, Metrics: []Metric{{Kind: MetricCount}, {Kind: MetricBytes}}, Top: 10}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Group(snap, nil, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipeline1M is BenchmarkIngest1M through the parallel Pipeline
// (GOMAXPROCS parsing goroutines, one committer).
func BenchmarkPipeline1M(b *testing.B) {
	data := genLines(1_000_000, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := NewIndex(4 << 30)
		p := NewPipeline(ix, 0)
		const chunk = 256 << 10
		for off := 0; off < len(data); {
			end := min(off+chunk, len(data))
			for end < len(data) && data[end-1] != '\n' {
				end++
			}
			p.Submit(&Batch{Source: "bench", Data: data[off:end]}, nil)
			off = end
		}
		p.Close()
		if s := ix.Publish(); s.Rows() != 1_000_000 {
			b.Fatal(s.Rows())
		}
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkGroupHeavy10M covers the high-cardinality questions of the TUI:
// conversation pairs (srcaddr, dstaddr: millions of groups on this data)
// and distinct counts per group.
func BenchmarkGroupHeavy10M(b *testing.B) {
	snap := bigIndex(b)
	for _, c := range []struct {
		name    string
		keys    []GroupKey
		metrics []Metric
	}{
		{"conversation-bytes", []GroupKey{{Field: FieldSrcAddr}, {Field: FieldDstAddr}}, []Metric{{Kind: MetricBytes}}},
		{"srcaddr-distinct-dstport", []GroupKey{{Field: FieldSrcAddr}}, []Metric{{Kind: MetricDistinct, Field: FieldDstPort}}},
		{"dstaddr-distinct-srcaddr", []GroupKey{{Field: FieldDstAddr}}, []Metric{{Kind: MetricDistinct, Field: FieldSrcAddr}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := GroupQuery{Keys: c.keys, Metrics: c.metrics, Top: 10}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Group(snap, nil, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
