package filter

import (
	"reflect"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// FuzzParse checks that parsing never panics, that errors point inside the
// expression, that whatever parses round-trips through its canonical form,
// that compiling, matching and rendering accepted expressions work, and
// that the compiled engine agrees with Match on the fixture records.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.expr)
	}
	for _, tc := range errorCases {
		f.Add(tc.expr)
	}
	var rec model.Record
	p := model.NewParser(nil)
	p.Parse([]byte("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK"), &rec)
	d, _, snap := loadFixtures(f)
	f.Fuzz(func(t *testing.T, expr string) {
		n, err := Parse(expr)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T", err)
			}
			if e.Offset < 0 || e.Offset > len(expr) || e.Expr != expr || e.Msg == "" {
				t.Fatalf("bad error %+v for %q", e, expr)
			}
			_ = e.Caret()
			return
		}
		if n == nil {
			return
		}
		canon := n.String()
		m, err := Parse(canon)
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", expr, canon, err)
		}
		if !reflect.DeepEqual(stripPos(n), stripPos(m)) || m.String() != canon {
			t.Fatalf("%q: canonical %q parses to %q", expr, canon, m)
		}
		c, err := CompileAt(expr, genNow)
		if err != nil {
			t.Fatalf("%q parses but does not compile: %v", expr, err)
		}
		c.Match(&rec)
		c.Athena("t")
		c.Insights()
		c.InsightsFormat(genFormats[3])
		c.CWLPattern(nil)
		if !checkSel(t, c, snap, c.Eval(snap, nil), d) {
			t.Fatalf("engine and reference disagree on %q", expr)
		}
	})
}
