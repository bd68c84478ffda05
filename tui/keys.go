package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap holds every key binding of the program: the one place keys are
// declared (DESIGN §5). Views match with key.Matches against these; the
// help view, the help bar and the README key table (KeyTable) are
// generated from them. The root disables the bindings that do nothing in
// the active view (rootModel.syncKeys): a disabled binding neither
// matches nor shows in the hints or the help. Every binding's help (key
// and description) is unique, which is how a view's FullHelp names it.
type KeyMap struct {
	// Global.
	Filter    key.Binding // open the filter bar
	Help      key.Binding // show or hide the full help
	Quit      key.Binding
	ForceQuit key.Binding // quits even while the filter bar has focus
	Suspend   key.Binding // stop the program (job control); fg resumes it
	Flows     key.Binding
	Groups    key.Binding
	Chart     key.Binding
	Sources   key.Binding
	Findings  key.Binding
	NextView  key.Binding
	PrevView  key.Binding

	// Views.
	Open   key.Binding // open the record's detail (Flows)
	Drill  key.Binding // narrow the filter to a group or a chart range
	Back   key.Binding // leave detail or help, pop a drill-down level
	Clear  key.Binding // esc at the top: clear the typed filter
	Follow key.Binding
	Conv   key.Binding // Flows: one row per conversation, or per record

	// Tables: sort and find (beside filtering).
	Sort     key.Binding // sort by the next column
	Reverse  key.Binding // reverse the sort order
	Find     key.Binding // type what to find
	FindNext key.Binding // the next row that matches
	FindPrev key.Binding // the previous row that matches

	// Movement.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding

	// Analysis: groups, chart, presets, export, copy.
	GroupKey key.Binding // choose the Groups key
	Metric   key.Binding // choose the Groups metric; cycle the Chart metric
	Presets  key.Binding // pick a named question
	Export   key.Binding // write the current view to a file
	Copy     key.Binding // copy through OSC 52
	Why      key.Binding // why can't the record's (the pair's) ends talk
	ZoomIn   key.Binding // Chart: a shorter range, smaller buckets
	ZoomOut  key.Binding // Chart: a longer range, larger buckets
	Remote   key.Binding // Groups, Chart: run the question on the remote engine
	Left     key.Binding // Chart: the cursor a bucket earlier
	Right    key.Binding // Chart: the cursor a bucket later
	PanLeft  key.Binding // Chart: half a range earlier
	PanRight key.Binding // Chart: half a range later
	Mark     key.Binding // Chart: start or end a time range selection

	// Pickers (g, m, p, y) and the export prompt, while open.
	PickPrev key.Binding
	PickNext key.Binding
	Pick     key.Binding

	// Filter bar (while it has focus).
	Apply    key.Binding
	Cancel   key.Binding
	HistPrev key.Binding
	HistNext key.Binding
	Save     key.Binding // save the typed filter under a name

	// Editing the filter text.
	InputLeft        key.Binding
	InputRight       key.Binding
	InputWordLeft    key.Binding
	InputWordRight   key.Binding
	InputStart       key.Binding
	InputEnd         key.Binding
	InputDeleteBack  key.Binding
	InputDelete      key.Binding
	InputDeleteWord  key.Binding
	InputDeleteStart key.Binding
	InputDeleteEnd   key.Binding
}

