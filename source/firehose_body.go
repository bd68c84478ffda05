package source

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// A Firehose request body is {"requestId": "...", "timestamp": <ms>,
// "records": [{"data": "<base64>"}, ...]} (flowlogs-reference.md §5b).
// fhBody reads exactly that shape with a small scanner of its own:
// encoding/json would first validate the whole document and then decode
// it, costing several times the scan for bodies of up to 64 MiB at
// hundreds of thousands of records a second. The scanner is still a full
// JSON reader for this shape: keys in any order, unknown keys skipped
// whatever their value, escapes in strings, white space anywhere; a body
// that is not valid JSON is rejected, never half-read.

// fhBody is a decoded request body. Record payloads are kept base64
// encoded (as slices of the body) until decodeRecords turns them into
// bytes.
type fhBody struct {
	RequestID    string
	HasRequestID bool
	Timestamp    int64 // ms since the epoch; 0 if absent
	Records      [][]byte
}

// errBody is a malformed body: the request is answered with 400.
type errBody struct {
	off int
	msg string
}

func (e *errBody) Error() string {
	return fmt.Sprintf("malformed request body at byte %d: %s", e.off, e.msg)
}

// maxJSONDepth bounds the nesting of skipped values, so a hostile body
// cannot exhaust the stack.
const maxJSONDepth = 64

type jsonScanner struct {
	b   []byte
	i   int
	tmp []byte // unescaped strings
}

func (s *jsonScanner) fail(format string, args ...any) error {
	return &errBody{off: s.i, msg: fmt.Sprintf(format, args...)}
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect consumes byte c after white space.
func (s *jsonScanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.b) {
		return s.fail("unexpected end, want %q", c)
	}
	if s.b[s.i] != c {
		return s.fail("found %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

// peek returns the next byte after white space (0 at the end).
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// str reads a string and returns its contents. Without escapes the result
// aliases the body; with them it is unescaped into s.tmp (valid until the
// next call), so callers copy what they keep.
func (s *jsonScanner) str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			out := s.b[start:s.i]
			s.i++
			if !utf8.Valid(out) {
				return nil, s.fail("string is not valid UTF-8")
			}
			return out, nil
		case c == '\\':
			return s.strSlow(start)
		case c < 0x20:
			return nil, s.fail("control byte 0x%02x in a string", c)
		}
		s.i++
	}
	return nil, s.fail("unterminated string")
}

// base64Str reads a string that should hold base64: without escapes or
// raw line breaks (which the decoder would skip) it is returned as it
// stands, since decoding rejects anything else that is not base64
// (other control bytes and non-ASCII included).
func (s *jsonScanner) base64Str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.i
	end := bytes.IndexByte(s.b[start:], '"')
	if end < 0 {
		s.i = len(s.b)
		return nil, s.fail("unterminated string")
	}
	if v := s.b[start : start+end]; bytes.IndexByte(v, '\\') >= 0 || bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		return s.strSlow(start)
	}
	s.i = start + end + 1
	return s.b[start : start+end], nil
}

// strSlow unescapes a string that holds a backslash, from its start.
func (s *jsonScanner) strSlow(start int) ([]byte, error) {
	s.i = start - 1
	end := start
	for end < len(s.b) && s.b[end] != '"' {
		if s.b[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(s.b) {
		s.i = len(s.b)
		return nil, s.fail("unterminated string")
	}
	var v string
	if err := json.Unmarshal(s.b[s.i:end+1], &v); err != nil {
		return nil, s.fail("bad string: %v", err)
	}
	s.i = end + 1
	s.tmp = append(s.tmp[:0], v...)
	return s.tmp, nil
}

// skip skips any JSON value.
func (s *jsonScanner) skip(depth int) error {
	if depth > maxJSONDepth {
		return s.fail("nested too deeply")
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			if _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			if s.peek() == ',' {
				s.i++
				continue
			}
			return s.expect('}')
		}
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			if s.peek() == ',' {
				s.i++
				continue
			}
			return s.expect(']')
		}
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == 0:
		return s.fail("unexpected end, want a value")
	default:
		return s.fail("unexpected %q", c)
	}
}

func (s *jsonScanner) literal(w string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return s.fail("unexpected %q", s.b[s.i])
	}
	s.i += len(w)
	return nil
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return nil, s.fail("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, s.fail("bad number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, s.fail("bad number")
		}
	}
	return s.b[start:s.i], nil
}

