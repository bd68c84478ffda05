package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Placeholder holds a view slot that part 2 fills (Groups, Chart). It
// shows one line saying what is coming, and is replaced by the real view
// when it lands.
type Placeholder struct {
	env  *env
	w, h int
	text string
}

// newPlaceholder returns a placeholder showing text.
func newPlaceholder(e *env, text string) *Placeholder { return &Placeholder{env: e, text: text} }

// Init implements the view contract.
func (v *Placeholder) Init() tea.Cmd { return nil }

// SetSize sets the view's area.
func (v *Placeholder) SetSize(w, h int) { v.w, v.h = w, h }

// Update does nothing.
func (v *Placeholder) Update(tea.Msg) (*Placeholder, tea.Cmd) { return v, nil }

// View renders the line, then blank lines.
func (v *Placeholder) View() string {
	out := []string{fitLine(v.env.theme.Muted.Render(" "+v.text), v.w)}
	for len(out) < v.h {
		out = append(out, strings.Repeat(" ", v.w))
	}
	return strings.Join(out, "\n")
}

// ShortHelp lists the view's keys.
func (v *Placeholder) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Flows, k.Sources, k.Help, k.Quit}
}

// FullHelp lists the view's keys.
func (v *Placeholder) FullHelp() [][]key.Binding { return nil }
