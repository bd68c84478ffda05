package filter

import "github.com/flowlens/flowlens/model"

// Fields returns the fields the filter reads, with model.FieldUnknown in
// the set when it reads unknown (${name}) fields. A streaming scan keeps
// only these (and what its question groups and sums).
func (f *Filter) Fields() model.FieldSet {
	var s model.FieldSet
	for _, l := range f.leaves {
		switch {
		case l.kind == lSource:
		case l.kind == lCode && l.dict == dExtra:
			s = s.With(model.FieldUnknown)
		case l.kind == lEnd:
			s = s.With(model.FieldEnd).With(model.FieldStart) // end is kept as a delta from start
		default:
			s = s.With(l.field)
		}
	}
	return s
}

// Clone returns a copy of the filter with caches of its own: one per
// goroutine that evaluates it over snapshots of its own index (a streaming
// scan's workers), so that their dictionaries do not evict each other's
// code tables.
func (f *Filter) Clone() *Filter {
	return compileNodeNames(f.root, f.now, f.names)
}

// Selector returns a new clone as a model.Selector, for
// model.ScanQuery.Filter.
func (f *Filter) Selector() model.Selector { return f.Clone() }
