package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
)

// PartCol is a partition column of an Athena table that holds (part of)
// the delivery time of the objects under it, e.g. day = '2024/06/01' or
// year = '2024', month = '06', day = '01', hour = '09'.
type PartCol struct {
	Name   string // column name as written in SQL (quoted when it must be)
	Format string // Java date pattern of its values: yyyy/MM/dd, yyyy-MM-dd, yyyy, MM, dd, HH, yyyy/MM/dd/HH
	Type   string // "string" (the default), "int" (compared as numbers) or "date" (DATE literals)
}

// AthenaTable is the table an Athena question reads.
type AthenaTable struct {
	// Name is the table as written in FROM ("db"."table" or a bare name).
	Name string
	// Columns lists the table's data columns (account_id, srcaddr, ...);
	// nil means every flow-log field of the reference DDL. A field the
	// table lacks is absent on every row.
	Columns []string
	// Time lists the time partition columns, most significant first; the
	// query's time bounds become a range over them. Empty: no pruning.
	Time []PartCol
}

// ReferenceTable is the table of flowlogs-reference.md §5 (AWS's
// documented DDL with partition projection): every field as a column,
// partitioned by day 'yyyy/MM/dd'.
func ReferenceTable(name string) AthenaTable {
	return AthenaTable{Name: name, Time: []PartCol{{Name: "day", Format: "yyyy/MM/dd"}}}
}

// format returns the table's columns as a flow-log format, so the
// renderers can fold away tests on fields the table lacks.
func (t AthenaTable) format() *model.Format {
	f, err := model.ParseFormat(strings.Join(t.Columns, " "))
	if err != nil {
		return nil
	}
	return f
}

// has reports whether the table has a column for the format column name
// (an AWS field name or an unknown field's name).
func (t AthenaTable) has(name string) bool {
	if t.Columns == nil {
		_, known := model.LookupField(name)
		return known
	}
	col := strings.ReplaceAll(name, "-", "_")
	for _, c := range t.Columns {
		if strings.EqualFold(c, col) {
			return true
		}
	}
	return false
}

// AthenaColumn is a column as the Glue Data Catalog describes it.
type AthenaColumn struct {
	Name string
	Type string // Hive type: string, int, bigint, date, ...
}

// DescribeAthenaTable builds the AthenaTable for a catalog table from its
// data columns, partition keys and table properties. It recognises the
// time partitions of the flow-log layouts AWS documents: a column with a
// date partition projection (projection.day.format = yyyy/MM/dd, or
// yyyy/MM/dd/HH for hourly), optionally followed by an hour column; Hive
// year/month/day[/hour] columns; and a DATE column. notes say what could
// not be recognised (the query then scans every partition).
func DescribeAthenaTable(name string, cols, parts []AthenaColumn, params map[string]string) (t AthenaTable, notes []string) {
	t.Name = name
	for _, c := range cols {
		t.Columns = append(t.Columns, strings.ToLower(c.Name))
	}
	typ := func(c AthenaColumn) string {
		switch strings.ToLower(c.Type) {
		case "int", "integer", "bigint", "smallint", "tinyint":
			return "int"
		case "date":
			return "date"
		}
		return "string"
	}
	byName := map[string]AthenaColumn{}
	for _, p := range parts {
		byName[strings.ToLower(p.Name)] = p
	}
	// 1. a date projection, plus an hour column when its format stops at days
	for _, p := range parts {
		key := "projection." + p.Name + "."
		if !strings.EqualFold(params[key+"type"], "date") || params[key+"format"] == "" {
			continue
		}
		format := params[key+"format"]
		t.Time = append(t.Time, PartCol{Name: sqlIdent(p.Name), Format: format, Type: typ(p)})
		if h, ok := byName["hour"]; ok && !strings.Contains(format, "HH") && !strings.EqualFold(h.Name, p.Name) {
			t.Time = append(t.Time, PartCol{Name: sqlIdent(h.Name), Format: "HH", Type: typ(h)})
		}
		return t, nil
	}
	// 2. Hive-style year/month/day[/hour]
	y, okY := byName["year"]
	m, okM := byName["month"]
	d, okD := byName["day"]
	if okY && okM && okD {
		t.Time = []PartCol{{sqlIdent(y.Name), "yyyy", typ(y)}, {sqlIdent(m.Name), "MM", typ(m)}, {sqlIdent(d.Name), "dd", typ(d)}}
		if h, ok := byName["hour"]; ok {
			t.Time = append(t.Time, PartCol{sqlIdent(h.Name), "HH", typ(h)})
		}
		return t, nil
	}
	// 3. a DATE partition column
	for _, p := range parts {
		if typ(p) == "date" {
			t.Time = []PartCol{{Name: sqlIdent(p.Name), Format: "yyyy-MM-dd", Type: "date"}}
			return t, nil
		}
	}
	if len(parts) > 0 {
		var names []string
		for _, p := range parts {
			names = append(names, p.Name)
		}
		notes = append(notes, fmt.Sprintf("table %s: no time partition recognised among (%s) (want a date partition projection, year/month/day, or a DATE column): every partition is scanned",
			name, strings.Join(names, ", ")))
	}
	return t, notes
}

