package tui

import (
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Drill-down: enter on a group narrows the applied filter by the group's
// clause (filter.Filter.And: parsed expressions, never pasted text) and
// opens Flows; each step is a level of the breadcrumb, and back pops one
// level, restoring the filter and the view it left.

// drillClause returns the clause that selects exactly the rows of one
// key value of a group: every key kind has its own spelling in the filter
// language (filter/doc.go), and values go through the filter package's
// quoting.
//
//   - addresses: srcaddr = 10.0.1.25; prefixes: srcaddr in 10.0.1.0/24
//   - numbers and enums: dstport = 22, protocol = 6, action = REJECT
//   - strings: filter.ExactMatch (quoted when needed; a value holding a
//     glob character is matched with an anchored regular expression)
//   - absent values: field = - (the absence test)
//   - time buckets: start >= T and start < T+bucket (RFC 3339, UTC)
//
// The clause is parsed on its own (drillNode); it never touches the text
// of the filter it narrows.
func drillClause(k model.GroupKey, kv model.KeyValue) string {
	if k.Label != nil { // a name key: src-name = "web-1"
		if kv.Absent {
			return k.Name + " = -"
		}
		return k.Name + " " + filter.ExactMatch(kv.Text)
	}
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
	return name + " " + filter.ExactMatch(kv.Text)
}

// drillNode returns the parsed expression selecting a whole group row:
// every key's clause, each parsed on its own, joined with and.
func drillNode(keys []model.GroupKey, row model.GroupRow) (filter.Node, error) {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = drillClause(k, row.Key[i])
	}
	return filter.ParseAll(parts...)
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
	preset   bool        // the step is a preset: the next preset replaces it
}

// breadcrumb renders the drill-down path in one line of w cells: the
// newest steps are kept when it does not fit.
func breadcrumb(t *Theme, levels []drillLevel, w int) string {
	const sep = " › "
	tail := "  (esc back)"
	parts := []string{"all"}
	for _, l := range levels {
		parts = append(parts, model.Sanitize(l.label))
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
