package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
)

// fileID identifies a file independently of its name: device and inode.
// ok is false where the platform has no inode numbers.
type fileID struct {
	dev, ino uint64
	ok       bool
}

// headLen is how many bytes at the start of an object's content identify
// it: enough to hold a header line and several records.
const headLen = 1024

// sink is where a file source's tailers deliver batches.
type sink struct {
	name   string
	format *model.Format
	emit   func(model.Batch) error
	box    *StatusBox
	opts   *Options
}

// send emits one chunk of object obj and counts it.
func (k *sink) send(obj string, c chunk, reset, eof bool) error {
	return k.sendAt(obj, c, reset, eof, nil)
}

// sendAt is send with the position after the chunk (Batch.Cursor).
func (k *sink) sendAt(obj string, c chunk, reset, eof bool, pos *Position) error {
	b := model.Batch{Source: k.name, Object: obj, Data: c.data, Line: c.line, Offset: c.off,
		Format: k.format, Reset: reset, EOF: eof, Release: c.release(), NoHeaders: c.noHeaders}
	if pos != nil {
		b.Cursor = pos
	}
	if err := k.emit(b); err != nil {
		return err
	}
	k.box.Count(&b, c.lines)
	return nil
}

// dropped counts and notes over-long lines that an assembler skipped.
func (k *sink) dropped(obj string, ds []drop) {
	for _, d := range ds {
		if d.open {
			k.box.Drop(DropTooLong, 1, fmt.Sprintf("%s:%d: line of more than %d bytes skipped", obj, d.line, k.opts.maxLine()))
		} else {
			k.box.Drop(DropTooLong, 1, fmt.Sprintf("%s:%d: line of %d bytes skipped (longer than %d)", obj, d.line, d.length, k.opts.maxLine()))
		}
	}
}

// tailer reads one generation of one file (one open handle) from where it
// last stopped, plain or gzip, and delivers its lines. A tailer is used by
// one goroutine at a time.
type tailer struct {
	path   string // the object name: the path it was opened as
	f      *os.File
	fi     os.FileInfo // from the open handle
	id     fileID
	follow bool

	gz        bool
	kindKnown bool  // plain or gzip decided (needs two bytes)
	raw       int64 // plain: bytes read from f (== content position)
	size      int64 // raw size at the last check
	mtime     time.Time

	zr       *gzip.Reader
	zbuf     *bufio.Reader
	zerr     error // the decoder failed (truncated stream, ...)
	zerrSize int64 // raw size when it failed: a retry waits for growth
	zerrAt   time.Time
	done     bool  // the object is complete: nothing more will be read
	bad      error // why reading stopped early (errRunaway), reported as a fault

	a        *assembler
	head     []byte // first headLen bytes of content, once read (shorter for short objects)
	scratch  [headLen]byte
	reset    bool    // the next batch starts the object over
	replay   *header // a header line to deliver before the next data
	lastData time.Time

	// pending: a file that appeared while following is not read until it
	// is known whether it copies one read before (see fileRun.decide).
	pending     bool
	pendingAt   time.Time
	pendingSize int64
}

// openTailer opens path for reading from its beginning.
func openTailer(path string, opts *Options) (*tailer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	t := &tailer{path: path, f: f, fi: fi, id: idOf(fi), follow: opts.Follow, a: newAssembler(opts.maxLine()),
		reset: true, size: fi.Size(), mtime: fi.ModTime(), lastData: time.Now()}
	t.detect()
	return t, nil
}

// detect decides plain or gzip by the magic bytes, once there are two.
func (t *tailer) detect() {
	if t.kindKnown {
		return
	}
	if t.size < 2 {
		if !t.follow {
			t.kindKnown = true // a tiny or empty file
		}
		return
	}
	var m [2]byte
	if _, err := t.f.ReadAt(m[:], 0); err == nil {
		t.gz = m[0] == 0x1f && m[1] == 0x8b
		t.kindKnown = true
	}
}

// sameFile reports whether fi describes the tailer's file.
func (t *tailer) sameFile(fi os.FileInfo) bool {
	if t.id.ok {
		return idOf(fi) == t.id
	}
	return os.SameFile(t.fi, fi)
}

func (t *tailer) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// noteHead keeps the first headLen bytes of content; data was read at
// content offset p.
func (t *tailer) noteHead(p int64, data []byte) {
	if p >= headLen || p != int64(len(t.head)) {
		return
	}
	n := headLen - int(p)
	if n > len(data) {
		n = len(data)
	}
	t.head = append(t.head, data[:n]...)
}

