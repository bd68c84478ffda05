package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/source"
)

// viewID names a view slot of the root model.
type viewID uint8

const (
	viewFlows viewID = iota
	viewGroups
	viewChart
	viewSources
	viewDetail
	viewHelp
)

// tabs are the views switched with 1..4 and tab, in order.
var tabs = [...]struct {
	id   viewID
	name string
}{{viewFlows, "Flows"}, {viewGroups, "Groups"}, {viewChart, "Chart"}, {viewSources, "Sources"}}

// Model is the root model. It owns the window size, which view is active,
// the filter bar's focus and the shared env (theme, keys, clock, snapshot,
// selection), and routes every message in a fixed order:
//
//  1. while the filter bar has focus, every key goes to it (ctrl+c still
//     quits);
//  2. then the global keys: quit, help, filter, view switches;
//  3. typed data messages go to their owner (snapshots and filter results
//     to the root's query, counts to the filter bar, statuses to the
//     sources view and the status bar);
//  4. anything else goes to the active view only.
//
// The pickers (g, m, p, y) and the export prompt are inputs too: while
// one is open it takes every key. Analysis results (groups, series,
// exports) are data messages of step 3; drill-down, presets and copy are
// in analysis.go.
type Model struct {
	env *env
	cfg Config
	w   int
	h   int

	active viewID
	stack  []viewID // views to return to from detail and help

	flows   *Flows
	groups  *Groups
	chart   *Chart
	sources *Sources
	detail  *Detail
	help    *Help
	bar     *FilterBar
	status  *StatusBar
	choose  *Chooser
	prompt  *Prompt
	hints   help.Model

	drills  []drillLevel     // the drill-down path, oldest first
	presets []resolvedPreset // the p picker's questions
	copies  []copyItem       // what the open copy picker offers
	clip    clipboard        // an OSC 52 sequence on its way to the terminal

	q      query
	note   string          // a recoverable error, shown in place of the key hints
	failed map[string]bool // sources already reported as failed
	err    error           // why the program ended, for Run
}

// NewModel returns the root model for cfg. The initial filter is compiled
// here, so a bad one fails before the program starts.
func NewModel(cfg Config) (*Model, error) {
	if cfg.Index == nil || cfg.Feed == nil {
		return nil, fmt.Errorf("tui: Config needs an Index and a Feed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	theme := NewTheme(!cfg.NoColor)
	e := &env{theme: theme, keys: DefaultKeyMap(), now: cfg.Now, logf: cfg.Logf, follow: cfg.Follow}
	e.snap = cfg.Index.Snapshot()
	f, err := filter.CompileAt(cfg.Filter, cfg.Now())
	if err != nil {
		return nil, err
	}
	ps := cfg.Presets
	if ps == nil {
		ps = DefaultPresets()
	}
	presets, err := resolvePresets(ps)
	if err != nil {
		return nil, err
	}
	m := &Model{env: e, cfg: cfg, w: 80, h: 24, presets: presets}
	m.flows = newFlows(e)
	m.groups = newGroups(e)
	m.chart = newChart(e)
	m.choose = newChooser(e)
	m.prompt = newPrompt(e)
	m.sources = newSources(e)
	m.detail = newDetail(e)
	m.help = newHelp(e)
	m.bar = newFilterBar(e)
	m.status = newStatusBar(e)
	m.hints = help.Model{ShortSeparator: "  ", FullSeparator: "    ", Ellipsis: "…", Styles: help.Styles{
		Ellipsis: theme.Muted, ShortKey: theme.Key, ShortDesc: theme.Desc, ShortSeparator: theme.Muted,
		FullKey: theme.Key, FullDesc: theme.Desc, FullSeparator: theme.Muted,
	}}
	e.expr = strings.TrimSpace(cfg.Filter)
	if e.expr != "" {
		m.bar.history = append(m.bar.history, e.expr)
	}
	m.q.set(e.expr, f, nil, nil)
	m.layout()
	return m, nil
}

// Err returns the error that ended the program, if any.
func (m *Model) Err() error { return m.err }

// Init starts the data flow: the first evaluation, the snapshot wait and
// the status poll.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(
		m.q.snapshot(m.env.snap),
		waitSnapshot(m.cfg.Feed, m.cfg.Index, 0),
		statusCmd(m.cfg.Feed, m.cfg.Index, m.env.now, 0),
	)
}

