package awstest

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file is a small SQL engine for the Athena fake: it parses and
// evaluates the subset of Trino SQL that flowlens emits (SELECT over one
// table with WHERE, GROUP BY, ORDER BY, LIMIT; comparisons, BETWEEN, IN,
// LIKE, IS NULL, arithmetic, CASE/IF, CAST/try_cast/try, the ipaddress
// functions contains and ip_prefix, bitwise_and, regexp_like, strpos,
// coalesce, nullif; aggregates count, count(DISTINCT), count_if, sum, min,
// max; and aggregate window functions OVER ()). Values are nil (NULL),
// int64, float64, string, bool, sqlDate, netip.Addr and netip.Prefix.
// Type errors fail the query as Trino would, so SQL that a real engine
// would reject is not silently accepted here.

// sqlDate is a DATE value, as yyyy-mm-dd.
type sqlDate string

// sqlError is a query failure in Athena's words (ERROR_CODE: line L:C: ...).
type sqlError struct {
	code string
	pos  tokPos
	msg  string
}

func (e *sqlError) Error() string {
	return fmt.Sprintf("%s: line %d:%d: %s", e.code, e.pos.line, e.pos.col, e.msg)
}

type tokPos struct{ line, col int }

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tQIdent // "quoted"
	tString
	tNumber
	tOp
)

type token struct {
	kind tokKind
	text string // identifiers lower-cased; keywords are identifiers
	pos  tokPos
}

func lexSQL(s string) ([]token, error) {
	var out []token
	line, col := 1, 1
	i := 0
	adv := func(n int) {
		for k := 0; k < n; k++ {
			if s[i] == '\n' {
				line++
				col = 1
			} else {
				col++
			}
			i++
		}
	}
	for i < len(s) {
		c := s[i]
		pos := tokPos{line, col}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			adv(1)
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				adv(1)
			}
		case c == '\'' || c == '"':
			q := c
			adv(1)
			var b strings.Builder
			for {
				if i >= len(s) {
					return nil, &sqlError{"SYNTAX_ERROR", pos, "unterminated quoted text"}
				}
				if s[i] == q {
					if i+1 < len(s) && s[i+1] == q {
						b.WriteByte(q)
						adv(2)
						continue
					}
					adv(1)
					break
				}
				b.WriteByte(s[i])
				adv(1)
			}
			k := tString
			if q == '"' {
				k = tQIdent
			}
			out = append(out, token{k, b.String(), pos})
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			out = append(out, token{tNumber, s[i:j], pos})
			adv(j - i)
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{tIdent, strings.ToLower(s[i:j]), pos})
			adv(j - i)
		default:
			for _, op := range []string{"<>", "!=", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ".", ";"} {
				if strings.HasPrefix(s[i:], op) {
					out = append(out, token{tOp, op, pos})
					adv(len(op))
					goto next
				}
			}
			return nil, &sqlError{"SYNTAX_ERROR", pos, fmt.Sprintf("token recognition error at: '%c'", c)}
		next:
		}
	}
	out = append(out, token{tEOF, "<EOF>", tokPos{line, col}})
	return out, nil
}

// sqlExpr is a parsed expression.
type sqlExpr interface{}

type (
	exLit struct{ v any }
	exCol struct {
		name string
		pos  tokPos
	}
	exUnary struct {
		op string
		x  sqlExpr
	}
	exBin struct {
		op   string
		l, r sqlExpr
		pos  tokPos
	}
	exBetween struct {
		x, lo, hi sqlExpr
		not       bool
	}
	exIn struct {
		x    sqlExpr
		list []sqlExpr
		not  bool
	}
	exLike struct {
		x, pat, esc sqlExpr
		not         bool
	}
	exIsNull struct {
		x   sqlExpr
		not bool
	}
	exCast struct {
		x   sqlExpr
		typ string
		try bool
	}
	exCase struct {
		whens, thens []sqlExpr
		els          sqlExpr
	}
	exCall struct {
		name     string
		args     []sqlExpr
		star     bool // count(*)
		distinct bool
		over     bool // an aggregate used as a window function OVER ()
		pos      tokPos
	}
)

type selItem struct {
	x     sqlExpr
	alias string
	star  bool
}

type orderItem struct {
	x    sqlExpr
	desc bool
}

type sqlQuery struct {
	items   []selItem
	table   []string // catalog/database/table parts as written
	tpos    tokPos
	where   sqlExpr
	groupBy []sqlExpr
	orderBy []orderItem
	limit   int64 // -1: none
}

type sqlParser struct {
	toks []token
	i    int
}

func (p *sqlParser) peek() token { return p.toks[p.i] }
func (p *sqlParser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}
func (p *sqlParser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == kw
}
func (p *sqlParser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}
func (p *sqlParser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}
func (p *sqlParser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}
func (p *sqlParser) fail(what string) error {
	t := p.peek()
	return &sqlError{"SYNTAX_ERROR", t.pos, fmt.Sprintf("mismatched input '%s'. Expecting: %s", t.text, what)}
}
func (p *sqlParser) expectKw(kw string) error {
	if !p.acceptKw(kw) {
		return p.fail("'" + strings.ToUpper(kw) + "'")
	}
	return nil
}
func (p *sqlParser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.fail("'" + op + "'")
	}
	return nil
}

