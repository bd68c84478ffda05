package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// InsightsMaxRows is the most rows a Logs Insights query returns.
const InsightsMaxRows = 10000

// InsightsQuery is a question for CloudWatch Logs Insights.
type InsightsQuery struct {
	// Format is the log group's flow-log format (nil = the default v2
	// format, whose fields Insights discovers by itself).
	Format *model.Format
	// Group asks for groups (or, without keys, totals); nil asks for
	// records unless Series is set.
	Group *model.GroupQuery
	// Series asks for flows, bytes and packets per bucket of this many
	// seconds of @timestamp (the record's start), split by action.
	Series int64
	// Limit caps the records (0 or more than InsightsMaxRows: the cap).
	Limit int
}

// InsightsPlan renders a whole question as one Logs Insights query: the
// filter as filter commands, group keys and metrics as one stats command
// (address prefixes through a regex parse of @message and concat, time
// buckets through datefloor(@timestamp)), sorted on the sort metric and
// limited to InsightsMaxRows, since the top-N cut is made from the answer
// (so the group count and totals are known unless the cap is reached).
// Distinct counts use count_distinct, which Insights approximates for
// large sets. A filter that tests the source pseudo-field is refused.
func (f *Filter) InsightsPlan(q InsightsQuery) (*Plan, error) {
	fm := q.Format
	if fm == nil {
		fm = model.DefaultFormat
	}
	base, dropped := f.insightsBase(fm, true)
	if err := remoteCheck("Logs Insights", dropped, q.Group); err != nil {
		return nil, err
	}
	p := &Plan{Engine: "insights", Format: fm}
	var b strings.Builder
	b.WriteString(base)
	cmd := func(s string) {
		b.WriteString("\n| ")
		b.WriteString(s)
	}
	switch {
	case q.Series > 0:
		p.Kind, p.Bucket, p.Limit = PlanSeries, q.Series, InsightsMaxRows
		cmd("fields datefloor(@timestamp, " + insightsPeriod(q.Series) + ") as bucket")
		act := insightsName(model.FieldAction.String())
		cmd("stats count(*) as flows, sum(bytes) as sumBytes, sum(packets) as sumPackets by bucket, " + act)
		cmd("sort bucket asc")
		cmd("limit " + strconv.Itoa(InsightsMaxRows))
		p.keyCols = []string{"bucket", act}
		p.aggCols = []string{"flows", "sumBytes", "sumPackets"}
	case q.Group != nil:
		g := *q.Group
		if len(g.Metrics) == 0 {
			g.Metrics = []model.Metric{{Kind: model.MetricCount, Name: "count"}}
		}
		if g.Sort < 0 || g.Sort >= len(g.Metrics) {
			return nil, fmt.Errorf("group-by: sort metric %d out of range", g.Sort)
		}
		p.Kind, p.Group, p.Limit = PlanGroups, g, InsightsMaxRows
		var by []string
		for i, k := range g.Keys {
			name, prep, err := insightsKey(k, i, fm)
			if err != nil {
				return nil, err
			}
			for _, c := range prep {
				cmd(c)
			}
			by = append(by, name)
			p.keyCols = append(p.keyCols, name)
		}
		var aggs []string
		agg := func(expr, alias string) int {
			for i, a := range p.aggCols {
				if a == alias {
					return i
				}
			}
			aggs = append(aggs, expr+" as "+alias)
			p.aggCols = append(p.aggCols, alias)
			return len(p.aggCols) - 1
		}
		act := insightsName(model.FieldAction.String())
		for _, mt := range g.Metrics {
			switch mt.Kind {
			case model.MetricCount:
				p.metricCol = append(p.metricCol, [2]int{agg("count(*)", "flows"), -1})
			case model.MetricBytes:
				p.metricCol = append(p.metricCol, [2]int{agg("sum(bytes)", "sumBytes"), -1})
			case model.MetricPackets:
				p.metricCol = append(p.metricCol, [2]int{agg("sum(packets)", "sumPackets"), -1})
			case model.MetricRejects:
				p.metricCol = append(p.metricCol, [2]int{agg(`sum(strcontains(`+act+`, "REJECT"))`, "rejects"), -1})
			case model.MetricRejectRatio:
				r := agg(`sum(strcontains(`+act+`, "REJECT"))`, "rejects")
				p.metricCol = append(p.metricCol, [2]int{r, agg("count(*)", "flows")})
			case model.MetricDistinct:
				n := insightsName(mt.Field.String())
				p.metricCol = append(p.metricCol, [2]int{agg("count_distinct("+n+")", "distinct"+strings.ToUpper(n[:1])+n[1:]), -1})
			}
		}
		s := "stats " + strings.Join(aggs, ", ")
		if len(by) > 0 {
			s += " by " + strings.Join(by, ", ")
		}
		cmd(s)
		if len(by) > 0 {
			if mc := p.metricCol[g.Sort]; mc[1] < 0 { // a ratio is ranked from the answer
				dir := " desc"
				if g.Asc {
					dir = " asc"
				}
				cmd("sort " + p.aggCols[mc[0]] + dir)
			}
			cmd("limit " + strconv.Itoa(InsightsMaxRows))
		}
	default:
		p.Kind = PlanRecords
		p.msgCol = "@message"
		p.Limit = q.Limit
		if p.Limit <= 0 || p.Limit > InsightsMaxRows {
			p.Limit = InsightsMaxRows
		}
		cmd("sort @timestamp asc")
		cmd("limit " + strconv.Itoa(p.Limit))
	}
	p.Text = b.String()
	// @timestamp is the record's start, which comes before its end by up
	// to the aggregation interval: pad the range below as the partition
	// pruning does.
	lo, hi := f.TimeBounds()
	if lo > 0 {
		p.Start = time.Unix(int64(max(lo, partitionPad)-partitionPad), 0).UTC()
	}
	if hi < math.MaxUint32 {
		p.End = time.Unix(int64(hi), 0).UTC()
	}
	return p, nil
}

