package awstest

import (
	"fmt"
	"strconv"
	"strings"
)

// compilePattern compiles a CloudWatch Logs filter pattern as the service
// reads them, for the forms flowlens pushes down and the tests use:
//
//   - "" matches every event;
//   - terms (`ERROR "connection reset"`): every term occurs;
//   - space-delimited `[a, b, c = X, d >= 10, ...]`: one label per field
//     (`...` stands for any number of fields), each optionally with
//     conditions `label OP value` joined by && and ||; OP is = != < <= > >=.
//
// Values: a number compares numerically with a field that is a number
// (=, != also match the text otherwise; <, <=, >, >= never match a field
// that is not a number, such as "-"); a value with * is a glob; a quoted
// value is the text between the quotes.
func compilePattern(p string) (func(string) bool, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return func(string) bool { return true }, nil
	}
	if !strings.HasPrefix(p, "[") {
		terms := splitTerms(p)
		return func(m string) bool {
			for _, t := range terms {
				if !strings.Contains(m, t) {
					return false
				}
			}
			return true
		}, nil
	}
	if !strings.HasSuffix(p, "]") {
		return nil, fmt.Errorf("invalid filter pattern %q: no closing ]", p)
	}
	var slots []slot
	open := false
	for _, part := range splitOutsideQuotes(p[1:len(p)-1], ',') {
		part = strings.TrimSpace(part)
		if part == "..." {
			open = true
			slots = append(slots, slot{ellipsis: true})
			continue
		}
		sl, err := parseSlot(part)
		if err != nil {
			return nil, fmt.Errorf("invalid filter pattern %q: %v", p, err)
		}
		slots = append(slots, sl)
	}
	return func(m string) bool {
		f := strings.Fields(m)
		fixed := 0
		for _, sl := range slots {
			if !sl.ellipsis {
				fixed++
			}
		}
		if !open && len(f) != fixed || open && len(f) < fixed {
			return false
		}
		// Fields line up with the slots before an ellipsis from the left
		// and with those after it from the right.
		i := 0
		for k, sl := range slots {
			if sl.ellipsis {
				i = len(f) - (len(slots) - k - 1)
				continue
			}
			if !sl.match(f[i]) {
				return false
			}
			i++
		}
		return true
	}, nil
}

// slot is one field of a space-delimited pattern: alternatives (||) of
// conjunctions (&&) of conditions; none means any value.
type slot struct {
	ellipsis bool
	any      [][]cond
}

type cond struct {
	op  string
	val string
}

func (s slot) match(v string) bool {
	if len(s.any) == 0 {
		return true
	}
	for _, all := range s.any {
		ok := true
		for _, c := range all {
			if !c.match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c cond) match(v string) bool {
	fv, ferr := strconv.ParseFloat(v, 64)
	cv, cerr := strconv.ParseFloat(c.val, 64)
	numeric := ferr == nil && cerr == nil
	switch c.op {
	case "=", "!=":
		eq := false
		switch {
		case numeric:
			eq = fv == cv
		case strings.Contains(c.val, "*"):
			eq = globAny(c.val, v)
		default:
			eq = v == c.val
		}
		return eq == (c.op == "=")
	}
	if !numeric {
		return false
	}
	switch c.op {
	case "<":
		return fv < cv
	case "<=":
		return fv <= cv
	case ">":
		return fv > cv
	case ">=":
		return fv >= cv
	}
	return false
}

// globAny matches a pattern whose only wildcard is * (any run of
// characters, slashes and dots included).
func globAny(pat, s string) bool {
	parts := strings.Split(pat, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return true
}

// parseSlot reads "label" or "label OP v || label OP v && label OP v".
func parseSlot(part string) (slot, error) {
	var sl slot
	for _, alt := range splitOutsideQuotesStr(part, "||") {
		var all []cond
		for _, atom := range splitOutsideQuotesStr(alt, "&&") {
			atom = strings.TrimSpace(atom)
			c, ok, err := parseCond(atom)
			if err != nil {
				return sl, err
			}
			if ok {
				all = append(all, c)
			}
		}
		if len(all) > 0 {
			sl.any = append(sl.any, all)
		}
	}
	return sl, nil
}

// parseCond reads "label OP value"; a bare label is no condition.
func parseCond(atom string) (cond, bool, error) {
	for i := 0; i < len(atom); i++ {
		if atom[i] == '"' {
			break
		}
		for _, op := range []string{"<=", ">=", "!=", "=", "<", ">"} {
			if strings.HasPrefix(atom[i:], op) {
				label := strings.TrimSpace(atom[:i])
				val := strings.TrimSpace(atom[i+len(op):])
				if label == "" || val == "" {
					return cond{}, false, fmt.Errorf("condition %q", atom)
				}
				if strings.HasPrefix(val, `"`) {
					uq, err := strconv.Unquote(val)
					if err != nil {
						return cond{}, false, fmt.Errorf("value %s: %v", val, err)
					}
					val = uq
				}
				return cond{op: op, val: val}, true, nil
			}
		}
	}
	if strings.ContainsAny(atom, " \t") {
		return cond{}, false, fmt.Errorf("condition %q", atom)
	}
	return cond{}, false, nil
}

// splitTerms splits a term pattern on spaces outside quotes.
func splitTerms(p string) []string {
	var out []string
	for _, t := range splitOutsideQuotes(p, ' ') {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, strings.Trim(t, `"`))
		}
	}
	return out
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func splitOutsideQuotesStr(s, sep string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}
