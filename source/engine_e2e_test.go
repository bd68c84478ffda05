package source_test

// The remote engines end to end: a question is rendered by the filter
// package (Athena SQL for three table layouts, Logs Insights for the
// default and a custom format), run through the real SDK clients against
// the fakes, which evaluate it over the same records, and read back; the
// answer must equal the local engine's over those records. This checks
// the renderers, the engines, the fakes and the readers against one
// reference: the index.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

// e2eRecord is one generated record in the v5 field order, which is also
// the column order of AWS's documented DDL.
type e2eRecord struct {
	fields     []string
	start, end int64
}

func (r e2eRecord) line(n int) string { return strings.Join(r.fields[:n], " ") }

const v5Names = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status " +
	"vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id " +
	"pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"

var e2eT0 = time.Date(2024, 6, 1, 22, 0, 0, 0, time.UTC)

// e2eRecords spans four hours across midnight UTC: IPv4 and IPv6,
// ACCEPT and REJECT, tcp and udp, NODATA records with "-" fields.
func e2eRecords() []e2eRecord {
	rng := rand.New(rand.NewPCG(7, 11))
	var out []e2eRecord
	for i := range 2000 {
		start := e2eT0.Unix() + int64(i)*7
		end := start + int64(rng.IntN(600))
		eni := fmt.Sprintf("eni-0%c%015d", "ab"[rng.IntN(2)], rng.IntN(2))
		f := []string{"5", "111122223333", eni}
		if rng.IntN(20) == 0 { // NODATA
			f = append(f, "-", "-", "-", "-", "-", "-", "-", fmt.Sprint(start), fmt.Sprint(end), "-", "NODATA",
				"vpc-01", "subnet-01", "-", "-", "-", "-", "-", "us-east-1", "use1-az1", "-", "-", "-", "-", "-", "-")
			out = append(out, e2eRecord{f, start, end})
			continue
		}
		var src, typ string
		switch k := rng.IntN(20); {
		case k == 0:
			src, typ = fmt.Sprintf("2001:db8:%x::%x", rng.IntN(3), rng.IntN(200)), "IPv6"
		case k < 4:
			src, typ = fmt.Sprintf("203.0.113.%d", rng.IntN(40)), "IPv4"
		default:
			src, typ = fmt.Sprintf("10.%d.%d.%d", rng.IntN(2), rng.IntN(4), rng.IntN(60)), "IPv4"
		}
		dst := fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(10))
		if typ == "IPv6" {
			dst = "2001:db8:ff::1"
		}
		ports := []int{22, 443, 80, 3389, 53, 1024 + rng.IntN(60000)}
		dport := ports[rng.IntN(len(ports))]
		proto, flags := "6", []string{"2", "18", "19", "3", "1"}[rng.IntN(5)]
		if dport == 53 {
			proto, flags = "17", "0"
		}
		action := "ACCEPT"
		if rng.IntN(5) == 0 {
			action = "REJECT"
		}
		inst := "-"
		if rng.IntN(2) == 0 {
			inst = fmt.Sprintf("i-%017d", rng.IntN(3))
		}
		svc := "-"
		if rng.IntN(6) == 0 {
			svc = "S3"
		}
		path := "-"
		dir := "ingress"
		if rng.IntN(2) == 0 {
			dir, path = "egress", fmt.Sprint(1+rng.IntN(8))
		}
		f = append(f, src, dst, fmt.Sprint(1024+rng.IntN(50000)), fmt.Sprint(dport), proto, fmt.Sprint(1+rng.IntN(100)),
			fmt.Sprint(40+rng.IntN(200000)), fmt.Sprint(start), fmt.Sprint(end), action, "OK",
			fmt.Sprintf("vpc-0%d", 1+rng.IntN(2)), fmt.Sprintf("subnet-0%d", rng.IntN(4)), inst, flags, typ, src, dst,
			"us-east-1", "use1-az1", "-", "-", svc, "-", dir, path)
		out = append(out, e2eRecord{f, start, end})
	}
	return out
}

