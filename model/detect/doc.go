// Package detect finds what people open flow logs to find, live, over the
// index: detections (port scans and sweeps, brute force, exfiltration,
// one-way traffic, blocked internal traffic, reject spikes, logging gaps)
// and the "why can't A talk to B" diagnosis, plus the named questions
// (presets) that the explorer and `query --preset` share.
//
// Detections are data (Spec: a name, a one-line explanation, the filter
// expression that picks the records a detection counts, its thresholds and
// its severity rules); the Engine runs them incrementally as the index
// grows, over the rows appended since its last Update, and keeps every
// finding even after the index has evicted the rows behind it (the
// finding is then marked Evicted). Each finding names its evidence as a
// filter expression, built as a filter AST, that selects exactly the
// records it counted.
//
// Why pairs both directions of a conversation on every interface that
// logged it and gives a verdict from what was recorded, with what flow logs
// cannot tell apart and the Reachability Analyzer command that would.
//
// detect imports only model, model/vpc (the rules a diagnosis is checked
// against: rules.go), filter and the standard library. It must
// never import source, tui or cmd.
package detect
