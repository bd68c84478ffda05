package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// choosePurpose says what a choice is for; the root acts on it.
type choosePurpose uint8

const (
	chooseKey    choosePurpose = iota + 1 // a Groups key (index into groupKeyChoices)
	chooseMetric                          // a Groups metric (groupMetricChoices)
	choosePreset                          // a preset (rootModel.presets)
	chooseCopy                            // what to copy (rootModel.copyItems)
	chooseRemote                          // run a prepared remote question (remote.go)
)

// choice is one entry of a picker.
type choice struct {
	label string
	desc  string
}

// chooser is the picker behind g, m, p and y: a titled list drawn over the
// active view, narrowed by typing (every key goes to it while it is open),
// moved with ↑/↓, chosen with enter, closed with esc. The root opens it and
// takes the choice.
type chooser struct {
	env  *env
	w, h int

	open    bool
	purpose choosePurpose
	title   string
	items   []choice
	shown   []int // indexes of the items matching the typed text
	cursor  int   // position in shown
	input   lineInput

	picked  int
	hasPick bool
	typed   string // the text typed when the choice was made

	// free offers what is typed as an item of its own when it is valid
	// (the g picker: any key query accepts); nil: only the items.
	free func(text string) (choice, bool)
	nfix int // len(items) before a free item was added
}

// newChooser returns a closed chooser.
func newChooser(e *env) *chooser {
	return &chooser{env: e, input: lineInput{keys: e.keys, theme: e.theme, limit: 64}}
}

// SetSize sets the area the list covers.
func (c *chooser) SetSize(w, h int) {
	c.w, c.h = w, h
	c.input.width = max(1, w-12)
}

// Open shows items with the cursor on cur.
func (c *chooser) Open(p choosePurpose, title string, items []choice, cur int) {
	c.open, c.purpose, c.title, c.items = true, p, title, items
	c.nfix, c.free = len(items), nil
	if p == chooseKey {
		c.free = func(text string) (choice, bool) {
			k, ok := customKey(text)
			return choice{label: k.label, desc: "group by what was typed (as query --group-by)"}, ok
		}
	}
	c.input.SetValue("")
	c.input.Focus()
	c.narrow()
	c.cursor = min(max(cur, 0), max(len(c.shown)-1, 0))
}

// Focused reports whether the chooser is open (and so takes every key).
func (c *chooser) Focused() bool { return c.open }

// close hides the chooser.
func (c *chooser) close() {
	c.open = false
	c.input.Blur()
}

// narrow keeps the items whose label or description holds the typed text
// (any case).
func (c *chooser) narrow() {
	q := strings.ToLower(strings.TrimSpace(c.input.Value()))
	c.shown = c.shown[:0]
	c.items = c.items[:c.nfix]
	if c.free != nil {
		if it, ok := c.free(strings.TrimSpace(c.input.Value())); ok {
			c.items = append(c.items, it)
			c.shown = append(c.shown, c.nfix) // first: it is exactly what was typed
		}
	}
	for i, it := range c.items[:c.nfix] {
		if q == "" || strings.Contains(strings.ToLower(it.label+" "+it.desc), q) {
			c.shown = append(c.shown, i)
		}
	}
	c.cursor = min(c.cursor, max(len(c.shown)-1, 0))
}

// Update moves, narrows, chooses or cancels.
func (c *chooser) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !c.open {
		return nil
	}
	k := c.env.keys
	switch {
	case key.Matches(km, k.Cancel):
		c.close()
	case key.Matches(km, k.Pick):
		if c.cursor < len(c.shown) {
			c.picked, c.hasPick = c.shown[c.cursor], true
			c.typed = strings.TrimSpace(c.input.Value())
			c.close()
		}
	case key.Matches(km, k.PickPrev):
		c.cursor = max(c.cursor-1, 0)
	case key.Matches(km, k.PickNext):
		c.cursor = min(c.cursor+1, max(len(c.shown)-1, 0))
	default:
		if c.input.Update(km) {
			c.narrow()
			c.cursor = 0
			q := strings.TrimSpace(c.input.Value())
			for p, i := range c.shown {
				if strings.EqualFold(c.items[i].label, q) {
					c.cursor = p // an exact name wins over names that hold it
				}
			}
		}
	}
	return nil
}

// take returns the choice made, once.
func (c *chooser) take() (choosePurpose, int, bool) {
	if !c.hasPick {
		return 0, 0, false
	}
	c.hasPick = false
	return c.purpose, c.picked, true
}

// View renders the title, the typed text and the items: h lines of w
// cells.
func (c *chooser) View() string {
	t := c.env.theme
	out := []string{
		fitLine(" "+t.Header.Render(c.title)+t.Muted.Render("  ↑/↓ move · enter choose · esc cancel · type to narrow"), c.w),
		fitLine(" "+t.Prompt.Render("find> ")+c.input.View(), c.w),
	}
	lw := 0
	for _, it := range c.items {
		lw = max(lw, width(it.label))
	}
	lw = min(lw, max(8, c.w/2))
	rows := max(1, c.h-len(out))
	top := min(max(0, c.cursor-rows+1), max(0, len(c.shown)-rows))
	for p := top; p < len(c.shown) && len(out) < c.h; p++ {
		it := c.items[c.shown[p]]
		gutter := "  "
		if p == c.cursor {
			gutter = "> "
		}
		line := gutter + pad(it.label, lw, false) + "  "
		if p == c.cursor {
			out = append(out, t.Selected.Render(fitLine(line+it.desc, c.w)))
		} else {
			out = append(out, fitLine(line+t.Muted.Render(it.desc), c.w))
		}
	}
	if len(c.shown) == 0 {
		out = append(out, fitLine(t.Muted.Render("   nothing matches"), c.w))
	}
	return fillLines(out, c.w, c.h)
}

// ShortHelp lists the chooser's keys.
func (c *chooser) ShortHelp() []key.Binding {
	k := c.env.keys
	return []key.Binding{k.PickPrev, k.PickNext, k.Pick, k.Cancel, k.ForceQuit}
}

// FullHelp lists the chooser's keys.
func (c *chooser) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }
