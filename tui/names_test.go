package tui

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// testNames names testSnapshot's first interface and two of its addresses.
func testNames() *vpc.Config {
	return vpc.NewConfig(vpc.Parts{
		Interfaces: []*vpc.Interface{{ID: "eni-0a1b2c3d4e5f67890", InstanceID: "i-1", InstanceName: "web-1", SubnetID: "subnet-a",
			VPCID: "vpc-1", Groups: []string{"sg-web"}, Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.5")}}},
		Groups:  []*vpc.SecurityGroup{{ID: "sg-web", Name: "web"}},
		Subnets: []*vpc.Subnet{{ID: "subnet-a", Name: "app-b", CIDR: netip.MustParsePrefix("10.0.1.0/24")}},
		Names:   map[string]string{"203.0.113.7": "partner"},
	})
}

func TestRowCellsNames(t *testing.T) {
	snap := testSnapshot(t)
	nm := source.NewNamer(testNames())
	cols := append(baseColumns(false), nameColumns()...)
	sg, i := row(t, snap, 0)
	cells := rowCells(snap, sg, i, cols, false, nm, nil)
	got := strings.Join(cells, "|")
	for _, want := range []string{"|web-1|", "|web-1|partner"} {
		if !strings.Contains(got, want) {
			t.Errorf("cells %q lack %q", got, want)
		}
	}
	sg, i = row(t, snap, 3) // unnamed interface and addresses
	cells = rowCells(snap, sg, i, cols, false, nm, nil)
	if c := cells[1]; c != "eni-00000000000000001" || cells[len(cells)-1] != "-" || cells[len(cells)-2] != "-" {
		t.Errorf("unnamed row: %q", cells)
	}
}

func TestDetailNames(t *testing.T) {
	snap := testSnapshot(t)
	sg, i := row(t, snap, 0)
	var b strings.Builder
	for _, l := range nameLines(testNames(), snap, sg, i) {
		b.WriteString(l.label + "=" + l.value + " (" + l.meaning + ")\n")
	}
	for _, want := range []string{"interface-name=web-1", "kind=instance", "security groups=sg-web (web)", "src-name=web-1 (instance, sg web, subnet app-b)", "subnet=subnet-a (app-b 10.0.1.0/24)", "dst-name=partner"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("detail names lack %q:\n%s", want, b.String())
		}
	}
	if nameLines(nil, snap, sg, i) != nil {
		t.Error("names without a configuration")
	}
}

func TestGroupsAndExportNames(t *testing.T) {
	snap := testSnapshot(t)
	labels := &source.Labels{Config: testNames()}
	st := groupsState{}
	for k, c := range groupKeyChoices {
		if c.label == "src-name" {
			st.key = k
		}
	}
	q, err := groupQuery(st, labels)
	if err != nil {
		t.Fatal(err)
	}
	res, err := model.Group(snap, model.SelectAll(snap), q)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range res.Rows {
		keys = append(keys, r.Key[0].Text)
	}
	if strings.Join(keys, ",") != "-,web-1" && strings.Join(keys, ",") != "web-1,-" {
		t.Errorf("groups by src-name: %v", keys)
	}
	if c := drillClause(q.Keys[0], res.Rows[0].Key[0]); c != `src-name = "web-1"` && c != "src-name = -" && c != "src-name = web-1" {
		t.Errorf("drill clause %q", c)
	}
	var buf bytes.Buffer
	if _, err := writeRecords(&buf, "jsonl", snap, model.SelectAll(snap), testNames()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"interface-name":"web-1","src-name":"web-1","dst-name":"partner"}`) {
		t.Errorf("jsonl export: %s", buf.String())
	}
	buf.Reset()
	if _, err := writeRecords(&buf, "csv", snap, model.SelectAll(snap), testNames()); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasSuffix(first, "interface-name,src-name,dst-name") {
		t.Errorf("csv header: %s", first)
	}
}

func TestGroupKeyNames(t *testing.T) {
	names := testNames()
	k := model.GroupKey{Field: model.FieldSrcAddr, Name: "srcaddr"}
	kv := model.KeyValue{Text: "10.0.1.5", Addr: netip.MustParsePrefix("10.0.1.5/32")}
	if got := keyText(k, kv, names); got != "10.0.1.5 web-1" {
		t.Errorf("named address key: %q", got)
	}
	if got := keyText(k, kv, nil); got != "10.0.1.5" {
		t.Errorf("without names: %q", got)
	}
	ik := model.GroupKey{Field: model.FieldInterfaceID, Name: "interface-id"}
	if got := keyText(ik, model.KeyValue{Text: "eni-0a1b2c3d4e5f67890"}, names); got != "eni-0a1b2c3d4e5f67890 web-1" {
		t.Errorf("named interface key: %q", got)
	}
	pk := model.GroupKey{Field: model.FieldSrcAddr, Prefix: 24, Name: "srcaddr/24"}
	if got := keyText(pk, model.KeyValue{Text: "10.0.1.0/24", Addr: netip.MustParsePrefix("10.0.1.0/24")}, names); got != "10.0.1.0/24" {
		t.Errorf("a prefix has no name: %q", got)
	}
}
