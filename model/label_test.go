package model

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// hostNames labels addresses by a map and interface ids by a prefix.
type hostNames map[string]string

func (h hostNames) LabelAddr(a netip.Addr) string        { return h[a.String()] }
func (h hostNames) LabelString(f Field, s string) string { return h[s] }

func TestGroupByLabel(t *testing.T) {
	ix := NewIndex(0)
	ix.SetDefaultFormat(DefaultFormat) // made-up values (account "1", eni-a) that inference would not read
	lines := strings.Join([]string{
		"2 1 eni-a 10.0.0.1 10.0.0.9 1 5432 6 1 100 100 160 ACCEPT OK",
		"2 1 eni-a 10.0.0.2 10.0.0.9 1 5432 6 1 200 100 160 ACCEPT OK",
		"2 1 eni-b 10.0.0.3 10.0.0.9 1 5432 6 1 400 100 160 REJECT OK",
		"2 1 eni-c 192.0.2.1 10.0.0.9 1 22 6 1 800 100 160 REJECT OK",
		"2 1 eni-c - - - - - - - 100 160 - NODATA",
	}, "\n") + "\n"
	ix.Ingest(&Batch{Source: "t", Object: "o", Data: []byte(lines), Line: 1})
	snap := ix.Publish()
	names := hostNames{"10.0.0.1": "web", "10.0.0.2": "web", "10.0.0.3": "app", "eni-a": "web-eni"}
	bytes, _ := ParseMetric("bytes")
	for _, tc := range []struct {
		key  GroupKey
		want string
	}{
		{GroupKey{Field: FieldSrcAddr, Name: "src-name", Label: names}, "app=400 web=300 -=800"},
		{GroupKey{Field: FieldInterfaceID, Name: "interface-name", Label: names}, "web-eni=300 -=1200"},
		{GroupKey{Field: FieldDstAddr, Name: "dst-name", Label: hostNames{"10.0.0.9": "db"}}, "db=1500 -=0"},
	} {
		// Top 1 of two makes the top-N heap compare keys.
		res, err := Group(snap, SelectAll(snap), GroupQuery{Keys: []GroupKey{tc.key}, Metrics: []Metric{bytes}})
		if _, err := Group(snap, SelectAll(snap), GroupQuery{Keys: []GroupKey{tc.key, {Field: FieldAction, Name: "action"}}, Metrics: []Metric{bytes}, Top: 1}); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res.Rows {
			got = append(got, r.Key[0].Text+"="+strconv.FormatFloat(r.Vals[0], 'f', -1, 64))
		}
		// Order: by bytes descending, the absent group wherever its sum puts it.
		gs := map[string]bool{}
		for _, g := range got {
			gs[g] = true
		}
		for _, w := range strings.Fields(tc.want) {
			if !gs[w] {
				t.Errorf("%s: groups %v, want %s", tc.key.Name, got, tc.want)
			}
		}
		if len(got) != len(strings.Fields(tc.want)) {
			t.Errorf("%s: groups %v, want %s", tc.key.Name, got, tc.want)
		}
	}
}
