package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
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
	ReasonFormat            // the object's format could not be inferred (no header, no --log-format)

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
	case ReasonFormat:
		return "unknown format"
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
	extra   [][]byte
	MaxLine int // longest accepted line in bytes; 0 means DefaultMaxLine

	// skip lists fields that are not kept (see Skip); unless check is
	// set, ops marks their columns opSkip.
	skip  FieldSet
	check bool
	ops   []colOp // the format's ops, or a copy with skipped columns marked
	fast  bool    // no unknown fields: try parseFast first

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
	if p.format == f {
		return // the same format again (each job of a worker sets it)
	}
	p.format = f
	p.compile()
}

// compile makes the parser's plan for its format and skipped fields: the
// format's ops, or a copy with the skipped columns marked opSkip when
// they are not checked.
func (p *Parser) compile() {
	f := p.format
	p.ops = f.ops
	p.fast = len(f.Extra) == 0 && len(f.ops) > 0 // (no ops: an unknown format, see parseUnknown)
	if p.skip != 0 && !p.check {
		p.ops = slices.Clone(f.ops)
		for i := range p.ops {
			if op := &p.ops[i]; op.kind != opExtra && p.skip.Has(op.field) {
				op.kind = opSkip
			}
		}
	}
	if cap(p.extra) < len(f.Extra) {
		p.extra = make([][]byte, len(f.Extra))
	}
	p.extra = p.extra[:len(f.Extra)]
}

