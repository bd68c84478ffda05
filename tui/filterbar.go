package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// filterBar shows the applied filter and, on "/", edits it: a text input
// with history, compiled on every keystroke (a valid or invalid marker; on
// error the message, its hint and a caret under the offending character),
// with the match count computed in a command (one at a time; a result for
// an older text is dropped). Enter applies, esc cancels.
type filterBar struct {
	env   *env
	w     int
	input lineInput

	history []string // applied expressions, oldest first (kept across runs: history.go)
	path    string   // the history file ("": not kept)
	saved   int      // len(history) when last saved or loaded
	saveAsk bool     // ctrl+s applied the filter: ask for a name to save it under
	histPos int      // position while browsing history (len = the draft)
	draft   string   // what was typed before browsing history

	flt    *filter.Filter // compiled current text (nil when invalid)
	ferr   *filter.Error  // syntax or type error of the current text
	other  error          // any other compile error
	gen    uint64         // bumps with every text change
	busy   bool           // a count is in flight
	result *previewMsg    // the count for gen, once it arrived

	applied *applyFilter // what enter applied, for the root to take
}

const filterPrompt = "filter> "

// newFilterBar returns the filter bar, showing the applied filter.
func newFilterBar(e *env) *filterBar {
	return &filterBar{env: e, input: lineInput{keys: e.keys, theme: e.theme, limit: 2048}}
}

// SetSize sets the bar's width.
func (v *filterBar) SetSize(w, _ int) {
	v.w = w
	v.input.width = max(1, w-width(filterPrompt)-v.markerWidth()-1)
}

// markerWidth is the room kept right of the input for the validity
// marker and the match count ("✓ 12,345,678 match").
func (v *filterBar) markerWidth() int { return 22 }

// Focused reports whether the bar is editing (and so takes every key).
func (v *filterBar) Focused() bool { return v.input.Focused() }

// Height is the number of lines the bar takes now.
func (v *filterBar) Height() int {
	if !v.Focused() || v.ferr == nil && v.other == nil {
		return 1
	}
	if v.other != nil {
		return 2
	}
	if v.overflows() {
		return 4
	}
	return 3
}

// Focus starts editing the applied filter.
func (v *filterBar) Focus() tea.Cmd {
	v.input.SetValue(v.env.expr)
	v.histPos, v.draft = len(v.history), ""
	v.input.Focus()
	return v.changed()
}

// blur stops editing.
func (v *filterBar) blur() {
	v.input.Blur()
	v.ferr, v.other, v.result = nil, nil, nil
}

// Update edits, browses history, applies or cancels, and takes in counts.
func (v *filterBar) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case previewMsg:
		v.busy = false
		if msg.gen == v.gen {
			v.result = &msg
			return nil
		}
		if v.Focused() && v.flt != nil && v.result == nil {
			return v.count()
		}
	case tea.KeyMsg:
		if !v.Focused() {
			return nil
		}
		k := v.env.keys
		switch {
		case key.Matches(msg, k.Cancel):
			v.blur()
			return nil
		case key.Matches(msg, k.Apply):
			return v.apply()
		case key.Matches(msg, k.Save):
			cmd := v.apply()
			if v.applied != nil && v.applied.expr != "" {
				v.saveAsk = true // the root asks for a name once it has applied it
			}
			return cmd
		case key.Matches(msg, k.HistPrev):
			return v.browse(-1)
		case key.Matches(msg, k.HistNext):
			return v.browse(1)
		}
		if v.input.Update(msg) {
			v.histPos = len(v.history)
			return v.changed()
		}
	}
	return nil
}

// browse moves through the history (-1 older, +1 newer).
func (v *filterBar) browse(d int) tea.Cmd {
	p := v.histPos + d
	if p < 0 || p > len(v.history) {
		return nil
	}
	if v.histPos == len(v.history) {
		v.draft = v.input.Value()
	}
	v.histPos = p
	if p == len(v.history) {
		v.input.SetValue(v.draft)
	} else {
		v.input.SetValue(v.history[p])
	}
	return v.changed()
}

// changed recompiles the text and asks for its count.
func (v *filterBar) changed() tea.Cmd {
	expr := v.input.Value()
	v.gen++
	v.result = nil
	v.flt, v.ferr, v.other = nil, nil, nil
	f, err := v.env.compile(expr)
	if err != nil {
		if !errors.As(err, &v.ferr) {
			v.other = err
		}
		return nil
	}
	v.flt = f
	if v.busy {
		return nil // the count in flight is stale; a new one starts when it lands
	}
	return v.count()
}

