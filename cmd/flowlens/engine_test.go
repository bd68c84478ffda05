package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The engine commands as a user runs them: against the fakeaws command
// (S3, CloudWatch Logs with Logs Insights, Athena), started as its own
// process. The engines' states, paging, throttling and cancellation are
// tested in source; these tests check the command line around them.

var fakeaws struct {
	once sync.Once
	url  string
	err  string
	cmd  *exec.Cmd
	dir  string
}

// stopFakeAWS stops the fakeaws process the tests started (TestMain calls it).
func stopFakeAWS() {
	if fakeaws.cmd != nil {
		fakeaws.cmd.Process.Kill()
		fakeaws.cmd.Wait()
	}
	if fakeaws.dir != "" {
		os.RemoveAll(fakeaws.dir)
	}
}

// startFakeAWS builds and starts fakeaws once for the package's tests and
// returns its endpoint.
func startFakeAWS(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the fakeaws command")
	}
	fakeaws.once.Do(func() {
		dir, err := os.MkdirTemp("", "flowlens-fakeaws")
		if err != nil {
			fakeaws.err = err.Error()
			return
		}
		fakeaws.dir = dir
		bin := filepath.Join(dir, "fakeaws")
		if out, err := exec.Command("go", "build", "-o", bin, "../../source/internal/fakeaws").CombinedOutput(); err != nil {
			fakeaws.err = "go build fakeaws: " + err.Error() + "\n" + string(out)
			return
		}
		cmd := exec.Command(bin, "-hours", "2", "-records", "40", "-query-time", "300ms")
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			fakeaws.err = err.Error()
			return
		}
		fakeaws.cmd = cmd
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "ENDPOINT="); ok {
				fakeaws.url = u
				break
			}
		}
		go func() { // drain until TestMain stops it
			for sc.Scan() {
			}
		}()
		if fakeaws.url == "" {
			fakeaws.err = "fakeaws printed no ENDPOINT"
		}
	})
	if fakeaws.err != "" {
		t.Fatal(fakeaws.err)
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull} {
		t.Setenv(k, v)
	}
	return fakeaws.url
}

func TestEngineAthenaMatchesLocal(t *testing.T) {
	ep := startFakeAWS(t)
	// a fixed window an hour back, so both runs read the same records
	until := time.Now().UTC().Add(-40 * time.Minute).Truncate(time.Minute)
	since := until.Add(-50 * time.Minute)
	window := []string{"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339)}
	athena := []string{"query", "--endpoint-url", ep, "--engine", "athena", "--athena-database", "flowlogs", "--athena-workgroup", "flowlens"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"groups", []string{"--group-by", "srcaddr/20,interface-id", "--metrics", "count,bytes,distinct(dstaddr)", "--output", "csv"}},
		{"top", []string{"--group-by", "interface-id", "--metrics", "bytes", "--top", "3", "--output", "jsonl"}},
		{"totals", []string{"--filter", "srcaddr in 10.0.0.0/17", "--metrics", "count,packets", "--output", "jsonl"}},
		{"records", []string{"--filter", "srcaddr in 10.0.0.0/9", "--limit", "100000", "--output", "jsonl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// (the engines do not add EC2 names: compare without them)
			local := append(append([]string{"query", "--no-enrich", "--endpoint-url", ep, "s3://flowlogs/"}, window...), tc.args...)
			want, errOut, code := runCmd(t, "", local...)
			if code != 0 {
				t.Fatalf("local: exit %d: %s", code, errOut)
			}
			for _, table := range []string{"vpc_flow_logs", "vpc_flow_logs_parquet"} {
				args := append(append(append([]string(nil), athena...), window...), tc.args...)
				args = append(args, "--athena-table", table)
				got, errOut, code := runCmd(t, "", args...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", table, code, errOut)
				}
				if sortedLines(strings.TrimSpace(got)) != sortedLines(strings.TrimSpace(want)) && table == "vpc_flow_logs" {
					t.Errorf("%s answered\n%s\nlocal\n%s", table, got, want)
				}
				if !strings.Contains(errOut, "athena query ") || !strings.Contains(errOut, "scanned") || !strings.Contains(errOut, "~$") {
					t.Errorf("no summary with the scan and its cost on stderr:\n%s", errOut)
				}
				if strings.TrimSpace(got) == "" {
					t.Errorf("%s: empty answer", table)
				}
			}
		})
	}
	// the same question again is answered from the first one's results
	args := append(append(append([]string(nil), athena...), window...), "--group-by", "dstport", "--output", "csv")
	runCmd(t, "", args...)
	_, errOut, _ := runCmd(t, "", args...)
	if !strings.Contains(errOut, "answered from an identical query's results") {
		t.Errorf("result reuse not reported:\n%s", errOut)
	}
	_, errOut, _ = runCmd(t, "", append(args, "--athena-reuse", "0")...)
	if strings.Contains(errOut, "identical query") {
		t.Errorf("--athena-reuse 0 reused:\n%s", errOut)
	}
}

