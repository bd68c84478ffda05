package tui

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// groupKeyChoice is one entry of the g picker: one or more group keys
// (model.ParseGroupKey names) and the field whose distinct values are its
// "peers".
type groupKeyChoice struct {
	label string
	keys  []string
	peer  string
	desc  string
	// merge: one row per pair of addresses, both directions, each flow
	// counted once across the interfaces that logged it
	// (mergeConversations); a distinct count stays directed.
	merge bool
}

// groupKeyChoices are the keys offered by g, most asked-for first.
var groupKeyChoices = []groupKeyChoice{
	{"srcaddr", []string{"srcaddr"}, "dstaddr", "source address", false},
	{"dstaddr", []string{"dstaddr"}, "srcaddr", "destination address", false},
	{"dstport", []string{"dstport"}, "srcaddr", "destination port", false},
	{"conversation", []string{"srcaddr", "dstaddr"}, "dstport", "address pair, both directions, each flow once", true},
	{"conversation →", []string{"srcaddr", "dstaddr"}, "dstport", "source → destination pair, one direction", false},
	{"interface-id", []string{"interface-id"}, "srcaddr", "network interface (ENI)", false},
	{"srcaddr/24", []string{"srcaddr/24"}, "dstaddr", "source /24 (IPv6: /64)", false},
	{"dstaddr/24", []string{"dstaddr/24"}, "srcaddr", "destination /24 (IPv6: /64)", false},
	{"protocol", []string{"protocol"}, "srcaddr", "IP protocol", false},
	{"action", []string{"action"}, "srcaddr", "ACCEPT or REJECT", false},
	{"srcport", []string{"srcport"}, "dstaddr", "source port", false},
	{"flow-direction", []string{"flow-direction"}, "srcaddr", "ingress or egress (v5)", false},
	{"vpc-id", []string{"vpc-id"}, "srcaddr", "VPC (v3)", false},
	{"subnet-id", []string{"subnet-id"}, "srcaddr", "subnet (v3)", false},
	{"instance-id", []string{"instance-id"}, "srcaddr", "instance (v3)", false},
	{"pkt-dst-aws-service", []string{"pkt-dst-aws-service"}, "srcaddr", "AWS service of the destination (v5)", false},
	{"log-status", []string{"log-status"}, "interface-id", "OK, NODATA, SKIPDATA", false},
	{"minute", []string{"minute"}, "srcaddr", "start time, by minute", false},
	{"hour", []string{"hour"}, "srcaddr", "start time, by hour", false},
	{"src-name", []string{"src-name"}, "dstaddr", "source's name (EC2, names file, demo)", false},
	{"dst-name", []string{"dst-name"}, "srcaddr", "destination's name", false},
	{"interface-name", []string{"interface-name"}, "srcaddr", "interface's name", false},
}

// keyChoice returns the key choice of st: a typed one, or one of the
// list.
func keyChoice(st groupsState) groupKeyChoice {
	if st.custom != nil {
		return *st.custom
	}
	return groupKeyChoices[st.key]
}

// customKey reads group keys typed in the g picker, as query --group-by
// takes them: one to four keys, separated by commas or spaces
// ("srcaddr/16", "5m", "srcaddr,dstport"); false when they do not parse
// or name a key of the list.
func customKey(text string) (groupKeyChoice, bool) {
	names := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' })
	if len(names) == 0 || len(names) > 4 {
		return groupKeyChoice{}, false
	}
	for _, c := range groupKeyChoices {
		if strings.Join(c.keys, ",") == strings.Join(names, ",") && !c.merge {
			return groupKeyChoice{}, false // on the list already
		}
	}
	for _, n := range names {
		if _, ok := source.NameGroupKey(n, nil); ok {
			continue
		}
		if _, err := model.ParseGroupKey(n); err != nil {
			return groupKeyChoice{}, false
		}
	}
	peer := "srcaddr"
	if strings.HasPrefix(names[0], "src") {
		peer = "dstaddr"
	}
	return groupKeyChoice{label: strings.Join(names, ","), keys: names, peer: peer, desc: "typed key"}, true
}

// groupMetricChoice is one entry of the m picker; an empty metric means
// the key's distinct peers.
type groupMetricChoice struct {
	label  string
	metric string
	desc   string
}

