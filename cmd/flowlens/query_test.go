package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestQueryJSONLContract(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", "../../testdata/default.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines", len(lines))
	}
	want0 := `{"version":2,"account-id":"111122223333","interface-id":"eni-0a1b2c3d4e5f60718","srcaddr":"10.0.1.25","dstaddr":"10.0.2.140","srcport":51514,"dstport":5432,"protocol":6,"packets":18,"bytes":3120,"start":1717236000,"end":1717236060,"action":"ACCEPT","log-status":"OK"}`
	if lines[0] != want0 {
		t.Fatalf("first line:\n got %s\nwant %s", lines[0], want0)
	}
	recs := jsonLines(t, out)
	if recs[5]["srcaddr"] != nil || recs[5]["log-status"] != "NODATA" || recs[5]["packets"] != nil {
		t.Fatalf("NODATA record: %v", recs[5])
	}
}

func TestQueryFormatsAndSources(t *testing.T) {
	t.Run("v5 header and gzip by magic bytes", func(t *testing.T) {
		dir := t.TempDir()
		gz, _ := os.ReadFile("../../testdata/s3-object.log.gz")
		p := filepath.Join(dir, "no-suffix") // the name says nothing: magic bytes decide
		os.WriteFile(p, gz, 0o644)
		out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", p, "../../testdata/v5.log")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		recs := jsonLines(t, out)
		if len(recs) != 14 {
			t.Fatalf("%d records", len(recs))
		}
		var v5 int
		for _, r := range recs {
			if r["version"] == 5.0 {
				v5++
				if _, ok := r["traffic-path"]; !ok {
					t.Fatalf("v5 record without traffic-path: %v", r)
				}
			}
		}
		if v5 != 4 {
			t.Fatalf("v5 records %d", v5)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		data, _ := os.ReadFile("../../testdata/v8.log")
		out, errOut, code := runCmd(t, string(data), "query", "--output", "jsonl", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		recs := jsonLines(t, out)
		if len(recs) != 2 || recs[0]["reject-reason"] != "BPA" || recs[1]["reject-reason"] != nil {
			t.Fatalf("records %v", recs)
		}
	})
	t.Run("log-format flag", func(t *testing.T) {
		in := "10.0.0.1 10.0.0.2 443 REJECT\n10.0.0.3 10.0.0.2 22 ACCEPT\n"
		out, errOut, code := runCmd(t, in, "query", "--output", "jsonl", "--log-format", "${srcaddr} ${dstaddr} ${dstport} ${action}", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, `{"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","dstport":443,"action":"REJECT"}`) {
			t.Fatal(out)
		}
	})
}

func TestQueryGroups(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", "--group-by", "srcaddr", "--metrics", "count,bytes", "--top", "2", "../../testdata/default.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	if len(recs) != 2 {
		t.Fatalf("groups %v", recs)
	}
	// 10.0.1.25 sends 3120+336+142+18400 bytes in 4 records
	if recs[0]["srcaddr"] != "10.0.1.25" || recs[0]["count"] != 4.0 || recs[0]["bytes"] != 21998.0 {
		t.Fatalf("top group %v", recs[0])
	}

	out, _, code = runCmd(t, "", "query", "--output", "csv", "--group-by", "action,dstport", "--metrics", "count", "../../testdata/default.log")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || strings.Join(rows[0], ",") != "action,dstport,count" {
		t.Fatalf("csv %q %v", out, err)
	}

	out, _, code = runCmd(t, "", "query", "--output", "jsonl", "--metrics", "count,bytes,distinct(dstaddr)", "../../testdata/default.log")
	if code != 0 || strings.TrimSpace(out) != `{"count":10,"bytes":37327,"distinct(dstaddr)":8}` {
		t.Fatalf("totals %q", out)
	}

	out, _, code = runCmd(t, "", "query", "--output", "table", "--group-by", "srcaddr", "--metrics", "bytes", "--top", "1", "../../testdata/default.log")
	if code != 0 || !strings.Contains(out, "srcaddr") || !strings.Contains(out, "share") || !strings.Contains(out, "more groups") {
		t.Fatalf("table %q", out)
	}
}

func TestQueryFilterAndTime(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", "--filter", "action = REJECT", "../../testdata/default.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if recs := jsonLines(t, out); len(recs) != 1 || recs[0]["dstport"] != 22.0 {
		t.Fatalf("%v", recs)
	}
	out, _, code = runCmd(t, "", "query", "--output", "jsonl", "--since", "2024-06-01T10:03:00Z", "../../testdata/default.log")
	if recs := jsonLines(t, out); code != 0 || len(recs) != 2 {
		t.Fatalf("since: %d records", len(recs))
	}
	// --since bounds every alternative of an or, and a stray parenthesis
	// is a filter error (it used to escape the range: the filter and the
	// range were joined as text, and 2024 records came out of --since 1h).
	out, _, code = runCmd(t, "", "query", "--output", "jsonl", "--since", "2024-06-01T10:03:00Z",
		"--filter", "action = REJECT or action = ACCEPT or log-status = NODATA", "../../testdata/default.log")
	if recs := jsonLines(t, out); code != 0 || len(recs) != 2 {
		t.Fatalf("since with an or: exit %d, %d records, want the 2 in range", code, len(recs))
	}
	out, errOut, code = runCmd(t, "", "query", "--output", "jsonl", "--since", "1h",
		"--filter", "action = REJECT) or (action = ACCEPT", "../../testdata/default.log")
	if code != 2 || out != "" || !strings.Contains(errOut, "unmatched )") ||
		!strings.Contains(errOut, "  action = REJECT) or (action = ACCEPT\n                 ^") {
		t.Fatalf("stray parenthesis: exit %d, stdout %q, stderr %q; want exit 2, nothing printed, the caret under )", code, out, errOut)
	}
	_, errOut, code = runCmd(t, "", "query", "--filter", "dstprt = 22", "../../testdata/default.log")
	if code != 2 || !strings.Contains(errOut, "^") || !strings.Contains(errOut, "dstport") {
		t.Fatalf("filter error: exit %d %q", code, errOut)
	}
	out, _, code = runCmd(t, "", "query", "--filter", "action = REJECT and dstport = 22", "--explain", "athena")
	if code != 0 || !strings.Contains(out, "SELECT") || !strings.Contains(out, "22") {
		t.Fatalf("explain %d %q", code, out)
	}
}

func TestQueryBadInput(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", "../../testdata/malformed.log")
	if code != 0 {
		t.Fatalf("bad lines must not fail the run: exit %d", code)
	}
	if n := len(jsonLines(t, out)); n != 2 {
		t.Fatalf("%d good records", n)
	}
	for _, want := range []string{"malformed.log", "9 bad line(s)", "wrong field count", "malformed.log:3: wrong field count (15 fields, format has 14)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.ContainsRune(errOut, 0x1b) {
		t.Error("escape byte reached stderr")
	}
}

// TestQueryFollow streams matching records as a file grows and rotates,
// without a limit, until the query is interrupted.
func TestQueryFollow(t *testing.T) {
	lines, _ := os.ReadFile("../../testdata/default.log")
	all := strings.SplitAfter(strings.TrimSpace(string(lines)), "\n")
	path := filepath.Join(t.TempDir(), "flows.log")
	os.WriteFile(path, []byte(strings.Join(all[:3], "")), 0o644) // holds the REJECT on 22

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseContext = func() context.Context { return ctx }
	defer func() { baseContext = context.Background }()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"query", "--follow", "--output", "jsonl",
			"--filter", "action = REJECT or dstport = 53", path}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	watchdog := time.AfterFunc(30*time.Second, func() { pr.CloseWithError(io.ErrUnexpectedEOF) })
	defer watchdog.Stop()
	sc := bufio.NewScanner(pr)
	next := func(want string) {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("stream ended before %q", want)
		}
		if !strings.Contains(sc.Text(), want) {
			t.Fatalf("got %s, want a record with %s", sc.Text(), want)
		}
	}
	next(`"dstport":22`)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(strings.Join(all[3:], "")) // appended: the DNS flow matches
	f.Close()
	next(`"dstport":53`)
	os.Rename(path, path+".1") // rotated: the new file's REJECT is read too
	os.WriteFile(path, []byte(strings.Join(all[:2], "")), 0o644)
	next(`"dstport":22`)
	cancel() // as SIGINT would
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an interrupted follow did not end")
	}
}