// insightsPeriod writes a bucket size as an Insights period (1h, 5m, 30s).
func insightsPeriod(sec int64) string {
	switch {
	case sec%86400 == 0:
		return strconv.FormatInt(sec/86400, 10) + "d"
	case sec%3600 == 0:
		return strconv.FormatInt(sec/3600, 10) + "h"
	case sec%60 == 0:
		return strconv.FormatInt(sec/60, 10) + "m"
	}
	return strconv.FormatInt(sec, 10) + "s"
}

// insightsKey returns the stats "by" term of group key i and the commands
// that must run before stats to compute it.
func insightsKey(k model.GroupKey, i int, fm *model.Format) (string, []string, error) {
	alias := "k" + strconv.Itoa(i)
	switch {
	case k.Bucket > 0:
		return alias, []string{"fields datefloor(@timestamp, " + insightsPeriod(k.Bucket) + ") as " + alias}, nil
	case k.Field.Kind() == model.KindAddr && k.Prefix > 0 && fm.Has(k.Field):
		// Insights has no prefix function: the octets are cut out of
		// @message by position and the prefix rebuilt with arithmetic.
		// IPv6 addresses do not match and group as absent ("-").
		bits := min(k.Prefix, 32)
		need := (bits + 7) / 8
		var re strings.Builder
		re.WriteString("^")
		if pos := fm.Pos(k.Field); pos > 0 {
			re.WriteString(`(?:\S+ ){` + strconv.Itoa(pos) + `}`)
		}
		var parts []string
		for o := range 4 {
			if o > 0 {
				re.WriteString(`\.`)
			}
			if o < need {
				name := alias + "o" + strconv.Itoa(o+1)
				re.WriteString(`(?<` + name + `>\d+)`)
				v := name
				if r := bits - 8*o; r < 8 {
					step := strconv.Itoa(1 << (8 - r))
					v = "floor(" + name + " / " + step + ") * " + step
				}
				parts = append(parts, v)
			} else {
				re.WriteString(`\d+`)
				parts = append(parts, `"0"`)
			}
		}
		re.WriteString(`(?: |$)`)
		var cc []string
		for o, v := range parts {
			if o > 0 {
				cc = append(cc, `"."`)
			}
			cc = append(cc, v)
		}
		cc = append(cc, `"/`+strconv.Itoa(bits)+`"`)
		return alias, []string{
			"parse @message /" + re.String() + "/",
			"fields concat(" + strings.Join(cc, ", ") + ") as " + alias,
		}, nil
	}
	// A field the format lacks is absent on every row: one "-" group,
	// as locally.
	return insightsName(k.Field.String()), nil, nil
}
