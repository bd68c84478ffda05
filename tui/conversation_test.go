package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// convSnapshot indexes one conversation as VPC Flow Logs record it: the
// request logged by the client's interface (egress) and the server's
// (ingress), the reply by both again; a second pair logged on one
// interface only; a rejected probe.
func convSnapshot(t testing.TB) *model.Snapshot {
	t.Helper()
	ix := model.NewIndex(0)
	lines := "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction\n" +
		"5 eni-client 10.0.1.5 10.0.2.9 40000 443 6 10 1000 1717236000 1717236060 ACCEPT OK egress\n" +
		"5 eni-server 10.0.1.5 10.0.2.9 40000 443 6 10 1000 1717236000 1717236060 ACCEPT OK ingress\n" +
		"5 eni-server 10.0.2.9 10.0.1.5 443 40000 6 20 9000 1717236000 1717236060 ACCEPT OK egress\n" +
		"5 eni-client 10.0.2.9 10.0.1.5 443 40000 6 20 9000 1717236000 1717236060 ACCEPT OK ingress\n" +
		"5 eni-client 10.0.1.5 10.0.2.9 40001 443 6 1 60 1717236001 1717236061 ACCEPT OK egress\n" +
		"5 eni-nat 10.0.0.10 203.0.113.7 1024 443 6 5 500 1717236000 1717236060 ACCEPT OK egress\n" +
		"5 eni-server 198.51.100.1 10.0.2.9 5555 22 6 1 40 1717236000 1717236060 REJECT OK ingress\n"
	ix.Ingest(&model.Batch{Source: "src", Object: "conv.log", Data: []byte(lines), Line: 1, EOF: true})
	return ix.Publish()
}

func convQuery(t testing.TB, metric string) model.GroupQuery {
	t.Helper()
	src, _ := model.ParseGroupKey("srcaddr")
	dst, _ := model.ParseGroupKey("dstaddr")
	m, err := model.ParseMetric(metric)
	if err != nil {
		t.Fatal(err)
	}
	return model.GroupQuery{Keys: []model.GroupKey{src, dst}, Metrics: []model.Metric{m, {Kind: model.MetricCount, Name: "count"}}, Top: 10}
}

// TestMergeConversations: one row per pair whichever way its records
// go, each flow's bytes once although two interfaces logged it.
func TestMergeConversations(t *testing.T) {
	snap := convSnapshot(t)
	sel := model.SelectAll(snap)
	res, covered, err := mergeConversations(snap, sel, convQuery(t, "bytes"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if covered.Count != sel.Count || res.Count != 7 {
		t.Fatalf("covered %d of %d rows, count %d", covered.Count, sel.Count, res.Count)
	}
	got := map[string]string{}
	for _, r := range res.Rows {
		got[rowKeyText(res.Query.Keys, r, nil, true)] = fmt.Sprintf("%d bytes %d flows", r.Ints[0], r.Ints[1])
	}
	want := map[string]string{
		// 1000+60 one way (the client's interface saw both flows), 9000
		// back: not 2*(1000)+60+2*9000.
		"10.0.1.5 ⇄ 10.0.2.9":     "10060 bytes 3 flows",
		"10.0.0.10 ⇄ 203.0.113.7": "500 bytes 1 flows",
		"10.0.2.9 ⇄ 198.51.100.1": "40 bytes 1 flows",
	}
	if len(got) != len(want) || res.Groups != 3 {
		t.Fatalf("groups %d: %v", res.Groups, got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	if res.Rows[0].Ints[0] != 10060 || res.TotalInts[0] != 10600 {
		t.Errorf("first row %d bytes, total %d; want 10060, 10600", res.Rows[0].Ints[0], res.TotalInts[0])
	}

	// Reject ratio of the merged rows: no pair has the records a ratio
	// needs (minRatioFlows), though all are counted.
	res, _, err = mergeConversations(snap, sel, convQuery(t, "reject-ratio"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 || res.Groups != 3 {
		t.Errorf("reject ratio: %d rows of %d groups; want 0 of 3", len(res.Rows), res.Groups)
	}

	// A distinct count cannot be merged from its parts.
	if mergeable(convQuery(t, "distinct(dstport)")) {
		t.Error("distinct(dstport) is mergeable")
	}
	if _, _, err := mergeConversations(snap, sel, convQuery(t, "distinct(dstport)"), 0); err == nil {
		t.Error("merged a distinct count")
	}

	// Too little scratch space for even the smallest answer: a scratch
	// error that says so.
	if _, _, err := mergeConversations(snap, sel, convQuery(t, "bytes"), 2*convEntryBytes); !errors.Is(err, model.ErrScratch) {
		t.Errorf("tiny scratch space: %v", err)
	}
}

// TestPairNode: drilling into a merged conversation selects both
// directions and nothing else.
func TestPairNode(t *testing.T) {
	snap := convSnapshot(t)
	res, _, err := mergeConversations(snap, model.SelectAll(snap), convQuery(t, "bytes"), 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := pairNode(res.Query.Keys, res.Rows[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Compile(n.String())
	if err != nil {
		t.Fatal(err)
	}
	sel := f.Eval(snap, nil)
	if sel.Count != 5 {
		t.Errorf("%s selects %d records, want 5", n, sel.Count)
	}
	if !strings.Contains(n.String(), " or ") {
		t.Errorf("pair filter %s", n)
	}
}

// TestRatioIgnoresSmallGroups: a reject-ratio ranking leaves out groups
// of fewer than minRatioFlows records (a lone rejected probe is 100%
// rejected), and a distinct count shows no share.
func TestRatioIgnoresSmallGroups(t *testing.T) {
	ix := model.NewIndex(0)
	var b strings.Builder
	b.WriteString("version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < 20; i++ { // 10.0.0.1: 20 records, 5 rejected
		act := "ACCEPT"
		if i < 5 {
			act = "REJECT"
		}
		fmt.Fprintf(&b, "2 10.0.0.1 10.0.0.9 4000%d 443 6 1 60 1717236000 1717236060 %s OK\n", i%10, act)
	}
	for i := 0; i < 30; i++ { // thirty probes, one record each, all rejected
		fmt.Fprintf(&b, "2 198.51.100.%d 10.0.0.9 5555 22 6 1 40 1717236000 1717236060 REJECT OK\n", i+1)
	}
	ix.Ingest(&model.Batch{Source: "src", Object: "r.log", Data: []byte(b.String()), Line: 1, EOF: true})
	snap := ix.Publish()
	key, _ := model.ParseGroupKey("srcaddr")
	q := model.GroupQuery{Keys: []model.GroupKey{key}, Metrics: []model.Metric{{Kind: model.MetricRejectRatio, Name: "reject-ratio"}, {Kind: model.MetricCount, Name: "count"}}, Top: 5}
	msg := groupCmd(1, snap, model.SelectAll(snap), q, false, model.Budget{}, false)().(groupMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	if len(msg.res.Rows) != 1 || msg.res.Rows[0].Key[0].Text != "10.0.0.1" || msg.res.Rows[0].Vals[0] != 0.25 {
		t.Fatalf("rows %+v; want 10.0.0.1 at 25%% alone", msg.res.Rows)
	}
	if msg.res.Groups != 31 {
		t.Errorf("groups %d, want 31 (all counted)", msg.res.Groups)
	}
	if s := shareText(model.Metric{Kind: model.MetricDistinct, Field: model.FieldDstPort}, 3, 10); s != "" {
		t.Errorf("a distinct count's share: %q", s)
	}
}
