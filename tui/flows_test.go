package tui

import (
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func TestRankMatchesNth(t *testing.T) {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "g", Data: model.NewSynth(34).Append(nil, 150_000)})
	snap := ix.Publish()
	for _, expr := range []string{"", "action = REJECT", "dstport = 22 and action = REJECT", "bytes > 100GB"} {
		sel := filter.MustCompile(expr).Eval(snap, nil)
		for k := 0; k < sel.Count; k += 1 + k/3 {
			sg, i, _ := sel.Nth(k)
			id := sg.Base + uint64(i)
			if got := rank(sel, id); got != k {
				t.Fatalf("%q: rank of the %dth row = %d", expr, k, got)
			}
			if got := rank(sel, id+1); got != k+1 {
				t.Fatalf("%q: rank after the %dth row = %d", expr, k, got)
			}
		}
		if got := rank(sel, snap.End+5); got != sel.Count {
			t.Fatalf("%q: rank past the end = %d, want %d", expr, got, sel.Count)
		}
	}
}