// Update routes a message (see Model for the order).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return m, nil
	case fatalMsg:
		m.err = msg.err
		return m, tea.Quit
	case tea.KeyMsg:
		m.note = ""
		if key.Matches(msg, m.env.keys.ForceQuit) {
			return m, tea.Quit
		}
		m.status.flash("", false)
		if m.bar.Focused() { // 1. the focused input takes every key
			var cmd tea.Cmd
			m.bar, cmd = m.bar.Update(msg)
			m.layout()
			if a, ok := m.bar.takeApply(); ok {
				m.drills = nil // a filter typed by hand starts a new path
				m.layout()
				return m, tea.Batch(cmd, m.apply(a))
			}
			return m, cmd
		}
		if m.choose.Focused() || m.prompt.Focused() {
			return m, m.modalKey(msg)
		}
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return m, m.splitKeys(msg) // "jj" read at once over a slow link
		}
		if cmd, ok := m.globalKey(msg); ok { // 2. global keys
			return m, cmd
		}
	// 3. typed data messages go to their owner.
	case snapshotMsg:
		m.env.snap, m.env.done = msg.snap, msg.done
		m.status, _ = m.status.Update(msg)
		m.flows, _ = m.flows.Update(msg)
		cmds := []tea.Cmd{m.q.snapshot(msg.snap)}
		if !msg.done {
			cmds = append(cmds, waitSnapshot(m.cfg.Feed, m.cfg.Index, snapshotEvery))
		}
		return m, tea.Batch(cmds...)
	case evalMsg:
		cmd, current := m.q.result(msg)
		if current {
			m.env.sel, m.env.selSnap, m.env.pending = m.q.sel, m.q.selSnap, false
			m.env.debugf("filter %q: %d of %d rows in %s", m.q.expr, msg.sel.Count, msg.snap.Rows(), msg.took)
			return m, tea.Batch(cmd, m.refreshAnalysis())
		}
		return m, cmd
	case groupMsg:
		var cmd tea.Cmd
		m.groups, cmd = m.groups.Update(msg)
		return m, cmd
	case seriesMsg:
		var cmd tea.Cmd
		m.chart, cmd = m.chart.Update(msg)
		return m, cmd
	case tickMsg:
		var cmd tea.Cmd
		if msg.owner == viewGroups {
			m.groups, cmd = m.groups.Update(msg)
		} else {
			m.chart, cmd = m.chart.Update(msg)
		}
		return m, cmd
	case exportMsg:
		m.exported(msg)
		return m, nil
	case clipMsg:
		return m, m.clip.update(msg)
	case previewMsg:
		var cmd tea.Cmd
		m.bar, cmd = m.bar.Update(msg)
		return m, cmd
	case statusMsg:
		m.sources, _ = m.sources.Update(msg)
		m.status, _ = m.status.Update(msg)
		m.noteFailures(msg)
		return m, statusCmd(m.cfg.Feed, m.cfg.Index, m.env.now, statusEvery)
	case applyFilterMsg:
		return m, m.apply(msg)
	}
	cmd := m.updateActive(msg) // 4. the rest goes to the active view
	return m, tea.Batch(cmd, m.takeRequests())
}

// apply makes a filter the applied one.
func (m *Model) apply(a applyFilterMsg) tea.Cmd {
	m.env.expr = a.expr
	cmd := m.q.set(a.expr, a.flt, a.snap, a.sel)
	m.env.pending = m.q.pending() || m.q.running
	if m.q.sel != nil {
		m.env.sel, m.env.selSnap = m.q.sel, m.q.selSnap
	}
	return tea.Batch(cmd, m.refreshAnalysis())
}

// noteFailures shows a note when a source fails (the rest go on).
func (m *Model) noteFailures(msg statusMsg) {
	for _, st := range msg.statuses {
		if st.State == source.StateFailed && !m.failed[st.Name] {
			if m.failed == nil {
				m.failed = map[string]bool{}
			}
			m.failed[st.Name] = true
			m.note = "source " + st.Name + " failed: " + st.Reason + " (4: sources)"
			m.env.debugf("source %s failed: %s", st.Name, st.Reason)
		}
	}
}

