package filter

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
)

// namesFor names about half of the addresses and interfaces that d holds
// (web-N, db-N by turns, some through a names file, some through
// interfaces with security groups), so that names, their absence and
// groups all occur.
func namesFor(d *genData) *vpc.Config {
	seenA, seenI := map[netip.Addr]bool{}, map[string]bool{}
	var addrs []netip.Addr
	var ids []string
	for i := range d.recs {
		r := &d.recs[i]
		for _, f := range []model.Field{model.FieldSrcAddr, model.FieldDstAddr} {
			if a, ok := r.Addr(f); ok && !seenA[a] {
				seenA[a] = true
				addrs = append(addrs, a)
			}
		}
		if r.Has(model.FieldInterfaceID) {
			id := string(r.Bytes(model.FieldInterfaceID))
			if !seenI[id] {
				seenI[id] = true
				ids = append(ids, id)
			}
		}
	}
	p := vpc.Parts{Names: map[string]string{}}
	p.Groups = []*vpc.SecurityGroup{{ID: "sg-web", Name: "web"}, {ID: "sg-db", Name: "db"}}
	for k, a := range addrs {
		switch k % 4 {
		case 0:
			p.Names[a.String()] = fmt.Sprintf("web-%d", k)
		case 1:
			g := "sg-web"
			if k%3 == 0 {
				g = "sg-db"
			}
			p.Interfaces = append(p.Interfaces, &vpc.Interface{ID: fmt.Sprintf("eni-x%d", k), InstanceName: fmt.Sprintf("db-%d", k),
				Groups: []string{g}, Addrs: []netip.Addr{a}})
		}
	}
	for k, id := range ids {
		switch k % 3 {
		case 0:
			p.Names[id] = fmt.Sprintf("nat-%d", k)
		case 1:
			p.Interfaces = append(p.Interfaces, &vpc.Interface{ID: id, InstanceName: fmt.Sprintf("web-i%d", k), Groups: []string{"sg-db"}})
		}
	}
	return vpc.NewConfig(p)
}

var nameExprs = []string{
	"name = web-*", "src-name = web-*", "dst-name = db-*", "interface-name = nat-*", "interface-name = web-i*",
	"not name = web-*", "src-name != web-*", "dst-name in (db-5, db-9, web-0)", "name ~ /^db-[0-9]$/",
	"exists src-name", "not exists dst-name", "exists name", "not exists interface-name",
	"sg = sg-web", "sg = db", "sg != sg-web", "not sg = db", "exists sg", "not exists sg", "sg = sg-nothing",
	"name = nobody", "src-name = web-* and dst-name = db-*", "name = web-* or action = REJECT",
}

// TestNamesDifferential checks name and sg filters through the compiled
// engine against Match, alone and mixed with random expressions.
func TestNamesDifferential(t *testing.T) {
	d := genRecords(6000, 400, 21)
	ix := model.NewIndex(0)
	snap := ingestAll(d, ix, 0)[0]
	names := namesFor(d)
	exprs := append([]string(nil), nameExprs...)
	r := rand.New(rand.NewPCG(21, 5))
	n := 300
	if testing.Short() {
		n = 75
	}
	for i := 0; i < n; i++ {
		e := nameExprs[r.IntN(len(nameExprs))]
		op := []string{" and ", " or ", " and not "}[r.IntN(3)]
		exprs = append(exprs, "("+e+")"+op+"("+genExpr(r, 2)+")")
	}
	hits := 0
	for _, expr := range exprs {
		f, err := CompileOptions(expr, Options{Now: genNow, Names: names})
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if !f.UsesNames() {
			t.Errorf("%q: UsesNames false", expr)
		}
		sel := f.Eval(snap, nil)
		if sel.Count > 0 && sel.Count < snap.Rows() {
			hits++
		}
		if !checkSel(t, f, snap, sel, d) {
			return
		}
	}
	if hits < len(exprs)/3 {
		t.Errorf("only %d of %d expressions selected some rows but not all", hits, len(exprs))
	}
}