// groupMetricChoices are the metrics offered by m.
var groupMetricChoices = []groupMetricChoice{
	{"flows", "count", "records"},
	{"bytes", "bytes", "sum of bytes"},
	{"packets", "packets", "sum of packets"},
	{"dst ports", "distinct(dstport)", "distinct destination ports (port scans)"},
	{"peers", "", "distinct peers: destinations of a source, sources of the rest"},
	{"rejects", "rejects", "REJECT records"},
	{"reject ratio", "reject-ratio", "REJECT records / records"},
}

// groupTop is how many groups a result keeps (the table scrolls over
// them; export writes every group).
const groupTop = 1000

// groupsState is what the Groups view restores when a drill-down level
// is popped: key and metric (indexes into the choices) and the cursor.
type groupsState struct {
	key, metric, cursor int
	custom              *groupKeyChoice // a key typed in the g picker (nil: groupKeyChoices[key])
	by                  groupSort       // the column the table is sorted by (s)
	asc                 bool            // ascending (S): the metric's smallest groups are asked for, not sorted from the top
}

// groupSort is the column the Groups table is sorted by.
type groupSort uint8

const (
	sortMetric groupSort = iota // the ranked metric: the query's own order
	sortKey                     // the key, among the groups kept
	sortFlows                   // the flows column, among the groups kept
	numSorts
)

// groupMsg is a group-by result (Groups).
type groupMsg struct {
	gen     uint64
	sel     *model.Selection
	covered *model.Selection // the rows answered for: sel, or its newest rows when sel's did not fit in memory
	res     *model.GroupResult
	err     error
	took    time.Duration
	merged  bool // res is mergeConversations': one row per pair, both directions
}

func (groupMsg) owner() viewID { return viewGroups }

// groupCmd runs q over sel off the UI goroutine, within the scratch
// space budget b leaves (see groupScratch; growing: sources are live).
// A merge question (a conversation's sums) is answered by
// mergeConversations instead.
func groupCmd(gen uint64, snap *model.Snapshot, sel *model.Selection, q model.GroupQuery, merge bool, b model.Budget, growing bool) tea.Cmd {
	return func() tea.Msg {
		t0 := time.Now()
		if merge {
			res, covered, err := mergeConversations(snap, sel, q, scratchFor(b, snap.Memory, growing))
			return groupMsg{gen: gen, sel: sel, covered: covered, res: res, err: err, took: time.Since(t0), merged: true}
		}
		top := q.Top
		if q.Metrics[0].Kind == model.MetricRejectRatio {
			q.Top = 0 // the small groups are dropped before the cut (minRatioFlows)
		}
		res, covered, err := groupScratch(snap, sel, q, b, growing)
		if err == nil && q.Metrics[0].Kind == model.MetricRejectRatio {
			dropSmall(res, top)
		}
		return groupMsg{gen: gen, sel: sel, covered: covered, res: res, err: err, took: time.Since(t0)}
	}
}

// minRatioFlows is the fewest records a group needs to be ranked by
// reject ratio: one rejected probe is 100% rejected, and a thousand of
// them would hide the group that matters. The header says so.
const minRatioFlows = 10

// dropSmall removes the groups with fewer than minRatioFlows records
// from a reject-ratio ranking (its second metric counts them), then
// keeps top; Groups still counts every group.
func dropSmall(res *model.GroupResult, top int) {
	rows := res.Rows[:0]
	for _, r := range res.Rows {
		if len(r.Vals) > 1 && r.Vals[1] >= minRatioFlows {
			rows = append(rows, r)
		}
	}
	if top > 0 && len(rows) > top {
		rows = rows[:top:top]
	}
	res.Rows = rows
}

// merges reports whether the question of st is answered merged: a
// conversation key ranked by a sum.
func merges(st groupsState, q model.GroupQuery) bool {
	return keyChoice(st).merge && mergeable(q)
}

// groupQuery builds the query of a key and metric choice: the chosen
// metric first (the one ranked by), then flows when it is another.
func groupQuery(st groupsState, labels *source.Labels) (model.GroupQuery, error) {
	kc := keyChoice(st)
	mc := groupMetricChoices[st.metric]
	var q model.GroupQuery
	for _, n := range kc.keys {
		if k, ok := source.NameGroupKey(n, nil); ok && labels != nil {
			k.Label = labels // the names of the moment (env.syncNames)
			q.Keys = append(q.Keys, k)
			continue
		}
		k, err := model.ParseGroupKey(n)
		if err != nil {
			return q, err
		}
		q.Keys = append(q.Keys, k)
	}
	name := mc.metric
	if name == "" {
		name = "distinct(" + kc.peer + ")"
	}
	m, err := model.ParseMetric(name)
	if err != nil {
		return q, err
	}
	q.Metrics = []model.Metric{m}
	if m.Kind != model.MetricCount {
		q.Metrics = append(q.Metrics, model.Metric{Kind: model.MetricCount, Name: "count"})
	}
	q.Top = groupTop
	q.Asc = st.by == sortMetric && st.asc // the smallest groups, not the largest sorted backwards
	return q, nil
}

