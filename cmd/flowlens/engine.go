package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/tui"
)

// engineFlags choose and configure the remote engine that answers a
// question too big for the local index (--engine athena|insights).
type engineFlags struct {
	name      string
	database  string
	table     string
	workgroup string
	output    string
	catalog   string
	reuse     time.Duration
	maxScan   string
}

func (e *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.name, "engine", "local", "where the question runs: local (the index), athena or insights")
	fs.StringVar(&e.database, "athena-database", "", "Athena: the database (Glue catalog) holding the flow-log table")
	fs.StringVar(&e.table, "athena-table", "vpc_flow_logs", "Athena: the flow-log table (see flowlens athena-ddl)")
	fs.StringVar(&e.workgroup, "athena-workgroup", "primary", "Athena: the workgroup")
	fs.StringVar(&e.output, "athena-output", "", "Athena: result location s3://bucket/prefix/ (default: the workgroup's)")
	fs.StringVar(&e.catalog, "athena-catalog", "AwsDataCatalog", "Athena: the data catalog")
	fs.DurationVar(&e.reuse, "athena-reuse", time.Hour, "Athena: answer from an identical query's results up to this old (0 = always run)")
	fs.StringVar(&e.maxScan, "max-scan", "", "stop a remote query that scans more than SIZE (e.g. 50GB)")
}

// remote reports whether a remote engine was chosen.
func (e *engineFlags) remote() bool { return e.name != "" && e.name != "local" }

// check validates the engine name.
func (e *engineFlags) check() error {
	switch e.name {
	case "", "local", "athena", "insights":
		return nil
	}
	return usagef("--engine %q: want local, athena or insights", e.name)
}

// scanLimit parses --max-scan (0 = none).
func (e *engineFlags) scanLimit() (int64, error) {
	if e.maxScan == "" {
		return 0, nil
	}
	n, err := filter.ParseSize(e.maxScan)
	if err != nil || n == 0 {
		return 0, usagef("--max-scan %q: want a size such as 50GB or 1TiB", e.maxScan)
	}
	return int64(min(n, 1<<62)), nil
}

// awsConfig is the AWS part of the source options.
func awsConfig(o source.Options) source.AWSConfig {
	return source.AWSConfig{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL}
}

// remoteQuery is a question prepared for a remote engine.
type remoteQuery struct {
	plan *filter.Plan
	// run executes the plan, reporting progress.
	run   func(ctx context.Context, progress func(source.Progress)) (*source.RemoteResult, error)
	notes []string // said on stderr before it runs
	scope string   // what it reads, for --explain and the TUI's confirmation
}

// prepareRemote renders the question for the chosen engine and builds the
// engine. grp nil asks for records (at most limit), series > 0 for a
// time series.
func prepareRemote(ctx context.Context, e *engineFlags, specs []string, opts source.Options, flt *filter.Filter,
	grp *model.GroupQuery, series int64, limit int, now time.Time) (*remoteQuery, error) {
	maxScan, err := e.scanLimit()
	if err != nil {
		return nil, err
	}
	switch e.name {
	case "athena":
		return prepareAthena(ctx, e, specs, opts, flt, grp, series, limit, maxScan)
	case "insights":
		return prepareInsights(e, specs, opts, flt, grp, series, limit, maxScan, now)
	}
	return nil, usagef("--engine %q: want athena or insights", e.name)
}

