package tui

import (
	"testing"

	"github.com/flowlens/flowlens/model"
)

// TestRefresher: one run at a time, new data paced, a changed question
// drops the result in flight.
func TestRefresher(t *testing.T) {
	var r refresher
	if ok, _ := r.request(viewGroups); !ok {
		t.Fatal("the first request does not run")
	}
	gen := r.gen
	if ok, cmd := r.request(viewGroups); ok || cmd != nil {
		t.Fatal("a second run started while one is in flight")
	}
	if cur, again := r.done(gen); !cur || !again {
		t.Fatalf("done = %v, %v; want current, again", cur, again)
	}
	ok, cmd := r.request(viewGroups)
	if ok || cmd == nil {
		t.Fatal("a request right after a run is not paced by a tick")
	}
	if ok, cmd := r.request(viewGroups); ok || cmd != nil {
		t.Fatal("a second tick was asked for")
	}
	r.change()
	if ok, _ := r.request(viewGroups); !ok {
		t.Fatal("a new question does not run at once")
	}
	if cur, _ := r.done(gen); cur {
		t.Error("a result for the old question counted as current")
	}
	if r.tick() {
		t.Error("the old pacing's tick asked for a run while the new one is in flight")
	}
}

// TestAnalysisWaitsForNewFilter: while a new filter's first selection is
// on its way, the environment still holds the old filter's rows; no run
// starts over them (its answer would be taken as the new question's), the
// answer on screen turns stale, and the selection's arrival starts the run.
func TestAnalysisWaitsForNewFilter(t *testing.T) {
	snap := &model.Snapshot{}
	old := &model.Selection{Count: 10}
	e := &env{snap: snap, sel: old, selSnap: snap, expr: ""}
	a := analysis{to: viewGroups, visible: true}
	if ok, _ := a.due(e, false); !ok {
		t.Fatal("the first question does not run")
	}
	gen := a.ref.gen
	if cur, _ := a.done(gen, old, e); !cur {
		t.Fatal("the first answer is not current")
	}

	e.expr, e.pending = "action = REJECT", true // applied; its selection not yet there
	if ok, _ := a.due(e, true); ok {
		t.Fatal("a run started over the old filter's rows while the new filter's were on their way")
	}
	if !a.stale {
		t.Error("the answer on screen is not marked stale under the new filter")
	}
	if a.ref.gen == gen {
		t.Error("the new filter did not start a new question")
	}

	e.sel, e.pending = &model.Selection{Count: 3}, false // the selection lands
	if ok, _ := a.due(e, true); !ok {
		t.Fatal("the new filter's selection did not start the run")
	}
	if a.runSel != e.sel {
		t.Error("the run is not over the new filter's selection")
	}
}
