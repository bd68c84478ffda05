package model

// u64map maps uint64 keys to uint32 values with linear probing: keys and
// values in parallel arrays, a value of 0 marking an empty slot (stored
// values are id+1). It beats the built-in map on the big, short-lived
// tables of a group-by: one probe sequence, no per-entry overhead.
type u64map struct {
	keys  []uint64
	vals  []uint32
	n     int
	shift uint
}

func newU64map(hint int) *u64map {
	m := &u64map{}
	size := 1024
	for size < hint*2 {
		size *= 2
	}
	m.alloc(size)
	return m
}

func (m *u64map) alloc(size int) {
	m.keys = make([]uint64, size)
	m.vals = make([]uint32, size)
	m.shift = uint(64 - bitsLen(size-1))
	m.n = 0
}

// reset empties the map, keeping its size.
func (m *u64map) reset() {
	clear(m.vals)
	m.n = 0
}

func hash64(k uint64) uint64 {
	k ^= k >> 33
	return k * 0x9E3779B97F4A7C15
}

// getOrPut returns the value of k, or stores v for it and reports false.
func (m *u64map) getOrPut(k uint64, v uint32) (uint32, bool) {
	if (m.n+1)*2 > len(m.keys) {
		m.grow()
	}
	mask := len(m.keys) - 1
	for i := int(hash64(k) >> m.shift); ; i = (i + 1) & mask {
		s := m.vals[i]
		if s == 0 {
			m.keys[i], m.vals[i] = k, v+1
			m.n++
			return v, false
		}
		if m.keys[i] == k {
			return s - 1, true
		}
	}
}

func (m *u64map) grow() {
	keys, vals := m.keys, m.vals
	m.alloc(len(keys) * 4)
	mask := len(m.keys) - 1
	for j, s := range vals {
		if s == 0 {
			continue
		}
		i := int(hash64(keys[j]) >> m.shift)
		for m.vals[i] != 0 {
			i = (i + 1) & mask
		}
		m.keys[i], m.vals[i] = keys[j], s
		m.n++
	}
}

// u64set is a set of uint64 keys with linear probing; it stores key+1 so
// that 0 marks an empty slot (the key ^uint64(0) is not supported).
type u64set struct {
	slots []uint64
	n     int
	shift uint
}

func newU64set() *u64set {
	s := &u64set{}
	s.alloc(1024)
	return s
}

func (s *u64set) alloc(size int) {
	s.slots = make([]uint64, size)
	s.shift = uint(64 - bitsLen(size-1))
	s.n = 0
}

// add inserts k and reports whether it was new.
func (s *u64set) add(k uint64) bool {
	if (s.n+1)*2 > len(s.slots) {
		old := s.slots
		s.alloc(len(old) * 2)
		for _, v := range old {
			if v != 0 {
				s.add(v - 1)
			}
		}
	}
	k++
	mask := len(s.slots) - 1
	for i := int(hash64(k) >> s.shift); ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			s.slots[i] = k
			s.n++
			return true
		}
		if v == k {
			return false
		}
	}
}

// each calls fn for every key.
func (s *u64set) each(fn func(k uint64)) {
	for _, v := range s.slots {
		if v != 0 {
			fn(v - 1)
		}
	}
}