func TestNamesSemantics(t *testing.T) {
	ix := model.NewIndex(0)
	lines := strings.Join([]string{
		"2 1 eni-web1 10.0.0.1 10.0.0.9 40000 5432 6 1 1 100 160 REJECT OK",  // web-1 -> db-1
		"2 1 eni-web1 10.0.0.9 10.0.0.1 5432 40000 6 1 1 100 160 ACCEPT OK",  // reply
		"2 1 eni-db1 192.0.2.7 10.0.0.9 40000 22 6 1 1 100 160 REJECT OK",    // office -> db-1 on db's interface
		"2 1 eni-other 198.51.100.1 203.0.113.1 1 2 6 1 1 100 160 ACCEPT OK", // nobody named
		"2 1 eni-web1 - - - - - - - 100 160 - NODATA",
	}, "\n") + "\n"
	ix.Ingest(&model.Batch{Source: "t", Object: "o", Data: []byte(lines), Line: 1})
	snap := ix.Publish()
	names := vpc.NewConfig(vpc.Parts{
		Interfaces: []*vpc.Interface{
			{ID: "eni-web1", InstanceName: "web-1", Groups: []string{"sg-web"}, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}},
			{ID: "eni-db1", InstanceName: "db-1", Groups: []string{"sg-db"}, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.9")}},
		},
		Groups: []*vpc.SecurityGroup{{ID: "sg-web", Name: "web"}, {ID: "sg-db", Name: "db"}},
		Names:  map[string]string{"192.0.2.7": "office"},
	})
	for _, tc := range []struct {
		expr string
		rows string // 1-based rows selected
	}{
		{"name = web-*", "1 2 5"}, // row 5: its interface is web-1
		{"src-name = web-1", "1"},
		{"dst-name = db-1", "1 3"},
		{"src-name != web-1", "2 3"}, // row 4 has no names: neither = nor != selects it
		{"name = office", "3"},
		{"interface-name = db-*", "3"},
		{"sg = sg-db", "1 2 3"},
		{"sg = web", "1 2 5"},
		{"not sg = web", ""}, // row 3's source has no known groups: unknown, not selected
		{"exists src-name", "1 2 3"},
		{"not exists src-name", "4 5"},
		{"name = nobody", ""},
	} {
		f, err := CompileOptions(tc.expr, Options{Names: names})
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		var got []string
		f.Eval(snap, nil).ForEach(func(sg *model.Seg, i int) bool {
			got = append(got, fmt.Sprint(sg.Base+uint64(i)+1))
			return true
		})
		if s := strings.Join(got, " "); s != tc.rows {
			t.Errorf("%q: rows %q, want %q", tc.expr, s, tc.rows)
		}
	}
	// Without names, name comparisons select nothing; the filter parses.
	f, err := CompileOptions("name = web-*", Options{})
	if err != nil || f.Eval(snap, nil).Count != 0 || f.String() != "name = web-*" {
		t.Errorf("without names: %v %q", err, f)
	}
	if must(t, "dstport = 22").UsesNames() {
		t.Error("UsesNames on a plain filter")
	}
	// Names are never pushed down.
	f, _ = CompileOptions("dstport = 22 and name = web-*", Options{Names: names})
	if where, _, _ := strings.Cut(f.Athena("flows"), "\n"); strings.Contains(where, "web") || !strings.Contains(where, "dstport = 22") {
		t.Errorf("athena: %s", f.Athena("flows"))
	}
}

func TestWithNamesAndAnd(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "t", Object: "o", Line: 1,
		Data: []byte("2 1 eni-a 10.0.0.1 10.0.0.9 1 22 6 1 1 100 160 ACCEPT OK\n")})
	snap := ix.Publish()
	f, err := CompileOptions("src-name = web", Options{})
	if err != nil || f.Eval(snap, nil).Count != 0 {
		t.Fatalf("%v", err)
	}
	c := vpc.NewConfig(vpc.Parts{Names: map[string]string{"10.0.0.1": "web"}})
	g := f.WithNames(c)
	if g.Eval(snap, nil).Count != 1 || f.Eval(snap, nil).Count != 0 {
		t.Error("WithNames")
	}
	h, err := g.And(&Compare{Ref: Ref{Kind: RefField, Field: model.FieldDstPort}, Op: OpEq, Values: []Lit{{Kind: LitNum, Lo: 22, Hi: 22}}})
	if err != nil || h.Eval(snap, nil).Count != 1 {
		t.Errorf("And lost the names: %v", err)
	}
}

func TestCloneKeepsNames(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "t", Object: "o", Line: 1,
		Data: []byte("2 1 eni-a 10.0.0.1 10.0.0.9 1 22 6 1 1 100 160 ACCEPT OK\n")})
	snap := ix.Publish()
	c := vpc.NewConfig(vpc.Parts{Names: map[string]string{"10.0.0.1": "web"}})
	f, _ := CompileOptions("src-name = web", Options{Names: c})
	if f.Clone().Eval(snap, nil).Count != 1 || f.Selector().Eval(snap, nil).Count != 1 {
		t.Error("a clone lost the names")
	}
}
