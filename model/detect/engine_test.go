package detect

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// loadIndex ingests fixture files into a new index, chunk lines at a time
// (0: all at once), calling after every publication.
func loadIndex(t testing.TB, budget int64, chunk int, after func(*model.Snapshot), files ...string) *model.Index {
	t.Helper()
	ix := model.NewIndex(budget)
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(data, []byte{'\n'})
		if chunk <= 0 {
			chunk = len(lines)
		}
		for i := 0; i < len(lines); i += chunk {
			j := min(i+chunk, len(lines))
			res := ix.Ingest(&model.Batch{Source: "fixture", Object: name, Data: bytes.Join(lines[i:j], nil), EOF: j == len(lines)})
			if res.Bad > 0 {
				t.Fatalf("%s: %d bad lines: %v", name, res.Bad, ix.Publish().Sources)
			}
			snap := ix.Publish()
			if after != nil {
				after(snap)
			}
		}
	}
	return ix
}

func mustEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run returns the findings of the named detections over fixture files.
func run(t testing.TB, only []string, files ...string) ([]Finding, *model.Snapshot) {
	t.Helper()
	ix := loadIndex(t, 0, 0, nil, files...)
	e := mustEngine(t, Config{Only: only})
	snap := ix.Snapshot()
	res := e.Update(snap)
	return valuesOf(res.All), snap
}

// values copies a Result's findings.
func valuesOf(fs []*Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		out[i] = *f
	}
	return out
}

// brief is a finding reduced to what a test states about it.
func brief(f *Finding) string {
	src, dst, port := "-", "-", "-"
	if f.Src.IsValid() {
		src = f.Src.String()
	}
	if f.Dst.IsValid() {
		dst = f.Dst.String()
	}
	if f.Interface != "" {
		dst = f.Interface
	}
	if f.Port >= 0 {
		port = fmt.Sprint(f.Port)
	}
	return fmt.Sprintf("%s %s %s>%s:%s", f.Detection, f.Severity, src, dst, port)
}

// checkEvidence evaluates each finding's evidence over snap: it must
// parse back to itself and select exactly the finding's records.
func checkEvidence(t *testing.T, snap *model.Snapshot, fs []Finding) {
	t.Helper()
	for i := range fs {
		f := &fs[i]
		text := f.EvidenceText()
		flt, err := filter.Compile(text)
		if err != nil {
			t.Errorf("%s: evidence does not compile: %v\n%s", brief(f), err, text)
			continue
		}
		if flt.String() != text {
			t.Errorf("%s: evidence does not round-trip:\n%s\n%s", brief(f), text, flt.String())
		}
		sel := flt.Eval(snap, nil)
		var bytes uint64
		var first, last int64 = 1 << 62, 0
		sel.ForEach(func(sg *model.Seg, i int) bool {
			b, _ := sg.Uint(model.FieldBytes, i)
			bytes += b
			st, _ := sg.Uint(model.FieldStart, i)
			en, _ := sg.Uint(model.FieldEnd, i)
			first, last = min(first, int64(st)), max(last, int64(en))
			return true
		})
		if uint64(sel.Count) != f.Flows || bytes != f.Bytes {
			t.Errorf("%s: evidence selects %d records, %d bytes; the finding says %d, %d\n%s", brief(f), sel.Count, bytes, f.Flows, f.Bytes, text)
		}
		if sel.Count > 0 && (first != f.First || last != f.Last) {
			t.Errorf("%s: evidence spans %d..%d, the finding %d..%d", brief(f), first, last, f.First, f.Last)
		}
	}
}

func briefs(fs []Finding) []string {
	var out []string
	for i := range fs {
		out = append(out, brief(&fs[i]))
	}
	sort.Strings(out)
	return out
}

