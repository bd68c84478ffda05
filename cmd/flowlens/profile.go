package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiling starts the profiles a developer asked for through the
// environment, for measuring a slow command as a user runs it:
// FLOWLENS_CPUPROFILE=FILE writes a CPU profile (go tool pprof), and
// FLOWLENS_TRACE=FILE an execution trace (go tool trace), which shows
// where cores sit idle. The returned function stops them and closes the
// files; a profile that cannot start is reported on stderr and skipped.
func startProfiling(stderr io.Writer) func() {
	var stops []func()
	open := func(env string) *os.File {
		name := os.Getenv(env)
		if name == "" {
			return nil
		}
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintf(stderr, "flowlens: %s: %v\n", env, err)
			return nil
		}
		return f
	}
	if f := open("FLOWLENS_CPUPROFILE"); f != nil {
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "flowlens: FLOWLENS_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, pprof.StopCPUProfile)
		}
		stops = append(stops, func() { f.Close() })
	}
	if f := open("FLOWLENS_TRACE"); f != nil {
		if err := trace.Start(f); err != nil {
			fmt.Fprintf(stderr, "flowlens: FLOWLENS_TRACE: %v\n", err)
		} else {
			stops = append(stops, trace.Stop)
		}
		stops = append(stops, func() { f.Close() })
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