// read delivers what the file holds now beyond the last read, up to the
// size seen at the start of the call (so a fast writer cannot starve the
// other files). It returns the number of content bytes consumed.
// Truncation and rewriting in place are detected and start the object
// over. Errors are I/O errors or emit's error (the context ended); a gzip
// stream that breaks is kept in zerr for the caller to decide.
func (t *tailer) read(k *sink) (int64, error) {
	if t.done {
		return 0, nil
	}
	fi, err := t.f.Stat()
	if err != nil {
		return 0, err
	}
	t.size, t.mtime = fi.Size(), fi.ModTime()
	t.detect()
	if !t.kindKnown {
		return 0, nil
	}
	p0 := t.a.pos()
	if t.gz {
		err = t.readGzip(k)
	} else {
		err = t.readPlain(k)
	}
	n := t.a.pos() - p0
	if n > 0 {
		t.lastData = time.Now()
	}
	return n, err
}

func (t *tailer) readPlain(k *sink) error {
	if t.size < t.raw || t.size != t.raw && t.rewritten() {
		t.truncated(k)
		lost := t.a.reset()
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		t.raw, t.head, t.reset, t.replay = 0, nil, true, nil
		k.opts.logf("%s: truncated or rewritten, reading from the start", t.path)
		if lost > 0 {
			k.box.Drop(DropTruncated, 1, fmt.Sprintf("%s: truncated while a line of %d bytes was incomplete; it is lost", t.path, lost))
		}
	}
	want := t.size - t.raw
	if want <= 0 {
		return nil
	}
	t.a.begin()
	defer t.a.end()
	for want > 0 {
		sp := t.a.space()
		if int64(len(sp)) > want {
			sp = sp[:want]
		}
		n, err := t.f.Read(sp)
		t.noteHead(t.raw, sp[:n])
		t.a.commit(n)
		t.raw += int64(n)
		want -= int64(n)
		if err := t.flush(k, false); err != nil {
			return err
		}
		if t.a.runaway() {
			t.bad, t.done = errRunaway, true
			break
		}
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return err
		}
	}
	t.a.end()
	return t.flush(k, false)
}

// rewritten reports whether the start of the file no longer holds the
// bytes first read there (truncated and written past our position
// between two checks).
func (t *tailer) rewritten() bool {
	if len(t.head) == 0 || t.gz {
		return false
	}
	b := t.scratch[:len(t.head)]
	n, _ := t.f.ReadAt(b, 0)
	return !bytes.Equal(b[:n], t.head)
}

func (t *tailer) readGzip(k *sink) error {
	if t.zerr != nil {
		if t.size == t.zerrSize {
			return nil // wait for the file to grow
		}
		t.zr = nil // it grew: decode again and skip what was delivered
	}
	if t.zr == nil {
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if t.zbuf == nil {
			t.zbuf = bufio.NewReaderSize(t.f, 256<<10)
		} else {
			t.zbuf.Reset(t.f)
		}
		zr, err := gzip.NewReader(t.zbuf)
		if err != nil {
			t.gzFailed(err)
			return nil
		}
		if skip := t.a.pos(); skip > 0 {
			if _, err := io.CopyN(io.Discard, zr, skip); err != nil {
				t.gzFailed(err)
				return nil
			}
		}
		t.zr, t.zerr = zr, nil
	}
	t.a.begin()
	defer t.a.end()
	for {
		sp := t.a.space()
		p := t.a.pos()
		n, err := t.zr.Read(sp)
		t.noteHead(p, sp[:n])
		t.a.commit(n)
		if err := t.flush(k, false); err != nil {
			return err
		}
		if t.a.runaway() {
			t.bad, t.done = errRunaway, true
			break
		}
		if err == io.EOF {
			t.done = true
			break
		}
		if err != nil {
			t.gzFailed(err)
			break
		}
	}
	t.a.end()
	return t.flush(k, false)
}

func (t *tailer) gzFailed(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	t.zerr, t.zerrSize, t.zerrAt = err, t.size, time.Now()
	t.zr = nil
}

// flush delivers the header to replay, the chunks cut so far and, with
// eof, marks the last batch (an empty one if need be) as the object's end.
func (t *tailer) flush(k *sink, eof bool) error {
	k.dropped(t.path, t.a.takeDrops())
	if t.replay != nil {
		h := t.replay
		t.replay = nil
		if err := k.send(t.path, chunk{data: append([]byte(nil), h.data...), off: h.off, line: h.line, lines: 0}, t.reset, false); err != nil {
			return err
		}
		t.reset = false
	}
	ready := t.a.takeReady()
	for i, c := range ready {
		if err := k.sendAt(t.path, c, t.reset, eof && i == len(ready)-1, t.position(c)); err != nil {
			return err
		}
		t.reset = false
	}
	if eof && len(ready) == 0 {
		c := chunk{off: t.a.off, line: t.a.line}
		if err := k.sendAt(t.path, c, t.reset, true, t.position(c)); err != nil {
			return err
		}
		t.reset = false
	}
	return nil
}

