package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryInfersFormats: headerless files in a custom format are read in
// the format their lines show, and stderr says so; a sample that cannot
// tell is refused with a hint, its lines counted as of an unknown format.
func TestQueryInfersFormats(t *testing.T) {
	dir := t.TempDir()
	v5, _ := os.ReadFile("../../testdata/v5.log")
	lines := strings.SplitAfter(strings.TrimSpace(string(v5)), "\n")
	headerless := filepath.Join(dir, "v5-no-header.log")
	os.WriteFile(headerless, []byte(strings.Join(lines[1:], "")+"\n"), 0o644)
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", headerless)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	if len(recs) != 4 || recs[0]["flow-direction"] != "ingress" || recs[0]["pkt-src-aws-service"] != "DYNAMODB" || recs[1]["traffic-path"] != 7.0 {
		t.Fatalf("records %v", recs)
	}
	if !strings.Contains(errOut, "inferred a custom format (v5, 29 fields: version srcaddr dstaddr srcport dstport protocol start end type packets bytes") {
		t.Errorf("stderr does not say what was inferred:\n%s", errOut)
	}

	// One line of the v7 ECS format: a 32-hex id and a "-" column that
	// could be several fields.
	v7, _ := os.ReadFile("../../testdata/v7-ecs.log")
	ecs := filepath.Join(dir, "ecs.log")
	os.WriteFile(ecs, []byte(strings.SplitAfter(string(v7), "\n")[1]), 0o644)
	out, errOut, code = runCmd(t, "", "query", "--output", "jsonl", ecs)
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"could not infer the format from 1 line", "pass --log-format", "1 bad line(s) skipped (1 unknown format)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// --log-format settles it.
	out, errOut, code = runCmd(t, "", "query", "--output", "jsonl", "--log-format", strings.TrimSpace(strings.SplitAfter(string(v7), "\n")[0]), ecs)
	if recs := jsonLines(t, out); code != 0 || len(recs) != 1 || recs[0]["ecs-cluster-name"] != "prod-cluster" || strings.Contains(errOut, "infer") {
		t.Fatalf("with --log-format: exit %d, %v, %s", code, recs, errOut)
	}
	// The default format, inferred, goes unsaid.
	_, errOut, _ = runCmd(t, "", "query", "--output", "jsonl", "../../testdata/default.log")
	if strings.Contains(errOut, "infer") || strings.Contains(errOut, "assumed") {
		t.Errorf("default format: stderr %q", errOut)
	}
}
