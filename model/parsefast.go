package model

import (
	"encoding/binary"
	"math/bits"
)

// SWAR constants: a byte's high bit in a mask word marks that byte.
const (
	lowBits    = 0x7F7F7F7F7F7F7F7F
	highBits   = 0x8080808080808080
	spacesWord = 0x2020202020202020
)

// zeroBytes marks the bytes of x that are zero (exactly: no borrow runs
// from one byte into the next).
func zeroBytes(x uint64) uint64 {
	return ^(((x & lowBits) + lowBits) | x | lowBits)
}

// controlBytes marks the bytes of x below ' ' (tab and the control bytes)
// and DEL: a line holding one is left to the full parser.
func controlBytes(x uint64) uint64 {
	below := ^(((x & lowBits) + 0x6060606060606060) | x | lowBits)
	return below | zeroBytes(x^0x7F7F7F7F7F7F7F7F)
}

// parseFast reads a line of the common shape, one space between fields
// and no tab or control byte, and converts the tokens of the fields it
// checks: all of them, or with Skip unchecked only the fields it keeps. It finds the
// separators sixty-four bytes at a time when line's buffer goes on past it
// (the usual case: a line cut from a batch), else eight. With the former,
// line may run on past the line's '\n' (a worker hands it the rest of its
// piece, so that the line end is found in the same pass); end is where the
// line ends (its '\n', or len(line)). ok is false for a line of any other
// shape, and for any token that does not convert: the full parser then
// reads the line, so every verdict and reason is the full parser's.
func (p *Parser) parseFast(line []byte, rec *Record) (end int, ok bool) {
	n := len(line)
	if n == 0 || len(p.ops) == 0 {
		return 0, false // (no ops: an unknown format, see parseUnknown)
	}
	c := line[0]
	if c <= ' ' {
		return 0, false // leading blanks, a blank line
	}
	// A line that starts with a letter or '$' may be a header line: its
	// first token is looked at once found (see nameLike).
	letter := c >= 'a' && c <= 'z' || c == '$'
	maxLine := p.MaxLine
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	ops := p.ops
	want := len(ops)
	p.clear(rec)
	k, s := 0, 0 // the field and where its token starts
	// (a worker's line runs on to the end of its piece: it takes the
	// blocks when the buffer has a kilobyte left, and stops short of its end)
	if full := line[:cap(line)]; len(full) >= (min(n, 1024)+63)&^63 {
		// Sixty-four bytes at a time (SSE2 on amd64), reading past the
		// data's end within its buffer: the bytes past it are masked off.
		// The line ends at the first '\n' (line may hold the lines after
		// it: see Pipeline's workers) or at the end of line.
		var prev uint64 // bit 0: the byte before the block is a space
		for o := 0; o < n; o += 64 {
			if o > maxLine || o+64 > len(full) {
				return 0, false // too long (the full parser says so), or the buffer's end
			}
			sp, other := sepMasks(&full[o])
			if rest := n - o; rest < 64 {
				sp &= 1<<rest - 1
				other &= 1<<rest - 1
			}
			end := -1
			if other != 0 {
				j := bits.TrailingZeros64(other)
				if line[o+j] != '\n' {
					return 0, false // a tab, a control or non-ASCII byte
				}
				end = o + j
				sp &= 1<<j - 1
			}
			if sp&(sp<<1|prev) != 0 {
				return 0, false // two spaces in a row
			}
			prev = sp >> 63
			for m := sp; m != 0; m &= m - 1 {
				e := o + bits.TrailingZeros64(m)
				if k == want-1 || k == 0 && letter && nameLike(line[:e]) {
					return 0, false // too many fields, or a header line maybe
				}
				if op := &ops[k]; op.kind != opSkip && !p.convert(op, line[s:e], rec) {
					return 0, false
				}
				k++
				s = e + 1
			}
			if end >= 0 {
				return end, end <= maxLine && p.fastLast(line[:end], s, k, rec)
			}
		}
		return n, n <= maxLine && p.fastLast(line, s, k, rec)
	}
	o := 0
	for ; o+8 <= n; o += 8 {
		x := binary.LittleEndian.Uint64(line[o:])
		if controlBytes(x)&highBits != 0 {
			return 0, false
		}
		for m := zeroBytes(x^spacesWord) & highBits; m != 0; m &= m - 1 {
			e := o + bits.TrailingZeros64(m)>>3
			if e == s || k == want-1 || k == 0 && letter && nameLike(line[:e]) {
				return 0, false // two spaces in a row, too many fields, a header line maybe
			}
			if op := &ops[k]; op.kind != opSkip && !p.convert(op, line[s:e], rec) {
				return 0, false
			}
			k++
			s = e + 1
		}
	}
	for ; o < n; o++ {
		c := line[o]
		if c <= ' ' || c == 0x7f {
			if c != ' ' || o == s || k == want-1 || k == 0 && letter && nameLike(line[:o]) {
				return 0, false
			}
			if op := &ops[k]; op.kind != opSkip && !p.convert(op, line[s:o], rec) {
				return 0, false
			}
			k++
			s = o + 1
		}
	}
	return n, p.fastLast(line, s, k, rec)
}

// fastLast ends parseFast: the line's last token starts at s and is field
// k, which must be the format's last.
func (p *Parser) fastLast(line []byte, s, k int, rec *Record) bool {
	if s == len(line) || k != len(p.ops)-1 || k == 0 && nameLike(line) {
		return false
	}
	if op := &p.ops[k]; op.kind != opSkip && !p.convert(op, line[s:], rec) {
		return false
	}
	rec.Present &^= p.skip // checked but not kept (Skip with check)
	return true
}

// convert reads one token of a kept field into rec, as the full parser
// would; false when it does not convert (the full parser says why).
func (p *Parser) convert(op *colOp, tok []byte, rec *Record) bool {
	if len(tok) == 1 && tok[0] == '-' {
		return true // absent
	}
	switch op.kind {
	case opUint:
		if len(tok) > 19 {
			return false // may not fit: the full parser checks exactly
		}
		var v uint64
		for _, c := range tok {
			d := c - '0'
			if d > 9 {
				return false
			}
			v = v*10 + uint64(d)
		}
		if op.ms && v > msThreshold {
			v /= 1000
		}
		if v > op.max {
			return false
		}
		rec.Num[op.slot] = v
	case opAddr:
		a, end, r := scanAddr(tok, 0)
		if r != ReasonNone || end != len(tok) {
			return false
		}
		rec.Addrs[op.slot] = a
	case opEnum:
		v, r := parseEnum(op.field, tok)
		if r != ReasonNone {
			return false
		}
		rec.Enums[op.slot] = v
	case opStr:
		rec.Str[op.slot] = tok
	default: // unknown ${...} fields: the full parser keeps them
		return false
	}
	rec.Present |= 1 << op.field
	return true
}

// nameLike reports whether a line's first token could begin a header line
// (maybeFieldName: a field name or ${...}, no digits), so that the full
// parser must look at the line. Data that starts with an identifier
// ("eni-0a1b...", "vpc-0f...") holds digits and stays on the fast path.
func nameLike(tok []byte) bool {
	c := tok[0]
	return (c >= 'a' && c <= 'z' || c == '$') && maybeFieldName(tok)
}
