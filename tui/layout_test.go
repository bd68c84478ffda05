package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestScreenSizes renders every view at sizes from the smallest usable to
// 300x100, and checks each screen is exactly the terminal's size.
func TestScreenSizes(t *testing.T) {
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	statuses := cfg.Feed.Statuses()
	snap := cfg.Index.Snapshot()
	for _, sz := range []struct{ w, h int }{{40, 8}, {60, 16}, {80, 24}, {132, 40}, {160, 48}, {300, 100}} {
		m, err := newRootModel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		_, cmd := m.Update(snapshotMsg{snap: snap, done: true})
		feed(m, cmd)
		m.Update(statusMsg{at: clk.Now(), statuses: statuses, spark: make([]uint64, sparkMinutes)})
		screens := map[string]func(){
			"flows":   func() { m.switchTo(viewFlows) },
			"detail":  func() { m.switchTo(viewFlows); m.Update(keyEnter) },
			"sources": func() { m.switchTo(viewSources) },
			"groups":  func() { feed(m, m.switchTo(viewGroups)) },
			"chart":   func() { feed(m, m.switchTo(viewChart)) },
			"presets": func() { m.switchTo(viewFlows); m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'p'}}) },
			"drilled": func() {
				feed(m, m.switchTo(viewGroups))
				_, cmd := m.Update(keyEnter)
				feed(m, cmd)
			},
			"export": func() {
				feed(m, m.switchTo(viewGroups))
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'e'}})
			},
			"help": func() { m.switchTo(viewFlows); m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}}) },
			"invalid": func() {
				m.switchTo(viewFlows)
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("src in 10.0.0.0/33 and dstport = 22 and proto tcp and bytes > 1MB and action = reject")})
			},
		}
		wants := map[string]string{"groups": " of ", "chart": "bytes per", "presets": "Presets",
			"drilled": "srcaddr = ", "export": "export groups"}
		for name, show := range screens {
			t.Run(name, func(t *testing.T) {
				show()
				view := m.View()
				checkScreen(t, view, sz.w, sz.h)
				if w := wants[name]; w != "" && !strings.Contains(view, w) {
					t.Errorf("%dx%d %s: no %q in\n%s", sz.w, sz.h, name, w, view)
				}
				if m.bar.Focused() || m.choose.Focused() || m.prompt.Focused() {
					m.Update(keyEsc)
				}
				for len(m.drills) > 0 {
					feed(m, m.popDrill())
				}
			})
		}
	}
}
