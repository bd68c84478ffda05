package detect

// key identifies what a windowed detection counts by: two 64-bit words
// packed from address codes, ports and protocol (see windowed.keyOf).
type key struct{ a, b uint64 }

func (k key) hash() uint64 {
	h := k.a*0x9E3779B97F4A7C15 ^ (k.b+0x632BE59BD9B4E019)*0xC2B2AE3D27D4EB4F
	return h ^ h>>31
}

// members is a set of uint32 (ports or address codes), kept in the order
// they came (so what a cell gained since it last reported is a suffix,
// see hbTable.eachMemberSince), with a map to look them up beyond a few.
type members struct {
	list []uint32
	m    map[uint32]struct{}
}

const smallMembers = 16

func (s *members) add(v uint32) {
	if s.has(v) {
		return
	}
	s.list = append(s.list, v)
	if s.m != nil {
		s.m[v] = struct{}{}
	} else if len(s.list) > smallMembers {
		s.m = make(map[uint32]struct{}, 2*len(s.list))
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
	}
}

func (s *members) has(v uint32) bool {
	if s.m != nil {
		_, ok := s.m[v]
		return ok
	}
	for _, x := range s.list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *members) len() int { return len(s.list) }

func (s *members) each(fn func(uint32)) {
	for _, v := range s.list {
		fn(v)
	}
}

// cell is what one key did in one half-window. Cells are many (one per
// key and half-window) and every record counted reads and writes one, so
// a cell is one 64-byte cache line (chunks are page-aligned): times are
// uint32 seconds, rows are tracked by segment (eviction drops whole
// segments), the key's second word (at most 24 bits: a port and a
// protocol) shares a word with the flags, and a single member is kept
// inline (larger sets live in the table).
type cell struct {
	a       uint64    // key.a
	bytes   [2]uint64 // by direction (unidirectional, blocked-internal); else [0]
	flows   [2]uint32
	rejects uint32
	first   uint32 // earliest start (Unix seconds)
	last    uint32 // latest end
	minSeg  uint32 // segments (global row >> 16) of the oldest and newest record
	maxSeg  uint32
	ep      int32  // episode id + 1, 0 while not part of one
	kb      uint32 // key.b in the low kbBits, and the flags above them
	mem     uint32 // the only member (flagOne), or index + 1 into hbTable.sets (flagSet)
}

const (
	kbBits  = 24 // key.b holds a port and a protocol at most
	kbMask  = 1<<kbBits - 1
	flagOne = 1 << 30 // mem is the only member
	flagSet = 1 << 29 // mem is a set's index + 1
)

// key returns the cell's key.
func (c *cell) key() key { return key{c.a, uint64(c.kb & kbMask)} }

// is reports whether the cell is k's.
func (c *cell) is(k key) bool { return c.a == k.a && uint64(c.kb&kbMask) == k.b }

// contrib is what a cell has already added to its episode.
type contrib struct {
	flows   [2]uint32
	bytes   [2]uint64
	rejects uint32
	mem     int
}

const segShift = 16 // log2(model.SegmentRows): rows of one segment share row >> segShift

// hbTable holds the cells of one half-window: an open-addressing index of
// keys into a slice of cells.
type hbTable struct {
	hb      int64
	slots   []int32 // cell index + 1; 0 is empty
	chunks  []*cellChunk
	n       int32 // cells in use
	sets    []members
	reps    map[int32]contrib // for cells that are part of an episode
	dirty   []int32           // cells written since the last settle
	isDirty []uint64          // a bit per cell: in dirty (kept off the cells so settle need not visit them)
	touched uint64            // rows processed by the detector when last written
	bound   [2]uint64         // an upper bound of any cell's window metric (by direction), to skip hopeless windows
}

// Cells live in fixed chunks: a growing table never copies them, a
// pointer to a cell stays valid, and a dropped table's chunks are reused.
const chunkBits = 10

type cellChunk [1 << chunkBits]cell

// newHBTable returns an empty table for half-window hb with room for
// about hint cells before it grows: half-windows of one detection hold
// similar numbers of keys, and growing a large table rehashes it several
// times over.
func newHBTable(hb int64, hint int32) *hbTable {
	n := 1024
	for int32(n) < 2*(hint+hint/4) && n < 1<<30 {
		n *= 2
	}
	return &hbTable{hb: hb, slots: make([]int32, n), reps: map[int32]contrib{}}
}

