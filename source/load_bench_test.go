package source

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
)

// loadFile is the file BenchmarkLoad reads: FLOWLENS_BENCH_FILE, or the
// 10M-line file of ../shared/bench/gen (go run ../shared/bench/gen/main.go
// -n 10000000 -o /tmp/flows-10m.log).
func loadFile(b *testing.B) string {
	path := os.Getenv("FLOWLENS_BENCH_FILE")
	if path == "" {
		path = "/tmp/flows-10m.log"
	}
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no benchmark file: %v", err)
	}
	return path
}

// BenchmarkLoad loads a big flow-log file (10M lines by default) into an
// index the way the explorer does (file source, mux, pipeline, the Go
// memory limit set from the budget as cmd/flowlens sets it) and reports
// the rate, the process CPU time, the index's own bytes and the process's
// peak resident memory against them (goal: at most 1.3). Compare the wall
// time with DuckDB's CREATE TABLE AS SELECT * FROM read_csv in the same
// conditions (../shared/bench/compare.sh, duckdb-load+abc; goal: at most
// 0.4 of it). Run it alone (-run XXX -bench Load -benchtime 1x), so the
// peak is the load's.
func BenchmarkLoad(b *testing.B) {
	path := loadFile(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var rows int
	var mem int64
	var peak, rss uint64
	cpu0 := procCPU()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		t0 := time.Now()
		src, err := NewFile(path, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		budget := model.NewBudget(model.DefaultMaxMemory) // as the explorer and query share --max-memory out
		ix := model.NewIndex(budget.Index)
		limit := debug.SetMemoryLimit(budget.Limit)
		if err := NewMux(ix, []Source{src}, MuxOptions{}).Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		snap := ix.Snapshot()
		b.ReportMetric(time.Since(t0).Seconds(), "load-s")
		debug.SetMemoryLimit(limit)
		rows, mem = snap.Rows(), snap.Memory
		peak, rss = procStatus("VmHWM"), procStatus("VmRSS")
		if snap.Evicted != 0 {
			b.Fatalf("evicted %d rows", snap.Evicted)
		}
	}
	b.ReportMetric(float64(b.N)*float64(rows)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64((procCPU()-cpu0).Nanoseconds())/float64(b.N), "proc-cpu-ns/op")
	b.ReportMetric(float64(mem)/(1<<20), "index-MiB")
	b.ReportMetric(float64(mem)/float64(rows), "bytes/record")
	b.ReportMetric(float64(peak)/float64(mem), "peak-rss/index")
	b.ReportMetric(float64(rss)/float64(mem), "rss/index")
}

// procCPU is the CPU time of the whole process so far.
func procCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a size field of /proc/self/status, in bytes (0 if the
// system has none).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS starts VmHWM over from the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkGzipDirIngest reads a directory of four gzip files (1M lines
// in all) through the file source, the mux and the index, and reports the
// lines per second next to the decoder's own rate over the same files
// (decode-lines/s, one file after the other): the goal is at least 80% of
// it, several files being decoded at once.
func BenchmarkGzipDirIngest(b *testing.B) {
	_, _, data, _ := benchFiles(b)
	dir := b.TempDir()
	var parts [][]byte
	for i, off := 0, 0; i < 4; i++ {
		end := len(data) * (i + 1) / 4
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.DefaultCompression)
		zw.Write(data[off:end])
		zw.Close()
		parts = append(parts, zb.Bytes())
		if err := os.WriteFile(filepath.Join(dir, "part"+strconv.Itoa(i)+".log.gz"), zb.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		off = end
	}
	t0 := time.Now()
	for _, p := range parts {
		zr, _ := gzip.NewReader(bytes.NewReader(p))
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	decode := float64(benchLines) / time.Since(t0).Seconds()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := ingestFile(b, dir); n != benchLines {
			b.Fatalf("%d rows", n)
		}
	}
	rate := float64(b.N) * benchLines / b.Elapsed().Seconds()
	b.ReportMetric(rate, "lines/s")
	b.ReportMetric(decode, "decode-lines/s")
	b.ReportMetric(rate/decode, "of-decode")
}
