package detect

import "unsafe"

// The detections' memory is estimated, not measured: what their state
// holds in slices is counted from lengths and capacities, and each map
// entry and heap object at a typical size for its kind (Go does not say
// what one structure takes). The estimate is what the Findings view and
// the findings command report, and what Config.Memory (the detections'
// share of --max-memory) bounds.
const (
	mapEntry     = 48  // a map entry's share of its table, small key and value
	episodeBytes = 256 // an episode with its ID and a few members
	findingBytes = 512 // a finding: its texts and evidence
)

// size of a member set: its list, and its map beyond smallMembers.
func (s *members) size() int64 {
	n := int64(cap(s.list)) * 4
	if s.m != nil {
		n += int64(len(s.m)) * mapEntry / 2
	}
	return n
}

func (t *hbTable) size() int64 {
	n := int64(len(t.slots))*4 + int64(len(t.chunks))*int64(unsafe.Sizeof(cellChunk{})) +
		int64(cap(t.isDirty))*8 + int64(cap(t.dirty))*4 + int64(len(t.reps))*mapEntry +
		int64(cap(t.sets))*int64(unsafe.Sizeof(members{}))
	for i := range t.sets {
		n += t.sets[i].size()
	}
	return n
}

func (w *windowed) memory() int64 {
	var n int64
	for _, t := range w.tables {
		n += t.size()
	}
	n += int64(len(w.pool.free)) * int64(unsafe.Sizeof(cellChunk{}))
	for _, e := range w.eps {
		n += episodeBytes + e.mem.size()
	}
	return n + int64(len(w.byKey)+len(w.epHBs))*mapEntry
}

func (s *spike) memory() int64 {
	n := int64(len(s.seen))*8 + int64(len(s.cnt))*(mapEntry+int64(unsafe.Sizeof(bstat{}))) + int64(cap(s.dirty))*8
	for _, es := range s.eps {
		n += mapEntry + int64(len(es))*episodeBytes
	}
	return n
}

func (g *gaps) memory() int64 {
	var n int64
	for _, r := range g.runs {
		n += mapEntry + int64(len(r))*episodeBytes
	}
	return n
}