func TestDetections(t *testing.T) {
	cases := []struct {
		file string
		det  string
		want []string
	}{
		{"scan.log", "port-scan", []string{
			"port-scan low 198.51.100.7>10.0.0.5:-",
			"port-scan low 2001:db8:bad::1>2001:db8:1000::21:-",
			"port-scan medium 10.0.10.13>10.0.20.11:-",
		}},
		{"sweep.log", "port-sweep", []string{
			"port-sweep low 2001:db8:bad::2>-:3389",
			"port-sweep medium 10.0.10.13>-:22",
		}},
		{"brute.log", "brute-force", []string{
			"brute-force low 10.0.5.20>10.0.0.5:22",
			"brute-force medium 198.51.100.23>10.0.0.5:22",
			"brute-force medium 203.0.113.50>10.0.30.10:3306",
		}},
		{"exfil.log", "exfiltration", []string{
			"exfiltration low 10.0.1.10>198.51.100.77:-",
			"exfiltration low 10.0.21.12>198.51.100.77:-",
			"exfiltration low 2001:db8:1000::21>2001:db8:ff::9:-",
			"exfiltration medium 10.0.21.13>203.0.113.200:-",
		}},
		{"unidir.log", "unidirectional", []string{
			"unidirectional low 10.0.20.11>10.0.40.5:-",
			"unidirectional medium 10.0.20.14>192.0.2.60:-",
			"unidirectional medium 10.0.21.11>198.51.100.250:-",
			"unidirectional medium 2001:db8:1000::22>2001:db8:ff::1:-",
		}},
		{"blocked.log", "blocked-internal", []string{
			"blocked-internal low fd00:10::5>fd00:30::10:2049",
			"blocked-internal medium 10.0.20.12>10.0.31.20:6379",
			"blocked-internal medium 10.0.21.14>10.0.30.10:5432",
		}},
		{"spike.log", "rejects-spike", []string{
			"rejects-spike medium 10.0.10.12>-:-",
		}},
		{"gaps.log", "logging-gap", []string{
			"logging-gap low ->eni-020000000000000a1:-",
			"logging-gap low ->eni-020000000000000a1:-",
			"logging-gap medium ->eni-020000000000000a3:-",
			"logging-gap medium ->eni-020000000000000a3:-",
		}},
	}
	for _, c := range cases {
		t.Run(c.det, func(t *testing.T) {
			fs, snap := run(t, []string{c.det}, c.file)
			if got := briefs(fs); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
				for _, f := range fs {
					t.Logf("%s: %s\n    %s", brief(&f), f.Summary, f.EvidenceText())
				}
			}
			checkEvidence(t, snap, fs)
		})
	}
}

var allFixtures = []string{"scan.log", "sweep.log", "brute.log", "exfil.log", "unidir.log", "blocked.log", "spike.log", "gaps.log"}

// same reduces a finding to everything but its ID and bookkeeping.
func same(f *Finding) string {
	return fmt.Sprintf("%s flows=%d bytes=%d rej=%d distinct=%d %d..%d %s | %s", brief(f), f.Flows, f.Bytes, f.Rejected, f.Distinct, f.First, f.Last, f.Summary, f.EvidenceText())
}

// TestIncremental feeds the fixtures a few lines at a time, updating the
// engine after each publication: the findings must be those of one pass.
// The fixtures follow each other, each from 10:00 again, up to 4h after
// the last record of the one before: within the lateness allowance.
func TestIncremental(t *testing.T) {
	ix := loadIndex(t, 0, 0, nil, allFixtures...)
	want := valuesOf(mustEngine(t, Config{}).Update(ix.Snapshot()).All)
	for _, chunk := range []int{1, 7, 100} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			e := mustEngine(t, Config{})
			var last Result
			changed := map[string]bool{}
			loadIndex(t, 0, chunk, func(s *model.Snapshot) {
				last = e.Update(s)
				for _, f := range last.Changed {
					changed[f.ID] = true
				}
			}, allFixtures...)
			var got, exp []string
			for _, f := range last.All {
				got = append(got, same(f))
				if !changed[f.ID] {
					t.Errorf("%s was never reported as changed", brief(f))
				}
			}
			for i := range want {
				exp = append(exp, same(&want[i]))
			}
			diff(t, "incremental", got, "one pass", exp)
		})
	}
}

