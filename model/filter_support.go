package model

// Index returns the index that published the snapshot, or nil for a
// snapshot not made by Index.Publish. Readers may use it only as an
// identity: caches keyed by index (such as the filter's per-code match
// tables, which stay valid as long as the index's dictionaries only grow)
// need to know whether two snapshots share their dictionaries. The writer
// methods remain for the writer goroutine alone.
func (s *Snapshot) Index() *Index { return s.ix }
