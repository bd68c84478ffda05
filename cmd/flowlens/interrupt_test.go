package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsExitNonZeroAndSayWhat: SIGINT exits 130 and SIGTERM 143,
// and stderr says what was interrupted and what the output covers, so a
// cron job that is stopped never looks like one that found no flows.
// Today's code exited 0 without a word.
func TestSignalsExitNonZeroAndSayWhat(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		t.Run(tc.name, func(t *testing.T) {
			// A one-shot count over stdin that never ends: the query is
			// waiting for the end of its input when the signal comes. On
			// a loaded machine the process may not have set up its signal
			// handling yet when the signal comes (it then dies of the
			// signal itself): try again, waiting longer.
			var stdout, stderr bytes.Buffer
			var err error
			for _, wait := range []time.Duration{300 * time.Millisecond, time.Second, 3 * time.Second} {
				cmd := flowlensCmd(t, "query", "--metrics", "count", "-")
				stdin, _ := cmd.StdinPipe()
				stdout.Reset()
				stderr.Reset()
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				body, _ := os.ReadFile("../../testdata/default.log")
				stdin.Write(body)
				time.Sleep(wait) // the lines are read; the input stays open
				cmd.Process.Signal(tc.sig)
				err = waitExit(t, cmd)
				stdin.Close()
				var ws syscall.WaitStatus
				if ee, ok := err.(*exec.ExitError); ok {
					ws, _ = ee.Sys().(syscall.WaitStatus)
				}
				if !ws.Signaled() {
					break
				}
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit %v, want %d; stderr %q", err, tc.code, stderr.String())
			}
			// The answer printed is the count of the records read, which
			// stderr states (all 10 unless the machine is very slow).
			msg := stderr.String()
			var n int
			if i := strings.Index(msg, "the output covers only the "); i >= 0 {
				fmt.Sscanf(msg[i+len("the output covers only the "):], "%d", &n)
			}
			if !strings.Contains(msg, "interrupted by "+tc.name+" while reading stdin") || !strings.Contains(msg, "records read before it") {
				t.Fatalf("stderr %q", msg)
			}
			if strings.TrimSpace(stdout.String()) != fmt.Sprintf(`{"count":%d}`, n) {
				t.Fatalf("stdout %q, stderr %q", stdout.String(), msg)
			}
		})
	}
	t.Run("following", func(t *testing.T) {
		cmd := flowlensCmd(t, "query", "--follow", "--output", "jsonl", "../../testdata/default.log")
		out, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for i := 0; i < 10; i++ {
			if !sc.Scan() {
				t.Fatalf("output ended after %d records", i)
			}
		}
		cmd.Process.Signal(syscall.SIGINT)
		var ee *exec.ExitError
		if err := waitExit(t, cmd); !errors.As(err, &ee) || ee.ExitCode() != 130 ||
			!strings.Contains(stderr.String(), "interrupted by SIGINT while reading ../../testdata/default.log (following)") {
			t.Fatalf("exit %v, stderr %q", err, stderr.String())
		}
	})
}

// waitExit waits for cmd, killing it after a generous deadline.
func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the process did not end")
		return nil
	}
}
