package awstest

import (
	"fmt"
	"testing"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func TestCompilePattern(t *testing.T) {
	line := "2 111122223333 eni-0a1b2c3d 10.1.2.3 172.16.0.9 443 51514 6 12 4096 1717236000 1717236060 ACCEPT OK"
	nodata := "2 111122223333 eni-0a1b2c3d - - - - - - - 1717236000 1717236060 - NODATA"
	all := "[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status"
	for _, tc := range []struct {
		pat        string
		line, nodt bool
	}{
		{"", true, true},
		{"ACCEPT", true, false},
		{`ACCEPT "10.1.2.3"`, true, false},
		{all + "]", true, true},
		{all + ", extra]", false, false},
		{"[version, ...]", true, true},
		{"[..., action = ACCEPT, log_status]", true, false},
		{"[version, account_id, interface_id = eni-0a*, ...]", true, true},
		{"[v, a, i, srcaddr = 10.1.*, ...]", true, false},
		{`[v, a, i, srcaddr = "10.1.2.3", ...]`, true, false},
		{"[v, a, i, s, d, sp, dp, p, pk, bytes >= 4096, ...]", true, false},
		{"[v, a, i, s, d, sp, dp, p, pk, bytes > 4096, ...]", false, false},
		{"[v, a, i, s, d, sp, dp, p, pk, bytes < 4097, ...]", true, false},
		{"[v, a, i, s, d, sp, dp, p, pk, bytes <= 4095, ...]", false, false},
		{"[v, a, i, s, d, sp, dp, p, pk, bytes != 4096, ...]", false, true},
		{"[v, a, i, s, d, sp, dport = 22 || dport = 51514, ...]", true, false},
		{"[v, a, i, s, d, sp, dport >= 1024 && dport <= 65535, ...]", true, false},
		{"[v, a, i, s, d, sp, dport >= 1024 && dport <= 50000, ...]", false, false},
		{"[..., start, end >= 1717236060, action, log_status]", true, true},
		{"[..., start, end >= 1717236061, action, log_status]", false, false},
		{`[..., action, log_status = "NODATA"]`, false, true},
		{`[v, a, i, s, dstaddr != "-", ...]`, true, false},
	} {
		m, err := compilePattern(tc.pat)
		if err != nil {
			t.Fatalf("%q: %v", tc.pat, err)
		}
		if got := m(line); got != tc.line {
			t.Errorf("%q on the record: %v, want %v", tc.pat, got, tc.line)
		}
		if got := m(nodata); got != tc.nodt {
			t.Errorf("%q on the NODATA record: %v, want %v", tc.pat, got, tc.nodt)
		}
	}
	for _, bad := range []string{"[a, b", "[a b c]", "[a, b = ]"} {
		if _, err := compilePattern(bad); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}

// TestPushedPatternsSelectWhatTheFilterSelects: for the patterns flowlens
// pushes down, the fake passes every record the filter matches, and
// exactly those when the pattern is exact. Numeric comparisons (>=, <,
// ranges) were read as "=" before, so a --since pushdown found nothing.
func TestPushedPatternsSelectWhatTheFilterSelects(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	var lines []string
	ports := []int{22, 53, 443, 3389, 8080, 51514}
	for i := 0; i < 300; i++ {
		st := t0.Add(time.Duration(i) * time.Minute).Unix()
		action := "ACCEPT"
		if i%5 == 0 {
			action = "REJECT"
		}
		lines = append(lines, fmt.Sprintf("2 111122223333 eni-%x0a1b2c3d4e5f6 %d.1.%d.%d 172.16.0.%d %d %d %d %d %d %d %d %s OK",
			i%3, 10+i%3*60, i%7, i%200, i%9, 1024+i, ports[i%len(ports)], []int{6, 17}[i%2], 1+i%30, 40*(i*i%4000), st, st+60, action))
	}
	lines = append(lines, "2 111122223333 eni-0a1b2c3d4e5f60718 - - - - - - - 1717236000 1717236060 - NODATA")
	exprs := []string{
		"end >= 2024-06-01T12:00:00Z",
		"start < 2024-06-01T11:00:00Z and action = ACCEPT",
		"bytes > 1000",
		"bytes <= 500 or bytes >= 100000",
		"dstport in (22, 443, 3389)",
		"dstport 1024-65535",
		"packets >= 10 and packets <= 20",
		"srcaddr in 10.0.0.0/8",
		"dstport != 443",
		"not action = REJECT",
		"interface-id = eni-0*",
		"protocol = tcp and dstport < 1024",
		"exists srcaddr",
	}
	p := model.NewParser(nil)
	var rec model.Record
	for _, e := range exprs {
		f, err := filter.CompileAt(e, t0)
		if err != nil {
			t.Fatal(err)
		}
		pat, _, exact := f.CWLPattern(nil)
		if pat == "" {
			t.Fatalf("%q: nothing pushed", e)
		}
		m, err := compilePattern(pat)
		if err != nil {
			t.Fatalf("%q: pattern %s: %v", e, pat, err)
		}
		selected := 0
		for _, l := range lines {
			p.Parse([]byte(l), &rec)
			want, got := f.Match(&rec), m(l)
			if want && !got || exact && got != want {
				t.Fatalf("%q: pattern %s (exact %v) on %s: %v, filter %v", e, pat, exact, l, got, want)
			}
			if got {
				selected++
			}
		}
		if selected == 0 || selected == len(lines) {
			t.Errorf("%q selects %d of %d: a weak test", e, selected, len(lines))
		}
		t.Log(fmt.Sprintf("%-45s %-5v %3d  %s", e, exact, selected, pat))
	}
}
