package model

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"unsafe"
)

// LineKind says what Parser.Parse found on a line.
type LineKind uint8

// Line kinds.
const (
	LineRecord LineKind = iota // a record; rec is filled
	LineHeader                 // a header line; the parser switched to its format
	LineBlank                  // empty or only white space; ignored
	LineBad                    // malformed; see the Reason
)

// String names the kind.
func (k LineKind) String() string {
	switch k {
	case LineRecord:
		return "record"
	case LineHeader:
		return "header"
	case LineBlank:
		return "blank"
	case LineBad:
		return "bad"
	}
	return "kind?"
}

// Reason is why a line was rejected.
type Reason uint8

// Reasons for rejecting a line. ReasonNone means the line was accepted.
const (
	ReasonNone       Reason = iota
	ReasonFieldCount        // token count differs from the format's field count
	ReasonNumber            // a numeric field is not a base-10 unsigned integer
	ReasonRange             // a number is larger than its field allows
	ReasonAddress           // an address field is not an IPv4/IPv6 address
	ReasonEnum              // action, log-status, flow-direction or type has an unknown value
	ReasonControl           // the line holds control bytes (NUL, escape, ...)
	ReasonTooLong           // the line is longer than the parser's limit
	ReasonHeader            // a header line that is not a usable format
	ReasonSource            // the source itself failed mid-object (truncated gzip, ...)

	NumReasons
)

// String returns a short reason for status bars and stderr.
func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "ok"
	case ReasonFieldCount:
		return "wrong field count"
	case ReasonNumber:
		return "bad number"
	case ReasonRange:
		return "number out of range"
	case ReasonAddress:
		return "bad address"
	case ReasonEnum:
		return "unknown value"
	case ReasonControl:
		return "control bytes"
	case ReasonTooLong:
		return "line too long"
	case ReasonHeader:
		return "bad header"
	case ReasonSource:
		return "source error"
	}
	return "reason?"
}

// ParseError describes one rejected line: where it came from, which field,
// an excerpt (quoted, at most 80 bytes) and why.
type ParseError struct {
	Source  string // source name (file path, s3://..., cw://...)
	Object  string // file, object key or stream within the source, if any
	Line    int64  // 1-based line number within the object (0 if unknown)
	Field   string // AWS field name, or "" when the whole line is at fault
	Excerpt string // the offending token or line start, quoted with %q
	Reason  Reason
	Detail  string // extra words (e.g. "13 fields, format has 14")
}