// markDirty marks cell ci dirty, and reports whether it was not yet.
func (t *hbTable) markDirty(ci int32) bool {
	w := int(ci >> 6)
	for w >= len(t.isDirty) {
		t.isDirty = append(t.isDirty, 0)
	}
	bit := uint64(1) << (ci & 63)
	if t.isDirty[w]&bit != 0 {
		return false
	}
	t.isDirty[w] |= bit
	return true
}

func (t *hbTable) clearDirty(ci int32) { t.isDirty[ci>>6] &^= 1 << (ci & 63) }

// at returns cell ci.
func (t *hbTable) at(ci int32) *cell { return &t.chunks[ci>>chunkBits][ci&(1<<chunkBits-1)] }

// chunkPool keeps the chunks of dropped tables for new ones.
type chunkPool struct{ free []*cellChunk }

func (p *chunkPool) get() *cellChunk {
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c
	}
	return new(cellChunk)
}

// release returns t's chunks to the pool; t must not be used afterwards.
func (p *chunkPool) release(t *hbTable) {
	p.free = append(p.free, t.chunks...)
	t.chunks = nil
}

// find returns the index of k's cell (h is k.hash()), or -1.
func (t *hbTable) find(k key, h uint64) int32 {
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if t.at(s - 1).is(k) {
			return s - 1
		}
	}
}

// get returns the index of k's cell (h is k.hash()), adding an empty one
// (chunks come from pool).
func (t *hbTable) get(k key, h uint64, pool *chunkPool) int32 {
	if (t.n+1)*2 > int32(len(t.slots)) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			ci := t.n
			if int(ci>>chunkBits) == len(t.chunks) {
				t.chunks = append(t.chunks, pool.get())
			}
			*t.at(ci) = cell{a: k.a, kb: uint32(k.b), first: 1<<32 - 1, minSeg: 1<<32 - 1}
			t.n++
			t.slots[i] = ci + 1
			return ci
		}
		if t.at(s - 1).is(k) {
			return s - 1
		}
	}
}

func (t *hbTable) grow() {
	t.slots = make([]int32, len(t.slots)*2)
	mask := len(t.slots) - 1
	for ci := int32(0); ci < t.n; ci++ {
		i := int(t.at(ci).key().hash()) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(ci + 1)
	}
}

// addMember adds v to c's members.
func (t *hbTable) addMember(c *cell, v uint32) {
	switch {
	case c.kb&flagSet != 0:
		t.sets[c.mem-1].add(v)
	case c.kb&flagOne == 0:
		c.mem = v
		c.kb |= flagOne
	case c.mem != v:
		t.sets = append(t.sets, members{})
		s := &t.sets[len(t.sets)-1]
		s.add(c.mem)
		s.add(v)
		c.mem = uint32(len(t.sets))
		c.kb = c.kb&^flagOne | flagSet
	}
}

// memberLen is the number of c's members.
func (t *hbTable) memberLen(c *cell) int {
	switch {
	case c.kb&flagSet != 0:
		return t.sets[c.mem-1].len()
	case c.kb&flagOne != 0:
		return 1
	}
	return 0
}

// eachMember calls fn for every member of c.
func (t *hbTable) eachMember(c *cell, fn func(uint32)) { t.eachMemberSince(c, 0, fn) }

// eachMemberSince calls fn for every member of c after its first n (the
// members it had when it last reported to its episode).
func (t *hbTable) eachMemberSince(c *cell, n int, fn func(uint32)) {
	switch {
	case c.kb&flagSet != 0:
		for _, v := range t.sets[c.mem-1].list[n:] {
			fn(v)
		}
	case c.kb&flagOne != 0 && n == 0:
		fn(c.mem)
	}
}

// hasMember reports whether v is one of c's members.
func (t *hbTable) hasMember(c *cell, v uint32) bool {
	switch {
	case c.kb&flagSet != 0:
		return t.sets[c.mem-1].has(v)
	case c.kb&flagOne != 0:
		return c.mem == v
	}
	return false
}
