package filter

import (
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// CWLPattern renders the filter as a CloudWatch Logs filter pattern for
// space-delimited flow-log events in format fm (nil: the default format):
// "[version, account_id, ..., dstport = 22, ...]". A bracket pattern can
// only and conditions on single fields together, so each top-level
// conjunct of the expression (in negation normal form) is pushed down when
// it is a test on one field, or an or of tests on one field, that the
// pattern syntax can state: =, !=, <, <=, >, >=, lists, ranges, globs with
// *, IPv4 CIDRs on octet boundaries (10.1.*), absent (= "-") and present
// (!= "-"). Or across fields, regexes, tcp-flags bit tests, IPv6 values,
// either-side names, source and negations cannot be pushed (a negated
// value test is pushed as != where that selects a superset).
//
// residual is what must still be applied locally to the events the pattern
// returns (nil when the pattern is exact); exact reports that. The pattern
// is "" (every event) when nothing can be pushed. Applying the whole filter
// locally is always correct too.
func (f *Filter) CWLPattern(fm *model.Format) (pattern string, residual *Filter, exact bool) {
	if f.root == nil {
		return "", nil, true
	}
	if fm == nil {
		fm = model.DefaultFormat
	}
	var dropped []Node
	n := fold(nnf(f.root, false), avail{format: fm, source: true}, &dropped)
	if c, ok := n.(*constNode); ok {
		if c.v {
			return "", nil, true
		}
		return "", f, false // matches nothing: let the local filter say so
	}
	conds := make([][]cwlExpr, len(fm.Names))
	var rest []Node
	for _, c := range conjuncts(n) {
		col, e, ok := f.cwlConj(c, fm)
		if ok && len(conds[col]) > 0 && (e.or || conds[col][0].or) {
			ok = false // a || chain cannot be mixed with other conditions
		}
		if !ok {
			rest = append(rest, c)
			continue
		}
		conds[col] = append(conds[col], e)
		if !e.exact {
			rest = append(rest, c)
		}
	}
	pushed := false
	var b strings.Builder
	b.WriteByte('[')
	for i, name := range fm.Names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(cwlLabel(name))
		if len(conds[i]) > 0 {
			pushed = true
			b.WriteByte(' ')
			for k, e := range conds[i] {
				if k > 0 {
					b.WriteString(" && " + cwlLabel(name) + " ")
				}
				b.WriteString(e.text)
			}
		}
	}
	b.WriteByte(']')
	if !pushed {
		return "", f, false
	}
	pattern = b.String()
	if len(rest) == 0 {
		return pattern, nil, true
	}
	var r Node = &And{Args: rest, At: rest[0].Pos()}
	if len(rest) == 1 {
		r = rest[0]
	}
	return pattern, compileNode(r, f.now), false
}

// cwlExpr is the pattern text for one conjunct on one column: conditions
// on the column, starting with its operator ("= 22", "= 80 || dstport =
// 8080"); or says the conditions are joined with ||.
type cwlExpr struct {
	text  string
	or    bool
	exact bool
}

// cwlLabel makes a positional label from a field name.
func cwlLabel(name string) string { return strings.ReplaceAll(name, "-", "_") }

// cwlConj translates one conjunct; it reports the column it tests.
func (f *Filter) cwlConj(n Node, fm *model.Format) (int, cwlExpr, bool) {
	var leaves []Node
	if o, ok := n.(*Or); ok {
		leaves = o.Args
	} else {
		leaves = []Node{n}
	}
	col := -1
	var parts []string
	exact := true
	for _, l := range leaves {
		c, conds, ex, ok := f.cwlLeaf(l, fm)
		if !ok || col >= 0 && c != col {
			return 0, cwlExpr{}, false
		}
		col = c
		exact = exact && ex
		if len(leaves) > 1 && len(conds) > 1 && strings.Contains(strings.Join(conds, ""), "&&") {
			return 0, cwlExpr{}, false
		}
		parts = append(parts, conds...)
	}
	label := cwlLabel(fm.Names[col])
	e := cwlExpr{exact: exact}
	for i, p := range parts {
		if i > 0 {
			e.text += " || " + label + " "
		}
		e.text += p
	}
	e.or = len(parts) > 1
	if e.or && strings.Contains(e.text, "&&") {
		return 0, cwlExpr{}, false
	}
	return col, e, true
}

