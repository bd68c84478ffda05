package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/source"
)

// staticModel returns a root model of w x h over the finished seeded
// demo, with its first evaluation and a status report taken in.
func staticModel(t *testing.T, w, h int) *rootModel {
	t.Helper()
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	m, err := newRootModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	_, cmd := m.Update(snapshotMsg{snap: cfg.Index.Snapshot(), done: true})
	feed(m, cmd)
	m.Update(statusMsg{at: clk.Now(), statuses: cfg.Feed.Statuses(), spark: make([]uint64, sparkMinutes)})
	return m
}

func typed(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// TestKeysFollowTheView: a binding is enabled exactly where it acts, so
// the hints and the help list only keys that do something.
func TestKeysFollowTheView(t *testing.T) {
	m := staticModel(t, 120, 40)
	k := m.env.keys
	cases := []struct {
		view    viewID
		on, off []*key.Binding
	}{
		{viewFlows, []*key.Binding{&k.Open, &k.Follow, &k.Up, &k.End, &k.Export}, []*key.Binding{&k.Drill, &k.GroupKey, &k.Metric, &k.ZoomIn, &k.Back}},
		{viewGroups, []*key.Binding{&k.Drill, &k.GroupKey, &k.Metric, &k.Up, &k.Back, &k.Export}, []*key.Binding{&k.Open, &k.Follow, &k.ZoomIn}},
		{viewChart, []*key.Binding{&k.Metric, &k.ZoomIn, &k.ZoomOut, &k.Export, &k.Back}, []*key.Binding{&k.Open, &k.Up, &k.GroupKey, &k.Follow}},
		{viewSources, []*key.Binding{&k.Up, &k.PageDown, &k.End, &k.Back}, []*key.Binding{&k.Open, &k.Drill, &k.Export, &k.Metric, &k.Follow}},
	}
	for _, c := range cases {
		feed(m, m.switchTo(c.view))
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40}) // any update syncs the keys
		for _, b := range c.on {
			if !b.Enabled() {
				t.Errorf("view %d: %q is disabled, but it acts there", c.view, b.Help().Desc)
			}
		}
		for _, b := range c.off {
			if b.Enabled() {
				t.Errorf("view %d: %q is enabled, but it does nothing there", c.view, b.Help().Desc)
			}
		}
		for _, b := range c.off {
			if strings.Contains(m.hintLine(), " "+b.Help().Desc) {
				t.Errorf("view %d: the hints offer %q:\n%s", c.view, b.Help().Desc, m.hintLine())
			}
		}
	}

	// Help lists the keys of the view it was opened over.
	feed(m, m.switchTo(viewChart))
	m.Update(typed("?"))
	if scr := m.View(); !strings.Contains(scr, "zoom in") || strings.Contains(scr, "group key") || followRE.MatchString(scr) {
		t.Errorf("help over the chart should list zoom, not group key or follow:\n%s", scr)
	}
	m.Update(keyEsc)
	feed(m, m.switchTo(viewFlows))
	m.Update(typed("?"))
	if scr := m.View(); strings.Contains(scr, "zoom in") || !followRE.MatchString(scr) {
		t.Errorf("help over Flows should list follow, not zoom:\n%s", scr)
	}
}

// followRE finds the follow key in the help, whatever the padding.
var followRE = regexp.MustCompile(`\bf +follow\b`)

// TestBindingHelpUnique: a binding is known by its help (key and
// description) when a view lists it in FullHelp, so no two may share one.
func TestBindingHelpUnique(t *testing.T) {
	seen := map[key.Help]bool{}
	for _, s := range DefaultKeyMap().sections() {
		for _, b := range s.bindings {
			if s.title == "Pickers" && b.Help().Desc == "cancel" {
				continue // the filter bar's cancel, listed again under pickers
			}
			if seen[b.Help()] {
				t.Errorf("two bindings share the help %q %q", b.Help().Key, b.Help().Desc)
			}
			seen[b.Help()] = true
		}
	}
}

// TestScrollStopsAtTheEnd: after end, up moves the view at once (the
// Sources and Help views used to scroll on past their last line).
func TestScrollStopsAtTheEnd(t *testing.T) {
	for _, open := range []struct {
		name string
		do   func(m *rootModel)
	}{
		{"sources", func(m *rootModel) {
			var sts []source.Status
			for _, n := range []string{"a.log", "b.log", "c.log", "d.log"} {
				sts = append(sts, source.Status{Name: n, Kind: "file", State: source.StateDone})
			}
			m.Update(statusMsg{statuses: sts})
			m.switchTo(viewSources)
		}},
		{"help", func(m *rootModel) { m.switchTo(viewFlows); m.Update(typed("?")) }},
	} {
		t.Run(open.name, func(t *testing.T) {
			m := staticModel(t, 60, 12)
			open.do(m)
			top := m.View()
			m.Update(keyEnd)
			end := m.View()
			if end == top {
				t.Fatalf("end did not scroll; the content fits?\n%s", end)
			}
			m.Update(keyEnd)
			m.Update(keyDown)
			m.Update(keyDown)
			if m.View() != end {
				t.Errorf("down past the end moved the view")
			}
			m.Update(keyUp)
			if m.View() == end {
				t.Errorf("up after end did not move the view:\n%s", m.View())
			}
		})
	}
}
