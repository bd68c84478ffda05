package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
)

// Error is a filter syntax or type error. Offset is the byte offset in Expr
// of the token at fault (len(Expr) for an unexpected end); Expected lists
// the tokens that would have been accepted there, for syntax errors; Hint
// is a suggestion such as "did you mean dstport?".
type Error struct {
	Expr     string
	Offset   int
	Msg      string
	Expected []string
	Hint     string
}

// Error returns the message with its offset and hint on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("filter: ")
	b.WriteString(e.Msg)
	b.WriteString(" at offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Caret returns three or more lines for a terminal: the expression, a caret
// under the byte at Offset, and the message with its hint (or, failing a
// hint, the expected tokens). Tabs are kept so the caret lines up; control
// characters are shown as spaces.
func (e *Error) Caret() string {
	var b strings.Builder
	line := make([]byte, 0, len(e.Expr))
	for i := 0; i < len(e.Expr); i++ {
		c := e.Expr[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			c = ' '
		}
		line = append(line, c)
	}
	b.Write(line)
	b.WriteByte('\n')
	off := e.Offset
	if off > len(e.Expr) {
		off = len(e.Expr)
	}
	if off < 0 {
		off = 0
	}
	prefix := e.Expr[:off]
	for len(prefix) > 0 {
		r, n := utf8.DecodeRuneInString(prefix)
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		prefix = prefix[n:]
	}
	b.WriteString("^\n")
	b.WriteString(e.Msg)
	switch {
	case e.Hint != "":
		b.WriteString(" — ")
		b.WriteString(e.Hint)
	case len(e.Expected) > 0:
		b.WriteString("; expected ")
		b.WriteString(strings.Join(e.Expected, ", "))
	}
	return b.String()
}

// suggest returns the candidate closest to s (case-insensitive, optimal
// string alignment distance), or "" when none is close enough.
func suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", 1<<30
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	for _, c := range candidates {
		d := model.EditDistance(s, strings.ToLower(c))
		if d < bestD || d == bestD && len(c) < len(best) {
			best, bestD = c, d
		}
	}
	if bestD > limit || bestD >= len(s) {
		return ""
	}
	return best
}
