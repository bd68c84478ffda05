package filter

import "strings"

type tokKind uint8

const (
	tEOF      tokKind = iota
	tWord             // field names, values, keywords
	tString           // "quoted" (text is the unescaped value)
	tRegex            // /source/flags, directly after ~ or !~
	tLParen           // (
	tRParen           // )
	tComma            // ,
	tEq               // = or ==
	tNe               // !=
	tLt               // <
	tLe               // <=
	tGt               // >
	tGe               // >=
	tMatch            // ~
	tNotMatch         // !~
	tAnd              // &&
	tOr               // ||
	tNot              // !
)

// token is one lexeme; pos and end are byte offsets into the expression.
type token struct {
	kind  tokKind
	pos   int
	end   int
	text  string // word text, string value or regex source
	flags string // regex flags
}

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tWord:
		return t.text
	case tString:
		return quote(t.text)
	case tRegex:
		return "/" + t.text + "/"
	}
	return opText[t.kind]
}

var opText = map[tokKind]string{
	tLParen: "(", tRParen: ")", tComma: ",", tEq: "=", tNe: "!=", tLt: "<", tLe: "<=",
	tGt: ">", tGe: ">=", tMatch: "~", tNotMatch: "!~", tAnd: "&&", tOr: "||", tNot: "!",
}

// isWordByte reports whether c may appear in a bare word: anything but
// white space, control bytes and the punctuation the language uses.
func isWordByte(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '(', ')', ',', '=', '!', '<', '>', '~', '"', '&', '|':
		return false
	}
	return true
}

// lex splits expr into tokens, ending with tEOF.
func lex(expr string) ([]token, *Error) {
	var toks []token
	i := 0
	for {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r') {
			i++
		}
		if i == len(expr) {
			toks = append(toks, token{kind: tEOF, pos: i, end: i})
			return toks, nil
		}
		start := i
		c := expr[i]
		prevMatch := len(toks) > 0 && (toks[len(toks)-1].kind == tMatch || toks[len(toks)-1].kind == tNotMatch)
		two := ""
		if i+1 < len(expr) {
			two = expr[i : i+2]
		}
		var t token
		switch {
		case c == '/' && prevMatch:
			j := i + 1
			var src strings.Builder
			for j < len(expr) && expr[j] != '/' {
				if expr[j] == '\\' && j+1 < len(expr) {
					src.WriteByte('\\')
					j++
				}
				src.WriteByte(expr[j])
				j++
			}
			if j == len(expr) {
				return nil, &Error{Expr: expr, Offset: start, Msg: "unterminated regular expression", Expected: []string{"/"}}
			}
			j++
			k := j
			for k < len(expr) && expr[k] >= 'a' && expr[k] <= 'z' {
				k++
			}
			t = token{kind: tRegex, text: src.String(), flags: expr[j:k]}
			i = k
		case c == '"':
			j := i + 1
			var s strings.Builder
			for j < len(expr) && expr[j] != '"' {
				if expr[j] == '\\' && j+1 < len(expr) {
					j++
				}
				s.WriteByte(expr[j])
				j++
			}
			if j == len(expr) {
				return nil, &Error{Expr: expr, Offset: start, Msg: "unterminated string", Expected: []string{`"`}}
			}
			t = token{kind: tString, text: s.String()}
			i = j + 1
		case two == "==":
			t, i = token{kind: tEq}, i+2
		case two == "!=":
			t, i = token{kind: tNe}, i+2
		case two == "<=":
			t, i = token{kind: tLe}, i+2
		case two == ">=":
			t, i = token{kind: tGe}, i+2
		case two == "!~":
			t, i = token{kind: tNotMatch}, i+2
		case two == "&&":
			t, i = token{kind: tAnd}, i+2
		case two == "||":
			t, i = token{kind: tOr}, i+2
		case c == '=':
			t, i = token{kind: tEq}, i+1
		case c == '<':
			t, i = token{kind: tLt}, i+1
		case c == '>':
			t, i = token{kind: tGt}, i+1
		case c == '~':
			t, i = token{kind: tMatch}, i+1
		case c == '!':
			t, i = token{kind: tNot}, i+1
		case c == '(':
			t, i = token{kind: tLParen}, i+1
		case c == ')':
			t, i = token{kind: tRParen}, i+1
		case c == ',':
			t, i = token{kind: tComma}, i+1
		case c == '&' || c == '|':
			return nil, &Error{Expr: expr, Offset: start, Msg: "unexpected " + string(c), Expected: []string{string(c) + string(c)},
				Hint: "use " + string(c) + string(c) + " or " + map[byte]string{'&': "and", '|': "or"}[c]}
		case isWordByte(c):
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			t, i = token{kind: tWord, text: expr[start:j]}, j
		default:
			return nil, &Error{Expr: expr, Offset: start, Msg: "unexpected character " + strconvQuoteByte(c)}
		}
		t.pos, t.end = start, i
		toks = append(toks, t)
	}
}

func strconvQuoteByte(c byte) string {
	const hex = "0123456789abcdef"
	return `'\x` + string(hex[c>>4]) + string(hex[c&15]) + `'`
}
