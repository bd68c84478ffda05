package source

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
)

var benchOnce struct {
	sync.Once
	dir        string
	plain, gz  string
	data, gzip []byte
}

const benchLines = 1_000_000

// benchFiles writes the benchmark inputs once per process: 1M lines as a
// plain file and as a gzip file.
func benchFiles(b *testing.B) (plain, gz string, data, gzData []byte) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flowlens-bench")
		if err != nil {
			panic(err)
		}
		benchOnce.dir = dir
		benchOnce.data = model.NewSynth(1).Append(nil, benchLines)
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.DefaultCompression)
		zw.Write(benchOnce.data)
		zw.Close()
		benchOnce.gzip = zb.Bytes()
		benchOnce.plain = filepath.Join(dir, "flows.log")
		benchOnce.gz = filepath.Join(dir, "flows.log.gz")
		if err := os.WriteFile(benchOnce.plain, benchOnce.data, 0o644); err != nil {
			panic(err)
		}
		if err := os.WriteFile(benchOnce.gz, benchOnce.gzip, 0o644); err != nil {
			panic(err)
		}
	})
	return benchOnce.plain, benchOnce.gz, benchOnce.data, benchOnce.gzip
}

// ingestFile reads path through a File source and a Mux into a fresh
// index and returns the number of records.
func ingestFile(b *testing.B, path string) int {
	src, err := NewFile(path, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	ix := model.NewIndex(4 << 30)
	if err := NewMux(ix, []Source{src}, MuxOptions{}).Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	return ix.Snapshot().Rows()
}

// BenchmarkFileIngest measures lines per second from a plain file through
// the file source, the mux and the index.
func BenchmarkFileIngest(b *testing.B) {
	plain, _, data, _ := benchFiles(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := ingestFile(b, plain); n != benchLines {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.N)*benchLines/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkFileRead measures the file source alone (emit discards).
func BenchmarkFileRead(b *testing.B) {
	plain, _, data, _ := benchFiles(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := NewFile(plain, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Run(context.Background(), func(model.Batch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchLines/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkGzipIngest measures lines per second from a gzip file through
// the file source, the mux and the index. SetBytes counts decompressed
// bytes, to compare with BenchmarkGzipDecode.
func BenchmarkGzipIngest(b *testing.B) {
	_, gz, data, _ := benchFiles(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := ingestFile(b, gz); n != benchLines {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.N)*benchLines/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkGzipDecode is the decoder's own rate on the same input: the
// ceiling for BenchmarkGzipIngest.
func BenchmarkGzipDecode(b *testing.B) {
	_, _, data, gzData := benchFiles(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zr, err := gzip.NewReader(bytes.NewReader(gzData))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*benchLines/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkSoakTail appends 10M records at full speed to a file that a
// following File source tails into an index capped at 64 MiB, and reports
// the peak index memory and the peak live Go heap above what the
// benchmark held before it started (its input lines, 110 MB): memory
// stays bounded while old segments are evicted. Run it with -benchtime=1x.
func BenchmarkSoakTail(b *testing.B) {
	const total, maxMem = 10_000_000, 64 << 20
	_, _, data, _ := benchFiles(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) * total / benchLines)
	var peakIndex, peakHeap uint64
	var evicted uint64
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	metrics.Read(live)
	base := live[0].Value.Uint64()
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "soak.log")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		o := DefaultOptions()
		o.Follow = true
		src, err := NewFile(path, o)
		if err != nil {
			b.Fatal(err)
		}
		ix := model.NewIndex(maxMem)
		m := NewMux(ix, []Source{src}, MuxOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()

		sampling := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // sample the heap while the soak runs
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-sampling:
					return
				case <-tick.C:
					metrics.Read(live)
					if v := live[0].Value.Uint64() - min(base, live[0].Value.Uint64()); v > peakHeap {
						peakHeap = v
					}
				}
			}
		}()
		go func() { // the writer: 1 MiB appends, as fast as the disk takes them
			for written := 0; written < total; written += benchLines {
				for off := 0; off < len(data); off += 1 << 20 {
					end := min(off+1<<20, len(data))
					if _, err := f.Write(data[off:end]); err != nil {
						panic(err)
					}
				}
			}
			f.Close()
		}()
		deadline := time.After(10 * time.Minute)
	wait:
		for {
			select {
			case s := <-m.Updates():
				if uint64(s.Memory) > peakIndex {
					peakIndex = uint64(s.Memory)
				}
				if s.End >= total {
					evicted = s.Evicted
					break wait
				}
			case <-deadline:
				b.Fatal("soak did not finish")
			}
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		close(sampling)
		wg.Wait()
		if st := m.Stats(); st.Records != total || st.Bad != 0 {
			b.Fatalf("stats %+v", st)
		}
	}
	b.ReportMetric(float64(b.N)*total/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(peakIndex)/(1<<20), "peak-index-MiB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-live-heap-MiB")
	b.ReportMetric(float64(evicted), "evicted-rows")
}

// BenchmarkIndexCeiling ingests the same lines straight into an index in
// 256 KiB batches on one goroutine: the ceiling for BenchmarkFileIngest.
func BenchmarkIndexCeiling(b *testing.B) {
	_, _, data, _ := benchFiles(b)
	chunks, _ := feed(string(data), 1<<20, 0, false)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := model.NewIndex(4 << 30)
		for _, c := range chunks {
			ix.Ingest(&model.Batch{Source: "bench", Object: "flows.log", Data: c.data, Line: c.line, Offset: c.off})
		}
		if ix.Publish().Rows() != benchLines {
			b.Fatal("rows")
		}
	}
	b.ReportMetric(float64(b.N)*benchLines/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkDemoGenerate measures how fast the demo formats records.
func BenchmarkDemoGenerate(b *testing.B) {
	g := newDemoGen(1, 1e6, time.Unix(1717236000, 0), time.Time{}, nil)
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := g.next()
		buf = r.appendLine(buf[:0], r.eni.vpc.v5)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
