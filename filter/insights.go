package filter

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// Insights renders the filter as a CloudWatch Logs Insights query that
// names fields as Insights discovers them in default-format flow logs
// (srcAddr, dstPort, logStatus; other fields in the same camel case:
// tcpFlags, flowDirection). Use InsightsFormat when the format is known.
func (f *Filter) Insights() string { return f.insights(nil, false) }

// InsightsFormat renders the filter as a Logs Insights query for records in
// format fm: the default format uses the discovered fields, any other gets
// a parse command naming every field. A field the format lacks is absent
// on every row, so tests on it are folded away (nil fm: as Insights).
//
// Absent values are the text "-" in Insights, so
// negated tests are guarded with != "-". CIDRs use isIpv4InSubnet /
// isIpv6InSubnet, globs become anchored regular expressions, and tcp-flags
// bit tests use modular arithmetic. The source pseudo-field cannot be
// expressed (choose the log groups instead): a test on it is left out and
// named in a comment.
func (f *Filter) InsightsFormat(fm *model.Format) string { return f.insights(fm, fm != nil) }

func (f *Filter) insights(fm *model.Format, foldFormat bool) string {
	s, dropped := f.insightsBase(fm, foldFormat)
	var b strings.Builder
	b.WriteString(s)
	for _, d := range dropped {
		b.WriteString("\n# not translated, apply locally: ")
		b.WriteString(d.String())
	}
	return b.String()
}

// insightsBase renders the fields, parse and filter commands, and returns
// the tests it could not translate.
func (f *Filter) insightsBase(fm *model.Format, foldFormat bool) (string, []Node) {
	custom := fm != nil && !fm.Equal(model.DefaultFormat)
	var b strings.Builder
	b.WriteString("fields @timestamp, @message")
	if custom {
		b.WriteString("\n| parse @message \"")
		for i := range fm.Names {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte('*')
		}
		b.WriteString("\" as ")
		for i, name := range fm.Names {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(insightsName(name))
		}
	}
	if f.root == nil {
		return b.String(), nil
	}
	var dropped []Node
	a := avail{}
	if foldFormat {
		a.format = fm
	}
	n := fold(nnf(f.root, false), a, &dropped)
	switch c := n.(type) {
	case *constNode:
		if !c.v {
			b.WriteString("\n| filter 1 = 0")
		}
	default:
		b.WriteString("\n| filter ")
		b.WriteString(f.ins(n, true))
	}
	return b.String(), dropped
}

// insightsName is the camel-case name Insights uses (srcaddr -> srcAddr,
// log-status -> logStatus, pkt-srcaddr -> pktSrcAddr).
func insightsName(name string) string {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	var b strings.Builder
	for i, p := range parts {
		switch p {
		case "srcaddr", "dstaddr", "srcport", "dstport":
			p = p[:3] + strings.ToUpper(p[3:4]) + p[4:]
		}
		if i > 0 && p != "" {
			p = strings.ToUpper(p[:1]) + p[1:]
		}
		b.WriteString(p)
	}
	return b.String()
}

func insStr(s string) string { return strconv.Quote(s) }

func (f *Filter) ins(n Node, top bool) string {
	if s, ok := renderBool(n, top, " and ", " or ", f.ins); ok {
		return s
	}
	if c, ok := n.(*constNode); ok {
		if c.v {
			return "1 = 1"
		}
		return "1 = 0"
	}
	x, neg := leafOf(n)
	var parts []string
	join := " or "
	switch x := x.(type) {
	case *Exists:
		for _, name := range insFields(x.Ref) {
			if neg {
				parts = append(parts, name+` = "-"`)
			} else {
				parts = append(parts, name+` != "-"`)
			}
		}
		if neg {
			join = " and "
		}
	case *Compare:
		if x.Op == OpNe {
			neg = !neg
		}
		for i, name := range insFields(x.Ref) {
			var fld model.Field
			if fs := x.Ref.Fields(); fs != nil {
				fld = fs[i]
			}
			p := f.insCompare(x, name, fld)
			if neg {
				p = name + ` != "-" and not ` + wrap(p)
				if len(parts) > 0 || len(x.Ref.Fields()) > 1 || !top {
					p = "(" + p + ")"
				}
			}
			parts = append(parts, p)
		}
		if neg {
			join = " and "
		}
	}
	s := strings.Join(parts, join)
	if len(parts) > 1 && !top {
		s = "(" + s + ")"
	}
	return s
}

