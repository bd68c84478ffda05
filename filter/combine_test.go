package filter

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// awkward are string values that need care in a clause: keywords,
// punctuation the lexer splits on, quotes, backslashes, the absence
// marker, regex and ${} look-alikes, globs, blanks and non-ASCII.
var awkward = []string{
	"vpc-1", "and", "OR", "not", "in", "has", "exists", "-", "", " ", "a b", `sub"quote`, `sub\back`,
	"sub(x)=y", "${x}", "/sub", "a/b", "vpc-é", "sub~!<>", "a*b", "a?b", "*", "x|y&z", "a,b", "eni-0a1b*",
	"\t", "ü", "日本", `\"`, "a)b or (c",
}

// TestQuote: every quoted value reads back as exactly the text (=
// compares it as a string, or as a glob when it holds * or ?).
func TestQuote(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := append([]string(nil), awkward...)
	for range 500 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x5f))
		}
		vals = append(vals, string(b))
	}
	for _, s := range vals {
		if s == "-" {
			continue // "-" is absence in the language, as in a log: no value holds it
		}
		n, err := Parse("vpc-id = " + Quote(s))
		if err != nil {
			t.Errorf("Quote(%q) = %s does not parse: %v", s, Quote(s), err)
			continue
		}
		c, ok := n.(*Compare)
		if !ok || len(c.Values) != 1 || c.Values[0].Str != s {
			t.Errorf("Quote(%q) = %s reads back as %v", s, Quote(s), n)
		}
	}
}

// TestExactMatch: the clause selects exactly the text, even one holding
// glob characters, among rows holding look-alikes.
func TestExactMatch(t *testing.T) {
	var vals []string
	for _, s := range awkward {
		if s != "" && s != "-" && !strings.ContainsAny(s, " \t") { // a log token has no blank; - is absence
			vals = append(vals, s, s+"x", "x"+s)
		}
	}
	seen := map[string]bool{}
	var lines strings.Builder
	lines.WriteString("version vpc-id\n")
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			lines.WriteString("5 " + v + "\n")
		}
	}
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "t", Data: []byte(lines.String())})
	snap := ix.Publish()
	for v := range seen {
		f, err := CompileAt("vpc-id "+ExactMatch(v), time.Unix(0, 0))
		if err != nil {
			t.Errorf("ExactMatch(%q) = %s: %v", v, ExactMatch(v), err)
			continue
		}
		if n := f.Eval(snap, nil).Count; n != 1 {
			t.Errorf("%s selects %d rows, want only the row holding %q", f, n, v)
		}
	}
}

// TestAnd: narrowing a filter keeps precedence: the base's or stays one
// operand, so the clause bounds every alternative.
func TestAnd(t *testing.T) {
	now := time.Unix(1717236300, 0)
	for _, c := range []struct{ base, clause, want string }{
		{"", "dstport = 22", "dstport = 22"},
		{"action = REJECT", "", "action = REJECT"},
		{"action = REJECT", "dstport = 22", "action = REJECT and dstport = 22"},
		{"dstport = 22 or dstport = 3389", "srcaddr = 10.0.0.1", "(dstport = 22 or dstport = 3389) and srcaddr = 10.0.0.1"},
		{"not (dstport = 1 or srcport = 2)", "dstport = 22", "not (dstport = 1 or srcport = 2) and dstport = 22"},
		{"${a} = 1 and ${b} = 2", "${c} = 3 or ${d} = 4", "${a} = 1 and ${b} = 2 and (${c} = 3 or ${d} = 4)"},
		{"start > -15m or bytes > 1MB", "action = REJECT", "(start > -15m or bytes > 1000000) and action = REJECT"},
	} {
		base, err := CompileAt(c.base, now)
		if err != nil {
			t.Fatal(err)
		}
		clause, err := Parse(c.clause)
		if err != nil {
			t.Fatal(err)
		}
		f, err := base.And(clause)
		if err != nil {
			t.Errorf("%q and %q: %v", c.base, c.clause, err)
			continue
		}
		if f.String() != c.want {
			t.Errorf("%q and %q = %q, want %q", c.base, c.clause, f, c.want)
		}
		if !f.Now().Equal(now) {
			t.Errorf("%q and %q: clock %v, want the base's %v", c.base, c.clause, f.Now(), now)
		}
	}
}

// TestWindowBoundsEveryAlternative: the --since window added to a filter
// with an or keeps out every record outside it, whatever the or selects;
// a filter with a stray parenthesis fails to parse instead of escaping
// the window (it used to be pasted as "(" + expr + ") and end >= ...").
func TestWindowBoundsEveryAlternative(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "t", Data: []byte(
		"2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 40 1500000000 1500000060 REJECT OK\n" + // 2017: outside
			"2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 40 1717236000 1717236060 ACCEPT OK\n" + // inside
			"2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 40 1717236000 1717236060 REJECT OK\n")}) // inside
	snap := ix.Publish()
	since := time.Unix(1717230000, 0)
	win, err := Window(since, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	user, err := CompileAt("action = REJECT or action = ACCEPT", since)
	if err != nil {
		t.Fatal(err)
	}
	f, err := user.And(win)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.Eval(snap, nil).Count; n != 2 {
		t.Errorf("%s selects %d rows, want the 2 inside the window", f, n)
	}
	if _, err := ParseAll("action = REJECT) or (action = ACCEPT", win.String()); err == nil {
		t.Error("a stray parenthesis parsed; it must be a filter error")
	} else if fe, ok := err.(*Error); !ok || fe.Offset != strings.Index("action = REJECT) or (action = ACCEPT", ")") {
		t.Errorf("error %v: want an *Error at the stray )", err)
	}
}

// TestWindowAndTimeBound: the window's spelling, its open sides, and the
// bounds TimeBound refuses.
func TestWindowAndTimeBound(t *testing.T) {
	since, until := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 11, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		since, until time.Time
		want         string
	}{
		{since, until, "end >= 2024-06-01T10:00:00Z and start <= 2024-06-01T11:00:00Z"},
		{since, time.Time{}, "end >= 2024-06-01T10:00:00Z"},
		{time.Time{}, until, "start <= 2024-06-01T11:00:00Z"},
		{time.Time{}, time.Time{}, ""},
	} {
		n, err := Window(c.since, c.until)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if n != nil {
			got = n.String()
		}
		if got != c.want {
			t.Errorf("Window(%v, %v) = %q, want %q", c.since, c.until, got, c.want)
		}
	}
	if _, err := TimeBound(model.FieldBytes, OpGe, since); err == nil {
		t.Error("TimeBound on bytes: want an error")
	}
	if _, err := TimeBound(model.FieldStart, OpIn, since); err == nil {
		t.Error("TimeBound with in: want an error")
	}
	if _, err := TimeBound(model.FieldStart, OpGe, time.Unix(-1, 0)); err == nil {
		t.Error("TimeBound before 1970: want an error")
	}
}

// TestAndChecks: a hand-built clause is type-checked like typed text.
func TestAndChecks(t *testing.T) {
	bad := &Compare{Ref: Ref{Kind: RefField, Field: model.FieldSrcAddr}, Op: OpGt, Values: []Lit{{Kind: LitNum, Lo: 1, Hi: 1}}}
	if f, err := MustCompile("").And(bad); err == nil {
		t.Errorf("%s compiled; want a type error", f)
	}
}