// Error implements error.
func (e *ParseError) Error() string {
	var b bytes.Buffer
	where := e.Source
	if e.Object != "" && e.Object != e.Source {
		if where != "" {
			where += " "
		}
		where += e.Object
	}
	if where != "" {
		b.WriteString(where)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason.String())
	if e.Field != "" {
		b.WriteString(" in ")
		b.WriteString(e.Field)
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Excerpt != "" {
		b.WriteString(": ")
		b.WriteString(e.Excerpt)
	}
	return b.String()
}

// DefaultMaxLine is the default longest line the parser accepts, in bytes.
// The longest documented format (42 fields of ARNs and IDs) stays far below.
const DefaultMaxLine = 16 << 10

// msThreshold: a start/end above this is taken as Unix milliseconds (seen in
// the wild) and divided by 1000; as seconds it would be past the year 5000.
const msThreshold = 99_999_999_999

// Parser turns lines into Records with no allocation per line. It is not
// safe for concurrent use; give each goroutine its own (they are cheap).
type Parser struct {
	format  *Format
	toks    [][]byte
	extra   [][]byte
	MaxLine int // longest accepted line in bytes; 0 means DefaultMaxLine

	// Last rejection, for Error.
	badCol   int
	badCount int
}

// NewParser returns a parser for format f (DefaultFormat if nil).
func NewParser(f *Format) *Parser {
	p := &Parser{}
	p.SetFormat(f)
	return p
}

// Format returns the parser's current format.
func (p *Parser) Format() *Format { return p.format }

// SetFormat switches the parser to format f (DefaultFormat if nil).
func (p *Parser) SetFormat(f *Format) {
	if f == nil {
		f = DefaultFormat
	}
	p.format = f
	if cap(p.toks) < len(f.Fields)+1 {
		p.toks = make([][]byte, len(f.Fields)+1)
	}
	p.toks = p.toks[:len(f.Fields)+1]
	if cap(p.extra) < len(f.Extra) {
		p.extra = make([][]byte, len(f.Extra))
	}
	p.extra = p.extra[:len(f.Extra)]
}

// Parse reads one line (without or with its trailing "\n" or "\r\n").
// For LineRecord it fills rec. For LineHeader it switches the parser's
// format. For LineBad it returns the reason; Error builds a full ParseError.
// Fields are split on runs of spaces and tabs and converted in one pass.
func (p *Parser) Parse(line []byte, rec *Record) (LineKind, Reason) {
	return p.parse(line, rec, true)
}

func (p *Parser) parse(line []byte, rec *Record, headerCheck bool) (LineKind, Reason) {
	p.badCol = -1
	n := len(line)
	for n > 0 && (line[n-1] == '\n' || line[n-1] == '\r') {
		n--
	}
	line = line[:n]
	max := p.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	if n > max {
		return LineBad, ReasonTooLong
	}

	ops := p.format.ops
	want := len(ops)
	rec.Present = 0
	rec.Num = [numNumSlots]uint64{}
	rec.SrcAddr, rec.DstAddr, rec.PktSrc, rec.PktDst = netip.Addr{}, netip.Addr{}, netip.Addr{}, netip.Addr{}
	rec.Action, rec.LogStatus, rec.Direction, rec.Type = 0, 0, 0, 0
	rec.Extra = nil
	rec.Format = p.format
	extra := p.extra
	ei := 0

	count := 0
	firstBad := ReasonNone
	maybeHeader := false
	i := 0
	for i < n {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		j := i
		digits := false
		for j < n {
			c = line[j]
			if c == ' ' || c == '\t' {
				break
			}
			if c < 0x20 || c == 0x7f {
				return LineBad, ReasonControl
			}
			if c >= '0' && c <= '9' {
				digits = true
			}
			j++
		}
		tok := line[i:j]
		i = j
		if count == 0 && headerCheck {
			maybeHeader = !digits && (tok[0] >= 'a' && tok[0] <= 'z' || tok[0] == '$')
		}
		if count >= want || firstBad != ReasonNone || maybeHeader {
			count++
			continue
		}
		op := &ops[count]
		count++
		if op.kind == opExtra {
			extra[ei] = tok
			ei++
			continue
		}
		if len(tok) == 1 && tok[0] == '-' {
			continue // absent
		}
		var r Reason
		switch op.kind {
		case opUint:
			rec.Num[op.slot], r = parseUint(tok, op.max, op.ms)
		case opAddr:
			var a netip.Addr
			a, r = parseAddr(tok)
			switch op.field {
			case FieldSrcAddr:
				rec.SrcAddr = a
			case FieldDstAddr:
				rec.DstAddr = a
			case FieldPktSrcAddr:
				rec.PktSrc = a
			default:
				rec.PktDst = a
			}
		case opEnum:
			r = parseEnum(rec, op.field, tok)
		default:
			rec.Str[op.slot] = tok
		}
		if r != ReasonNone {
			firstBad = r
			p.badCol = count - 1
			continue
		}
		rec.Present |= 1 << op.field
	}
	if count == 0 {
		return LineBlank, ReasonNone
	}
	if maybeHeader && IsHeaderLine(line) {
		f, err := ParseFormat(string(line))
		if err != nil {
			return LineBad, ReasonHeader
		}
		p.SetFormat(f)
		return LineHeader, ReasonNone
	}
	if maybeHeader { // not a header after all: parse it as data
		return p.parse(line, rec, false)
	}
	p.badCount = count
	if count != want {
		p.badCol = -1
		return LineBad, ReasonFieldCount
	}
	if firstBad != ReasonNone {
		return LineBad, firstBad
	}
	if len(extra) > 0 {
		rec.Extra = extra
	}
	return LineRecord, ReasonNone
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' {
			return i
		}
	}
	return 0
}

