package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// lowThresholds make every windowed detection fire thousands of times over
// benchLines data, merges of runs and withdrawn one-way findings included.
var lowThresholds = map[string]string{
	"unidirectional.bytes": "100000", "unidirectional.flows": "2",
	"port-scan.ports": "3", "port-sweep.hosts": "3", "brute-force.attempts": "2",
	"exfiltration.bytes": "100KB", "blocked-internal.flows": "2", "rejects-spike.min-rejects": "3",
}

// everyFinding renders every finding the engine holds (listed or not),
// every field, sorted.
func everyFinding(e *Engine) []string {
	var out []string
	for _, f := range e.findings {
		out = append(out, fmt.Sprintf("%s|%s|%v|%v|%v|%d|%d|%s|%d|%d|%d|%d|%d|%d|%s|%s|%s|%v|%d|%d",
			f.ID, f.Detection, f.Severity, f.Src, f.Dst, f.Port, f.Proto, f.Interface, f.First, f.Last, f.Flows, f.Bytes,
			f.Rejected, f.Distinct, f.EvidenceText(), f.Summary, f.Brief, f.Evicted, f.minRow, f.maxRow))
	}
	sort.Strings(out)
	return out
}

// TestRunnerSplit is a differential test of unidirectional's split of
// keys between runners (one per core): with 1, 2 or 3 runners, over a
// generated index, in one pass and in uneven increments, every finding of
// every detection must be the same, field for field.
func TestRunnerSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 300k-record index six times")
	}
	data := benchLines(300_000, 7)
	wantOne, wantInc := findingsOf(t, data, 1)
	byKind := map[string]int{}
	for _, l := range wantOne {
		byKind[strings.SplitN(l, "|", 3)[1]]++
	}
	for _, name := range []string{"port-scan", "port-sweep", "brute-force", "exfiltration", "unidirectional", "blocked-internal"} {
		if byKind[name] < 10 {
			t.Fatalf("%s: only %d findings: the test data does not exercise it (%v)", name, byKind[name], byKind)
		}
	}
	// The findings of main before the cells were packed into one cache
	// line and sweeps reported only the hosts their cells gained
	// (8cec49b^): a digest of every field of every finding.
	for name, got := range map[string][]string{"one pass": wantOne, "increments": wantInc} {
		sum := sha256.Sum256([]byte(strings.Join(got, "\n")))
		if d := hex.EncodeToString(sum[:8]); d != findingsDigest[name] {
			t.Errorf("%s: the findings' digest is %s, was %s (%d findings)", name, d, findingsDigest[name], len(got))
		}
	}
	for _, procs := range []int{2, 3} {
		t.Run(fmt.Sprintf("runners=%d", procs), func(t *testing.T) {
			one, inc := findingsOf(t, data, procs)
			diff(t, "split one pass", one, "one runner", wantOne)
			diff(t, "split increments", inc, "one runner", wantInc)
		})
	}
}

// findingsDigest is what TestRunnerSplit's data gave before (see there).
var findingsDigest = map[string]string{"one pass": "751ec84c4a1c3125", "increments": "996e548aa48a4518"}

// findingsOf runs every detection with lowThresholds over data, with
// procs cores (so procs unidirectional runners), in one pass and in
// uneven increments, and returns everyFinding of each.
func findingsOf(t *testing.T, data []byte, procs int) (one, inc []string) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	ix := model.NewIndex(1 << 30)
	ix.Ingest(&model.Batch{Source: "bench", Object: "flows", Data: data, EOF: true})
	e := mustEngine(t, Config{Set: lowThresholds})
	e.Update(ix.Publish())
	one = everyFinding(e)

	ix = model.NewIndex(1 << 30)
	e = mustEngine(t, Config{Set: lowThresholds})
	sizes := []int{1_000, 70_001, 333, 150_000, 20_000}
	for off, k := 0, 0; off < len(data); k++ {
		end := min(off+sizes[k%len(sizes)]*114, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		ix.Ingest(&model.Batch{Source: "bench", Object: "flows", Data: data[off:end], EOF: end == len(data)})
		e.Update(ix.Publish())
		off = end
	}
	return one, everyFinding(e)
}