func insFields(r Ref) []string {
	if r.Kind == RefExtra {
		return []string{insightsName(r.Name)}
	}
	var out []string
	for _, fld := range r.Fields() {
		out = append(out, insightsName(fld.String()))
	}
	return out
}

// insCompare renders the positive form of a comparison on one field.
func (f *Filter) insCompare(c *Compare, name string, fld model.Field) string {
	op := c.Op
	if op == OpNe {
		op = OpEq
	}
	var terms []string
	switch {
	case fld != model.FieldUnknown && intCol(fld):
		items := f.numItems(c)
		switch op {
		case OpLt, OpLe, OpGt, OpGe:
			return name + " " + op.String() + " " + strconv.FormatUint(items[0].lo, 10)
		case OpHas:
			m := c.Values[0].Lo
			for bit := uint64(1); bit < 256; bit <<= 1 {
				if m&bit != 0 {
					terms = append(terms, name+" % "+strconv.FormatUint(2*bit, 10)+" >= "+strconv.FormatUint(bit, 10))
				}
			}
			s := strings.Join(terms, " and ")
			if len(terms) > 1 {
				s = "(" + s + ")"
			}
			return s
		}
		var singles []string
		for _, it := range items {
			if it.lo == it.hi {
				singles = append(singles, strconv.FormatUint(it.lo, 10))
			} else {
				terms = append(terms, "("+name+" >= "+strconv.FormatUint(it.lo, 10)+" and "+name+" <= "+strconv.FormatUint(it.hi, 10)+")")
			}
		}
		terms = append(insIn(name, singles), terms...)
	case fld != model.FieldUnknown && fld.Kind() == model.KindAddr:
		var singles []string
		for _, l := range c.Values {
			switch {
			case l.isSet() && l.Prefix.Addr().Is4():
				terms = append(terms, "isIpv4InSubnet("+name+", "+insStr(l.Prefix.String())+")")
			case l.isSet():
				terms = append(terms, "isIpv6InSubnet("+name+", "+insStr(l.Prefix.String())+")")
			default:
				singles = append(singles, insStr(l.Prefix.Addr().String()))
			}
		}
		terms = append(insIn(name, singles), terms...)
	default:
		var singles []string
		for _, l := range c.Values {
			switch l.Kind {
			case LitGlob:
				terms = append(terms, name+" like /"+globToRegex(l.Str)+"/")
			case LitRegex:
				re := l.Str
				if l.Fold {
					re = "(?i)" + re
				}
				terms = append(terms, name+" like /"+re+"/")
			default:
				singles = append(singles, insStr(l.Str))
			}
		}
		terms = append(insIn(name, singles), terms...)
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " or ") + ")"
}

func insIn(name string, vals []string) []string {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return []string{name + " = " + vals[0]}
	}
	return []string{name + " in [" + strings.Join(vals, ", ") + "]"}
}

// globToRegex turns a glob into an anchored regular expression, with '/'
// escaped for the /.../ delimiters.
func globToRegex(g string) string {
	var b strings.Builder
	b.WriteByte('^')
	lit := 0
	flush := func(i int) {
		b.WriteString(strings.ReplaceAll(regexp.QuoteMeta(g[lit:i]), "/", `\/`))
	}
	for i := 0; i < len(g); i++ {
		switch g[i] {
		case '*':
			flush(i)
			b.WriteString(".*")
			lit = i + 1
		case '?':
			flush(i)
			b.WriteByte('.')
			lit = i + 1
		}
	}
	flush(len(g))
	b.WriteByte('$')
	return b.String()
}
