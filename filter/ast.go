package filter

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Node is a node of a parsed filter expression. String returns the node in
// canonical form, which parses back to an equal node. Pos is the byte offset
// in the source expression where the node starts.
type Node interface {
	String() string
	Pos() int
	node()
}

// And is true when every argument is (two or more, none of them an And).
type And struct {
	Args []Node
	At   int
}

// Or is true when any argument is (two or more, none of them an Or).
type Or struct {
	Args []Node
	At   int
}

// Not negates X. Under SQL NULL semantics the negation of an unknown
// comparison (on an absent field) is still unknown.
type Not struct {
	X  Node
	At int
}

// Exists is true when the referenced field is present (for addr and port:
// when either side is). It is never unknown.
type Exists struct {
	Ref Ref
	At  int
}

// Compare compares a field with one or more literal values.
type Compare struct {
	Ref    Ref
	Op     Op
	Values []Lit // one value, except for OpIn
	At     int
}

func (*And) node()     {}
func (*Or) node()      {}
func (*Not) node()     {}
func (*Exists) node()  {}
func (*Compare) node() {}

// Pos returns the offset of the node's first token.
func (n *And) Pos() int { return n.At }

// Pos returns the offset of the node's first token.
func (n *Or) Pos() int { return n.At }

// Pos returns the offset of the node's first token.
func (n *Not) Pos() int { return n.At }

// Pos returns the offset of the node's first token.
func (n *Exists) Pos() int { return n.At }

// Pos returns the offset of the node's first token.
func (n *Compare) Pos() int { return n.At }

// Op is a comparison operator.
type Op uint8

// Comparison operators.
const (
	OpEq    Op = iota + 1 // =
	OpNe                  // !=
	OpLt                  // <
	OpLe                  // <=
	OpGt                  // >
	OpGe                  // >=
	OpIn                  // in: list of values, ranges, CIDRs
	OpMatch               // ~ /regex/
	OpHas                 // has FLAG (tcp-flags)
)

// String returns the operator as written in canonical form.
func (o Op) String() string {
	switch o {
	case OpEq:
		return "="
	case OpNe:
		return "!="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpIn:
		return "in"
	case OpMatch:
		return "~"
	case OpHas:
		return "has"
	}
	return "op?"
}

// RefKind says what a Ref names.
type RefKind uint8

// Reference kinds.
const (
	RefField  RefKind = iota // one known field
	RefAddr                  // srcaddr or dstaddr (addr, host, ip, net)
	RefPort                  // srcport or dstport (port, portrange)
	RefSource                // the name of the source a row came from
	RefExtra                 // a field unknown to the schema, written ${name}
	RefName                  // a name from the VPC configuration (Name: name, src-name, dst-name, interface-name)
	RefGroup                 // a security group of the interface or of either address's interface (sg)
)

// String names the kind.
func (k RefKind) String() string {
	switch k {
	case RefField:
		return "field"
	case RefAddr:
		return "either address"
	case RefPort:
		return "either port"
	case RefSource:
		return "source"
	case RefExtra:
		return "unknown field"
	case RefName:
		return "name"
	case RefGroup:
		return "security group"
	}
	return "ref?"
}

// Ref names what a comparison reads.
type Ref struct {
	Kind  RefKind
	Field model.Field // for RefField
	Name  string      // for RefExtra: the field name, '_' spelt '-'; for RefName: which name
}

// String returns the canonical name.
func (r Ref) String() string {
	switch r.Kind {
	case RefAddr:
		return "addr"
	case RefPort:
		return "port"
	case RefSource:
		return "source"
	case RefExtra:
		return "${" + r.Name + "}"
	case RefName:
		return r.Name
	case RefGroup:
		return "sg"
	}
	return r.Field.String()
}

// Fields returns the known fields the reference reads (none for source and
// extra fields).
func (r Ref) Fields() []model.Field {
	switch r.Kind {
	case RefField:
		return []model.Field{r.Field}
	case RefAddr:
		return []model.Field{model.FieldSrcAddr, model.FieldDstAddr}
	case RefPort:
		return []model.Field{model.FieldSrcPort, model.FieldDstPort}
	}
	return nil
}

// kind returns how the reference's values are typed.
func (r Ref) kind() model.Kind {
	switch r.Kind {
	case RefField:
		return r.Field.Kind()
	case RefAddr:
		return model.KindAddr
	case RefPort:
		return model.KindUint
	}
	return model.KindString
}

// isTime reports whether the reference holds Unix seconds.
func (r Ref) isTime() bool {
	return r.Kind == RefField && (r.Field == model.FieldStart || r.Field == model.FieldEnd)
}

// LitKind says how a Lit is typed.
type LitKind uint8

// Literal kinds.
const (
	LitNum   LitKind = iota + 1 // Lo..Hi inclusive (Lo == Hi: one number)
	LitTime                     // Sec: Unix seconds
	LitRel                      // Sec: seconds relative to the compile clock
	LitAddr                     // Prefix; one address is a full-length prefix
	LitEnum                     // Lo: enum code, Str: canonical spelling
	LitStr                      // Str: exact text
	LitGlob                     // Str: pattern, * any run, ? any one character
	LitRegex                    // Str: RE2 source ('/' escaped), Fold: flag i
	LitFlags                    // Lo: tcp-flags bit mask
)