// finish ends the object: the held partial line is delivered as a last
// line (keepPartial) or dropped and counted, and an EOF batch is sent.
func (t *tailer) finish(k *sink, keepPartial bool) error {
	if lost := t.a.finish(keepPartial); lost > 0 {
		k.box.Drop(DropIncomplete, 1, fmt.Sprintf("%s:%d: incomplete last line of %d bytes dropped", t.path, t.a.nextLine(), lost))
	}
	t.done = true
	return t.flush(k, true)
}

// seekTail positions the tailer n lines before the end (0: at the end; a
// trailing partial line is always included). It counts the lines before
// that point, so line numbers stay right, and replays the header line in
// force there.
func (t *tailer) seekTail(n int) error {
	var r io.Reader = io.NewSectionReader(t.f, 0, t.size)
	if t.gz {
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 256<<10))
		if err != nil {
			return nil // read from the start; the read reports the fault
		}
		r = zr
	}
	tp, err := scanTail(r, n)
	if err != nil && !t.gz {
		return err
	}
	if err != nil {
		return nil // a broken gzip stream: read from the start, where the fault is reported
	}
	t.head = tp.head
	t.a.start(tp.start, tp.line)
	if tp.hdr != nil {
		t.replay = tp.hdr
		t.a.hdr = *tp.hdr
	}
	if !t.gz {
		if _, err := t.f.Seek(tp.start, io.SeekStart); err != nil {
			return err
		}
		t.raw = tp.start
	}
	return nil
}

// resume positions the tailer where a previous reading of the same content
// stopped: offset pos, line number line, with its header replayed.
func (t *tailer) resume(sf *seenFile) error {
	t.head = append([]byte(nil), sf.head...)
	t.a.start(sf.pos, sf.line)
	if sf.hdr.data != nil && sf.hdr.off < sf.pos {
		h := sf.hdr
		t.replay = &h
		t.a.hdr = h
	}
	if !t.gz {
		if _, err := t.f.Seek(sf.pos, io.SeekStart); err != nil {
			return err
		}
		t.raw = sf.pos
	}
	return nil
}

// contentHead returns the first headLen bytes of the file's content
// (decompressed for gzip), without disturbing the tailer's position.
func (t *tailer) contentHead() []byte {
	var r io.Reader = io.NewSectionReader(t.f, 0, t.size)
	if t.gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil
		}
		r = zr
	}
	b := make([]byte, headLen)
	n, _ := io.ReadFull(r, b)
	return b[:n]
}

// tailPoint is where reading starts for --tail N.
type tailPoint struct {
	start int64   // content offset
	line  int64   // line number at start
	hdr   *header // the header line in force at start, if any before it
	head  []byte  // the first headLen bytes of content
}

// scanTail reads r to its end and finds the start of the last n complete
// lines (n = 0: the end), a trailing partial line included.
func scanTail(r io.Reader, n int) (tailPoint, error) {
	type ent struct {
		off int64
		hdr *header
	}
	var tp tailPoint
	var ring []ent
	if n > 0 {
		ring = make([]ent, n)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	var off, k int64 // bytes and complete lines so far
	var before *header
	partialAt := int64(-1)
	note := func(p int64, s []byte) {
		if p < headLen && p == int64(len(tp.head)) {
			m := headLen - int(p)
			if m > len(s) {
				m = len(s)
			}
			tp.head = append(tp.head, s[:m]...)
		}
	}
	for {
		s, err := br.ReadSlice('\n')
		lineOff := off
		note(off, s)
		off += int64(len(s))
		var h *header
		if err == nil && len(s) > 0 && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '$') && model.IsHeaderLine(s) {
			h = &header{data: append([]byte(nil), s...), line: k + 1, off: lineOff}
		}
		for err == bufio.ErrBufferFull {
			s, err = br.ReadSlice('\n')
			note(off, s)
			off += int64(len(s))
		}
		if err == nil {
			k++
			if n > 0 {
				e := &ring[(k-1)%int64(n)]
				if e.hdr != nil {
					before = e.hdr
				}
				*e = ent{off: lineOff, hdr: h}
			} else if h != nil {
				before = h
			}
			continue
		}
		if err == io.EOF {
			if off > lineOff {
				partialAt = lineOff
			}
			break
		}
		return tp, err
	}
	switch {
	case n == 0:
		tp.start, tp.line, tp.hdr = off, k+1, before
		if partialAt >= 0 {
			tp.start = partialAt
		}
	case k <= int64(n):
		tp.start, tp.line = 0, 1
	default:
		tp.start, tp.line, tp.hdr = ring[k%int64(n)].off, k-int64(n)+1, before
	}
	return tp, nil
}
