package source

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used, every thread.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadRun is the outcome of sending prepared requests from several
// senders at once.
type loadRun struct {
	elapsed   time.Duration
	latencies []time.Duration
	failures  []string
}

// loadBodies prepares n requests of per records each, numbered from 0 in
// the bytes field, plain or gzip-compressed.
func loadBodies(tb testing.TB, n, per int, zip bool) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		q := fhReq{id: fmt.Sprintf("load-%d", i), records: direct(i*per, per)}
		bodies[i] = q.encode()
		if zip {
			bodies[i] = gz(tb, bodies[i])
		}
	}
	return bodies
}

// sendLoad posts bodies from senders goroutines, each taking the next
// body in turn, and times every answer. Request i carries id load-i;
// retry makes every retry-th request go out twice (a lost 200).
func sendLoad(r *receiver, bodies [][]byte, senders int, zip bool, retry int) loadRun {
	client := &http.Client{Timeout: 3 * time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: senders, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var mu sync.Mutex
	var run loadRun
	var wg sync.WaitGroup
	t0 := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				times := 1
				if retry > 0 && i%retry == 0 {
					times = 2
				}
				for range times {
					req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(bodies[i]))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set(hdrRequestID, fmt.Sprintf("load-%d", i))
					req.Header.Set(hdrSourceARN, testARN)
					if zip {
						req.Header.Set("Content-Encoding", "gzip")
					}
					s := time.Now()
					resp, err := client.Do(req)
					var status int
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						status = resp.StatusCode
					}
					d := time.Since(s)
					mu.Lock()
					run.latencies = append(run.latencies, d)
					if err != nil || status != http.StatusOK {
						run.failures = append(run.failures, fmt.Sprintf("request %d: %d %v", i, status, err))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	run.elapsed = time.Since(t0)
	return run
}

func (l loadRun) p99() time.Duration {
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)*99+99)/100-1]
}

// checkExactlyOnce checks that the index holds each of 0..total-1 once.
func checkExactlyOnce(tb testing.TB, r *receiver, total int) {
	tb.Helper()
	seqs, _ := r.indexed(tb, total)
	r.settle()
	seqs, _ = r.indexed(tb, total)
	seen := make([]uint8, total)
	var lost, doubled, stray int
	for _, s := range seqs {
		if s < 0 || s >= total {
			stray++
			continue
		}
		seen[s]++
	}
	for _, n := range seen {
		switch {
		case n == 0:
			lost++
		case n > 1:
			doubled++
		}
	}
	if lost+doubled+stray > 0 || len(seqs) != total {
		tb.Fatalf("%d rows for %d records: %d lost, %d doubled, %d stray", len(seqs), total, lost, doubled, stray)
	}
}

// TestFirehoseConcurrentSenders sends from several senders at once, with
// one request in five retried, and checks every numbered line is in the
// index exactly once.
func TestFirehoseConcurrentSenders(t *testing.T) {
	const n, per, senders = 60, 500, 6
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", zip), func(t *testing.T) {
			r := startReceiver(t, FirehoseOptions{}, nil)
			run := sendLoad(r, loadBodies(t, n, per, zip), senders, zip, 5)
			if len(run.failures) > 0 {
				t.Fatalf("%d failed: %v", len(run.failures), run.failures[0])
			}
			checkExactlyOnce(t, r, n*per)
			if d := counter(r.f.Status(), "duplicates"); d != n/5 {
				t.Errorf("%d duplicates, want %d", d, n/5)
			}
		})
	}
}

// BenchmarkFirehoseLoad posts requests of 5,000 direct records (about
// 1 MiB of JSON, plain or gzip) from 4 senders over loopback into a real
// mux and index, and reports records/s and the p99 response time; every
// line is numbered, and the run fails if one is lost or doubled. Each
// iteration is one request.
func BenchmarkFirehoseLoad(b *testing.B) {
	const per, senders = 5000, 4
	for _, zip := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%v", zip), func(b *testing.B) {
			bodies := loadBodies(b, b.N, per, zip)
			var size int64
			for _, body := range bodies {
				size += int64(len(body))
			}
			r := startReceiver(b, FirehoseOptions{}, nil)
			b.SetBytes(size / int64(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			run := sendLoad(r, bodies, senders, zip, 0)
			cpu := processCPU() - cpu0
			b.StopTimer()
			if len(run.failures) > 0 {
				b.Fatalf("%d failed: %v", len(run.failures), run.failures[0])
			}
			checkExactlyOnce(b, r, b.N*per)
			b.ReportMetric(float64(b.N*per)/run.elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(run.p99().Microseconds())/1000, "p99-ms")
			// The machine is shared: CPU time, the senders' included, says
			// more than wall time about what the receiver costs.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*per)/cpu.Seconds(), "records/cpu-s")
		})
	}
}

// BenchmarkFirehoseDecode measures the receiver's own work on one request
// of 5,000 direct records (JSON scan, base64, records to lines), without
// HTTP and the index: one iteration is one request.
func BenchmarkFirehoseDecode(b *testing.B) {
	const per = 5000
	body := fhReq{id: "d", records: direct(0, per)}.encode()
	f := &Firehose{opts: FirehoseOptions{MaxBody: 64 << 20}}
	var recs [][]byte
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		req, err := parseFhBody(body, recs)
		if err != nil {
			b.Fatal(err)
		}
		recs = req.Records[:0]
		l, _, err := f.decodeRecords(testARN, req.Records)
		if err != nil || l.lines != per {
			b.Fatal(err, l.lines)
		}
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*per), "cpu-ns/record")
}
