package source

import (
	"bytes"
	"errors"
	"sync"

	"github.com/flowlens/flowlens/model"
)

// minRead is the least free space a read is offered, in bytes.
const minRead = 64 << 10

// maxRunaway is the longest "line" skipped before the input is taken for
// something that is not line text at all (/dev/zero, a binary file, a
// gzip bomb of zeros), in bytes: reading it further would only burn CPU
// and the reader gives up on the object with a fault. A variable for
// tests.
var maxRunaway int64 = 256 << 20

// errRunaway is the fault of an object that holds no line end for
// maxRunaway bytes.
var errRunaway = errors.New("no line end in 256 MiB: not flow-log text (binary or compressed data?); the rest is not read")

// readBufSize is the capacity of the pooled read buffers: a full batch,
// a held partial line of default length and one read.
const readBufSize = batchTarget + model.DefaultMaxLine + minRead

var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, readBufSize); return &b }}

// chunk is a run of whole lines cut from one object: the Data, Offset and
// Line of a batch.
type chunk struct {
	data  []byte
	off   int64   // object offset of data[0]
	line  int64   // line number of the first line
	lines int     // number of lines in data
	buf   *[]byte // data's pooled buffer (readBufs), nil if not pooled
	// noHeaders: no line of data starts with a lowercase letter, '$' or
	// a blank, so none can be a header line (model.Batch.NoHeaders)
	noHeaders bool
}

// release returns the chunk's buffer to the pool once the batch is in
// (model.Batch.Release), so that reading costs no garbage.
func (c chunk) release() func() {
	if c.buf == nil {
		return nil
	}
	return func() { readBufs.Put(c.buf) }
}

// drop is an over-long line that was skipped.
type drop struct {
	line   int64 // its line number
	length int64 // its length in bytes, without the newline
	open   bool  // dropped before its end: length is what was seen then
}

// header is a copy of a header line and where it was.
type header struct {
	data []byte // the line, with its newline
	line int64
	off  int64
}

// assembler turns the bytes of one object, as they are read, into chunks
// of whole lines: at most batchTarget bytes each, never splitting a line,
// never holding more than one partial line between reads. Lines longer
// than maxLine are skipped and recorded in drops as soon as they pass the
// limit; line numbers and offsets stay exact around them. It also remembers the last header line it saw,
// so a reader that resumes the object elsewhere can replay it.
//
// A read cycle is begin, then space/commit as often as wanted, then end.
// Between cycles the assembler keeps only the partial line, so idle
// objects cost little memory. Not safe for concurrent use.
type assembler struct {
	maxLine int

	buf    []byte // [complete lines][partial line]; pooled during a cycle
	pool   *[]byte
	ls     int   // buf[:ls] are complete lines
	scan   int   // buf[:scan] has been searched for newlines
	lines  int   // number of complete lines in buf[:ls]
	mayHdr bool  // a line of buf[:ls] may be a header line (see chunk.noHeaders)
	off    int64 // object offset of buf[0]
	line   int64 // line number of buf[0]

	skip    bool  // discarding an over-long line up to its newline
	skipped int64 // bytes of that line discarded so far; off is its start

	hdr   header
	ready []chunk
	drops []drop
}

func newAssembler(maxLine int) *assembler {
	if maxLine <= 0 {
		maxLine = model.DefaultMaxLine
	}
	return &assembler{maxLine: maxLine, line: 1}
}

// start places the assembler at offset off, line number line, as if
// everything before had been consumed. It drops any held bytes.
func (a *assembler) start(off, line int64) {
	a.buf = a.buf[:0]
	a.ls, a.scan, a.lines, a.mayHdr = 0, 0, 0, false
	a.off, a.line = off, line
	a.skip, a.skipped = false, 0
}

// reset starts the object over (truncated or re-created) and returns the
// number of held bytes that were lost: a partial line that will never end.
func (a *assembler) reset() int {
	lost := len(a.buf) - a.ls
	if a.skip {
		lost = int(a.skipped)
	}
	a.start(0, 1)
	a.hdr = header{}
	return lost
}

// runaway reports whether the line being skipped has gone on for more
// than maxRunaway bytes: the input is not line text.
func (a *assembler) runaway() bool { return a.skip && a.skipped > maxRunaway }

// pos returns the object offset just past every byte consumed so far.
func (a *assembler) pos() int64 { return a.off + int64(len(a.buf)) + a.skipped }

// nextLine returns the number of the first line not yet complete.
func (a *assembler) nextLine() int64 { return a.line + int64(a.lines) }

// partial returns the number of bytes of an incomplete last line held.
func (a *assembler) partial() int { return len(a.buf) - a.ls }

func (a *assembler) bufSize() int {
	return batchTarget + a.maxLine + minRead
}

// begin starts a read cycle: it borrows a read buffer and moves the held
// partial line to its front.
func (a *assembler) begin() {
	if a.pool != nil {
		return
	}
	var p *[]byte
	if a.bufSize() <= readBufSize {
		p = readBufs.Get().(*[]byte)
	} else {
		b := make([]byte, 0, a.bufSize())
		p = &b
	}
	a.buf = append((*p)[:0], a.buf...)
	a.pool = p
}