func prepareAthena(ctx context.Context, e *engineFlags, specs []string, opts source.Options, flt *filter.Filter,
	grp *model.GroupQuery, series int64, limit int, maxScan int64) (*remoteQuery, error) {
	if len(specs) > 0 {
		return nil, usagef("--engine athena reads the table --athena-table, not SOURCE arguments (%s)", strings.Join(specs, " "))
	}
	if e.database == "" {
		return nil, usagef("--engine athena needs --athena-database (and --athena-table, default vpc_flow_logs)")
	}
	a, err := source.NewAthena(source.AthenaConfig{AWS: awsConfig(opts), Catalog: e.catalog, Database: e.database,
		Table: e.table, Workgroup: e.workgroup, OutputLocation: e.output, ReuseMaxAge: e.reuse, MaxScan: maxScan})
	if err != nil {
		return nil, usagef("%v", err)
	}
	rq := &remoteQuery{}
	table := filter.ReferenceTable(a.TableName())
	info, err := a.TableInfo(ctx)
	switch {
	case err == nil:
		var notes []string
		table, notes = filter.DescribeAthenaTable(a.TableName(), athenaColumns(info.Columns), athenaColumns(info.PartitionKeys), info.Parameters)
		rq.notes = append(rq.notes, notes...)
	case errors.Is(err, source.ErrAccessDenied):
		rq.notes = append(rq.notes, fmt.Sprintf("%v; assuming the documented table (partitioned by day 'yyyy/MM/dd')", err))
	default:
		return nil, err
	}
	plan, err := flt.AthenaSQL(filter.AthenaQuery{Table: table, Group: grp, Series: series, Format: opts.Format, Limit: limit})
	if err != nil {
		return nil, usagef("--filter: %v", err)
	}
	if plan.Start.IsZero() && plan.End.IsZero() {
		rq.notes = append(rq.notes, "no --since/--until: the query reads every partition of "+a.TableName())
	} else if len(table.Time) == 0 {
		rq.notes = append(rq.notes, "the time range cannot prune "+a.TableName()+" (no time partitions recognised): every partition is read")
	}
	rq.plan = plan
	rq.scope = fmt.Sprintf("Athena %s (workgroup %s), %s", a.TableName(), e.workgroup, timeScope(plan.Start, plan.End))
	rq.run = func(ctx context.Context, progress func(source.Progress)) (*source.RemoteResult, error) {
		return a.Run(ctx, plan.Text, progress)
	}
	return rq, nil
}

func athenaColumns(cs []source.AthenaColumn) []filter.AthenaColumn {
	out := make([]filter.AthenaColumn, len(cs))
	for i, c := range cs {
		out[i] = filter.AthenaColumn{Name: c.Name, Type: c.Type}
	}
	return out
}

// insightsDefaultRange is how far back an Insights query reads when
// neither --since nor the filter bounds the time: Insights needs a range,
// and reading a group's whole retention by default would be costly.
const insightsDefaultRange = time.Hour

func prepareInsights(e *engineFlags, specs []string, opts source.Options, flt *filter.Filter,
	grp *model.GroupQuery, series int64, limit int, maxScan int64, now time.Time) (*remoteQuery, error) {
	var groups []string
	for _, s := range specs {
		g, ok := strings.CutPrefix(s, "cloudwatch://")
		if !ok {
			g, ok = strings.CutPrefix(s, "cw://")
		}
		if !ok || g == "" {
			return nil, usagef("--engine insights reads CloudWatch Logs groups: want cloudwatch://LOG_GROUP sources, got %q", s)
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil, usagef("--engine insights needs cloudwatch://LOG_GROUP sources (up to %d)", source.InsightsMaxGroups)
	}
	if len(groups) > source.InsightsMaxGroups {
		return nil, usagef("--engine insights: %d log groups, but one query reads at most %d", len(groups), source.InsightsMaxGroups)
	}
	in, err := source.NewInsights(source.InsightsConfig{AWS: awsConfig(opts), Groups: groups, MaxScan: maxScan})
	if err != nil {
		return nil, usagef("%v", err)
	}
	plan, err := flt.InsightsPlan(filter.InsightsQuery{Format: opts.Format, Group: grp, Series: series, Limit: limit})
	if err != nil {
		return nil, usagef("--filter: %v", err)
	}
	rq := &remoteQuery{plan: plan}
	if plan.End.IsZero() || plan.End.After(now) {
		plan.End = now.UTC().Truncate(time.Second)
	}
	if plan.Start.IsZero() {
		plan.Start = plan.End.Add(-insightsDefaultRange)
		rq.notes = append(rq.notes, fmt.Sprintf("no --since: reading the last %s (Logs Insights needs a time range)", insightsDefaultRange))
	}
	if plan.End.Before(plan.Start) {
		return nil, usagef("the time range is empty (%s .. %s)", plan.Start.Format(time.RFC3339), plan.End.Format(time.RFC3339))
	}
	rq.scope = fmt.Sprintf("Logs Insights over %s, %s", strings.Join(groups, ", "), timeScope(plan.Start, plan.End))
	rq.run = func(ctx context.Context, progress func(source.Progress)) (*source.RemoteResult, error) {
		return in.Run(ctx, source.InsightsRequest{Query: plan.Text, Start: plan.Start, End: plan.End, Limit: plan.Limit}, progress)
	}
	return rq, nil
}

// timeScope says what time range a remote query reads.
func timeScope(start, end time.Time) string {
	f := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }
	switch {
	case start.IsZero() && end.IsZero():
		return "all time"
	case start.IsZero():
		return "up to " + f(end)
	case end.IsZero():
		return "from " + f(start)
	}
	return f(start) + " .. " + f(end) + " (" + end.Sub(start).Round(time.Minute).String() + ")"
}

