package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/source"
)

// rootModel is the root model. It owns the window size, which view is
// active, the filter bar's focus and the shared env (theme, keys, clock,
// snapshot, selection), and routes every message in a fixed order:
//
//  1. while the filter bar has focus, every key goes to it (ctrl+c still
//     quits); while a picker or the export prompt is open, to that;
//  2. then the global keys: quit, help, filter, presets, export, copy,
//     view switches, back;
//  3. typed data messages go to their owner: snapshots and filter results
//     to the root's query, counts to the filter bar, statuses to the
//     sources view and the status bar, and every ownedMsg (a view's own
//     results, ticks and picker choices) to the view it names;
//  4. anything else goes to the active view only, and the root then takes
//     the view's request, if it left one (see request).
//
// The views sit in one table (views, by viewID); the typed fields point
// into it for the few calls that are particular to one view.
type rootModel struct {
	env *env
	cfg Config

	saved       []savedFilter    // named filters (ctrl+s), listed after the presets
	savedPath   string           // where they are kept ("": not kept)
	basePresets []resolvedPreset // the presets without the saved filters
	w           int
	h           int

	active viewID
	stack  []viewID // views to return to from detail and help

	views   [numViews]view
	flows   *flowsView
	groups  *groupsView
	chart   *chartView
	detail  *detailView
	help    *helpView
	why     *whyView
	finds   *findingsView
	bar     *filterBar
	status  *statusBar
	choose  *chooser
	prompt  *prompt
	pickFor viewID // the view the open picker answers (view purposes)
	findFor viewID // the view the find prompt answers (F in Flows or Groups)

	drills  []drillLevel     // the drill-down path, oldest first
	presets []resolvedPreset // the p picker's questions
	copies  []copyItem       // what the open copy picker offers
	clip    clipboard        // an OSC 52 sequence on its way to the terminal

	window   filter.Node // Config's time window, added to every preset (nil: none)
	baseExpr string      // the window's filter alone: what esc at the top leaves
	q        query
	note     string          // a recoverable error, shown in place of the key hints
	failed   map[string]bool // sources already reported as failed
	err      error           // why the program ended, for Run

	denied map[string]bool // IAM actions already noted as refused (Status.Denied)
	// noteHold keeps an access-denied note through keys pressed before it
	// (env clock): typing on must not wipe it unseen.
	noteHold time.Time

	remote    *remoteJob // the remote question of R (remote.go); nil: none
	remoteGen uint64
}

