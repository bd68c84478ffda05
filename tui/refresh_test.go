package tui

import (
	"testing"
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