// cwlLeaf translates one NNF leaf into conditions on one column, each
// starting with its operator; several conditions are alternatives (||),
// except a range, returned as one "&&" condition.
func (f *Filter) cwlLeaf(n Node, fm *model.Format) (col int, conds []string, exact, ok bool) {
	x, neg := leafOf(n)
	var ref Ref
	switch x := x.(type) {
	case *Exists:
		ref = x.Ref
	case *Compare:
		ref = x.Ref
	}
	switch ref.Kind {
	case RefField:
		col = fm.Pos(ref.Field)
	case RefExtra:
		col = -1
		for _, i := range fm.Extra {
			if fm.Names[i] == ref.Name {
				col = i
			}
		}
	default:
		return 0, nil, false, false
	}
	if col < 0 {
		return 0, nil, false, false
	}
	label := cwlLabel(fm.Names[col])
	if _, isExists := x.(*Exists); isExists {
		if neg {
			return col, []string{`= "-"`}, true, true
		}
		return col, []string{`!= "-"`}, true, true
	}
	c := x.(*Compare)
	if c.Op == OpNe {
		neg = !neg
	}
	isNum := ref.Kind == RefField && intCol(ref.Field)
	isAddr := ref.Kind == RefField && ref.Field.Kind() == model.KindAddr
	if neg {
		// present and != v: "!= v" selects a superset (it also passes "-")
		if c.Op != OpEq && c.Op != OpNe || len(c.Values) != 1 {
			return 0, nil, false, false
		}
		l := c.Values[0]
		switch {
		case isNum:
			lo, _ := f.litRange(l)
			return col, []string{"!= " + strconv.FormatUint(lo, 10)}, false, true
		case isAddr:
			if !l.Prefix.Addr().Is4() {
				return 0, nil, false, false
			}
			return col, []string{"!= " + strconv.Quote(l.Prefix.Addr().String())}, false, true
		case l.Kind == LitStr || l.Kind == LitEnum:
			return col, []string{"!= " + strconv.Quote(l.Str)}, false, true
		}
		return 0, nil, false, false
	}
	exact = true
	switch {
	case isNum:
		items := f.numItems(c)
		switch c.Op {
		case OpLt, OpLe, OpGt, OpGe:
			return col, []string{c.Op.String() + " " + strconv.FormatUint(items[0].lo, 10)}, true, true
		case OpHas:
			return 0, nil, false, false
		}
		for _, it := range items {
			if it.lo == it.hi {
				conds = append(conds, "= "+strconv.FormatUint(it.lo, 10))
			} else {
				conds = append(conds, ">= "+strconv.FormatUint(it.lo, 10)+" && "+label+" <= "+strconv.FormatUint(it.hi, 10))
			}
		}
	case isAddr:
		for _, l := range c.Values {
			a := l.Prefix.Addr()
			bits := l.Prefix.Bits()
			switch {
			case !a.Is4() || bits == 0:
				return 0, nil, false, false
			case bits == 32:
				conds = append(conds, "= "+strconv.Quote(a.String()))
			default:
				octs := bits / 8 // whole octets; a partial one widens the pattern
				if bits%8 != 0 {
					exact = false
				}
				if octs == 0 {
					return 0, nil, false, false
				}
				b4 := a.As4()
				var s strings.Builder
				for i := 0; i < octs; i++ {
					s.WriteString(strconv.Itoa(int(b4[i])))
					s.WriteByte('.')
				}
				s.WriteByte('*')
				conds = append(conds, "= "+s.String())
			}
		}
	default:
		if c.Op != OpEq && c.Op != OpIn {
			return 0, nil, false, false // regex
		}
		for _, l := range c.Values {
			switch l.Kind {
			case LitGlob:
				g := l.Str
				if strings.Contains(g, "?") {
					g = strings.ReplaceAll(g, "?", "*")
					exact = false
				}
				if !cwlBare(g) {
					return 0, nil, false, false
				}
				if globMatch(g, "-") { // the pattern would also pass absent values
					exact = false
				}
				conds = append(conds, "= "+g)
			default:
				conds = append(conds, "= "+strconv.Quote(l.Str))
			}
		}
	}
	return col, conds, exact, true
}

// cwlBare reports whether a wildcard value can be written unquoted.
func cwlBare(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".:-_*/", c) >= 0) {
			return false
		}
	}
	return true
}
