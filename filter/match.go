package filter

import (
	"regexp"

	"github.com/flowlens/flowlens/model"
)

// tri is a three-valued truth value: SQL's true, false and unknown (NULL).
type tri uint8

const (
	triF tri = iota
	triT
	triU
)

func triOf(b bool) tri {
	if b {
		return triT
	}
	return triF
}

func (t tri) not() tri {
	switch t {
	case triT:
		return triF
	case triF:
		return triT
	}
	return triU
}

// Match reports whether rec satisfies the filter, evaluating the AST row by
// row with SQL three-valued logic. It is the reference the compiled engine
// is tested against, and what `flowlens query --follow` can use on parsed
// records. The source pseudo-field is unknown here (so a comparison on it is
// never true); use MatchSource when the source is known.
func (f *Filter) Match(rec *model.Record) bool {
	if f.root == nil {
		return true
	}
	m := matcher{f: f, rec: rec}
	return m.eval(f.root) == triT
}

// MatchSource is Match for a record read from the named source.
func (f *Filter) MatchSource(rec *model.Record, source string) bool {
	if f.root == nil {
		return true
	}
	m := matcher{f: f, rec: rec, source: source, hasSource: true}
	return m.eval(f.root) == triT
}

type matcher struct {
	f         *Filter
	rec       *model.Record
	source    string
	hasSource bool
}

func (m *matcher) eval(n Node) tri {
	switch n := n.(type) {
	case *And:
		res := triT
		for _, a := range n.Args {
			switch m.eval(a) {
			case triF:
				return triF
			case triU:
				res = triU
			}
		}
		return res
	case *Or:
		res := triF
		for _, a := range n.Args {
			switch m.eval(a) {
			case triT:
				return triT
			case triU:
				res = triU
			}
		}
		return res
	case *Not:
		return m.eval(n.X).not()
	case *Exists:
		switch n.Ref.Kind {
		case RefSource:
			return triT
		case RefExtra:
			_, ok := m.extra(n.Ref.Name)
			return triOf(ok)
		case RefName, RefGroup:
			return m.existsNames(n.Ref)
		}
		for _, fld := range n.Ref.Fields() {
			if m.rec.Has(fld) {
				return triT
			}
		}
		return triF
	case *Compare:
		return m.compare(n)
	}
	return triU
}

// extra returns the token of unknown field name, if present (not "-").
func (m *matcher) extra(name string) (string, bool) {
	fm := m.rec.Format
	if fm == nil {
		return "", false
	}
	for j, col := range fm.Extra {
		if fm.Names[col] == name && j < len(m.rec.Extra) {
			tok := m.rec.Extra[j]
			if string(tok) == "-" {
				return "", false
			}
			return string(tok), true
		}
	}
	return "", false
}

func (m *matcher) compare(c *Compare) tri {
	op := c.Op
	neg := false
	if op == OpNe { // x != v is not (x = v), also for either-side names
		op, neg = OpEq, true
	}
	var res tri
	switch c.Ref.Kind {
	case RefSource:
		if !m.hasSource {
			return triU
		}
		res = triOf(m.str(c, op, m.source))
	case RefExtra:
		s, ok := m.extra(c.Ref.Name)
		if !ok {
			return triU
		}
		res = triOf(m.str(c, op, s))
	case RefName, RefGroup:
		res = m.matchNames(c, op)
	default:
		res = triF
		for _, fld := range c.Ref.Fields() {
			v := m.field(c, op, fld)
			if v == triT {
				res = triT
				break
			}
			if v == triU {
				res = triU
			}
		}
	}
	if neg {
		return res.not()
	}
	return res
}

// field compares one known field of the record (op is never OpNe).
func (m *matcher) field(c *Compare, op Op, fld model.Field) tri {
	if !m.rec.Has(fld) {
		return triU
	}
	switch fld.Kind() {
	case model.KindUint:
		v, _ := m.rec.Uint(fld)
		for _, l := range c.Values {
			lo, hi := m.f.litRange(l)
			var ok bool
			switch op {
			case OpEq, OpIn:
				ok = v >= lo && v <= hi
			case OpLt:
				ok = v < lo
			case OpLe:
				ok = v <= lo
			case OpGt:
				ok = v > lo
			case OpGe:
				ok = v >= lo
			case OpHas:
				ok = v&l.Lo == l.Lo
			}
			if ok {
				return triT
			}
		}
		return triF
	case model.KindAddr:
		a, _ := m.rec.Addr(fld)
		for _, l := range c.Values {
			if l.Prefix.Contains(a) {
				return triT
			}
		}
		return triF
	case model.KindEnum:
		code := uint64(m.rec.Enum(fld))
		for _, l := range c.Values {
			if l.Lo == code {
				return triT
			}
		}
		return triF
	}
	return triOf(m.str(c, op, string(m.rec.Bytes(fld))))
}

// str compares a present string value.
func (m *matcher) str(c *Compare, op Op, s string) bool {
	for _, l := range c.Values {
		switch l.Kind {
		case LitStr:
			if s == l.Str {
				return true
			}
		case LitGlob:
			if globMatch(l.Str, s) {
				return true
			}
		case LitRegex:
			if m.f.regex(l).MatchString(s) {
				return true
			}
		}
	}
	return false
}

// litRange returns the inclusive range of values a numeric literal stands
// for, relative times resolved against the filter's clock.
func (f *Filter) litRange(l Lit) (lo, hi uint64) {
	switch l.Kind {
	case LitTime:
		return uint64(l.Sec), uint64(l.Sec)
	case LitRel:
		t := f.now + l.Sec
		if t < 0 {
			t = 0
		}
		return uint64(t), uint64(t)
	}
	return l.Lo, l.Hi
}

// regex returns the compiled form of a regex literal (compiled in Compile).
func (f *Filter) regex(l Lit) *regexp.Regexp {
	key := regexKey{l.Str, l.Fold}
	if re, ok := f.regexps[key]; ok {
		return re
	}
	re, err := compileRegex(l)
	if err != nil { // checked by the parser; unreachable
		return regexp.MustCompile(`[^\x00-\x{10FFFF}]`)
	}
	return re
}

type regexKey struct {
	src  string
	fold bool
}
