package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Scrolling text: Detail, Sources and Help show lines under an offset
// that the movement keys change and that never passes the last page.

// scroll moves a scroll offset by the movement keys (a line, a page of h
// lines, to either end) and keeps it within [0, maxOff].
func scroll(k *KeyMap, km tea.KeyMsg, offset, h, maxOff int) int {
	switch {
	case key.Matches(km, k.Up):
		offset--
	case key.Matches(km, k.Down):
		offset++
	case key.Matches(km, k.PageUp):
		offset -= max(1, h-1)
	case key.Matches(km, k.PageDown):
		offset += max(1, h-1)
	case key.Matches(km, k.Home):
		offset = 0
	case key.Matches(km, k.End):
		offset = maxOff
	}
	return min(max(offset, 0), maxOff)
}

// scrolledLines renders lines from offset (clamped so the last page is
// full): exactly h lines of w cells.
func scrolledLines(lines []string, offset, w, h int) string {
	off := min(offset, max(0, len(lines)-h))
	out := make([]string, 0, h)
	for i := off; i < len(lines) && len(out) < h; i++ {
		out = append(out, fitLine(lines[i], w))
	}
	for len(out) < h {
		out = append(out, strings.Repeat(" ", w))
	}
	return strings.Join(out, "\n")
}
