package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// genTotals are the exact answers over a generated file.
type genTotals struct {
	count, bytes, packets, rejects uint64
	byHour                         map[int64]uint64 // count by hour of start
	start                          int64            // first start time
}

// genFlows writes n default-format records, one a second from a fixed
// start (so hours fill in order and the oldest rows are evicted first),
// with varied addresses and a reject every seventh, and returns the exact
// totals.
func genFlows(t *testing.T, n int) (string, genTotals) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	tot := genTotals{byHour: map[int64]uint64{}, start: 1718236800}
	w.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < n; i++ {
		st := tot.start + int64(i/20)
		pk, by := uint64(1+i%13), uint64(40+(i*7919)%100000)
		action := "ACCEPT"
		if i%7 == 0 {
			action = "REJECT"
			tot.rejects++
		}
		fmt.Fprintf(w, "2 123456789012 eni-0a1b2c3d4e5f6%05d 10.%d.%d.%d 172.16.%d.%d %d 443 6 %d %d %d %d %s OK\n",
			i%50, i%4, i%61, i%59, i%7, i%11, 1024+i%60000, pk, by, st, st+30, action)
		tot.count++
		tot.bytes += by
		tot.packets += pk
		tot.byHour[st/3600*3600]++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path, tot
}

// bigFlows is a file the smallest memory budget (evictBudget) cannot
// hold: the CI-sized stand-in for 10M records under 64 MB (run by hand:
// exact).
var bigFlows = struct {
	path string
	tot  genTotals
}{}

func evictingFile(t *testing.T) (string, genTotals) {
	if bigFlows.path == "" {
		dir, err := os.MkdirTemp("", "flowlens-coverage")
		if err != nil {
			t.Fatal(err)
		}
		p, tot := genFlows(t, evictRows)
		np := filepath.Join(dir, "flows.log")
		if err := os.Rename(p, np); err != nil {
			t.Fatal(err)
		}
		bigFlows.path, bigFlows.tot = np, tot
		coverageCleanup = append(coverageCleanup, dir)
	}
	return bigFlows.path, bigFlows.tot
}

// evictBudget and evictRows: the smallest --max-memory, and a file it
// cannot hold (the short run lowers both, TestMain).
var (
	evictBudget = "16MiB"
	evictRows   = 600_000
)

// coverageCleanup lists directories the coverage tests share, removed by
// TestMain.
var coverageCleanup []string

// TestCountOverBudgetIsExact: a count over more records than
// --max-memory holds is exact (the one-shot scan keeps no rows). Today's
// code printed the count of the retained rows only (10M records under
// 64 MB: 1,545,856), without a word. The 10M-record run is in the notes.
func TestCountOverBudgetIsExact(t *testing.T) {
	path, tot := evictingFile(t)
	out, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--metrics", "count", "--output", "jsonl", path)
	if code != 0 || strings.TrimSpace(out) != fmt.Sprintf(`{"count":%d}`, tot.count) {
		t.Fatalf("exit %d: %s, want %d; stderr %q", code, out, tot.count, errOut)
	}
}

// indexAnswers turns the one-shot scan off for a test, so that questions
// are answered from the index as with --follow.
func indexAnswers(t *testing.T) {
	scanQueries = false
	t.Cleanup(func() { scanQueries = true })
}

// TestEvictedTotalsComeFromTheRollups: answered from the index (as with
// --follow), a count, bytes, packets and rejects over more records than
// --max-memory holds are exact (the rollups keep every record), and say
// how they were answered; --strict still refuses any eviction.
func TestEvictedTotalsComeFromTheRollups(t *testing.T) {
	indexAnswers(t)
	path, tot := evictingFile(t)
	out, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--metrics", "count,bytes,packets,rejects", "--output", "jsonl", path)
	want := fmt.Sprintf(`{"count":%d,"bytes":%d,"packets":%d,"rejects":%d}`, tot.count, tot.bytes, tot.packets, tot.rejects)
	if code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("exit %d\n got %s\nwant %s\nstderr %s", code, out, want, errOut)
	}
	if !strings.Contains(errOut, "oldest records were evicted; the answer comes from the per-minute rollups") {
		t.Fatalf("stderr %q: want the eviction said", errOut)
	}
	t.Run("by hour", func(t *testing.T) {
		out, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--group-by", "hour", "--metrics", "count", "--output", "jsonl", path)
		recs := jsonLines(t, out)
		if code != 0 || len(recs) != len(tot.byHour) {
			t.Fatalf("exit %d, %d hours, want %d: %s", code, len(recs), len(tot.byHour), errOut)
		}
		for _, r := range recs {
			h, _ := time.Parse(time.RFC3339, r["hour"].(string))
			if uint64(r["count"].(float64)) != tot.byHour[h.Unix()] {
				t.Fatalf("hour %v: %v records, want %d", r["hour"], r["count"], tot.byHour[h.Unix()])
			}
		}
	})
	t.Run("rejects only", func(t *testing.T) {
		out, _, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--filter", "action = REJECT", "--metrics", "count", "--output", "jsonl", path)
		if code != 0 || strings.TrimSpace(out) != fmt.Sprintf(`{"count":%d}`, tot.rejects) {
			t.Fatalf("exit %d: %s, want %d", code, out, tot.rejects)
		}
	})
	t.Run("strict", func(t *testing.T) {
		_, errOut, code := runCmd(t, "", "query", "--strict", "--max-memory", evictBudget, "--metrics", "count", path)
		if code != 1 || !strings.Contains(errOut, "--strict: ") || !strings.Contains(errOut, "records evicted") {
			t.Fatalf("exit %d, stderr %q; want 1 and the eviction named", code, errOut)
		}
	})
}

// TestEvictedAnswerSaysWhatItCovers: answered from the index, what the
// rollups cannot answer (a group-by address) over evicted records is
// printed with a notice of how many oldest records were evicted and what
// the answer covers.
func TestEvictedAnswerSaysWhatItCovers(t *testing.T) {
	indexAnswers(t)
	path, tot := evictingFile(t)
	_, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--group-by", "srcaddr/16", "--top", "3", "--output", "jsonl", path)
	if code != 0 || !strings.Contains(errOut, fmt.Sprintf("oldest of %s records read were evicted; this answer covers only the newest", groupDigits(tot.count))) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// A time range that begins after every evicted record is exact: no notice.
	since := time.Unix(tot.start+int64(tot.count/20)-600, 0).UTC().Format(time.RFC3339)
	out, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--since", since, "--metrics", "count", "--output", "jsonl", path)
	if code != 0 || strings.Contains(errOut, "evicted") || strings.TrimSpace(out) != `{"count":12600}` {
		t.Fatalf("exit %d, %s, stderr %q; want 12600 records (the last 10 minutes and the 30 s before) and no notice", code, out, errOut)
	}
}

// TestStreamedRecordsAreNeverEvictedFirst: printing more records than
// --max-memory holds loses none: the printer holds the index back.
func TestStreamedRecordsAreNeverEvictedFirst(t *testing.T) {
	path, tot := evictingFile(t)
	out, errOut, code := runCmd(t, "", "query", "--max-memory", evictBudget, "--output", "csv", path)
	if n := strings.Count(out, "\n"); code != 0 || uint64(n) != tot.count+1 {
		t.Fatalf("exit %d, %d lines, want %d and a header; stderr %q", code, n, tot.count, errOut)
	}
	if errOut != "" {
		t.Fatalf("stderr %q", errOut)
	}
}