var sqlReserved = map[string]bool{"select": true, "from": true, "where": true, "group": true, "by": true, "order": true,
	"limit": true, "as": true, "and": true, "or": true, "not": true, "in": true, "between": true, "like": true,
	"escape": true, "is": true, "null": true, "true": true, "false": true, "case": true, "when": true, "then": true,
	"else": true, "end": true, "cast": true, "distinct": true, "over": true}

func parseSQL(s string) (*sqlQuery, error) {
	toks, err := lexSQL(s)
	if err != nil {
		return nil, err
	}
	p := &sqlParser{toks: toks}
	q := &sqlQuery{limit: -1}
	if err := p.expectKw("select"); err != nil {
		return nil, err
	}
	for {
		if p.acceptOp("*") {
			q.items = append(q.items, selItem{star: true})
		} else {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			it := selItem{x: x}
			if p.acceptKw("as") {
				t := p.next()
				if t.kind != tIdent && t.kind != tQIdent {
					p.i--
					return nil, p.fail("<identifier>")
				}
				it.alias = t.text
			} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !sqlReserved[t.text] {
				it.alias = p.next().text
			}
			q.items = append(q.items, it)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectKw("from"); err != nil {
		return nil, err
	}
	q.tpos = p.peek().pos
	for {
		t := p.next()
		if t.kind != tIdent && t.kind != tQIdent {
			p.i--
			return nil, p.fail("<identifier>")
		}
		q.table = append(q.table, strings.ToLower(t.text))
		if !p.acceptOp(".") {
			break
		}
	}
	if p.acceptKw("where") {
		if q.where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("group") {
		if err := p.expectKw("by"); err != nil {
			return nil, err
		}
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			q.groupBy = append(q.groupBy, x)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("order") {
		if err := p.expectKw("by"); err != nil {
			return nil, err
		}
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			it := orderItem{x: x}
			if p.acceptKw("desc") {
				it.desc = true
			} else {
				p.acceptKw("asc")
			}
			q.orderBy = append(q.orderBy, it)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("limit") {
		t := p.next()
		n, err := strconv.ParseInt(t.text, 10, 64)
		if t.kind != tNumber || err != nil {
			p.i--
			return nil, p.fail("<integer>")
		}
		q.limit = n
	}
	p.acceptOp(";")
	if p.peek().kind != tEOF {
		return nil, p.fail("<EOF>")
	}
	return q, nil
}

func (p *sqlParser) expr() (sqlExpr, error) { return p.or() }

func (p *sqlParser) or() (sqlExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		pos := p.next().pos
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &exBin{"or", l, r, pos}
	}
	return l, nil
}

func (p *sqlParser) and() (sqlExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		pos := p.next().pos
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &exBin{"and", l, r, pos}
	}
	return l, nil
}

func (p *sqlParser) not() (sqlExpr, error) {
	if p.acceptKw("not") {
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &exUnary{"not", x}, nil
	}
	return p.predicate()
}

func (p *sqlParser) predicate() (sqlExpr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind == tOp {
			switch t.text {
			case "=", "<>", "!=", "<", "<=", ">", ">=":
				p.next()
				r, err := p.additive()
				if err != nil {
					return nil, err
				}
				op := t.text
				if op == "!=" {
					op = "<>"
				}
				l = &exBin{op, l, r, t.pos}
				continue
			}
			return l, nil
		}
		not := false
		save := p.i
		if p.acceptKw("not") {
			not = true
		}
		switch {
		case p.acceptKw("between"):
			lo, err := p.additive()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("and"); err != nil {
				return nil, err
			}
			hi, err := p.additive()
			if err != nil {
				return nil, err
			}
			l = &exBetween{l, lo, hi, not}
		case p.acceptKw("in"):
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			var list []sqlExpr
			for {
				x, err := p.expr()
				if err != nil {
					return nil, err
				}
				list = append(list, x)
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			l = &exIn{l, list, not}
		case p.acceptKw("like"):
			pat, err := p.additive()
			if err != nil {
				return nil, err
			}
			var esc sqlExpr
			if p.acceptKw("escape") {
				if esc, err = p.additive(); err != nil {
					return nil, err
				}
			}
			l = &exLike{l, pat, esc, not}
		case !not && p.acceptKw("is"):
			n := p.acceptKw("not")
			if err := p.expectKw("null"); err != nil {
				return nil, err
			}
			l = &exIsNull{l, n}
		default:
			p.i = save
			return l, nil
		}
	}
}

func (p *sqlParser) additive() (sqlExpr, error) {
	l, err := p.mult()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") || p.isOp("||") {
		t := p.next()
		r, err := p.mult()
		if err != nil {
			return nil, err
		}
		l = &exBin{t.text, l, r, t.pos}
	}
	return l, nil
}

func (p *sqlParser) mult() (sqlExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &exBin{t.text, l, r, t.pos}
	}
	return l, nil
}

func (p *sqlParser) unary() (sqlExpr, error) {
	if p.acceptOp("-") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &exUnary{"-", x}, nil
	}
	return p.primary()
}