// metricLabel names the ranked metric in headers ("peers" says which).
func metricLabel(st groupsState) string {
	mc := groupMetricChoices[st.metric]
	if mc.metric == "" {
		return "peers (" + keyChoice(st).peer + ")"
	}
	return mc.label
}

// groupsView is the top-N view: the applied filter's records grouped by
// a chosen key (g) and ranked by a chosen metric (m), each group with its
// value, its share of the total and a proportional bar. It regroups in a
// command whenever the question or the selection changes (live data at
// most every refreshEvery, and only while it is on screen); enter drills
// into the group under the cursor.
type groupsView struct {
	viewBase
	analysis
	remoteShown // R (remote.go)

	st      groupsState
	res     *model.GroupResult
	covered *model.Selection // the rows res answers for (fewer than asked when memory ran short)
	merged  bool             // res has one row per pair, both directions (mergeConversations)
	err     error
	gf      groupFind // F, n, N (find.go)
}

// drillRequest is a drill-down asked for by enter on a group: the label
// of its breadcrumb level and the parsed clause that selects the group
// (err when the clause could not be built; the root says so).
type drillRequest struct {
	label  string
	clause filter.Node
	err    error
	exact  bool // the clause replaces the applied filter (a finding's evidence) instead of narrowing it
}

// newGroups returns the Groups view, grouping by srcaddr by flows.
func newGroups(e *env) *groupsView {
	return &groupsView{viewBase: viewBase{env: e}, analysis: analysis{to: viewGroups}}
}

// state returns what a drill-down level saves.
func (v *groupsView) state() groupsState { return v.st }

// restore puts back a saved state; the caller refreshes.
func (v *groupsView) restore(st groupsState) {
	if st.key != v.st.key || st.custom != v.st.custom || st.metric != v.st.metric || st.by == sortMetric && st.asc != v.st.asc {
		v.questionChanged()
		v.leaveRemote()
		v.change(v.res != nil)
	}
	v.st = st
}

// setKey and setMetric change the question and regroup at once.
func (v *groupsView) setKey(i int) tea.Cmd {
	if i < 0 || i >= len(groupKeyChoices) {
		return nil
	}
	v.restore(groupsState{key: i, metric: v.st.metric, by: v.st.by, asc: v.st.asc})
	return v.refresh()
}

func (v *groupsView) setMetric(i int) tea.Cmd {
	if i < 0 || i >= len(groupMetricChoices) {
		return nil
	}
	v.restore(groupsState{key: v.st.key, metric: i, by: v.st.by, asc: v.st.asc})
	return v.refresh()
}

// setVisible tells the view whether it is on screen; it regroups when
// it comes into view with newer data.
func (v *groupsView) setVisible(on bool) tea.Cmd {
	was := v.visible
	v.visible = on
	if was && !on && v.covered != nil && v.covered.Count > releaseRows {
		return releaseCmd // a big answer's scratch space goes back when the view is left
	}
	return v.refresh()
}

// refresh brings the result up to the applied filter's newest selection:
// a new filter is a new question (its run starts at once); new rows for
// the same filter regroup at most every refreshEvery.
func (v *groupsView) refresh() tea.Cmd {
	if v.keepRemote(v.env) {
		return nil // a remote answer stays until the question changes
	}
	v.leaveRemote()
	ok, cmd := v.due(v.env, v.res != nil)
	if !ok {
		return cmd
	}
	q, err := groupQuery(v.st, v.env.labels)
	if err != nil {
		v.failed()
		v.err = err
		return nil
	}
	return groupCmd(v.ref.gen, v.env.selSnap, v.runSel, q, merges(v.st, q), v.env.mem, !v.env.done)
}

