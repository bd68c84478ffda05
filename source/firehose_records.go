package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// A Firehose record holds one of three things (flowlogs-reference.md §5b):
// a flow log delivered directly, as {"message":"<one line>"}; a gzip
// CloudWatch Logs subscription envelope ({"messageType": "DATA_MESSAGE",
// "logGroup", "logStream", "logEvents": [{"id", "timestamp", "message"}]},
// or a CONTROL_MESSAGE health check, acknowledged and skipped); or raw
// text, one line or several. Empty records are valid and carry nothing.
// The same envelope uncompressed (a stream that decompresses CloudWatch
// Logs data itself) is read too.

// fhObject collects the lines a request holds for one object.
type fhObject struct {
	name  string
	data  []byte // whole lines, each ending in '\n'
	lines int
}

// fhLines turns a request's records into lines, grouped by object in the
// order the objects first appear.
type fhLines struct {
	base    string // object of direct and raw records: the stream ARN (and attributes)
	objs    []*fhObject
	byName  map[string]*fhObject
	gz      *gzip.Reader
	unz     []byte // decompressed record
	expand  int64  // bytes that gzip records may still expand to
	empty   int    // empty records
	control int    // CONTROL_MESSAGE envelopes
	lines   int
	bytes   int
	hint    int // capacity for the first object's lines
}

// newFhLines returns a collector for a request whose records decode to
// about hint bytes (the lines of direct records take a little less).
func newFhLines(base string, expand int64, hint int) *fhLines {
	return &fhLines{base: base, byName: map[string]*fhObject{}, expand: expand, hint: hint}
}

// errTooLarge says the records expand to more than the request may.
var errTooLarge = errors.New("too large")

// record adds the lines of one decoded record (i is its index, for errors).
func (l *fhLines) record(i int, p []byte) error {
	p = trimSpace(p)
	if len(p) == 0 {
		l.empty++
		return nil
	}
	if len(p) >= 2 && p[0] == 0x1f && p[1] == 0x8b {
		unz, err := l.gunzip(p)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return err
			}
			return fmt.Errorf("record %d: gzip data: %w", i, err)
		}
		p = trimSpace(unz)
		if len(p) == 0 {
			l.empty++
			return nil
		}
	}
	if p[0] == '{' {
		return l.jsonRecord(i, p)
	}
	l.raw(l.obj(l.base), p)
	return nil
}

// gunzip decompresses a record into l.unz, within what the request may
// still expand to.
func (l *fhLines) gunzip(p []byte) ([]byte, error) {
	var err error
	if l.gz == nil {
		l.gz, err = gzip.NewReader(bytes.NewReader(p))
	} else {
		err = l.gz.Reset(bytes.NewReader(p))
	}
	if err != nil {
		return nil, err
	}
	l.unz = l.unz[:0]
	for {
		if len(l.unz) == cap(l.unz) {
			l.unz = append(l.unz, 0)[:len(l.unz)]
		}
		n, err := l.gz.Read(l.unz[len(l.unz):cap(l.unz)])
		l.unz = l.unz[:len(l.unz)+n]
		l.expand -= int64(n)
		if l.expand < 0 {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return l.unz, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errors.New("truncated")
			}
			return nil, err
		}
	}
}

// directPrefix and directSuffix frame a flow log delivered directly.
var (
	directPrefix = []byte(`{"message":"`)
	directSuffix = []byte(`"}`)
)

// cwlRecord is the union of the JSON record shapes: a direct message, or
// a CloudWatch Logs subscription envelope.
type cwlRecord struct {
	Message     *string `json:"message"`
	MessageType string  `json:"messageType"`
	LogGroup    string  `json:"logGroup"`
	LogStream   string  `json:"logStream"`
	LogEvents   []struct {
		Message string `json:"message"`
	} `json:"logEvents"`
}

// jsonRecord reads a record that is one JSON object (or several, one after
// another).
func (l *fhLines) jsonRecord(i int, p []byte) error {
	// Fast path: {"message":"<line>"} with nothing to unescape, the shape
	// of every flow log delivered directly.
	if bytes.HasPrefix(p, directPrefix) && bytes.HasSuffix(p, directSuffix) && len(p) >= len(directPrefix)+len(directSuffix) {
		msg := p[len(directPrefix) : len(p)-len(directSuffix)]
		// Nothing to unescape and no quote inside: the message is its own
		// value. (A control byte in it would make the JSON invalid; the
		// parser rejects such a line anyway, and line breaks become
		// spaces in line.)
		if bytes.IndexByte(msg, '"') < 0 && bytes.IndexByte(msg, '\\') < 0 {
			l.line(l.obj(l.base), msg)
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	for n := 0; ; n++ {
		var r cwlRecord
		if err := dec.Decode(&r); err == io.EOF && n > 0 {
			return nil
		} else if err != nil {
			return fmt.Errorf("record %d: JSON: %v", i, err)
		}
		switch {
		case r.MessageType == "CONTROL_MESSAGE":
			l.control++
		case r.MessageType == "DATA_MESSAGE":
			o := l.obj(joinObject(l.base, r.LogGroup+"/"+r.LogStream))
			for _, e := range r.LogEvents {
				l.line(o, []byte(e.Message))
			}
		case r.MessageType != "":
			return fmt.Errorf("record %d: unknown messageType %q (want DATA_MESSAGE or CONTROL_MESSAGE)", i, r.MessageType)
		case r.Message != nil:
			l.line(l.obj(l.base), []byte(*r.Message))
		default:
			return fmt.Errorf("record %d: a JSON object with neither \"message\" nor \"messageType\"", i)
		}
	}
}

// raw adds the lines of a raw text record.
func (l *fhLines) raw(o *fhObject, p []byte) {
	for len(p) > 0 {
		var ln []byte
		if k := bytes.IndexByte(p, '\n'); k >= 0 {
			ln, p = p[:k], p[k+1:]
		} else {
			ln, p = p, nil
		}
		if len(trimSpace(ln)) > 0 {
			l.line(o, ln)
		}
	}
}

// line adds one line; line breaks inside it become spaces, so one message
// is one line (a flow-log record never holds one).
func (l *fhLines) line(o *fhObject, msg []byte) {
	for len(msg) > 0 && (msg[len(msg)-1] == '\n' || msg[len(msg)-1] == '\r') {
		msg = msg[:len(msg)-1]
	}
	n := len(o.data)
	o.data = append(append(o.data, msg...), '\n')
	if bytes.IndexByte(msg, '\n') >= 0 || bytes.IndexByte(msg, '\r') >= 0 {
		for k := n; k < len(o.data)-1; k++ {
			if o.data[k] == '\n' || o.data[k] == '\r' {
				o.data[k] = ' '
			}
		}
	}
	o.lines++
	l.lines++
	l.bytes += len(msg) + 1
}

func (l *fhLines) obj(name string) *fhObject {
	if len(l.objs) > 0 && l.objs[len(l.objs)-1].name == name {
		return l.objs[len(l.objs)-1]
	}
	o := l.byName[name]
	if o == nil {
		o = &fhObject{name: name}
		if len(l.objs) == 0 {
			o.data = make([]byte, 0, l.hint)
		}
		l.byName[name] = o
		l.objs = append(l.objs, o)
	}
	return o
}

// joinObject names an object inside the stream: the stream's own name
// (ARN and attributes), then the CloudWatch Logs group and stream.
func joinObject(base, sub string) string {
	if base == "" {
		return sub
	}
	return base + " " + sub
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
