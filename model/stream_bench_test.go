package model_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// processCPU returns the CPU time used by the whole process so far: a
// scan works on several goroutines, and on this shared machine CPU time
// swings much less with other load than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScan1M runs the questions of ../shared/bench/compare.sh (a
// count, a filtered count, a top-10 by srcaddr) through a streaming scan
// over 1M synthetic lines in 256 KiB batches, as a file source delivers
// them, on every core. cpu-ns/op is the process's CPU time.
func BenchmarkScan1M(b *testing.B) {
	data := model.NewSynth(1).Append(nil, 1_000_000)
	mustKey := func(s string) model.GroupKey {
		k, err := model.ParseGroupKey(s)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	mustMetric := func(s string) model.Metric {
		m, err := model.ParseMetric(s)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	totals := model.GroupQuery{Keys: []model.GroupKey{mustKey("action")}, Metrics: []model.Metric{mustMetric("count")}}
	cases := []struct {
		name   string
		q      model.GroupQuery
		filter string
	}{
		{"count", totals, ""},
		{"rejectSSH", totals, "action = REJECT and dstport = 22"},
		{"top10Srcaddr", model.GroupQuery{Keys: []model.GroupKey{mustKey("srcaddr")}, Metrics: []model.Metric{mustMetric("bytes")}, Top: 10}, ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := filter.MustCompile(c.filter)
			sq := model.ScanQuery{Group: c.q, FilterFields: f.Fields()}
			if !f.Empty() {
				sq.Filter = f.Selector
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				s, err := model.NewScan(model.NewIndex(0), sq)
				if err != nil {
					b.Fatal(err)
				}
				p := s.Pipeline()
				const batch = 256 << 10
				for off := 0; off < len(data); {
					end := min(off+batch, len(data))
					for end < len(data) && data[end-1] != '\n' {
						end++
					}
					p.Submit(&model.Batch{Source: "bench", Data: data[off:end]}, nil)
					off = end
				}
				p.Close()
				res, err := s.Result()
				if err != nil || res.Count == 0 {
					b.Fatal(res, err)
				}
			}
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N)*1e6/cpu.Seconds(), "cpu-records/s")
			b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
		})
	}
}
