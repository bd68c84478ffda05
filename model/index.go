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

// DefaultMaxMemory is the default --max-memory in bytes (1 GiB): the
// process's bound, shared out by NewBudget; an index made with
// NewIndex(0) takes it whole.
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
	wt    *segWeights // rows standing for many records (see Scan); nil for records
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
	// Formats says what format inference made of the source's objects
	// that had no header line and no --log-format (at most a few
	// outcomes, each with how many objects it concerned).
	Formats []FormatNote
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

	// EvictedMax is the latest start or end time (Unix seconds) of any
	// evicted row, 0 when none was evicted: a time range that begins
	// after it lost nothing to eviction.
	EvictedMax int64

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
	extras   []*strDict
	objects  strDict
	formats  []*Format
	fmtIDs   map[*Format]uint16
	sources  []SourceStats
	srcIDs   map[string]uint16

	evicted    uint64
	evictedMax int64 // see Snapshot.EvictedMax
	hold       holdState
	evictBytes int64
	dictBytes  int64
	segBytes   int64

	minStart, maxStart int64

	rollMu sync.Mutex
	roll   map[int64]*[3]Rollup // minute (Unix seconds / 60) -> by action; published

	// writer-side rollups since the last Publish, merged into roll there
	pend map[int64]*[3]Rollup

	lastFmt   *Format
	lastFmtID uint16

	gen  uint64
	snap atomic.Pointer[Snapshot]

	// weighted marks an index of partial groups (see Scan).
	weighted bool

	// ingest state
	seq       *Pipeline // Ingest's pipeline, without workers
	defFormat *Format
	one       *chunk // Append's one-row chunk
	oneRV     *resolver
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
// is copied; its byte slices may be reused afterwards. Batches go through a
// Pipeline (or Ingest) instead, which does the same for many records at
// once and spreads the work over every core.
func (ix *Index) Append(rec *Record, pv Prov) {
	if ix.one == nil {
		ix.one = &chunk{}
		ix.oneRV = &resolver{ix: ix}
	}
	c := ix.one
	c.reset()
	c.add(rec, pv.Line, pv.Offset, ix.oneRV)
	ix.commitChunk(c, pv.Source, pv.Object)
}

func (ix *Index) extraID(name string) int {
	if id, ok := ix.extraIDs[name]; ok {
		return id
	}
	id := len(ix.extras)
	ix.extraIDs[name] = id
	d := &strDict{}
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
	if ix.weighted {
		s.cols.wt = &segWeights{}
	}
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
	for len(ix.segs) > 1 && ix.segBytes+ix.dictBytes > ix.maxMemory && ix.evictable(ix.segs[0].base+uint64(ix.segs[0].n)) {
		old := ix.segs[0]
		ix.segs[0] = nil
		ix.segs = ix.segs[1:]
		ix.segBytes -= old.bytes
		ix.evicted += uint64(old.n)
		ix.evictedSpan(&Seg{Base: old.base, N: old.n, c: &old.cols})
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
	s.EvictedMax = ix.evictedMax
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
		s.Sources[i].Formats = append([]FormatNote(nil), src.Formats...)
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
