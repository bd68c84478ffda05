package tui

import (
	"fmt"
	"strings"

	"github.com/flowlens/flowlens/filter"
)

// Preset is a named question asked often in an incident: a filter and the
// view that answers it. Presets are data: Config.Presets replaces the
// defaults (DefaultPresets). A preset's filter replaces the applied one
// within the explorer's time window (Config.Since, Config.Until).
type Preset struct {
	// Name is short: it shows in the picker and the breadcrumb.
	Name string
	// Desc says in a line what the answer shows.
	Desc string
	// Filter is a filter expression (DESIGN §4); "" selects everything.
	Filter string
	// View is "groups", "chart" or "flows".
	View string
	// GroupKey and Metric pick the Groups key and metric by their label in
	// the g and m pickers ("srcaddr", "conversation"; "bytes", "dst
	// ports"). Chart takes Metric as bytes, packets or flows.
	GroupKey string
	Metric   string
}

// privateNets are the address ranges that are not public: RFC 1918,
// shared (CGNAT), loopback, link-local, and their IPv6 counterparts.
const privateNets = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10, ::1/128"

// DefaultPresets returns the built-in questions.
func DefaultPresets() []Preset {
	return []Preset{
		{Name: "top talkers", Desc: "sources by bytes sent", View: "groups", GroupKey: "srcaddr", Metric: "bytes"},
		{Name: "rejected sources", Desc: "who is being blocked: sources of REJECT records",
			Filter: "action = REJECT", View: "groups", GroupKey: "srcaddr", Metric: "flows"},
		{Name: "rejected destination ports", Desc: "which ports are blocked most",
			Filter: "action = REJECT", View: "groups", GroupKey: "dstport", Metric: "flows"},
		{Name: "SSH/RDP attempts", Desc: "sources connecting to 22 and 3389, by rejects",
			Filter: "dstport in (22, 3389)", View: "groups", GroupKey: "srcaddr", Metric: "rejects"},
		{Name: "possible port scans", Desc: "sources by distinct destination ports under 1024 (replies to ephemeral ports left out)",
			Filter: "dstport < 1024", View: "groups", GroupKey: "srcaddr", Metric: "dst ports"},
		{Name: "egress bytes to public addresses", Desc: "private sources sending to public destinations, by bytes",
			Filter: "srcaddr in (" + privateNets + ") and not dstaddr in (" + privateNets + ")",
			View:   "groups", GroupKey: "dstaddr", Metric: "bytes"},
		{Name: "rejects over time", Desc: "REJECT flows per bucket", Filter: "action = REJECT", View: "chart", Metric: "flows"},
	}
}

// resolvedPreset is a preset checked against the views: its view, the
// indexes of its Groups key and metric or its Chart metric.
type resolvedPreset struct {
	Preset
	view   viewID
	groups groupsState
	chart  chartMetric
}

// resolvePresets checks presets: each filter compiles and each view, key
// and metric exists.
func resolvePresets(ps []Preset) ([]resolvedPreset, error) {
	out := make([]resolvedPreset, 0, len(ps))
	for _, p := range ps {
		r := resolvedPreset{Preset: p}
		if _, err := filter.Compile(p.Filter); err != nil {
			return nil, fmt.Errorf("preset %q: %w", p.Name, err)
		}
		switch strings.ToLower(p.View) {
		case "groups":
			r.view = viewGroups
			k, ok := indexOf(len(groupKeyChoices), func(i int) string { return groupKeyChoices[i].label }, p.GroupKey)
			if !ok {
				return nil, fmt.Errorf("preset %q: unknown group key %q", p.Name, p.GroupKey)
			}
			m, ok := indexOf(len(groupMetricChoices), func(i int) string { return groupMetricChoices[i].label }, p.Metric)
			if !ok {
				return nil, fmt.Errorf("preset %q: unknown metric %q", p.Name, p.Metric)
			}
			r.groups = groupsState{key: k, metric: m}
		case "chart":
			r.view = viewChart
			m, ok := parseChartMetric(p.Metric)
			if !ok && p.Metric != "" {
				return nil, fmt.Errorf("preset %q: unknown chart metric %q (bytes, packets or flows)", p.Name, p.Metric)
			}
			r.chart = m
		case "flows", "":
			r.view = viewFlows
		default:
			return nil, fmt.Errorf("preset %q: unknown view %q (groups, chart or flows)", p.Name, p.View)
		}
		out = append(out, r)
	}
	return out, nil
}

// indexOf finds name among n labels (any case).
func indexOf(n int, label func(int) string, name string) (int, bool) {
	for i := 0; i < n; i++ {
		if strings.EqualFold(label(i), name) {
			return i, true
		}
	}
	return 0, false
}
