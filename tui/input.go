package tui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// lineInput is a one-line text editor: the filter bar's input. (bubbles'
// textinput would need a clipboard module this build does not carry, and
// the filter bar wants the scroll offset to put its caret under errors.)
// It edits runes, scrolls horizontally to keep the cursor visible, drops
// control characters from typed and pasted text, and uses the key map's
// Input bindings. A suggested text (Suggest) is shown muted and is
// replaced by the first text typed or pasted, or cleared by the first
// deletion, like a selection; moving the cursor keeps it for editing.
type lineInput struct {
	keys    *KeyMap
	theme   *Theme
	value   []rune
	pos     int // cursor, in runes
	scroll  int // first visible rune
	width   int // visible cells, cursor included
	focused bool
	limit   int

	suggested bool // the text is a suggestion that typing replaces
}

// Value returns the text.
func (in *lineInput) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *lineInput) SetValue(s string) {
	in.value, in.pos, in.suggested = in.value[:0], 0, false
	in.insert(s)
}

// Suggest sets a text the user may keep (enter) or replace by typing.
func (in *lineInput) Suggest(s string) {
	in.SetValue(s)
	in.suggested = true
}

// Focus and Blur start and stop editing.
func (in *lineInput) Focus() { in.focused = true }

// Blur stops editing.
func (in *lineInput) Blur() { in.focused = false }

// Focused reports whether the input is editing.
func (in *lineInput) Focused() bool { return in.focused }

// insert inserts text at the cursor, dropping control characters and
// turning line breaks and tabs into spaces.
func (in *lineInput) insert(s string) {
	var add []rune
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case !unicode.IsPrint(r):
			continue
		}
		if in.limit > 0 && len(in.value)+len(add) >= in.limit {
			break
		}
		add = append(add, r)
	}
	if in.pos > len(in.value) {
		in.pos = len(in.value)
	}
	v := make([]rune, 0, len(in.value)+len(add))
	v = append(v, in.value[:in.pos]...)
	v = append(v, add...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(add)
}

// wordLeft returns the start of the word before the cursor.
func (in *lineInput) wordLeft() int {
	p := in.pos
	for p > 0 && in.value[p-1] == ' ' {
		p--
	}
	for p > 0 && in.value[p-1] != ' ' {
		p--
	}
	return p
}

// wordRight returns the end of the word after the cursor.
func (in *lineInput) wordRight() int {
	p := in.pos
	for p < len(in.value) && in.value[p] == ' ' {
		p++
	}
	for p < len(in.value) && in.value[p] != ' ' {
		p++
	}
	return p
}

// cut removes runes [from, to).
func (in *lineInput) cut(from, to int) {
	if from >= to {
		return
	}
	in.value = append(in.value[:from], in.value[to:]...)
	in.pos = from
}

// Update edits on a key and reports whether the text changed.
func (in *lineInput) Update(msg tea.KeyMsg) bool {
	k := in.keys
	before := string(in.value)
	if in.suggested {
		in.suggested = false
		switch {
		case msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace,
			key.Matches(msg, k.InputDeleteBack, k.InputDelete, k.InputDeleteWord, k.InputDeleteStart, k.InputDeleteEnd):
			in.value, in.pos = in.value[:0], 0 // typing replaces the suggestion; deleting clears it
			if msg.Type != tea.KeyRunes && msg.Type != tea.KeySpace {
				return before != ""
			}
		}
	}
	switch {
	case key.Matches(msg, k.InputLeft):
		in.pos = max(0, in.pos-1)
	case key.Matches(msg, k.InputRight):
		in.pos = min(len(in.value), in.pos+1)
	case key.Matches(msg, k.InputWordLeft):
		in.pos = in.wordLeft()
	case key.Matches(msg, k.InputWordRight):
		in.pos = in.wordRight()
	case key.Matches(msg, k.InputStart):
		in.pos = 0
	case key.Matches(msg, k.InputEnd):
		in.pos = len(in.value)
	case key.Matches(msg, k.InputDeleteBack):
		in.cut(max(0, in.pos-1), in.pos)
	case key.Matches(msg, k.InputDelete):
		in.cut(in.pos, min(len(in.value), in.pos+1))
	case key.Matches(msg, k.InputDeleteWord):
		in.cut(in.wordLeft(), in.pos)
	case key.Matches(msg, k.InputDeleteStart):
		in.cut(0, in.pos)
	case key.Matches(msg, k.InputDeleteEnd):
		in.cut(in.pos, len(in.value))
	case msg.Type == tea.KeyRunes:
		in.insert(string(msg.Runes))
	case msg.Type == tea.KeySpace:
		in.insert(" ")
	}
	return string(in.value) != before
}

// layout moves the scroll offset so the cursor is visible.
func (in *lineInput) layout() {
	w := max(1, in.width)
	if in.pos < in.scroll {
		in.scroll = in.pos
	}
	for in.scroll < in.pos && cellsOf(in.value[in.scroll:in.pos])+1 > w {
		in.scroll++
	}
	// Use free room on the right to show more of the start.
	for in.scroll > 0 && cellsOf(in.value[in.scroll-1:])+1 <= w {
		in.scroll--
	}
}

// Column returns the screen column (from the input's left edge) of the
// rune at byte offset off, and whether it is visible.
func (in *lineInput) Column(off int) (int, bool) {
	in.layout()
	s := string(in.value)
	off = min(max(off, 0), len(s))
	r := len([]rune(s[:off]))
	if r < in.scroll {
		return 0, false
	}
	col := cellsOf(in.value[in.scroll:r])
	return col, col < max(1, in.width)
}

// View renders exactly width cells: the visible text with the cursor.
func (in *lineInput) View() string {
	in.layout()
	w := max(1, in.width)
	var b strings.Builder
	used := 0
	for i := in.scroll; i <= len(in.value); i++ {
		ch := " "
		if i < len(in.value) {
			ch = string(in.value[i])
		}
		cw := max(1, ansi.StringWidth(ch))
		if used+cw > w {
			break
		}
		switch {
		case in.focused && i == in.pos:
			b.WriteString(in.theme.Cursor.Render(ch))
		case in.suggested:
			b.WriteString(in.theme.Muted.Render(ch))
		default:
			b.WriteString(ch)
		}
		used += cw
		if i == len(in.value) {
			break
		}
	}
	return b.String() + strings.Repeat(" ", max(0, w-used))
}

// cellsOf returns the display width of runes.
func cellsOf(rs []rune) int {
	n := 0
	for _, r := range rs {
		if r < 0x80 {
			n++
		} else {
			n += ansi.StringWidth(string(r))
		}
	}
	return n
}