// TestEviction: findings outlive the rows behind them, marked.
func TestEviction(t *testing.T) {
	ix := model.NewIndex(6 << 20)
	e := mustEngine(t, Config{})
	data, err := os.ReadFile("testdata/brute.log")
	if err != nil {
		t.Fatal(err)
	}
	ix.Ingest(&model.Batch{Source: "fixture", Object: "brute.log", Data: data, EOF: true})
	before := e.Update(ix.Publish())
	if len(before.All) == 0 {
		t.Fatal("no findings")
	}
	var filler []byte
	for i := 0; i < 300_000; i++ {
		filler = fmt.Appendf(filler, "2 111122223333 eni-0f111 10.9.%d.%d 10.8.0.1 40000 443 6 10 1000 %d %d ACCEPT OK\n",
			i/250%250, i%250+1, 1717250000+i/100, 1717250005+i/100)
	}
	for off := 0; off < len(filler); off += 1 << 20 {
		end := min(off+1<<20, len(filler))
		for end < len(filler) && filler[end-1] != '\n' {
			end++
		}
		ix.Ingest(&model.Batch{Source: "fixture", Object: "filler", Data: filler[off:end]})
		res := e.Update(ix.Publish())
		off = end - 1<<20
		_ = res
	}
	after := e.Update(ix.Publish())
	if after.Evicted == 0 {
		t.Fatal("nothing was evicted")
	}
	if len(after.All) != len(before.All) {
		t.Errorf("%d findings before eviction, %d after", len(before.All), len(after.All))
	}
	for _, f := range after.All {
		if f.Evicted != EvictAll {
			t.Errorf("%s: evicted %q", brief(f), f.Evicted)
		}
		if !strings.Contains(string(f.AppendJSON(nil)), "evicted") {
			t.Errorf("%s: the JSON does not say it was evicted", brief(f))
		}
	}
}

