package filter

import (
	"fmt"
	"regexp"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Filter text is owned here. Code outside this package never builds an
// expression by pasting two expressions' text together: it parses each
// one (Parse, ParseAll), builds bounds as parsed values (Window,
// TimeBound) and combines them with a compiled filter (Filter.And). A value written into a clause goes
// through Quote or ExactMatch, which know what the lexer reads back.

// Quote returns s as a string value that the lexer reads back as exactly
// s: bare when it lexes as one word (and is no keyword, absence marker or
// regex), else double-quoted with '"' and '\' escaped. "-" reads back as
// absence, quoted or not, as it does in a log. Compared with = or !=, a
// value holding * or ? is a glob whether quoted or not; ExactMatch selects
// such text literally.
func Quote(s string) string { return quoteIfNeeded(s) }

// ExactMatch returns the operator and value that select a string field
// equal to s, exactly: "= " + Quote(s), or, when s holds the glob
// characters * or ?, an anchored regular expression ("~ /^a\*b$/").
func ExactMatch(s string) string {
	if isGlob(s) {
		return "~ /^" + escapeSlash(regexp.QuoteMeta(s)) + "$/"
	}
	return "= " + Quote(s)
}

// And returns f narrowed by clause: the filter that selects what both
// select. It combines parsed expressions, so precedence holds whatever
// either side looked like as text: an f of "a or b" stays one operand of
// the and (its canonical form prints it in parentheses), and text that did
// not parse never gets this far. The result is checked as typed text would
// be (its canonical form, which parses back to an equal tree, is parsed
// and type-checked again, so a hand-built clause cannot reach the compiler
// unchecked), and relative times keep f's clock, so the result narrows
// exactly the rows f selected. A nil clause returns f.
func (f *Filter) And(clause Node) (*Filter, error) {
	if clause == nil {
		return f, nil
	}
	return CompileOptions(conjoin(f.root, clause).String(), Options{Now: time.Unix(f.now, 0), Names: f.names})
}

// conjoin returns the and of two parsed expressions (a nil side selects
// everything), flattening nested ands as the parser does.
func conjoin(base, clause Node) Node {
	switch {
	case base == nil:
		return clause
	case clause == nil:
		return base
	}
	return &And{Args: flatten(flatten(nil, base, false), clause, false), At: base.Pos()}
}

// TimeBound returns the comparison "field op t" on start or end, for
// bounds that come from flags or views rather than typed text (--since,
// a chart's window). op is one of = != < <= > >=.
func TimeBound(field model.Field, op Op, t time.Time) (Node, error) {
	if field != model.FieldStart && field != model.FieldEnd {
		return nil, fmt.Errorf("filter: %s is not a time field", field)
	}
	if op < OpEq || op > OpGe {
		return nil, fmt.Errorf("filter: %s does not bound a time", op)
	}
	sec := t.Unix()
	if sec < 0 || uint64(sec) > field.Info().Max {
		return nil, fmt.Errorf("filter: %s is out of range for %s", t.UTC().Format(time.RFC3339), field)
	}
	return &Compare{Ref: Ref{Kind: RefField, Field: field}, Op: op, Values: []Lit{{Kind: LitTime, Sec: sec}}}, nil
}

// Window returns the clause that keeps records whose interval meets the
// time range [since, until]: "end >= since and start <= until", a zero
// bound left out, nil when both are zero. It is how --since and --until
// become part of a filter, in the query command and in the explorer.
func Window(since, until time.Time) (Node, error) {
	var n Node
	if !since.IsZero() {
		b, err := TimeBound(model.FieldEnd, OpGe, since)
		if err != nil {
			return nil, err
		}
		n = b
	}
	if !until.IsZero() {
		b, err := TimeBound(model.FieldStart, OpLe, until)
		if err != nil {
			return nil, err
		}
		n = conjoin(n, b)
	}
	return n, nil
}

// ParseAll parses each expression on its own and combines them with and
// (a blank one selects everything): the filter a user typed and the
// clauses a program adds to it. The first error (an *Error, its offset in
// that expression) is returned as is.
func ParseAll(exprs ...string) (Node, error) {
	var n Node
	for _, e := range exprs {
		x, err := Parse(e)
		if err != nil {
			return nil, err
		}
		n = conjoin(n, x)
	}
	return n, nil
}