// e2e holds the fakes and the local indexes over the same records.
type e2e struct {
	recs   []e2eRecord
	athena *awstest.Athena
	cw     *awstest.CloudWatch
	url    string
	local  map[int]*model.Snapshot // by field count: 29 (v5) or 14 (v2)
	v5     *model.Format
	now    time.Time
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{recs: e2eRecords(), local: map[int]*model.Snapshot{}, now: e2eT0.Add(24 * time.Hour)}
	var err error
	if e.v5, err = model.ParseFormat(v5Names); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{29, 14} {
		ix := model.NewIndex(1 << 30)
		var data []byte
		data = append(data, strings.Join(strings.Fields(v5Names)[:n], " ")+"\n"...)
		for _, r := range e.recs {
			data = append(data, r.line(n)+"\n"...)
		}
		ix.Ingest(&model.Batch{Source: "local", Object: "x", Data: data, Line: 1, EOF: true})
		e.local[n] = ix.Publish()
	}
	// Athena: the documented table (day), the Hive hourly layout, and Parquet
	// (by name, Hive daily); each record in the partition of its end time.
	e.athena = awstest.NewAthenaHandler()
	e.athena.Now = func() time.Time { return e.now }
	e.athena.AddWorkgroup("wg", awstest.AthenaWorkgroup{OutputLocation: "s3://results/"})
	ref := awstest.NewReferenceTable("flows", "ref")
	hive := awstest.NewHiveTable("flows", "hive", true, false)
	pq := awstest.NewHiveTable("flows", "pq", false, true)
	for _, r := range e.recs {
		tm := time.Unix(r.end, 0).UTC()
		must(t, ref.AddLines([]string{"111122223333", "us-east-1", tm.Format("2006/01/02")}, r.line(29)))
		must(t, hive.AddLines([]string{"111122223333", "vpcflowlogs", "us-east-1", tm.Format("2006"), tm.Format("01"), tm.Format("02"), tm.Format("15")}, r.line(29)))
		must(t, pq.AddLines([]string{"111122223333", "vpcflowlogs", "us-east-1", tm.Format("2006"), tm.Format("01"), tm.Format("02")}, v5Names, r.line(29)))
	}
	for _, tb := range []*awstest.AthenaTable{ref, hive, pq} {
		e.athena.AddTable(tb)
	}
	// CloudWatch Logs: the same records as events (timestamp = start) in
	// the default format (group v2) and in the v5 format (group v5).
	e.cw = awstest.NewCloudWatchHandler()
	e.cw.Now = func() time.Time { return e.now }
	for _, n := range []int{14, 29} {
		var evs []awstest.Event
		for i, r := range e.recs {
			evs = append(evs, awstest.Event{Stream: r.fields[2] + "-all", Timestamp: r.start * 1000, Message: r.line(n), ID: fmt.Sprintf("%d-%06d", n, i)})
		}
		e.cw.Put(fmt.Sprintf("v%d", map[int]int{14: 2, 29: 5}[n]), evs...)
	}
	srv := httptest.NewServer(awstest.All(nil, e.cw, e.athena))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *e2e) aws(t *testing.T) source.AWSConfig {
	return source.AWSConfig{Region: "us-east-1", EndpointURL: e.url, MaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
}

func offline(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	must(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// question is one case of the matrix.
type question struct {
	name   string
	filter string
	since  time.Time
	until  time.Time
	group  string // "" = records
	metric string
	sort   string
	top    int
	series int64
	limit  int
	ipv4   bool // only IPv4 source addresses
}

func (q question) compile(t *testing.T) *filter.Filter {
	t.Helper()
	f, err := filter.CompileAt(q.filter, e2eT0.Add(24*time.Hour))
	must(t, err)
	win, err := filter.Window(q.since, q.until)
	must(t, err)
	f, err = f.And(win)
	must(t, err)
	if q.ipv4 {
		v4, err := filter.Parse("srcaddr in 0.0.0.0/0")
		must(t, err)
		f, err = f.And(v4)
		must(t, err)
	}
	return f
}

func (q question) grouping(t *testing.T) *model.GroupQuery {
	t.Helper()
	if q.group == "" && q.metric == "" {
		return nil
	}
	g := &model.GroupQuery{Top: q.top}
	for _, k := range strings.Split(q.group, ",") {
		if k == "" {
			continue
		}
		gk, err := model.ParseGroupKey(k)
		must(t, err)
		g.Keys = append(g.Keys, gk)
	}
	metrics := q.metric
	if metrics == "" {
		metrics = "count,bytes,packets"
	}
	for _, m := range strings.Split(metrics, ";") {
		mt, err := model.ParseMetric(m)
		must(t, err)
		g.Metrics = append(g.Metrics, mt)
	}
	if q.sort != "" {
		for i, m := range g.Metrics {
			if m.Name == q.sort {
				g.Sort = i
			}
		}
	}
	return g
}

var (
	midnight = time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)
	e2eCases = []question{
		{name: "records all", limit: 50},
		{name: "records rejected ssh rdp", filter: "action = REJECT and dstport in (22, 3389)", limit: 40},
		{name: "records window across midnight", filter: "proto tcp", since: midnight.Add(-20 * time.Minute), until: midnight.Add(25 * time.Minute), limit: 10000},
		{name: "records nodata", filter: "log-status = NODATA", limit: 10000},
		{name: "top talkers", group: "srcaddr", metric: "bytes;count", top: 10},
		{name: "by /24 rejects", filter: "action = REJECT", group: "srcaddr/24", metric: "count;bytes", top: 5},
		{name: "ports ipv4 net not 443", filter: "src net 10.1.0.0/16 and not dst port 443", group: "dstport", metric: "count;distinct(srcaddr)"},
		{name: "syn only", filter: "tcp-flags has SYN and not tcp-flags has ACK", group: "interface-id,dstport", metric: "count;packets"},
		{name: "glob and regex", filter: "interface-id = eni-0a* and vpc-id ~ /vpc-0[2]/", group: "action", metric: "count;rejects;reject-ratio"},
		{name: "hourly buckets in a window", filter: "bytes > 10k", since: midnight.Add(-90 * time.Minute), until: midnight.Add(50 * time.Minute), group: "hour", metric: "count;bytes"},
		{name: "ipv6 or udp", filter: "srcaddr in 2001:db8::/32 or proto udp", group: "srcaddr,protocol", metric: "count"},
		{name: "ranges and absent", filter: "dstport 1024-65535 or not exists srcaddr", group: "action,log-status", metric: "count;bytes"},
		{name: "negated string guard", filter: "action != REJECT and flow-direction = egress", group: "traffic-path", metric: "count"},
		{name: "totals", filter: "dstport = 53", metric: "count;bytes;packets;rejects"},
		{name: "5m buckets short window", since: midnight.Add(-10 * time.Minute), until: midnight.Add(10 * time.Minute), group: "5m", metric: "count"},
		{name: "sort ascending distinct", group: "dstaddr", metric: "count;distinct(dstport)", sort: "distinct(dstport)", top: 3},
		{name: "series", filter: "action = REJECT", since: midnight.Add(-time.Hour), until: midnight.Add(time.Hour), series: 600},
	}
)

// localAnswer computes the reference answer on the index with n fields.
func (e *e2e) localAnswer(t *testing.T, q question, n int) (lines []string, groups *model.GroupResult, series []model.Bucket) {
	snap := e.local[n]
	f := q.compile(t)
	sel := f.Eval(snap, nil)
	if q.series > 0 {
		return nil, nil, model.Series(snap, sel, q.series)
	}
	if g := q.grouping(t); g != nil {
		if len(g.Keys) == 0 {
			g2 := *g
			g2.Keys = []model.GroupKey{{Field: model.FieldAction, Name: "action"}}
			res, err := model.Group(snap, sel, g2)
			must(t, err)
			return nil, &model.GroupResult{Rows: []model.GroupRow{{Vals: res.Totals}}, Totals: res.Totals, Groups: 1}, nil
		}
		all := *g
		all.Top = 0
		res, err := model.Group(snap, sel, all)
		must(t, err)
		return nil, res, nil
	}
	sel.ForEach(func(sg *model.Seg, i int) bool {
		lines = append(lines, string(snap.AppendJSON(nil, sg, i)))
		return len(lines) < q.limit
	})
	return lines, nil, nil
}

func rowKey(r model.GroupRow) string {
	var ks []string
	for _, k := range r.Key {
		ks = append(ks, k.Text)
	}
	return strings.Join(ks, "|")
}

func rowVals(r model.GroupRow) string { return fmt.Sprint(r.Vals) }

// checkGroups compares a remote answer with the local one: every remote
// row is a local group with the same values, and a top-N answer holds
// groups ranked at least as high as every group it left out.
func checkGroups(t *testing.T, q question, g *model.GroupQuery, local *model.GroupResult, remote *filter.GroupAnswer, exactCount bool) {
	t.Helper()
	byKey := map[string]model.GroupRow{}
	for _, r := range local.Rows {
		byKey[rowKey(r)] = r
	}
	want := len(local.Rows)
	if g.Top > 0 && g.Top < want {
		want = g.Top
	}
	if len(g.Keys) == 0 {
		want = 1
	}
	if len(remote.Rows) != want {
		t.Fatalf("%d remote groups, want %d\nremote %v\nlocal %v", len(remote.Rows), want, remote.Rows, local.Rows)
	}
	seen := map[string]bool{}
	lowest := 0.0
	for i, r := range remote.Rows {
		l, ok := byKey[rowKey(r)]
		if !ok {
			t.Fatalf("remote group %q is not a local group (local: %v)", rowKey(r), local.Rows)
		}
		if rowVals(l) != rowVals(r) {
			t.Errorf("group %q: remote %v, local %v", rowKey(r), r.Vals, l.Vals)
		}
		seen[rowKey(r)] = true
		if v := r.Vals[g.Sort]; i == 0 || (!g.Asc && v < lowest) || (g.Asc && v > lowest) {
			lowest = v
		}
	}
	for _, l := range local.Rows {
		if seen[rowKey(l)] {
			continue
		}
		if v := l.Vals[g.Sort]; (!g.Asc && v > lowest) || (g.Asc && v < lowest) {
			t.Errorf("group %q (%v) outranks the answer's last (%g) but is missing", rowKey(l), l.Vals, lowest)
		}
	}
	if exactCount && len(g.Keys) > 0 && remote.Groups != local.Groups {
		t.Errorf("remote counts %d groups, local %d", remote.Groups, local.Groups)
	}
	if len(g.Keys) > 0 && (exactCount || !remote.Truncated) {
		if m := g.Metrics[g.Sort]; m.Integral() && m.Kind != model.MetricDistinct && remote.Totals[g.Sort] != local.Totals[g.Sort] {
			t.Errorf("total of %s: remote %g, local %g", m.Name, remote.Totals[g.Sort], local.Totals[g.Sort])
		}
	}
}

// remoteLines turns a records answer into JSONL the way the query command
// does: through an index.
func remoteLines(t *testing.T, p *filter.Plan, res *source.RemoteResult) []string {
	data, err := p.RecordLines(res.Columns, res.Rows)
	must(t, err)
	ix := model.NewIndex(1 << 30)
	ix.Ingest(&model.Batch{Source: "remote", Object: res.ID, Data: data, Format: p.Format, Line: 1, EOF: true})
	snap := ix.Publish()
	for _, st := range snap.Sources {
		if st.BadTotal() > 0 {
			t.Fatalf("remote records did not parse: %v", st.Samples)
		}
	}
	var out []string
	model.SelectAll(snap).ForEach(func(sg *model.Seg, i int) bool {
		out = append(out, string(snap.AppendJSON(nil, sg, i)))
		return true
	})
	return out
}

func compareLines(t *testing.T, remote, local []string) {
	t.Helper()
	if len(remote) != len(local) {
		t.Fatalf("%d remote records, %d local", len(remote), len(local))
	}
	for i := range remote {
		if remote[i] != local[i] {
			t.Fatalf("record %d:\nremote %s\nlocal  %s", i, remote[i], local[i])
		}
	}
}

func compareSeries(t *testing.T, remote, local []model.Bucket) {
	t.Helper()
	if fmt.Sprint(remote) != fmt.Sprint(local) {
		t.Fatalf("series differ:\nremote %v\nlocal  %v", remote, local)
	}
}

// compare checks a remote answer against the local index with n fields.
func (e *e2e) compare(t *testing.T, q question, n int, p *filter.Plan, res *source.RemoteResult) {
	t.Helper()
	lines, groups, series := e.localAnswer(t, q, n)
	switch {
	case q.series > 0:
		got, err := p.Series(res.Columns, res.Rows)
		must(t, err)
		compareSeries(t, got, series)
	case p.Kind == filter.PlanGroups:
		ans, err := p.Groups(res.Columns, res.Rows)
		must(t, err)
		checkGroups(t, q, &p.Group, groups, ans, true)
	default:
		compareLines(t, remoteLines(t, p, res), lines)
	}
}

func TestEnginesAnswerAsTheIndex(t *testing.T) {
	offline(t)
	e := newE2E(t)
	ctx := context.Background()
	for _, tbl := range []string{"ref", "hive", "pq"} {
		a, err := source.NewAthena(source.AthenaConfig{AWS: e.aws(t), Database: "flows", Table: tbl, Workgroup: "wg"})
		must(t, err)
		info, err := a.TableInfo(ctx)
		must(t, err)
		table, notes := filter.DescribeAthenaTable(a.TableName(), cols(info.Columns), cols(info.PartitionKeys), info.Parameters)
		if len(notes) > 0 || len(table.Time) == 0 {
			t.Fatalf("%s: no time partitions recognised: %v", tbl, notes)
		}
		for _, q := range e2eCases {
			t.Run("athena/"+tbl+"/"+q.name, func(t *testing.T) {
				f := q.compile(t)
				g := q.grouping(t)
				p, err := f.AthenaSQL(filter.AthenaQuery{Table: table, Group: g, Series: q.series, Format: e.v5, Limit: q.limit})
				must(t, err)
				res, err := a.Run(ctx, p.Text, nil)
				if err != nil {
					t.Fatalf("%v\n%s", err, p.Text)
				}
				e.compare(t, q, 29, p, res)
			})
		}
	}
	for _, n := range []int{14, 29} {
		group := map[int]string{14: "v2", 29: "v5"}[n]
		fm := model.DefaultFormat
		if n == 29 {
			fm = e.v5
		}
		in, err := source.NewInsights(source.InsightsConfig{AWS: e.aws(t), Groups: []string{group}})
		must(t, err)
		for _, q := range e2eCases {
			t.Run("insights/"+group+"/"+q.name, func(t *testing.T) {
				if strings.Contains(q.group, "/") {
					// Insights groups IPv6 addresses as absent under a prefix key
					// (see filter.InsightsPlan): compare over IPv4 only.
					q.ipv4 = true
				}
				f := q.compile(t)
				g := q.grouping(t)
				p, err := f.InsightsPlan(filter.InsightsQuery{Format: fm, Group: g, Series: q.series, Limit: q.limit})
				must(t, err)
				start, end := p.Start, p.End
				if start.IsZero() {
					start = e2eT0.Add(-time.Hour)
				}
				if end.IsZero() {
					end = e.now
				}
				res, err := in.Run(ctx, source.InsightsRequest{Query: p.Text, Start: start, End: end, Limit: p.Limit}, nil)
				if err != nil {
					t.Fatalf("%v\n%s", err, p.Text)
				}
				e.compare(t, q, n, p, res)
			})
		}
	}
}

func cols(cs []source.AthenaColumn) []filter.AthenaColumn {
	out := make([]filter.AthenaColumn, len(cs))
	for i, c := range cs {
		out[i] = filter.AthenaColumn{Name: c.Name, Type: c.Type}
	}
	return out
}