// diff reports the lines only one of two sets has.
func diff(t *testing.T, an string, a []string, bn string, b []string) {
	t.Helper()
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var onlyA, onlyB []string
	for _, x := range a {
		if !mb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			onlyB = append(onlyB, x)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	if len(onlyA)+len(onlyB) > 0 {
		t.Errorf("only in %s:\n  %s\nonly in %s:\n  %s", an, strings.Join(onlyA, "\n  "), bn, strings.Join(onlyB, "\n  "))
	}
}

func snapOf(s interface{ Rows() int }) *model.Snapshot { return s.(*model.Snapshot) }

func compileText(s string) (*filter.Filter, error) { return filter.Compile(s) }

// TestEvidenceText: values taken from logs are compared, never parsed as
// syntax: an interface id holding glob or quote characters is matched
// exactly.
func TestEvidenceText(t *testing.T) {
	for _, id := range []string{"eni-0a1b", "eni-*", `eni-"x"`, "eni-a/b?", "and"} {
		n := eqStr(model.FieldInterfaceID, id)
		f, err := filter.Compile(n.String())
		if err != nil {
			t.Fatalf("%q: %v (%s)", id, err, n)
		}
		var rec model.Record
		p := model.NewParser(model.DefaultFormat)
		for _, try := range []string{id, "eni-0a1bx", "eni-zzz"} {
			line := "2 1 " + try + " 10.0.0.1 10.0.0.2 1 2 6 1 40 1717236000 1717236001 ACCEPT OK\n"
			if k, _ := p.Parse([]byte(line), &rec); k != model.LineRecord {
				continue
			}
			if got := f.Match(&rec); got != (try == id) {
				t.Errorf("%s on %q: %v", n, try, got)
			}
		}
	}
}

// TestListCap: a flood of one detection lists at most MaxListed findings
// and counts the rest; the list of an Update that changed nothing is the
// same slice.
func TestListCap(t *testing.T) {
	ix := model.NewIndex(0)
	var lines []byte
	n := MaxListed + 200
	for i := 0; i < n; i++ {
		for r := 0; r < 3; r++ {
			lines = fmt.Appendf(lines, "2 1 eni-1 10.7.%d.%d 198.51.100.1 %d 9999 17 900 2000000 %d %d ACCEPT OK\n",
				i/250, i%250, 40000+i, 1717236000+r*60, 1717236059+r*60)
		}
	}
	ix.Ingest(&model.Batch{Source: "t", Data: lines})
	e := mustEngine(t, Config{Only: []string{"unidirectional"}})
	res := e.Update(ix.Publish())
	if len(res.All) != MaxListed || res.Unlisted["unidirectional"] != n-MaxListed {
		t.Fatalf("%d listed, %v unlisted", len(res.All), res.Unlisted)
	}
	again := e.Update(ix.Publish())
	if len(again.Changed) != 0 || &again.All[0] != &res.All[0] {
		t.Errorf("an update with nothing new rebuilt the list (%d changed)", len(again.Changed))
	}
}

// TestBriefs: every finding says who then Detail in its Summary, and a
// Brief of at most 11 characters that tells what its row's other columns
// do not (what the narrow Findings table shows).
func TestBriefs(t *testing.T) {
	want := map[string]string{
		"port-scan medium 10.0.10.13>10.0.20.11:-":           "19 ports",
		"port-sweep medium 10.0.10.13>-:22":                  "30 acc",
		"port-sweep low 2001:db8:bad::2>-:3389":              "all rej",
		"brute-force medium 198.51.100.23>10.0.0.5:22":       "all rej",
		"brute-force medium 203.0.113.50>10.0.30.10:3306":    "25 acc",
		"exfiltration medium 10.0.21.13>203.0.113.200:-":     "",
		"unidirectional low 10.0.20.11>10.0.40.5:-":          "",
		"blocked-internal medium 10.0.20.12>10.0.31.20:6379": "replies:ACL",
		"blocked-internal medium 10.0.21.14>10.0.30.10:5432": "requests",
		"rejects-spike medium 10.0.10.12>-:-":                "",
		"logging-gap medium ->eni-020000000000000a3:-":       "lost ",
		"logging-gap low ->eni-020000000000000a1:-":          "idle ",
	}
	fs, _ := run(t, nil, allFixtures...)
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		b := brief(f)
		if f.Brief == "" || len([]rune(f.Brief)) > 11 {
			t.Errorf("%s: brief %q", b, f.Brief)
		}
		if f.Detail == "" || !strings.HasSuffix(f.Summary, " "+f.Detail) {
			t.Errorf("%s: summary %q does not end in its detail %q", b, f.Summary, f.Detail)
		}
		who := strings.TrimSuffix(f.Summary, " "+f.Detail)
		if (f.Src.IsValid() && !strings.HasPrefix(who, f.Src.String())) || (f.Interface != "" && who != f.Interface) {
			t.Errorf("%s: the summary's who is %q", b, who)
		}
		if w, ok := want[b]; ok {
			seen[b] = true
			switch {
			case strings.HasSuffix(w, " ") && !strings.HasPrefix(f.Brief, w):
				t.Errorf("%s: brief %q, want %q...", b, f.Brief, w)
			case w == "" && (f.Detection == "exfiltration" || f.Detection == "unidirectional"):
				if f.Brief != model.HumanBytes(f.Bytes) {
					t.Errorf("%s: brief %q, want the bytes", b, f.Brief)
				}
			case w == "" && f.Detection == "rejects-spike":
				if !strings.HasSuffix(f.Brief, "/1m") {
					t.Errorf("%s: brief %q, want a peak per bucket", b, f.Brief)
				}
			case w != "" && !strings.HasSuffix(w, " ") && f.Brief != w:
				t.Errorf("%s: brief %q, want %q", b, f.Brief, w)
			}
		}
	}
	for b := range want {
		if !seen[b] {
			t.Errorf("no finding %s", b)
		}
	}
}