// Update takes in results, ticks and picker choices, moves the cursor,
// asks for the key and metric pickers, and asks to drill into the group
// under the cursor.
func (v *groupsView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case groupMsg:
		current, again := v.done(msg.gen, msg.sel, v.env)
		if !current || v.remote != "" {
			return nil
		}
		v.res, v.err, v.covered, v.merged = msg.res, msg.err, msg.covered, msg.merged
		v.sortRows()
		v.clamp()
		v.findNote()
		v.env.debugf("groups %s by %s: %d groups in %s", keyChoice(v.st).label, metricLabel(v.st), v.groups(), msg.took)
		v.clamp()
		if again {
			return v.refresh()
		}
	case tickMsg:
		return v.tick(v.refresh)
	case pickedMsg:
		switch msg.purpose {
		case chooseKey:
			if c, ok := customKey(msg.text); ok && msg.index >= len(groupKeyChoices) {
				v.restore(groupsState{custom: &c, metric: v.st.metric, by: v.st.by, asc: v.st.asc})
				return v.refresh()
			}
			return v.setKey(msg.index)
		case chooseMetric:
			return v.setMetric(msg.index)
		}
	case tea.KeyMsg:
		k := v.env.keys
		page := max(1, v.rowsHeight()-1)
		switch {
		case key.Matches(msg, k.Up):
			v.st.cursor--
		case key.Matches(msg, k.Down):
			v.st.cursor++
		case key.Matches(msg, k.PageUp):
			v.st.cursor -= page
		case key.Matches(msg, k.PageDown):
			v.st.cursor += page
		case key.Matches(msg, k.Home):
			v.st.cursor = 0
		case key.Matches(msg, k.End):
			v.st.cursor = 1 << 30
		case key.Matches(msg, k.Sort):
			return v.setSort(v.nextSort(), v.st.by == sortMetric) // a key reads best A to Z, numbers largest first
		case key.Matches(msg, k.Reverse):
			return v.setSort(v.st.by, !v.st.asc)
		case key.Matches(msg, k.Find):
			v.ask(request{kind: reqFind})
		case key.Matches(msg, k.FindNext):
			v.findStep(1)
		case key.Matches(msg, k.FindPrev):
			v.findStep(-1)
		case key.Matches(msg, k.GroupKey):
			v.askPicker(chooseKey)
		case key.Matches(msg, k.Metric):
			v.askPicker(chooseMetric)
		case key.Matches(msg, k.Remote):
			if a, err := v.remoteAsk(); err != nil {
				v.err = err
			} else {
				v.ask(request{kind: reqRemote, remote: a})
			}
		case key.Matches(msg, k.Drill) && v.remote != "":
			// a remote group: fetch its records from the engine
			if row, ok := v.cursorRow(); ok {
				if a, err := v.recordsAsk(row); err == nil {
					v.ask(request{kind: reqRemote, remote: a})
				}
			}
		case key.Matches(msg, k.Drill):
			if row, ok := v.cursorRow(); ok {
				clause, err := v.rowNode(row)
				v.ask(request{kind: reqDrill, drill: drillRequest{label: v.rowLabel(row), clause: clause, err: err}})
			}
		case key.Matches(msg, k.Why):
			if row, ok := v.cursorRow(); ok {
				if q, ok := whyOfGroup(v.res.Query.Keys, row); ok {
					v.ask(request{kind: reqWhy, why: q})
				}
			}
		}
		v.clamp()
	}
	return nil
}

// nextSort is the column s sorts by next: metric, key, flows (when
// shown), metric.
func (v *groupsView) nextSort() groupSort {
	n := (v.st.by + 1) % numSorts
	if n == sortFlows && (v.res == nil || len(v.res.Query.Metrics) < 2) {
		n = sortMetric
	}
	return n
}

// setSort sorts the table by column by, ascending or not: the metric's
// order is the query's (its smallest groups are asked for), the others
// sort the groups kept at once.
func (v *groupsView) setSort(by groupSort, asc bool) tea.Cmd {
	st := v.st
	st.by, st.asc, st.cursor = by, asc, 0
	if by == sortMetric || v.st.by == sortMetric && v.st.asc {
		v.restore(st)
		return v.refresh()
	}
	v.st = st
	v.sortRows()
	return nil
}

// sortRows puts the kept groups in the order of a key or flows sort
// (the metric's order is the query's own).
func (v *groupsView) sortRows() {
	if v.res == nil || v.st.by == sortMetric {
		return
	}
	rows, by, asc := v.res.Rows, v.st.by, v.st.asc
	slices.SortStableFunc(rows, func(x, y model.GroupRow) int {
		var c int
		if by == sortFlows && len(x.Vals) > 1 {
			c = cmp.Compare(x.Vals[1], y.Vals[1])
		} else {
			for i := range x.Key {
				if c = keyValueCompare(x.Key[i], y.Key[i]); c != 0 {
					break
				}
			}
		}
		if !asc {
			c = -c
		}
		return c
	})
}

