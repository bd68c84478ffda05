package filter

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// maxDepth bounds the nesting of parentheses and negations.
const maxDepth = 100

// Parse parses and type-checks a filter expression. An empty (or blank)
// expression returns a nil Node, which matches every row. Errors are *Error.
func Parse(expr string) (Node, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func parse(expr string) (Node, *Error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t, "unmatched )", []string{"and", "or", "end of expression"}, "")
		}
		return nil, p.errAt(t, "unexpected "+t.describe(), []string{"and", "or", "end of expression"}, "")
	}
	return n, nil
}

type parser struct {
	expr  string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peek2() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string, expected []string, hint string) *Error {
	return &Error{Expr: p.expr, Offset: t.pos, Msg: msg, Expected: expected, Hint: hint}
}

// isWord reports whether t is the bare word w (any case).
func isWord(t token, w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

var termStart = []string{"field", "(", "not", "exists"}

func (p *parser) parseOr() (Node, *Error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	args := flatten(nil, first, true)
	for t := p.peek(); t.kind == tOr || isWord(t, "or"); t = p.peek() {
		p.next()
		x, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		args = flatten(args, x, true)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Or{Args: args, At: first.Pos()}, nil
}

func (p *parser) parseAnd() (Node, *Error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	args := flatten(nil, first, false)
	for {
		t := p.peek()
		if t.kind == tAnd || isWord(t, "and") {
			p.next()
		} else if !p.startsTerm(t) {
			break
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		args = flatten(args, x, false)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &And{Args: args, At: first.Pos()}, nil
}

// flatten appends x to args, splicing in its arguments when it is of the
// same kind (or=true: Or, else And).
func flatten(args []Node, x Node, or bool) []Node {
	if or {
		if o, ok := x.(*Or); ok {
			return append(args, o.Args...)
		}
	} else if a, ok := x.(*And); ok {
		return append(args, a.Args...)
	}
	return append(args, x)
}

// startsTerm reports whether t can begin a term juxtaposed to the previous
// one (juxtaposition means and).
func (p *parser) startsTerm(t token) bool {
	switch t.kind {
	case tLParen, tNot:
		return true
	case tWord:
		return !isWord(t, "and") && !isWord(t, "or")
	}
	return false
}

func (p *parser) parseUnary() (Node, *Error) {
	t := p.peek()
	if t.kind == tNot || isWord(t, "not") {
		p.next()
		if p.depth++; p.depth > maxDepth {
			return nil, p.errAt(t, "expression nests too deeply", nil, "")
		}
		x, err := p.parseUnary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{X: x, At: t.pos}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Node, *Error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		if p.depth++; p.depth > maxDepth {
			return nil, p.errAt(t, "expression nests too deeply", nil, "")
		}
		x, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			return nil, p.errAt(c, "missing ) for the ( at offset "+itoa(t.pos)+", got "+c.describe(), []string{")", "and", "or"}, "")
		}
		p.next()
		return x, nil
	case tWord:
		if isWord(t, "exists") {
			p.next()
			ref, _, err := p.parseRef()
			if err != nil {
				return nil, err
			}
			return &Exists{Ref: ref, At: t.pos}, nil
		}
		return p.parseTerm()
	case tEOF:
		return nil, p.errAt(t, "unexpected end of expression", termStart, "")
	}
	return nil, p.errAt(t, "unexpected "+t.describe(), termStart, "")
}

// parseRef reads a field name, an alias, a qualified tcpdump name (src
// port) or ${name}. proto reports a bare protocol word (tcp), which stands
// for a whole comparison.
func (p *parser) parseRef() (ref Ref, proto uint64, err *Error) {
	t := p.peek()
	if t.kind != tWord {
		if t.kind == tEOF {
			return ref, 0, p.errAt(t, "unexpected end of expression: expected a field", []string{"field"}, "")
		}
		return ref, 0, p.errAt(t, "expected a field, got "+t.describe(), []string{"field"}, "")
	}
	p.next()
	w := t.text
	lw := strings.ToLower(w)
	if strings.HasPrefix(w, "${") {
		name := strings.TrimSuffix(w[2:], "}")
		if !strings.HasSuffix(w, "}") || !validFieldName(name) {
			return ref, 0, p.errAt(t, "bad field reference "+w, []string{"${field-name}"}, "a field name is a lower-case letter followed by letters, digits, - or _")
		}
		if f, ok := model.LookupField(name); ok {
			return Ref{Kind: RefField, Field: f}, 0, nil
		}
		return Ref{Kind: RefExtra, Name: strings.ReplaceAll(name, "_", "-")}, 0, nil
	}
	if q, ok := qualified[lw]; ok {
		if r, ok := q[strings.ToLower(p.peek().text)]; ok && p.peek().kind == tWord {
			p.next()
			return r, 0, nil
		}
	}
	if r, ok := lookupRef(w); ok {
		return r, 0, nil
	}
	if bareProtocols[lw] {
		return Ref{Kind: RefField, Field: model.FieldProtocol}, protocols[lw], nil
	}
	if keywords[lw] {
		return ref, 0, p.errAt(t, "expected a field, got "+w, []string{"field"}, "")
	}
	hint := ""
	if s := suggest(w, nameList); s != "" {
		hint = "did you mean " + s + "?"
	} else if validFieldName(w) {
		hint = "write ${" + w + "} for a field outside the AWS schema"
	}
	return ref, 0, &Error{Expr: p.expr, Offset: t.pos, Msg: "unknown field " + w, Expected: []string{"field"}, Hint: hint}
}

// validFieldName is the log-format rule: a lower-case letter, then lower-case
// letters, digits, '-' or '_'.
func validFieldName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// expectedOps lists what may follow a field of reference r.
func expectedOps(r Ref) []string {
	switch {
	case r.Kind == RefField && r.Field == model.FieldTCPFlags:
		return []string{"=", "!=", "<", "<=", ">", ">=", "in", "has", "value"}
	case r.kind() == model.KindUint:
		return []string{"=", "!=", "<", "<=", ">", ">=", "in", "value"}
	case r.kind() == model.KindString:
		return []string{"=", "!=", "in", "~", "!~", "value"}
	}
	return []string{"=", "!=", "in", "value"}
}

var cmpOps = map[tokKind]Op{tEq: OpEq, tNe: OpNe, tLt: OpLt, tLe: OpLe, tGt: OpGt, tGe: OpGe}

func (p *parser) parseTerm() (Node, *Error) {
	ft := p.peek()
	ref, proto, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	at := ft.pos
	if proto != 0 {
		return &Compare{Ref: ref, Op: OpEq, Values: []Lit{{Kind: LitNum, Lo: proto, Hi: proto}}, At: at}, nil
	}
	t := p.peek()
	if op, ok := cmpOps[t.kind]; ok {
		p.next()
		return p.parseCmp(ref, op, at)
	}
	switch t.kind {
	case tMatch, tNotMatch:
		p.next()
		lit, err := p.parseRegex(ref, t)
		if err != nil {
			return nil, err
		}
		c := &Compare{Ref: ref, Op: OpMatch, Values: []Lit{lit}, At: at}
		if t.kind == tNotMatch {
			return &Not{X: c, At: at}, nil
		}
		return c, nil
	case tLParen:
		return p.parseIn(ref, at)
	case tWord, tString:
		switch {
		case isWord(t, "in"):
			p.next()
			return p.parseIn(ref, at)
		case isWord(t, "not") && isWord(p.peek2(), "in"):
			p.next()
			p.next()
			in, err := p.parseIn(ref, at)
			if err != nil {
				return nil, err
			}
			return &Not{X: in, At: at}, nil
		case isWord(t, "has"):
			p.next()
			return p.parseHas(ref, at)
		case t.kind == tWord && (keywords[strings.ToLower(t.text)]):
			// and, or, not, exists: the field has no operator
		default:
			if ref.Kind == RefField && ref.Field == model.FieldTCPFlags {
				// a flag name tests the flag (nfdump: flags S); a number compares
				if m, ok := parseFlags(t.text); ok && m != 0 && !allDigits(t.text) {
					return p.parseHas(ref, at)
				}
			}
			return p.parseCmp(ref, OpEq, at)
		}
	}
	msg := "expected an operator or a value after " + ft.text
	if t.kind == tEOF {
		msg = "unexpected end of expression: " + msg
	}
	return nil, p.errAt(t, msg, expectedOps(ref), "")
}

// valueTok reads the token of one value.
func (p *parser) valueTok(ref Ref) (token, *Error) {
	t := p.peek()
	if t.kind != tWord && t.kind != tString {
		msg := "expected a value for " + ref.String() + ", got " + t.describe()
		return t, p.errAt(t, msg, []string{"value"}, valueHint(ref))
	}
	p.next()
	return t, nil
}

// isAbsentTok reports whether t is "-", the absent value.
func isAbsentTok(t token) bool { return (t.kind == tWord || t.kind == tString) && t.text == "-" }

func (p *parser) parseCmp(ref Ref, op Op, at int) (Node, *Error) {
	t, err := p.valueTok(ref)
	if err != nil {
		return nil, err
	}
	if isAbsentTok(t) {
		switch op {
		case OpEq:
			return &Not{X: &Exists{Ref: ref, At: at}, At: at}, nil
		case OpNe:
			return &Exists{Ref: ref, At: at}, nil
		}
		return nil, p.errAt(t, "- (absent) compares only with = and !=", nil, "")
	}
	lit, err := p.parseLit(ref, t)
	if err != nil {
		return nil, err
	}
	switch op {
	case OpLt, OpLe, OpGt, OpGe:
		if ref.kind() != model.KindUint {
			return nil, p.errAt(t, op.String()+" does not apply to "+ref.String()+" ("+kindName(ref)+")", nil, "use = != or in")
		}
		if lit.isSet() {
			return nil, p.errAt(t, op.String()+" needs one number, not a range", nil, "")
		}
	case OpEq, OpNe:
		if lit.isSet() {
			var n Node = &Compare{Ref: ref, Op: OpIn, Values: []Lit{lit}, At: at}
			if op == OpNe {
				n = &Not{X: n, At: at}
			}
			return n, nil
		}
	}
	return &Compare{Ref: ref, Op: op, Values: []Lit{lit}, At: at}, nil
}

func (p *parser) parseIn(ref Ref, at int) (Node, *Error) {
	var lits []Lit
	if p.peek().kind == tLParen {
		open := p.next()
		for {
			t := p.peek()
			if t.kind == tRParen {
				if len(lits) == 0 {
					return nil, p.errAt(t, "empty list", []string{"value"}, "")
				}
				p.next()
				break
			}
			if t.kind == tComma && len(lits) > 0 {
				p.next()
				continue
			}
			if t.kind == tEOF {
				return nil, p.errAt(t, "unexpected end of expression: list opened at offset "+itoa(open.pos)+" is not closed", []string{")", "value"}, "")
			}
			lit, err := p.listItem(ref)
			if err != nil {
				return nil, err
			}
			lits = append(lits, lit)
		}
	} else {
		lit, err := p.listItem(ref)
		if err != nil {
			return nil, err
		}
		lits = append(lits, lit)
	}
	return &Compare{Ref: ref, Op: OpIn, Values: lits, At: at}, nil
}

// listItem reads one value of an in-list (or a lone value after in); an
// absent "-" is not a value there.
func (p *parser) listItem(ref Ref) (Lit, *Error) {
	vt, err := p.valueTok(ref)
	if err != nil {
		return Lit{}, err
	}
	if isAbsentTok(vt) {
		return Lit{}, p.errAt(vt, "- (absent) cannot be in a list", nil, "test absence with "+ref.String()+" = -")
	}
	return p.parseLit(ref, vt)
}

func (p *parser) parseHas(ref Ref, at int) (Node, *Error) {
	if ref.Kind != RefField || ref.Field != model.FieldTCPFlags {
		return nil, p.errAt(p.toks[p.i-1], "has applies to tcp-flags only", nil, "")
	}
	t, err := p.valueTok(ref)
	if err != nil {
		return nil, err
	}
	m, ok := parseFlags(t.text)
	if !ok || m == 0 {
		hint := "flags: FIN SYN RST PSH ACK URG ECE CWR SYN-ACK, nfdump letters (SA) or a number 1-255"
		if s := suggest(t.text, []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "SYN-ACK"}); s != "" {
			hint = "did you mean " + s + "?"
		}
		return nil, p.errAt(t, t.describe()+" is not a tcp flag", nil, hint)
	}
	return &Compare{Ref: ref, Op: OpHas, Values: []Lit{{Kind: LitFlags, Lo: uint64(m)}}, At: at}, nil
}

func (p *parser) parseRegex(ref Ref, op token) (Lit, *Error) {
	if ref.kind() != model.KindString {
		return Lit{}, p.errAt(op, "~ applies to string fields, not "+ref.String()+" ("+kindName(ref)+")", nil, valueHint(ref))
	}
	t := p.peek()
	var src, flags string
	switch t.kind {
	case tRegex:
		src, flags = t.text, t.flags
	case tString, tWord:
		src = escapeSlash(t.text)
	default:
		return Lit{}, p.errAt(t, "expected a regular expression, got "+t.describe(), []string{"/regex/"}, "")
	}
	p.next()
	if flags != "" && flags != "i" {
		return Lit{}, p.errAt(t, "unknown regular expression flags "+flags, nil, "the only flag is i (ignore case)")
	}
	lit := Lit{Kind: LitRegex, Str: src, Fold: flags == "i"}
	if _, err := syntax.Parse(src, syntax.Perl); err != nil { // compiled once, by Compile
		return Lit{}, p.errAt(t, "bad regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "), nil, "")
	}
	return lit, nil
}

// escapeSlash escapes each unescaped '/' so the source prints as /src/.
func escapeSlash(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			b.WriteByte(s[i])
			i++
			b.WriteByte(s[i])
			continue
		}
		if s[i] == '/' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func compileRegex(l Lit) (*regexp.Regexp, error) {
	if l.Fold {
		return regexp.Compile("(?i)" + l.Str)
	}
	return regexp.Compile(l.Str)
}

func kindName(r Ref) string {
	if r.isTime() {
		return "time"
	}
	return r.kind().String()
}

// valueHint describes the values a reference takes.
func valueHint(r Ref) string {
	switch {
	case r.isTime():
		return "a time: RFC 3339 (2024-06-01T10:00:00Z), relative (-15m) or a duration ago (15m), or Unix seconds"
	case r.Kind == RefField && r.Field == model.FieldProtocol:
		return "a protocol number or name (tcp udp icmp icmpv6 ...)"
	case r.Kind == RefField && r.Field == model.FieldTCPFlags:
		return "a number or flag name (SYN, SYN-ACK, ...)"
	case r.kind() == model.KindUint:
		return "a number (units k M G, KB MB GB, KiB MiB GiB) or a range a-b"
	case r.kind() == model.KindAddr:
		return "an IPv4/IPv6 address or CIDR, e.g. 10.0.0.0/8"
	case r.kind() == model.KindEnum:
		return "one of " + strings.Join(model.EnumValues(r.Field), ", ")
	}
	return "a string; * and ? are wildcards"
}

// parseLit reads one value token for reference ref.
func (p *parser) parseLit(ref Ref, t token) (Lit, *Error) {
	s := t.text
	bad := func(msg, hint string) (Lit, *Error) {
		if hint == "" {
			hint = valueHint(ref)
		}
		return Lit{}, p.errAt(t, msg, nil, hint)
	}
	switch ref.kind() {
	case model.KindUint:
		max := uint64(65535)
		if ref.Kind == RefField {
			max = ref.Field.Info().Max
		}
		if ref.isTime() {
			if sec, ok := parseRel(s); ok {
				return Lit{Kind: LitRel, Sec: sec}, nil
			}
			if sec, ok := parseTime(s); ok {
				if sec < 0 || uint64(sec) > max {
					return bad(s+" is out of range for "+ref.String(), "")
				}
				return Lit{Kind: LitTime, Sec: sec}, nil
			}
			if len(s) >= 10 && s[4] == '-' && s[7] == '-' || s != "" && (s[0] == '-' || s[0] == '+') {
				return bad(quoteIfNeeded(s)+" is not a time", "")
			}
		}
		one := func(s string) (uint64, *Error) {
			if ref.Kind == RefField {
				switch ref.Field {
				case model.FieldProtocol:
					if v, ok := protocols[strings.ToLower(s)]; ok {
						return v, nil
					}
				case model.FieldTCPFlags:
					if m, ok := parseFlags(s); ok {
						return uint64(m), nil
					}
				}
			}
			v, err := parseNumber(s)
			if err != nil {
				hint := ""
				if ref.Kind == RefField && ref.Field == model.FieldProtocol {
					if n := suggest(s, protoOrder); n != "" {
						hint = "did you mean " + n + "?"
					}
				}
				_, e := bad(err.Error(), hint)
				return 0, e
			}
			if v > max {
				_, e := bad(s+" is out of range for "+ref.String()+" (0-"+utoa(max)+")", "")
				return 0, e
			}
			return v, nil
		}
		whole := false // a name with a '-' in it, not a range
		if ref.Kind == RefField {
			switch ref.Field {
			case model.FieldProtocol:
				_, whole = protocols[strings.ToLower(s)]
			case model.FieldTCPFlags:
				whole = isFlagName(s)
			}
		}
		if i := strings.IndexByte(s, '-'); i > 0 && !whole {
			lo, err := one(s[:i])
			if err != nil {
				return Lit{}, err
			}
			hi, err := one(s[i+1:])
			if err != nil {
				return Lit{}, err
			}
			if lo > hi {
				return bad("range "+s+" is empty", "write the smaller bound first")
			}
			return Lit{Kind: LitNum, Lo: lo, Hi: hi}, nil
		}
		v, err := one(s)
		if err != nil {
			return Lit{}, err
		}
		return Lit{Kind: LitNum, Lo: v, Hi: v}, nil
	case model.KindAddr:
		pf, err := parsePrefix(s)
		if err != nil {
			return bad(err.Error(), "")
		}
		return Lit{Kind: LitAddr, Prefix: pf}, nil
	case model.KindEnum:
		vals := model.EnumValues(ref.Field)
		for i, v := range vals {
			if strings.EqualFold(v, s) {
				return Lit{Kind: LitEnum, Lo: uint64(i + 1), Str: v}, nil
			}
		}
		hint := ""
		if n := suggest(s, vals); n != "" {
			hint = "did you mean " + n + "?"
		}
		return bad(quoteIfNeeded(s)+" is not a value of "+ref.String(), hint)
	}
	if isGlob(s) {
		return Lit{Kind: LitGlob, Str: s}, nil
	}
	return Lit{Kind: LitStr, Str: s}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isFlagName(s string) bool {
	_, ok := flagBits[strings.ToUpper(s)]
	return ok
}

func itoa(i int) string { return utoa(uint64(i)) }

func utoa(v uint64) string {
	var buf [20]byte
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(buf[n:])
}
