package model

import (
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// SegmentRows is the number of rows in one index segment. Segments are the
// unit of eviction; a selection keeps one bitmap per segment.
const SegmentRows = 1 << 16

// segWords is the number of 64-bit words in a per-segment bitmap.
const segWords = SegmentRows / 64

// DefaultMaxMemory is the default index memory budget in bytes (1 GiB).
const DefaultMaxMemory = 1 << 30

// Escape values mark a number kept in a segment's overflow list.
const (
	esc16 = 1<<16 - 1
	esc32 = 1<<32 - 1
)

// Overflow is a value that did not fit its column's width; Row is the row
// within the segment. Overflow lists are sorted by Row.
type Overflow struct {
	Row   uint32
	Value uint64
}

// NumCol is one numeric column of a segment. Exactly one of U8, U16, U32 is
// used, by the field's width. Absent has a set bit for each absent row (nil:
// none absent). A stored value equal to the width's maximum is an escape:
// the real value is in Over. For end, U16 holds end-start.
type NumCol struct {
	U8     []uint8
	U16    []uint16
	U32    []uint32
	Absent []uint64
	Over   []Overflow
}

func (c *NumCol) allocated() bool { return c.U8 != nil || c.U16 != nil || c.U32 != nil }

// IsAbsent reports whether row i is absent.
func (c *NumCol) IsAbsent(i int) bool {
	return c.Absent != nil && c.Absent[i>>6]&(1<<(uint(i)&63)) != 0
}

func (c *NumCol) overflow(i int) uint64 {
	k := sort.Search(len(c.Over), func(j int) bool { return c.Over[j].Row >= uint32(i) })
	if k < len(c.Over) && c.Over[k].Row == uint32(i) {
		return c.Over[k].Value
	}
	return 0
}

// Run is a stretch of consecutive rows of a segment that came from
// consecutive lines of one object of one source, in one format.
type Run struct {
	Row    uint32 // first row within the segment
	Source uint16 // index into Snapshot.Sources
	Format uint16 // index into Snapshot.Formats
	Object uint32 // code in the object dictionary (Snapshot.Object)
	Line   int64  // line number of the first row (1-based, 0 if unknown)
	Offset int64  // byte offset of the first row's line in the object
}

// segCols holds the columns of one segment. The writer appends into the
// active segment's columns; a sealed segment's columns never change.
type segCols struct {
	num   [numNumSlots]NumCol
	enum  [numEnumSlots][]uint8
	addr  [numAddrSlots][]uint32
	str   [NumStrFields][]uint32
	extra [][]uint32 // by extra column id (Index.extraNames)
	runs  []Run
}

type segment struct {
	base   uint64 // global id of row 0
	n      int    // rows written
	cols   segCols
	sealed *Seg // read-only view once full
	bytes  int64
}

// Seg is a read-only view of one segment: its first N rows.
type Seg struct {
	Base uint64 // global row id of row 0
	N    int
	c    *segCols
}

// Num returns the numeric column of field f (nil if no row has it).
func (s *Seg) Num(f Field) *NumCol {
	if f.Kind() != KindUint {
		return nil
	}
	c := &s.c.num[numSlot[f]]
	if !c.allocated() {
		return nil
	}
	return c
}

// Enum returns the enum codes of field f (nil if no row has it; 0 = absent).
func (s *Seg) Enum(f Field) []uint8 {
	if k := enumSlot[f]; k >= 0 {
		return s.c.enum[k]
	}
	return nil
}

// Codes returns the dictionary codes of an address or string field (nil if
// no row has it; 0 = absent). Address codes index Snapshot.Addrs, string
// codes index Snapshot.Strings(f).
func (s *Seg) Codes(f Field) []uint32 {
	if k := addrSlot[f]; k >= 0 {
		return s.c.addr[k]
	}
	if k := strSlot[f]; k >= 0 {
		return s.c.str[k]
	}
	return nil
}

// ExtraCodes returns the codes of unknown field number id (see
// Snapshot.ExtraNames), nil if no row of the segment has it.
func (s *Seg) ExtraCodes(id int) []uint32 {
	if id < len(s.c.extra) {
		return s.c.extra[id]
	}
	return nil
}

// Runs returns the segment's provenance runs, sorted by Row.
func (s *Seg) Runs() []Run { return s.c.runs }

// Uint returns numeric field f of row i, and whether it is present.
func (s *Seg) Uint(f Field, i int) (uint64, bool) {
	c := s.Num(f)
	if c == nil || c.IsAbsent(i) {
		return 0, false
	}
	switch {
	case c.U8 != nil:
		return uint64(c.U8[i]), true
	case c.U16 != nil:
		v := c.U16[i]
		if f != FieldEnd {
			return uint64(v), true
		}
		if v == esc16 {
			return c.overflow(i), true
		}
		st, _ := s.Uint(FieldStart, i)
		return st + uint64(v), true
	default:
		v := c.U32[i]
		if v == esc32 && f != FieldStart {
			return c.overflow(i), true
		}
		return uint64(v), true
	}
}

// Run returns the provenance run holding row i.
func (s *Seg) Run(i int) Run {
	runs := s.c.runs
	k := sort.Search(len(runs), func(j int) bool { return runs[j].Row > uint32(i) }) - 1
	if k < 0 {
		return Run{}
	}
	return runs[k]
}

// SourceStats counts what one source delivered to the index.
type SourceStats struct {
	Name    string
	Records uint64
	Lines   uint64 // lines seen, including headers, blanks and bad lines
	Bytes   uint64
	Bad     [NumReasons]uint64
	Samples []ParseError // most recent bad lines, at most maxSamples
}

// BadTotal returns the number of bad lines.
func (s *SourceStats) BadTotal() uint64 {
	var n uint64
	for _, v := range s.Bad {
		n += v
	}
	return n
}

const maxSamples = 8

// Snapshot is an immutable view of the index at one generation: readers use
// only the rows it covers, while the writer goes on appending.
type Snapshot struct {
	Gen     uint64 // publication counter
	Segs    []*Seg // oldest first
	First   uint64 // global id of the first retained row
	End     uint64 // global id one past the last row
	Evicted uint64 // rows evicted so far
	Memory  int64  // bytes used by the index, dictionaries included
	Dict    int64  // bytes used by the dictionaries (never evicted)
	Budget  int64  // memory budget in bytes

	// Addrs is the address dictionary shared by every address field; code
	// 0 is the invalid Addr (absent).
	Addrs []netip.Addr
	strs  [NumStrFields][]string

	// ExtraNames lists the unknown field names seen, by id.
	ExtraNames []string
	extras     [][]string

	// Formats lists every format seen, by id (Run.Format).
	Formats []*Format
	// Objects lists the object names (file, key, stream), by code.
	Objects []string
	// Sources lists the sources seen, by id (Run.Source).
	Sources []SourceStats

	// MinStart and MaxStart bound the start times of all rows ever indexed
	// (Unix seconds, 0 when none).
	MinStart, MaxStart int64

	Time time.Time // when the snapshot was published

	ix *Index
}

// Rows returns the number of rows in the snapshot.
func (s *Snapshot) Rows() int { return int(s.End - s.First) }

// Strings returns the dictionary of string field f; code 0 is "" (absent).
func (s *Snapshot) Strings(f Field) []string {
	if k := strSlot[f]; k >= 0 {
		return s.strs[k]
	}
	return nil
}

// ExtraStrings returns the dictionary of unknown field number id.
func (s *Snapshot) ExtraStrings(id int) []string {
	if id < len(s.extras) {
		return s.extras[id]
	}
	return nil
}

// ExtraID returns the id of unknown field name, or -1.
func (s *Snapshot) ExtraID(name string) int {
	for i, n := range s.ExtraNames {
		if n == name {
			return i
		}
	}
	return -1
}

// Locate returns the segment holding global row id and the row within it.
func (s *Snapshot) Locate(row uint64) (*Seg, int, bool) {
	if row < s.First || row >= s.End {
		return nil, 0, false
	}
	k := sort.Search(len(s.Segs), func(j int) bool { return s.Segs[j].Base > row }) - 1
	if k < 0 {
		return nil, 0, false
	}
	sg := s.Segs[k]
	i := int(row - sg.Base)
	if i >= sg.N {
		return nil, 0, false
	}
	return sg, i, true
}

// Rollups returns per-bucket totals over [from, to) (Unix seconds, bucket
// a multiple of 60), from the per-minute rollups that survive eviction.
func (s *Snapshot) Rollups(from, to, bucket int64) []Bucket {
	return s.ix.rollups(from, to, bucket)
}

// Index is the live columnar store. One goroutine writes (Append, Ingest,
// Publish); any number read through Snapshot.
type Index struct {
	maxMemory int64

	segs   []*segment // writer's list, oldest first
	active *segment
	next   uint64 // global id of the next row

	addrDict addrDict
	strDicts [NumStrFields]strDict
	extraIDs map[string]int
	extras   []strDict
	objects  strDict
	formats  []*Format
	fmtIDs   map[*Format]uint16
	sources  []SourceStats
	srcIDs   map[string]uint16

	evicted    uint64
	evictBytes int64
	dictBytes  int64
	segBytes   int64

	minStart, maxStart int64

	rollMu sync.Mutex
	roll   map[int64]*[3]Rollup // minute (Unix seconds / 60) -> by action; published

	// writer-side rollups since the last Publish, merged into roll there
	pend     map[int64]*[3]Rollup
	pendMin  int64
	pendCell *[3]Rollup

	lastFmt   *Format
	lastFmtID uint16

	gen  uint64
	snap atomic.Pointer[Snapshot]

	// ingest state
	parsers   map[objKey]*objState
	defFormat *Format
	scratch   Record
}

// NewIndex returns an empty index whose memory is capped at maxMemory bytes
// (DefaultMaxMemory if <= 0).
func NewIndex(maxMemory int64) *Index {
	if maxMemory <= 0 {
		maxMemory = DefaultMaxMemory
	}
	ix := &Index{
		maxMemory: maxMemory,
		extraIDs:  map[string]int{},
		fmtIDs:    map[*Format]uint16{},
		srcIDs:    map[string]uint16{},
		roll:      map[int64]*[3]Rollup{},
		pend:      map[int64]*[3]Rollup{},
		parsers:   map[objKey]*objState{},
	}
	ix.addrDict.init()
	for i := range ix.strDicts {
		ix.strDicts[i].init()
	}
	ix.objects.init()
	ix.Publish()
	return ix
}

// Snapshot returns the latest published snapshot. It never blocks.
func (ix *Index) Snapshot() *Snapshot { return ix.snap.Load() }

// MaxMemory returns the memory budget in bytes.
func (ix *Index) MaxMemory() int64 { return ix.maxMemory }

// Source returns the id of the named source, registering it if new.
func (ix *Index) Source(name string) uint16 {
	if id, ok := ix.srcIDs[name]; ok {
		return id
	}
	id := uint16(len(ix.sources))
	ix.sources = append(ix.sources, SourceStats{Name: name})
	ix.srcIDs[name] = id
	return id
}

func (ix *Index) formatID(f *Format) uint16 {
	if id, ok := ix.fmtIDs[f]; ok {
		return id
	}
	for i, g := range ix.formats {
		if g.Equal(f) {
			ix.fmtIDs[f] = uint16(i)
			return uint16(i)
		}
	}
	id := uint16(len(ix.formats))
	ix.formats = append(ix.formats, f)
	ix.fmtIDs[f] = id
	return id
}

// Prov says where a record came from, for Append.
type Prov struct {
	Source uint16 // from Index.Source
	Object uint32 // from Index.Object
	Line   int64
	Offset int64
}

// Object returns the code of an object name (file, key or stream).
func (ix *Index) Object(name string) uint32 {
	return ix.objects.code(name, &ix.dictBytes)
}

// Append adds one record. Only the writer goroutine may call it. The record
// is copied; its byte slices may be reused afterwards.
func (ix *Index) Append(rec *Record, pv Prov) {
	s := ix.active
	if s == nil || s.n == SegmentRows {
		s = ix.newSegment()
	}
	i := s.n
	c := &s.cols

	// provenance
	fid := ix.lastFmtID
	if rec.Format != ix.lastFmt {
		fid = ix.formatID(rec.Format)
		ix.lastFmt, ix.lastFmtID = rec.Format, fid
	}
	if nr := len(c.runs); nr == 0 {
		c.runs = append(c.runs, Run{Row: uint32(i), Source: pv.Source, Format: fid, Object: pv.Object, Line: pv.Line, Offset: pv.Offset})
	} else {
		last := &c.runs[nr-1]
		if last.Source != pv.Source || last.Object != pv.Object || last.Format != fid ||
			(pv.Line != 0 && pv.Line != last.Line+int64(uint32(i)-last.Row)) {
			c.runs = append(c.runs, Run{Row: uint32(i), Source: pv.Source, Format: fid, Object: pv.Object, Line: pv.Line, Offset: pv.Offset})
		}
	}

	pres := rec.Present
	fset := rec.Format.Set

	// numeric columns: every allocated column gets a value or an absent bit
	for k := 0; k < numNumSlots; k++ {
		f := numFields[k]
		col := &c.num[k]
		has := pres.Has(f)
		if !col.allocated() {
			if !has && !fset.Has(f) {
				continue
			}
			ix.allocNum(s, k)
		}
		if !has {
			if col.Absent == nil {
				col.Absent = make([]uint64, segWords)
				s.bytes += segWords * 8
				ix.segBytes += segWords * 8
			}
			col.Absent[i>>6] |= 1 << (uint(i) & 63)
			if col.U16 != nil && f == FieldEnd {
				col.U16[i] = 0
			}
			continue
		}
		v := rec.Num[k]
		switch numWidth[k] {
		case 1:
			col.U8[i] = uint8(v)
		case 2:
			if f == FieldEnd {
				st := rec.Num[numSlot[FieldStart]]
				if pres.Has(FieldStart) && v >= st && v-st < esc16 {
					col.U16[i] = uint16(v - st)
				} else {
					col.U16[i] = esc16
					col.Over = append(col.Over, Overflow{uint32(i), v})
				}
			} else {
				col.U16[i] = uint16(v)
			}
		case 4:
			if v >= esc32 && f != FieldStart {
				col.U32[i] = esc32
				col.Over = append(col.Over, Overflow{uint32(i), v})
			} else {
				col.U32[i] = uint32(v)
			}
		}
	}

	// enums: code 0 is absent, so only present values are written
	if pres&enumSet != 0 {
		for k, f := range enumFields {
			if pres.Has(f) {
				ix.enumCol(s, k)[i] = rec.Enums[k]
			}
		}
	}

	// addresses
	if pres&addrSet != 0 {
		for k, f := range addrFields {
			if pres.Has(f) {
				ix.codeCol(s, &c.addr[k])[i] = ix.addrDict.code(rec.Addrs[k], &ix.dictBytes)
			}
		}
	}

	// strings: only the format's own string fields can be present
	for _, k := range rec.Format.strSlots {
		if pres.Has(strFields[k]) {
			ix.codeCol(s, &c.str[k])[i] = ix.strDicts[k].codeBytes(rec.Str[k], &ix.dictBytes)
		}
	}

	// unknown fields
	for j, col := range rec.Format.Extra {
		tok := rec.Extra[j]
		if len(tok) == 1 && tok[0] == '-' {
			continue
		}
		id := ix.extraID(rec.Format.Names[col])
		for len(c.extra) <= id {
			c.extra = append(c.extra, nil)
		}
		ix.codeCol(s, &c.extra[id])[i] = ix.extras[id].codeBytes(tok, &ix.dictBytes)
	}

	// rollups and time range
	if pres.Has(FieldStart) {
		st := int64(rec.Num[numSlot[FieldStart]])
		if ix.minStart == 0 || st < ix.minStart {
			ix.minStart = st
		}
		if st > ix.maxStart {
			ix.maxStart = st
		}
		ix.rollup(st, rec)
	}

	s.n++
	ix.next++
}

func (ix *Index) extraID(name string) int {
	if id, ok := ix.extraIDs[name]; ok {
		return id
	}
	id := len(ix.extras)
	ix.extraIDs[name] = id
	var d strDict
	d.init()
	ix.extras = append(ix.extras, d)
	return id
}

func (ix *Index) allocNum(s *segment, k int) {
	col := &s.cols.num[k]
	w := int64(numWidth[k])
	switch w {
	case 1:
		col.U8 = make([]uint8, SegmentRows)
	case 2:
		col.U16 = make([]uint16, SegmentRows)
	case 4:
		col.U32 = make([]uint32, SegmentRows)
	}
	s.bytes += w * SegmentRows
	ix.segBytes += w * SegmentRows
	if s.n > 0 { // rows before the column existed are absent
		col.Absent = make([]uint64, segWords)
		s.bytes += segWords * 8
		ix.segBytes += segWords * 8
		for r := 0; r < s.n; r++ {
			col.Absent[r>>6] |= 1 << (uint(r) & 63)
		}
	}
}

func (ix *Index) enumCol(s *segment, k int) []uint8 {
	if s.cols.enum[k] == nil {
		s.cols.enum[k] = make([]uint8, SegmentRows)
		s.bytes += SegmentRows
		ix.segBytes += SegmentRows
	}
	return s.cols.enum[k]
}

func (ix *Index) codeCol(s *segment, p *[]uint32) []uint32 {
	if *p == nil {
		*p = make([]uint32, SegmentRows)
		s.bytes += 4 * SegmentRows
		ix.segBytes += 4 * SegmentRows
	}
	return *p
}

func (ix *Index) newSegment() *segment {
	if ix.active != nil {
		ix.seal(ix.active)
	}
	s := &segment{base: ix.next}
	ix.segs = append(ix.segs, s)
	ix.active = s
	ix.evict()
	return s
}

func (ix *Index) seal(s *segment) {
	s.sealed = &Seg{Base: s.base, N: s.n, c: &s.cols}
}

// evict drops the oldest sealed segments while the index is over budget.
// Rollups are kept, so time charts stay right.
func (ix *Index) evict() {
	for len(ix.segs) > 1 && ix.segBytes+ix.dictBytes > ix.maxMemory {
		old := ix.segs[0]
		ix.segs[0] = nil
		ix.segs = ix.segs[1:]
		ix.segBytes -= old.bytes
		ix.evicted += uint64(old.n)
		ix.evictBytes += old.bytes
	}
}

// Publish makes everything appended so far visible to readers and returns
// the new snapshot. Only the writer goroutine may call it.
func (ix *Index) Publish() *Snapshot {
	ix.evict()
	ix.mergeRollups()
	ix.gen++
	s := &Snapshot{
		Gen:      ix.gen,
		End:      ix.next,
		First:    ix.next,
		Evicted:  ix.evicted,
		Memory:   ix.segBytes + ix.dictBytes,
		Dict:     ix.dictBytes,
		Budget:   ix.maxMemory,
		Addrs:    ix.addrDict.vals,
		Formats:  ix.formats[:len(ix.formats):len(ix.formats)],
		Objects:  ix.objects.vals,
		MinStart: ix.minStart,
		MaxStart: ix.maxStart,
		Time:     time.Now(),
		ix:       ix,
	}
	for k := range ix.strDicts {
		s.strs[k] = ix.strDicts[k].vals
	}
	s.ExtraNames = make([]string, len(ix.extras))
	s.extras = make([][]string, len(ix.extras))
	for name, id := range ix.extraIDs {
		s.ExtraNames[id] = name
		s.extras[id] = ix.extras[id].vals
	}
	s.Sources = make([]SourceStats, len(ix.sources))
	for i, src := range ix.sources {
		s.Sources[i] = src
		s.Sources[i].Samples = append([]ParseError(nil), src.Samples...)
	}
	s.Segs = make([]*Seg, 0, len(ix.segs))
	for _, sg := range ix.segs {
		if sg.n == 0 {
			continue
		}
		if sg.sealed != nil {
			s.Segs = append(s.Segs, sg.sealed)
			continue
		}
		s.Segs = append(s.Segs, &Seg{Base: sg.base, N: sg.n, c: sg.cols.view(sg.n)})
	}
	if len(s.Segs) > 0 {
		s.First = s.Segs[0].Base
	}
	ix.snap.Store(s)
	return s
}

// view copies the active segment's column headers for a reader. Bitmap
// words are copied because the writer keeps setting bits in the last one;
// everything else is only ever written past row n.
func (c *segCols) view(n int) *segCols {
	v := *c
	words := (n + 63) >> 6
	for k := range v.num {
		if a := v.num[k].Absent; a != nil {
			v.num[k].Absent = append([]uint64(nil), a[:words]...)
		}
		v.num[k].Over = v.num[k].Over[:len(v.num[k].Over):len(v.num[k].Over)]
	}
	v.extra = append([][]uint32(nil), c.extra...)
	v.runs = c.runs[:len(c.runs):len(c.runs)]
	return &v
}

// addrDict interns addresses. IPv4 goes through an open-addressing table
// of uint32 keys (one cache line per lookup), IPv6 through a map.
type addrDict struct {
	vals []netip.Addr
	t4   u32table
	// hot is a small direct-mapped cache in front of t4 (key<<32 | code):
	// it stays in L1/L2 while t4 of a busy estate does not.
	hot  [1 << 12]uint64
	m6   map[netip.Addr]uint32
	last netip.Addr
	lc   uint32
}

func (d *addrDict) init() {
	d.vals = []netip.Addr{{}}
	d.t4.init(1 << 10)
	d.m6 = map[netip.Addr]uint32{}
}

func (d *addrDict) code(a netip.Addr, bytes *int64) uint32 {
	if a == d.last && d.lc != 0 {
		return d.lc
	}
	var c uint32
	if a.Is4() {
		b := a.As4()
		k := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		h := (k * 0x9E3779B1) >> (32 - 12)
		if e := d.hot[h]; uint32(e>>32) == k && uint32(e) != 0 {
			d.last, d.lc = a, uint32(e)
			return uint32(e)
		}
		c = d.t4.get(k)
		if c == 0 {
			c = uint32(len(d.vals))
			d.vals = append(d.vals, a)
			before := len(d.t4.slots)
			d.t4.put(k, c)
			*bytes += 24 + int64(len(d.t4.slots)-before)*8 + 16
		}
		d.hot[h] = uint64(k)<<32 | uint64(c)
	} else {
		var ok bool
		if c, ok = d.m6[a]; !ok {
			c = uint32(len(d.vals))
			d.vals = append(d.vals, a)
			d.m6[a] = c
			*bytes += 24 + 48
		}
	}
	d.last, d.lc = a, c
	return c
}

// u32table maps uint32 keys to non-zero uint32 values with linear probing.
// A slot holds key<<32 | value; 0 is empty (values are never 0).
type u32table struct {
	slots []uint64
	n     int
	shift uint
}

func (t *u32table) init(size int) {
	t.slots = make([]uint64, size)
	t.n = 0
	t.shift = uint(64 - bitsLen(size-1))
}

func bitsLen(x int) int {
	n := 0
	for x > 0 {
		n++
		x >>= 1
	}
	return n
}

func (t *u32table) get(k uint32) uint32 {
	mask := len(t.slots) - 1
	for i := int((uint64(k) * 0x9E3779B97F4A7C15) >> t.shift); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == k {
			return uint32(s)
		}
	}
}