// keyValueCompare orders key values: absent first, then addresses by
// address, numbers (ports, protocols, times) by value, text as text.
func keyValueCompare(x, y model.KeyValue) int {
	switch {
	case x.Absent || y.Absent:
		return -cmp.Compare(b2i(x.Absent), b2i(y.Absent))
	case x.Addr.IsValid() && y.Addr.IsValid():
		return cmp.Or(x.Addr.Addr().Compare(y.Addr.Addr()), cmp.Compare(x.Addr.Bits(), y.Addr.Bits()))
	case x.Num != y.Num:
		return cmp.Compare(x.Num, y.Num)
	}
	return strings.Compare(x.Text, y.Text)
}

// sortMark is the header's mark on the sorted column.
func (v *groupsView) sortMark(by groupSort) string {
	switch {
	case v.st.by != by:
		return ""
	case v.st.asc:
		return "▲"
	}
	return "▼"
}

// askPicker asks the root for the key (chooseKey) or metric picker.
func (v *groupsView) askPicker(p choosePurpose) {
	r := request{kind: reqPick, purpose: p}
	if p == chooseKey {
		r.title, r.cursor = "Group by", v.st.key
		for _, c := range groupKeyChoices {
			r.items = append(r.items, choice{c.label, c.desc})
		}
	} else {
		r.title, r.cursor = "Rank groups by", v.st.metric
		for _, c := range groupMetricChoices {
			r.items = append(r.items, choice{c.label, c.desc})
		}
	}
	v.ask(r)
}

// exportJob writes every group of the question on screen (run again
// without the top-N cut), once its answer is current.
func (v *groupsView) exportJob() (exportJob, bool) {
	if v.res == nil || v.stale || v.remote != "" { // export re-runs the question locally
		return exportJob{}, false
	}
	j := exportJob{kind: exportGroups, label: "groups by " + keyChoice(v.st).label,
		snap: v.env.selSnap, sel: v.covered, query: v.res.Query, flt: v.env.flt, merge: v.merged}
	if v.resSel != nil {
		j.asked = v.resSel.Count
	}
	return j, true
}

// copyItems offers the group under the cursor: as the filter that drills
// into it, and as JSON.
func (v *groupsView) copyItems() []copyItem {
	r, ok := v.cursorRow()
	if !ok {
		return nil
	}
	q := v.res.Query
	var items []copyItem
	if clause, err := v.rowNode(r); err == nil {
		if f, err := v.env.flt.And(clause); err == nil {
			items = append(items, copyItem{"group as filter", "the filter that drills into the group", f.String()})
		}
	}
	return append(items, copyItem{"group as JSON", "the group's keys and metrics", string(model.AppendGroupJSON(nil, q, r))})
}

// rowNode is the parsed expression selecting a group's records: both
// directions of a merged conversation.
func (v *groupsView) rowNode(row model.GroupRow) (filter.Node, error) {
	if v.merged {
		return pairNode(v.res.Query.Keys, row)
	}
	return drillNode(v.res.Query.Keys, row)
}

// working reports whether the view is computing its first answer to the
// question asked (a live refresh of the same question is not work the
// user waits for).
func (v *groupsView) working() bool {
	return v.stale || v.expr != v.env.expr || v.res == nil && v.err == nil
}

// groups returns the number of rows the result holds.
func (v *groupsView) groups() int {
	if v.res == nil {
		return 0
	}
	return len(v.res.Rows)
}

// clamp keeps the cursor on a row.
func (v *groupsView) clamp() {
	v.st.cursor = min(max(v.st.cursor, 0), max(v.groups()-1, 0))
}

// cursorRow returns the group under the cursor: the row on screen, even
// while a newer question is being answered (enter drills into what the
// user sees; the row carries its own query's keys).
func (v *groupsView) cursorRow() (model.GroupRow, bool) {
	if v.res == nil || v.st.cursor >= len(v.res.Rows) {
		return model.GroupRow{}, false
	}
	return v.res.Rows[v.st.cursor], true
}

// rowLabel names a group in the breadcrumb.
func (v *groupsView) rowLabel(row model.GroupRow) string {
	if v.merged {
		return "conversation " + rowKeyText(v.res.Query.Keys, row, nil, true)
	}
	parts := make([]string, len(row.Key))
	for i, k := range v.res.Query.Keys {
		parts[i] = k.Name + " " + keyText(k, row.Key[i], nil)
	}
	return strings.Join(parts, ", ")
}

