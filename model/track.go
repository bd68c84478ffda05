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

	// inferring: the object started with no format and no header line, and
	// its format is still being inferred from sample (copies of its first
	// lines) while they are rejected with ReasonFormat.
	inferring bool
	sample    [][]byte
	// note is what inference made of the object at this batch (nil if
	// nothing new): the committer records it in the source's stats.
	note *Inference
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
		st = &objState{format: f, line: 1}
		if f == nil {
			// no --log-format and no format from the source: a header
			// line, or else the first lines, tell
			st.format, st.inferring = DefaultFormat, true
		}
		t.objs[k] = st
	}
	if st.inferring {
		st.infer(b.Data)
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
		if last != st.format {
			st.inferring, st.sample = false, nil // a header line said
		}
		st.format = last
	}
	if b.EOF {
		delete(t.objs, objKey{b.Source, b.Object})
	}
}

// infer adds data's lines to the object's sample and infers its format
// from them (InferFormat). An object that opens with a header line needs
// none. While the sample cannot tell, the object's lines are rejected
// with ReasonFormat and a --log-format hint, and later batches add to the
// sample until InferSampleLines lines have been seen.
func (st *objState) infer(data []byte) {
	added := false
	for len(data) > 0 && len(st.sample) < InferSampleLines {
		var line []byte
		line, data = CutLine(data)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if IsHeaderLine(line) {
			if len(st.sample) == 0 {
				st.inferring = false // the header sets the format
				return
			}
			break // the lines after it are in its format
		}
		st.sample = append(st.sample, bytes.Clone(line))
		added = true
	}
	if !added {
		return
	}
	inf := InferFormat(st.sample)
	failedBefore := st.format.unknown != ""
	switch {
	case inf.Format != nil:
		st.format, st.inferring, st.sample = inf.Format, false, nil
		st.note = &inf
	default:
		st.format = unknownFormat(inf.Desc)
		if !failedBefore {
			st.note = &inf
		}
		if len(st.sample) >= InferSampleLines {
			st.inferring, st.sample = false, nil // the sample will not get better
		}
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
