package model

import (
	"math/bits"
	"net/netip"
)

// chunk holds parsed rows in the index's column layout. A parse worker
// fills it from one piece of a batch, giving addresses and strings their
// dictionary codes through the dictionaries' concurrent read side; the
// committer then gives codes to what the worker could not find (values new
// to the index, kept in pending) and copies the columns into segments. So
// the index's single writer does little more than copy memory, and the
// work per record runs on every core. Buffers are kept from job to job.
type chunk struct {
	n, cap int

	// used: the fields of the formats of the chunk's rows: numeric
	// columns exist for them. present: the fields some row has a value
	// for: enum, address and string columns exist for them.
	used, present FieldSet
	usedNum       []int8 // the numeric slots in use
	// skip: fields whose columns are not kept (FieldUnknown: unknown
	// fields), for a streaming scan that reads only a few.
	skip FieldSet

	num  [numNumSlots]numBuf
	enum [numEnumSlots][]uint8
	addr [numAddrSlots][]uint32
	str  [NumStrFields][]uint32

	offs    []int64 // each row's byte offset in its object
	runs    []chunkRun
	lastFmt *Format
	line    int64 // the line number of the last row

	pending []pendingCode
	extras  []extraTok
	arena   []byte // bytes of pending strings and extra tokens

	roll     []rollCell
	rollHot  [64]int32 // minute&63 -> index+1 into roll
	rollMore map[int64]int32
	minStart int64 // 0 when no row has start
	maxStart int64
}

// numBuf is one numeric column of a chunk, in the segment's width. For end
// it holds the delta from start.
type numBuf struct {
	u8      []uint8
	u16     []uint16
	u32     []uint32
	absent  []uint64 // a bit per absent row
	nAbsent int
	over    []Overflow // Row within the chunk, ascending
}

// chunkRun starts a run of rows with one format and consecutive lines.
type chunkRun struct {
	row    int
	format *Format
	line   int64
}

// pendingCode is a value the worker did not find in a dictionary; the
// committer gives it a code and writes it at row of the column.
type pendingCode struct {
	row  int32
	slot int8 // address slot, or string slot when str
	str  bool
	addr netip.Addr
	off  uint32 // str: bytes in arena
	n    uint32
}

// extraTok is an unknown field's token (never `-`); the committer codes
// it through the field's own dictionary.
type extraTok struct {
	row  int32
	name string
	off  uint32 // bytes in arena
	n    uint32
}

// rollCell is the chunk's part of one minute's rollups.
type rollCell struct {
	minute int64
	by     [3]Rollup
}

const chunkMinRows = 1 << 10

// reset empties the chunk, keeping its buffers.
func (c *chunk) reset() {
	c.n = 0
	c.used, c.present, c.usedNum = 0, 0, c.usedNum[:0]
	c.offs, c.runs, c.lastFmt, c.line = c.offs[:0], c.runs[:0], nil, 0
	c.pending, c.extras, c.arena = c.pending[:0], c.extras[:0], c.arena[:0]
	c.roll = c.roll[:0]
	c.rollHot = [64]int32{}
	clear(c.rollMore)
	c.minStart, c.maxStart = 0, 0
}

// grow doubles the chunk's row capacity, keeping the rows it has.
func (c *chunk) grow() {
	c.cap = max(2*c.cap, chunkMinRows)
	for k := range c.num {
		b := &c.num[k]
		b.u8 = growTo(b.u8, c.cap)
		b.u16 = growTo(b.u16, c.cap)
		b.u32 = growTo(b.u32, c.cap)
		b.absent = growTo(b.absent, c.cap/64)
	}
	for k := range c.enum {
		c.enum[k] = growTo(c.enum[k], c.cap)
	}
	for k := range c.addr {
		c.addr[k] = growTo(c.addr[k], c.cap)
	}
	for k := range c.str {
		c.str[k] = growTo(c.str[k], c.cap)
	}
}

// growTo returns s with length n and its contents kept; nil stays nil.
func growTo[T any](s []T, n int) []T {
	if s == nil || len(s) >= n {
		return s
	}
	g := make([]T, n)
	copy(g, s)
	return g
}

