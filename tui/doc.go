// Package tui is the interactive flowlens explorer: a Bubble Tea program
// over one live index. It owns the root model and its views (Flows, Detail,
// Sources, Help, Groups and Chart), the filter bar, the pickers (g, m, p,
// y) and the export prompt, the status bar, the key map (keys.go, the one
// place bindings are declared) and the theme (theme.go, the one place
// styles are built).
//
// Data flows one way: source.Mux publishes index snapshots; the root model
// re-arms a command that waits for the next one (at most ten a second) and
// re-runs the active filter over the new rows only, in a command tagged
// with a generation so stale results are dropped. Groups and Chart
// re-run their group-by or series the same way, over the applied filter's
// selection, at most four times a second while data streams and only while
// they are on screen. Enter on a group drills down (the filter narrowed by
// the group's key values, a breadcrumb level that back pops). Export
// writes from immutable snapshots in a command; copy travels as OSC 52
// inside the program's own output. Update and View never scan the index:
// View renders only the visible window of the selection
// (model.Selection.Nth), so a frame costs the same over 10 or 10 million
// records. Every string that came from a log passes through Sanitize before
// it reaches the terminal.
//
// tui imports model, filter and source. Nothing but cmd/flowlens may
// import tui.
package tui