func (t *u32table) put(k, v uint32) {
	if (t.n+1)*2 > len(t.slots) {
		old := t.slots
		t.init(len(old) * 2)
		for _, s := range old {
			if s != 0 {
				t.put(uint32(s>>32), uint32(s))
			}
		}
	}
	mask := len(t.slots) - 1
	i := int((uint64(k) * 0x9E3779B97F4A7C15) >> t.shift)
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = uint64(k)<<32 | uint64(v)
	t.n++
}

// strDict interns strings; code 0 is "" (absent).
type strDict struct {
	vals []string
	m    map[string]uint32
	last string
	lc   uint32
}

func (d *strDict) init() {
	d.vals = []string{""}
	d.m = map[string]uint32{}
}

func (d *strDict) codeBytes(b []byte, bytes *int64) uint32 {
	if d.lc != 0 && string(b) == d.last {
		return d.lc
	}
	c, ok := d.m[string(b)]
	if !ok {
		s := string(b)
		c = uint32(len(d.vals))
		d.vals = append(d.vals, s)
		d.m[s] = c
		*bytes += int64(len(s))*2 + 48
	}
	d.last, d.lc = d.vals[c], c
	return c
}

func (d *strDict) code(s string, bytes *int64) uint32 {
	c, ok := d.m[s]
	if !ok {
		c = uint32(len(d.vals))
		d.vals = append(d.vals, s)
		d.m[s] = c
		*bytes += int64(len(s))*2 + 48
	}
	return c
}
