package model

import (
	"errors"
	"fmt"
)

// Budget is how --max-memory, the bound of the whole process, is shared
// out: the one place that turns it into the index's cap, the room for
// analysis scratch space, the detections' state and Go's memory limit.
// The three together stay well under the bound; what is left holds what
// the heap keeps beside them (ingest buffers, snapshots, selections,
// results) and the collector's slack, and the memory limit sits under the
// bound by what Go does not count (the binary's pages, thread stacks).
type Budget struct {
	Max     int64 // the bound: the process's resident memory stays under it
	Index   int64 // the index's cap: the oldest segments are evicted beyond it
	Scratch int64 // scratch space of one analysis (group-by, sort) at a time
	Detect  int64 // the live detections' state (model/detect: Config.Memory)
	Limit   int64 // Go's memory limit (runtime/debug.SetMemoryLimit)
}

// Shares of the bound (in percent) and what the memory limit leaves to
// what Go does not count.
const (
	indexShare   = 55
	scratchShare = 15
	detectShare  = 10
	limitShare   = 90
	limitSlack   = 24 << 20
)

// NewBudget shares bound bytes (DefaultMaxMemory if <= 0) out.
func NewBudget(bound int64) Budget {
	if bound <= 0 {
		bound = DefaultMaxMemory
	}
	return Budget{
		Max:     bound,
		Index:   bound / 100 * indexShare,
		Scratch: bound / 100 * scratchShare,
		Detect:  bound / 100 * detectShare,
		Limit:   max(bound/100*limitShare-limitSlack, bound/2),
	}
}

// ScratchError is a group-by refused because its scratch space would
// pass the budget: Need bytes for Rows rows, Max allowed. PerRow and
// Fixed estimate the space for fewer rows (Fixed + PerRow*n), so a caller
// may answer for as many of the newest rows as fit instead.
type ScratchError struct {
	Need, Max     int64
	Rows          int
	PerRow, Fixed int64
}

// ErrScratch is what a ScratchError is (errors.Is).
var ErrScratch = errors.New("not enough memory for the scratch space")

func (e *ScratchError) Error() string {
	return fmt.Sprintf("grouping %s rows needs about %s of scratch space, more than the %s --max-memory leaves for it",
		HumanCount(uint64(e.Rows)), HumanBytes(uint64(e.Need)), HumanBytes(uint64(e.Max)))
}

// Is makes errors.Is(err, ErrScratch) true.
func (e *ScratchError) Is(target error) bool { return target == ErrScratch }

// Fit returns how many rows the budget has room for (0: none).
func (e *ScratchError) Fit() int {
	if e.PerRow <= 0 || e.Max <= e.Fixed {
		return 0
	}
	return int((e.Max - e.Fixed) / e.PerRow)
}