// Skip makes the parser leave the fields in s absent in the record: a
// question that reads two fields of fourteen pays for the others only
// what it takes to find them. With check, their values are checked as
// usual (a bad value still rejects the line, for the same reason, as on
// the way into the index); without, a skipped field is only found: the
// line must still have the format's field count and no control bytes,
// but a value it holds there is not read, so a line whose only fault is
// in a skipped field is a record.
func (p *Parser) Skip(s FieldSet, check bool) {
	p.skip, p.check = s, check
	if p.format == nil {
		p.SetFormat(nil)
		return
	}
	p.compile()
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

	ops := p.ops
	want := len(ops)
	if want == 0 {
		return p.parseUnknown(line, headerCheck)
	}
	if p.fast {
		if end, ok := p.parseFast(line, rec); ok && end == len(line) {
			return LineRecord, ReasonNone
		}
	}
	p.clear(rec)
	extra := p.extra
	ei := 0

	// One pass: each token is converted as it is scanned, by its column's
	// compiled op. The first conversion error is kept, but scanning goes on
	// so that a wrong field count (the likelier cause) wins.
	count := 0
	firstBad := ReasonNone
	i := 0
	for {
		for i < n && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= n {
			break
		}
		start := i
		if count >= want || firstBad != ReasonNone {
			var r Reason
			i, r = skipToken(line, i)
			if r != ReasonNone {
				return LineBad, r
			}
			count++
			continue
		}
		if count == 0 && headerCheck {
			if c := line[i]; c >= 'a' && c <= 'z' || c == '$' {
				end, r := skipToken(line, i)
				if r == ReasonNone && maybeFieldName(line[i:end]) && IsHeaderLine(line) {
					f, err := ParseFormat(string(line))
					if err != nil {
						return LineBad, ReasonHeader
					}
					p.SetFormat(f)
					return LineHeader, ReasonNone
				}
			}
		}
		op := &ops[count]
		count++
		// absent
		if line[i] == '-' && (i+1 == n || line[i+1] == ' ' || line[i+1] == '\t') {
			i++
			if op.kind == opExtra {
				extra[ei] = line[start:i]
				ei++
			}
			continue
		}
		var r Reason
		switch op.kind {
		case opUint:
			var v uint64
			// up to eight digits at a time while eight bytes are left,
			// then one at a time
			for i+8 <= n {
				chunk := binary.LittleEndian.Uint64(line[i:])
				k := digitRun(chunk)
				if k < 8 {
					v = v*pow10[k] + parseEight(padDigits(chunk, k))
					i += k
					break
				}
				v = v*100000000 + parseEight(chunk)
				i += 8
			}
			for i < n {
				d := line[i] - '0'
				if d > 9 {
					break
				}
				v = v*10 + uint64(d)
				i++
			}
			if i == start || i < n && line[i] != ' ' && line[i] != '\t' {
				if i, r = skipToken(line, i); r == ReasonNone {
					r = ReasonNumber
				}
				break
			}
			if i-start > 19 { // may have wrapped: check exactly (rare)
				var err error
				if v, err = strconv.ParseUint(string(line[start:i]), 10, 64); err != nil {
					r = ReasonRange
					break
				}
			}
			if op.ms && v > msThreshold {
				v /= 1000
			}
			if v > op.max {
				r = ReasonRange
				break
			}
			rec.Num[op.slot] = v
		case opAddr:
			rec.Addrs[op.slot], i, r = scanAddr(line, i)
		case opEnum:
			if i, r = skipToken(line, i); r == ReasonNone {
				rec.Enums[op.slot], r = parseEnum(op.field, line[start:i])
			}
		case opSkip:
			i, r = skipToken(line, i)
		case opExtra:
			if i, r = skipToken(line, i); r == ReasonNone {
				extra[ei] = line[start:i]
				ei++
			}
		default:
			if i, r = skipToken(line, i); r == ReasonNone {
				rec.Str[op.slot] = line[start:i]
			}
		}
		if r != ReasonNone {
			if r == ReasonControl {
				return LineBad, r
			}
			firstBad = r
			p.badCol = count - 1
			continue
		}
		if op.kind != opExtra {
			rec.Present |= 1 << op.field
		}
	}
	if count == 0 {
		return LineBlank, ReasonNone
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
	rec.Present &^= p.skip
	return LineRecord, ReasonNone
}

// clear empties rec for a line in the parser's format: the record's
// values are only read where Present says so, but zeroed numbers,
// addresses and enums keep stale values from leaking anywhere.
func (p *Parser) clear(rec *Record) {
	rec.Present = 0
	rec.Num = [numNumSlots]uint64{}
	rec.Addrs = [numAddrSlots]netip.Addr{}
	rec.Enums = [numEnumSlots]uint8{}
	rec.Extra = nil
	rec.Format = p.format
}

// parseUnknown reads a line of an object whose format could not be
// inferred: a header line still sets one; anything else is rejected with
// ReasonFormat (the format says why it is unknown).
func (p *Parser) parseUnknown(line []byte, headerCheck bool) (LineKind, Reason) {
	if len(bytes.TrimSpace(line)) == 0 {
		return LineBlank, ReasonNone
	}
	if headerCheck && IsHeaderLine(line) {
		f, err := ParseFormat(string(line))
		if err != nil {
			return LineBad, ReasonHeader
		}
		p.SetFormat(f)
		return LineHeader, ReasonNone
	}
	return LineBad, ReasonFormat
}

// eightDigits reports whether all eight bytes of a little-endian load are
// ASCII digits.
func eightDigits(v uint64) bool {
	return (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// digitRun returns how many of the eight bytes of a little-endian load,
// from the first, are ASCII digits before the first other byte (8: all).
func digitRun(v uint64) int {
	x := v - 0x3030303030303030 // a digit becomes 0..9; a borrow only taints bytes after a non-digit
	nd := ((x + 0x7676767676767676) | x) & 0x8080808080808080
	return bits.TrailingZeros64(nd) >> 3
}

// padDigits keeps the first k (< 8) digits of a little-endian load and
// puts '0's before them, so that parseEight reads their value.
func padDigits(v uint64, k int) uint64 {
	return v<<(64-8*k) | 0x3030303030303030>>(8*k)
}

var pow10 = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// parseEight converts eight ASCII digits (little-endian load, first digit
// in the low byte) to their value with three multiplications.
func parseEight(v uint64) uint64 {
	const mask = 0x000000FF000000FF
	const mul1 = 100 + (1000000 << 32)
	const mul2 = 1 + (10000 << 32)
	v -= 0x3030303030303030
	v = v*10 + (v >> 8)
	return ((v&mask)*mul1 + ((v>>16)&mask)*mul2) >> 32
}

// skipToken returns the end of the token starting at i, or ReasonControl
// if it holds a control byte.
func skipToken(line []byte, i int) (int, Reason) {
	// eight bytes at a time: stop at the first that is a space or less,
	// or DEL; the byte loop below tells which
	for i+8 <= len(line) {
		x := binary.LittleEndian.Uint64(line[i:])
		m := (x - 0x2121212121212121) & ^x // high bit: a byte below '!' (the first one found is exact)
		y := x ^ 0x7f7f7f7f7f7f7f7f
		m |= (y - 0x0101010101010101) & ^y // high bit: a DEL byte
		if m &= 0x8080808080808080; m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	for i < len(line) {
		c := line[i]
		if c <= ' ' {
			if c == ' ' || c == '\t' {
				break
			}
			return i, ReasonControl
		}
		if c == 0x7f {
			return i, ReasonControl
		}
		i++
	}
	return i, ReasonNone
}

// maybeFieldName reports whether tok could start a header line: a known
// field name, or ${...}. Data tokens such as "eni-0a1b" or "unknown" are
// rejected without a map lookup when they hold digits.
func maybeFieldName(tok []byte) bool {
	if len(tok) > 2 && tok[0] == '$' && tok[1] == '{' {
		return true
	}
	for _, c := range tok {
		if c >= '0' && c <= '9' {
			return false
		}
	}
	_, ok := lookupFieldBytes(tok)
	return ok
}

// scanAddr reads an address token starting at i: dotted-decimal IPv4 on a
// fast path while scanning, anything else through parseAddr.
func scanAddr(line []byte, i int) (netip.Addr, int, Reason) {
	start := i
	var oct [4]byte
	k, val, digits := 0, 0, 0
	n := len(line)
	for i < n {
		c := line[i]
		if d := c - '0'; d <= 9 {
			if digits == 1 && val == 0 {
				break // leading zero: let the slow path reject it
			}
			val = val*10 + int(d)
			digits++
			if val > 255 {
				break
			}
		} else if c == '.' && digits > 0 && k < 3 {
			oct[k] = byte(val)
			k++
			val, digits = 0, 0
		} else {
			break
		}
		i++
	}
	if k == 3 && digits > 0 && val <= 255 && (i == n || line[i] == ' ' || line[i] == '\t') {
		oct[3] = byte(val)
		return netip.AddrFrom4(oct), i, ReasonNone
	}
	end, r := skipToken(line, start)
	if r != ReasonNone {
		return netip.Addr{}, end, r
	}
	a, r := parseAddr(line[start:end])
	return a, end, r
}

// Error describes the last rejected line as a ParseError. Call it right
// after Parse returned LineBad with the same line; it allocates.
func (p *Parser) Error(line []byte, reason Reason, source, object string, lineNo int64) *ParseError {
	return p.rejected(line, reason, lineNo).error(source, object)
}

// badLine keeps what describing a rejected line takes, so that the
// description (which allocates) is built only for the lines kept as
// samples. line must stay valid until then.
type badLine struct {
	line   []byte
	reason Reason
	lineNo int64
	format *Format
	col    int // the column at fault, -1 for the whole line
	count  int // the fields found
}

// rejected captures the parser's view of the line it just rejected.
func (p *Parser) rejected(line []byte, reason Reason, lineNo int64) badLine {
	return badLine{line: line, reason: reason, lineNo: lineNo, format: p.format, col: p.badCol, count: p.badCount}
}

func (b badLine) error(source, object string) *ParseError {
	line := bytes.TrimRight(b.line, "\r\n")
	e := &ParseError{Source: source, Object: object, Line: b.lineNo, Reason: b.reason}
	excerpt := line
	if b.col >= 0 && b.col < len(b.format.Names) {
		e.Field = b.format.Names[b.col]
		if toks := bytes.Fields(line); b.col < len(toks) {
			excerpt = toks[b.col]
		}
		if f := b.format.Fields[b.col]; b.reason == ReasonRange && f != FieldUnknown {
			e.Detail = "max " + strconv.FormatUint(fieldInfo[f].Max, 10)
		}
	}
	switch b.reason {
	case ReasonFieldCount:
		e.Detail = fmt.Sprintf("%d fields, format has %d", b.count, len(b.format.Fields))
	case ReasonTooLong:
		e.Detail = fmt.Sprintf("%d bytes", len(line))
	case ReasonFormat:
		e.Detail = b.format.unknown
	}
	if len(excerpt) > 80 {
		excerpt = excerpt[:80]
	}
	e.Excerpt = strconv.Quote(string(excerpt))
	return e
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

// parseEnum returns the code of an enum token (any case).
func parseEnum(f Field, tok []byte) (uint8, Reason) {
	vals := fieldInfo[f].Values // not EnumValues: no copy of the field's info per token
	for i, v := range vals {
		if string(tok) == v { // as AWS writes them: no case folding
			return uint8(i + 1), ReasonNone
		}
	}
	for i, v := range vals {
		if len(tok) == len(v) && bytes.EqualFold(tok, unsafe.Slice(unsafe.StringData(v), len(v))) {
			return uint8(i + 1), ReasonNone
		}
	}
	return 0, ReasonEnum
}
