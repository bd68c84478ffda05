package detect

import (
	"encoding/json"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"net/netip"
	"strings"
	"testing"
)

func TestWhyVerdicts(t *testing.T) {
	type tc struct {
		dst     string
		port    int
		verdict string
		fwd     [2]uint64 // accepted, rejected
		rev     [2]uint64
	}
	cases := func(base string) []tc {
		return []tc{
			{base + ".20", 443, VerdictAllowed, [2]uint64{6, 0}, [2]uint64{6, 0}},
			{base + ".30", 5432, VerdictBlockedDstInbound, [2]uint64{3, 3}, [2]uint64{0, 0}},
			{base + ".40", 6379, VerdictReplyBlockedDst, [2]uint64{6, 0}, [2]uint64{0, 3}},
			{base + ".50", 8080, VerdictBlockedSrcOutbound, [2]uint64{0, 3}, [2]uint64{0, 0}},
			{base + ".60", 9092, VerdictReplyBlockedSrc, [2]uint64{6, 0}, [2]uint64{3, 3}},
			{base + ".70", 3306, VerdictNotReachingDst, [2]uint64{3, 0}, [2]uint64{0, 0}},
			{base + ".80", 22, VerdictNoRecords, [2]uint64{0, 0}, [2]uint64{0, 0}},
		}
	}
	for _, f := range []struct{ file, base string }{{"why-v5.log", "10.1.0"}, {"why-v2.log", "10.2.0"}} {
		ix := loadIndex(t, 0, 0, nil, f.file)
		snap := ix.Snapshot()
		seen := map[string]bool{}
		for _, c := range cases(f.base) {
			t.Run(f.file+"/"+c.verdict, func(t *testing.T) {
				w, err := Diagnose(snap, WhyQuery{Src: netip.MustParseAddr(f.base + ".10"), Dst: netip.MustParseAddr(c.dst), Port: c.port})
				if err != nil {
					t.Fatal(err)
				}
				seen[w.Verdict] = true
				if w.Verdict != c.verdict {
					t.Errorf("verdict %s, want %s: %s", w.Verdict, c.verdict, w.Explanation)
				}
				if got := [2]uint64{w.Forward.Accepted, w.Forward.Rejected}; got != c.fwd {
					t.Errorf("forward accepted/rejected %v, want %v", got, c.fwd)
				}
				if got := [2]uint64{w.Reverse.Accepted, w.Reverse.Rejected}; got != c.rev {
					t.Errorf("reverse accepted/rejected %v, want %v", got, c.rev)
				}
				for _, s := range w.Sides {
					if s.Side == sideUnknown {
						t.Errorf("%s: side unknown (%s)", s.Interface, s.How)
					}
				}
				if w.Explanation == "" || w.CannotTell == "" || len(w.Confirm) != 2 || !strings.HasPrefix(w.Confirm[0], "aws ec2 create-network-insights-path ") {
					t.Errorf("incomplete: %+v", w)
				}
				// The evidence selects exactly the records counted.
				checkWhyEvidence(t, snap, w)
				// JSON keys of DESIGN §3.
				js, err := json.Marshal(w)
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]json.RawMessage
				if err := json.Unmarshal(js, &m); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"verdict", "forward", "reverse", "evidence", "explanation"} {
					if _, ok := m[k]; !ok {
						t.Errorf("no %q in %s", k, js)
					}
				}
				var fwd map[string]any
				_ = json.Unmarshal(m["forward"], &fwd)
				for _, k := range []string{"flows", "accepted", "rejected", "first", "last", "interfaces"} {
					if _, ok := fwd[k]; !ok {
						t.Errorf("forward has no %q: %s", k, m["forward"])
					}
				}
			})
		}
		if len(seen) != len(Verdicts()) {
			t.Errorf("%s: verdicts covered: %v", f.file, seen)
		}
	}
}

