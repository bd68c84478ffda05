// Package tui is the interactive flowlens explorer: a Bubble Tea program
// over one live index. It owns the root model and its views (Flows,
// Groups, Chart, Sources, Detail, Help), the filter bar, the picker
// behind g, m, p and y, the export prompt, the status bar, the key map
// (keys.go, the one place bindings are declared) and the theme (theme.go,
// the one place styles are built). cmd/flowlens needs only Run, Config
// (with Feed and Preset) and KeyTable; everything else is unexported.
//
// # Data flow
//
// source.Mux publishes index snapshots; the root model re-arms a command
// that waits for the next one (at most ten a second) and re-runs the
// applied filter over the new rows only, in a command tagged with a
// generation so stale results are dropped. Groups and Chart re-run their
// group-by or series the same way, over the applied filter's selection,
// at most four times a second while data streams and only while they are
// on screen (the lifecycle they share is the analysis type). Enter on a
// group drills down: the applied filter narrowed by the group's clause
// (filter.Filter.And combines parsed expressions, never text), a
// breadcrumb level that back pops. Presets keep the time window the
// explorer was started with (Config.Since, Config.Until) the same way. Export
// writes from immutable snapshots in a command; copy travels as OSC 52
// inside the program's own output. Update and View never scan the index:
// View renders only the visible window of the selection
// (model.Selection.Nth), so a frame costs the same over 10 or 10 million
// records. Every string that came from a log passes through model.Sanitize
// before it reaches the terminal.
//
// # Views
//
// Every view keeps the view contract (view.go): Update, View, SetSize,
// ShortHelp and FullHelp, plus the optional parts viewBase gives defaults
// for (take, setVisible, exportJob, copyItems). The root keeps the views
// in one table indexed by viewID and never switches on the active view:
// it routes to m.views[m.active], asks the tab's view for its export job
// and the active view for its copy items. A new tab is one view, one
// entry in tabs (view.go) and one binding in keys.go. Views are pointers
// changed in place, so their Update returns only a command (STYLE 13 has
// it return the concrete type; in a table of one interface that would
// need a type assertion per call instead).
//
// # Remote questions (R)
//
// With Config.Remote set (cmd builds it from --engine), R in Groups or
// Chart asks the question on screen of Athena or Logs Insights
// (remote.go): the root prepares it in a command, shows its scope in a
// picker for confirmation, runs it in a goroutine whose progress and end
// come back as remoteMsgs (Update never waits), stops it on esc, and hands
// the answer to the view, which shows it marked until the question or the
// filter changes. Enter on a remote group fetches its records into an
// index of their own, shown in Flows as a drill-down level; while it is,
// the applied filter's local results do not replace them.
//
// # Requests: what a view asks of the root
//
// A view changes only its own state. What reaches further (open a record
// in Detail, open a picker over the screen, drill down, which changes the
// applied filter) it leaves as a request with viewBase.ask during its
// Update; right after handing a message to the active view, the root
// takes the request (view.take) and serves it in the same Update, so keys
// typed ahead already see its effect. A picker's choice comes back to the
// view that asked as a pickedMsg. The filter bar (takeApply), the picker
// (take) and the export prompt (take) are polled the same way by the
// root while they have focus.
//
// # Messages and their owners
//
// Keys go, in order, to the focused input (filter bar, picker, prompt),
// then to the global keys, then to the active view. Data messages go to
// their owner whatever is on screen: snapshotMsg to the root (then Flows
// and the status bar), evalMsg to the root's query, previewMsg to the
// filter bar, statusMsg to Sources and the status bar, exportMsg and
// clipMsg to the root, and every ownedMsg (groupMsg, seriesMsg, tickMsg,
// pickedMsg) to the view its owner method names.
//
// # The shared env
//
// The env (env.go) is the context every view reads: theme, keys, clock,
// and the data of the moment. The root writes snap, sel, selSnap, expr,
// pending and done, and only in Update. The one exception is follow,
// which Flows writes when the user moves or presses f (the status bar
// reads it). The root also enables and disables bindings in keys after
// every update (rootModel.syncKeys); views only read them.
//
// tui imports model, filter and source. Nothing but cmd/flowlens may
// import tui.
package tui
