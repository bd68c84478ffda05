package filter

import (
	"strings"

	"github.com/flowlens/flowlens/model"
)

// The renderers work on the expression in negation normal form (and/or over
// leaves, each leaf a comparison or existence test, possibly negated). In
// that form the expression is monotone in its leaves, so under SQL NULL
// semantics a leaf may be rendered as anything that is true exactly when
// the leaf is: an unknown (NULL) result counts as false, as it must.

// constNode is a folded constant in a translated tree.
type constNode struct{ v bool }

// String prints a constant as an expression with that value.
func (c *constNode) String() string {
	if c.v {
		return "exists source"
	}
	return "not exists source"
}

// Pos is 0: constants come from folding, not from the source text.
func (c *constNode) Pos() int { return 0 }
func (c *constNode) node()    {}

var (
	nodeTrue  = &constNode{true}
	nodeFalse = &constNode{false}
)

// leafOf splits an NNF leaf into the comparison or test and its negation.
func leafOf(n Node) (Node, bool) {
	if x, ok := n.(*Not); ok {
		return x.X, true
	}
	return n, false
}

// avail says which fields a target can see.
type avail struct {
	format *model.Format // nil: every field
	source bool          // the source name can be tested
}

func (a avail) has(f model.Field) bool { return a.format == nil || a.format.Has(f) }

func (a avail) hasExtra(name string) bool {
	if a.format == nil {
		return true
	}
	for _, i := range a.format.Extra {
		if a.format.Names[i] == name {
			return true
		}
	}
	return false
}

// fold simplifies an NNF tree for a target: a field the target lacks is
// absent on every row (a comparison on it is false, an existence test
// false, its negation true), and tests the target cannot express at all
// (source, when !a.source) become true, so the result selects a superset;
// dropped collects those. Constants are folded away.
func fold(n Node, a avail, dropped *[]Node) Node {
	switch n := n.(type) {
	case *And, *Or:
		var args []Node
		isAnd := false
		if x, ok := n.(*And); ok {
			args, isAnd = x.Args, true
		} else {
			args = n.(*Or).Args
		}
		var out []Node
		for _, x := range args {
			y := fold(x, a, dropped)
			if c, ok := y.(*constNode); ok {
				if c.v == isAnd {
					continue // neutral
				}
				return c // absorbing
			}
			out = flatten(out, y, !isAnd)
		}
		switch {
		case len(out) == 0:
			return &constNode{isAnd}
		case len(out) == 1:
			return out[0]
		case isAnd:
			return &And{Args: out, At: n.Pos()}
		}
		return &Or{Args: out, At: n.Pos()}
	}
	x, neg := leafOf(n)
	var ref Ref
	switch x := x.(type) {
	case *Exists:
		ref = x.Ref
	case *Compare:
		ref = x.Ref
	}
	switch ref.Kind {
	case RefSource:
		if !a.source {
			*dropped = append(*dropped, n)
			return nodeTrue
		}
		return n
	case RefName, RefGroup: // names live in flowlens, not in the logs: applied locally
		*dropped = append(*dropped, n)
		return nodeTrue
	case RefExtra:
		if a.hasExtra(ref.Name) {
			return n
		}
	case RefField:
		if a.has(ref.Field) {
			return n
		}
	case RefAddr, RefPort:
		fs := ref.Fields()
		h0, h1 := a.has(fs[0]), a.has(fs[1])
		if h0 && h1 {
			return n
		}
		if h0 || h1 {
			// one side missing: it is absent (unknown), so "either side"
			// reduces to the other side, and "neither side" to false
			keep := fs[0]
			if h1 {
				keep = fs[1]
			}
			one := Ref{Kind: RefField, Field: keep}
			if _, isExists := x.(*Exists); isExists {
				if neg { // both absent = the kept one absent
					return &Not{X: &Exists{Ref: one, At: x.Pos()}, At: n.Pos()}
				}
				return &Exists{Ref: one, At: x.Pos()}
			}
			c := *x.(*Compare)
			if neg != (c.Op == OpNe) {
				return nodeFalse
			}
			c.Ref = one
			if neg {
				return &Not{X: &c, At: n.Pos()}
			}
			return &c
		}
	}
	// the field is absent on every row
	if _, isExists := x.(*Exists); isExists && neg {
		return nodeTrue
	}
	return nodeFalse
}

// conjuncts returns the operands of a top-level and (or n itself).
func conjuncts(n Node) []Node {
	if a, ok := n.(*And); ok {
		return a.Args
	}
	return []Node{n}
}

// intCol reports whether a field is numeric in the targets (int columns
// in Athena, numbers in Insights and filter patterns).
func intCol(f model.Field) bool { return f.Kind() == model.KindUint }

// numItems resolves a numeric comparison's values to inclusive ranges.
func (f *Filter) numItems(c *Compare) []iv {
	out := make([]iv, len(c.Values))
	for i, l := range c.Values {
		out[i].lo, out[i].hi = f.litRange(l)
	}
	return out
}

// wrap parenthesises s unless one pair of parentheses already encloses it
// (quoted text and /regex/ literals are skipped over).
func wrap(s string) string {
	if len(s) > 1 && s[0] == '(' {
		depth := 0
		var quote byte
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case quote != 0:
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"' || c == '/':
				quote = c
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 && i != len(s)-1 {
					return "(" + s + ")"
				}
			}
		}
		if depth == 0 {
			return s
		}
	}
	return "(" + s + ")"
}

// renderBool renders an And or Or node in a query dialect: its children
// through render, joined by the dialect's and/or, in parentheses unless
// top. It reports false for any other node.
func renderBool(n Node, top bool, and, or string, render func(Node, bool) string) (string, bool) {
	var args []Node
	sep := or
	switch n := n.(type) {
	case *And:
		args, sep = n.Args, and
	case *Or:
		args = n.Args
	default:
		return "", false
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = render(a, false)
	}
	s := strings.Join(parts, sep)
	if !top {
		s = "(" + s + ")"
	}
	return s, true
}