func TestEngineCommandLine(t *testing.T) {
	ep := startFakeAWS(t)
	athena := []string{"query", "--endpoint-url", ep, "--engine", "athena", "--athena-database", "flowlogs", "--athena-workgroup", "flowlens"}
	t.Run("explain prints the statement and its scope", func(t *testing.T) {
		out, errOut, code := runCmd(t, "", append(athena, "--athena-table", "vpc_flow_logs_hive", "--since", "2h", "--group-by", "hour", "--explain", "athena")...)
		if code != 0 || !strings.Contains(out, `FROM "flowlogs"."vpc_flow_logs_hive"`) || !strings.Contains(out, "hour >= ") ||
			!strings.Contains(out, "-- reads: Athena") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("insights groups", func(t *testing.T) {
		out, errOut, code := runCmd(t, "", "query", "--endpoint-url", ep, "--engine", "insights", "cloudwatch://vpc-flow-logs",
			"--since", "1h", "--group-by", "interface-id", "--metrics", "count,bytes", "--top", "3", "--output", "jsonl")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		recs := jsonLines(t, out)
		if len(recs) != 3 || recs[0]["interface-id"] == nil || recs[0]["count"] == nil || recs[0]["bytes"] == nil {
			t.Errorf("answer %v", recs)
		}
		for _, want := range []string{"insights Running", "insights query ", "records matched"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
	})
	t.Run("insights records, default range noted", func(t *testing.T) {
		out, errOut, code := runCmd(t, "", "query", "--endpoint-url", ep, "--engine", "insights", "cw://vpc-flow-logs", "--limit", "5", "--output", "jsonl")
		if code != 0 || len(jsonLines(t, out)) != 5 || !strings.Contains(errOut, "no --since: reading the last 1h0m0s") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if strings.Contains(errOut, "showing the first") {
			t.Errorf("a cut the user asked for (--limit 5) is noted as if it were not:\n%s", errOut)
		}
	})
	t.Run("max-scan stops the query", func(t *testing.T) {
		_, errOut, code := runCmd(t, "", append(athena, "--athena-reuse", "0", "--max-scan", "1KB", "--group-by", "srcaddr")...)
		if code != 1 || !strings.Contains(errOut, "past --max-scan 1.0 KB; StopQueryExecution sent") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("ctrl+c stops the query and exits 130", func(t *testing.T) {
		cmd := flowlensCmd(t, append(athena[:len(athena):len(athena)], "--athena-reuse", "0", "--group-by", "dstaddr")...)
		var errb strings.Builder
		pr, pw := io.Pipe()
		cmd.Stderr = io.MultiWriter(&errb, pw)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "athena RUNNING") {
				cmd.Process.Signal(syscall.SIGINT)
				break
			}
		}
		go io.Copy(io.Discard, pr)
		err := cmd.Wait()
		pw.Close()
		code := cmd.ProcessState.ExitCode()
		if code != 130 || !strings.Contains(errb.String(), "interrupted by SIGINT: athena query ") ||
			!strings.Contains(errb.String(), "CANCELLED: interrupted; StopQueryExecution sent") {
			t.Fatalf("exit %d (%v):\n%s", code, err, errb.String())
		}
	})
	t.Run("interrupt stops the query", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		baseContext = func() context.Context { return ctx }
		defer func() { baseContext = context.Background }()
		// Interrupted once the query has started (its first progress state),
		// not after a fixed time a loaded machine may not have reached it in.
		errb := &cancelOnWrite{cancel: cancel}
		var out bytes.Buffer
		args := append(athena, "--athena-reuse", "0", "--group-by", "dstaddr")
		code := run(args, strings.NewReader(""), &out, errb)
		if errOut := errb.String(); code == 0 || !strings.Contains(errOut, "CANCELLED") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing table", append(athena, "--athena-table", "nope"), 1, "Table nope not found"},
		{"no database", []string{"query", "--endpoint-url", ep, "--engine", "athena"}, 2, "--athena-database"},
		{"no output location", []string{"query", "--endpoint-url", ep, "--engine", "athena", "--athena-database", "flowlogs", "--since", "1h"}, 1, "--athena-output"},
		{"sources with athena", append(athena, "s3://flowlogs/"), 2, "not SOURCE arguments"},
		{"insights needs groups", []string{"query", "--engine", "insights", "flows.log"}, 2, "cloudwatch://LOG_GROUP"},
		{"source pseudo-field", append(athena, "--filter", "source = x"), 2, "cannot test source = x"},
		{"bad engine", []string{"query", "--engine", "bigquery", "x"}, 2, "want local, athena or insights"},
		{"follow", append(athena, "--follow"), 2, "answers once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
}

func TestAthenaDDLCommand(t *testing.T) {
	ep := startFakeAWS(t)
	out, errOut, code := runCmd(t, "", "athena-ddl", "--endpoint-url", ep, "--bucket", "s3://flowlogs/hive/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"CREATE EXTERNAL TABLE IF NOT EXISTS vpc_flow_logs (", "`end` bigint",
		"PARTITIONED BY (accid string, region_p string, year string, month string, day string, hour string)",
		"LOCATION 's3://flowlogs/hive/AWSLogs/'", "'projection.accid.values'='111122223333'",
		"aws-account-id=${accid}/aws-service=vpcflowlogs/aws-region=${region_p}/year=${year}/month=${month}/day=${day}/hour=${hour}"} {
		if !strings.Contains(out, want) {
			t.Errorf("DDL lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "found Hive hourly layout, text objects") {
		t.Errorf("stderr %q", errOut)
	}
	out, _, code = runCmd(t, "", "athena-ddl", "--no-list", "--bucket", "s3://b/pre/fix", "--parquet", "--accounts", "1,2", "--regions", "eu-west-1")
	if code != 0 || !strings.Contains(out, "STORED AS PARQUET") || !strings.Contains(out, "'projection.accid.values'='1,2'") ||
		!strings.Contains(out, "LOCATION 's3://b/pre/fix/AWSLogs/'") || strings.Contains(out, "skip.header") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if out, _, code := runCmd(t, "", "athena-ddl", "--help"); code != 0 || !strings.Contains(out, "Usage: flowlens athena-ddl") {
		t.Errorf("--help: exit %d %q", code, out)
	}
	if _, errOut, code := runCmd(t, "", "athena-ddl"); code != 2 || !strings.Contains(errOut, "--bucket") {
		t.Errorf("no bucket: exit %d %q", code, errOut)
	}
}

// cancelOnWrite is a stderr that calls cancel at the first progress line
// (QUEUED or RUNNING: the query was started).
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel func()
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if s := w.buf.String(); strings.Contains(s, "QUEUED") || strings.Contains(s, "RUNNING") {
		w.cancel()
	}
	return len(p), nil
}

func (w *cancelOnWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
