package model

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendJSON appends row i as one JSON object (no newline), per the
// DESIGN §3 contract: the keys are the AWS field names of the row's own
// format, in format order; numeric fields are JSON numbers; an absent (`-`)
// field is null; everything else is a string as written.
func (s *Snapshot) AppendJSON(dst []byte, sg *Seg, i int) []byte {
	f := s.Format(sg, i)
	dst = append(dst, '{')
	for col, fld := range f.Fields {
		if col > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, f.Names[col])
		dst = append(dst, ':')
		if fld == FieldUnknown {
			v := s.ExtraText(sg, i, f.Names[col])
			if v == "-" {
				dst = append(dst, "null"...)
			} else {
				dst = AppendJSONString(dst, v)
			}
			continue
		}
		if s.Absent(sg, i, fld) {
			dst = append(dst, "null"...)
			continue
		}
		if fld.Numeric() {
			dst = s.AppendText(dst, sg, i, fld)
			continue
		}
		mark := len(dst)
		dst = s.AppendText(dst, sg, i, fld)
		text := string(dst[mark:])
		dst = AppendJSONString(dst[:mark], text)
	}
	return append(dst, '}')
}

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; control characters (C0 and C1), the runes Sanitize would not
// print as they are (bidi overrides and other format characters, line and
// paragraph separators, non-graphic runes) and the HTML-sensitive <, >, &
// are written as \u escapes, so the JSON decodes to the same text while
// JSONL read on a terminal can neither move its cursor nor reorder a line.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else if !safeRune(r) {
			dst = appendJSONEscape(dst, r)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendJSONEscape appends r as a JSON \u escape, as a UTF-16 surrogate
// pair above the Basic Multilingual Plane.
func appendJSONEscape(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	u := func(dst []byte, c rune) []byte {
		return append(dst, '\\', 'u', hex[c>>12&15], hex[c>>8&15], hex[c>>4&15], hex[c&15])
	}
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return u(u(dst, r1), r2)
	}
	return u(dst, r)
}

// Columns returns the union of the columns of every format in the
// snapshot, in order of first appearance: the header of a CSV export that
// may mix formats.
func (s *Snapshot) Columns() []string {
	var cols []string
	seen := map[string]bool{}
	for _, f := range s.Formats {
		for _, n := range f.Names {
			if !seen[n] {
				seen[n] = true
				cols = append(cols, n)
			}
		}
	}
	if len(cols) == 0 {
		cols = append(cols, DefaultFormat.Names...)
	}
	return cols
}

// Cell returns column name of row i as text for CSV and tables: "" when
// the field is absent or not in the row's format.
func (s *Snapshot) Cell(sg *Seg, i int, name string) string {
	if f, ok := LookupField(name); ok {
		if s.Absent(sg, i, f) {
			return ""
		}
		return s.Text(sg, i, f)
	}
	v := s.ExtraText(sg, i, name)
	if v == "-" {
		return ""
	}
	return v
}

// AppendGroupJSON appends one group row as a JSON object: the key names
// with their values (null when absent; numeric keys as numbers), then one
// key per metric.
func AppendGroupJSON(dst []byte, q GroupQuery, row GroupRow) []byte {
	dst = append(dst, '{')
	for k, key := range q.Keys {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, key.Name)
		dst = append(dst, ':')
		kv := row.Key[k]
		switch {
		case kv.Absent:
			dst = append(dst, "null"...)
		case key.Bucket == 0 && key.Prefix == 0 && key.Field.Numeric():
			dst = strconv.AppendUint(dst, kv.Num, 10)
		default:
			dst = AppendJSONString(dst, kv.Text)
		}
	}
	for m, mt := range q.Metrics {
		dst = append(dst, ',')
		dst = AppendJSONString(dst, mt.Name)
		dst = append(dst, ':')
		dst = row.AppendValue(dst, q, m)
	}
	return append(dst, '}')
}

// AppendMetric appends a metric value: whole numbers without a fraction
// (a value past the largest uint64 as that maximum), ratios with up to
// four decimals. GroupRow.AppendValue gives integral metrics exactly.
func AppendMetric(dst []byte, m Metric, v float64) []byte {
	if m.Integral() {
		if v >= 0x1p64 {
			return strconv.AppendUint(dst, ^uint64(0), 10)
		}
		return strconv.AppendUint(dst, uint64(v), 10)
	}
	return strconv.AppendFloat(dst, v, 'f', 4, 64)
}

// GroupHeader returns the column names of a group-by result for CSV: the
// key names, then the metric names.
func GroupHeader(q GroupQuery) []string {
	head := make([]string, 0, len(q.Keys)+len(q.Metrics))
	for _, k := range q.Keys {
		head = append(head, k.Name)
	}
	for _, m := range q.Metrics {
		head = append(head, m.Name)
	}
	return head
}

// GroupCells returns one group row as CSV cells in GroupHeader's order:
// key texts ("" when absent), then metric values.
func GroupCells(q GroupQuery, row GroupRow) []string {
	cells := make([]string, 0, len(row.Key)+len(row.Vals))
	for _, kv := range row.Key {
		if kv.Absent {
			cells = append(cells, "")
		} else {
			cells = append(cells, kv.Text)
		}
	}
	for m := range q.Metrics {
		cells = append(cells, string(row.AppendValue(nil, q, m)))
	}
	return cells
}
