package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// drillFixture indexes records of two formats with every kind of key value
// a drill-down meets: IPv4 and IPv6 addresses, NODATA rows (absent
// fields), strings holding glob characters, quotes, backslashes, filter
// punctuation and keywords, enums, wide numbers and several minutes.
func drillFixture(t testing.TB) *model.Snapshot {
	t.Helper()
	ix := model.NewIndex(64 << 20)
	v2 := strings.Join([]string{
		"2 111122223333 eni-aaa 10.0.1.25 10.0.2.9 40000 443 6 10 5000 1717236000 1717236030 ACCEPT OK",
		"2 111122223333 eni-aaa 10.0.1.25 10.0.2.9 40001 443 6 12 6000 1717236010 1717236040 ACCEPT OK",
		"2 111122223333 eni-aaa 10.0.1.26 10.0.2.9 40002 22 6 1 60 1717236070 1717236080 REJECT OK",
		"2 111122223333 eni-bbb 203.0.113.66 10.0.0.5 51000 3389 6 1 40 1717236130 1717236140 REJECT OK",
		"2 111122223333 eni-bbb 2001:db8::1 2001:db8:0:1::9 5353 53 17 2 300 1717236135 1717236150 ACCEPT OK",
		"2 111122223333 eni-bbb 2001:db8::2 2001:db8:0:1::9 5354 53 17 3 4000000000 1717236200 1717236230 ACCEPT OK",
		"2 111122223333 eni-ccc - - - - - - - 1717236000 1717236060 - NODATA",
		"2 111122223333 eni-ddd 10.0.9.9 10.0.2.9 40003 443 6 5 700 1717243210 1717243260 ACCEPT OK",
		"2 111122223333 eni-ccc - - - - - - - 1717236060 1717236120 - SKIPDATA",
		"",
	}, "\n")
	v5 := strings.Join([]string{
		"version vpc-id subnet-id instance-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction pkt-dst-aws-service",
		`5 vpc-1 subnet-a*b i-1 eni-x 10.0.3.1 8.8.8.8 1000 53 17 1 80 1717236001 1717236002 ACCEPT OK egress AMAZON`,
		`5 vpc-1 subnet-a?b i-2 eni-x 10.0.3.2 8.8.8.8 1001 53 17 1 80 1717236001 1717236002 ACCEPT OK egress -`,
		`5 vpc-2 sub"quote i-3 eni-y 10.0.3.3 8.8.4.4 1002 53 17 1 80 1717236061 1717236062 REJECT OK ingress S3`,
		`5 vpc-2 sub\back i-4 eni-y 10.0.3.4 8.8.4.4 1003 53 17 1 80 1717236061 1717236062 ACCEPT OK ingress S3`,
		`5 and sub(x)=y i-5 eni-z 10.0.3.5 1.1.1.1 1004 80 6 1 80 1717236121 1717236122 ACCEPT OK egress -`,
		`5 ${x} /sub i-6 eni-z 10.0.3.6 1.1.1.1 1005 80 6 1 80 1717236121 1717236122 ACCEPT OK egress -`,
		`5 vpc-é sub~!<> i-7 eni-z 10.0.3.7 1.1.1.1 1006 80 6 1 80 1717236121 1717236122 ACCEPT OK egress -`,
		`5 - - - eni-w - - - - - - - 1717236000 1717236060 - NODATA - -`,
		"",
	}, "\n")
	ix.Ingest(&model.Batch{Source: "fixture", Object: "v2", Data: []byte(v2)})
	ix.Ingest(&model.Batch{Source: "fixture", Object: "v5", Data: []byte(v5)})
	snap := ix.Publish()
	if snap.Rows() != 17 {
		t.Fatalf("fixture indexed %d rows, want 17", snap.Rows())
	}
	return snap
}

