package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// TestGroupWithinScratch: a group-by whose scratch space would pass the
// budget answers for the newest rows that fit (and says how many), and
// one for which too few fit is refused with the reason.
func TestGroupWithinScratch(t *testing.T) {
	ix := model.NewIndex(1 << 30)
	data := model.NewSynth(7).Append(nil, 600_000)
	for off := 0; off < len(data); {
		end := min(off+1<<20, len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		ix.Ingest(&model.Batch{Source: "synth", Data: data[off:end]})
		off = end
	}
	snap := ix.Publish()
	sel := model.SelectAll(snap)
	q, err := groupQuery(groupsState{key: keyIndex(t, "conversation"), metric: metricIndex(t, "dst ports")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A budget whose limit is spent (the process holds more than it): the
	// analysis gets its share, 32 MiB.
	b := model.Budget{Max: 120 << 20, Index: 72 << 20, Scratch: 32 << 20, Limit: 1 << 20}
	res, covered, err := groupScratch(snap, sel, q, b, false)
	if err != nil {
		t.Fatalf("the newest rows that fit were not grouped: %v", err)
	}
	if covered.Count >= sel.Count || covered.Count < minPartial || res.Count != covered.Count {
		t.Fatalf("covered %d of %d rows; the answer counts %d", covered.Count, sel.Count, res.Count)
	}
	t.Logf("grouped the newest %d of %d rows within 32 MiB", covered.Count, sel.Count)
	b.Scratch = 1 << 20
	if _, _, err := groupScratch(snap, sel, q, b, false); err == nil || !strings.Contains(err.Error(), "scratch space") {
		t.Fatalf("1 MiB of scratch space: %v, want a refusal", err)
	}
	if _, covered, err := groupScratch(snap, sel, q, model.Budget{}, false); err != nil || covered.Count != sel.Count {
		t.Fatalf("without a budget: %v, %d rows", err, covered.Count)
	}
}

func keyIndex(t *testing.T, label string) int {
	for i, c := range groupKeyChoices {
		if c.label == label {
			return i
		}
	}
	t.Fatalf("no group key %q", label)
	return 0
}

func metricIndex(t *testing.T, label string) int {
	for i, c := range groupMetricChoices {
		if c.label == label {
			return i
		}
	}
	t.Fatalf("no metric %q", label)
	return 0
}

// TestJourneyMemory at 80x24 and 160x48: the status bar and the Sources
// view show the process's memory against --max-memory (not just the
// index's), and a grouping that would not fit the budget is refused with
// the reason and what to do, instead of passing the bound.
func TestJourneyMemory(t *testing.T) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			clk := newTestClock()
			cfg := demoConfig(t, clk, false)
			// A bound so small that the process (48 MiB, pinned) already
			// passes its memory limit: an analysis gets its share only.
			cfg.Memory = model.Budget{Max: 64 << 20, Index: 38 << 20, Scratch: 1 << 20, Limit: 1 << 20}
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "12.0k records", "all match")
			if sz.w > 100 {
				waitScreen(t, tm, "mem 48.0 MiB/64.0 MiB")
			}
			tm.Type("4")
			waitScreen(t, tm, "[4 Sources]", "process 48.0 MiB", "bound 64.0 MiB (--max-memory)", "index 5.0 MiB of 256 MiB", "analysis up to 1.0 MiB")
			tm.Type("2")
			waitScreen(t, tm, "[2 Groups]", "cannot group:")
			if !strings.Contains(tm.s.Screen(), "scratch space") {
				t.Errorf("the refusal does not say why:\n%s", tm.s.Screen())
			}
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}
