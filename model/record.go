package model

import (
	"net/netip"
	"strconv"
)

// Action is the record's ACCEPT/REJECT verdict. The zero value, ActionAbsent,
// means the field was `-` or not in the format.
type Action uint8

// Action values.
const (
	ActionAbsent Action = iota
	ActionAccept
	ActionReject
)

// String returns the AWS spelling, or "-" when absent.
func (a Action) String() string {
	switch a {
	case ActionAccept:
		return "ACCEPT"
	case ActionReject:
		return "REJECT"
	}
	return "-"
}

// LogStatus is the record's log-status. The zero value means absent.
type LogStatus uint8

// LogStatus values.
const (
	StatusAbsent LogStatus = iota
	StatusOK
	StatusNoData
	StatusSkipData
)

// String returns the AWS spelling, or "-" when absent.
func (s LogStatus) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusNoData:
		return "NODATA"
	case StatusSkipData:
		return "SKIPDATA"
	}
	return "-"
}

// Direction is the record's flow-direction. The zero value means absent.
type Direction uint8

// Direction values.
const (
	DirAbsent Direction = iota
	DirIngress
	DirEgress
)

// String returns the AWS spelling, or "-" when absent.
func (d Direction) String() string {
	switch d {
	case DirIngress:
		return "ingress"
	case DirEgress:
		return "egress"
	}
	return "-"
}

// TrafficType is the record's type field. The zero value means absent.
type TrafficType uint8

// TrafficType values.
const (
	TypeAbsent TrafficType = iota
	TypeIPv4
	TypeIPv6
	TypeEFA
)

// String returns the AWS spelling, or "-" when absent.
func (t TrafficType) String() string {
	switch t {
	case TypeIPv4:
		return "IPv4"
	case TypeIPv6:
		return "IPv6"
	case TypeEFA:
		return "EFA"
	}
	return "-"
}

// EnumValues lists the non-absent spellings of an enum field, in code order
// starting at code 1. It returns nil for fields that are not KindEnum.
// The caller must not modify the returned slice.
func EnumValues(f Field) []string { return f.Info().Values }

var (
	actionValues    = []string{"ACCEPT", "REJECT"}
	statusValues    = []string{"OK", "NODATA", "SKIPDATA"}
	directionValues = []string{"ingress", "egress"}
	typeValues      = []string{"IPv4", "IPv6", "EFA"}
)

// EnumString returns the spelling of code c of enum field f ("-" for 0).
func EnumString(f Field, c uint8) string {
	vals := EnumValues(f)
	if c == 0 || int(c) > len(vals) {
		return "-"
	}
	return vals[c-1]
}

// Record is one parsed flow-log line as a fixed-width value.
//
// A field is present when it is in the record's format and its token was not
// `-`; Present says which. An absent field holds its zero value, but zero is
// never how absence is recognised: always check Present (or the typed enum's
// Absent value). Str and Extra are views into the parsed line and into the
// parser's scratch space: they are valid until the parser's next call. Use
// Clone to keep a record.
type Record struct {
	Present FieldSet

	Num   [numNumSlots]uint64      // KindUint fields by slot; start/end in Unix seconds
	Addrs [numAddrSlots]netip.Addr // KindAddr fields by slot
	Enums [numEnumSlots]uint8      // KindEnum codes by slot (see EnumValues)
	Str   [NumStrFields][]byte     // KindString fields by slot

	// Extra holds the unknown fields' tokens in the order of Format.Extra;
	// a `-` token is kept as "-".
	Extra [][]byte

	// Format is the format the record was parsed with.
	Format *Format
}

// Action returns the record's action (ActionAbsent when absent).
func (r *Record) Action() Action { return Action(r.Enums[enumSlot[FieldAction]]) }

// LogStatus returns the record's log-status (StatusAbsent when absent).
func (r *Record) LogStatus() LogStatus { return LogStatus(r.Enums[enumSlot[FieldLogStatus]]) }

// Direction returns the record's flow-direction (DirAbsent when absent).
func (r *Record) Direction() Direction { return Direction(r.Enums[enumSlot[FieldFlowDirection]]) }

// Type returns the record's traffic type (TypeAbsent when absent).
func (r *Record) Type() TrafficType { return TrafficType(r.Enums[enumSlot[FieldType]]) }

// Has reports whether field f is present (in the format and not `-`).
func (r *Record) Has(f Field) bool { return r.Present.Has(f) }

// Uint returns a KindUint field's value, and whether it is present.
func (r *Record) Uint(f Field) (uint64, bool) {
	if f.Kind() != KindUint {
		return 0, false
	}
	return r.Num[numSlot[f]], r.Present.Has(f)
}

// Addr returns a KindAddr field's value, and whether it is present.
func (r *Record) Addr(f Field) (netip.Addr, bool) {
	k := addrSlot[f]
	if k < 0 {
		return netip.Addr{}, false
	}
	return r.Addrs[k], r.Present.Has(f)
}

// Enum returns a KindEnum field's code (0 = absent).
func (r *Record) Enum(f Field) uint8 {
	if k := enumSlot[f]; k >= 0 {
		return r.Enums[k]
	}
	return 0
}

// Bytes returns a KindString field's raw token (nil when absent).
func (r *Record) Bytes(f Field) []byte {
	if s := strSlot[f]; s >= 0 && r.Present.Has(f) {
		return r.Str[s]
	}
	return nil
}

// Text returns any known field as it would be written in a log line: "-" when
// absent, numbers in base 10, addresses in canonical form.
func (r *Record) Text(f Field) string {
	if !r.Present.Has(f) {
		return "-"
	}
	switch f.Kind() {
	case KindUint:
		v, _ := r.Uint(f)
		return strconv.FormatUint(v, 10)
	case KindAddr:
		a, _ := r.Addr(f)
		return a.String()
	case KindEnum:
		return EnumString(f, r.Enum(f))
	}
	return string(r.Bytes(f))
}

// Clone returns a copy of r whose byte slices no longer alias the parser.
func (r *Record) Clone() Record {
	c := *r
	for i, b := range r.Str {
		if b != nil {
			c.Str[i] = append([]byte(nil), b...)
		}
	}
	if r.Extra != nil {
		c.Extra = make([][]byte, len(r.Extra))
		for i, b := range r.Extra {
			c.Extra[i] = append([]byte(nil), b...)
		}
	}
	return c
}