// newRootModel returns the root model for cfg. The initial filter is
// compiled here, so a bad one fails before the program starts.
func newRootModel(cfg Config) (*rootModel, error) {
	if cfg.Index == nil || cfg.Feed == nil {
		return nil, fmt.Errorf("tui: Config needs an Index and a Feed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.procMem == nil {
		cfg.procMem = processMemory
	}
	theme := NewTheme(!cfg.NoColor)
	e := &env{theme: theme, keys: DefaultKeyMap(), now: cfg.Now, logf: cfg.Logf, follow: cfg.Follow,
		names: cfg.Names, labels: &source.Labels{}, mem: cfg.Memory, rules: cfg.Rules}
	e.syncNames()
	e.snap = cfg.Index.Snapshot()
	f, err := e.compile(cfg.Filter)
	if err != nil {
		return nil, err
	}
	window, err := filter.Window(cfg.Since, cfg.Until)
	if err != nil {
		return nil, err
	}
	expr := strings.TrimSpace(cfg.Filter)
	if window != nil {
		if f, err = f.And(window); err != nil {
			return nil, err
		}
		expr = f.String()
	}
	ps := cfg.Presets
	if ps == nil {
		ps = DefaultPresets()
	}
	presets, err := resolvePresets(ps)
	if err != nil {
		return nil, err
	}
	m := &rootModel{env: e, cfg: cfg, w: 80, h: 24, presets: presets, window: window}
	m.flows, m.groups, m.chart, m.detail, m.help = newFlows(e), newGroups(e), newChart(e), newDetail(e), newHelp(e)
	m.why = newWhy(e)
	if m.finds, err = newFindings(e, window); err != nil {
		return nil, err
	}
	m.views = [numViews]view{
		viewFlows:    m.flows,
		viewGroups:   m.groups,
		viewChart:    m.chart,
		viewSources:  newSources(e),
		viewFindings: m.finds,
		viewDetail:   m.detail,
		viewWhy:      m.why,
		viewHelp:     m.help,
	}
	m.choose = newChooser(e)
	m.prompt = newPrompt(e)
	m.bar = newFilterBar(e)
	m.bar.path = historyPath(cfg.ConfigDir)
	m.bar.history = loadHistory(m.bar.path)
	m.bar.saved = len(m.bar.history)
	m.savedPath = savedPath(cfg.ConfigDir)
	m.saved = loadSaved(m.savedPath)
	m.basePresets = presets
	if m.presets, err = withSaved(presets, m.saved); err != nil {
		return nil, err
	}
	m.status = newStatusBar(e)
	e.expr, e.flt = expr, f
	m.bar.remember(e.expr)
	m.q.set(e.expr, f, nil, nil)
	if base, err := m.baseFilter(); err == nil && window != nil {
		m.baseExpr = base.String()
	}
	m.layout()
	m.syncKeys()
	return m, nil
}

// Err returns the error that ended the program, if any.
func (m *rootModel) Err() error { return m.err }

// Init starts the data flow: the first evaluation, the snapshot wait and
// the status poll.
func (m *rootModel) Init() tea.Cmd {
	return tea.Batch(
		m.q.snapshot(m.env.snap),
		m.finds.Update(snapshotMsg{snap: m.env.snap}),
		waitSnapshot(m.cfg.Feed, m.cfg.Index, 0),
		statusCmd(m.cfg.Feed, m.cfg.Index, m.env.now, m.cfg.procMem, 0),
	)
}

// Update routes a message (see rootModel for the order). Whatever
// changed, the key map is brought in line with the view now active.
func (m *rootModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer m.syncKeys()
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return m, nil
	case fatalMsg:
		m.err = msg.err
		return m, tea.Quit
	case tea.KeyMsg:
		if cmd, done := m.key(msg); done { // 1. inputs, 2. global keys
			return m, tea.Batch(cmd, m.bar.saveCmd())
		}
	// 3. typed data messages go to their owner.
	case snapshotMsg:
		m.env.snap, m.env.done = msg.snap, msg.done
		named := m.env.syncNames()
		m.status.Update(msg)
		m.flows.Update(msg)
		cmds := []tea.Cmd{m.q.snapshot(msg.snap), m.finds.Update(msg)}
		if named && m.env.flt.UsesNames() {
			// New names: the applied filter selects again from the start.
			cmds = append(cmds, m.apply(applyFilter{expr: m.env.expr, flt: m.env.flt.WithNames(m.env.names.Load())}))
		}
		if !msg.done {
			cmds = append(cmds, waitSnapshot(m.cfg.Feed, m.cfg.Index, snapshotEvery))
		}
		return m, tea.Batch(cmds...)
	case evalMsg:
		cmd, current := m.q.result(msg)
		if current && !m.showingRemoteRecords() {
			m.env.sel, m.env.selSnap, m.env.pending = m.q.sel, m.q.selSnap, false
			m.env.debugf("filter %q: %d of %d rows in %s", m.q.expr, msg.sel.Count, msg.snap.Rows(), msg.took)
			return m, tea.Batch(cmd, m.refreshAnalysis())
		}
		return m, cmd
	case ownedMsg:
		return m, m.views[msg.owner()].Update(msg)
	case remoteMsg:
		return m, m.remoteUpdate(msg)
	case historySavedMsg:
		if msg.err != nil && m.bar.path != "" {
			m.status.flash("filter history or saved filters not written: "+msg.err.Error(), true)
			m.bar.path = "" // once: the history lasts the run
		}
		return m, nil
	case exportMsg:
		m.exported(msg)
		return m, nil
	case clipMsg:
		return m, m.clip.update(msg)
	case previewMsg:
		return m, m.bar.Update(msg)
	case statusMsg:
		m.env.rss = msg.rss
		m.views[viewSources].Update(msg)
		m.status.Update(msg)
		m.noteFailures(msg)
		return m, statusCmd(m.cfg.Feed, m.cfg.Index, m.env.now, m.cfg.procMem, statusEvery)
	}
	return m, m.updateActive(msg) // 4. the rest goes to the active view
}

