package main

import (
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model/detect"
)

// applyPreset turns --preset NAME into the question it names (the
// explorer's p picker offers the same ones): its filter joins --filter as
// a parsed expression, and its group key and metric fill --group-by and
// --metrics unless those were given. A chart preset groups by minute.
func (q *queryFlags) applyPreset() error {
	if q.preset == "" {
		return nil
	}
	p, ok := detect.LookupPreset(q.preset)
	if !ok {
		return usagef("--preset %q: unknown (one of: %s)", q.preset, presetNames())
	}
	if p.Filter != "" {
		n, err := filter.ParseAll(q.filter, p.Filter)
		if err != nil {
			if _, err2 := filter.Parse(q.filter); err2 != nil {
				return nil // compileFilter reports the mistake in --filter, with its caret
			}
			return usagef("--preset %s: %v", p.Name, err)
		}
		q.filter = n.String()
	}
	if q.groupBy == "" && q.metrics == "" {
		q.groupBy, q.metrics = p.GroupBy, p.Metric
		if p.View == "chart" {
			q.groupBy = "minute"
		}
	}
	return nil
}

// presetNames lists the presets' names.
func presetNames() string {
	var names []string
	for _, p := range detect.Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
