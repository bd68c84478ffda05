package main

import (
	"bufio"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// scanQueries turns streaming scans on; the tests turn them off to
// compare their answers with the index's.
var scanQueries = true

// newScan returns a streaming scan for a one-shot question that prints no
// records (groups, totals, distinct counts, time buckets), or nil when the
// question needs the index: records are printed from it, and --follow
// refreshes its answer as rows arrive. A scan parses, filters and groups
// the records on every core as they stream past and keeps no rows, so its
// answer covers every record read whatever the input's size, with no
// eviction. It checks the fields the question reads and each line's shape
// (field count, no control bytes); strict (--strict) checks every field,
// so that exactly the lines the index would refuse count as bad.
func newScan(ix *model.Index, f *filter.Filter, grp *grouping, follow, strict bool) (*model.Scan, error) {
	if follow || grp == nil || !scanQueries {
		return nil, nil
	}
	q := *grp
	if len(q.Keys) == 0 {
		q = totalsQuery(q)
	}
	sq := model.ScanQuery{Group: q, FilterFields: f.Fields(), CheckAll: strict}
	if !f.Empty() {
		sq.Filter = f.Selector
	}
	s, err := model.NewScan(ix, sq)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return s, nil
}

// scanPipeline returns the pipeline the Mux feeds for scan (nil: the
// index's own).
func scanPipeline(s *model.Scan) *model.Pipeline {
	if s == nil {
		return nil
	}
	return s.Pipeline()
}

// printScan writes a scan's answer as printGroups writes the index's.
// The scan's pipeline must be closed (the Mux is done).
func printScan(w *bufio.Writer, out string, s *model.Scan, q grouping) error {
	res, err := s.Result()
	if err != nil {
		return usagef("%v", err)
	}
	if len(q.Keys) == 0 {
		return writeTotals(w, out, q, res)
	}
	return writeGroups(w, out, res, false, time.Time{})
}
