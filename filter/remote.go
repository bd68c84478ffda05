package filter

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// PlanKind says what a remote question asks for.
type PlanKind uint8

// Plan kinds.
const (
	PlanRecords PlanKind = iota // matching records, as flow-log lines
	PlanGroups                  // group-by keys and metrics (no keys: totals over the selection)
	PlanSeries                  // flows, bytes and packets per time bucket and action
)

// String names the kind.
func (k PlanKind) String() string {
	switch k {
	case PlanRecords:
		return "records"
	case PlanGroups:
		return "groups"
	case PlanSeries:
		return "series"
	}
	return "plan?"
}

// Plan is a question rendered for a remote engine (Athena SQL or a Logs
// Insights query) together with what is needed to read the engine's
// answer back into the shapes local queries produce: flow-log lines,
// a model.GroupResult or model.Buckets. Answers arrive as a header of
// column names and rows of text in which NULL (or a missing field) reads
// "-", the flow-log spelling of an absent value.
type Plan struct {
	Engine string   // "athena" or "insights"
	Text   string   // the SQL statement or the Insights query
	Kind   PlanKind // what the answer holds
	// Group is the group-by question (PlanGroups); Keys may be empty
	// (totals over the selection).
	Group model.GroupQuery
	// Bucket is the series' bucket size in seconds (PlanSeries).
	Bucket int64
	// Format is the record format: the columns an Athena records query
	// selects, in order, or the format of Insights' @message lines.
	Format *model.Format
	// Limit is the most rows asked for: records, or Insights' row cap.
	Limit int
	// Start and End bound the records a query can see (Insights needs them
	// for StartQuery; zero when unbounded). They include the partition /
	// timestamp padding and are wider than the filter's own bounds.
	Start, End time.Time

	// cols are the answer's columns the readers use, by role.
	keyCols []string // one per group key (series: bucket, action)
	aggCols []string // Insights: the aggregates metricCols refer to
	// metricCol says how each metric is read: an index into aggCols, or
	// for reject-ratio the rejects and count aggregates.
	metricCol [][2]int
	msgCol    string // Insights records: the @message column
}

// colIndex maps names to positions; for duplicate names the first wins.
func colIndex(cols []string) map[string]int {
	m := make(map[string]int, len(cols))
	for i, c := range cols {
		if _, ok := m[c]; !ok {
			m[c] = i
		}
	}
	return m
}

func (p *Plan) find(idx map[string]int, name string) (int, error) {
	i, ok := idx[name]
	if !ok {
		return 0, fmt.Errorf("%s answer has no column %q", p.Engine, name)
	}
	return i, nil
}

// RecordLines turns a records answer into flow-log lines in p.Format, one
// per row, each ending in a newline.
func (p *Plan) RecordLines(cols []string, rows [][]string) ([]byte, error) {
	if p.Kind != PlanRecords {
		return nil, fmt.Errorf("plan is for %s, not records", p.Kind)
	}
	var b []byte
	if p.msgCol != "" {
		i, err := p.find(colIndex(cols), p.msgCol)
		if err != nil {
			if len(rows) == 0 {
				return nil, nil
			}
			return nil, err
		}
		for _, r := range rows {
			if i < len(r) {
				b = append(b, r[i]...)
				b = append(b, '\n')
			}
		}
		return b, nil
	}
	n := len(p.Format.Names)
	for _, r := range rows {
		for c := range n {
			if c > 0 {
				b = append(b, ' ')
			}
			v := "-"
			if c < len(r) && r[c] != "" {
				v = r[c]
			}
			// A value cannot hold the separator; Parquet strings could.
			b = append(b, strings.Map(func(r rune) rune {
				if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
					return '_'
				}
				return r
			}, v)...)
		}
		b = append(b, '\n')
	}
	return b, nil
}

// GroupAnswer is a group-by answer read back from a remote engine.
type GroupAnswer struct {
	*model.GroupResult
	// Truncated says the engine's row cap cut the answer (Insights: 10,000
	// rows): the top groups are right, since the engine sorted before it
	// cut, but the group count is a lower bound and the totals are unknown.
	Truncated bool
}