func (p *sqlParser) primary() (sqlExpr, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return &exLit{n}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			p.i--
			return nil, p.fail("<number>")
		}
		return &exLit{f}, nil
	case tString:
		return &exLit{t.text}, nil
	case tQIdent:
		return &exCol{strings.ToLower(t.text), t.pos}, nil
	case tOp:
		if t.text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		}
		p.i--
		return nil, p.fail("<expression>")
	case tEOF:
		p.i--
		return nil, p.fail("<expression>")
	}
	switch t.text {
	case "null":
		return &exLit{nil}, nil
	case "true":
		return &exLit{true}, nil
	case "false":
		return &exLit{false}, nil
	case "date":
		if s := p.peek(); s.kind == tString {
			p.next()
			return &exLit{sqlDate(s.text)}, nil
		}
	case "cast", "try_cast":
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("as"); err != nil {
			return nil, err
		}
		ty := p.next()
		if ty.kind != tIdent {
			p.i--
			return nil, p.fail("<type>")
		}
		return &exCast{x, ty.text, t.text == "try_cast"}, p.expectOp(")")
	case "case":
		c := &exCase{}
		for p.acceptKw("when") {
			w, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("then"); err != nil {
				return nil, err
			}
			th, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.whens, c.thens = append(c.whens, w), append(c.thens, th)
		}
		if len(c.whens) == 0 {
			return nil, p.fail("'WHEN'")
		}
		if p.acceptKw("else") {
			var err error
			if c.els, err = p.expr(); err != nil {
				return nil, err
			}
		}
		return c, p.expectKw("end")
	}
	if sqlReserved[t.text] {
		p.i--
		return nil, p.fail("<expression>")
	}
	if !p.isOp("(") {
		return &exCol{t.text, t.pos}, nil
	}
	p.next()
	call := &exCall{name: t.text, pos: t.pos}
	switch {
	case p.acceptOp("*"):
		call.star = true
	case p.isOp(")"):
	default:
		call.distinct = p.acceptKw("distinct")
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, x)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if p.acceptKw("over") {
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, p.fail("')' (only OVER () is supported)")
		}
		call.over = true
	}
	return call, nil
}

// --- evaluation ---

var aggregates = map[string]bool{"count": true, "count_if": true, "sum": true, "min": true, "max": true, "avg": true}

// sqlRow is one table row: its values by slot (see AthenaTable.layout).
type sqlRow []any

// evalCtx evaluates expressions over one row, or over a group of rows
// (aggregates read every row, other column references the first), with the
// list of all groups for window functions.
type evalCtx struct {
	row    sqlRow
	group  []sqlRow
	groups [][]sqlRow
	idx    map[string]int // column name -> slot
	res    map[string]*regexp.Regexp
}

func typeErr(pos tokPos, format string, args ...any) error {
	return &sqlError{"TYPE_MISMATCH", pos, fmt.Sprintf(format, args...)}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "unknown"
	case int64:
		return "bigint"
	case float64:
		return "double"
	case string:
		return "varchar"
	case bool:
		return "boolean"
	case sqlDate:
		return "date"
	case netip.Addr:
		return "ipaddress"
	case netip.Prefix:
		return "ipprefix"
	}
	return fmt.Sprintf("%T", v)
}

func (c *evalCtx) eval(x sqlExpr) (any, error) {
	switch x := x.(type) {
	case *exLit:
		return x.v, nil
	case *exCol:
		i, ok := c.idx[x.name]
		if !ok {
			return nil, &sqlError{"COLUMN_NOT_FOUND", x.pos, fmt.Sprintf("Column '%s' cannot be resolved", x.name)}
		}
		r := c.row
		if r == nil && len(c.group) > 0 {
			r = c.group[0]
		}
		if i >= len(r) {
			return nil, nil
		}
		return r[i], nil
	case *exUnary:
		v, err := c.eval(x.x)
		if err != nil || v == nil {
			return nil, err
		}
		switch x.op {
		case "not":
			b, ok := v.(bool)
			if !ok {
				return nil, typeErr(tokPos{}, "NOT of %s", typeName(v))
			}
			return !b, nil
		default:
			switch n := v.(type) {
			case int64:
				return -n, nil
			case float64:
				return -n, nil
			}
			return nil, typeErr(tokPos{}, "cannot negate %s", typeName(v))
		}
	case *exBin:
		return c.binary(x)
	case *exBetween:
		v, err := c.eval(x.x)
		if err != nil {
			return nil, err
		}
		lo, err := c.eval(x.lo)
		if err != nil {
			return nil, err
		}
		hi, err := c.eval(x.hi)
		if err != nil {
			return nil, err
		}
		a, err := compare(v, lo, tokPos{})
		if err != nil {
			return nil, err
		}
		b, err := compare(v, hi, tokPos{})
		if err != nil {
			return nil, err
		}
		r := and3(cmpBool(a, func(n int) bool { return n >= 0 }), cmpBool(b, func(n int) bool { return n <= 0 }))
		if x.not {
			return not3(r), nil
		}
		return r, nil
	case *exIn:
		v, err := c.eval(x.x)
		if err != nil {
			return nil, err
		}
		var r any = false
		for _, e := range x.list {
			w, err := c.eval(e)
			if err != nil {
				return nil, err
			}
			n, err := compare(v, w, tokPos{})
			if err != nil {
				return nil, err
			}
			r = or3(r, cmpBool(n, func(n int) bool { return n == 0 }))
		}
		if x.not {
			return not3(r), nil
		}
		return r, nil
	case *exLike:
		v, err := c.eval(x.x)
		if err != nil {
			return nil, err
		}
		pat, err := c.eval(x.pat)
		if err != nil {
			return nil, err
		}
		esc := ""
		if x.esc != nil {
			e, err := c.eval(x.esc)
			if err != nil {
				return nil, err
			}
			esc, _ = e.(string)
		}
		if v == nil || pat == nil {
			return nil, nil
		}
		s, ok1 := v.(string)
		ps, ok2 := pat.(string)
		if !ok1 || !ok2 {
			return nil, typeErr(tokPos{}, "LIKE needs varchar, got %s", typeName(v))
		}
		re, err := c.likeRegexp(ps, esc)
		if err != nil {
			return nil, err
		}
		m := re.MatchString(s)
		if x.not {
			m = !m
		}
		return m, nil
	case *exIsNull:
		v, err := c.eval(x.x)
		if err != nil {
			return nil, err
		}
		return (v == nil) != x.not, nil
	case *exCast:
		v, err := c.eval(x.x)
		if err != nil {
			return nil, err
		}
		out, err := cast(v, x.typ)
		if err != nil && x.try {
			return nil, nil
		}
		return out, err
	case *exCase:
		for i, w := range x.whens {
			v, err := c.eval(w)
			if err != nil {
				return nil, err
			}
			if v == true {
				return c.eval(x.thens[i])
			}
		}
		if x.els != nil {
			return c.eval(x.els)
		}
		return nil, nil
	case *exCall:
		return c.call(x)
	}
	return nil, fmt.Errorf("cannot evaluate %T", x)
}