// splitKeys handles runes that arrived in one read (fast typing, a slow
// SSH link) as the separate key presses they were.
func (m *Model) splitKeys(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		one := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt && i == 0}
		_, cmd := m.Update(one)
		cmds = append(cmds, cmd)
		if m.bar.Focused() && i+1 < len(msg.Runes) { // "/" opened the bar: the rest is text
			rest := tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i+1:]}
			_, cmd = m.Update(rest)
			return tea.Batch(append(cmds, cmd)...)
		}
	}
	return tea.Batch(cmds...)
}

// globalKey handles the keys that work in every view.
func (m *Model) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.env.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit, true
	case key.Matches(msg, k.Help):
		if m.active == viewHelp {
			m.pop()
		} else {
			m.push(viewHelp)
		}
		return nil, true
	case key.Matches(msg, k.Filter):
		cmd := m.bar.Focus()
		m.layout()
		return cmd, true
	case key.Matches(msg, k.Presets):
		m.openPresets()
	case key.Matches(msg, k.Export):
		m.openExport()
	case key.Matches(msg, k.Copy):
		m.openCopy()
	case key.Matches(msg, k.Flows):
		return m.switchTo(viewFlows), true
	case key.Matches(msg, k.Groups):
		return m.switchTo(viewGroups), true
	case key.Matches(msg, k.Chart):
		return m.switchTo(viewChart), true
	case key.Matches(msg, k.Sources):
		return m.switchTo(viewSources), true
	case key.Matches(msg, k.NextView):
		return m.switchTo(tabs[(m.tabIndex()+1)%len(tabs)].id), true
	case key.Matches(msg, k.PrevView):
		return m.switchTo(tabs[(m.tabIndex()+len(tabs)-1)%len(tabs)].id), true
	case key.Matches(msg, k.Back) && len(m.stack) > 0:
		m.pop() // leave detail or help
	case key.Matches(msg, k.Back) && len(m.drills) > 0:
		return m.popDrill(), true
	case key.Matches(msg, k.Back) && m.active != viewFlows:
		return m.switchTo(viewFlows), true
	default:
		return nil, false
	}
	return nil, true
}

// switchTo makes a tab active, forgetting the way back, and lets the
// analysis views know whether they are on screen.
func (m *Model) switchTo(id viewID) tea.Cmd {
	m.active, m.stack = id, m.stack[:0]
	return tea.Batch(m.groups.setVisible(id == viewGroups), m.chart.setVisible(id == viewChart))
}

// push opens a view over the current one (detail, help).
func (m *Model) push(id viewID) {
	m.stack = append(m.stack, m.active)
	m.active = id
}

// pop returns to the view under the current one.
func (m *Model) pop() {
	if n := len(m.stack); n > 0 {
		m.active, m.stack = m.stack[n-1], m.stack[:n-1]
		return
	}
	m.active = viewFlows
}

// tabIndex returns the position of the current tab in tabs.
func (m *Model) tabIndex() int {
	for i, t := range tabs {
		if t.id == m.tabOf() {
			return i
		}
	}
	return 0
}

// tabOf returns the tab the active view sits in: detail and help belong
// to the tab they were opened from.
func (m *Model) tabOf() viewID {
	if m.active <= viewSources {
		return m.active
	}
	for i := len(m.stack) - 1; i >= 0; i-- {
		if m.stack[i] <= viewSources {
			return m.stack[i]
		}
	}
	return viewFlows
}

// updateActive hands a message to the active view.
func (m *Model) updateActive(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch m.active {
	case viewFlows:
		m.flows, cmd = m.flows.Update(msg)
	case viewGroups:
		m.groups, cmd = m.groups.Update(msg)
	case viewChart:
		m.chart, cmd = m.chart.Update(msg)
	case viewSources:
		m.sources, cmd = m.sources.Update(msg)
	case viewDetail:
		m.detail, cmd = m.detail.Update(msg)
	case viewHelp:
		m.help, cmd = m.help.Update(msg)
	}
	return cmd
}
