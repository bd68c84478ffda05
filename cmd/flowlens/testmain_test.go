package main

import (
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