func (c *evalCtx) likeRegexp(pat, esc string) (*regexp.Regexp, error) {
	key := "like:" + esc + ":" + pat
	if re := c.res[key]; re != nil {
		return re, nil
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	for i := 0; i < len(pat); i++ {
		ch := pat[i]
		switch {
		case esc != "" && ch == esc[0] && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(string(pat[i])))
		case ch == '%':
			b.WriteString(".*")
		case ch == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	c.res[key] = re
	return re, nil
}

func cmpBool(n *int, f func(int) bool) any {
	if n == nil {
		return nil
	}
	return f(*n)
}

func and3(a, b any) any {
	if a == false || b == false {
		return false
	}
	if a == nil || b == nil {
		return nil
	}
	return true
}

func or3(a, b any) any {
	if a == true || b == true {
		return true
	}
	if a == nil || b == nil {
		return nil
	}
	return false
}

func not3(a any) any {
	if a == nil {
		return nil
	}
	return !a.(bool)
}

// compare orders two values of compatible types; nil when either is NULL.
func compare(a, b any, pos tokPos) (*int, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	n := 0
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			n = cmpOrdered(x, y)
		case float64:
			n = cmpOrdered(float64(x), y)
		default:
			return nil, typeErr(pos, "Cannot apply operator: bigint <> %s", typeName(b))
		}
	case float64:
		switch y := b.(type) {
		case int64:
			n = cmpOrdered(x, float64(y))
		case float64:
			n = cmpOrdered(x, y)
		default:
			return nil, typeErr(pos, "Cannot apply operator: double <> %s", typeName(b))
		}
	case string:
		y, ok := b.(string)
		if !ok {
			return nil, typeErr(pos, "Cannot apply operator: varchar <> %s", typeName(b))
		}
		n = strings.Compare(x, y)
	case sqlDate:
		y, ok := b.(sqlDate)
		if !ok {
			return nil, typeErr(pos, "Cannot apply operator: date <> %s", typeName(b))
		}
		n = strings.Compare(string(x), string(y))
	case bool:
		y, ok := b.(bool)
		if !ok {
			return nil, typeErr(pos, "Cannot apply operator: boolean <> %s", typeName(b))
		}
		switch {
		case x == y:
		case !x:
			n = -1
		default:
			n = 1
		}
	case netip.Addr:
		y, ok := b.(netip.Addr)
		if !ok {
			return nil, typeErr(pos, "Cannot apply operator: ipaddress <> %s", typeName(b))
		}
		n = x.Compare(y)
	case netip.Prefix:
		y, ok := b.(netip.Prefix)
		if !ok {
			return nil, typeErr(pos, "Cannot apply operator: ipprefix <> %s", typeName(b))
		}
		n = strings.Compare(x.String(), y.String())
	default:
		return nil, typeErr(pos, "cannot compare %s", typeName(a))
	}
	return &n, nil
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *evalCtx) binary(x *exBin) (any, error) {
	l, err := c.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "and", "or":
		r, err := c.eval(x.r)
		if err != nil {
			return nil, err
		}
		for _, v := range []any{l, r} {
			if _, ok := v.(bool); v != nil && !ok {
				return nil, typeErr(x.pos, "%s needs boolean operands, got %s", strings.ToUpper(x.op), typeName(v))
			}
		}
		if x.op == "and" {
			return and3(l, r), nil
		}
		return or3(l, r), nil
	}
	r, err := c.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "=", "<>", "<", "<=", ">", ">=":
		n, err := compare(l, r, x.pos)
		if err != nil || n == nil {
			return nil, err
		}
		switch x.op {
		case "=":
			return *n == 0, nil
		case "<>":
			return *n != 0, nil
		case "<":
			return *n < 0, nil
		case "<=":
			return *n <= 0, nil
		case ">":
			return *n > 0, nil
		}
		return *n >= 0, nil
	case "||":
		if l == nil || r == nil {
			return nil, nil
		}
		return fmt.Sprint(l) + fmt.Sprint(r), nil
	}
	if l == nil || r == nil {
		return nil, nil
	}
	a, aInt := l.(int64)
	b, bInt := r.(int64)
	if aInt && bInt {
		switch x.op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/", "%":
			if b == 0 {
				return nil, &sqlError{"DIVISION_BY_ZERO", x.pos, "Division by zero"}
			}
			if x.op == "/" {
				return a / b, nil
			}
			return a % b, nil
		}
	}
	fa, ok1 := toFloat(l)
	fb, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil, typeErr(x.pos, "Cannot apply operator: %s %s %s", typeName(l), x.op, typeName(r))
	}
	switch x.op {
	case "+":
		return fa + fb, nil
	case "-":
		return fa - fb, nil
	case "*":
		return fa * fb, nil
	case "/":
		return fa / fb, nil
	}
	return math.Mod(fa, fb), nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func cast(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "varchar":
		return sqlText(v), nil
	case "bigint", "integer", "int":
		switch n := v.(type) {
		case int64:
			return n, nil
		case float64:
			return int64(math.Round(n)), nil
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
			if err != nil {
				return nil, &sqlError{"INVALID_CAST_ARGUMENT", tokPos{1, 1}, fmt.Sprintf("Cannot cast '%s' to BIGINT", n)}
			}
			return i, nil
		}
	case "double":
		if f, ok := toFloat(v); ok {
			return f, nil
		}
		if s, ok := v.(string); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err == nil {
				return f, nil
			}
		}
	case "ipaddress":
		switch a := v.(type) {
		case netip.Addr:
			return a, nil
		case string:
			ip, err := netip.ParseAddr(a)
			if err != nil || ip.Zone() != "" {
				return nil, &sqlError{"INVALID_CAST_ARGUMENT", tokPos{1, 1}, fmt.Sprintf("Cannot cast value to IPADDRESS: %s", a)}
			}
			return ip, nil
		}
	case "ipprefix":
		if s, ok := v.(string); ok {
			p, err := netip.ParsePrefix(s)
			if err == nil {
				return p.Masked(), nil
			}
		}
	case "date":
		if s, ok := v.(string); ok {
			return sqlDate(s), nil
		}
	}
	return nil, &sqlError{"INVALID_CAST_ARGUMENT", tokPos{1, 1}, fmt.Sprintf("Cannot cast %s to %s", typeName(v), typ)}
}