// key routes a key press through steps 1 and 2; done says it was used.
func (m *rootModel) key(msg tea.KeyMsg) (cmd tea.Cmd, done bool) {
	m.syncKeys() // views may have changed outside Update (tests call switchTo)
	if !m.env.now().Before(m.noteHold) {
		m.note = ""
	}
	if key.Matches(msg, m.env.keys.ForceQuit) {
		return tea.Quit, true
	}
	m.status.flash("", false)
	switch {
	case m.bar.Focused(): // 1. the focused input takes every key
		cmd := m.bar.Update(msg)
		m.layout()
		if a, ok := m.bar.takeApply(); ok {
			m.drills = nil // a filter typed by hand starts a new path
			if m.bar.saveAsk {
				m.bar.saveAsk = false
				m.prompt.OpenSave(a.expr)
			}
			m.layout()
			return tea.Batch(cmd, m.apply(a)), true
		}
		return cmd, true
	case m.choose.Focused() || m.prompt.Focused():
		return m.modalKey(msg), true
	case msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste:
		return m.splitKeys(msg), true // "jj" read at once over a slow link
	}
	return m.globalKey(msg) // 2. global keys
}

// apply makes a filter the applied one.
func (m *rootModel) apply(a applyFilter) tea.Cmd {
	if m.remote != nil {
		m.remote.records = 0 // a filter applied: the live data again
	}
	m.env.expr, m.env.flt = a.expr, a.flt
	cmd := m.q.set(a.expr, a.flt, a.snap, a.sel)
	m.env.pending = m.q.pending() || m.q.running
	if m.q.sel != nil {
		m.env.sel, m.env.selSnap = m.q.sel, m.q.selSnap
	}
	return tea.Batch(cmd, m.refreshAnalysis())
}

// clearable reports whether esc at the top (Flows, nothing to go back
// to) has a typed filter to clear: one narrower than the explorer's time
// window.
func (m *rootModel) clearable() bool {
	return m.active == viewFlows && len(m.stack) == 0 && len(m.drills) == 0 && m.env.expr != m.baseExpr
}

// baseFilter returns the filter of the explorer's time window alone
// (everything when it has none): what clearing the typed filter leaves.
func (m *rootModel) baseFilter() (*filter.Filter, error) {
	f, err := m.env.compile("")
	if err == nil && m.window != nil {
		f, err = f.And(m.window)
	}
	return f, err
}

// clearFilter drops the typed filter, keeping the time window; the old
// one stays in the history (/ then ↑ brings it back).
func (m *rootModel) clearFilter() tea.Cmd {
	f, err := m.baseFilter()
	if err != nil {
		m.note = "cannot clear the filter: " + err.Error()
		return nil
	}
	m.bar.remember(m.env.expr)
	m.status.flash("filter cleared (/ then ↑ brings it back)", false)
	return m.apply(applyFilter{expr: m.baseExpr, flt: f})
}

// deniedHold is how long an access-denied note survives keys.
const deniedHold = 3 * time.Second

// noteFailures shows a note when a source fails (the rest go on), and
// when an IAM action is refused (EC2 look-ups: names, rules), naming the
// action and what goes missing, once each; that note stays through the
// keys of the next few seconds.
func (m *rootModel) noteFailures(msg statusMsg) {
	var refused []string
	for _, st := range msg.statuses {
		for _, d := range st.Denied {
			if !m.denied[d] {
				if m.denied == nil {
					m.denied = map[string]bool{}
				}
				m.denied[d] = true
				refused = append(refused, d)
				m.env.debugf("%s: access denied: %s", st.Name, d)
			}
		}
	}
	if len(refused) > 0 {
		m.note = "access denied: the credentials need " + strings.Join(refused, ", ") + "; 4: sources"
		m.noteHold = m.env.now().Add(deniedHold)
	}
	for _, st := range msg.statuses {
		if st.State == source.StateFailed && !m.failed[st.Name] {
			if m.failed == nil {
				m.failed = map[string]bool{}
			}
			m.failed[st.Name] = true
			m.note = "source " + st.Name + " failed: " + st.Reason + " (4: sources)"
			if m.active != viewSources {
				m.env.unseen = append(m.env.unseen, st.Name)
			}
			m.env.debugf("source %s failed: %s", st.Name, st.Reason)
		}
	}
}

