package tui

import "github.com/charmbracelet/lipgloss"

// Theme is the one set of named, semantic styles every view draws with.
// It is built once by NewTheme; view code never creates styles. Nothing in
// the UI relies on colour alone: the cursor row has a ">" gutter, actions
// are words, validity has a marker, so the screen reads the same with
// NO_COLOR or on a monochrome terminal.
type Theme struct {
	Title     lipgloss.Style // the program name in the header
	Tab       lipgloss.Style // an inactive view tab
	TabActive lipgloss.Style // the active view tab
	Header    lipgloss.Style // table column headers
	Selected  lipgloss.Style // the cursor row
	Accept    lipgloss.Style // ACCEPT
	Reject    lipgloss.Style // REJECT
	Muted     lipgloss.Style // secondary text, placeholders
	Error     lipgloss.Style // errors and the invalid-filter marker
	Valid     lipgloss.Style // the valid-filter marker
	Warn      lipgloss.Style // degraded sources, evictions, bad lines
	Label     lipgloss.Style // field names in the detail and sources views
	Status    lipgloss.Style // the status bar
	Key       lipgloss.Style // a key in the help
	Desc      lipgloss.Style // a key's description in the help
	Spark     lipgloss.Style // the status-bar sparkline
	Prompt    lipgloss.Style // the filter prompt
	Cursor    lipgloss.Style // the text cursor of the filter input
	Plain     lipgloss.Style // unstyled text (input text, values)
	Follow    lipgloss.Style // the follow indicator when on
	Crumb     lipgloss.Style // the drill-down breadcrumb
	Bar       lipgloss.Style // proportional bars in Groups
	Axis      lipgloss.Style // chart axes and their labels
	Notice    lipgloss.Style // a confirmation in the status bar (export, copy)

	// Color is false when the theme uses attributes (bold, reverse,
	// underline) only: NO_COLOR, or a terminal without colours.
	Color bool
}

// NewTheme builds the theme. With color false every style uses text
// attributes only (NO_COLOR); otherwise colours are given for true-colour,
// 256-colour and 16-colour terminals alike, chosen to read on dark and
// light backgrounds without querying the terminal (a query costs a round
// trip on a slow SSH link).
func NewTheme(color bool) *Theme {
	s := lipgloss.NewStyle
	t := &Theme{
		Title:     s().Bold(true),
		Tab:       s(),
		TabActive: s().Bold(true).Underline(true),
		Header:    s().Bold(true),
		Selected:  s().Reverse(true),
		Accept:    s(),
		Reject:    s().Bold(true),
		Muted:     s().Faint(true),
		Error:     s().Bold(true),
		Valid:     s(),
		Warn:      s().Bold(true),
		Label:     s().Bold(true),
		Status:    s(),
		Key:       s().Bold(true),
		Desc:      s(),
		Spark:     s(),
		Prompt:    s().Bold(true),
		Cursor:    s().Reverse(true),
		Plain:     s(),
		Follow:    s().Bold(true),
		Crumb:     s().Bold(true),
		Bar:       s(),
		Axis:      s(),
		Notice:    s().Bold(true),
		Color:     color,
	}
	if !color {
		return t
	}
	c := func(true24, c256, c16 string) lipgloss.CompleteColor {
		return lipgloss.CompleteColor{TrueColor: true24, ANSI256: c256, ANSI: c16}
	}
	green := c("#3fa34d", "34", "2")
	red := c("#e0524a", "167", "1")
	amber := c("#d79921", "172", "3")
	blue := c("#4e8fd6", "68", "4")
	gray := c("#8a8a8a", "245", "8")
	t.Title = t.Title.Foreground(blue)
	t.TabActive = t.TabActive.Foreground(blue)
	t.Tab = t.Tab.Foreground(gray)
	t.Accept = t.Accept.Foreground(green)
	t.Reject = t.Reject.Foreground(red)
	t.Muted = s().Foreground(gray)
	t.Error = t.Error.Foreground(red)
	t.Valid = t.Valid.Foreground(green)
	t.Warn = t.Warn.Foreground(amber)
	t.Key = t.Key.Foreground(blue)
	t.Desc = t.Desc.Foreground(gray)
	t.Spark = t.Spark.Foreground(blue)
	t.Prompt = t.Prompt.Foreground(blue)
	t.Follow = t.Follow.Foreground(green)
	t.Crumb = t.Crumb.Foreground(amber)
	t.Bar = t.Bar.Foreground(blue)
	t.Axis = t.Axis.Foreground(gray)
	t.Notice = t.Notice.Foreground(green)
	return t
}