// sqlText writes a value as Athena's result set does.
func sqlText(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case sqlDate:
		return string(x)
	case netip.Addr:
		return x.String()
	case netip.Prefix:
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func (c *evalCtx) args(x *exCall) ([]any, error) {
	out := make([]any, len(x.args))
	for i, a := range x.args {
		v, err := c.eval(a)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (c *evalCtx) call(x *exCall) (any, error) {
	if aggregates[x.name] {
		return c.aggregate(x)
	}
	nargs := func(n int) error {
		if len(x.args) != n {
			return &sqlError{"FUNCTION_NOT_FOUND", x.pos, fmt.Sprintf("Unexpected parameters for function %s: want %d arguments, got %d", x.name, n, len(x.args))}
		}
		return nil
	}
	if x.name == "try" {
		if err := nargs(1); err != nil {
			return nil, err
		}
		v, err := c.eval(x.args[0])
		if err != nil {
			return nil, nil
		}
		return v, nil
	}
	if x.name == "if" {
		if len(x.args) != 2 && len(x.args) != 3 {
			return nil, nargs(3)
		}
		cond, err := c.eval(x.args[0])
		if err != nil {
			return nil, err
		}
		if cond == true {
			return c.eval(x.args[1])
		}
		if len(x.args) == 3 {
			return c.eval(x.args[2])
		}
		return nil, nil
	}
	args, err := c.args(x)
	if err != nil {
		return nil, err
	}
	switch x.name {
	case "coalesce":
		for _, a := range args {
			if a != nil {
				return a, nil
			}
		}
		return nil, nil
	case "nullif":
		if err := nargs(2); err != nil {
			return nil, err
		}
		n, err := compare(args[0], args[1], x.pos)
		if err != nil {
			return nil, err
		}
		if n != nil && *n == 0 {
			return nil, nil
		}
		return args[0], nil
	}
	for _, a := range args {
		if a == nil {
			return nil, nil // the remaining functions return NULL on NULL input
		}
	}
	switch x.name {
	case "contains":
		if err := nargs(2); err != nil {
			return nil, err
		}
		ps, ok := args[0].(string)
		if !ok {
			return nil, typeErr(x.pos, "contains: first argument must be varchar (a CIDR), got %s", typeName(args[0]))
		}
		ip, ok := args[1].(netip.Addr)
		if !ok {
			return nil, typeErr(x.pos, "contains: second argument must be ipaddress, got %s", typeName(args[1]))
		}
		p, err := netip.ParsePrefix(ps)
		if err != nil {
			return nil, &sqlError{"INVALID_FUNCTION_ARGUMENT", x.pos, "Invalid CIDR: " + ps}
		}
		return p.Masked().Contains(ip.Unmap()) || p.Masked().Contains(ip), nil
	case "ip_prefix":
		if err := nargs(2); err != nil {
			return nil, err
		}
		var ip netip.Addr
		switch a := args[0].(type) {
		case netip.Addr:
			ip = a
		case string:
			v, err := cast(a, "ipaddress")
			if err != nil {
				return nil, err
			}
			ip = v.(netip.Addr)
		default:
			return nil, typeErr(x.pos, "ip_prefix: want ipaddress or varchar, got %s", typeName(args[0]))
		}
		bits, ok := args[1].(int64)
		if !ok {
			return nil, typeErr(x.pos, "ip_prefix: prefix bits must be bigint")
		}
		if bits < 0 || int(bits) > ip.BitLen() {
			return nil, &sqlError{"INVALID_FUNCTION_ARGUMENT", x.pos, fmt.Sprintf("IPv%d subnet size must be in range [0, %d]", map[bool]int{true: 4, false: 6}[ip.Is4()], ip.BitLen())}
		}
		p, _ := ip.Prefix(int(bits))
		return p, nil
	case "strpos":
		if err := nargs(2); err != nil {
			return nil, err
		}
		s, ok1 := args[0].(string)
		sub, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, typeErr(x.pos, "strpos needs varchar")
		}
		return int64(strings.Index(s, sub) + 1), nil
	case "bitwise_and":
		if err := nargs(2); err != nil {
			return nil, err
		}
		a, ok1 := args[0].(int64)
		b, ok2 := args[1].(int64)
		if !ok1 || !ok2 {
			return nil, typeErr(x.pos, "bitwise_and needs bigint")
		}
		return a & b, nil
	case "regexp_like":
		if err := nargs(2); err != nil {
			return nil, err
		}
		s, ok1 := args[0].(string)
		pat, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, typeErr(x.pos, "regexp_like needs varchar")
		}
		re := c.res["re:"+pat]
		if re == nil {
			var err error
			if re, err = regexp.Compile(pat); err != nil {
				return nil, &sqlError{"INVALID_FUNCTION_ARGUMENT", x.pos, err.Error()}
			}
			c.res["re:"+pat] = re
		}
		return re.MatchString(s), nil
	}
	return nil, &sqlError{"FUNCTION_NOT_FOUND", x.pos, fmt.Sprintf("Function '%s' not registered", x.name)}
}

// aggregate evaluates an aggregate over the group (or, OVER (), over the
// groups: the aggregate's argument is evaluated per group).
func (c *evalCtx) aggregate(x *exCall) (any, error) {
	if c.group == nil && c.groups == nil {
		return nil, &sqlError{"EXPRESSION_NOT_AGGREGATE", x.pos, fmt.Sprintf("'%s' cannot be used here", x.name)}
	}
	var vals []any
	if x.over {
		if c.groups == nil {
			return nil, &sqlError{"NOT_SUPPORTED", x.pos, "window function in this place"}
		}
		for _, g := range c.groups {
			if x.star {
				vals = append(vals, int64(1))
				continue
			}
			sub := &evalCtx{group: g, idx: c.idx, res: c.res}
			v, err := sub.eval(x.args[0])
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
	} else {
		for _, r := range c.group {
			if x.star {
				vals = append(vals, int64(1))
				continue
			}
			if len(x.args) != 1 {
				return nil, &sqlError{"FUNCTION_NOT_FOUND", x.pos, x.name + " takes one argument"}
			}
			sub := &evalCtx{row: r, idx: c.idx, res: c.res}
			v, err := sub.eval(x.args[0])
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
	}
	if x.distinct {
		seen := map[string]bool{}
		var d []any
		for _, v := range vals {
			k := typeName(v) + ":" + sqlText(v)
			if v != nil && !seen[k] {
				seen[k] = true
				d = append(d, v)
			}
		}
		vals = d
	}
	switch x.name {
	case "count":
		n := int64(0)
		for _, v := range vals {
			if v != nil {
				n++
			}
		}
		return n, nil
	case "count_if":
		n := int64(0)
		for _, v := range vals {
			if b, ok := v.(bool); ok && b {
				n++
			} else if v != nil && !ok {
				return nil, typeErr(x.pos, "count_if needs boolean, got %s", typeName(v))
			}
		}
		return n, nil
	case "sum", "avg":
		var si int64
		var sf float64
		isF, any := false, false
		for _, v := range vals {
			switch n := v.(type) {
			case nil:
			case int64:
				si += n
				sf += float64(n)
				any = true
			case float64:
				sf += n
				isF, any = true, true
			default:
				return nil, typeErr(x.pos, "%s needs numbers, got %s", x.name, typeName(v))
			}
		}
		if !any {
			return nil, nil
		}
		if x.name == "avg" {
			n := 0
			for _, v := range vals {
				if v != nil {
					n++
				}
			}
			return sf / float64(n), nil
		}
		if isF {
			return sf, nil
		}
		return si, nil
	case "min", "max":
		var best any
		for _, v := range vals {
			if v == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			n, err := compare(v, best, x.pos)
			if err != nil {
				return nil, err
			}
			if x.name == "min" && *n < 0 || x.name == "max" && *n > 0 {
				best = v
			}
		}
		return best, nil
	}
	return nil, nil
}

// hasAggregate reports whether x contains an aggregate call (not a window).
func hasAggregate(x sqlExpr) bool {
	found := false
	walkSQL(x, func(e sqlExpr) {
		if c, ok := e.(*exCall); ok && aggregates[c.name] && !c.over {
			found = true
		}
	})
	return found
}

// columnsOf lists the column names x references.
func columnsOf(x sqlExpr) []string {
	var out []string
	walkSQL(x, func(e sqlExpr) {
		if c, ok := e.(*exCol); ok {
			out = append(out, c.name)
		}
	})
	return out
}

func walkSQL(x sqlExpr, fn func(sqlExpr)) {
	if x == nil {
		return
	}
	fn(x)
	switch x := x.(type) {
	case *exUnary:
		walkSQL(x.x, fn)
	case *exBin:
		walkSQL(x.l, fn)
		walkSQL(x.r, fn)
	case *exBetween:
		walkSQL(x.x, fn)
		walkSQL(x.lo, fn)
		walkSQL(x.hi, fn)
	case *exIn:
		walkSQL(x.x, fn)
		for _, e := range x.list {
			walkSQL(e, fn)
		}
	case *exLike:
		walkSQL(x.x, fn)
		walkSQL(x.pat, fn)
		walkSQL(x.esc, fn)
	case *exIsNull:
		walkSQL(x.x, fn)
	case *exCast:
		walkSQL(x.x, fn)
	case *exCase:
		for i := range x.whens {
			walkSQL(x.whens[i], fn)
			walkSQL(x.thens[i], fn)
		}
		walkSQL(x.els, fn)
	case *exCall:
		for _, a := range x.args {
			walkSQL(a, fn)
		}
	}
}

// conjunctsSQL splits a WHERE clause at its top-level ANDs.
func conjunctsSQL(x sqlExpr) []sqlExpr {
	if b, ok := x.(*exBin); ok && b.op == "and" {
		return append(conjunctsSQL(b.l), conjunctsSQL(b.r)...)
	}
	if x == nil {
		return nil
	}
	return []sqlExpr{x}
}

// sqlResult is an executed query: column names and rows of values.
type sqlResult struct {
	cols    []string
	types   []string
	rows    [][]any
	scanned int64 // bytes of the rows read (partitions pruned are not read)
}

// execSQL runs q over the table's rows. partKeys are the table's partition
// columns: conjuncts of the WHERE clause that read only them prune whole
// partitions before any row is read, as Athena does.
// scanPlan is what a query reads: the partition-only conjuncts that prune
// rows before they are read, and (for Parquet) the columns it reads.
type scanPlan struct {
	ctx     *evalCtx
	pruneBy []sqlExpr
	read    []int // slots read (Parquet)
}

func planScan(q *sqlQuery, t *AthenaTable) *scanPlan {
	idx, allCols := t.layout()
	part := map[string]bool{}
	for _, c := range t.PartitionKeys {
		part[strings.ToLower(c.Name)] = true
	}
	sp := &scanPlan{ctx: &evalCtx{idx: idx, res: map[string]*regexp.Regexp{}}}
	for _, c := range conjunctsSQL(q.where) {
		refs := columnsOf(c)
		only := len(refs) > 0
		for _, r := range refs {
			if !part[r] {
				only = false
			}
		}
		if only {
			sp.pruneBy = append(sp.pruneBy, c)
		}
	}
	// Parquet is columnar: only the columns the query reads are scanned.
	read := map[string]bool{}
	for _, it := range q.items {
		if it.star {
			for _, c := range allCols {
				read[c] = true
			}
		}
		for _, c := range columnsOf(it.x) {
			read[c] = true
		}
	}
	for _, c := range columnsOf(q.where) {
		read[c] = true
	}
	for c := range read {
		if i, ok := idx[c]; ok {
			sp.read = append(sp.read, i)
		}
	}
	return sp
}

// size returns the bytes row r costs to read, or -1 when its partition is
// pruned.
func (sp *scanPlan) size(r athenaRow) (int64, error) {
	sp.ctx.row = r.vals
	for _, c := range sp.pruneBy {
		v, err := sp.ctx.eval(c)
		if err != nil {
			return 0, err
		}
		if v != true {
			return -1, nil
		}
	}
	if r.sizes == nil {
		return int64(r.size), nil
	}
	var n int64
	for _, i := range sp.read {
		n += int64(r.sizes[i])
	}
	return n, nil
}

// scanSize is the bytes a query reads from rows, known before it runs.
func scanSize(q *sqlQuery, t *AthenaTable, rows []athenaRow) (int64, error) {
	sp := planScan(q, t)
	var total int64
	for _, r := range rows {
		n, err := sp.size(r)
		if err != nil {
			return 0, err
		}
		total += max(n, 0)
	}
	return total, nil
}

// execSQL runs q over the table's rows. Conjuncts of the WHERE clause that
// read only partition keys prune whole partitions before any row is read,
// as Athena does.
func execSQL(q *sqlQuery, t *AthenaTable, rows []athenaRow) (*sqlResult, error) {
	idx, allCols := t.layout()
	sp := planScan(q, t)
	ctx := &evalCtx{idx: idx, res: sp.ctx.res}
	res := &sqlResult{}
	var kept []sqlRow
	for _, r := range rows {
		n, err := sp.size(r)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			continue
		}
		res.scanned += n
		ctx.row = r.vals
		if q.where != nil {
			v, err := ctx.eval(q.where)
			if err != nil {
				return nil, err
			}
			if _, ok := v.(bool); v != nil && !ok {
				return nil, typeErr(tokPos{1, 1}, "WHERE clause must evaluate to a boolean: actual type %s", typeName(v))
			}
			if v != true {
				continue
			}
		}
		kept = append(kept, r.vals)
	}
	ctx.row = nil
	// expand *
	var items []selItem
	for _, it := range q.items {
		if it.star {
			for _, c := range allCols {
				items = append(items, selItem{x: &exCol{name: c}, alias: c})
			}
			continue
		}
		items = append(items, it)
	}
	for i, it := range items {
		name := it.alias
		if name == "" {
			if c, ok := it.x.(*exCol); ok {
				name = c.name
			} else {
				name = "_col" + strconv.Itoa(i)
			}
		}
		res.cols = append(res.cols, name)
	}
	grouped := len(q.groupBy) > 0
	for _, it := range items {
		if hasAggregate(it.x) {
			grouped = true
		}
	}
	// group keys: ordinals refer to select items
	keyExprs := make([]sqlExpr, len(q.groupBy))
	for i, g := range q.groupBy {
		keyExprs[i] = g
		if l, ok := g.(*exLit); ok {
			n, isInt := l.v.(int64)
			if !isInt || n < 1 || int(n) > len(items) {
				return nil, &sqlError{"INVALID_COLUMN_REFERENCE", tokPos{1, 1}, fmt.Sprintf("GROUP BY position %v is not in select list", l.v)}
			}
			keyExprs[i] = items[n-1].x
			if hasAggregate(keyExprs[i]) {
				return nil, &sqlError{"INVALID_COLUMN_REFERENCE", tokPos{1, 1}, fmt.Sprintf("GROUP BY position %d is an aggregate", n)}
			}
		}
	}
	var out [][]any
	if !grouped {
		for _, r := range kept {
			ctx.row = r
			row := make([]any, len(items))
			for i, it := range items {
				v, err := ctx.eval(it.x)
				if err != nil {
					return nil, err
				}
				row[i] = v
			}
			out = append(out, row)
		}
	} else {
		var groups [][]sqlRow
		if len(keyExprs) == 0 {
			groups = [][]sqlRow{kept}
		} else {
			idx := map[string]int{}
			for _, r := range kept {
				ctx.row = r
				var kb strings.Builder
				for _, k := range keyExprs {
					v, err := ctx.eval(k)
					if err != nil {
						return nil, err
					}
					kb.WriteString(typeName(v) + ":" + sqlText(v) + "\x00")
				}
				g, ok := idx[kb.String()]
				if !ok {
					g = len(groups)
					idx[kb.String()] = g
					groups = append(groups, nil)
				}
				groups[g] = append(groups[g], r)
			}
		}
		ctx.row = nil
		for _, g := range groups {
			gc := &evalCtx{group: g, groups: groups, idx: idx, res: ctx.res}
			if g == nil {
				gc.group = []sqlRow{} // aggregates over no rows
			}
			row := make([]any, len(items))
			for i, it := range items {
				if !hasAggregate(it.x) && !isWindow(it.x) && len(keyExprs) > 0 && !isKey(it.x, keyExprs) {
					return nil, &sqlError{"EXPRESSION_NOT_AGGREGATE", tokPos{1, 1}, fmt.Sprintf("'%s' must be an aggregate expression or appear in GROUP BY clause", res.cols[i])}
				}
				v, err := gc.eval(it.x)
				if err != nil {
					return nil, err
				}
				row[i] = v
			}
			out = append(out, row)
		}
	}
	// ORDER BY: ordinals or output names
	type key struct {
		col  int
		desc bool
	}
	var keys []key
	for _, o := range q.orderBy {
		k := key{col: -1, desc: o.desc}
		switch x := o.x.(type) {
		case *exLit:
			if n, ok := x.v.(int64); ok && n >= 1 && int(n) <= len(items) {
				k.col = int(n) - 1
			}
		case *exCol:
			for i, n := range res.cols {
				if n == x.name {
					k.col = i
					break
				}
			}
		}
		if k.col < 0 {
			return nil, &sqlError{"NOT_SUPPORTED", tokPos{1, 1}, "ORDER BY supports output positions and names only in this fake"}
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		var sortErr error
		sort.SliceStable(out, func(i, j int) bool {
			for _, k := range keys {
				a, b := out[i][k.col], out[j][k.col]
				switch { // NULLS LAST whatever the direction, as Trino
				case a == nil && b == nil:
					continue
				case a == nil:
					return false
				case b == nil:
					return true
				}
				n, err := compare(a, b, tokPos{})
				if err != nil {
					sortErr = err
					return false
				}
				if *n == 0 {
					continue
				}
				if k.desc {
					return *n > 0
				}
				return *n < 0
			}
			return false
		})
		if sortErr != nil {
			return nil, sortErr
		}
	}
	if q.limit >= 0 && int64(len(out)) > q.limit {
		out = out[:q.limit]
	}
	res.rows = out
	res.types = make([]string, len(res.cols))
	for i := range res.cols {
		res.types[i] = "varchar"
		for _, r := range out {
			if r[i] != nil {
				res.types[i] = typeName(r[i])
				break
			}
		}
	}
	return res, nil
}

func isWindow(x sqlExpr) bool {
	found := false
	walkSQL(x, func(e sqlExpr) {
		if c, ok := e.(*exCall); ok && c.over {
			found = true
		}
	})
	return found
}

// isKey reports whether x is one of the group keys, or reads only
// columns that are themselves keys.
func isKey(x sqlExpr, keys []sqlExpr) bool {
	for _, k := range keys {
		if k == x {
			return true
		}
	}
	for _, c := range columnsOf(x) {
		found := false
		for _, k := range keys {
			if kc, ok := k.(*exCol); ok && kc.name == c {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
