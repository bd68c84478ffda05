package detect

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// benchLines returns n default-format lines shaped like the project's
// benchmark data (../shared/bench/gen): 50 interfaces, 2,000 private and
// 50,000 public peers with a Zipf skew, weighted service ports (DNS, SSH,
// RDP, databases), requests, egress and replies to ephemeral ports, ~5%
// REJECT (45% of SSH/RDP from outside), 1.5% NODATA, 0.2% SKIPDATA, over
// 24 hours in time order with jitter.
func benchLines(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type eni struct {
		id string
		ip uint32
	}
	enis := make([]eni, 50)
	for i := range enis {
		enis[i] = eni{fmt.Sprintf("eni-0%016x", r.Uint64()), 10<<24 | uint32(i%4)<<16 | uint32(r.IntN(254)+1)<<8 | uint32(r.IntN(254)+1)}
	}
	eniZ := rand.NewZipf(r, 1.3, 2, uint64(len(enis)-1))
	priv := make([]uint32, 2000)
	for i := range priv {
		priv[i] = 10<<24 | uint32(r.IntN(4))<<16 | uint32(r.IntN(256))<<8 | uint32(r.IntN(254)+1)
	}
	pub := make([]uint32, 50000)
	for i := range pub {
		for {
			a := uint32(r.IntN(223) + 1)
			if a == 10 || a == 127 || a == 172 || a == 192 || a == 100 || a == 169 {
				continue
			}
			pub[i] = a<<24 | uint32(r.IntN(256))<<16 | uint32(r.IntN(256))<<8 | uint32(r.IntN(254)+1)
			break
		}
	}
	privZ := rand.NewZipf(r, 1.1, 5, uint64(len(priv)-1))
	pubZ := rand.NewZipf(r, 1.05, 10, uint64(len(pub)-1))
	type svc struct {
		port  uint16
		proto uint8
		w     int
	}
	svcs := []svc{{443, 6, 40}, {80, 6, 12}, {53, 17, 14}, {22, 6, 6}, {3389, 6, 3}, {123, 17, 3}, {5432, 6, 4},
		{3306, 6, 3}, {6379, 6, 3}, {8080, 6, 4}, {9200, 6, 2}, {25, 6, 1}, {0, 1, 2}}
	var cum []int
	tot := 0
	for _, s := range svcs {
		tot += s.w
		cum = append(cum, tot)
	}
	ip := func(b []byte, v uint32) []byte {
		b = strconv.AppendUint(b, uint64(v>>24), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(v>>16&0xff), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(v>>8&0xff), 10)
		b = append(b, '.')
		return strconv.AppendUint(b, uint64(v&0xff), 10)
	}
	const start, day = 1718236800, 86400
	out := make([]byte, 0, n*120) // lines average 114 bytes: no regrowth of a GiB
	for i := 0; i < n; i++ {
		e := &enis[eniZ.Uint64()]
		t0 := start + int64(i)*day/int64(n) + int64(r.IntN(60)) - 30
		t1 := t0 + int64(r.IntN(60)+1)
		out = append(out, "2 123456789012 "...)
		out = append(out, e.id...)
		out = append(out, ' ')
		if u := r.IntN(1000); u < 17 {
			out = append(out, "- - - - - - - "...)
			out = strconv.AppendInt(out, t0, 10)
			out = append(out, ' ')
			out = strconv.AppendInt(out, t1, 10)
			if u < 15 {
				out = append(out, " - NODATA\n"...)
			} else {
				out = append(out, " - SKIPDATA\n"...)
			}
			continue
		}
		s := svcs[sort.SearchInts(cum, r.IntN(tot)+1)]
		public := r.IntN(100) < 45
		peer := priv[privZ.Uint64()]
		if public {
			peer = pub[pubZ.Uint64()]
		}
		eph := uint16(r.IntN(65535-32768) + 32768)
		var reject bool
		if public && (s.port == 22 || s.port == 3389) {
			reject = r.IntN(100) < 45
		} else {
			reject = r.IntN(1000) < 30
		}
		inbound := reject || r.IntN(2) == 0
		src, dst, sp, dp := peer, e.ip, eph, s.port
		if !inbound {
			if r.IntN(2) == 0 {
				src, dst = e.ip, peer
			} else {
				src, dst, sp, dp = e.ip, peer, s.port, eph
			}
		}
		if s.proto == 1 {
			sp, dp = 0, 0
		}
		pk := 1 + int(r.ExpFloat64()*20)
		by := pk * (60 + r.IntN(1400))
		if reject {
			pk = 1 + r.IntN(3)
			by = pk * (40 + r.IntN(24))
		}
		out = ip(out, src)
		out = append(out, ' ')
		out = ip(out, dst)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(sp), 10)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(dp), 10)
		out = append(out, ' ')
		out = strconv.AppendUint(out, uint64(s.proto), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(pk), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(by), 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, t0, 10)
		out = append(out, ' ')
		out = strconv.AppendInt(out, t1, 10)
		if reject {
			out = append(out, " REJECT OK\n"...)
		} else {
			out = append(out, " ACCEPT OK\n"...)
		}
	}
	return out
}

