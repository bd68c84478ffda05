package model

// evictedSpan widens the time span of the evicted rows by those of seg: the
// largest start or end of any of its rows (Unix seconds). A query whose
// time range begins after this instant cannot have lost a matching row to
// eviction, so its answer over the retained rows is exact. Writer only;
// it costs one pass over a segment's start and end columns per eviction.
func (ix *Index) evictedSpan(s *Seg) {
	for _, f := range [2]Field{FieldStart, FieldEnd} {
		if s.Num(f) == nil {
			continue
		}
		for i := 0; i < s.N; i++ {
			if v, ok := s.Uint(f, i); ok && int64(v) > ix.evictedMax {
				ix.evictedMax = int64(v)
			}
		}
	}
}
