package detect

import (
	"math/bits"

	"github.com/flowlens/flowlens/model"
)

// cols holds the columns of one segment that detections read, looked up
// once per segment so the per-row work is plain slice indexing. A nil
// slice means no row of the segment has the field.
type cols struct {
	sg     *model.Seg
	src    []uint32
	dst    []uint32
	sport  *model.NumCol
	dport  *model.NumCol
	proto  *model.NumCol
	bytes  *model.NumCol
	start  *model.NumCol
	end    *model.NumCol
	action []uint8
	status []uint8
	iface  []uint32
}

func (c *cols) reset(sg *model.Seg) {
	*c = cols{
		sg:     sg,
		src:    sg.Codes(model.FieldSrcAddr),
		dst:    sg.Codes(model.FieldDstAddr),
		sport:  sg.Num(model.FieldSrcPort),
		dport:  sg.Num(model.FieldDstPort),
		proto:  sg.Num(model.FieldProtocol),
		bytes:  sg.Num(model.FieldBytes),
		start:  sg.Num(model.FieldStart),
		end:    sg.Num(model.FieldEnd),
		action: sg.Enum(model.FieldAction),
		status: sg.Enum(model.FieldLogStatus),
		iface:  sg.Codes(model.FieldInterfaceID),
	}
}

func code(c []uint32, i int) uint32 {
	if c == nil {
		return 0
	}
	return c[i]
}

func (c *cols) port16(n *model.NumCol, i int) uint16 {
	if n == nil || n.U16 == nil || n.IsAbsent(i) {
		return 0
	}
	return n.U16[i]
}

func (c *cols) srcPort(i int) uint16 { return c.port16(c.sport, i) }
func (c *cols) dstPort(i int) uint16 { return c.port16(c.dport, i) }

func (c *cols) protocol(i int) uint8 {
	if c.proto == nil || c.proto.U8 == nil || c.proto.IsAbsent(i) {
		return 0
	}
	return c.proto.U8[i]
}

// byteCount reads bytes, through the overflow list for the rare big value.
func (c *cols) byteCount(i int) uint64 {
	if c.bytes == nil || c.bytes.U32 == nil || c.bytes.IsAbsent(i) {
		return 0
	}
	if v := c.bytes.U32[i]; v != 1<<32-1 {
		return uint64(v)
	}
	v, _ := c.sg.Uint(model.FieldBytes, i)
	return v
}

// startTime is the start of row i (Unix seconds, 0 when absent).
func (c *cols) startTime(i int) int64 {
	if c.start == nil || c.start.U32 == nil || c.start.IsAbsent(i) {
		return 0
	}
	return int64(c.start.U32[i])
}

// endTime is the end of row i, or its start when absent. The index keeps
// end as a 16-bit delta from start; the rare escape goes the long way.
func (c *cols) endTime(i int) int64 {
	if c.end != nil && c.end.U16 != nil && !c.end.IsAbsent(i) && c.start != nil && !c.start.IsAbsent(i) {
		if d := c.end.U16[i]; d != 1<<16-1 {
			return int64(c.start.U32[i]) + int64(d)
		}
	}
	if v, ok := c.sg.Uint(model.FieldEnd, i); ok {
		return int64(v)
	}
	return c.startTime(i)
}

func (c *cols) act(i int) model.Action {
	if c.action == nil {
		return model.ActionAbsent
	}
	return model.Action(c.action[i])
}

func (c *cols) logStatus(i int) model.LogStatus {
	if c.status == nil {
		return model.StatusAbsent
	}
	return model.LogStatus(c.status[i])
}

// newRows calls fn for every row of sel at or after global row from.
func newRows(sel *model.Selection, from uint64, fn func(c *cols, i int)) {
	for k := range sel.Segs {
		segRows(&sel.Segs[k], from, fn)
	}
}

// segRows calls fn for every selected row of ss at or after global row
// from.
func segRows(ss *model.SegSel, from uint64, fn func(c *cols, i int)) {
	sg := ss.Seg
	if sg.Base+uint64(sg.N) <= from {
		return
	}
	var c cols
	c.reset(sg)
	lo := 0
	if from > sg.Base {
		lo = int(from - sg.Base)
	}
	if ss.Bits == nil {
		for i := lo; i < sg.N; i++ {
			fn(&c, i)
		}
		return
	}
	for w := lo >> 6; w < (sg.N+63)>>6; w++ {
		word := ss.Bits[w]
		if w == lo>>6 {
			word &^= 1<<(uint(lo)&63) - 1
		}
		for word != 0 {
			t := bits.TrailingZeros64(word)
			i := w<<6 | t
			if i >= sg.N {
				break
			}
			fn(&c, i)
			word &= word - 1
		}
	}
}