// rowsHeight is the number of group lines (title and header excluded).
func (v *groupsView) rowsHeight() int { return max(1, v.h-2) }

// keyText renders one key value for people: ports with their service,
// protocols by name, times as clock times; text from logs is sanitized.
func keyText(k model.GroupKey, kv model.KeyValue, names *vpc.Config) string {
	if kv.Absent {
		return "- (absent)"
	}
	if k.Label == nil && names != nil {
		// An address or interface with a name: "10.0.21.14 app-8", as a
		// port shows its service.
		var n string
		switch {
		case k.Field.Kind() == model.KindAddr && kv.Addr.IsValid() && kv.Addr.IsSingleIP():
			n = names.NameOfAddr(kv.Addr.Addr())
		case k.Field == model.FieldInterfaceID:
			n = names.NameOfInterface(kv.Text)
		}
		if n != "" {
			return model.Sanitize(kv.Text + " " + n)
		}
	}
	switch {
	case k.Bucket > 0:
		t := time.Unix(int64(kv.Num), 0).UTC()
		if k.Bucket >= 86400 {
			return t.Format("2006-01-02")
		}
		return t.Format("01-02 15:04")
	case k.Prefix == 0 && (k.Field == model.FieldDstPort || k.Field == model.FieldSrcPort):
		if n := model.PortName(uint16(kv.Num)); n != "" {
			return kv.Text + " " + n
		}
	case k.Field == model.FieldProtocol:
		if n := model.ProtocolName(uint8(kv.Num)); n != kv.Text {
			return n + " (" + kv.Text + ")"
		}
	}
	return model.Sanitize(kv.Text)
}

// rowKeyText renders a group's keys: a pair of addresses as "a → b",
// a merged conversation (both directions) as "a ⇄ b".
func rowKeyText(keys []model.GroupKey, row model.GroupRow, names *vpc.Config, merged bool) string {
	if len(keys) == 1 {
		return keyText(keys[0], row.Key[0], names)
	}
	sep := " · "
	switch {
	case merged:
		sep = " ⇄ "
	case len(keys) == 2 && keys[0].Field.Kind() == model.KindAddr && keys[1].Field.Kind() == model.KindAddr:
		sep = " → "
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = keyText(k, row.Key[i], names)
	}
	return strings.Join(parts, sep)
}

