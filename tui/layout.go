package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/flowlens/flowlens/model"
)

// Smallest usable terminal; below it the screen says so.
const (
	minWidth  = 40
	minHeight = 8
)

// layout gives every view its size: the header, the filter bar, the
// status bar and the key hints take their lines, the active view the rest.
func (m *rootModel) layout() {
	w := m.w
	m.bar.SetSize(w, 0)
	body := max(1, m.h-3-m.bar.Height()-m.crumbHeight())
	for _, v := range m.views {
		v.SetSize(w, body)
	}
	m.choose.SetSize(w, body)
	m.status.SetSize(w, 1)
	m.prompt.SetSize(w, 1)
}

// crumbHeight is the lines the drill-down breadcrumb takes: one while a
// drill-down is in effect.
func (m *rootModel) crumbHeight() int {
	if len(m.drills) > 0 && !m.bar.Focused() {
		return 1
	}
	return 0
}

// View renders the screen: exactly h lines of w cells.
func (m *rootModel) View() string {
	if m.w < minWidth || m.h < minHeight {
		return fitLine("terminal too small ("+strconv.Itoa(m.w)+"x"+strconv.Itoa(m.h)+"); flowlens needs "+
			strconv.Itoa(minWidth)+"x"+strconv.Itoa(minHeight), m.w)
	}
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteByte('\n')
	b.WriteString(m.bar.View())
	b.WriteByte('\n')
	if m.crumbHeight() > 0 {
		b.WriteString(breadcrumb(m.env.theme, m.drills, m.w))
		b.WriteByte('\n')
	}
	if m.choose.Focused() {
		b.WriteString(m.choose.View())
	} else {
		b.WriteString(m.views[m.active].View())
	}
	b.WriteByte('\n')
	b.WriteString(m.status.View())
	b.WriteByte('\n')
	if m.prompt.Focused() {
		b.WriteString(m.prompt.View())
	} else {
		b.WriteString(m.hintLine())
	}
	// A copy on its way to the clipboard rides at the end of the last
	// line: zero-width, and written by the renderer with the frame.
	b.WriteString(m.clip.seq)
	return b.String()
}

// header renders the title, the tabs (the current one in brackets, so it
// shows without colour) and the sources' overall state. When that does
// not fit (80 columns, a view opened over a tab) the tabs close up.
func (m *rootModel) header() string {
	t := m.env.theme
	right := t.Valid.Render("live") + " "
	if m.env.done {
		right = t.Muted.Render("sources done") + " "
	}
	var left string
	for _, pad := range []string{" ", ""} {
		left = m.headerLeft(pad)
		if gap := m.w - width(stripStyle(left)) - width(stripStyle(right)); gap >= 1 {
			return left + strings.Repeat(" ", gap) + right
		}
	}
	return fitLine(left, m.w)
}

// headerLeft renders the title and the tabs, pad on either side of the
// tabs that are not current.
func (m *rootModel) headerLeft(pad string) string {
	t := m.env.theme
	var b strings.Builder
	b.WriteString(" " + t.Title.Render("flowlens"))
	if m.cfg.Title != "" {
		b.WriteString(" " + t.Muted.Render(truncate(model.Sanitize(m.cfg.Title), 24)))
	}
	b.WriteString(" " + pad)
	cur := m.tabOf()
	for i, tab := range tabs {
		label := strconv.Itoa(i+1) + " " + tab.name
		if tab.id == cur {
			b.WriteString(t.TabActive.Render("[" + label + "]"))
		} else {
			sep := pad
			if pad == "" {
				sep = " "
			}
			b.WriteString(t.Tab.Render(sep + label + pad))
		}
	}
	switch m.active {
	case viewDetail:
		b.WriteString(t.Header.Render("  › record"))
	case viewWhy:
		b.WriteString(t.Header.Render("  › why"))
	case viewHelp:
		b.WriteString(t.Header.Render("  › help"))
	}
	return b.String()
}

// hintLine renders the active view's main keys, or a pending note.
func (m *rootModel) hintLine() string {
	if m.note != "" {
		return fitLine(" "+m.env.theme.Error.Render(model.Sanitize(m.note)), m.w)
	}
	k := m.env.keys
	switch {
	case m.bar.Focused():
		return hintLine(m.env.theme, m.bar.ShortHelp(), nil, m.w)
	case m.choose.Focused():
		return hintLine(m.env.theme, m.choose.ShortHelp(), nil, m.w)
	}
	return hintLine(m.env.theme, m.views[m.active].ShortHelp(), []key.Binding{k.Help, k.Quit}, m.w)
}

// syncKeys enables the bindings that act where the user is and disables
// the rest, so the hints and the help list only keys that do something:
// the view-dependent bindings (movement, enter, follow, group key, metric,
// zoom, export) as the active view lists them in FullHelp (the help view
// adds those of the view it was opened over), and back when there is
// somewhere to go back to. It runs after every update.
func (m *rootModel) syncKeys() {
	k := m.env.keys
	lists := [][][]key.Binding{m.views[m.active].FullHelp()}
	if n := len(m.stack); m.active == viewHelp && n > 0 {
		lists = append(lists, m.views[m.stack[n-1]].FullHelp())
	}
	for _, b := range k.viewKeys() {
		b.SetEnabled(listed(lists, b.Help()))
	}
	if m.cfg.Remote == nil {
		k.Remote.SetEnabled(false)
	}
	k.Back.SetEnabled(len(m.stack) > 0 || len(m.drills) > 0 || m.active != viewFlows || m.remote.running())
	k.Clear.SetEnabled(m.clearable())
}

// listed reports whether a binding with help h is in any of the lists.
func listed(lists [][][]key.Binding, h key.Help) bool {
	for _, rows := range lists {
		for _, row := range rows {
			for _, b := range row {
				if b.Help() == h {
					return true
				}
			}
		}
	}
	return false
}
