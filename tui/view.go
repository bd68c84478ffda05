package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model/detect"
)

// viewID names a view in the root's table (rootModel.views).
type viewID uint8

const (
	viewFlows viewID = iota
	viewGroups
	viewChart
	viewSources
	viewFindings
	viewDetail
	viewWhy
	viewHelp
	numViews
)

// tab is a view switched to with its number key and tab/shift+tab.
type tab struct {
	id   viewID
	name string
	key  func(*KeyMap) key.Binding // the view's number key
}

// tabs are the views switched with 1..5 and tab, in order. A new tab is
// one entry here, one binding in keys.go and one view in newRootModel.
var tabs = []tab{
	{viewFlows, "Flows", func(k *KeyMap) key.Binding { return k.Flows }},
	{viewGroups, "Groups", func(k *KeyMap) key.Binding { return k.Groups }},
	{viewChart, "Chart", func(k *KeyMap) key.Binding { return k.Chart }},
	{viewSources, "Sources", func(k *KeyMap) key.Binding { return k.Sources }},
	{viewFindings, "Findings", func(k *KeyMap) key.Binding { return k.Findings }},
}

// isTab reports whether id is one of the tabs (not detail or help, which
// open over a tab).
func isTab(id viewID) bool {
	for _, t := range tabs {
		if t.id == id {
			return true
		}
	}
	return false
}

// view is the contract every view in the root's table keeps (see doc.go
// for the protocol). Views are pointers changed in place, so Update
// returns only the command to run. Embedding viewBase gives a view its
// env, its size, the request slot and the defaults of the optional parts.
type view interface {
	// Update takes in a message: keys only while the view is active,
	// data messages (ownedMsg) whenever they are the view's.
	Update(msg tea.Msg) tea.Cmd
	// View renders exactly the size set: h lines of w cells.
	View() string
	// SetSize sets the area the view fills.
	SetSize(w, h int)
	// ShortHelp lists the keys of the hint line.
	ShortHelp() []key.Binding
	// FullHelp lists every key the view acts on: the root enables exactly
	// these (with the global keys), so the help shows only what works.
	FullHelp() [][]key.Binding
	// take returns what the view asked of the root in its last update,
	// once (see request).
	take() (request, bool)
	// setVisible tells the view whether it is on screen; an analysis view
	// re-runs its question while it is, and returns the run to start.
	setVisible(on bool) tea.Cmd
	// exportJob describes what e writes from this view; false: nothing.
	exportJob() (exportJob, bool)
	// copyItems lists what y offers from this view, before the applied
	// filter's items that every view offers.
	copyItems() []copyItem
}

// viewBase is embedded by every view: the shared env, the area, the
// request slot, and the defaults (no export, nothing to copy, no
// visibility to track) a view overrides when it has them.
type viewBase struct {
	env  *env
	w, h int

	req   request
	asked bool
}

// SetSize sets the view's area.
func (b *viewBase) SetSize(w, h int) { b.w, b.h = w, h }

// ask leaves a request for the root to take after this update.
func (b *viewBase) ask(r request) { b.req, b.asked = r, true }

// take returns the request left by the last update, once.
func (b *viewBase) take() (request, bool) {
	r, ok := b.req, b.asked
	b.req, b.asked = request{}, false
	return r, ok
}

// setVisible is a no-op for views with nothing to refresh.
func (b *viewBase) setVisible(bool) tea.Cmd { return nil }

// exportJob reports that the view has nothing to export.
func (b *viewBase) exportJob() (exportJob, bool) { return exportJob{}, false }

// copyItems offers nothing of the view's own.
func (b *viewBase) copyItems() []copyItem { return nil }

// requestKind is what a view asks of the root.
type requestKind uint8

const (
	reqOpen  requestKind = iota + 1 // open record row in the detail view
	reqPick                         // open a picker; the choice comes back as a pickedMsg
	reqDrill                        // narrow the filter to a group and open Flows
)

// request is something a view cannot do itself because it reaches past
// its own state: open another view, open a picker over the screen, change
// the applied filter. The view leaves it with ask during its Update; the
// root takes it in the same Update (so keys typed ahead already see its
// effect) and acts on it.
type request struct {
	kind requestKind

	row uint64 // reqOpen: global row id in the env's selSnap

	purpose choosePurpose // reqPick: what the choice is for
	title   string        // reqPick: the picker's title
	items   []choice      // reqPick: what it offers
	cursor  int           // reqPick: the item the cursor starts on

	drill drillRequest // reqDrill

	remote remoteAsk // reqRemote

	why detect.WhyQuery // reqWhy
}

// ownedMsg is a data message that belongs to one view (a result of its
// own command, a tick it asked for, a choice it asked for): the root
// hands it to that view, active or not.
type ownedMsg interface {
	tea.Msg
	owner() viewID
}

// pickedMsg is the choice made in a picker a view asked for.
type pickedMsg struct {
	to      viewID
	purpose choosePurpose
	index   int    // into the request's items; past them: the typed text (an item the picker offered for it)
	text    string // what was typed in the picker
}

func (m pickedMsg) owner() viewID { return m.to }
