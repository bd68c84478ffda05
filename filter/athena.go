package filter

import (
	"math"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// Athena renders the filter as a query against a flow-log table created with
// the DDL of flowlogs-reference.md §5 (columns named as the fields with '_'
// for '-', partitioned by day 'yyyy/MM/dd'). Bounds on start and end found
// in the top-level conjunction also become a day partition predicate (padded
// by 15 minutes each side for delivery delay). Numeric columns read "-" as
// NULL, string columns as the text "-": negated tests on string columns are
// guarded so absent values stay unselected. CIDRs use Trino's ipaddress
// functions (engine v3). The source pseudo-field has no column: a test on it
// is left out (the query then selects a superset) and named in a comment.
// AthenaSQL renders whole questions (groups, metrics, limits) for any table
// layout.
func (f *Filter) Athena(table string) string {
	var b strings.Builder
	b.WriteString("SELECT * FROM ")
	b.WriteString(table)
	conds, dropped := f.athenaWhere(ReferenceTable(table))
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	for _, d := range dropped {
		b.WriteString("\n-- not translated, apply locally: ")
		b.WriteString(d.String())
	}
	return b.String()
}

// athenaWhere returns the conjuncts of the WHERE clause over table t (the
// partition predicate first) and the tests that could not be translated.
func (f *Filter) athenaWhere(t AthenaTable) (conds []string, dropped []Node) {
	if f.root == nil {
		return nil, nil
	}
	a := avail{}
	if t.Columns != nil {
		a.format = t.format()
	}
	n := fold(nnf(f.root, false), a, &dropped)
	lo, hi := f.timeBounds(n)
	if part := partitionSQL(t.Time, lo, hi); part != "" {
		conds = append(conds, part)
	}
	switch c := n.(type) {
	case *constNode:
		if !c.v {
			conds = append(conds, "false")
		}
	default:
		conds = append(conds, f.sql(n, true))
	}
	return conds, dropped
}

// timeBounds returns the bounds that positive start/end comparisons among
// the top-level conjuncts put on a record's time (Unix seconds): lo = 0
// when unbounded below, hi = math.MaxUint64 when unbounded above.
func (f *Filter) timeBounds(n Node) (lo, hi uint64) {
	lo, hi = 0, uint64(math.MaxUint64)
	for _, c := range conjuncts(n) {
		cmp, ok := c.(*Compare)
		if !ok || !cmp.Ref.isTime() || cmp.Op == OpNe {
			continue
		}
		items := f.numItems(cmp)
		switch cmp.Op {
		case OpGt:
			lo = max(lo, items[0].lo+1)
		case OpGe:
			lo = max(lo, items[0].lo)
		case OpLt:
			if items[0].lo > 0 {
				hi = min(hi, items[0].lo-1)
			} else {
				hi = 0
			}
		case OpLe:
			hi = min(hi, items[0].lo)
		case OpEq, OpIn:
			l, h := uint64(math.MaxUint64), uint64(0)
			for _, it := range items {
				l, h = min(l, it.lo), max(h, it.hi)
			}
			lo, hi = max(lo, l), min(hi, h)
		}
	}
	return lo, hi
}

// sqlCol returns the column of a field.
func sqlCol(f model.Field) string {
	if f == model.FieldEnd {
		return `"end"`
	}
	return strings.ReplaceAll(f.String(), "-", "_")
}

func sqlStr(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sql renders an NNF tree; top says no parentheses are needed around it.
func (f *Filter) sql(n Node, top bool) string {
	if s, ok := renderBool(n, top, " AND ", " OR ", f.sql); ok {
		return s
	}
	if c, ok := n.(*constNode); ok {
		if c.v {
			return "true"
		}
		return "false"
	}
	x, neg := leafOf(n)
	var parts []string
	switch x := x.(type) {
	case *Exists:
		for _, fld := range sqlFields(x.Ref) {
			parts = append(parts, sqlExists(fld, neg))
		}
		if neg { // absent on every side
			return joinSQL(parts, " AND ", top)
		}
		return joinSQL(parts, " OR ", top)
	case *Compare:
		if x.Op == OpNe {
			neg = !neg
		}
		for _, fld := range sqlFields(x.Ref) {
			p := f.sqlCompare(x, fld)
			if neg {
				if fld.isInt {
					p = "NOT " + wrap(p)
				} else {
					p = "(" + fld.col + " <> '-' AND NOT " + wrap(p) + ")"
				}
			}
			parts = append(parts, p)
		}
		if neg { // not (either side) = neither side
			return joinSQL(parts, " AND ", top)
		}
		return joinSQL(parts, " OR ", top)
	}
	return "false"
}

func joinSQL(parts []string, sep string, top bool) string {
	s := strings.Join(parts, sep)
	if len(parts) > 1 && !top {
		s = "(" + s + ")"
	}
	return s
}

// sqlField is one column a reference reads.
type sqlField struct {
	col   string
	field model.Field // FieldUnknown for unknown fields
	isInt bool
}

func sqlFields(r Ref) []sqlField {
	if r.Kind == RefExtra {
		return []sqlField{{col: strings.ReplaceAll(r.Name, "-", "_")}}
	}
	var out []sqlField
	for _, fld := range r.Fields() {
		out = append(out, sqlField{col: sqlCol(fld), field: fld, isInt: intCol(fld)})
	}
	return out
}

func sqlExists(fld sqlField, neg bool) string {
	switch {
	case fld.isInt && neg:
		return fld.col + " IS NULL"
	case fld.isInt:
		return fld.col + " IS NOT NULL"
	case neg:
		return "(" + fld.col + " = '-' OR " + fld.col + " IS NULL)"
	}
	return fld.col + " <> '-'"
}

// sqlCompare renders the positive form of a comparison on one column, in
// parentheses when it has more than one term.
func (f *Filter) sqlCompare(c *Compare, fld sqlField) string {
	col := fld.col
	op := c.Op
	if op == OpNe {
		op = OpEq
	}
	var terms []string
	switch {
	case fld.isInt:
		items := f.numItems(c)
		switch op {
		case OpLt, OpLe, OpGt, OpGe:
			return col + " " + op.String() + " " + strconv.FormatUint(items[0].lo, 10)
		case OpHas:
			m := strconv.FormatUint(c.Values[0].Lo, 10)
			return "bitwise_and(" + col + ", " + m + ") = " + m
		}
		var singles []string
		for _, it := range items {
			if it.lo == it.hi {
				singles = append(singles, strconv.FormatUint(it.lo, 10))
			} else {
				terms = append(terms, col+" BETWEEN "+strconv.FormatUint(it.lo, 10)+" AND "+strconv.FormatUint(it.hi, 10))
			}
		}
		terms = append(sqlIn(col, singles), terms...)
	case fld.field != model.FieldUnknown && fld.field.Kind() == model.KindAddr:
		var singles []string
		for _, l := range c.Values {
			switch {
			case l.isSet() || l.Prefix.Addr().Is6():
				terms = append(terms, "contains("+sqlStr(l.Prefix.String())+", try_cast("+col+" AS ipaddress))")
			default:
				singles = append(singles, sqlStr(l.Prefix.Addr().String()))
			}
		}
		terms = append(sqlIn(col, singles), terms...)
	default: // strings and enums
		var singles []string
		for _, l := range c.Values {
			switch l.Kind {
			case LitGlob:
				terms = append(terms, col+" LIKE "+sqlStr(globToLike(l.Str))+` ESCAPE '\'`)
			case LitRegex:
				re := l.Str
				if l.Fold {
					re = "(?i)" + re
				}
				terms = append(terms, "regexp_like("+col+", "+sqlStr(strings.ReplaceAll(re, `\/`, "/"))+")")
			default:
				singles = append(singles, sqlStr(l.Str))
			}
		}
		terms = append(sqlIn(col, singles), terms...)
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func sqlIn(col string, vals []string) []string {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return []string{col + " = " + vals[0]}
	}
	return []string{col + " IN (" + strings.Join(vals, ", ") + ")"}
}

// globToLike turns * and ? into % and _, escaping LIKE's own wildcards.
func globToLike(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
