package tui

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Drill-down: enter on a group adds "key = value" to the filter and opens
// Flows; each step is a level of the breadcrumb, and back pops one level,
// restoring the filter and the view it left.

// drillClause returns the filter text that selects exactly the rows of one
// key value of a group: every key kind has its own spelling in the filter
// language (filter/doc.go).
//
//   - addresses: srcaddr = 10.0.1.25; prefixes: srcaddr in 10.0.1.0/24
//   - numbers and enums: dstport = 22, protocol = 6, action = REJECT
//   - strings: the value bare when it lexes as one word, else quoted; a
//     value holding a glob character (* or ?) is matched with an anchored,
//     escaped regular expression, since = would read it as a pattern
//   - absent values: field = - (the absence test)
//   - time buckets: start >= T and start < T+bucket (RFC 3339, UTC)
func drillClause(k model.GroupKey, kv model.KeyValue) string {
	name := k.Field.String()
	if kv.Absent {
		return name + " = -"
	}
	switch {
	case k.Bucket > 0:
		t := int64(kv.Num)
		return name + " >= " + model.FormatUnix(t) + " and " + name + " < " + model.FormatUnix(t+k.Bucket)
	case k.Field.Kind() == model.KindAddr:
		p := kv.Addr
		if p.Bits() == p.Addr().BitLen() {
			return name + " = " + p.Addr().String()
		}
		return name + " in " + p.String()
	case k.Field.Kind() == model.KindEnum:
		return name + " = " + kv.Text
	case k.Field.Kind() == model.KindUint:
		return name + " = " + strconv.FormatUint(kv.Num, 10)
	}
	return name + " " + stringMatch(kv.Text)
}

// stringMatch returns the operator and value that match s exactly.
func stringMatch(s string) string {
	if strings.ContainsAny(s, "*?") {
		re := regexp.QuoteMeta(s)
		re = strings.ReplaceAll(re, "/", `\/`)
		return "~ /^" + re + "$/"
	}
	return "= " + quoteValue(s)
}

// quoteValue returns s bare when the filter lexer reads it back as one
// plain word, else double-quoted with " and \ escaped.
func quoteValue(s string) string {
	bare := s != "" && s != "-" && !strings.HasPrefix(s, "${") && !strings.HasPrefix(s, "/")
	switch strings.ToLower(s) {
	case "and", "or", "not", "in", "has", "exists":
		bare = false
	}
	for i := 0; bare && i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(),=!<>~"&|`, c) >= 0 {
			bare = false
		}
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// drillExpr returns the clause selecting a whole group row (every key),
// joined with and.
func drillExpr(keys []model.GroupKey, row model.GroupRow) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = drillClause(k, row.Key[i])
	}
	return strings.Join(parts, " and ")
}

// andExpr returns base narrowed by clause: base is parenthesised when its
// top level is an or.
func andExpr(base, clause string, now time.Time) string {
	base = strings.TrimSpace(base)
	if base == "" {
		return clause
	}
	if f, err := filter.CompileAt(base, now); err == nil {
		if _, ok := f.Node().(*filter.Or); ok {
			base = "(" + base + ")"
		}
	} else {
		base = "(" + base + ")"
	}
	return base + " and " + clause
}

// drillLevel is one step of the drill-down path: what it added and what
// to restore when it is popped.
type drillLevel struct {
	label    string           // shown in the breadcrumb
	prevExpr string           // the filter before the step
	prevFlt  *filter.Filter   // compiled prevExpr
	prevSel  *model.Selection // prevExpr's selection, to restore at once
	prevSnap *model.Snapshot
	from     viewID      // the view the step left
	groups   groupsState // the Groups view's key, metric and cursor then
}

// breadcrumb renders the drill-down path in one line of w cells: the
// newest steps are kept when it does not fit.
func breadcrumb(t *Theme, levels []drillLevel, w int) string {
	const sep = " › "
	tail := "  (esc back)"
	parts := []string{"all"}
	for _, l := range levels {
		parts = append(parts, Sanitize(l.label))
	}
	head := " drill "
	for len(parts) > 1 && width(head)+width(strings.Join(parts, sep))+width(tail) > w {
		parts = parts[1:]
		if parts[0] != ellipsis {
			parts[0] = ellipsis
		}
	}
	return fitLine(t.Label.Render(head)+t.Crumb.Render(strings.Join(parts, sep))+t.Muted.Render(tail), w)
}