// metricText renders a metric value to fit a narrow column.
func metricText(m model.Metric, v float64) string {
	switch m.Kind {
	case model.MetricBytes:
		return model.HumanBytes(uint64(v))
	case model.MetricRejectRatio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return model.HumanCount(uint64(v))
}

// shareText renders v's share of total ("" where a share means nothing).
func shareText(m model.Metric, v, total float64) string {
	// A ratio has no share; nor has a distinct count: one group's ten
	// peers and another's are often the same ten, so they do not add up
	// to the total.
	if m.Kind == model.MetricRejectRatio || m.Kind == model.MetricDistinct || total <= 0 {
		return ""
	}
	p := 100 * v / total
	if p > 0 && p < 0.05 { // would round to 0.0%: say it is small, not nothing
		return "<0.1%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// bar draws v of top as a bar of w cells, in eighths of a cell; any
// non-zero value shows at least one eighth.
func bar(v, top float64, w int) string {
	if w <= 0 {
		return ""
	}
	if top <= 0 || v <= 0 || math.IsNaN(v) {
		return strings.Repeat(" ", w)
	}
	eighths := int(math.Round(min(v/top, 1) * float64(w*8)))
	eighths = max(eighths, 1)
	const parts = " ▏▎▍▌▋▊▉"
	var b strings.Builder
	b.WriteString(strings.Repeat("█", eighths/8))
	n := eighths / 8
	if r := eighths % 8; r > 0 {
		b.WriteString(string([]rune(parts)[r]))
		n++
	}
	b.WriteString(strings.Repeat(" ", w-n))
	return b.String()
}

// groupLayout is the column widths of the table for a width and result.
type groupLayout struct {
	key, val, share, bar, flows int
}

// layoutGroups fits the columns into w cells (gutter included): the key
// as wide as its longest visible value within limits, the bar the rest.
func layoutGroups(w int, keyWidth int, secondary bool) groupLayout {
	l := groupLayout{val: 9, share: 6}
	if secondary {
		l.flows = 7
	}
	fixed := 1 + 1 + l.val + 1 + l.share + 1
	if secondary {
		fixed += 1 + l.flows
	}
	// The key takes what its values need, leaving the bar at least 8
	// cells: a value cut short (an address) is worse than a shorter bar.
	l.key = min(max(keyWidth, 12), max(12, w-fixed-8))
	l.bar = w - fixed - l.key
	if l.bar < 4 && secondary {
		l.flows = 0
		l.bar += 8
	}
	if l.bar < 4 {
		l.key = max(6, l.key-(4-l.bar))
		l.bar = w - fixed - l.key
	}
	return l
}

// groupLine renders one group: gutter, key, value, share, bar, flows;
// plain text of exactly w cells, with the bar's cell range for styling.
// names (nil: none) adds the names of address and interface keys.
func groupLine(res *model.GroupResult, row model.GroupRow, l groupLayout, cursor bool, names *vpc.Config, merged bool) (line string, barFrom, barTo int) {
	q := res.Query
	var b []byte
	if cursor {
		b = append(b, '>')
	} else {
		b = append(b, ' ')
	}
	kt := rowKeyText(q.Keys, row, names, merged)
	b = appendPad(b, truncateMiddle(kt, l.key), l.key, false)
	b = append(b, ' ')
	b = appendPad(b, metricText(q.Metrics[0], row.Vals[0]), l.val, true)
	b = append(b, ' ')
	b = appendPad(b, shareText(q.Metrics[0], row.Vals[0], res.Totals[0]), l.share, true)
	b = append(b, ' ')
	barFrom = len(b)
	top := 0.0 // the largest kept: the first but for a sort by another column
	for _, r := range res.Rows {
		top = max(top, r.Vals[0])
	}
	if q.Metrics[0].Kind == model.MetricRejectRatio {
		top = 1
	}
	b = append(b, bar(row.Vals[0], top, l.bar)...)
	barTo = len(b)
	if l.flows > 0 && len(row.Vals) > 1 {
		b = append(b, ' ')
		b = appendPad(b, model.HumanCount(uint64(row.Vals[1])), l.flows, true)
	}
	return string(b), barFrom, barTo
}

// View renders the title, the column header and the visible groups:
// exactly h lines of w cells.
func (v *groupsView) View() string {
	t := v.env.theme
	out := make([]string, 0, v.h)
	title := fitLine(v.title(), v.w)
	if n := v.gf.note; n != "" && v.w > 20 { // the find's state, at the right of the title
		n = truncate(" "+n+" ", v.w/2)
		title = fitLine(v.title(), v.w-width(n)) + t.Label.Render(n)
	}
	out = append(out, title)
	res := v.res
	if res == nil || len(res.Rows) == 0 || v.err != nil {
		msg := v.emptyText()
		out = append(out, fitLine(t.Muted.Render(" "+msg), v.w))
		return fillLines(out, v.w, v.h)
	}
	q := res.Query
	secondary := len(q.Metrics) > 1
	rh := v.rowsHeight()
	top := min(max(0, v.st.cursor-rh/2), max(0, len(res.Rows)-rh))
	widest := func(names *vpc.Config) int {
		kw := 0
		for i := top; i < len(res.Rows) && i < top+rh; i++ {
			kw = max(kw, width(rowKeyText(q.Keys, res.Rows[i], names, v.merged)))
		}
		return kw
	}
	nc := v.env.nameConfig()
	kw := widest(nc)
	l := layoutGroups(v.w, kw, secondary)
	if nc != nil && kw > l.key {
		// Names would push addresses into the ellipsis (a pair at 80
		// columns): whole addresses matter more; Detail and w name them.
		nc = nil
		l = layoutGroups(v.w, widest(nil), secondary)
	}
	hdr := []byte{' '}
	keyName := keyChoice(v.st).label
	switch {
	case v.merged:
		keyName = "conversation (both ways)"
	case len(q.Keys) == 2 && q.Keys[0].Field.Kind() == model.KindAddr && q.Keys[1].Field.Kind() == model.KindAddr:
		keyName = q.Keys[0].Name + " → " + q.Keys[1].Name
	case len(q.Keys) > 1:
		names := make([]string, len(q.Keys))
		for i, k := range q.Keys {
			names[i] = k.Name
		}
		keyName = strings.Join(names, " · ")
	}
	hdr = appendPad(hdr, keyName+v.sortMark(sortKey), l.key, false)
	hdr = append(hdr, ' ')
	hdr = appendPad(hdr, v.sortMark(sortMetric)+groupMetricChoices[v.st.metric].label, l.val, true)
	hdr = append(hdr, ' ')
	hdr = appendPad(hdr, "share", l.share, true)
	hdr = append(hdr, ' ')
	hdr = appendPad(hdr, "", l.bar, false)
	if l.flows > 0 {
		hdr = append(hdr, ' ')
		hdr = appendPad(hdr, v.sortMark(sortFlows)+"flows", l.flows, true)
	}
	out = append(out, t.Header.Render(fitLine(string(hdr), v.w)))
	for i := top; i < top+rh && len(out) < v.h; i++ {
		if i >= len(res.Rows) {
			break
		}
		cur := i == v.st.cursor
		line, bf, bt := groupLine(res, res.Rows[i], l, cur, nc, v.merged)
		line = fitLine(line, v.w)
		switch {
		case cur:
			out = append(out, t.Selected.Render(line))
		case bt <= len(line):
			out = append(out, line[:bf]+t.Bar.Render(line[bf:bt])+line[bt:])
		default:
			out = append(out, line)
		}
	}
	return fillLines(out, v.w, v.h)
}

// title says what is grouped, how, and how much.
func (v *groupsView) title() string {
	t := v.env.theme
	kc := keyChoice(v.st)
	head := "top "
	if v.st.by == sortMetric && v.st.asc {
		head = "bottom "
	}
	s := " " + t.Label.Render(head+kc.label) + " by " + t.Label.Render(metricLabel(v.st))
	if r := v.res; r != nil && v.st.by != sortMetric && r.Groups > len(r.Rows) {
		s += t.Muted.Render(" · sorted among these")
	}
	if groupMetricChoices[v.st.metric].metric == "reject-ratio" && v.remote == "" {
		s += t.Muted.Render(" · groups of " + itoa(minRatioFlows) + "+ flows")
	}
	switch {
	case v.merged:
		s += t.Muted.Render(" · both ways, each flow once")
	case kc.merge && v.res != nil:
		s += t.Muted.Render(" · one way (a distinct count does not merge)")
	}
	switch r := v.res; {
	case v.remoteNote != "": // a remote question in flight: room for its progress
	case r != nil && v.remote != "": // the engine does not count the flows
		s += t.Muted.Render(" · " + itoa(len(r.Rows)) + " of " + itoa(r.Groups) + " groups")
	case r != nil && !v.working() && v.err == nil:
		s += t.Muted.Render(" · " + itoa(len(r.Rows)) + " of " + itoa(r.Groups) + " groups · " +
			model.HumanCount(uint64(r.Count)) + " flows")
		if c := v.covered; c != nil && v.resSel != nil && c.Count < v.resSel.Count {
			s += " " + t.Warn.Render("newest "+model.HumanCount(uint64(c.Count))+" of "+
				model.HumanCount(uint64(v.resSel.Count))+" (memory: see 4)")
		}
	}
	if v.remote == "" && (v.working() || v.ref.running) {
		s += t.Muted.Render(" · grouping…")
	}
	return s + v.remoteTitle(t)
}

// emptyText explains an empty table.
func (v *groupsView) emptyText() string {
	switch {
	case errors.Is(v.err, model.ErrScratch):
		return "cannot group: " + v.err.Error() + ": narrow the filter (/), choose a coarser key (g) or raise --max-memory"
	case v.err != nil:
		return "cannot group: " + v.err.Error()
	case v.res == nil:
		return "grouping…"
	case v.env.snap == nil || v.env.snap.Rows() == 0:
		return "waiting for records…"
	case v.res.Groups > 0 && groupMetricChoices[v.st.metric].metric == "reject-ratio":
		return "no group has the " + itoa(minRatioFlows) + " flows a reject ratio needs (m: rank by rejects)"
	default:
		return "no record matches the filter (/ to change it)"
	}
}

// fillLines pads out to h lines of w cells.
func fillLines(out []string, w, h int) string {
	for len(out) < h {
		out = append(out, strings.Repeat(" ", w))
	}
	return strings.Join(out[:h], "\n")
}

// ShortHelp lists the view's main keys.
func (v *groupsView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.GroupKey, k.Metric, k.Drill, k.Back, k.Filter, k.Remote, k.Presets, k.Sort, k.Find, k.Export, k.Copy}
}

// FullHelp lists every key of the view.
func (v *groupsView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.GroupKey, k.Metric, k.Sort, k.Reverse, k.Find, k.FindNext, k.FindPrev, k.Drill, k.Why, k.Back, k.Remote, k.Export}}
}