// end finishes a read cycle: complete lines are cut into a chunk, the
// partial line is copied out and the read buffer goes back to the pool.
func (a *assembler) end() {
	if a.pool == nil {
		return
	}
	a.cut()
	held := append([]byte(nil), a.buf...)
	if cap(a.buf) == readBufSize {
		*a.pool = a.buf[:0]
		readBufs.Put(a.pool)
	}
	a.pool = nil
	a.buf = held
}

// space returns the free part of the read buffer for the next read; pass
// the number of bytes read to commit. Reads are sized so that a batch
// stays within batchTarget. Only within a cycle.
func (a *assembler) space() []byte {
	if batchTarget-len(a.buf) < minRead {
		a.cut()
	}
	n := batchTarget - len(a.buf)
	if n < minRead {
		n = minRead // a long partial line: room is left for it (bufSize)
	}
	if cap(a.buf)-len(a.buf) < n { // cannot happen: the partial is at most maxLine
		nb := make([]byte, len(a.buf), len(a.buf)+a.bufSize())
		copy(nb, a.buf)
		a.buf = nb
	}
	return a.buf[len(a.buf) : len(a.buf)+n]
}

// commit takes n bytes just read into space.
func (a *assembler) commit(n int) {
	a.buf = a.buf[:len(a.buf)+n]
	for {
		if a.skip {
			j := bytes.IndexByte(a.buf, '\n')
			if j < 0 {
				a.skipped += int64(len(a.buf))
				a.buf = a.buf[:0]
				a.scan = 0
				return
			}
			a.skipped += int64(j)
			a.off += a.skipped + 1
			a.line++
			a.skip, a.skipped = false, 0
			a.buf = a.buf[:copy(a.buf, a.buf[j+1:])]
			a.scan = 0
			continue
		}
		j := bytes.IndexByte(a.buf[a.scan:], '\n')
		if j < 0 {
			a.scan = len(a.buf)
			if len(a.buf)-a.ls > a.maxLine {
				a.cut()
				a.skip, a.skipped = true, int64(len(a.buf))
				a.drops = append(a.drops, drop{line: a.line, length: a.skipped, open: true})
				a.buf = a.buf[:0]
				a.scan = 0
			}
			break
		}
		nl := a.scan + j
		if nl-a.ls > a.maxLine {
			a.cut()
			nl = a.scan + j
			a.drops = append(a.drops, drop{line: a.line, length: int64(nl)})
			a.off += int64(nl) + 1
			a.line++
			a.buf = a.buf[:copy(a.buf, a.buf[nl+1:])]
			a.scan = 0
			continue
		}
		if c := a.buf[a.ls]; c >= 'a' && c <= 'z' || c == '$' || c <= ' ' {
			a.mayHdr = true
			if c > ' ' && model.IsHeaderLine(a.buf[a.ls:nl]) {
				a.hdr = header{data: append([]byte(nil), a.buf[a.ls:nl+1]...), line: a.nextLine(), off: a.off + int64(a.ls)}
			}
		}
		a.ls = nl + 1
		a.lines++
		a.scan = nl + 1
	}
	if a.ls >= batchTarget {
		a.cut()
	}
}

// cut moves the complete lines into a ready chunk that owns them. Within
// a read cycle the chunk takes the pooled read buffer itself and only the
// partial line is copied, to a fresh one: the bytes read (or decoded) are
// not copied again.
func (a *assembler) cut() {
	if a.ls == 0 {
		return
	}
	c := chunk{off: a.off, line: a.line, lines: a.lines, noHeaders: !a.mayHdr}
	if a.pool != nil && cap(a.buf) == readBufSize {
		c.data, c.buf = a.buf[:a.ls:a.ls], a.pool
		next := readBufs.Get().(*[]byte)
		a.buf = append((*next)[:0], a.buf[a.ls:]...)
		a.pool = next
	} else {
		buf := readBufs.Get().(*[]byte)
		*buf = append((*buf)[:0], a.buf[:a.ls]...)
		c.data, c.buf = *buf, buf
		a.buf = a.buf[:copy(a.buf, a.buf[a.ls:])]
	}
	a.ready = append(a.ready, c)
	a.off += int64(a.ls)
	a.line += int64(a.lines)
	a.scan -= a.ls
	a.ls, a.lines, a.mayHdr = 0, 0, false
}

// finish ends the object. With keepPartial an unterminated last line is
// delivered as a line (a file that does not end in a newline); otherwise
// it is dropped and its length returned.
func (a *assembler) finish(keepPartial bool) (lost int) {
	if a.skip {
		a.off += a.skipped
		a.line++
		a.skip, a.skipped = false, 0
	}
	if p := a.partial(); p > 0 {
		if keepPartial {
			a.mayHdr = true // its first byte was not looked at
			a.ls = len(a.buf)
			a.lines++
		} else {
			lost = p
			a.buf = a.buf[:a.ls]
		}
	}
	a.cut()
	return lost
}

// takeReady returns the chunks cut so far and forgets them.
func (a *assembler) takeReady() []chunk {
	r := a.ready
	a.ready = nil
	return r
}

// takeDrops returns the over-long lines skipped so far and forgets them.
func (a *assembler) takeDrops() []drop {
	d := a.drops
	a.drops = nil
	return d
}