func TestWhyEdges(t *testing.T) {
	t.Run("public source, interface with nothing else (v2)", func(t *testing.T) {
		snap := loadIndex(t, 0, 0, nil, "why-v2.log").Snapshot()
		w, err := Diagnose(snap, WhyQuery{Src: netip.MustParseAddr("198.51.100.5"), Dst: netip.MustParseAddr("10.2.0.90"), Port: 22})
		if err != nil {
			t.Fatal(err)
		}
		if w.Verdict != VerdictBlockedDstInbound || w.Sides[0].Side != sideDest || !strings.Contains(w.Sides[0].How, "guess") {
			t.Errorf("%s %+v", w.Verdict, w.Sides)
		}
		if !strings.Contains(w.Confirm[0], "--destination eni-0b90") || !strings.Contains(w.Confirm[0], "--source-ip 198.51.100.5") {
			t.Errorf("confirm: %s", w.Confirm[0])
		}
	})
	t.Run("IPv6", func(t *testing.T) {
		snap := loadIndex(t, 0, 0, nil, "why-v6.log").Snapshot()
		for dst, want := range map[string]string{"2001:db8:1::20": VerdictAllowed, "2001:db8:1::30": VerdictBlockedDstInbound} {
			w, err := Diagnose(snap, WhyQuery{Src: netip.MustParseAddr("2001:db8:1::10"), Dst: netip.MustParseAddr(dst), Port: -1})
			if err != nil {
				t.Fatal(err)
			}
			if w.Verdict != want {
				t.Errorf("%s: %s, want %s (%s)", dst, w.Verdict, want, w.Explanation)
			}
			checkWhyEvidence(t, snap, w)
		}
	})
	t.Run("scope", func(t *testing.T) {
		snap := loadIndex(t, 0, 0, nil, "why-v5.log").Snapshot()
		w, err := Diagnose(snap, WhyQuery{Src: netip.MustParseAddr("10.1.0.10"), Dst: netip.MustParseAddr("10.1.0.20"), Port: 443, Scope: mustParse(t, "start > 2030-01-01T00:00:00Z")})
		if err != nil {
			t.Fatal(err)
		}
		if w.Verdict != VerdictNoRecords {
			t.Errorf("%s", w.Verdict)
		}
	})
	t.Run("bad query", func(t *testing.T) {
		snap := loadIndex(t, 0, 0, nil, "why-v5.log").Snapshot()
		a := netip.MustParseAddr("10.1.0.10")
		if _, err := Diagnose(snap, WhyQuery{Src: a, Dst: a, Port: -1}); err == nil {
			t.Error("same address: no error")
		}
	})
}

func checkWhyEvidence(t *testing.T, snap interface{ Rows() int }, w *Why) {
	t.Helper()
	s := snapOf(snap)
	flt, err := compileText(w.Evidence)
	if err != nil {
		t.Fatalf("evidence %q: %v", w.Evidence, err)
	}
	if n := uint64(flt.Eval(s, nil).Count); n != w.Forward.Flows+w.Reverse.Flows {
		t.Errorf("evidence selects %d records, the verdict counts %d", n, w.Forward.Flows+w.Reverse.Flows)
	}
}

func mustParse(t *testing.T, s string) filter.Node {
	t.Helper()
	n, err := filter.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWhyOneRequest: a lone record reads as one request, not "1 requests".
func TestWhyOneRequest(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "t", Data: []byte("2 1 eni-0a1 10.3.0.10 10.3.0.20 41000 22 6 3 180 1717236000 1717236005 ACCEPT OK\n"), EOF: true})
	w, err := Diagnose(ix.Publish(), WhyQuery{Src: netip.MustParseAddr("10.3.0.10"), Dst: netip.MustParseAddr("10.3.0.20"), Port: 22})
	if err != nil {
		t.Fatal(err)
	}
	if w.Verdict != VerdictNotReachingDst || !strings.HasPrefix(w.Explanation, "1 request from 10.3.0.10 to 10.3.0.20 on tcp/22 was ACCEPTed") {
		t.Errorf("%s: %s", w.Verdict, w.Explanation)
	}
}