// String names the kind.
func (k LitKind) String() string {
	switch k {
	case LitNum:
		return "number"
	case LitTime:
		return "time"
	case LitRel:
		return "relative time"
	case LitAddr:
		return "address"
	case LitEnum:
		return "enum"
	case LitStr:
		return "string"
	case LitGlob:
		return "glob"
	case LitRegex:
		return "regex"
	case LitFlags:
		return "flags"
	}
	return "lit?"
}

// Lit is one literal value of a comparison.
type Lit struct {
	Kind   LitKind
	Lo, Hi uint64
	Sec    int64
	Prefix netip.Prefix
	Str    string
	Fold   bool
}

// isSet reports whether the literal stands for more than one value in an
// equality (a range or a CIDR), which makes "=" a membership test.
func (l Lit) isSet() bool {
	switch l.Kind {
	case LitNum:
		return l.Lo != l.Hi
	case LitAddr:
		return l.Prefix.Bits() != l.Prefix.Addr().BitLen()
	}
	return false
}

// text prints the literal for reference r.
func (l Lit) text(r Ref) string {
	switch l.Kind {
	case LitNum:
		if l.Lo != l.Hi {
			if r.Kind == RefField && r.Field == model.FieldTCPFlags { // SYN-ACK holds a '-'
				return strconv.FormatUint(l.Lo, 10) + "-" + strconv.FormatUint(l.Hi, 10)
			}
			return numText(r, l.Lo) + "-" + numText(r, l.Hi)
		}
		return numText(r, l.Lo)
	case LitTime:
		return time.Unix(l.Sec, 0).UTC().Format(time.RFC3339)
	case LitRel:
		return relText(l.Sec)
	case LitAddr:
		if !l.isSet() {
			return l.Prefix.Addr().String()
		}
		return l.Prefix.String()
	case LitEnum:
		return l.Str
	case LitStr, LitGlob:
		return quoteIfNeeded(l.Str)
	case LitRegex:
		s := "/" + l.Str + "/"
		if l.Fold {
			s += "i"
		}
		return s
	case LitFlags:
		return flagText(uint8(l.Lo))
	}
	return "?"
}

// numText prints a number, as a protocol or flag name where r calls for it.
func numText(r Ref, v uint64) string {
	if r.Kind == RefField {
		switch r.Field {
		case model.FieldProtocol:
			if n, ok := protoName(v); ok {
				return n
			}
		case model.FieldTCPFlags:
			if v < 256 {
				if n, ok := flagNames[uint8(v)]; ok {
					return n
				}
			}
		}
	}
	return strconv.FormatUint(v, 10)
}

// relText prints a relative time: "now", "-15m", "-1h30m", "+2d".
func relText(sec int64) string {
	if sec == 0 {
		return "now"
	}
	var b strings.Builder
	if sec < 0 {
		b.WriteByte('-')
		sec = -sec
	} else {
		b.WriteByte('+')
	}
	for _, u := range relUnits {
		if sec >= u.sec {
			b.WriteString(strconv.FormatInt(sec/u.sec, 10))
			b.WriteByte(u.name)
			sec %= u.sec
		}
	}
	return b.String()
}

var relUnits = []struct {
	name byte
	sec  int64
}{{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}

// keywords are words with a meaning of their own; a string value spelt like
// one is quoted when printed.
var keywords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "has": true, "exists": true}

// quoteIfNeeded returns s bare when it lexes back as one word, else quoted.
func quoteIfNeeded(s string) string {
	if s == "" || s == "-" || keywords[strings.ToLower(s)] || strings.HasPrefix(s, "${") || strings.HasPrefix(s, "/") {
		return quote(s)
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return quote(s)
		}
	}
	return s
}

// quote returns s in double quotes, escaping '"' and '\'.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// String prints the comparison.
func (c *Compare) String() string {
	var b strings.Builder
	b.WriteString(c.Ref.String())
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	if c.Op == OpIn && len(c.Values) != 1 {
		b.WriteByte('(')
		for i, v := range c.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.text(c.Ref))
		}
		b.WriteByte(')')
		return b.String()
	}
	if len(c.Values) > 0 {
		b.WriteString(c.Values[0].text(c.Ref))
	}
	return b.String()
}

// String prints the test.
func (n *Exists) String() string { return "exists " + n.Ref.String() }

// String prints the negation; and/or operands are parenthesised.
func (n *Not) String() string {
	switch x := n.X.(type) {
	case *Exists:
		return x.Ref.String() + " = -"
	case *And, *Or:
		return "not (" + n.X.String() + ")"
	}
	return "not " + n.X.String()
}

// String prints the conjunction; or operands are parenthesised.
func (n *And) String() string {
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.String()
		if _, ok := a.(*Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " and ")
}

// String prints the disjunction.
func (n *Or) String() string {
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.String()
		if _, ok := a.(*Or); ok { // only in hand-built trees
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " or ")
}
