package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// runCmd runs the command line in-process and returns stdout, stderr and
// the exit status.
func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown flag", []string{"query", "--nope", "x"}, 2, "flag provided but not defined"},
		{"no source", []string{"query"}, 2, "no SOURCE"},
		{"bad output", []string{"query", "--output", "xml", "../../testdata/default.log"}, 2, "table, jsonl or csv"},
		{"bad group key", []string{"query", "--group-by", "dstprt", "../../testdata/default.log"}, 2, "did you mean dstport?"},
		{"bad metric", []string{"query", "--metrics", "avg", "../../testdata/default.log"}, 2, "want count"},
		{"bad since", []string{"query", "--since", "yesterday", "../../testdata/default.log"}, 2, "--since"},
		{"bad format", []string{"query", "--log-format", "${version", "../../testdata/default.log"}, 2, "--log-format"},
		{"bad memory", []string{"query", "--max-memory", "lots", "../../testdata/default.log"}, 2, "--max-memory"},
		{"missing file", []string{"query", "/nonexistent/flows.log"}, 1, "/nonexistent/flows.log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
	out, _, code := runCmd(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "flowlens ") {
		t.Fatalf("version %q", out)
	}
}