// shape reads what a query's answer looks like, for the local index and
// the remote engines alike: the grouping (nil for records; names, nil for
// none, supplies the name keys) and the output format (table on a
// terminal, else jsonl, unless --output says).
func (q *queryFlags) shape(stdout io.Writer, names *naming) (*grouping, string, error) {
	grp, err := parseGrouping(q.groupBy, q.metrics, q.sortBy, q.top, names)
	if err != nil {
		return nil, "", err
	}
	out := q.output
	if out == "" {
		out = "jsonl"
		if isTerminal(stdout) {
			out = "table"
		}
	}
	if out != "table" && out != "jsonl" && out != "csv" {
		return nil, "", usagef("--output %q: want table, jsonl or csv", out)
	}
	if out == "csv" && isTerminal(stdout) {
		out = csvTerminal
	}
	if q.limit < 0 || q.top < 0 {
		return nil, "", usagef("--limit and --top must not be negative")
	}
	return grp, out, nil
}

// defaultRemoteLimit caps the records a remote query returns when --limit
// is not given: paging millions of rows back through the API is never
// what a user wants.
const defaultRemoteLimit = 10000

// runEngine answers a query with a remote engine and prints the answer
// in the same forms as a local query.
func runEngine(q *queryFlags, specs []string, opts source.Options, flt *filter.Filter, now time.Time, stdout, stderr io.Writer) error {
	if err := q.engine.check(); err != nil {
		return err
	}
	if q.follow && !q.noFollow {
		return usagef("--engine %s answers once: --follow is for the local index", q.engine.name)
	}
	grp, out, err := q.shape(stdout, nil) // names live in flowlens, not in the engines
	if err != nil {
		return err
	}
	limit := q.limit
	if limit == 0 {
		limit = defaultRemoteLimit
	}
	ctx, intr, stop := watchSignals(baseContext(), os.Exit)
	defer stop()
	rq, err := prepareRemote(ctx, &q.engine, specs, opts, flt, grp, 0, limit, now)
	if err != nil {
		return err
	}
	if q.explain != "" {
		fmt.Fprintln(stdout, rq.plan.Text)
		fmt.Fprintf(stdout, "%s reads: %s\n", commentMark(rq.plan.Engine), rq.scope)
		return nil
	}
	name := rq.plan.Engine
	for _, n := range rq.notes {
		fmt.Fprintf(stderr, "flowlens: %s: %s\n", name, n)
	}
	prog := newProgressLine(stderr)
	res, err := rq.run(ctx, prog.update)
	prog.done()
	if sig, _ := intr.signal(); sig != nil {
		// the engine was told to stop (the error says so); exit 130/143
		msg := "interrupted by " + signalName(sig)
		if err != nil {
			msg += ": " + err.Error()
		}
		return &exitError{code: signalStatus(sig), msg: msg}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flowlens: %s\n", resultSummary(res))
	w := bufio.NewWriterSize(stdout, 256<<10)
	defer w.Flush()
	plan := rq.plan
	var cut string // what the answer leaves out, for --strict
	switch plan.Kind {
	case filter.PlanRecords:
		lines, err := plan.RecordLines(res.Columns, res.Rows)
		if err != nil {
			return err
		}
		mem, err := q.budget()
		if err != nil {
			return err
		}
		ix := model.NewIndex(mem.Index)
		defer limitMemory(mem)()
		ix.Ingest(&model.Batch{Source: name, Object: res.ID, Data: lines, Format: plan.Format, Line: 1, EOF: true})
		snap := ix.Publish()
		err = printRecords(w, out, snap, model.SelectAll(snap), 0, 0, true, nil)
		reportBad(stderr, snap)
		if len(res.Rows) >= limit && q.limit == 0 {
			// a cut the user did not ask for
			fmt.Fprintf(stderr, "flowlens: %s: showing the first %d matching records (by start); --limit N for another number\n", name, limit)
			cut = fmt.Sprintf("the answer was cut at %d records", limit)
		}
		if err != nil {
			return err
		}
	case filter.PlanGroups:
		ans, err := plan.Groups(res.Columns, res.Rows)
		if err != nil {
			return err
		}
		if len(grp.Keys) == 0 {
			err = writeTotals(w, out, plan.Group, ans.GroupResult)
		} else {
			err = writeGroups(w, out, ans.GroupResult, false, now)
		}
		if ans.Truncated {
			fmt.Fprintf(stderr, "flowlens: %s: the answer reached Logs Insights' %d-row limit: the top groups are right, but groups past the limit are missing (%d groups is a lower bound, shares unknown)\n",
				name, filter.InsightsMaxRows, ans.Groups)
			cut = fmt.Sprintf("the answer reached Logs Insights' %d-row limit", filter.InsightsMaxRows)
		}
		if err != nil {
			return err
		}
	}
	if ferr := w.Flush(); ferr != nil && !isBrokenPipe(ferr) {
		return ferr
	}
	if q.strict && cut != "" {
		return &exitError{code: 1, msg: "--strict: " + cut}
	}
	return nil
}

func commentMark(engine string) string {
	if engine == "athena" {
		return "--"
	}
	return "#"
}

// resultSummary says what a remote query did and cost.
func resultSummary(r *source.RemoteResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s query %s done in %s: %d rows, %s scanned, ~%s", r.Engine, r.ID, r.Elapsed.Round(100*time.Millisecond),
		len(r.Rows), source.FormatBytes(r.Scanned), source.FormatCost(r.Cost))
	if r.Reused {
		b.WriteString(" (answered from an identical query's results: nothing scanned; --athena-reuse 0 to run it again)")
	}
	if r.Engine == "insights" && r.Records > 0 {
		fmt.Fprintf(&b, "; %d of %d records matched", r.Matched, r.Records)
	}
	if r.Throttled > 0 {
		fmt.Fprintf(&b, "; %d throttled calls retried", r.Throttled)
	}
	return b.String()
}

