package tui

import (
	"testing"

	"github.com/flowlens/flowlens/filter"
)

func TestQueryDropsStaleResults(t *testing.T) {
	snap := testSnapshot(t)
	var q query
	fa := filter.MustCompile("action = ACCEPT")
	q.set("action = ACCEPT", fa, nil, nil)
	cmd := q.snapshot(snap)
	if cmd == nil || !q.running {
		t.Fatal("first snapshot started no evaluation")
	}
	old := cmd().(evalMsg)
	fr := filter.MustCompile("action = REJECT")
	next := q.set("action = REJECT", fr, nil, nil)
	if next == nil {
		t.Fatal("a new filter started no evaluation")
	}
	if _, current := q.result(old); current {
		t.Fatal("a result for the previous filter was taken")
	}
	res := next().(evalMsg)
	if _, current := q.result(res); !current || q.sel.Count != 1 {
		t.Fatalf("current result not taken: current=%v count=%d", current, q.sel.Count)
	}
	if q.snapshot(snap) != nil {
		t.Fatal("the same snapshot was evaluated twice")
	}
}