// benchIndex is n benchmark records (or the file FLOWLENS_BENCH_FILE, a
// file from ../shared/bench/gen), indexed once per process.
var benchIdx struct {
	sync.Mutex
	m map[int]*model.Index
}

func benchIndex(b *testing.B, n int) *model.Index {
	benchIdx.Lock()
	defer benchIdx.Unlock()
	if ix := benchIdx.m[n]; ix != nil {
		return ix
	}
	var data []byte
	if f := os.Getenv("FLOWLENS_BENCH_FILE"); f != "" {
		var err error
		if data, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	} else {
		data = benchLines(n, 42)
	}
	ix := model.NewIndex(4 << 30)
	p := model.NewPipeline(ix, runtime.GOMAXPROCS(0))
	const chunk = 4 << 20
	for off := 0; off < len(data); {
		end := min(off+chunk, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		p.Submit(&model.Batch{Source: "bench", Object: "flows", Data: data[off:end], EOF: end == len(data)}, nil)
		off = end
	}
	p.Close()
	ix.Publish()
	if benchIdx.m == nil {
		benchIdx.m = map[int]*model.Index{}
	}
	benchIdx.m[n] = ix
	return ix
}

// processCPU is the CPU time of the whole process: detections run on
// several goroutines, so the thread's own time would miss most of it.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFullPass runs every detection over a 10M-record index in one
// Update (budget: 1 s).
func BenchmarkFullPass(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("%dM", n/1_000_000), func(b *testing.B) {
			snap := benchIndex(b, n).Snapshot()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			var found int
			var state int64
			for i := 0; i < b.N; i++ {
				e := mustEngine(b, Config{})
				res := e.Update(snap)
				found, state = len(res.All), res.Memory
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(found), "findings")
			b.ReportMetric(float64(state)/(1<<20), "state-MiB")
			b.ReportMetric(float64(snap.Rows())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
		})
	}
}

// BenchmarkWhy diagnoses the busiest pair of the first segment (its two
// ends and destination port; one of the Zipf-skewed hot conversations)
// over a 10M-record index (budget: 100 ms); v2 logs, so whose each
// interface is comes from a scan of its records.
func BenchmarkWhy(b *testing.B) {
	snap := benchIndex(b, 10_000_000).Snapshot()
	type pair struct {
		src, dst uint32
		port     uint64
	}
	counts := map[pair]int{}
	var q WhyQuery
	best := 0
	sg := snap.Segs[0]
	src, dst := sg.Codes(model.FieldSrcAddr), sg.Codes(model.FieldDstAddr)
	for i := 0; i < sg.N; i++ {
		if src[i] == 0 || dst[i] == 0 {
			continue
		}
		p, _ := sg.Uint(model.FieldDstPort, i)
		k := pair{uint32(src[i]), uint32(dst[i]), p}
		if counts[k]++; counts[k] > best {
			best = counts[k]
			q = WhyQuery{Src: snap.Addrs[src[i]], Dst: snap.Addrs[dst[i]], Port: int(p)}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	var w *Why
	for i := 0; i < b.N; i++ {
		var err error
		if w, err = Diagnose(snap, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(w.Forward.Flows+w.Reverse.Flows), "records")
}

// BenchmarkEachDetection runs each detection alone over the 10M-record
// index, to show where a full pass spends its time (cpu-ns/op is the
// process's CPU, the runners of one detection included).
func BenchmarkEachDetection(b *testing.B) {
	snap := benchIndex(b, 10_000_000).Snapshot()
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			var found int
			for i := 0; i < b.N; i++ {
				e := mustEngine(b, Config{Only: []string{name}})
				found = len(e.Update(snap).All)
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(found), "findings")
		})
	}
}