// splitKeys handles runes that arrived in one read (fast typing, a slow
// SSH link) as the separate key presses they were.
func (m *rootModel) splitKeys(msg tea.KeyMsg) tea.Cmd {
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
func (m *rootModel) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.env.keys
	for _, t := range tabs {
		if key.Matches(msg, t.key(k)) {
			return m.switchTo(t.id), true
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit, true
	case key.Matches(msg, k.Suspend):
		return tea.Suspend, true
	case key.Matches(msg, k.Help):
		if m.active == viewHelp {
			m.pop()
		} else {
			m.help.context(m.viewName(m.active), viewAbout[m.active], m.views[m.active].FullHelp())
			m.push(viewHelp)
		}
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
	case key.Matches(msg, k.NextView):
		return m.switchTo(tabs[(m.tabIndex()+1)%len(tabs)].id), true
	case key.Matches(msg, k.PrevView):
		return m.switchTo(tabs[(m.tabIndex()+len(tabs)-1)%len(tabs)].id), true
	case key.Matches(msg, k.Back) && m.remote.running():
		return m.cancelRemote(), true // stop the remote query first
	case key.Matches(msg, k.Back) && len(m.stack) > 0:
		m.pop() // leave detail or help
	case key.Matches(msg, k.Back) && len(m.drills) > 0:
		return m.popDrill(), true
	case key.Matches(msg, k.Back) && m.active != viewFlows:
		return m.switchTo(viewFlows), true
	case key.Matches(msg, k.Clear):
		return m.clearFilter(), true
	default:
		return nil, false
	}
	return nil, true
}

// switchTo makes a tab active, forgetting the way back, and lets every
// view know whether it is on screen.
func (m *rootModel) switchTo(id viewID) tea.Cmd {
	m.active, m.stack = id, m.stack[:0]
	if id == viewSources {
		m.env.unseen = nil // looked at: the status bar stops saying so
	}
	cmds := make([]tea.Cmd, 0, len(m.views))
	for i, v := range m.views {
		cmds = append(cmds, v.setVisible(viewID(i) == id))
	}
	return tea.Batch(cmds...)
}

// push opens a view over the current one (detail, help).
func (m *rootModel) push(id viewID) {
	m.stack = append(m.stack, m.active)
	m.active = id
}

// pop returns to the view under the current one.
func (m *rootModel) pop() {
	if n := len(m.stack); n > 0 {
		m.active, m.stack = m.stack[n-1], m.stack[:n-1]
		return
	}
	m.active = viewFlows
}

// viewName names a view for people: its tab's name, or what it is.
func (m *rootModel) viewName(id viewID) string {
	for _, t := range tabs {
		if t.id == id {
			return t.name
		}
	}
	if id == viewDetail {
		return "Detail"
	}
	return "Help"
}

// tabIndex returns the position of the current tab in tabs.
func (m *rootModel) tabIndex() int {
	for i, t := range tabs {
		if t.id == m.tabOf() {
			return i
		}
	}
	return 0
}

// tabOf returns the tab the active view sits in: detail and help belong
// to the tab they were opened from.
func (m *rootModel) tabOf() viewID {
	if isTab(m.active) {
		return m.active
	}
	for i := len(m.stack) - 1; i >= 0; i-- {
		if isTab(m.stack[i]) {
			return m.stack[i]
		}
	}
	return viewFlows
}

// updateActive hands a message to the active view, then acts on what the
// view asked for in that update.
func (m *rootModel) updateActive(msg tea.Msg) tea.Cmd {
	from := m.active
	cmd := m.views[from].Update(msg)
	if r, ok := m.views[from].take(); ok {
		return tea.Batch(cmd, m.serve(from, r))
	}
	return cmd
}
