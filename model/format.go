package model

import (
	"bytes"
	"fmt"
	"strings"
)

// Format is the ordered list of fields of a flow log. A Format is immutable
// once built; share it freely.
type Format struct {
	// Fields holds each column's known field, FieldUnknown for unknown names.
	Fields []Field
	// Names holds each column's AWS name as written (known or not).
	Names []string
	// Extra lists the column positions of unknown fields, in order; a
	// record's Extra[i] is the token at column Extra[i].
	Extra []int
	// Set is the set of known fields in the format.
	Set FieldSet

	pos [NumFields]int8 // column of each known field, -1 if absent
	ops []colOp         // per column: how to parse it

	strSlots []int8 // Record.Str slots of the format's string fields

	// unknown, on a format of no fields, says why an object's format
	// could not be told: the parser rejects its lines with ReasonFormat.
	unknown string
}

// unknownFormat returns the format of an object whose format could not be
// inferred, with the reason and hint its lines are rejected with.
func unknownFormat(why string) *Format {
	f := &Format{unknown: why}
	for i := range f.pos {
		f.pos[i] = -1
	}
	return f
}

// Unknown reports why the format could not be told ("" for a real format).
func (f *Format) Unknown() string { return f.unknown }

// colOp is the parser's compiled plan for one column.
type colOp struct {
	kind  uint8
	slot  int8
	field Field
	ms    bool
	max   uint64
}

const (
	opStr uint8 = iota
	opUint
	opAddr
	opEnum
	opExtra
	opSkip // a column the question does not read: only found (see Parser.Skip)
)

// DefaultFormatString is the AWS default (version 2) format.
const DefaultFormatString = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// DefaultFormat is the AWS default format (14 fields, version 2).
var DefaultFormat = MustParseFormat(DefaultFormatString)

// MustParseFormat is ParseFormat for constants; it panics on error.
func MustParseFormat(s string) *Format {
	f, err := ParseFormat(s)
	if err != nil {
		panic(err)
	}
	return f
}

// ParseFormat reads a format in the AWS syntax (`${version} ${srcaddr} ...`)
// or as space-separated names (`version srcaddr ...`, as in an S3 header
// line). Parquet-style names with underscores are accepted. Unknown names
// are kept. A field named twice is an error.
func ParseFormat(s string) (*Format, error) {
	toks := strings.Fields(s)
	if len(toks) == 0 {
		return nil, fmt.Errorf("log format: empty")
	}
	names := make([]string, len(toks))
	for i, t := range toks {
		name := t
		if strings.HasPrefix(t, "${") {
			if !strings.HasSuffix(t, "}") || len(t) < 4 {
				return nil, fmt.Errorf("log format: token %d %q: want ${field-name}", i+1, t)
			}
			name = t[2 : len(t)-1]
		}
		if !isFieldNameToken([]byte(name)) {
			return nil, fmt.Errorf("log format: token %d %q is not a field name", i+1, t)
		}
		names[i] = name
	}
	return newFormat(names)
}

func newFormat(names []string) (*Format, error) {
	f := &Format{Fields: make([]Field, len(names)), Names: make([]string, len(names))}
	for i := range f.pos {
		f.pos[i] = -1
	}
	if len(names) > 127 {
		return nil, fmt.Errorf("log format: %d fields, at most 127 supported", len(names))
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		fld, ok := LookupField(n)
		if ok {
			n = fld.String()
		} else {
			n = strings.ReplaceAll(n, "_", "-")
		}
		if seen[n] {
			return nil, fmt.Errorf("log format: field %q appears twice", n)
		}
		seen[n] = true
		f.Names[i] = n
		if ok {
			f.Fields[i] = fld
			f.pos[fld] = int8(i)
			f.Set = f.Set.With(fld)
		} else {
			f.Extra = append(f.Extra, i)
		}
		f.ops = append(f.ops, compileOp(fld))
		if ok && strSlot[fld] >= 0 {
			f.strSlots = append(f.strSlots, strSlot[fld])
		}
	}
	return f, nil
}

// Len returns the number of fields per record.
func (f *Format) Len() int { return len(f.Fields) }

// Pos returns the column of known field fld, or -1.
func (f *Format) Pos(fld Field) int { return int(f.pos[fld]) }

// Has reports whether the format includes known field fld.
func (f *Format) Has(fld Field) bool { return f.Set.Has(fld) }

// Header returns the format as an S3 header line (names, space-separated).
func (f *Format) Header() string { return strings.Join(f.Names, " ") }

// String returns the format in the AWS `${name}` syntax.
func (f *Format) String() string {
	var b strings.Builder
	for i, n := range f.Names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(n)
		b.WriteByte('}')
	}
	return b.String()
}

// Equal reports whether two formats have the same columns.
func (f *Format) Equal(g *Format) bool {
	if f == g {
		return true
	}
	if f == nil || g == nil || len(f.Names) != len(g.Names) {
		return false
	}
	for i := range f.Names {
		if f.Names[i] != g.Names[i] {
			return false
		}
	}
	return true
}

// isFieldNameToken reports whether b looks like a field name: a lowercase
// letter followed by lowercase letters, digits, '-' or '_'.
func isFieldNameToken(b []byte) bool {
	if len(b) == 0 || b[0] < 'a' || b[0] > 'z' {
		return false
	}
	for _, c := range b[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// IsHeaderLine reports whether line is a header line: every token is a
// field name (optionally in ${} syntax), the first is a known field and at
// least half are known. A data line cannot pass: its numbers, addresses and
// upper-case enums are not field names.
func IsHeaderLine(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	known, total := 0, 0
	for len(line) > 0 {
		i := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		line = line[i:]
		j := 0
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j == 0 {
			break
		}
		tok := line[:j]
		line = line[j:]
		if len(tok) > 3 && tok[0] == '$' && tok[1] == '{' && tok[len(tok)-1] == '}' {
			tok = tok[2 : len(tok)-1]
		}
		if !isFieldNameToken(tok) {
			return false
		}
		_, ok := lookupFieldBytes(tok)
		if total == 0 && !ok {
			return false
		}
		if ok {
			known++
		}
		total++
	}
	return total > 0 && known*2 >= total
}

func compileOp(f Field) colOp {
	op := colOp{field: f}
	switch {
	case f == FieldUnknown:
		op.kind = opExtra
	case f.Kind() == KindUint:
		op.kind, op.slot, op.max = opUint, numSlot[f], fieldInfo[f].Max
		op.ms = f == FieldStart || f == FieldEnd
	case f.Kind() == KindAddr:
		op.kind, op.slot = opAddr, addrSlot[f]
	case f.Kind() == KindEnum:
		op.kind, op.slot = opEnum, enumSlot[f]
	default:
		op.kind, op.slot = opStr, strSlot[f]
	}
	return op
}
