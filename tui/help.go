package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// helpView is the full key reference, generated from the key map: first
// the keys of the view it was opened over, under that view's name and a
// line on what it shows, then one section per topic, laid out in as many
// columns as the width allows. It lists only the bindings that are
// enabled: those that act in the view it was opened over (see
// rootModel.syncKeys), and the inputs' keys.
type helpView struct {
	viewBase
	offset int

	over  string          // the name of the view help was opened over
	about string          // what that view shows, in a line
	keys  [][]key.Binding // that view's keys (its FullHelp)
}

// viewAbout says in a line what each view shows, for the help's head.
var viewAbout = [numViews]string{
	viewFlows:   "the records of the applied filter, newest at the bottom; eni: ↓ ingress, ↑ egress, interface id's end",
	viewGroups:  "the filter's records grouped by a key, ranked by a metric",
	viewChart:   "the filter's records over time, ACCEPT above REJECT",
	viewSources: "every source: state, counters, lag, errors",
	viewDetail:  "one record, every field decoded, and where it came from",
}

// context sets the view help is about: its name, what it shows, its keys.
func (v *helpView) context(name, about string, keys [][]key.Binding) {
	v.over, v.about, v.keys, v.offset = name, about, keys, 0
}

// newHelp returns the Help view.
func newHelp(e *env) *helpView { return &helpView{viewBase: viewBase{env: e}} }

// Update scrolls, never past the end; the root handles back and ?.
func (v *helpView) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		n := len(v.lines())
		v.offset = scroll(v.env.keys, km, v.offset, v.h, max(0, n-v.h))
	}
	return nil
}

// lines renders the head and the sections.
func (v *helpView) lines() []string {
	t := v.env.theme
	var own []key.Binding
	for _, row := range v.keys {
		own = append(own, row...)
	}
	var head []string
	if v.over != "" {
		head = append(head, " "+t.Title.Render("Help: "+v.over)+t.Muted.Render(" · "+v.about), "")
	}
	return append(head, helpLines(t, v.env.keys, v.over, own, v.w)...)
}

// helpLines renders the sections, each as a column of "key  action": the
// view's own keys first (titled with the view's name), then every topic,
// leaving out what the first section listed.
func helpLines(t *Theme, k *KeyMap, over string, own []key.Binding, w int) []string {
	type block struct {
		lines []string
		width int
	}
	var blocks []block
	sections := k.sections()
	if len(own) > 0 {
		for i, s := range sections {
			var rest []key.Binding
			for _, b := range s.bindings {
				if !contains(own, b) {
					rest = append(rest, b)
				}
			}
			sections[i].bindings = rest
		}
		sections = append([]helpSection{{"In " + over, own}}, sections...)
	}
	for _, s := range sections {
		kw := 0
		for _, b := range s.bindings {
			if b.Enabled() {
				kw = max(kw, width(b.Help().Key))
			}
		}
		bl := block{lines: []string{t.Header.Render(s.title)}, width: width(s.title)}
		for _, b := range s.bindings {
			h := b.Help()
			if !b.Enabled() {
				continue
			}
			bl.lines = append(bl.lines, t.Key.Render(pad(h.Key, kw, false))+"  "+t.Desc.Render(h.Desc))
			bl.width = max(bl.width, kw+2+width(h.Desc))
		}
		if len(bl.lines) > 1 {
			blocks = append(blocks, bl)
		}
	}
	// Lay the blocks out left to right, wrapping to new rows of blocks.
	var out []string
	for i := 0; i < len(blocks); {
		used, j := 1, i
		for j < len(blocks) && (j == i || used+blocks[j].width+4 <= w) {
			used += blocks[j].width + 4
			j++
		}
		rows := 0
		for _, b := range blocks[i:j] {
			rows = max(rows, len(b.lines))
		}
		for r := 0; r < rows; r++ {
			var line strings.Builder
			line.WriteString(" ")
			for _, b := range blocks[i:j] {
				cell := ""
				if r < len(b.lines) {
					cell = b.lines[r]
				}
				line.WriteString(fitLine(cell, b.width+4))
			}
			out = append(out, line.String())
		}
		out = append(out, "")
		i = j
	}
	return out
}

// View renders exactly h lines of w cells.
func (v *helpView) View() string {
	return scrolledLines(v.lines(), v.offset, v.w, v.h)
}

// ShortHelp lists the view's keys.
func (v *helpView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Back, k.Up, k.Down}
}

// FullHelp lists the view's keys.
func (v *helpView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Back, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Quit}}
}