// TestDrillClause: for every key kind, every group's drill-down narrows
// the filter to exactly the group's rows: as many as the group counted,
// and all of them in that one group. The filter narrowed is everything, or
// an or of three alternatives, which the clause must bound as a whole.
func TestDrillClause(t *testing.T) {
	snap := drillFixture(t)
	keys := [][]string{
		{"srcaddr"}, {"dstaddr"}, {"srcaddr/24"}, {"dstaddr/16"}, {"srcaddr/64"},
		{"srcaddr", "dstaddr"}, {"dstport"}, {"srcport"}, {"protocol"}, {"bytes"},
		{"action"}, {"log-status"}, {"flow-direction"}, {"interface-id"}, {"vpc-id"},
		{"subnet-id"}, {"instance-id"}, {"pkt-dst-aws-service"}, {"minute"}, {"hour"}, {"30s"},
		{"interface-id", "dstport"},
	}
	now := time.Unix(1717236300, 0)
	for _, base := range []string{"", "dstport = 53 or action = REJECT or log-status = NODATA"} {
		bf, err := filter.CompileAt(base, now)
		if err != nil {
			t.Fatal(err)
		}
		baseSel := bf.Eval(snap, nil)
		for _, names := range keys {
			t.Run(base+"/"+strings.Join(names, ","), func(t *testing.T) {
				q := model.GroupQuery{Metrics: []model.Metric{{Kind: model.MetricCount, Name: "count"}}}
				for _, n := range names {
					k, err := model.ParseGroupKey(n)
					if err != nil {
						t.Fatal(err)
					}
					q.Keys = append(q.Keys, k)
				}
				res, err := model.Group(snap, baseSel, q)
				if err != nil {
					t.Fatal(err)
				}
				if base == "" && len(res.Rows) < 2 {
					t.Fatalf("only %d groups: the fixture should split every key", len(res.Rows))
				}
				for _, row := range res.Rows {
					clause, err := drillNode(q.Keys, row)
					if err != nil {
						t.Errorf("%v: the clause does not parse: %v", row.Key, err)
						continue
					}
					f, err := bf.And(clause)
					if err != nil {
						t.Errorf("%s: does not compile: %v", clause, err)
						continue
					}
					sel := f.Eval(snap, nil)
					if sel.Count != int(row.Vals[0]) {
						t.Errorf("%s: selects %d rows, the group has %d", f, sel.Count, int(row.Vals[0]))
						continue
					}
					sub, err := model.Group(snap, sel, q)
					if err != nil {
						t.Fatal(err)
					}
					if len(sub.Rows) != 1 || !sameKey(sub.Rows[0].Key, row.Key) {
						t.Errorf("%s: selects groups %v, want only %v", f, sub.Rows, row.Key)
					}
				}
			})
		}
	}
}

func sameKey(a, b []model.KeyValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Absent != b[i].Absent || a[i].Text != b[i].Text {
			return false
		}
	}
	return true
}

// TestDrillClauseText pins the spelling of each kind.
func TestDrillClauseText(t *testing.T) {
	key := func(s string) model.GroupKey {
		k, err := model.ParseGroupKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	snap := drillFixture(t)
	first := func(k string, pick func(model.KeyValue) bool) model.KeyValue {
		res, err := model.Group(snap, nil, model.GroupQuery{Keys: []model.GroupKey{key(k)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rows {
			if pick(r.Key[0]) {
				return r.Key[0]
			}
		}
		t.Fatalf("no group of %s matches", k)
		return model.KeyValue{}
	}
	text := func(want string) func(model.KeyValue) bool {
		return func(kv model.KeyValue) bool { return kv.Text == want }
	}
	absent := func(kv model.KeyValue) bool { return kv.Absent }
	cases := []struct{ key, want string }{
		{"srcaddr", "srcaddr = 10.0.1.25"},
		{"srcaddr/24", "srcaddr in 10.0.1.0/24"},
		{"dstport", "dstport = 443"},
		{"action", "action = REJECT"},
		{"subnet-id", `subnet-id ~ /^subnet-a\*b$/`},
		{"subnet-id", `subnet-id = "sub\"quote"`},
		{"subnet-id", `subnet-id = "/sub"`},
		{"vpc-id", `vpc-id = "and"`},
		{"minute", "start >= 2024-06-01T10:00:00Z and start < 2024-06-01T10:01:00Z"},
		{"dstport", "dstport = -"},
	}
	values := map[string]model.KeyValue{
		"srcaddr = 10.0.1.25":         first("srcaddr", text("10.0.1.25")),
		"srcaddr in 10.0.1.0/24":      first("srcaddr/24", text("10.0.1.0/24")),
		"dstport = 443":               first("dstport", text("443")),
		"action = REJECT":             first("action", text("REJECT")),
		`subnet-id ~ /^subnet-a\*b$/`: first("subnet-id", text("subnet-a*b")),
		`subnet-id = "sub\"quote"`:    first("subnet-id", text(`sub"quote`)),
		`subnet-id = "/sub"`:          first("subnet-id", text("/sub")),
		`vpc-id = "and"`:              first("vpc-id", text("and")),
		"start >= 2024-06-01T10:00:00Z and start < 2024-06-01T10:01:00Z": first("minute", text("2024-06-01T10:00:00Z")),
		"dstport = -": first("dstport", absent),
	}
	for _, c := range cases {
		if got := drillClause(key(c.key), values[c.want]); got != c.want {
			t.Errorf("%s: got %q, want %q", c.key, got, c.want)
		}
	}
}

func TestBreadcrumbFits(t *testing.T) {
	th := NewTheme(false)
	levels := []drillLevel{{label: "preset: SSH/RDP attempts"}, {label: "srcaddr 198.51.100.23"}, {label: "dstaddr 10.0.0.5"}}
	for _, w := range []int{40, 80, 160} {
		got := breadcrumb(th, levels, w)
		if ansi.StringWidth(got) != w || !strings.Contains(got, "dstaddr 10.0.0.5") || !strings.Contains(got, "esc back") {
			t.Errorf("w=%d: %q", w, got)
		}
	}
	if got := breadcrumb(th, levels, 160); !strings.Contains(got, "all › preset: SSH/RDP attempts › srcaddr 198.51.100.23 › dstaddr 10.0.0.5") {
		t.Errorf("full path: %q", got)
	}
}