// Groups turns a group answer into a result ranked and cut as a local
// group-by's would be. Totals are filled in for the sort metric when the
// answer carries them (Athena) or covers every group (Insights).
func (p *Plan) Groups(cols []string, rows [][]string) (*GroupAnswer, error) {
	if p.Kind != PlanGroups {
		return nil, fmt.Errorf("plan is for %s, not groups", p.Kind)
	}
	q := p.Group
	res := &model.GroupResult{Query: q, Totals: make([]float64, len(q.Metrics))}
	ans := &GroupAnswer{GroupResult: res}
	if len(rows) == 0 {
		return ans, nil // Insights sends no columns for an empty answer
	}
	idx := colIndex(cols)
	keyAt := make([]int, len(p.keyCols))
	for k, name := range p.keyCols {
		i, err := p.find(idx, name)
		if err != nil {
			return nil, err
		}
		keyAt[k] = i
	}
	aggAt := make([]int, len(p.aggCols))
	for a, name := range p.aggCols {
		i, err := p.find(idx, name)
		if err != nil {
			return nil, err
		}
		aggAt[a] = i
	}
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return "-"
	}
	for _, r := range rows {
		row := model.GroupRow{Key: make([]model.KeyValue, len(q.Keys)), Vals: make([]float64, len(q.Metrics))}
		for k, key := range q.Keys {
			kv, err := keyValue(key, cell(r, keyAt[k]))
			if err != nil {
				return nil, fmt.Errorf("%s answer, group key %s: %w", p.Engine, key.Name, err)
			}
			row.Key[k] = kv
		}
		for m := range q.Metrics {
			mc := p.metricCol[m]
			v := number(cell(r, aggAt[mc[0]]))
			if mc[1] >= 0 { // a ratio of two aggregates
				d := number(cell(r, aggAt[mc[1]]))
				v = 0
				if d > 0 {
					v = number(cell(r, aggAt[mc[0]])) / d
				}
			}
			row.Vals[m] = v
		}
		res.Rows = append(res.Rows, row)
	}
	switch p.Engine {
	case "athena":
		// The statement ranked and cut; it also counted the groups and
		// summed the sort metric over all of them (window columns).
		res.Groups = len(res.Rows)
		if i, ok := idx[athenaGroupsCol]; ok {
			res.Groups = int(number(cell(rows[0], i)))
		}
		if i, ok := idx[athenaTotalCol]; ok {
			res.Totals[q.Sort] = number(cell(rows[0], i))
		}
		if len(q.Keys) == 0 && len(res.Rows) == 1 {
			copy(res.Totals, res.Rows[0].Vals)
		}
	default:
		// Insights sorted by the sort metric and capped the rows; the cut
		// to --top happens here so the group count and totals are known
		// when the cap was not reached.
		ans.Truncated = p.Limit > 0 && len(rows) >= p.Limit
		res.Groups = len(res.Rows)
		sortRows(res.Rows, q)
		if !ans.Truncated {
			for _, row := range res.Rows {
				for m, mt := range q.Metrics {
					if additive(mt) {
						res.Totals[m] += row.Vals[m]
					}
				}
			}
		}
		if len(q.Keys) == 0 && len(res.Rows) == 1 {
			copy(res.Totals, res.Rows[0].Vals)
		}
		if q.Top > 0 && len(res.Rows) > q.Top {
			res.Rows = res.Rows[:q.Top]
		}
	}
	return ans, nil
}

// additive reports whether a metric's total is the sum of its groups'.
func additive(m model.Metric) bool {
	return m.Integral() && m.Kind != model.MetricDistinct
}

// sortRows orders group rows by the sort metric (descending unless Asc),
// then by key text, so ties come out in a stable order.
func sortRows(rows []model.GroupRow, q model.GroupQuery) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Vals[q.Sort], rows[j].Vals[q.Sort]
		if a != b {
			if q.Asc {
				return a < b
			}
			return a > b
		}
		for k := range rows[i].Key {
			if x, y := rows[i].Key[k].Text, rows[j].Key[k].Text; x != y {
				return x < y
			}
		}
		return false
	})
}

// number reads a metric value; NULL and junk read as 0.
func number(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return v
}

// insightsTimeLayouts are the ways Insights writes a timestamp.
var insightsTimeLayouts = []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05", time.RFC3339Nano}

// parseBucketTime reads a time bucket: Unix seconds (Athena) or an
// Insights timestamp (UTC).
func parseBucketTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(f), nil
	}
	for _, l := range insightsTimeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("bad time %q", s)
}

