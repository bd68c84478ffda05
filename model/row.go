package model

import (
	"strconv"
	"unsafe"
)

// Format returns the format row i of sg was parsed with.
func (s *Snapshot) Format(sg *Seg, i int) *Format {
	r := sg.Run(i)
	if int(r.Format) < len(s.Formats) {
		return s.Formats[r.Format]
	}
	return DefaultFormat
}

// Provenance says where a row came from.
type Provenance struct {
	Source string // source name
	Object string // file, key or stream ("" if the source itself)
	Line   int64  // 1-based line number within the object (0 if unknown)
	Offset int64  // byte offset of the run's first line; exact for Line == run start
}

// Provenance returns where row i of sg came from.
func (s *Snapshot) Provenance(sg *Seg, i int) Provenance {
	r := sg.Run(i)
	p := Provenance{Offset: r.Offset}
	if int(r.Source) < len(s.Sources) {
		p.Source = s.Sources[r.Source].Name
	}
	if int(r.Object) < len(s.Objects) {
		p.Object = s.Objects[r.Object]
	}
	if r.Line > 0 {
		p.Line = r.Line + int64(i-int(r.Row))
	}
	return p
}

// Absent reports whether known field f of row i is absent.
func (s *Snapshot) Absent(sg *Seg, i int, f Field) bool {
	switch f.Kind() {
	case KindUint:
		_, ok := sg.Uint(f, i)
		return !ok
	case KindEnum:
		e := sg.Enum(f)
		return e == nil || e[i] == 0
	default:
		c := sg.Codes(f)
		return c == nil || c[i] == 0
	}
}

// AppendText appends known field f of row i as written in a log line ("-"
// when absent).
func (s *Snapshot) AppendText(dst []byte, sg *Seg, i int, f Field) []byte {
	switch f.Kind() {
	case KindUint:
		v, ok := sg.Uint(f, i)
		if !ok {
			return append(dst, '-')
		}
		return strconv.AppendUint(dst, v, 10)
	case KindEnum:
		e := sg.Enum(f)
		if e == nil || e[i] == 0 {
			return append(dst, '-')
		}
		return append(dst, EnumString(f, e[i])...)
	case KindAddr:
		c := sg.Codes(f)
		if c == nil || c[i] == 0 {
			return append(dst, '-')
		}
		return s.Addrs[c[i]].AppendTo(dst)
	default:
		c := sg.Codes(f)
		if c == nil || c[i] == 0 {
			return append(dst, '-')
		}
		return append(dst, s.Strings(f)[c[i]]...)
	}
}

// Text returns known field f of row i as written in a log line.
func (s *Snapshot) Text(sg *Seg, i int, f Field) string {
	return string(s.AppendText(nil, sg, i, f))
}

// ExtraText returns unknown field name of row i ("-" when absent).
func (s *Snapshot) ExtraText(sg *Seg, i int, name string) string {
	id := s.ExtraID(name)
	if id < 0 {
		return "-"
	}
	c := sg.ExtraCodes(id)
	if c == nil || c[i] == 0 {
		return "-"
	}
	return s.ExtraStrings(id)[c[i]]
}

// AppendColumn appends column col of the row's own format as text.
func (s *Snapshot) AppendColumn(dst []byte, sg *Seg, i int, f *Format, col int) []byte {
	if fld := f.Fields[col]; fld != FieldUnknown {
		return s.AppendText(dst, sg, i, fld)
	}
	return append(dst, s.ExtraText(sg, i, f.Names[col])...)
}

// AppendLine appends row i as a log line in its own format (no newline).
func (s *Snapshot) AppendLine(dst []byte, sg *Seg, i int) []byte {
	f := s.Format(sg, i)
	for col := range f.Fields {
		if col > 0 {
			dst = append(dst, ' ')
		}
		dst = s.AppendColumn(dst, sg, i, f, col)
	}
	return dst
}

// Record materialises row i into rec. String fields point into the
// snapshot's dictionaries and must not be modified.
func (s *Snapshot) Record(sg *Seg, i int, rec *Record) {
	f := s.Format(sg, i)
	*rec = Record{Format: f}
	for _, fld := range f.Fields {
		if fld == FieldUnknown {
			continue
		}
		switch fld.Kind() {
		case KindUint:
			v, ok := sg.Uint(fld, i)
			if !ok {
				continue
			}
			rec.Num[numSlot[fld]] = v
		case KindEnum:
			e := sg.Enum(fld)
			if e == nil || e[i] == 0 {
				continue
			}
			rec.Enums[enumSlot[fld]] = e[i]
		case KindAddr:
			c := sg.Codes(fld)
			if c == nil || c[i] == 0 {
				continue
			}
			rec.Addrs[addrSlot[fld]] = s.Addrs[c[i]]
		default:
			c := sg.Codes(fld)
			if c == nil || c[i] == 0 {
				continue
			}
			str := s.Strings(fld)[c[i]]
			rec.Str[strSlot[fld]] = unsafe.Slice(unsafe.StringData(str), len(str))
		}
		rec.Present |= 1 << fld
	}
	if len(f.Extra) > 0 {
		rec.Extra = make([][]byte, len(f.Extra))
		for j, col := range f.Extra {
			rec.Extra[j] = []byte(s.ExtraText(sg, i, f.Names[col]))
		}
	}
}
