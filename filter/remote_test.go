package filter

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// The statements the remote engines run, asserted as text for a matrix of
// filters, group-bys and time ranges. Their meaning is checked end to end
// against the index in source/engine_e2e_test.go.

func gq(t *testing.T, keys, metrics string, sort, top int) *model.GroupQuery {
	t.Helper()
	q := &model.GroupQuery{Sort: sort, Top: top}
	for _, k := range strings.Split(keys, ",") {
		if k == "" {
			continue
		}
		gk, err := model.ParseGroupKey(k)
		if err != nil {
			t.Fatal(err)
		}
		q.Keys = append(q.Keys, gk)
	}
	for _, m := range strings.Split(metrics, ";") {
		mt, err := model.ParseMetric(m)
		if err != nil {
			t.Fatal(err)
		}
		q.Metrics = append(q.Metrics, mt)
	}
	return q
}

// a two-hour window across midnight: 2024-06-01T23:00Z .. 2024-06-02T01:00Z
const window = "end >= 2024-06-01T23:00:00Z and start <= 2024-06-02T01:00:00Z"

func TestAthenaPartitionPruning(t *testing.T) {
	tables := map[string]AthenaTable{
		"day":       ReferenceTable("t"),
		"day-hour":  {Name: "t", Time: []PartCol{{Name: "day", Format: "yyyy/MM/dd/HH"}}},
		"hive-hour": {Name: "t", Time: []PartCol{{"year", "yyyy", "string"}, {"month", "MM", "string"}, {"day", "dd", "string"}, {"hour", "HH", "string"}}},
		"hive-int":  {Name: "t", Time: []PartCol{{"year", "yyyy", "int"}, {"month", "MM", "int"}, {"day", "dd", "int"}}},
		"date-hour": {Name: "t", Time: []PartCol{{`"date"`, "yyyy/MM/dd", "string"}, {"hour", "HH", "string"}}},
		"date-type": {Name: "t", Time: []PartCol{{"dt", "yyyy-MM-dd", "date"}}},
		"none":      {Name: "t"},
	}
	for _, tc := range []struct{ table, expr, want string }{
		{"day", window, "day BETWEEN '2024/06/01' AND '2024/06/02'"},
		{"day", "start >= 2024-06-01T10:00:00Z and end <= 2024-06-01T11:00:00Z", "day = '2024/06/01'"},
		{"day", "start >= 2024-06-01T00:05:00Z", "day >= '2024/05/31'"}, // the 15-minute pad reaches back a day
		{"day", "end < 2024-06-03T00:00:00Z", "day <= '2024/06/03'"},
		{"day", "action = REJECT", ""},
		{"day", "start >= 2024-06-01T10:00:00Z or action = REJECT", ""}, // not a top-level bound
		{"day-hour", window, "day BETWEEN '2024/06/01/22' AND '2024/06/02/01'"},
		{"hive-hour", window, "year = '2024' AND month = '06' AND (day > '01' OR day = '01' AND hour >= '22') AND (day < '02' OR day = '02' AND hour <= '01')"},
		{"hive-hour", "start >= 2024-06-01T10:20:00Z and end <= 2024-06-01T11:00:00Z", "year = '2024' AND month = '06' AND day = '01' AND hour BETWEEN '10' AND '11'"},
		{"hive-hour", "start >= 2024-12-31T23:50:00Z", "(year > '2024' OR year = '2024' AND (month > '12' OR month = '12' AND (day > '31' OR day = '31' AND hour >= '23')))"},
		{"hive-int", window, "year = 2024 AND month = 6 AND day BETWEEN 1 AND 2"},
		{"date-hour", window, `("date" > '2024/06/01' OR "date" = '2024/06/01' AND hour >= '22') AND ("date" < '2024/06/02' OR "date" = '2024/06/02' AND hour <= '01')`},
		{"date-type", window, "dt BETWEEN DATE '2024-06-01' AND DATE '2024-06-02'"},
		{"none", window, ""},
	} {
		t.Run(tc.table+"/"+tc.expr, func(t *testing.T) {
			f := must(t, tc.expr)
			lo, hi := f.TimeBounds()
			if got := partitionSQL(tables[tc.table].Time, lo, hi); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAthenaSQL(t *testing.T) {
	ref := ReferenceTable(`"db"."t"`)
	v2cols := ReferenceTable(`"db"."t"`)
	v2cols.Columns = strings.Fields("version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end action log_status")
	for _, tc := range []struct {
		name  string
		expr  string
		table AthenaTable
		q     AthenaQuery
		want  string
	}{
		{"records", "action = REJECT and " + window, ref, AthenaQuery{Limit: 100},
			`SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status
FROM "db"."t"
WHERE day BETWEEN '2024/06/01' AND '2024/06/02' AND action = 'REJECT' AND "end" >= 1717282800 AND start <= 1717290000
ORDER BY start
LIMIT 100`},
		{"records, a column the table lacks", "", v2cols, AthenaQuery{Format: model.MustParseFormat("version srcaddr tcp-flags action")},
			`SELECT version, srcaddr, NULL, action
FROM "db"."t"
ORDER BY start`},
		{"tests on missing columns fold away", "tcp-flags has SYN or dstport = 22", v2cols, AthenaQuery{Group: gq(t, "dstport", "count", 0, 0)},
			`SELECT dstport AS "dstport", count(*) AS "count", count(*) OVER () AS flowlens_groups, sum(count(*)) OVER () AS flowlens_total
FROM "db"."t"
WHERE dstport = 22
GROUP BY 1
ORDER BY 2 DESC, 1`},
		{"top talkers", "", ref, AthenaQuery{Group: gq(t, "srcaddr", "bytes;count", 0, 10)},
			`SELECT srcaddr AS "srcaddr", coalesce(sum(bytes), 0) AS "bytes", count(*) AS "count", count(*) OVER () AS flowlens_groups, sum(coalesce(sum(bytes), 0)) OVER () AS flowlens_total
FROM "db"."t"
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 10`},
		{"prefix and hour keys, rejects", "dst port 22 and " + window, ref, AthenaQuery{Group: gq(t, "srcaddr/24,hour", "rejects;reject-ratio", 0, 5)},
			`SELECT try(CAST(ip_prefix(srcaddr, IF(strpos(srcaddr, ':') > 0, 64, 24)) AS varchar)) AS "srcaddr/24", start - start % 3600 AS "hour", count_if(action = 'REJECT') AS "rejects", CAST(count_if(action = 'REJECT') AS double) / count(*) AS "reject-ratio", count(*) OVER () AS flowlens_groups, sum(count_if(action = 'REJECT')) OVER () AS flowlens_total
FROM "db"."t"
WHERE day BETWEEN '2024/06/01' AND '2024/06/02' AND dstport = 22 AND "end" >= 1717282800 AND start <= 1717290000
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
LIMIT 5`},
		{"a long prefix, distinct, ascending", "", ref, AthenaQuery{Group: &model.GroupQuery{Keys: gq(t, "dstaddr/48", "count", 0, 0).Keys,
			Metrics: gq(t, "", "distinct(dstport)", 0, 0).Metrics, Asc: true, Top: 3}},
			`SELECT try(CAST(ip_prefix(dstaddr, IF(strpos(dstaddr, ':') > 0, 48, 32)) AS varchar)) AS "dstaddr/48", count(DISTINCT dstport) AS "distinct(dstport)", count(*) OVER () AS flowlens_groups
FROM "db"."t"
GROUP BY 1
ORDER BY 2 ASC, 1
LIMIT 3`},
		{"totals", "proto udp", ref, AthenaQuery{Group: gq(t, "", "count;bytes;distinct(interface-id)", 0, 0)},
			`SELECT count(*) AS "count", coalesce(sum(bytes), 0) AS "bytes", count(DISTINCT nullif(interface_id, '-')) AS "distinct(interface-id)"
FROM "db"."t"
WHERE protocol = 17`},
		{"same name key and metric", "", ref, AthenaQuery{Group: gq(t, "bytes", "bytes", 0, 1)},
			`SELECT bytes AS "bytes", coalesce(sum(bytes), 0) AS "bytes_2", count(*) OVER () AS flowlens_groups, sum(coalesce(sum(bytes), 0)) OVER () AS flowlens_total
FROM "db"."t"
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 1`},
		{"series", window, ref, AthenaQuery{Series: 300},
			`SELECT start - start % 300 AS "bucket", action AS "action", count(*) AS "flows", coalesce(sum(bytes), 0) AS "bytes", coalesce(sum(packets), 0) AS "packets"
FROM "db"."t"
WHERE day BETWEEN '2024/06/01' AND '2024/06/02' AND "end" >= 1717282800 AND start <= 1717290000 AND start IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2`},
		{"nothing matches", "tcp-flags has SYN", v2cols, AthenaQuery{Group: gq(t, "", "count", 0, 0)},
			`SELECT count(*) AS "count"
FROM "db"."t"
WHERE false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Table = tc.table
			p, err := must(t, tc.expr).AthenaSQL(q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tc.want {
				t.Errorf("got\n%s\nwant\n%s", p.Text, tc.want)
			}
		})
	}
	if _, err := must(t, `source = "s3://x/*" and port 22`).AthenaSQL(AthenaQuery{Table: ref}); err == nil || !strings.Contains(err.Error(), "cannot test source = ") {
		t.Errorf("a source test was not refused: %v", err)
	}
}

type testLabels struct{}

func (testLabels) LabelAddr(netip.Addr) string            { return "web" }
func (testLabels) LabelString(model.Field, string) string { return "" }

func TestRemoteRefusesNames(t *testing.T) {
	named := gq(t, "dstaddr", "count", 0, 0)
	named.Keys[0].Label, named.Keys[0].Name = testLabels{}, "dst-name"
	for _, tc := range []struct {
		expr string
		g    *model.GroupQuery
		want string
	}{
		{"dst-name = web and port 22", nil, "cannot test dst-name = web"},
		{"", named, "cannot group by dst-name: names live in flowlens; group by dstaddr instead"},
	} {
		f := must(t, tc.expr)
		_, err := f.AthenaSQL(AthenaQuery{Table: ReferenceTable("t"), Group: tc.g})
		_, err2 := f.InsightsPlan(InsightsQuery{Group: tc.g})
		for _, e := range []error{err, err2} {
			if e == nil || !strings.Contains(e.Error(), tc.want) {
				t.Errorf("%q: %v, want %q", tc.expr, e, tc.want)
			}
		}
	}
}

func TestInsightsPlanText(t *testing.T) {
	v3 := model.MustParseFormat("version interface-id srcaddr dstaddr dstport action bytes start end tcp-flags")
	for _, tc := range []struct {
		name   string
		expr   string
		format *model.Format
		q      InsightsQuery
		want   string
		start  string
	}{
		{"records", "action = REJECT and " + window, nil, InsightsQuery{Limit: 50},
			"fields @timestamp, @message\n| filter action = \"REJECT\" and end >= 1717282800 and start <= 1717290000\n| sort @timestamp asc\n| limit 50",
			"2024-06-01T22:45:00Z"},
		{"records capped at 10,000", "", nil, InsightsQuery{Limit: 50000},
			"fields @timestamp, @message\n| sort @timestamp asc\n| limit 10000", ""},
		{"groups", "dstport in (22, 3389)", nil, InsightsQuery{Group: gq(t, "srcaddr,dstport", "bytes;count;rejects", 0, 10)},
			"fields @timestamp, @message\n| filter dstPort in [22, 3389]\n| stats sum(bytes) as sumBytes, count(*) as flows, sum(strcontains(action, \"REJECT\")) as rejects by srcAddr, dstPort\n| sort sumBytes desc\n| limit 10000", ""},
		{"prefix /20 and hour", "", nil, InsightsQuery{Group: gq(t, "srcaddr/20,hour", "count", 0, 0)},
			"fields @timestamp, @message\n| parse @message /^(?:\\S+ ){3}(?<k0o1>\\d+)\\.(?<k0o2>\\d+)\\.(?<k0o3>\\d+)\\.\\d+(?: |$)/\n| fields concat(k0o1, \".\", k0o2, \".\", floor(k0o3 / 16) * 16, \".\", \"0\", \"/20\") as k0\n| fields datefloor(@timestamp, 1h) as k1\n| stats count(*) as flows by k0, k1\n| sort flows desc\n| limit 10000", ""},
		{"custom format: the field's position", "tcp-flags has SYN", v3, InsightsQuery{Group: gq(t, "dstaddr/8", "distinct(dstport);reject-ratio", 1, 0)},
			"fields @timestamp, @message\n| parse @message \"* * * * * * * * * *\" as version, interfaceId, srcAddr, dstAddr, dstPort, action, bytes, start, end, tcpFlags\n| filter tcpFlags % 4 >= 2\n| parse @message /^(?:\\S+ ){3}(?<k0o1>\\d+)\\.\\d+\\.\\d+\\.\\d+(?: |$)/\n| fields concat(k0o1, \".\", \"0\", \".\", \"0\", \".\", \"0\", \"/8\") as k0\n| stats count_distinct(dstPort) as distinctDstPort, sum(strcontains(action, \"REJECT\")) as rejects, count(*) as flows by k0\n| limit 10000", ""},
		{"totals", "", nil, InsightsQuery{Group: gq(t, "", "count;packets", 0, 0)},
			"fields @timestamp, @message\n| stats count(*) as flows, sum(packets) as sumPackets", ""},
		{"series", "", nil, InsightsQuery{Series: 300},
			"fields @timestamp, @message\n| fields datefloor(@timestamp, 5m) as bucket\n| stats count(*) as flows, sum(bytes) as sumBytes, sum(packets) as sumPackets by bucket, action\n| sort bucket asc\n| limit 10000", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Format = tc.format
			p, err := must(t, tc.expr).InsightsPlan(q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tc.want {
				t.Errorf("got\n%s\nwant\n%s", p.Text, tc.want)
			}
			if tc.start != "" && p.Start.Format("2006-01-02T15:04:05Z") != tc.start {
				t.Errorf("start %s, want %s (the 15-minute pad before the window)", p.Start, tc.start)
			}
		})
	}
}

func TestDescribeAthenaTable(t *testing.T) {
	s := func(names ...string) []AthenaColumn {
		var out []AthenaColumn
		for _, n := range names {
			name, typ, _ := strings.Cut(n, ":")
			if typ == "" {
				typ = "string"
			}
			out = append(out, AthenaColumn{name, typ})
		}
		return out
	}
	cols := s("version:int", "srcaddr", "end:bigint")
	for _, tc := range []struct {
		name   string
		parts  []AthenaColumn
		params map[string]string
		want   string // the time columns as name/format/type
		note   bool
	}{
		{"reference", s("accid", "region_p", "day"), map[string]string{"projection.day.type": "date", "projection.day.format": "yyyy/MM/dd"}, "day/yyyy/MM/dd/string", false},
		{"date and hour projections (AWS's Parquet example)", s("region", "date", "hour"),
			map[string]string{"projection.date.type": "date", "projection.date.format": "yyyy/MM/dd", "projection.hour.type": "integer"},
			`"date"/yyyy/MM/dd/string hour/HH/string`, false},
		{"hive", s("aws-account-id", "aws-service", "aws-region", "year", "month", "day", "hour"), nil, "year/yyyy/string month/MM/string day/dd/string hour/HH/string", false},
		{"hive ints", s("region", "year", "month:int", "day:int"), nil, "year/yyyy/string month/MM/int day/dd/int", false},
		{"a DATE column", s("dt:date"), nil, "dt/yyyy-MM-dd/date", false},
		{"unrecognised", s("day"), nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, notes := DescribeAthenaTable(`"db"."t"`, cols, tc.parts, tc.params)
			var got []string
			for _, c := range tb.Time {
				got = append(got, c.Name+"/"+c.Format+"/"+c.Type)
			}
			if strings.Join(got, " ") != tc.want || (len(notes) > 0) != tc.note {
				t.Errorf("time %v, notes %v; want %s", got, notes, tc.want)
			}
			if strings.Join(tb.Columns, ",") != "version,srcaddr,end" {
				t.Errorf("columns %v", tb.Columns)
			}
		})
	}
}

func TestPlanReaders(t *testing.T) {
	q := gq(t, "srcaddr/24,5m,action,dstport", "bytes;reject-ratio", 0, 2)
	p, err := must(t, "").InsightsPlan(InsightsQuery{Group: q})
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"k0", "k1", "action", "dstPort", "sumBytes", "rejects", "flows"}
	rows := [][]string{
		{"10.0.1.0/24", "2024-06-01 10:05:00.000", "REJECT", "22", "500", "2", "4"},
		{"-", "2024-06-01 10:00:00.000", "-", "-", "900", "0", "1"},
		{"10.0.2.0/24", "2024-06-01 10:00:00.000", "ACCEPT", "443", "100", "0", "3"},
	}
	ans, err := p.Groups(cols, rows)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Groups != 3 || len(ans.Rows) != 2 || ans.Truncated || ans.Totals[0] != 1500 {
		t.Fatalf("answer %+v", ans)
	}
	r0, r1 := ans.Rows[0], ans.Rows[1]
	if !r0.Key[0].Absent || r0.Key[1].Text != "2024-06-01T10:00:00Z" || r0.Key[1].Num != 1717236000 || !r0.Key[3].Absent {
		t.Errorf("first row %+v", r0)
	}
	if r1.Key[0].Text != "10.0.1.0/24" || !r1.Key[0].Addr.IsValid() || r1.Key[2].Num != 2 || r1.Key[3].Num != 22 || r1.Vals[1] != 0.5 {
		t.Errorf("second row %+v", r1)
	}
	// the row cap: the group count is a lower bound and the totals unknown
	p.Limit = 3
	if ans, _ = p.Groups(cols, rows); !ans.Truncated || ans.Totals[0] != 0 {
		t.Errorf("capped answer %+v", ans)
	}
	// Athena records: NULL ("-") and a separator inside a value
	ap, err := must(t, "").AthenaSQL(AthenaQuery{Table: ReferenceTable("t"), Format: model.MustParseFormat("version srcaddr action"), Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ap.RecordLines([]string{"version", "srcaddr", "action"}, [][]string{{"2", "10.0.0.1", "ACCEPT"}, {"2", "-", "a b"}})
	if err != nil || string(b) != "2 10.0.0.1 ACCEPT\n2 - a_b\n" {
		t.Errorf("lines %q %v", b, err)
	}
}
