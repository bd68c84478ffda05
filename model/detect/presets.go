package detect

import "strings"

// Preset is a named question asked often in an incident, answered by a
// filter and a view rather than by a detection: the explorer's p picker
// and `flowlens query --preset NAME` share them. The questions the
// detections answer themselves (scans, brute force, data leaving) have no
// preset: their findings are better answers.
type Preset struct {
	// Name is short: it shows in the picker and the breadcrumb, and
	// query --preset takes it.
	Name string
	// Desc says in a line what the answer shows.
	Desc string
	// Filter is a filter expression (DESIGN §4); "" selects everything.
	Filter string
	// View is "groups", "chart" or "flows".
	View string
	// GroupBy is the group key in query syntax ("srcaddr",
	// "srcaddr,dstaddr"); a chart groups by time.
	GroupBy string
	// Metric is the metric in query syntax: count, bytes, packets,
	// rejects, reject-ratio or distinct(FIELD).
	Metric string
}

// Presets returns the built-in questions.
func Presets() []Preset {
	return []Preset{
		{Name: "top talkers", Desc: "sources by bytes sent", View: "groups", GroupBy: "srcaddr", Metric: "bytes"},
		{Name: "rejected sources", Desc: "who is being blocked: sources of REJECT records",
			Filter: "action = REJECT", View: "groups", GroupBy: "srcaddr", Metric: "count"},
		{Name: "rejected destination ports", Desc: "which ports are blocked most",
			Filter: "action = REJECT", View: "groups", GroupBy: "dstport", Metric: "count"},
		{Name: "rejected conversations", Desc: "which source -> destination pairs are blocked, by rejects (w on one: why)",
			Filter: "action = REJECT", View: "groups", GroupBy: "srcaddr,dstaddr", Metric: "count"},
		{Name: "rejects over time", Desc: "REJECT flows per bucket", Filter: "action = REJECT", View: "chart", Metric: "count"},
	}
}

// LookupPreset finds a preset by name (any case).
func LookupPreset(name string) (Preset, bool) {
	for _, p := range Presets() {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Preset{}, false
}
