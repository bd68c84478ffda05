package model

import "bytes"

// objTracker follows each object's format and line numbering from batch to
// batch. It runs where batches are submitted, before they are parsed, so
// that whoever parses a batch (a worker, or the submitting goroutine
// itself) starts it in the format its object was in at that point: set by
// the batch (--log-format, a format the source learned), by the last
// header line of an earlier batch, or the index's default.
type objTracker struct {
	objs map[objKey]*objState
}

type objKey struct{ src, obj string }

// objState is an object's position after the batches submitted so far.
type objState struct {
	format *Format // the format its next line is read in
	line   int64   // the line number of its next line
}

// begin returns the state of b's object at the start of b: a new state
// when b starts the object (or Reset says it started over). def is the
// format of an object that starts without one (nil: DefaultFormat).
func (t *objTracker) begin(b *Batch, def *Format) *objState {
	if t.objs == nil {
		t.objs = map[objKey]*objState{}
	}
	k := objKey{b.Source, b.Object}
	st := t.objs[k]
	if st == nil || b.Reset {
		f := b.Format
		if f == nil {
			f = def
		}
		if f == nil {
			f = DefaultFormat
		}
		st = &objState{format: f, line: 1}
		t.objs[k] = st
	}
	if b.Line > 0 {
		st.line = b.Line
	}
	return st
}

// end moves b's object past b: it held lines lines, and last, when not
// nil, is the format of its last usable header line. An object whose
// batch says EOF is forgotten.
func (t *objTracker) end(st *objState, b *Batch, lines int64, last *Format) {
	st.line += lines
	if last != nil {
		st.format = last
	}
	if b.EOF {
		delete(t.objs, objKey{b.Source, b.Object})
	}
}

// scanHeaders counts the lines of data and returns the format of its last
// usable header line (nil if none), as a parser reading data would end up
// with: what end needs before the batch itself is parsed.
func scanHeaders(data []byte) (int64, *Format) {
	var n int64
	var last *Format
	for len(data) > 0 {
		var line []byte
		line, data = CutLine(data)
		n++
		k := 0
		for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
			k++
		}
		if k < len(line) && (line[k] >= 'a' && line[k] <= 'z' || line[k] == '$') && IsHeaderLine(line) {
			if f, err := ParseFormat(string(bytes.TrimRight(line, "\r"))); err == nil {
				last = f
			}
		}
	}
	return n, last
}
