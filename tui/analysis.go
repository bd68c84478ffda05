package tui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// The root's part in the analysis views: it opens the pickers and the
// export prompt the views ask for, acts on their choices, and keeps the
// drill-down path (each level a filter narrowed by one group, or a
// preset, with what to restore when it is popped).

// serve acts on what view from asked for in its update: open a record,
// open a picker whose choice goes back to it, drill into a group.
func (m *rootModel) serve(from viewID, r request) tea.Cmd {
	switch r.kind {
	case reqOpen:
		m.detail.open(m.env.selSnap, r.row)
		m.push(viewDetail)
	case reqPick:
		m.pickFor = from
		m.choose.Open(r.purpose, r.title, r.items, r.cursor)
	case reqDrill:
		return m.drillInto(r.drill)
	case reqRemote:
		return m.askRemote(from, r.remote)
	case reqWhy:
		cmd := m.why.open(m.env.snap, r.why, m.window)
		m.push(viewWhy)
		return cmd
	case reqFind:
		m.findFor = from
		if from == viewGroups {
			m.prompt.OpenFind(m.groups.gf.text, "text in the keys, names too")
		} else {
			m.prompt.OpenFind(m.flows.fd.expr, "a filter expression")
		}
		m.layout()
	case reqConv:
		m.groups.restore(convState())
		return m.switchTo(viewGroups)
	}
	return nil
}

// modalKey hands a key to the open picker or prompt and acts on the
// choice made: presets and copy are the root's own; any other choice
// goes back to the view that asked for the picker.
func (m *rootModel) modalKey(msg tea.KeyMsg) tea.Cmd {
	if m.prompt.Focused() {
		m.prompt.Update(msg)
		m.layout()
		if text, ok := m.prompt.take(); ok {
			if m.prompt.find {
				return m.startFind(text)
			}
			if m.prompt.save != "" {
				return m.saveFilter(text, m.prompt.save)
			}
			return m.startExport(text)
		}
		return nil
	}
	m.choose.Update(msg)
	p, i, ok := m.choose.take()
	if !ok {
		return nil
	}
	switch p {
	case choosePreset:
		return m.applyPreset(i)
	case chooseCopy:
		if i < len(m.copies) {
			return m.copyText(m.copies[i].label, m.copies[i].text)
		}
		return nil
	case chooseRemote:
		return m.confirmRemote(i)
	}
	return m.views[m.pickFor].Update(pickedMsg{to: m.pickFor, purpose: p, index: i, text: m.choose.typed})
}

// openPresets opens the preset picker.
func (m *rootModel) openPresets() {
	items := make([]choice, len(m.presets))
	for i, p := range m.presets {
		items[i] = choice{p.Name, p.Desc}
	}
	m.choose.Open(choosePreset, "Presets", items, 0)
}

// openCopy opens the copy picker with what the view offers.
func (m *rootModel) openCopy() {
	m.copies = m.copyItems()
	items := make([]choice, len(m.copies))
	for i, c := range m.copies {
		items[i] = choice{c.label, c.desc}
	}
	m.choose.Open(chooseCopy, "Copy to the clipboard (OSC 52)", items, 0)
}

// pushLevel records a drill-down step that will replace the filter.
func (m *rootModel) pushLevel(label string) {
	m.drills = append(m.drills, drillLevel{
		label: label, prevExpr: m.env.expr, prevFlt: m.q.flt, prevSel: m.env.sel, prevSnap: m.env.selSnap,
		from: m.tabOf(), groups: m.groups.state(),
	})
	m.layout()
}

// drillInto narrows the filter to a group and opens Flows.
func (m *rootModel) drillInto(d drillRequest) tea.Cmd {
	err := d.err
	f := m.env.flt
	switch {
	case err != nil:
	case d.exact: // exactly the clause: a finding's evidence
		f, err = m.env.compile(d.clause.String())
	default:
		f, err = f.And(d.clause)
	}
	if err != nil { // cannot happen for a well-formed key; say so rather than hide it
		m.note = "cannot drill into " + d.label + ": " + err.Error()
		return nil
	}
	m.pushLevel(d.label)
	m.bar.remember(f.String())
	cmd := m.apply(applyFilter{expr: f.String(), flt: f})
	return tea.Batch(cmd, m.switchTo(viewFlows))
}

// popDrill undoes the newest drill-down step: its filter (with the
// selection it had, so the view is back at once) and its view.
func (m *rootModel) popDrill() tea.Cmd {
	n := len(m.drills)
	l := m.drills[n-1]
	m.drills = m.drills[:n-1]
	if m.remote != nil && n <= m.remote.records {
		m.remote.records = 0 // back from fetched records to the live data
	}
	m.layout()
	m.groups.restore(l.groups)
	cmd := m.apply(applyFilter{expr: l.prevExpr, flt: l.prevFlt, snap: l.prevSnap, sel: l.prevSel})
	return tea.Batch(cmd, m.switchTo(l.from))
}

// applyPreset asks preset i's question: its filter, within the time
// window the explorer was started with (Config.Since, Config.Until),
// replaces the applied one (a drill-down level, so back returns), and its
// view opens.
func (m *rootModel) applyPreset(i int) tea.Cmd {
	p := m.presets[i]
	f, err := m.env.compile(p.Filter)
	if err == nil {
		f, err = f.And(m.window)
	}
	if err != nil {
		m.note = "preset " + p.Name + ": " + err.Error()
		return nil
	}
	// Presets replace each other: a new one takes the place of the
	// preset already on the path (and of whatever was drilled under it).
	var replaced *drillLevel
	for i, l := range m.drills {
		if l.preset {
			replaced = &l // a copy: pushLevel reuses the slot
			m.drills = m.drills[:i]
			break
		}
	}
	m.pushLevel("preset: " + p.Name)
	top := &m.drills[len(m.drills)-1]
	if replaced != nil {
		label := top.label
		*top = *replaced
		top.label = label
	}
	top.preset = true
	m.bar.remember(f.String())
	switch p.view {
	case viewGroups:
		m.groups.restore(p.groups)
	case viewChart:
		m.chart.setMetric(p.chart)
	}
	cmd := m.apply(applyFilter{expr: f.String(), flt: f})
	return tea.Batch(cmd, m.switchTo(p.view))
}

// refreshAnalysis lets Groups, Chart and a sorted Flows know the
// selection changed.
func (m *rootModel) refreshAnalysis() tea.Cmd {
	if m.env.pending {
		return nil // the new filter has no selection yet
	}
	return tea.Batch(m.groups.refresh(), m.chart.refresh(), m.flows.refreshSort())
}
