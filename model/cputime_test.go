package model

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time used by the calling OS thread. Benchmarks
// lock their goroutine to a thread and report CPU time per op next to
// wall time: on this shared 2-core machine wall time swings with other
// load, CPU time much less.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimer measures the benchmark's own thread CPU time.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) *cpuTimer {
	runtime.LockOSThread()
	return &cpuTimer{b: b, start: threadCPU()}
}

// report adds a cpu-ns/op metric and, when perOp > 0, a per-item CPU rate.
func (c *cpuTimer) report(itemsPerOp float64, unit string) {
	d := threadCPU() - c.start
	runtime.UnlockOSThread()
	c.b.ReportMetric(float64(d.Nanoseconds())/float64(c.b.N), "cpu-ns/op")
	if itemsPerOp > 0 && d > 0 {
		c.b.ReportMetric(itemsPerOp*float64(c.b.N)/d.Seconds(), unit)
	}
}

// procTimer measures the CPU time of the whole process (every goroutine),
// for benchmarks that run several.
type procTimer struct {
	b     *testing.B
	start time.Duration
}

func procCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startProcCPU(b *testing.B) *procTimer { return &procTimer{b: b, start: procCPU()} }

// report adds a proc-cpu-ns/op metric.
func (c *procTimer) report() {
	c.b.ReportMetric(float64((procCPU()-c.start).Nanoseconds())/float64(c.b.N), "proc-cpu-ns/op")
}