// progressLine shows a remote query's progress on stderr: one line
// rewritten in place on a terminal, else a line per state change (and at
// most every 10 s while the state holds), so logs stay short.
type progressLine struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex
	shown bool
	state string
	at    time.Time
}

func newProgressLine(w io.Writer) *progressLine { return &progressLine{w: w, tty: isTerminal(w)} }

func (p *progressLine) update(pr source.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := "flowlens: " + pr.String()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", model.Sanitize(line))
		p.shown = true
		return
	}
	if pr.State != p.state || pr.Note != "" || time.Since(p.at) >= 10*time.Second {
		p.state, p.at = pr.State, time.Now()
		fmt.Fprintln(p.w, model.Sanitize(line))
	}
}

// done clears the in-place line.
func (p *progressLine) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// runAthenaDDL prints the CREATE TABLE for a bucket's flow logs.
func runAthenaDDL(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("athena-ddl", flag.ContinueOnError)
	var c common
	c.register(fs)
	bucket := fs.String("bucket", "", "s3://bucket[/prefix] the flow logs are delivered to")
	parquet := fs.Bool("parquet", false, "the objects are Parquet")
	hive := fs.Bool("hive", false, "Hive-compatible folders (aws-account-id=.../year=...)")
	hourly := fs.Bool("hourly", false, "per-hour partitions")
	table := fs.String("table", "vpc_flow_logs", "table name")
	accounts := fs.String("accounts", "", "comma list of account IDs (default: found in the bucket)")
	regions := fs.String("regions", "", "comma list of regions (default: found in the bucket)")
	from := fs.String("from", "", "first day the table covers, yyyy/MM/dd (default 2018/01/01)")
	noList := fs.Bool("no-list", false, "do not list the bucket: use the flags only")
	help := fs.Bool("help", false, "show usage")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *help {
		fmt.Fprint(stdout, athenaDDLUsage)
		return nil
	}
	if *bucket == "" {
		return usagef("athena-ddl: --bucket s3://bucket[/prefix] is required")
	}
	if *from != "" {
		if _, err := time.Parse("2006/01/02", *from); err != nil {
			return usagef("athena-ddl: --from %q: want yyyy/MM/dd", *from)
		}
	}
	b, prefix, err := source.ParseBucket(*bucket)
	if err != nil {
		return usagef("athena-ddl: %v", err)
	}
	opts, err := c.sourceOptions(false, time.Now())
	if err != nil {
		return err
	}
	l := source.AthenaLayout{Bucket: b, Prefix: prefix, Format: opts.Format, From: *from, ToYear: time.Now().Year() + 10}
	if !*noList {
		ctx, stop := signal.NotifyContext(baseContext(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		found, err := source.DiscoverAthenaLayout(ctx, l, source.S3ConfigFrom(opts))
		if err != nil {
			fmt.Fprintf(stderr, "flowlens: athena-ddl: could not list the bucket (%v); using the flags and defaults (--no-list to skip)\n", err)
		} else {
			if opts.Format != nil {
				found.Format = opts.Format
			}
			l = found
			fmt.Fprintf(stderr, "flowlens: athena-ddl: found %s layout, %s objects, accounts %s, regions %s\n",
				map[bool]string{true: "Hive", false: "plain"}[l.Hive]+map[bool]string{true: " hourly", false: " daily"}[l.Hourly],
				map[bool]string{true: "Parquet", false: "text"}[l.Parquet], strings.Join(l.Accounts, ","), strings.Join(l.Regions, ","))
		}
	}
	// flags override what was found
	if *parquet {
		l.Parquet = true
	}
	if *hive {
		l.Hive = true
	}
	if *hourly {
		l.Hourly = true
	}
	if *accounts != "" {
		l.Accounts = splitList(*accounts)
	}
	if *regions != "" {
		l.Regions = splitList(*regions)
	}
	if len(l.Accounts) == 0 || len(l.Regions) == 0 {
		fmt.Fprintln(stderr, "flowlens: athena-ddl: no accounts or regions known: the DDL has placeholders (111122223333, us-east-1); give --accounts and --regions")
	}
	fmt.Fprint(stdout, source.AthenaDDL(*table, l))
	return nil
}

const athenaDDLUsage = `Usage: flowlens athena-ddl --bucket s3://bucket[/prefix] [--parquet] [--hive] [--hourly]

Prints the Athena CREATE TABLE, with partition projection, for flow logs
delivered to the bucket. The bucket is listed (a few ListObjectsV2 calls
and one GetObject) to find the accounts, regions, folder layout, object
format and field order; flags override what is found.

  --bucket s3://...     the bucket (and prefix above AWSLogs/)
  --parquet             Parquet objects
  --hive                Hive-compatible folders
  --hourly              per-hour partitions
  --table NAME          table name (default vpc_flow_logs)
  --accounts LIST       account IDs for the projection
  --regions LIST        regions for the projection
  --from yyyy/MM/dd     first day the projection covers (default 2018/01/01)
  --log-format FMT      the text objects' field order
  --no-list             do not list the bucket
  --profile, --region, --endpoint-url   AWS
`

// tuiRemote answers the explorer's R with the engine of --engine.
type tuiRemote struct {
	e     *engineFlags
	specs []string // Insights: the cloudwatch:// sources explored
	opts  source.Options
}

// forTUI returns the explorer's remote engine (nil without --engine).
func (e *engineFlags) forTUI(specs []string, opts source.Options) (tui.Remote, error) {
	if err := e.check(); err != nil || !e.remote() {
		return nil, err
	}
	if _, err := e.scanLimit(); err != nil {
		return nil, err
	}
	r := &tuiRemote{e: e, opts: opts}
	if e.name == "insights" {
		for _, s := range specs {
			if strings.HasPrefix(s, "cloudwatch://") || strings.HasPrefix(s, "cw://") {
				r.specs = append(r.specs, s)
			}
		}
		if len(r.specs) == 0 {
			return nil, usagef("--engine insights in the explorer needs cloudwatch://LOG_GROUP sources")
		}
	}
	return r, nil
}

// Engine names the engine.
func (r *tuiRemote) Engine() string { return r.e.name }

// Prepare renders the explorer's question for the engine.
func (r *tuiRemote) Prepare(ctx context.Context, q tui.RemoteQuestion) (*tui.RemoteRun, error) {
	rq, err := prepareRemote(ctx, r.e, r.specs, r.opts, q.Filter, q.Group, q.Series, q.Limit, time.Now())
	if err != nil {
		return nil, err
	}
	return &tui.RemoteRun{Plan: rq.plan, Scope: rq.scope, Notes: rq.notes, Run: rq.run}, nil
}
