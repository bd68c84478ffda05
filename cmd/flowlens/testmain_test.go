package main

import (
	"flag"
	"math"
	"os"
	"os/exec"
	"testing"
)

// TestMain runs the tests, or, when FLOWLENS_TEST_MAIN is set, is the
// flowlens command itself: tests that need a real process (signals,
// kill -9) run the test binary as flowlens without building it again.
func TestMain(m *testing.M) {
	if os.Getenv("FLOWLENS_TEST_MAIN") == "1" {
		main()
		return
	}
	flag.Parse()
	if testing.Short() {
		// Commands run in this process, and a --max-memory as small as
		// 16MiB would set a Go memory limit of 8 MB over everything the
		// tests hold too: the collector would run nearly all the time
		// (3x the CPU of the eviction tests, more under -race). The
		// full run keeps the limit; TestMemoryBoundPTY measures a
		// process of its own.
		setMemoryLimit = func(int64) int64 { return math.MaxInt64 }
		// and the eviction tests evict from a quarter of the records
		// under a quarter of the smallest budget (coverage_test.go)
		minMemory, evictBudget, evictRows = 4<<20, "4MiB", 150_000
	}
	code := m.Run()
	for _, d := range coverageCleanup {
		os.RemoveAll(d)
	}
	stopFakeAWS() // engine_test.go
	os.Exit(code)
}

// flowlensCmd returns a command that runs flowlens with args in a process
// of its own.
func flowlensCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "FLOWLENS_TEST_MAIN=1")
	return cmd
}