// Error describes the last rejected line as a ParseError. Call it right
// after Parse returned LineBad with the same line; it allocates.
func (p *Parser) Error(line []byte, reason Reason, source, object string, lineNo int64) *ParseError {
	line = bytes.TrimRight(line, "\r\n")
	e := &ParseError{Source: source, Object: object, Line: lineNo, Reason: reason}
	excerpt := line
	if p.badCol >= 0 && p.badCol < len(p.format.Names) {
		e.Field = p.format.Names[p.badCol]
		if p.badCol < len(p.toks) {
			excerpt = p.toks[p.badCol]
		}
		if f := p.format.Fields[p.badCol]; reason == ReasonRange && f != FieldUnknown {
			e.Detail = "max " + strconv.FormatUint(fieldInfo[f].Max, 10)
		}
	}
	if reason == ReasonFieldCount {
		e.Detail = fmt.Sprintf("%d fields, format has %d", p.badCount, len(p.format.Fields))
	}
	if reason == ReasonTooLong {
		e.Detail = fmt.Sprintf("%d bytes", len(line))
	}
	if len(excerpt) > 80 {
		excerpt = excerpt[:80]
	}
	e.Excerpt = strconv.Quote(string(excerpt))
	return e
}

// parseUint reads a base-10 unsigned integer no larger than max. With ms
// set, values above msThreshold are read as milliseconds and scaled.
func parseUint(b []byte, max uint64, ms bool) (uint64, Reason) {
	if len(b) == 0 || len(b) > 20 {
		if len(b) > 20 && allDigits(b) {
			return 0, ReasonRange
		}
		return 0, ReasonNumber
	}
	var v uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, ReasonNumber
		}
		if v > (maxU64-d)/10 {
			return 0, ReasonRange
		}
		v = v*10 + d
	}
	if ms && v > msThreshold {
		v /= 1000
	}
	if v > max {
		return 0, ReasonRange
	}
	return v, ReasonNone
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseAddr reads an IPv4 address (dotted decimal, no leading zeros) on a
// fast path, or an IPv6 address through net/netip. Zones are rejected.
func parseAddr(b []byte) (netip.Addr, Reason) {
	if a, ok := parseIPv4(b); ok {
		return netip.AddrFrom4(a), ReasonNone
	}
	if bytes.IndexByte(b, ':') < 0 || bytes.IndexByte(b, '%') >= 0 {
		return netip.Addr{}, ReasonAddress
	}
	// ParseAddr does not keep its argument (zones are excluded above), so a
	// string view of the line is safe and avoids a copy.
	a, err := netip.ParseAddr(unsafe.String(unsafe.SliceData(b), len(b)))
	if err != nil {
		return netip.Addr{}, ReasonAddress
	}
	return a, ReasonNone
}

func parseIPv4(b []byte) ([4]byte, bool) {
	var out [4]byte
	oct, digits, val := 0, 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return out, false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return out, false
			}
		case c == '.':
			if digits == 0 || oct == 3 {
				return out, false
			}
			out[oct] = byte(val)
			oct++
			digits, val = 0, 0
		default:
			return out, false
		}
	}
	if oct != 3 || digits == 0 {
		return out, false
	}
	out[3] = byte(val)
	return out, true
}

func parseEnum(rec *Record, f Field, tok []byte) Reason {
	for i, v := range EnumValues(f) {
		if len(tok) == len(v) && bytes.EqualFold(tok, unsafe.Slice(unsafe.StringData(v), len(v))) {
			c := uint8(i + 1)
			switch f {
			case FieldAction:
				rec.Action = Action(c)
			case FieldLogStatus:
				rec.LogStatus = LogStatus(c)
			case FieldFlowDirection:
				rec.Direction = Direction(c)
			case FieldType:
				rec.Type = TrafficType(c)
			}
			return ReasonNone
		}
	}
	return ReasonEnum
}