// count starts counting the current text's matches.
func (v *filterBar) count() tea.Cmd {
	if v.env.snap == nil || v.flt == nil {
		return nil
	}
	v.busy = true
	return previewCmd(v.gen, v.input.Value(), v.flt, v.env.snap)
}

// apply hands a valid filter to the root and closes the bar.
func (v *filterBar) apply() tea.Cmd {
	if v.flt == nil {
		return nil // stay: the error is on screen
	}
	expr := strings.TrimSpace(v.input.Value())
	if expr != "" && (len(v.history) == 0 || v.history[len(v.history)-1] != expr) {
		v.history = append(v.history, expr)
	}
	msg := applyFilter{expr: expr, flt: v.flt}
	if r := v.result; r != nil && r.gen == v.gen {
		msg.snap, msg.sel = r.snap, r.sel
	}
	v.blur()
	v.applied = &msg
	return nil
}

// remember adds an expression applied elsewhere (a drill-down, a
// preset) to the history, so ↑ in the bar brings it back.
func (v *filterBar) remember(expr string) {
	if expr != "" && (len(v.history) == 0 || v.history[len(v.history)-1] != expr) {
		v.history = append(v.history, expr)
	}
}

// takeApply returns the filter enter applied, once. The root applies it
// in the same update, so keys typed ahead see the new filter.
func (v *filterBar) takeApply() (applyFilter, bool) {
	if v.applied == nil {
		return applyFilter{}, false
	}
	msg := *v.applied
	v.applied = nil
	return msg, true
}

// overflows reports whether the error's offset is scrolled out of the
// input, so a caret under it would not line up: the error then shows an
// excerpt.
func (v *filterBar) overflows() bool {
	if v.ferr == nil {
		return false
	}
	_, ok := v.input.Column(v.ferr.Offset)
	return !ok
}

// View renders the bar: Height() lines of exactly w cells.
func (v *filterBar) View() string {
	t := v.env.theme
	if !v.Focused() {
		label := t.Prompt.Render("filter ")
		var body string
		switch {
		case v.env.expr == "":
			body = t.Muted.Render("none: every record (/ to filter)")
		default:
			body = model.Sanitize(v.env.expr)
		}
		if v.env.pending {
			body += t.Muted.Render("  filtering…")
		}
		return fitLine(label+body, v.w)
	}
	var marker string
	switch {
	case v.flt == nil:
		marker = t.Error.Render("✗ invalid")
	case v.result == nil:
		marker = t.Valid.Render("✓ valid") + t.Muted.Render(" counting…")
	default:
		marker = t.Valid.Render("✓ ") + itoa(v.result.sel.Count) + " match"
	}
	line := fitLine(t.Prompt.Render(filterPrompt)+v.input.View()+" "+marker, v.w)
	if v.other != nil {
		return line + "\n" + fitLine(t.Error.Render(model.Sanitize(v.other.Error())), v.w)
	}
	if v.ferr == nil {
		return line
	}
	e := v.ferr
	msg := e.Msg
	switch {
	case e.Hint != "":
		msg += " — " + e.Hint
	case len(e.Expected) > 0:
		msg += "; expected " + strings.Join(e.Expected, ", ")
	}
	msg = t.Error.Render(model.Sanitize(msg))
	expr := v.input.Value()
	off := min(max(e.Offset, 0), len(expr))
	if col, ok := v.input.Column(off); ok {
		caret := strings.Repeat(" ", width(filterPrompt)+col) + t.Error.Render("^")
		return line + "\n" + fitLine(caret, v.w) + "\n" + fitLine(msg, v.w)
	}
	// An excerpt around the error, with the caret under it.
	from := max(0, off-v.w/2)
	for from > 0 && from < len(expr) && expr[from]&0xc0 == 0x80 {
		from--
	}
	lead := ""
	if from > 0 {
		lead = ellipsis
	}
	ex := lead + model.Sanitize(expr[from:])
	caret := strings.Repeat(" ", width(lead)+width(model.Sanitize(expr[from:off]))) + t.Error.Render("^")
	return line + "\n" + fitLine(truncate(ex, v.w), v.w) + "\n" + fitLine(caret, v.w) + "\n" + fitLine(msg, v.w)
}

// ShortHelp lists the bar's keys.
func (v *filterBar) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Apply, k.Save, k.Cancel, k.HistPrev, k.HistNext, k.ForceQuit}
}

// FullHelp lists the bar's keys.
func (v *filterBar) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }
