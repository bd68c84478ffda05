package tui

import (
	"fmt"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model/detect"
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

// DefaultPresets returns the built-in questions: model/detect's presets
// (which query --preset asks too), with their group key and metric named
// as the g and m pickers name them.
func DefaultPresets() []Preset {
	var out []Preset
	for _, p := range detect.Presets() {
		out = append(out, presetOf(p))
	}
	return out
}

// presetOf turns a shared preset, whose key and metric are in query
// syntax (srcaddr,dstaddr; count), into the explorer's (conversation;
// flows). A key or metric the pickers do not offer is kept as is, and
// resolvePresets then names it.
func presetOf(p detect.Preset) Preset {
	out := Preset{Name: p.Name, Desc: p.Desc, Filter: p.Filter, View: p.View, GroupKey: p.GroupBy, Metric: p.Metric}
	for _, c := range groupKeyChoices {
		if strings.Join(c.keys, ",") == p.GroupBy {
			out.GroupKey = c.label
		}
	}
	for _, c := range groupMetricChoices {
		if c.metric == p.Metric && c.metric != "" {
			out.Metric = c.label
		}
	}
	return out
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
