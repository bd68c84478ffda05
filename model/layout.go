package model

import "fmt"

// The record's slots and the index's columns, per kind, all derived from
// the fieldInfo table: each kind's fields are numbered in schema order. The
// counts are constants because they size fixed arrays (Record.Num,
// Record.Str, a segment's columns); slotsOf checks them against the table,
// so a new row that changes a count fails at start-up, naming the constant.
const (
	numNumSlots  = 11 // KindUint fields: the size of Record.Num
	NumStrFields = 23 // KindString fields: the size of Record.Str
	numAddrSlots = 4  // KindAddr fields
	numEnumSlots = 4  // KindEnum fields
)

var (
	numSlot, numFields   = slotsOf(KindUint, numNumSlots, "numNumSlots")
	strSlot, strFields   = slotsOf(KindString, NumStrFields, "NumStrFields")
	addrSlot, addrFields = slotsOf(KindAddr, numAddrSlots, "numAddrSlots")
	enumSlot, enumFields = slotsOf(KindEnum, numEnumSlots, "numEnumSlots")

	// numWidth is the storage width in bytes of each KindUint slot.
	numWidth = func() (w [numNumSlots]uint8) {
		for k, f := range numFields {
			w[k] = fieldInfo[f].Width
			if w[k] != 1 && w[k] != 2 && w[k] != 4 {
				panic(fmt.Sprintf("model: field %s has width %d, want 1, 2 or 4", f, w[k]))
			}
		}
		return w
	}()

	// addrSet and enumSet are the fields of those kinds, as a set.
	addrSet = setOf(addrFields[:])
	enumSet = setOf(enumFields[:])
)

// slotsOf numbers the known fields of kind k in schema order: slot[f] is
// f's slot (-1 for fields of other kinds) and fields lists them by slot.
// It panics when their number is not want, the constant named name.
func slotsOf(k Kind, want int, name string) (slot [NumFields]int8, fields []Field) {
	slot[FieldUnknown] = -1
	for f := Field(1); f < NumFields; f++ {
		slot[f] = -1
		if fieldInfo[f].Kind == k {
			slot[f] = int8(len(fields))
			fields = append(fields, f)
		}
	}
	if len(fields) != want {
		panic(fmt.Sprintf("model: the field table has %d %s fields; set %s to %d", len(fields), k, name, len(fields)))
	}
	return slot, fields
}

func setOf(fs []Field) FieldSet {
	var s FieldSet
	for _, f := range fs {
		s = s.With(f)
	}
	return s
}