// sqlIdent quotes an identifier unless it is a plain lower-case name that
// is not a keyword.
func sqlIdent(name string) string {
	plain := name != ""
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			plain = false
		}
	}
	switch name {
	case "end", "date", "time", "timestamp", "order", "group", "select", "from", "where", "table", "values", "user":
		plain = false
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// javaLayout turns the date pattern letters Athena's projection uses into
// a Go time layout.
func javaLayout(p string) string {
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04")
	return r.Replace(p)
}

// partValue renders time t as the SQL literal of a partition column.
func partValue(c PartCol, t time.Time) string {
	s := t.UTC().Format(javaLayout(c.Format))
	switch c.Type {
	case "int":
		if n, err := strconv.Atoi(s); err == nil {
			return strconv.Itoa(n)
		}
	case "date":
		return "DATE '" + t.UTC().Format("2006-01-02") + "'"
	}
	return sqlStr(s)
}

// partitionPad widens the time bounds before they select partitions: a
// record is delivered into an object (and so a partition) named after a
// time up to about 15 minutes after its start (flowlogs-reference.md §3).
const partitionPad = 15 * 60

// partitionSQL renders the time bounds [lo, hi] (Unix seconds, see
// timeBounds) as a range over the time partition columns.
func partitionSQL(cols []PartCol, lo, hi uint64) string {
	if len(cols) == 0 {
		return ""
	}
	var los, his []string
	if lo > 0 {
		t := time.Unix(int64(max(lo, partitionPad)-partitionPad), 0)
		for _, c := range cols {
			los = append(los, partValue(c, t))
		}
	}
	if hi < math.MaxUint32 {
		t := time.Unix(int64(hi+partitionPad), 0)
		for _, c := range cols {
			his = append(his, partValue(c, t))
		}
	}
	if los == nil && his == nil {
		return ""
	}
	var conds []string
	i := 0
	if los != nil && his != nil {
		for i < len(cols)-1 && los[i] == his[i] {
			conds = append(conds, cols[i].Name+" = "+los[i])
			i++
		}
	}
	rest := cols[i:]
	if len(rest) == 1 {
		c := rest[0].Name
		switch {
		case los != nil && his != nil && los[i] == his[i]:
			conds = append(conds, c+" = "+los[i])
		case los != nil && his != nil:
			conds = append(conds, c+" BETWEEN "+los[i]+" AND "+his[i])
		case los != nil:
			conds = append(conds, c+" >= "+los[i])
		default:
			conds = append(conds, c+" <= "+his[i])
		}
	} else {
		if los != nil {
			conds = append(conds, tupleCmp(rest, los[i:], ">"))
		}
		if his != nil {
			conds = append(conds, tupleCmp(rest, his[i:], "<"))
		}
	}
	return strings.Join(conds, " AND ")
}

// tupleCmp compares the columns as one tuple with the values: op ">"
// renders (c1, c2, ...) >= (v1, v2, ...), "<" renders <=.
func tupleCmp(cols []PartCol, vals []string, op string) string {
	c := cols[0].Name
	if len(cols) == 1 {
		return c + " " + op + "= " + vals[0]
	}
	return "(" + c + " " + op + " " + vals[0] + " OR " + c + " = " + vals[0] + " AND " + tupleCmp(cols[1:], vals[1:], op) + ")"
}

// AthenaQuery is a question for Athena.
type AthenaQuery struct {
	Table AthenaTable
	// Group asks for groups (or, without keys, totals); nil asks for
	// records unless Series is set.
	Group *model.GroupQuery
	// Series asks for flows, bytes and packets per bucket of this many
	// seconds of start, split by action (the Chart view).
	Series int64
	// Format is the records' columns, in order (nil = the default v2
	// format); a column the table lacks reads NULL.
	Format *model.Format
	// Limit caps the records (0 = no cap).
	Limit int
}

// Athena answer columns beside the keys and metrics.
const (
	athenaGroupsCol = "flowlens_groups" // groups before the top-N cut
	athenaTotalCol  = "flowlens_total"  // the sort metric over every group
)

// AthenaSQL renders a whole question as one Athena (Trino) statement over
// q.Table: the filter as the WHERE clause with the time bounds as a range
// over the time partitions, and group-by keys, metrics, ordering, top-N
// and limit in SQL. Group keys: fields as their columns, address prefixes
// through ip_prefix, time buckets as start - start % N. The group count
// and the sort metric's total over every group ride along as window
// columns, so the top-N answer still knows them. A filter that tests the
// source pseudo-field is refused: Athena would answer a wider question.
func (f *Filter) AthenaSQL(q AthenaQuery) (*Plan, error) {
	t := q.Table
	conds, dropped := f.athenaWhere(t)
	if err := remoteCheck("Athena", dropped, q.Group); err != nil {
		return nil, err
	}
	p := &Plan{Engine: "athena"}
	col := func(fld model.Field) string {
		if !t.has(fld.String()) {
			return "NULL"
		}
		return sqlCol(fld)
	}
	var sel, tail []string
	var groupBy []string
	switch {
	case q.Series > 0:
		p.Kind, p.Bucket = PlanSeries, q.Series
		st := col(model.FieldStart)
		sel = []string{
			st + " - " + st + " % " + strconv.FormatInt(q.Series, 10) + ` AS "bucket"`,
			col(model.FieldAction) + ` AS "action"`,
			`count(*) AS "flows"`,
			"coalesce(sum(" + col(model.FieldBytes) + `), 0) AS "bytes"`,
			"coalesce(sum(" + col(model.FieldPackets) + `), 0) AS "packets"`,
		}
		p.keyCols = []string{"bucket", "action"}
		p.aggCols = []string{"flows", "bytes", "packets"}
		conds = append(conds, st+" IS NOT NULL")
		groupBy = []string{"1", "2"}
		tail = []string{"ORDER BY 1, 2"}
	case q.Group != nil:
		g := *q.Group
		if len(g.Metrics) == 0 {
			g.Metrics = []model.Metric{{Kind: model.MetricCount, Name: "count"}}
		}
		if g.Sort < 0 || g.Sort >= len(g.Metrics) {
			return nil, fmt.Errorf("group-by: sort metric %d out of range", g.Sort)
		}
		p.Kind, p.Group = PlanGroups, g
		used := map[string]int{}
		alias := func(name string) string {
			used[name]++
			if n := used[name]; n > 1 {
				name += "_" + strconv.Itoa(n)
			}
			return name
		}
		for i, k := range g.Keys {
			a := alias(k.Name)
			sel = append(sel, athenaKey(k, col)+" AS "+sqlIdentQuoted(a))
			p.keyCols = append(p.keyCols, a)
			groupBy = append(groupBy, strconv.Itoa(i+1))
		}
		for m, mt := range g.Metrics {
			a := alias(mt.Name)
			sel = append(sel, athenaMetric(mt, col)+" AS "+sqlIdentQuoted(a))
			p.aggCols = append(p.aggCols, a)
			p.metricCol = append(p.metricCol, [2]int{m, -1})
		}
		if len(g.Keys) > 0 {
			sel = append(sel, "count(*) OVER () AS "+athenaGroupsCol)
			if mt := g.Metrics[g.Sort]; additive(mt) {
				sel = append(sel, "sum("+athenaMetric(mt, col)+") OVER () AS "+athenaTotalCol)
			}
			order := []string{strconv.Itoa(len(g.Keys)+g.Sort+1) + " DESC"}
			if g.Asc {
				order[0] = strconv.Itoa(len(g.Keys)+g.Sort+1) + " ASC"
			}
			order = append(order, groupBy...)
			tail = append(tail, "ORDER BY "+strings.Join(order, ", "))
			if g.Top > 0 {
				tail = append(tail, "LIMIT "+strconv.Itoa(g.Top))
			}
		}
	default:
		p.Kind = PlanRecords
		fm := q.Format
		if fm == nil {
			fm = model.DefaultFormat
		}
		p.Format, p.Limit = fm, q.Limit
		for i, name := range fm.Names {
			c := "NULL"
			if t.has(name) {
				c = sqlCol(fm.Fields[i])
				if fm.Fields[i] == model.FieldUnknown {
					c = sqlIdent(strings.ReplaceAll(name, "-", "_"))
				}
			}
			sel = append(sel, c)
		}
		if t.has("start") {
			tail = append(tail, "ORDER BY start")
		}
		if q.Limit > 0 {
			tail = append(tail, "LIMIT "+strconv.Itoa(q.Limit))
		}
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(sel, ", "))
	b.WriteString("\nFROM ")
	b.WriteString(t.Name)
	if len(conds) > 0 {
		b.WriteString("\nWHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	if len(groupBy) > 0 {
		b.WriteString("\nGROUP BY ")
		b.WriteString(strings.Join(groupBy, ", "))
	}
	for _, s := range tail {
		b.WriteString("\n")
		b.WriteString(s)
	}
	p.Text = b.String()
	lo, hi := f.TimeBounds()
	if lo > 0 {
		p.Start = time.Unix(int64(lo), 0).UTC()
	}
	if hi < math.MaxUint32 {
		p.End = time.Unix(int64(hi), 0).UTC()
	}
	return p, nil
}

// sqlIdentQuoted always quotes: result aliases name what they are
// ("srcaddr/24", "distinct(dstport)").
func sqlIdentQuoted(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// athenaKey renders a group key. col returns a field's column (NULL when
// the table lacks it).
func athenaKey(k model.GroupKey, col func(model.Field) string) string {
	c := col(k.Field)
	switch {
	case c == "NULL":
		return c
	case k.Bucket > 0:
		return c + " - " + c + " % " + strconv.FormatInt(k.Bucket, 10)
	case k.Field.Kind() == model.KindAddr && k.Prefix > 0:
		// As model.ParseGroupKey: an IPv4-sized prefix groups IPv6
		// addresses by their /64; a longer one caps IPv4 at /32.
		v4, v6 := k.Prefix, 64
		if k.Prefix > 32 {
			v4, v6 = 32, k.Prefix
		}
		return "try(CAST(ip_prefix(" + c + ", IF(strpos(" + c + ", ':') > 0, " + strconv.Itoa(v6) + ", " + strconv.Itoa(v4) + ")) AS varchar))"
	}
	return c
}

// athenaMetric renders a metric as an aggregate.
func athenaMetric(m model.Metric, col func(model.Field) string) string {
	switch m.Kind {
	case model.MetricBytes:
		return "coalesce(sum(" + col(model.FieldBytes) + "), 0)"
	case model.MetricPackets:
		return "coalesce(sum(" + col(model.FieldPackets) + "), 0)"
	case model.MetricRejects:
		return "count_if(" + col(model.FieldAction) + " = 'REJECT')"
	case model.MetricRejectRatio:
		return "CAST(count_if(" + col(model.FieldAction) + " = 'REJECT') AS double) / count(*)"
	case model.MetricDistinct:
		c := col(m.Field)
		if c != "NULL" && !intCol(m.Field) {
			c = "nullif(" + c + ", '-')" // text tables spell absent "-"
		}
		return "count(DISTINCT " + c + ")"
	}
	return "count(*)"
}
