package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
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
		d := editDistance(s, strings.ToLower(c))
		if d < bestD || d == bestD && len(c) < len(best) {
			best, bestD = c, d
		}
	}
	if bestD > limit || bestD >= len(s) {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions), over bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
