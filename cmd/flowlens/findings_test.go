package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/source"
)

var demoStart = time.Date(2024, 6, 1, 10, 0, 30, 0, time.UTC)

// demoSnapshot runs the demo (seed 1, 100 records a second) from since
// to demoStart into an index and returns its snapshot.
func demoSnapshot(t *testing.T, since time.Duration, incidents []string) *model.Snapshot {
	t.Helper()
	opts := source.DefaultOptions()
	opts.Seed, opts.Rate, opts.Incidents = 1, 100, incidents
	opts.Now = func() time.Time { return demoStart }
	opts.Since = demoStart.Add(-since)
	ix := model.NewIndex(0)
	mux := source.NewMux(ix, []source.Source{source.NewDemo(opts)}, source.MuxOptions{})
	if err := mux.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ix.Snapshot()
}

func findingLine(f *detect.Finding) string {
	return f.Severity.String() + " " + f.Detection + " " + f.Src.String() + " > " + f.Target() + ": " + f.Summary
}

// TestDemoIncidentsFound: over half an hour of the demo, every scripted
// incident is found by its detections with the right source and target,
// "why" gives its verdict, and every finding above low belongs to one.
func TestDemoIncidentsFound(t *testing.T) {
	snap := demoSnapshot(t, 30*time.Minute, nil)
	eng, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	all := eng.Update(snap).All
	for _, inc := range source.DemoIncidents() {
		for _, det := range inc.Detections {
			found := false
			for _, f := range all {
				if f.Detection != det ||
					(inc.Src != "" && f.Src != netip.MustParseAddr(inc.Src)) ||
					(inc.Dst != "" && f.Dst.IsValid() && f.Dst != netip.MustParseAddr(inc.Dst)) ||
					(inc.Port != 0 && f.Port >= 0 && f.Port != inc.Port) ||
					(inc.Interface != "" && f.Interface != inc.Interface) {
					continue
				}
				found = true
			}
			if !found {
				t.Errorf("%s: no %s finding for %s > %s:%d %s", inc.Name, det, inc.Src, inc.Dst, inc.Port, inc.Interface)
			}
		}
		if inc.Verdict == "" {
			continue
		}
		port := inc.Port
		if port == 0 {
			port = -1
		}
		w, err := detect.Diagnose(snap, detect.WhyQuery{Src: netip.MustParseAddr(inc.Src), Dst: netip.MustParseAddr(inc.Dst), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		if w.Verdict != inc.Verdict {
			t.Errorf("%s: why %s %s --port %d: %s, want %s\n%s", inc.Name, inc.Src, inc.Dst, port, w.Verdict, inc.Verdict, w.Explanation)
		}
	}
	for _, f := range all {
		if f.Severity <= detect.SevLow {
			continue
		}
		owned := false
		for _, inc := range source.DemoIncidents() {
			if slices.Contains(inc.Detections, f.Detection) && (slices.Contains(inc.Hosts, f.Src.String()) || f.Src.String() == inc.Src || f.Interface == inc.Interface && f.Interface != "") {
				owned = true
			}
		}
		if !owned {
			t.Errorf("a finding above low that no incident explains: %s", findingLine(f))
		}
	}
}

// TestDemoQuiet: an hour of the demo's everyday traffic raises nothing
// above low at the default thresholds.
func TestDemoQuiet(t *testing.T) {
	snap := demoSnapshot(t, time.Hour, []string{})
	eng, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Update(snap)
	var low int
	for _, f := range res.All {
		if f.Severity > detect.SevLow {
			t.Errorf("%s", findingLine(f))
		} else {
			low++
		}
	}
	t.Logf("%d records, %d low findings", snap.Rows(), low)
	for _, f := range res.All {
		if strings.Contains(f.Detection, "scan") || strings.Contains(f.Detection, "sweep") {
			t.Errorf("everyday traffic looks like a scan: %s", findingLine(f))
		}
	}
}

func TestFindingsCommand(t *testing.T) {
	out, errOut, code := runCmd(t, "", "findings", "--seed", "1", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The detections' memory is said, as --max-memory does not bound it.
	if !strings.Contains(errOut, "the detections held about ") || !strings.Contains(errOut, "B beside the index") {
		t.Errorf("stderr does not say the detections' memory:\n%s", errOut)
	}
	lines := jsonLines(t, out)
	if len(lines) < 8 {
		t.Fatalf("%d findings:\n%s", len(lines), out)
	}
	keys := []string{"detection", "severity", "srcaddr", "dstaddr", "dstport", "first", "last", "flows", "bytes", "evidence", "summary"}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var at []int
		for _, k := range keys {
			at = append(at, strings.Index(l, `"`+k+`":`))
		}
		if !slices.IsSorted(at) || at[0] != 1 {
			t.Errorf("keys out of order: %s", l)
		}
	}
	for _, m := range lines {
		if len(m) != len(keys) {
			t.Errorf("keys %v", m)
		}
		if _, err := time.Parse(time.RFC3339, m["last"].(string)); err != nil {
			t.Errorf("last: %v", err)
		}
		if m["detection"] == "port-sweep" && (m["dstaddr"] != nil || m["dstport"] != float64(22)) {
			t.Errorf("sweep: %v", m)
		}
	}
	if m := lines[0]; m["severity"] != "high" {
		t.Errorf("not most severe first: %v", m)
	}

	_, errOut, code = runCmd(t, "", "findings", "--seed", "1", "--fail-on", "high", "demo")
	if code != 3 || !strings.Contains(errOut, "--fail-on high reached") {
		t.Errorf("--fail-on high: exit %d, %s", code, errOut)
	}
	out, _, code = runCmd(t, "", "findings", "--seed", "1", "--fail-on", "high", "--detections", "logging-gap,blocked-internal", "demo")
	if code != 0 || len(jsonLines(t, out)) == 0 {
		t.Errorf("--fail-on high over lower findings: exit %d\n%s", code, out)
	}
	out, _, _ = runCmd(t, "", "findings", "--seed", "1", "--severity", "high", "demo")
	for _, m := range jsonLines(t, out) {
		if m["severity"] != "high" {
			t.Errorf("--severity high printed %v", m)
		}
	}
	for _, bad := range [][]string{
		{"--threshold", "port-scan.port=3"}, {"--threshold", "port-scan.ports=x"}, {"--fail-on", "severe"},
		{"--detections", "port-scam"}, {"--output", "csv"},
	} {
		if _, errOut, code := runCmd(t, "", append(append([]string{"findings"}, bad...), "demo")...); code != 2 {
			t.Errorf("%v: exit %d (%s)", bad, code, errOut)
		}
	}
	if out, _, code := runCmd(t, "", "findings", "--help"); code != 0 || !strings.Contains(out, "--fail-on") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	// A raised threshold makes a finding go away.
	out, _, _ = runCmd(t, "", "findings", "--seed", "1", "--detections", "port-scan", "--threshold", "port-scan.ports=5000", "demo")
	if strings.TrimSpace(out) != "" {
		t.Errorf("port-scan.ports=5000 still finds:\n%s", out)
	}
}

func TestWhyCommand(t *testing.T) {
	out, errOut, code := runCmd(t, "", "why", "10.0.21.14", "10.0.30.10", "--port", "5432", "--seed", "1", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if m["verdict"] != "blocked-at-destination-inbound" || m["source"] != "10.0.21.14" || m["port"] != float64(5432) {
		t.Errorf("%s", out)
	}
	for _, k := range []string{"forward", "reverse", "evidence", "explanation", "cannot-tell", "confirm"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	out, _, code = runCmd(t, "", "why", "10.0.20.12", "10.0.31.20", "--port", "6379", "--output", "text", "--seed", "1", "demo")
	if code != 0 || !strings.Contains(out, "REPLY-BLOCKED-AT-DESTINATION") || !strings.Contains(out, "aws ec2 create-network-insights-path --source eni-") {
		t.Errorf("exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"why", "10.0.0.1", "demo"}, {"why", "10.0.0.1", "nowhere", "demo"}, {"why", "10.0.0.1", "10.0.0.2"}, {"why", "10.0.0.1", "10.0.0.2", "--port", "70000", "demo"}} {
		if _, errOut, code := runCmd(t, "", bad...); code != 2 {
			t.Errorf("%v: exit %d (%s)", bad, code, errOut)
		}
	}
}

// TestFindingsFollow: a brute force that grows while the file is followed
// is printed when found and again when it grows; --fail-on then stops the
// run with status 3.
func TestFindingsFollow(t *testing.T) {
	data, _ := os.ReadFile("../../model/detect/testdata/brute.log")
	var attack []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.Contains(l, " 198.51.100.23 ") {
			attack = append(attack, l)
		}
	}
	path := filepath.Join(t.TempDir(), "flows.log")
	os.WriteFile(path, []byte(strings.Join(attack[:20], "")), 0o644) // 20 attempts: a finding

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseContext = func() context.Context { return ctx }
	defer func() { baseContext = context.Background }()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"findings", "--follow", "--interval", "50ms", "--output", "jsonl", "--fail-on", "high",
			"--threshold", "brute-force.high-attempts=24", path}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	watchdog := time.AfterFunc(30*time.Second, func() { pr.CloseWithError(io.ErrUnexpectedEOF) })
	defer watchdog.Stop()
	sc := bufio.NewScanner(pr)
	next := func(want ...string) {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("stream ended before %q", want)
		}
		for _, w := range want {
			if !strings.Contains(sc.Text(), w) {
				t.Fatalf("got %s, want %s", sc.Text(), w)
			}
		}
	}
	next(`"detection":"brute-force"`, `"severity":"medium"`, `"flows":20`)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(strings.Join(attack[20:], "")) // 25 in all: high at 24
	f.Close()
	next(`"severity":"high"`, `"flows":25`)
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != 3 {
			t.Fatalf("exit %d, want 3", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("--fail-on did not end the follow")
	}
}

func TestQueryPreset(t *testing.T) {
	out, errOut, code := runCmd(t, "", "query", "--seed", "1", "--preset", "rejected conversations", "--top", "1", "--output", "jsonl", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := jsonLines(t, out)
	if len(lines) != 1 || lines[0]["srcaddr"] == nil || lines[0]["dstaddr"] == nil || lines[0]["count"] == nil {
		t.Errorf("%s", out)
	}
	// The preset's filter joins --filter; its key yields to --group-by.
	out, _, code = runCmd(t, "", "query", "--seed", "1", "--preset", "REJECTED SOURCES", "--filter", "dstport = 22 or dstport = 3389",
		"--group-by", "dstport", "--output", "jsonl", "demo")
	for _, m := range jsonLines(t, out) {
		if p := m["dstport"]; code != 0 || (p != float64(22) && p != float64(3389)) {
			t.Errorf("exit %d: %v", code, m)
		}
	}
	if _, errOut, code := runCmd(t, "", "query", "--preset", "port scans", "demo"); code != 2 || !strings.Contains(errOut, "top talkers") {
		t.Errorf("unknown preset: exit %d %s", code, errOut)
	}
	if _, errOut, code := runCmd(t, "", "query", "--preset", "top talkers", "--filter", "dstprt = 1", "demo"); code != 2 || !strings.Contains(errOut, "^") {
		t.Errorf("bad --filter with a preset: exit %d %s", code, errOut)
	}
}

// TestFindingsTable: the table sizes its source and target columns to the
// findings (not to the longest possible IPv6 address), and each row's
// detail does not repeat the source its column shows.
func TestFindingsTable(t *testing.T) {
	out, errOut, code := runCmd(t, "", "findings", "--seed", "1", "--output", "table", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 9 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	head := lines[0]
	src, dst, flows := strings.Index(head, "SOURCE"), strings.Index(head, "TARGET"), strings.Index(head, "FLOWS")
	if !strings.HasSuffix(head, "DETAIL") || src < 0 || dst < 0 {
		t.Fatalf("header %q", head)
	}
	widest := 0
	for _, l := range lines[1:] {
		s := strings.Fields(l[src:])[0]
		widest = max(widest, len(s))
		if l[dst-1] != ' ' || l[dst] == ' ' {
			t.Errorf("target not aligned under its header: %q", l)
		}
		if s != "-" && strings.Count(l, s+" ") > 1 {
			t.Errorf("the detail repeats the source: %q", l)
		}
	}
	if dst-src-2 != max(15, widest) {
		t.Errorf("source column %d wide, its widest value %d", dst-src-2, widest)
	}
	if flows-dst > 30 {
		t.Errorf("target column %d wide", flows-dst)
	}
}

// TestFindingsLate: records that come after the engine has settled their
// window (here, a segment of records eight days newer before them) are
// not detected, and stderr says how many; --strict refuses the answer.
func TestFindingsLate(t *testing.T) {
	const t0 = 1717236000
	var b []byte
	for i := 0; i < model.SegmentRows+100; i++ {
		st := t0 + 8*86400 + i/100
		b = fmt.Appendf(b, "2 111122223333 eni-0f1 10.9.%d.%d 10.8.0.1 40000 443 6 10 1000 %d %d ACCEPT OK\n", i/250%250, i%250+1, st, st+5)
	}
	for i := 0; i < 5; i++ {
		b = fmt.Appendf(b, "2 111122223333 eni-0d1 198.51.100.23 10.0.0.5 %d 22 6 3 180 %d %d REJECT OK\n", 50000+i, t0+i*10, t0+i*10+5)
	}
	path := filepath.Join(t.TempDir(), "late.log")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, "", "findings", "--detections", "brute-force", path)
	want := "flowlens: 5 records arrived too late for detection (older than the window kept): brute-force 5\n"
	if code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr does not say %q:\n%s", code, want, errOut)
	}
	if _, errOut, code := runCmd(t, "", "findings", "--strict", "--detections", "brute-force", path); code != 1 || !strings.Contains(errOut, "--strict: 5 records arrived too late") {
		t.Errorf("--strict: exit %d\n%s", code, errOut)
	}
}
