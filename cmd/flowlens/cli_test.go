package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpExitsZero: every subcommand's --help (and -h) prints its usage
// on stdout and exits 0. Today's code exited 2 with "flag: help requested".
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"query", "--help"}, {"query", "-h"}, {"demo", "--help"}, {"--help"}, {"help"},
		{"query", "--filter", "x", "--help"}, {"s3://b/p", "--help"}} {
		out, errOut, code := runCmd(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage") || errOut != "" {
			t.Errorf("%q: exit %d, stdout %.80q, stderr %q", args, code, out, errOut)
		}
	}
	out, _, _ := runCmd(t, "", "query", "--help")
	for _, flag := range []string{"--strict", "--state", "--filter", "--stall-timeout", "--call-timeout", "--connect-timeout", "--response-timeout"} {
		if !strings.Contains(out, flag) {
			t.Errorf("query --help lacks %s", flag)
		}
	}
}

// TestMalformedRemoteSourcesAreUsageErrors: a malformed s3:// or
// cloudwatch:// is exit 2 with a message that says what is wrong.
func TestMalformedRemoteSourcesAreUsageErrors(t *testing.T) {
	for _, tc := range []struct{ spec, msg string }{
		{"s3://", "no bucket name"},
		{"s3:///prefix", "no bucket name"},
		{"s3://bu%cket/x", `holds '%'`},
		{"s3://a b/x", `holds ' '`},
		{"s3://ab/x", "3 to 63"},
		{"cloudwatch://", "no log group name"},
		{"cw://", "no log group name"},
		{"cloudwatch://vpc flow logs", "not ' '"},
		{"s3:my-bucket/vpc", "did you mean s3://my-bucket/vpc?"},
		{"cw:/vpc-flows", "did you mean cw://vpc-flows?"},
		{"gs://bucket/x", "unknown kind of source"},
	} {
		_, errOut, code := runCmd(t, "", "query", tc.spec)
		if code != 2 || !strings.Contains(errOut, tc.msg) || !strings.Contains(errOut, tc.spec) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.spec, code, errOut, tc.msg)
		}
	}
}

// TestMissingSourceAmongSeveral: a path that does not exist is reported,
// the other sources are still read and printed, and the exit status is 1.
func TestMissingSourceAmongSeveral(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", "/nonexistent/a.log", "../../testdata/default.log")
	if code != 1 || len(jsonLines(t, out)) != 10 {
		t.Fatalf("exit %d, %d records; want 1 and the 10 records of the other source", code, len(jsonLines(t, out)))
	}
	if !strings.Contains(errOut, "/nonexistent/a.log") || !strings.Contains(errOut, "the other sources are read") {
		t.Fatalf("stderr %q", errOut)
	}
	if strings.Contains(errOut, "/nonexistent/a.log: /nonexistent/a.log") {
		t.Fatalf("stderr repeats the path: %q", errOut)
	}
}

// TestIntervalZeroIsAUsageError: --interval 0 (or negative) is refused
// before anything runs. Today's code panicked in time.NewTicker.
func TestIntervalZeroIsAUsageError(t *testing.T) {
	for _, iv := range []string{"0", "0s", "-1s"} {
		_, errOut, code := runCmd(t, "", "query", "--follow", "--group-by", "srcaddr", "--interval", iv, "../../testdata/default.log")
		if code != 2 || !strings.Contains(errOut, "--interval") || strings.Contains(errOut, "panic") {
			t.Errorf("--interval %s: exit %d, stderr %q", iv, code, errOut)
		}
	}
}

// TestQueryDebugLog: --debug-log works for query: the sources log there,
// nothing of it reaches the terminal.
func TestQueryDebugLog(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "debug.log")
	data := filepath.Join(dir, "flows.log")
	body, _ := os.ReadFile("../../testdata/default.log")
	os.WriteFile(data, append(body, []byte(strings.Repeat("x", 20000)+"\n")...), 0o644)
	_, errOut, code := runCmd(t, "", "query", "--debug-log", logPath, "--output", "jsonl", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(logPath)
	if err != nil || len(got) == 0 {
		t.Fatalf("debug log %q: %v", got, err)
	}
	if strings.Contains(errOut, "flowlens 20") { // the log's prefix and date
		t.Fatalf("debug log on stderr: %q", errOut)
	}
}

// TestDirectoryDoesNotFollowSymlinksOut: a directory source reads the
// files in it and links within it, not a link to a file elsewhere, and
// says on stderr which link it did not follow.
func TestDirectoryDoesNotFollowSymlinksOut(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	body, _ := os.ReadFile("../../testdata/default.log")
	os.WriteFile(filepath.Join(logs, "a.log"), body, 0o644)
	os.Symlink("a.log", filepath.Join(logs, "current.log")) // inside: read (once: same file)
	secret := filepath.Join(dir, "secret.log")
	os.WriteFile(secret, body, 0o644)
	if err := os.Symlink(secret, filepath.Join(logs, "leak.log")); err != nil {
		t.Skip("no symlinks here")
	}
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", logs)
	if code != 0 || len(jsonLines(t, out)) != 10 {
		t.Fatalf("exit %d, %d records (want the 10 of a.log only): %s", code, len(jsonLines(t, out)), errOut)
	}
	// and says so: the link is not silently left out
	if !strings.Contains(errOut, "leak.log: a symlink to "+secret) || !strings.Contains(errOut, "not followed") {
		t.Fatalf("stderr %q: want the link out of the directory named", errOut)
	}
}
