package model

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// genLines returns n lines of the shared synthetic generator.
func genLines(n int, seed uint64) []byte {
	return NewSynth(seed).Append(make([]byte, 0, n*120), n)
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

// BenchmarkPipeline1M is parse + append of 1M lines through the Pipeline
// in 256 KiB batches (a file source's size): with no workers (one core:
// the submitting goroutine parses and appends) and with GOMAXPROCS
// workers and one committer. proc-cpu-ns/op is the CPU time of the whole
// process; the two-core goal is records/s of the second at least 1.7
// times the first's.
func BenchmarkPipeline1M(b *testing.B) {
	data := genLines(1_000_000, 1)
	var batches [][]byte
	const chunk = 256 << 10
	for off := 0; off < len(data); {
		end := min(off+chunk, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		batches = append(batches, data[off:end])
		off = end
	}
	for _, workers := range []int{0, runtime.GOMAXPROCS(0)} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			cpu := startProcCPU(b)
			for i := 0; i < b.N; i++ {
				ix := NewIndex(4 << 30)
				p := NewPipeline(ix, workers)
				var line int64 = 1
				for _, d := range batches {
					p.Submit(&Batch{Source: "bench", Object: "flows.log", Data: d, Line: line}, nil)
					line += int64(bytes.Count(d, []byte{'\n'}))
				}
				p.Close()
				if s := ix.Publish(); s.Rows() != 1_000_000 {
					b.Fatal(s.Rows())
				}
			}
			b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
			cpu.report()
		})
	}
}

// BenchmarkGroupHeavy10M covers the high-cardinality questions of the TUI:
// conversation pairs (srcaddr, dstaddr: millions of groups on this data)
// and distinct counts per group (budget: 150 ms each on two cores).
// proc-cpu-ns/op is the CPU time of every goroutine.
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
			cpu := startProcCPU(b)
			for i := 0; i < b.N; i++ {
				if _, err := Group(snap, nil, q); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report()
		})
	}
}