// keyValue reads one group key as the engine wrote it.
func keyValue(k model.GroupKey, s string) (model.KeyValue, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return model.KeyValue{Absent: true, Text: "-"}, nil
	}
	switch {
	case k.Bucket > 0:
		t, err := parseBucketTime(s)
		if err != nil {
			return model.KeyValue{}, err
		}
		return model.KeyValue{Text: model.FormatUnix(t), Num: uint64(t)}, nil
	case k.Field.Kind() == model.KindAddr:
		if p, err := netip.ParsePrefix(s); err == nil {
			p = p.Masked()
			if k.Prefix == 0 && p.IsSingleIP() {
				return model.KeyValue{Text: p.Addr().String(), Addr: p}, nil
			}
			return model.KeyValue{Text: p.String(), Addr: p}, nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			// the text as written: the table holds something else there
			return model.KeyValue{Text: s}, nil
		}
		return model.KeyValue{Text: a.String(), Addr: netip.PrefixFrom(a, a.BitLen())}, nil
	case k.Field.Kind() == model.KindUint:
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f < 0 {
				return model.KeyValue{}, fmt.Errorf("bad number %q", s)
			}
			v = uint64(f)
		}
		return model.KeyValue{Text: strconv.FormatUint(v, 10), Num: v}, nil
	case k.Field.Kind() == model.KindEnum:
		for i, e := range model.EnumValues(k.Field) {
			if strings.EqualFold(e, s) {
				return model.KeyValue{Text: e, Num: uint64(i + 1)}, nil
			}
		}
	}
	return model.KeyValue{Text: s}, nil
}

// Series turns a series answer into buckets by start time, split by
// action, as model.Series builds them locally.
func (p *Plan) Series(cols []string, rows [][]string) ([]model.Bucket, error) {
	if p.Kind != PlanSeries {
		return nil, fmt.Errorf("plan is for %s, not series", p.Kind)
	}
	idx := colIndex(cols)
	var at [5]int
	names := append(append([]string(nil), p.keyCols...), p.aggCols...)
	for i, n := range names {
		j, err := p.find(idx, n)
		if err != nil {
			if len(rows) == 0 {
				return nil, nil
			}
			return nil, err
		}
		at[i] = j
	}
	m := map[int64]*model.Bucket{}
	for _, r := range rows {
		get := func(i int) string {
			if at[i] < len(r) {
				return r[at[i]]
			}
			return "-"
		}
		if get(0) == "-" || get(0) == "" {
			continue
		}
		t, err := parseBucketTime(get(0))
		if err != nil {
			return nil, fmt.Errorf("%s answer: %w", p.Engine, err)
		}
		b := m[t]
		if b == nil {
			b = &model.Bucket{Start: t}
			m[t] = b
		}
		a := 0
		for i, e := range model.EnumValues(model.FieldAction) {
			if strings.EqualFold(e, get(1)) {
				a = i + 1
			}
		}
		r := &b.ByAction[a]
		r.Flows += uint64(number(get(2)))
		r.Bytes += uint64(number(get(3)))
		r.Packets += uint64(number(get(4)))
	}
	out := make([]model.Bucket, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, nil
}

// remoteCheck refuses questions a remote engine would answer differently:
// tests on the source pseudo-field or on names (from the VPC
// configuration) cannot be pushed down, and leaving them out would
// silently widen the answer; nor can group keys that group by names.
func remoteCheck(engine string, dropped []Node, g *model.GroupQuery) error {
	if len(dropped) > 0 {
		var parts []string
		for _, d := range dropped {
			parts = append(parts, d.String())
		}
		return fmt.Errorf("%s cannot test %s: the source and names live in flowlens, not in the flow logs (choose the table or log groups; filter on addresses or interface ids)",
			engine, strings.Join(parts, ", "))
	}
	if g != nil {
		for _, k := range g.Keys {
			if k.Label != nil {
				return fmt.Errorf("%s cannot group by %s: names live in flowlens; group by %s instead", engine, k.Name, k.Field)
			}
		}
	}
	return nil
}

// TimeBounds returns the bounds that the filter's top-level conjunction
// puts on a record's start and end (Unix seconds): lo = 0 when unbounded
// below, hi = math.MaxUint64 when unbounded above. The remote engines use
// them to prune partitions and to bound Insights' time range.
func (f *Filter) TimeBounds() (lo, hi uint64) {
	if f.root == nil {
		return f.timeBounds(nil)
	}
	var dropped []Node
	return f.timeBounds(fold(nnf(f.root, false), avail{}, &dropped))
}