// DefaultKeyMap returns the key contract of DESIGN §5.
func DefaultKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Filter:    b("/", "filter", "/"),
		Help:      b("?", "help", "?"),
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit now", "ctrl+c"),
		Suspend:   b("ctrl+z", "suspend", "ctrl+z"),
		Flows:     b("1", "flows", "1"),
		Groups:    b("2", "groups", "2"),
		Chart:     b("3", "chart", "3"),
		Sources:   b("4", "sources", "4"),
		Findings:  b("5", "findings", "5"),
		NextView:  b("tab", "next view", "tab"),
		PrevView:  b("shift+tab", "previous view", "shift+tab"),

		Open:   b("enter", "detail", "enter"),
		Drill:  b("enter", "drill in", "enter"),
		Back:   b("esc", "back", "esc", "backspace"),
		Clear:  b("esc", "clear filter", "esc"),
		Follow: b("f", "follow", "f"),
		Conv:   b("c", "conversations", "c"),

		Sort:     b("s", "sort", "s"),
		Reverse:  b("S", "reverse sort", "S"),
		Find:     b("F", "find", "F"),
		FindNext: b("n", "next match", "n"),
		FindPrev: b("N", "previous match", "N"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+f", " "),
		Home:     b("home", "first", "home", "ctrl+a"),
		End:      b("end", "last (follow)", "end", "ctrl+e", "G"),

		GroupKey: b("g", "group key", "g"),
		Metric:   b("m", "metric", "m"),
		Presets:  b("p", "presets", "p"),
		Export:   b("e", "export view", "e"),
		Copy:     b("y", "copy (OSC 52)", "y"),
		Why:      b("w", "why (record or pair)", "w"),
		ZoomIn:   b("+", "zoom in", "+", "="),
		ZoomOut:  b("-", "zoom out", "-", "_"),
		Remote:   b("R", "run on the remote engine", "R"),
		Left:     b("←/h", "earlier", "left", "h"),
		Right:    b("→/l", "later", "right", "l"),
		PanLeft:  b("[", "pan earlier", "[", "shift+left"),
		PanRight: b("]", "pan later", "]", "shift+right"),
		Mark:     b("v", "select range", "v"),

		PickPrev: b("↑", "previous", "up"),
		PickNext: b("↓", "next", "down"),
		Pick:     b("enter", "choose", "enter"),

		Apply:    b("enter", "apply filter", "enter"),
		Cancel:   b("esc", "cancel", "esc"),
		HistPrev: b("↑", "older filter", "up"),
		HistNext: b("↓", "newer filter", "down"),
		Save:     b("ctrl+s", "save as…", "ctrl+s"),

		InputLeft:        b("←", "cursor left", "left", "ctrl+b"),
		InputRight:       b("→", "cursor right", "right", "ctrl+f"),
		InputWordLeft:    b("alt+←", "word left", "alt+left", "ctrl+left", "alt+b"),
		InputWordRight:   b("alt+→", "word right", "alt+right", "ctrl+right", "alt+f"),
		InputStart:       b("home", "line start", "home", "ctrl+a"),
		InputEnd:         b("end", "line end", "end", "ctrl+e"),
		InputDeleteBack:  b("bksp", "delete back", "backspace", "ctrl+h"),
		InputDelete:      b("del", "delete", "delete", "ctrl+d"),
		InputDeleteWord:  b("ctrl+w", "delete word", "ctrl+w", "alt+backspace"),
		InputDeleteStart: b("ctrl+u", "delete to start", "ctrl+u"),
		InputDeleteEnd:   b("ctrl+k", "delete to end", "ctrl+k"),
	}
}

// helpSection is a titled group of bindings in the full help.
type helpSection struct {
	title    string
	bindings []key.Binding
}

// sections lists every binding by topic, for the help view and KeyTable.
func (k *KeyMap) sections() []helpSection {
	return []helpSection{
		{"Views", []key.Binding{k.Flows, k.Groups, k.Chart, k.Sources, k.Findings, k.NextView, k.PrevView, k.Help, k.Quit, k.ForceQuit, k.Suspend}},
		{"Table", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Open, k.Drill, k.Back, k.Follow, k.Conv, k.Sort, k.Reverse, k.Find, k.FindNext, k.FindPrev}},
		{"Analysis", []key.Binding{k.GroupKey, k.Metric, k.ZoomIn, k.ZoomOut, k.PanLeft, k.PanRight, k.Left, k.Right, k.Mark, k.Remote, k.Presets, k.Export, k.Copy, k.Why}},
		{"Filter", []key.Binding{k.Filter, k.Clear, k.Apply, k.Save, k.Cancel, k.HistPrev, k.HistNext}},
		{"Pickers", []key.Binding{k.PickPrev, k.PickNext, k.Pick, k.Cancel}},
		{"Filter editing", []key.Binding{k.InputLeft, k.InputRight, k.InputWordLeft, k.InputWordRight, k.InputStart,
			k.InputEnd, k.InputDeleteBack, k.InputDelete, k.InputDeleteWord, k.InputDeleteStart, k.InputDeleteEnd}},
	}
}

// viewKeys returns the bindings whose action depends on the view: the
// root enables those the active view lists in its FullHelp.
func (k *KeyMap) viewKeys() []*key.Binding {
	return []*key.Binding{&k.Open, &k.Drill, &k.Follow, &k.Conv, &k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End,
		&k.Sort, &k.Reverse, &k.Find, &k.FindNext, &k.FindPrev,
		&k.GroupKey, &k.Metric, &k.ZoomIn, &k.ZoomOut, &k.Left, &k.Right, &k.PanLeft, &k.PanRight, &k.Mark, &k.Remote, &k.Export, &k.Why}
}

// KeyTable renders every binding of the default key map as a Markdown
// table (key, action): the README's key table.
func KeyTable() string {
	var b strings.Builder
	b.WriteString("| key | action |\n| --- | --- |\n")
	for _, s := range DefaultKeyMap().sections() {
		for _, kb := range s.bindings {
			h := kb.Help()
			b.WriteString("| `" + h.Key + "` | " + h.Desc + " |\n")
		}
	}
	return b.String()
}