// useFormat makes the numeric columns of f's fields exist; rows before
// the column existed are absent from it.
func (c *chunk) useFormat(f *Format) {
	add := f.Set &^ c.skip &^ c.used
	c.used |= add
	for k, fld := range numFields {
		if !add.Has(fld) {
			continue
		}
		b := &c.num[k]
		switch numWidth[k] {
		case 1:
			b.u8 = fresh(b.u8, c.cap)
		case 2:
			b.u16 = fresh(b.u16, c.cap)
		default:
			b.u32 = fresh(b.u32, c.cap)
		}
		b.absent = fresh(b.absent, c.cap/64)
		b.nAbsent, b.over = 0, b.over[:0]
		for r := 0; r < c.n; r++ {
			b.absent[r>>6] |= 1 << (uint(r) & 63)
			b.nAbsent++
		}
		c.usedNum = append(c.usedNum, int8(k))
	}
}

// fresh returns a zeroed buffer of n elements, reusing s when it is big
// enough.
func fresh[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// column makes the enum, address or string column of fld exist (zeroed:
// code 0 is absent) and returns it.
func column[T uint8 | uint32](c *chunk, col *[]T, fld Field) []T {
	if !c.present.Has(fld) {
		*col = fresh(*col, c.cap)
		c.present = c.present.With(fld)
	}
	return *col
}

// add appends one record, parsed from the line numbered line at byte
// offset off of its object. rv looks up dictionary codes; values it does
// not find are left pending for the committer.
func (c *chunk) add(rec *Record, line, off int64, rv *resolver) {
	if c.n == c.cap {
		c.grow()
	}
	f := rec.Format
	if f != c.lastFmt || line != c.line+1 || c.n == 0 {
		if f != c.lastFmt {
			c.useFormat(f)
			c.lastFmt = f
		}
		c.runs = append(c.runs, chunkRun{row: c.n, format: f, line: line})
	}
	c.line = line
	i := c.n
	pres := rec.Present &^ c.skip

	for _, k := range c.usedNum {
		b := &c.num[k]
		fld := numFields[k]
		if !pres.Has(fld) {
			b.absent[i>>6] |= 1 << (uint(i) & 63)
			b.nAbsent++
			continue
		}
		v := rec.Num[k]
		switch numWidth[k] {
		case 1:
			b.u8[i] = uint8(v)
		case 2:
			if fld != FieldEnd {
				b.u16[i] = uint16(v)
			} else if st := rec.Num[numSlot[FieldStart]]; pres.Has(FieldStart) && v >= st && v-st < esc16 {
				b.u16[i] = uint16(v - st)
			} else {
				b.u16[i] = esc16
				b.over = append(b.over, Overflow{uint32(i), v})
			}
		default:
			if v >= esc32 && fld != FieldStart {
				b.u32[i] = esc32
				b.over = append(b.over, Overflow{uint32(i), v})
			} else {
				b.u32[i] = uint32(v)
			}
		}
	}

	if pres&enumSet != 0 {
		for k, fld := range enumFields {
			if pres.Has(fld) {
				column(c, &c.enum[k], fld)[i] = rec.Enums[k]
			}
		}
	}
	if pres&addrSet != 0 {
		for k, fld := range addrFields {
			if !pres.Has(fld) {
				continue
			}
			a := rec.Addrs[k]
			code := rv.addr(a)
			if code == 0 {
				c.pending = append(c.pending, pendingCode{row: int32(i), slot: int8(k), addr: a})
			}
			column(c, &c.addr[k], fld)[i] = code
		}
	}
	for _, k := range f.strSlots {
		fld := strFields[k]
		if !pres.Has(fld) {
			continue
		}
		b := rec.Str[k]
		code := rv.str(k, b)
		if code == 0 {
			c.pending = append(c.pending, pendingCode{row: int32(i), slot: k, str: true, off: uint32(len(c.arena)), n: uint32(len(b))})
			c.arena = append(c.arena, b...)
		}
		column(c, &c.str[k], fld)[i] = code
	}
	for j, col := range f.Extra {
		tok := rec.Extra[j]
		if len(tok) == 1 && tok[0] == '-' || c.skip.Has(FieldUnknown) {
			continue
		}
		c.extras = append(c.extras, extraTok{row: int32(i), name: f.Names[col], off: uint32(len(c.arena)), n: uint32(len(tok))})
		c.arena = append(c.arena, tok...)
	}

	if pres.Has(FieldStart) {
		st := int64(rec.Num[numSlot[FieldStart]])
		if c.minStart == 0 || st < c.minStart {
			c.minStart = st
		}
		if st > c.maxStart {
			c.maxStart = st
		}
		c.cell(st / 60).by[rec.Action()].addRow(rec.Num[numSlot[FieldPackets]], rec.Num[numSlot[FieldBytes]])
	}
	c.offs = append(c.offs, off)
	c.n++
}

// cell returns the chunk's rollup cell of minute m.
func (c *chunk) cell(m int64) *rollCell {
	h := &c.rollHot[m&63]
	if *h > 0 && c.roll[*h-1].minute == m {
		return &c.roll[*h-1]
	}
	if c.rollMore == nil {
		c.rollMore = map[int64]int32{}
	}
	k, ok := c.rollMore[m]
	if !ok {
		c.roll = append(c.roll, rollCell{minute: m})
		k = int32(len(c.roll))
		c.rollMore[m] = k
	}
	*h = k
	return &c.roll[k-1]
}

// resolver looks up dictionary codes for one parse worker: through small
// caches of its own first (codes never change, so they never go stale),
// then through the dictionaries' concurrent read side.
type resolver struct {
	ix       *Index
	hot      [1 << 14]uint64 // IPv4 key<<32 | code, direct-mapped
	lastStr  [NumStrFields]string
	lastCode [NumStrFields]uint32
}

func (r *resolver) addr(a netip.Addr) uint32 {
	if !a.Is4() {
		return r.ix.addrDict.find(a)
	}
	k := ipv4Key(a)
	h := (k * 0x9E3779B1) >> 18
	if e := r.hot[h]; uint32(e>>32) == k && uint32(e) != 0 {
		return uint32(e)
	}
	c := r.ix.addrDict.t4.Load().get(k)
	if c != 0 {
		r.hot[h] = uint64(k)<<32 | uint64(c)
	}
	return c
}

func (r *resolver) str(k int8, b []byte) uint32 {
	if c := r.lastCode[k]; c != 0 && string(b) == r.lastStr[k] {
		return c
	}
	c, s := r.ix.strDicts[k].find(b)
	if c != 0 {
		r.lastStr[k], r.lastCode[k] = s, c
	}
	return c
}

// commitChunk gives the chunk's pending values their codes and copies its
// rows into segments, opening new ones as they fill. src and obj are the
// rows' source id and object code. Writer only.
func (ix *Index) commitChunk(c *chunk, src uint16, obj uint32) {
	if len(c.pending) > 0 {
		var strs uint32 // string slots that got values
		addrs := false
		for _, p := range c.pending {
			if p.str {
				c.str[p.slot][p.row] = ix.strDicts[p.slot].codeBytes(c.arena[p.off:p.off+p.n], &ix.dictBytes)
				strs |= 1 << p.slot
			} else {
				c.addr[p.slot][p.row] = ix.addrDict.code(p.addr, &ix.dictBytes)
				addrs = true
			}
		}
		if addrs {
			ix.addrDict.publish()
		}
		for ; strs != 0; strs &= strs - 1 {
			ix.strDicts[bits.TrailingZeros32(strs)].publish()
		}
	}
	cur := copyCursor{}
	for from := 0; from < c.n; {
		s := ix.active
		if s == nil || s.n == SegmentRows {
			s = ix.newSegment()
		}
		m := min(c.n-from, SegmentRows-s.n)
		ix.copyRows(s, c, from, m, src, obj, &cur)
		s.n += m
		ix.next += uint64(m)
		from += m
	}
	for i := range c.roll {
		ix.addRollup(c.roll[i].minute, &c.roll[i].by)
	}
	if c.minStart != 0 && (ix.minStart == 0 || c.minStart < ix.minStart) {
		ix.minStart = c.minStart
	}
	ix.maxStart = max(ix.maxStart, c.maxStart)
}

// copyCursor remembers how far the sorted per-row lists of a chunk have
// been copied, as its rows go out in order.
type copyCursor struct {
	over   [numNumSlots]int
	extras int
}

// copyRows copies rows [from, from+m) of c to the segment from its row
// s.n on. Every numeric column the segment has gets a value or an absent
// bit, as rows before a column existed are absent from it.
func (ix *Index) copyRows(s *segment, c *chunk, from, m int, src uint16, obj uint32, cur *copyCursor) {
	at := s.n
	cols := &s.cols
	to := from + m

	for ri := range c.runs {
		r := &c.runs[ri]
		end := c.n
		if ri+1 < len(c.runs) {
			end = c.runs[ri+1].row
		}
		if end <= from || r.row >= to {
			continue
		}
		row0 := max(r.row, from)
		ix.addRun(s, at+row0-from, src, obj, r.format, r.line+int64(row0-r.row), c.offs[row0])
	}

	for k := range numFields {
		col := &cols.num[k]
		b := &c.num[k]
		inChunk := c.used.Has(numFields[k])
		if !col.allocated() {
			if !inChunk {
				continue
			}
			ix.allocNum(s, k)
		}
		if !inChunk {
			for r := at; r < at+m; r++ {
				ix.setAbsent(s, col, r)
			}
			continue
		}
		switch numWidth[k] {
		case 1:
			copy(col.U8[at:at+m], b.u8[from:to])
		case 2:
			copy(col.U16[at:at+m], b.u16[from:to])
		default:
			copy(col.U32[at:at+m], b.u32[from:to])
		}
		if b.nAbsent > 0 {
			for w := from >> 6; w <= (to-1)>>6; w++ {
				word := b.absent[w]
				for word != 0 {
					r := w<<6 + bits.TrailingZeros64(word)
					word &= word - 1
					if r >= from && r < to {
						ix.setAbsent(s, col, at+r-from)
					}
				}
			}
		}
		for o := &cur.over[k]; *o < len(b.over) && int(b.over[*o].Row) < to; *o++ {
			col.Over = append(col.Over, Overflow{uint32(at + int(b.over[*o].Row) - from), b.over[*o].Value})
		}
	}

	if c.present&enumSet != 0 {
		for k, fld := range enumFields {
			if c.present.Has(fld) {
				copy(ix.enumCol(s, k)[at:at+m], c.enum[k][from:to])
			}
		}
	}
	if c.present&addrSet != 0 {
		for k, fld := range addrFields {
			if c.present.Has(fld) {
				copy(ix.codeCol(s, &cols.addr[k])[at:at+m], c.addr[k][from:to])
			}
		}
	}
	for k, fld := range strFields {
		if c.present.Has(fld) {
			copy(ix.codeCol(s, &cols.str[k])[at:at+m], c.str[k][from:to])
		}
	}
	for ; cur.extras < len(c.extras) && int(c.extras[cur.extras].row) < to; cur.extras++ {
		e := &c.extras[cur.extras]
		id := ix.extraID(e.name)
		for len(cols.extra) <= id {
			cols.extra = append(cols.extra, nil)
		}
		ix.codeCol(s, &cols.extra[id])[at+int(e.row)-from] = ix.extras[id].codeBytes(c.arena[e.off:e.off+e.n], &ix.dictBytes)
	}
}

// setAbsent marks row r of a segment's numeric column absent.
func (ix *Index) setAbsent(s *segment, col *NumCol, r int) {
	if col.Absent == nil {
		col.Absent = make([]uint64, segWords)
		s.bytes += segWords * 8
		ix.segBytes += segWords * 8
	}
	col.Absent[r>>6] |= 1 << (uint(r) & 63)
}

// addRun starts a provenance run at row of the segment, unless the row
// continues the segment's last run (same source, object and format, the
// next line; a line of 0, unknown, continues any run).
func (ix *Index) addRun(s *segment, row int, src uint16, obj uint32, f *Format, line, off int64) {
	fid := ix.lastFmtID
	if f != ix.lastFmt {
		fid = ix.formatID(f)
		ix.lastFmt, ix.lastFmtID = f, fid
	}
	runs := s.cols.runs
	if nr := len(runs); nr > 0 {
		last := &runs[nr-1]
		if last.Source == src && last.Object == obj && last.Format == fid &&
			(line == 0 || line == last.Line+int64(uint32(row)-last.Row)) {
			return
		}
	}
	s.cols.runs = append(runs, Run{Row: uint32(row), Source: src, Format: fid, Object: obj, Line: line, Offset: off})
}