// TestNotScans: the fixtures' everyday traffic that looks like probing at
// a glance raises no scan, sweep or brute force with every detection run
// over every fixture: servers' replies to ephemeral ports, load balancers'
// health checks, a NAT gateway's egress, DNS and NTP clients, an app's
// short database connections, automation's SSH. Where a threshold is what
// keeps a guard quiet, turning it off must raise the finding (so the
// fixture really exercises it).
func TestNotScans(t *testing.T) {
	guards := []struct {
		src, what string
		off       map[string]string // a threshold that turns the guard off
		then      string            // the finding that then appears
	}{
		{"10.0.0.21", "a web server's replies from 443 to 30 clients' ephemeral ports (scan.log), and a load balancer's health checks of 20 targets on 8080 (sweep.log)", nil, ""},
		{"10.0.30.10", "a database's rejected replies from 5432 to ephemeral ports (scan.log)", nil, ""},
		{"10.0.5.5", "ephemeral-to-ephemeral transfers (scan.log)", map[string]string{"port-scan.tiny-packets": "30"}, "port-scan medium 10.0.5.5>10.0.5.10:-"},
		{"10.1.0.30", "a load balancer's two-packet health checks of 12 targets on 80, again and again (sweep.log)", map[string]string{"port-sweep.max-flows-per-host": "1000"}, "port-sweep medium 10.1.0.30>-:80"},
		{"10.0.1.10", "a NAT gateway's egress to 40 public addresses on 443 (sweep.log)", map[string]string{"port-sweep.tiny-packets": "20"}, "port-sweep medium 10.0.1.10>-:443"},
		{"10.2.0.2", "a resolver's one-packet DNS queries to 30 servers and NTP to 15 (sweep.log)", map[string]string{"port-sweep.swept-ports": "5353"}, "port-sweep medium 10.2.0.2>-:53"},
		{"10.0.20.11", "an app's 100 short connections to its database (brute.log)", nil, ""},
		{"192.0.2.44", "long SSH sessions (brute.log)", nil, ""},
	}
	ix := loadIndex(t, 0, 0, nil, allFixtures...)
	snap := ix.Snapshot()
	fs := valuesOf(mustEngine(t, Config{}).Update(snap).All)
	for _, g := range guards {
		src := netip.MustParseAddr(g.src)
		if flt, err := filter.Compile("srcaddr = " + g.src); err != nil || flt.Eval(snap, nil).Count == 0 {
			t.Errorf("%s: no record from it in the fixtures (%v)", g.src, err)
		}
		for i := range fs {
			f := &fs[i]
			if f.Src != src {
				continue
			}
			switch f.Detection {
			case "port-scan", "port-sweep":
				t.Errorf("%s: %s", g.what, brief(f))
			case "brute-force":
				if f.Severity > SevLow {
					t.Errorf("%s: %s", g.what, brief(f))
				}
			}
		}
		if g.off == nil {
			continue
		}
		var got []string
		for _, f := range mustEngine(t, Config{Set: g.off}).Update(snap).All {
			if f.Src == src {
				got = append(got, brief(f))
			}
		}
		if !slices.Contains(got, g.then) {
			t.Errorf("%s with %v: %q, want %s among them: the fixture does not exercise the guard", g.src, g.off, got, g.then)
		}
	}
}

// TestListOrder: the list is by severity, most severe first, then by
// recency (the latest last seen first), as the Findings view and
// `flowlens findings` show it.
func TestListOrder(t *testing.T) {
	ix := loadIndex(t, 0, 0, nil, allFixtures...)
	all := mustEngine(t, Config{}).Update(ix.Snapshot()).All
	sevs := map[Severity]bool{}
	for i, f := range all {
		sevs[f.Severity] = true
		if i == 0 {
			continue
		}
		p := all[i-1]
		if p.Severity < f.Severity || p.Severity == f.Severity && p.Last < f.Last {
			t.Errorf("%s (last %d) listed after %s (last %d)", brief(f), f.Last, brief(p), p.Last)
		}
	}
	if len(sevs) < 2 || len(all) < 10 {
		t.Errorf("%d findings of %d severities: the order is not exercised", len(all), len(sevs))
	}
}
