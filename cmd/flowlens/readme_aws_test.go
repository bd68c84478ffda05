package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMETryItWithoutAWS runs the README's "Trying it without AWS"
// commands as written: it builds and starts the fake AWS, exports what the
// README exports, and runs each `go run ./cmd/flowlens query ...` line.
// Each must print records, and the CloudWatch one (whose --since is pushed
// down as `end >= ...`, which the fake once read as `end = ...`) only
// records of the last 30 minutes.
func TestREADMETryItWithoutAWS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the fake AWS")
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, "Trying it without AWS, against the in-process fakes")
	if i < 0 {
		t.Fatal("README lacks the try-it section")
	}
	block := readme[i:]
	block = block[strings.Index(block, "```sh\n")+6:]
	block = block[:strings.Index(block, "```")]
	var exports []string
	var queries [][]string
	for _, l := range strings.Split(block, "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		switch {
		case len(f) > 1 && f[0] == "export":
			exports = f[1:]
		case len(f) > 3 && strings.Join(f[:3], " ") == "go run ./cmd/flowlens":
			queries = append(queries, f[3:])
		}
	}
	if len(queries) < 2 || len(exports) == 0 {
		t.Fatalf("README block: exports %q, queries %q", exports, queries)
	}

	bin := filepath.Join(t.TempDir(), "fakeaws")
	if out, err := exec.Command("go", "build", "-o", bin, "../../source/internal/fakeaws").CombinedOutput(); err != nil {
		t.Fatalf("go build fakeaws: %v\n%s", err, out)
	}
	fake := exec.Command(bin, "-hours", "2")
	stdout, _ := fake.StdoutPipe()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Process.Kill(); fake.Wait() })
	endpoint := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "ENDPOINT="); ok {
			endpoint = e
			break
		}
	}
	if endpoint == "" {
		t.Fatal("fakeaws printed no ENDPOINT")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	for _, kv := range exports {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	for _, q := range queries {
		args := make([]string, len(q))
		for k, a := range q {
			args[k] = strings.ReplaceAll(a, "$ENDPOINT", endpoint)
		}
		t0 := time.Now()
		out, errOut, code := runCmd(t, "", args...)
		recs := jsonLines(t, out)
		if code != 0 || len(recs) == 0 {
			t.Fatalf("%q: exit %d, %d records, stderr %q", q, code, len(recs), errOut)
		}
		if strings.Contains(strings.Join(q, " "), "--since 30m") {
			for _, r := range recs {
				if end, _ := r["end"].(float64); int64(end) < t0.Add(-30*time.Minute).Unix()-1 {
					t.Fatalf("%q: a record ending at %v, before the last 30 minutes", q, r["end"])
				}
			}
		}
		t.Logf("%s: %d records", strings.Join(q, " "), len(recs))
	}

	// A count over CloudWatch (a scan, with the window pushed down as
	// `end >= ... && end <= ...`) agrees with the records printed over the
	// same window, and is not 0: the fake once read >= as =, and
	// `cw://vpc-flow-logs --since 2h --metrics count` answered {"count":0}.
	until := time.Now().Truncate(time.Second)
	win := []string{"--endpoint-url", endpoint, "cw://vpc-flow-logs",
		"--since", until.Add(-2 * time.Hour).UTC().Format(time.RFC3339), "--until", until.UTC().Format(time.RFC3339)}
	out, errOut, code := runCmd(t, "", append([]string{"query", "--output", "jsonl"}, win...)...)
	recs := jsonLines(t, out)
	if code != 0 || len(recs) == 0 {
		t.Fatalf("records over 2h: exit %d, %d records, stderr %q", code, len(recs), errOut)
	}
	out, errOut, code = runCmd(t, "", append([]string{"query", "--metrics", "count", "--output", "jsonl"}, win...)...)
	if want := fmt.Sprintf(`{"count":%d}`, len(recs)); code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("count over 2h: exit %d, %s, want %s; stderr %q", code, out, want, errOut)
	}
}
