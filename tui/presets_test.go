package tui

import (
	"strings"
	"testing"
	"time"
)

// TestPresetsKeepTheWindow: a preset replaces the applied filter but not
// the time window the explorer was started with, and the window is added
// as a parsed expression (an or in the preset stays one operand).
func TestPresetsKeepTheWindow(t *testing.T) {
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	cfg.Since = testStart.Add(-time.Minute)
	cfg.Filter = "dstport = 22 or dstport = 3389"
	cfg.Presets = []Preset{{Name: "ssh or rejects", Filter: "dstport = 22 or action = REJECT", View: "flows"}}
	m, err := newRootModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const window = "end >= 2024-06-01T09:59:00Z"
	if want := "(dstport = 22 or dstport = 3389) and " + window; m.env.expr != want {
		t.Errorf("initial filter %q, want %q", m.env.expr, want)
	}
	feed(m, m.applyPreset(0))
	if want := "(dstport = 22 or action = REJECT) and " + window; m.env.expr != want {
		t.Errorf("preset filter %q, want %q", m.env.expr, want)
	}
	_, cmd := m.Update(snapshotMsg{snap: cfg.Index.Snapshot(), done: true})
	feed(m, cmd)
	all := m.env.snap.Rows()
	if n := m.env.sel.Count; n == 0 || n*2 > all {
		t.Errorf("the preset within the last minute selects %d of %d rows", n, all)
	}
	if !strings.Contains(m.View(), "end >= 2024-06-01T09:59:00Z") {
		t.Errorf("the filter bar does not show the window:\n%s", m.View())
	}
}

func TestResolvePresets(t *testing.T) {
	if _, err := resolvePresets(DefaultPresets()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Preset{
		{Name: "bad filter", Filter: "dstprt = 22", View: "flows"},
		{Name: "bad view", View: "pie"},
		{Name: "bad key", View: "groups", GroupKey: "nope", Metric: "flows"},
		{Name: "bad metric", View: "groups", GroupKey: "srcaddr", Metric: "nope"},
		{Name: "bad chart metric", View: "chart", Metric: "nope"},
	} {
		if _, err := resolvePresets([]Preset{p}); err == nil || !strings.Contains(err.Error(), p.Name) {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}
