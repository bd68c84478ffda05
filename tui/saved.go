package tui

import (
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// Saved filters: ctrl+s in the filter bar applies the filter and asks a
// name for it; the p picker then lists it after the presets, and picking
// it applies it again (as a preset, within the explorer's time window).
// They are kept beside the filter history (history.go), one a line:
// name, a tab, the expression.

// savedFilter is one named filter.
type savedFilter struct {
	name, expr string
}

// savedPath returns the saved-filters file of dir (see historyPath).
func savedPath(dir string) string {
	h := historyPath(dir)
	if h == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(h), "saved-filters")
}

// loadSaved reads the saved filters; a missing or unreadable file is
// none, a line without a tab or a name is skipped.
func loadSaved(path string) []savedFilter {
	var out []savedFilter
	readLines(path, func(l string) {
		name, expr, ok := strings.Cut(l, "\t")
		name, expr = strings.TrimSpace(name), strings.TrimSpace(expr)
		if ok && name != "" && expr != "" {
			out = putSaved(out, savedFilter{name, expr})
		}
	})
	return out
}

// putSaved adds s, replacing a filter of the same name (any case).
func putSaved(list []savedFilter, s savedFilter) []savedFilter {
	for i, o := range list {
		if strings.EqualFold(o.name, s.name) {
			list[i] = s
			return list
		}
	}
	return append(list, s)
}

// withSaved returns the presets followed by the saved filters, each a
// preset of the Flows view; a saved filter that no longer compiles is
// left out (it stays in the file).
func withSaved(presets []resolvedPreset, saved []savedFilter) ([]resolvedPreset, error) {
	out := append([]resolvedPreset(nil), presets...)
	for _, s := range saved {
		r, err := resolvePresets([]Preset{{Name: s.name, Desc: "saved: " + s.expr, Filter: s.expr, View: "flows"}})
		if err != nil {
			continue
		}
		out = append(out, r...)
	}
	return out, nil
}

// OpenSave asks the name to save expr under.
func (p *prompt) OpenSave(expr string) {
	p.Open("", "")
	p.save = expr
	p.SetSize(p.w, 1)
}

// saveFilter keeps expr under name, lists it in the p picker, and writes
// the saved filters in a command.
func (m *rootModel) saveFilter(name, expr string) tea.Cmd {
	name = strings.Join(strings.Fields(name), " ") // one line, no tab
	m.saved = putSaved(m.saved, savedFilter{name, expr})
	m.presets, _ = withSaved(m.basePresets, m.saved)
	m.status.flash("saved as "+name+" (p lists it)", false)
	if m.savedPath == "" {
		return nil
	}
	var b strings.Builder
	for _, s := range m.saved {
		b.WriteString(s.name + "\t" + s.expr + "\n")
	}
	return writeFileCmd(m.savedPath, b.String())
}