// parseFhBody reads a request body. records reuses the caller's slice.
func parseFhBody(b []byte, records [][]byte) (fhBody, error) {
	s := &jsonScanner{b: b}
	out := fhBody{Records: records[:0]}
	if err := s.expect('{'); err != nil {
		return out, err
	}
	seenRecords := false
	if s.peek() != '}' {
		for {
			key, err := s.str()
			if err != nil {
				return out, err
			}
			if err := s.expect(':'); err != nil {
				return out, err
			}
			// encoding/json matches keys regardless of case; so does this
			switch {
			case bytes.EqualFold(key, []byte("requestId")):
				if s.peek() == 'n' {
					if err := s.literal("null"); err != nil {
						return out, err
					}
					break
				}
				v, err := s.str()
				if err != nil {
					return out, err
				}
				out.RequestID, out.HasRequestID = string(v), true
			case bytes.EqualFold(key, []byte("timestamp")):
				if s.peek() == 'n' {
					if err := s.literal("null"); err != nil {
						return out, err
					}
					break
				}
				at := s.i
				v, err := s.number()
				if err != nil {
					return out, err
				}
				n, perr := strconv.ParseInt(string(v), 10, 64)
				if perr != nil {
					f, ferr := strconv.ParseFloat(string(v), 64)
					if ferr != nil {
						s.i = at
						return out, s.fail("timestamp %s is not a number of milliseconds", v)
					}
					n = int64(f)
				}
				out.Timestamp = n
			case bytes.EqualFold(key, []byte("records")):
				if seenRecords {
					return out, s.fail("records given twice")
				}
				seenRecords = true
				if out.Records, err = s.records(out.Records); err != nil {
					return out, err
				}
			default:
				if err := s.skip(1); err != nil {
					return out, err
				}
			}
			if s.peek() == ',' {
				s.i++
				continue
			}
			if err := s.expect('}'); err != nil {
				return out, err
			}
			break
		}
	} else {
		s.i++
	}
	if s.ws(); s.i < len(s.b) {
		return out, s.fail("data after the end of the body")
	}
	return out, nil
}

// records reads the records array: each element an object whose "data"
// string is kept (base64, still encoded). A record without data, or with
// data null, is an empty record.
func (s *jsonScanner) records(recs [][]byte) ([][]byte, error) {
	if s.peek() == 'n' {
		return recs, s.literal("null")
	}
	if err := s.expect('['); err != nil {
		return recs, err
	}
	if s.peek() == ']' {
		s.i++
		return recs, nil
	}
	for {
		if err := s.expect('{'); err != nil {
			return recs, err
		}
		var data []byte
		if s.peek() != '}' {
			for {
				key, err := s.str()
				if err != nil {
					return recs, err
				}
				if err := s.expect(':'); err != nil {
					return recs, err
				}
				if bytes.EqualFold(key, []byte("data")) && s.peek() != 'n' {
					v, err := s.base64Str()
					if err != nil {
						return recs, err
					}
					if len(s.tmp) > 0 && len(v) > 0 && &v[0] == &s.tmp[0] {
						v = bytes.Clone(v) // unescaped: s.tmp is reused
					}
					data = v
				} else if err := s.skip(1); err != nil {
					return recs, err
				}
				if s.peek() == ',' {
					s.i++
					continue
				}
				if err := s.expect('}'); err != nil {
					return recs, err
				}
				break
			}
		} else {
			s.i++
		}
		if data == nil {
			data = []byte{}
		}
		recs = append(recs, data)
		if s.peek() == ',' {
			s.i++
			continue
		}
		return recs, s.expect(']')
	}
}

// decodeBase64 decodes one record's data into dst (appending) and returns
// the grown slice and the decoded part. Standard padded base64 is what
// Firehose sends; unpadded input is accepted too.
func decodeBase64(dst, enc []byte) ([]byte, []byte, error) {
	start := len(dst)
	need := base64.StdEncoding.DecodedLen(len(enc)) + 3
	if cap(dst)-start < need {
		grown := make([]byte, start, max(2*cap(dst), start+need))
		copy(grown, dst)
		dst = grown
	}
	buf := dst[start : start+need]
	n, err := base64.StdEncoding.Decode(buf, enc)
	if err != nil {
		var cerr base64.CorruptInputError
		if errors.As(err, &cerr) && bytes.IndexByte(enc, '=') < 0 {
			if n2, err2 := base64.RawStdEncoding.Decode(buf, enc); err2 == nil {
				n, err = n2, nil
			}
		}
		if err != nil {
			return dst, nil, err
		}
	}
	return dst[:start+n], dst[start : start+n], nil
}
