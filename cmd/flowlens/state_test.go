package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// seqLine is a default-format record carrying seq in its bytes field.
func seqLine(seq int) string {
	return fmt.Sprintf("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.%d 10.0.2.140 %d 443 6 1 %d 1717236000 1717236060 ACCEPT OK\n",
		seq%250, 1024+seq%60000, seq)
}

// seqsIn reads the bytes fields of a JSONL output file; a line that is
// not whole JSON fails the test (a kill must never leave half a record),
// except, while a query may be writing (live), the last, unfinished one.
func seqsIn(t *testing.T, path string, live bool) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if i := strings.LastIndexByte(string(data), '\n'); live {
		data = data[:i+1]
	}
	var out []int
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		var r struct{ Bytes int }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		out = append(out, r.Bytes)
	}
	return out
}

// TestStateSurvivesKill9: `query --follow --state` killed with SIGKILL
// again and again while the log grows and rotates (also while it is
// down) prints, over all its runs, every record exactly once and in
// order: positions are saved as the output is written, and each run
// resumes from them.
func TestStateSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "flows.log")
	statePath := filepath.Join(dir, "state.json")
	outPath := filepath.Join(dir, "out.jsonl")
	seq, gen := 0, 0
	write := func(n int) {
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(seqLine(seq))
			seq++
		}
		f.WriteString(b.String())
		f.Close()
	}
	rotate := func() { // rename rotation, numbered: nothing is ever deleted
		gen++
		if err := os.Rename(logPath, fmt.Sprintf("%s.%03d", logPath, gen)); err != nil {
			t.Fatal(err)
		}
	}
	start := func() (*os.Process, chan error) {
		out, err := os.OpenFile(outPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		cmd := flowlensCmd(t, "query", "--follow", "--state", statePath, "--output", "jsonl", logPath+"*")
		cmd.Stdout = out
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd.Process, done
	}
	waitOut := func(min int, what string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); len(seqsIn(t, outPath, true)) < min; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d records printed, want %d", what, len(seqsIn(t, outPath, true)), min)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	write(3000)
	for run := 0; run < 5; run++ {
		p, _ := start()
		before := len(seqsIn(t, outPath, true))
		waitOut(before+1, fmt.Sprintf("run %d", run))
		write(2000) // while it runs
		if run%2 == 1 {
			rotate()
			write(500)
		}
		time.Sleep(time.Duration(50*run) * time.Millisecond)
		p.Signal(syscall.SIGKILL)
		time.Sleep(50 * time.Millisecond)
		write(700) // while it is down
		if run == 2 {
			rotate()
			write(300)
		}
	}
	p, done := start()
	waitOut(seq, "the last run")
	p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the last run did not end on SIGTERM")
	}
	got := seqsIn(t, outPath, false)
	seen := map[int]int{}
	var dup []int
	for _, s := range got {
		if seen[s]++; seen[s] == 2 {
			dup = append(dup, s)
		}
	}
	var missing []int
	for s := 0; s < seq; s++ {
		if seen[s] == 0 {
			missing = append(missing, s)
		}
	}
	if len(dup) > 0 || len(missing) > 0 || len(got) != seq {
		t.Fatalf("%d records printed for %d written: repeated %v, missing %v", len(got), seq, head(dup), head(missing))
	}
	for i, s := range got {
		if s != i {
			t.Fatalf("record %d is %d: out of order", i, s)
		}
	}
	// A state file that is not one is refused, naming it.
	os.WriteFile(statePath, []byte("garbage"), 0o644)
	if _, errOut, code := runCmd(t, "", "query", "--state", statePath, logPath); code != 1 || !strings.Contains(errOut, "not a flowlens state file") {
		t.Fatalf("garbage state: exit %d, %q", code, errOut)
	}
}

func head(v []int) []int {
	if len(v) > 10 {
		return v[:10]
	}
	return v
}

// TestStateOneShotPrintsOnlyWhatIsNew: without --follow, --state makes a
// query print what was added since the last run (a cron job's increment).
func TestStateOneShotPrintsOnlyWhatIsNew(t *testing.T) {
	dir := t.TempDir()
	logPath, statePath := filepath.Join(dir, "flows.log"), filepath.Join(dir, "state.json")
	var b strings.Builder
	for i := 0; i < 10; i++ {
		b.WriteString(seqLine(i))
	}
	os.WriteFile(logPath, []byte(b.String()), 0o644)
	out, errOut, code := runCmd(t, "", "query", "--state", statePath, "--output", "jsonl", logPath)
	if code != 0 || len(jsonLines(t, out)) != 10 {
		t.Fatalf("first run: exit %d, %d records: %s", code, len(jsonLines(t, out)), errOut)
	}
	f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(seqLine(10) + seqLine(11))
	f.Close()
	out, errOut, code = runCmd(t, "", "query", "--state", statePath, "--output", "jsonl", logPath)
	recs := jsonLines(t, out)
	if code != 0 || len(recs) != 2 || recs[0]["bytes"] != 10.0 {
		t.Fatalf("second run: exit %d, %v: %s", code, recs, errOut)
	}
	if _, errOut, code := runCmd(t, "", "query", "--state", statePath, "--group-by", "srcaddr", logPath); code != 2 || !strings.Contains(errOut, "--state") {
		t.Fatalf("--state with --group-by: exit %d, %q", code, errOut)
	}
}
