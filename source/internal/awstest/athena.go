package awstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AthenaColumn is a table column as the Glue Data Catalog describes it.
type AthenaColumn struct {
	Name string
	Type string // string, int, bigint, date
}

// AthenaTable is a table the Athena fake queries: columns, partition keys,
// table properties (partition projection), and rows loaded with AddLines.
type AthenaTable struct {
	Database string
	Name     string
	Columns  []AthenaColumn
	// PartitionKeys come after the data columns, as in Hive.
	PartitionKeys []AthenaColumn
	Parameters    map[string]string
	// Parquet tables map values by column name and read "-" in string
	// columns as NULL; text tables are positional (a line's n-th field is
	// the n-th column, whatever its name), as Hive's text SerDe.
	Parquet bool

	rows  []athenaRow
	idx   map[string]int
	names []string
}

type athenaRow struct {
	vals  sqlRow
	size  int   // bytes read for the row (text: the line)
	sizes []int // Parquet: bytes per slot; only the columns a query reads count
}

// layout returns the slot of every column (data columns, then partition
// keys) and the names in slot order.
func (t *AthenaTable) layout() (map[string]int, []string) {
	if t.idx == nil {
		t.idx = map[string]int{}
		for _, c := range append(append([]AthenaColumn(nil), t.Columns...), t.PartitionKeys...) {
			n := strings.ToLower(c.Name)
			if _, dup := t.idx[n]; !dup {
				t.idx[n] = len(t.names)
				t.names = append(t.names, n)
			}
		}
	}
	return t.idx, t.names
}

// FlowLogColumns are the data columns of AWS's documented flow-log DDL
// (flowlogs-reference.md §5), v2..v5 in order.
var FlowLogColumns = []AthenaColumn{
	{"version", "int"}, {"account_id", "string"}, {"interface_id", "string"}, {"srcaddr", "string"},
	{"dstaddr", "string"}, {"srcport", "int"}, {"dstport", "int"}, {"protocol", "bigint"},
	{"packets", "bigint"}, {"bytes", "bigint"}, {"start", "bigint"}, {"end", "bigint"},
	{"action", "string"}, {"log_status", "string"}, {"vpc_id", "string"}, {"subnet_id", "string"},
	{"instance_id", "string"}, {"tcp_flags", "int"}, {"type", "string"}, {"pkt_srcaddr", "string"},
	{"pkt_dstaddr", "string"}, {"region", "string"}, {"az_id", "string"}, {"sublocation_type", "string"},
	{"sublocation_id", "string"}, {"pkt_src_aws_service", "string"}, {"pkt_dst_aws_service", "string"},
	{"flow_direction", "string"}, {"traffic_path", "int"},
}

// NewReferenceTable returns the table of flowlogs-reference.md §5: every
// flow-log column, partitioned by accid, region_p and day (a date
// projection, format yyyy/MM/dd).
func NewReferenceTable(db, name string) *AthenaTable {
	return &AthenaTable{Database: db, Name: name, Columns: FlowLogColumns,
		PartitionKeys: []AthenaColumn{{"accid", "string"}, {"region_p", "string"}, {"day", "string"}},
		Parameters: map[string]string{
			"projection.enabled": "true", "projection.day.type": "date", "projection.day.format": "yyyy/MM/dd",
			"projection.day.range": "2024/01/01,NOW", "projection.day.interval": "1", "projection.day.interval.unit": "DAYS",
			"skip.header.line.count": "1",
		}}
}

// NewHiveTable returns a table in AWS's documented Hive layout: partition
// keys aws-account-id, aws-service, aws-region, year, month, day (and hour
// when hourly), all strings.
func NewHiveTable(db, name string, hourly, parquet bool) *AthenaTable {
	keys := []AthenaColumn{{"aws-account-id", "string"}, {"aws-service", "string"}, {"aws-region", "string"},
		{"year", "string"}, {"month", "string"}, {"day", "string"}}
	if hourly {
		keys = append(keys, AthenaColumn{"hour", "string"})
	}
	return &AthenaTable{Database: db, Name: name, Columns: FlowLogColumns, PartitionKeys: keys, Parquet: parquet,
		Parameters: map[string]string{"EXTERNAL": "true", "skip.header.line.count": "1"}}
}

// AddLines adds flow-log lines stored under one partition (values in
// PartitionKeys order). A header line (first field "version") sets the
// field names of the following lines, as at the top of every S3 object;
// text tables ignore the names (positional), Parquet tables use them.
func (t *AthenaTable) AddLines(part []string, lines ...string) error {
	if len(part) != len(t.PartitionKeys) {
		return fmt.Errorf("table %s: %d partition values for %d keys", t.Name, len(part), len(t.PartitionKeys))
	}
	idx, names := t.layout()
	base := make(sqlRow, len(names))
	for i, k := range t.PartitionKeys {
		v, err := typed(part[i], k.Type, false)
		if err != nil {
			return fmt.Errorf("partition %s: %w", k.Name, err)
		}
		base[idx[strings.ToLower(k.Name)]] = v
	}
	fieldNames := strings.Fields(DefaultHeader)
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "version" {
			fieldNames = f
			continue
		}
		r := athenaRow{vals: append(sqlRow(nil), base...), size: len(line) + 1}
		if t.Parquet {
			r.sizes = make([]int, len(names))
			for i, v := range f {
				if i >= len(fieldNames) {
					break
				}
				slot, ok := idx[strings.ReplaceAll(fieldNames[i], "-", "_")]
				if !ok || slot >= len(t.Columns) {
					continue
				}
				val, err := typed(v, t.Columns[slot].Type, true)
				if err != nil {
					return err
				}
				r.vals[slot] = val
				r.sizes[slot] = len(v)/3 + 1 // compressed columns read far less than text
			}
		} else {
			for i, v := range f {
				if i >= len(t.Columns) {
					break
				}
				val, _ := typed(v, t.Columns[i].Type, false) // unparsable numbers read NULL, as Hive's text SerDe
				r.vals[i] = val
			}
		}
		t.rows = append(t.rows, r)
	}
	return nil
}

// Append adds lines to a registered table while queries may be running
// (AddLines with the fake's lock held).
func (a *Athena) Append(t *AthenaTable, part []string, lines ...string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return t.AddLines(part, lines...)
}

// Rows returns how many rows the table holds.
func (t *AthenaTable) Rows() int { return len(t.rows) }

func typed(s, typ string, dashNull bool) (any, error) {
	switch strings.ToLower(typ) {
	case "int", "integer", "bigint", "smallint", "tinyint":
		if s == "-" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return n, nil
	case "date":
		return sqlDate(s), nil
	}
	if dashNull && s == "-" {
		return nil, nil
	}
	return s, nil
}

// AthenaWorkgroup is a workgroup of the fake.
type AthenaWorkgroup struct {
	OutputLocation string // "" = queries must give one
}

// Athena is an Athena server on 127.0.0.1 speaking awsJson1_1
// (X-Amz-Target AmazonAthena.*): StartQueryExecution, GetQueryExecution,
// GetQueryResults, StopQueryExecution and GetTableMetadata. Queries really
// run: the SQL is parsed and evaluated over the rows of the fake's tables
// (athena_sql.go); conjuncts of the WHERE clause that read only partition
// keys prune partitions before any row is read, and DataScannedInBytes
// counts the bytes of the rows read. Each query spends QueuedPolls
// GetQueryExecution calls QUEUED and RunningPolls RUNNING (its scanned
// bytes growing) and at least MinRunTime, then ends SUCCEEDED, or FAILED
// with the engine's message when the SQL is wrong. Results of SUCCEEDED
// queries are kept for result reuse.
type Athena struct {
	URL     string
	Account string
	Region  string
	Now     func() time.Time

	QueuedPolls  int
	RunningPolls int
	MinRunTime   time.Duration

	srv *http.Server

	mu         sync.Mutex
	tables     map[string]*AthenaTable // "db.table"
	workgroups map[string]AthenaWorkgroup
	queries    map[string]*athenaQuery
	order      []string
	nextID     int
	calls      map[string]int
	throttle   map[string]int
	deny       map[string]bool
	starts     []map[string]any
}

type athenaQuery struct {
	id, sql, db, catalog, workgroup, output string
	submitted                               time.Time
	polls                                   int
	state                                   string // QUEUED RUNNING SUCCEEDED FAILED CANCELLED
	reason                                  string
	res                                     *sqlResult
	err                                     error
	reused                                  bool
	ready                                   bool  // res or err is set
	scan                                    int64 // bytes it reads, known from the start
	done                                    time.Time
}

// NewAthena starts a fake Athena on addr.
func NewAthena(addr string) (*Athena, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a := NewAthenaHandler()
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	a.URL = "http://" + ln.Addr().String()
	go a.srv.Serve(ln)
	return a, nil
}

// NewAthenaHandler returns a fake Athena that does not listen: serve it.
// It has the workgroup "primary" (no output location) and no tables.
func NewAthenaHandler() *Athena {
	return &Athena{Account: "111122223333", Region: "us-east-1", Now: time.Now, QueuedPolls: 1, RunningPolls: 2,
		tables: map[string]*AthenaTable{}, workgroups: map[string]AthenaWorkgroup{"primary": {}},
		queries: map[string]*athenaQuery{}, calls: map[string]int{}, throttle: map[string]int{}, deny: map[string]bool{}}
}

// Close stops the server.
func (a *Athena) Close() {
	if a.srv != nil {
		a.srv.Close()
	}
}

// AddTable registers a table in its database (created as needed).
func (a *Athena) AddTable(t *AthenaTable) {
	a.mu.Lock()
	a.tables[strings.ToLower(t.Database+"."+t.Name)] = t
	a.mu.Unlock()
}

// AddWorkgroup adds (or replaces) a workgroup.
func (a *Athena) AddWorkgroup(name string, wg AthenaWorkgroup) {
	a.mu.Lock()
	a.workgroups[name] = wg
	a.mu.Unlock()
}

// Throttle answers the next n calls of op ("" = any operation) with
// TooManyRequestsException.
func (a *Athena) Throttle(op string, n int) {
	a.mu.Lock()
	a.throttle[op] = n
	a.mu.Unlock()
}

// Deny answers every call of op with AccessDeniedException.
func (a *Athena) Deny(op string) {
	a.mu.Lock()
	a.deny[op] = true
	a.mu.Unlock()
}

// Calls returns how many requests of op were received.
func (a *Athena) Calls(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// Started returns the StartQueryExecution requests received.
func (a *Athena) Started() []map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]any(nil), a.starts...)
}

// QueryState returns the state of a query ("" when unknown).
func (a *Athena) QueryState(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if q := a.queries[id]; q != nil {
		return q.state
	}
	return ""
}

// LastQuery returns the id of the newest query.
func (a *Athena) LastQuery() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.order) == 0 {
		return ""
	}
	return a.order[len(a.order)-1]
}

func (a *Athena) fail(w http.ResponseWriter, code, msg string, extra map[string]any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(http.StatusBadRequest)
	body := map[string]any{"__type": code, "Message": msg}
	for k, v := range extra {
		body[k] = v
	}
	json.NewEncoder(w).Encode(body)
}

// ServeHTTP answers one awsJson1_1 request.
func (a *Athena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonAthena.")
	if r.Method != http.MethodPost || !ok {
		a.fail(w, "UnknownOperationException", "unknown target "+target, nil)
		return
	}
	var req map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		a.fail(w, "SerializationException", err.Error(), nil)
		return
	}
	a.mu.Lock()
	a.calls[op]++
	throttled := false
	for _, k := range []string{op, ""} {
		if a.throttle[k] > 0 {
			a.throttle[k]--
			throttled = true
			break
		}
	}
	denied := a.deny[op]
	a.mu.Unlock()
	if throttled {
		a.fail(w, "TooManyRequestsException", "Rate exceeded", map[string]any{"Reason": "CONCURRENT_QUERY_LIMIT_EXCEEDED"})
		return
	}
	if denied {
		a.fail(w, "AccessDeniedException", fmt.Sprintf("User: arn:aws:iam::%s:user/test is not authorized to perform: athena:%s", a.Account, op), nil)
		return
	}
	switch op {
	case "StartQueryExecution":
		a.start(w, req)
	case "GetQueryExecution":
		a.get(w, req)
	case "GetQueryResults":
		a.results(w, req)
	case "StopQueryExecution":
		a.stop(w, req)
	case "GetTableMetadata":
		a.tableMetadata(w, req)
	default:
		a.fail(w, "InvalidRequestException", "not faked: "+op, nil)
	}
}

func obj(req map[string]any, k string) map[string]any {
	m, _ := req[k].(map[string]any)
	return m
}

func (a *Athena) start(w http.ResponseWriter, req map[string]any) {
	sql := str(req, "QueryString")
	ctx := obj(req, "QueryExecutionContext")
	db, catalog := str(ctx, "Database"), str(ctx, "Catalog")
	if catalog == "" {
		catalog = "AwsDataCatalog"
	}
	wgName := str(req, "WorkGroup")
	if wgName == "" {
		wgName = "primary"
	}
	output := str(obj(req, "ResultConfiguration"), "OutputLocation")
	reuse := obj(obj(req, "ResultReuseConfiguration"), "ResultReuseByAgeConfiguration")
	reuseOn, _ := reuse["Enabled"].(bool)
	maxAge, hasAge := num(reuse, "MaxAgeInMinutes")
	if !hasAge {
		maxAge = 60
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.starts = append(a.starts, req)
	wg, ok := a.workgroups[wgName]
	switch {
	case sql == "":
		a.fail(w, "InvalidRequestException", "QueryString is required", nil)
		return
	case !ok:
		a.fail(w, "InvalidRequestException", "WorkGroup "+wgName+" is not found.", nil)
		return
	case output == "" && wg.OutputLocation == "":
		a.fail(w, "InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.", nil)
		return
	case output != "" && !strings.HasPrefix(output, "s3://"):
		a.fail(w, "InvalidRequestException", "outputLocation is not a valid S3 path: "+output, nil)
		return
	case maxAge < 0 || maxAge > 10080:
		a.fail(w, "InvalidRequestException", "MaxAgeInMinutes must be between 0 and 10080", nil)
		return
	}
	if output == "" {
		output = wg.OutputLocation
	}
	now := a.Now()
	a.nextID++
	q := &athenaQuery{id: fmt.Sprintf("%08x-0000-4000-8000-%012x", a.nextID, a.nextID), sql: sql, db: db, catalog: catalog,
		workgroup: wgName, output: strings.TrimSuffix(output, "/") + "/", submitted: now, state: "QUEUED"}
	if reuseOn {
		for i := len(a.order) - 1; i >= 0; i-- {
			p := a.queries[a.order[i]]
			if p.state == "SUCCEEDED" && !p.reused && p.sql == sql && p.db == db && p.catalog == catalog && p.workgroup == wgName &&
				now.Sub(p.done) <= time.Duration(maxAge)*time.Minute {
				q.res, q.reused, q.state, q.done = p.res, true, "SUCCEEDED", now
				break
			}
		}
	}
	if q.reused {
		q.ready = true
	} else {
		// Athena runs queries in the background: StartQueryExecution
		// answers at once, and a poll sees the result once it is there.
		exec, err := a.prepare(sql, db, &q.scan)
		if err != nil {
			q.err, q.ready = err, true
		} else {
			go func() {
				res, err := exec()
				a.mu.Lock()
				q.res, q.err, q.ready = res, err, true
				a.mu.Unlock()
			}()
		}
	}
	a.queries[q.id] = q
	a.order = append(a.order, q.id)
	reply(w, map[string]any{"QueryExecutionId": q.id})
}

// prepare parses sql and finds its table (mu held); the function it
// returns executes it over the rows the table holds now, without the lock
// (rows are only ever appended, so the snapshot stays valid).
func (a *Athena) prepare(sql, db string, scan *int64) (func() (*sqlResult, error), error) {
	q, err := parseSQL(sql)
	if err != nil {
		return nil, err
	}
	parts := q.table
	if len(parts) == 3 {
		parts = parts[1:]
	}
	if len(parts) == 1 {
		parts = []string{strings.ToLower(db), parts[0]}
	}
	t := a.tables[strings.Join(parts, ".")]
	if t == nil {
		return nil, &sqlError{"TABLE_NOT_FOUND", q.tpos, fmt.Sprintf("Table 'awsdatacatalog.%s' does not exist", strings.Join(parts, "."))}
	}
	t.layout()
	rows := t.rows[:len(t.rows):len(t.rows)]
	if *scan, err = scanSize(q, t, rows); err != nil {
		return nil, err
	}
	return func() (*sqlResult, error) { return execSQL(q, t, rows) }, nil
}

func (a *Athena) query(w http.ResponseWriter, req map[string]any) *athenaQuery {
	id := str(req, "QueryExecutionId")
	q := a.queries[id]
	if q == nil {
		a.fail(w, "InvalidRequestException", "QueryExecution "+id+" was not found", nil)
	}
	return q
}

func (a *Athena) get(w http.ResponseWriter, req map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.query(w, req)
	if q == nil {
		return
	}
	now := a.Now()
	if q.state == "QUEUED" || q.state == "RUNNING" {
		q.polls++
		switch {
		case q.polls <= a.QueuedPolls:
			q.state = "QUEUED"
		case q.polls <= a.QueuedPolls+a.RunningPolls || now.Sub(q.submitted) < a.MinRunTime || !q.ready:
			q.state = "RUNNING"
		case q.err != nil:
			q.state, q.reason, q.done = "FAILED", q.err.Error(), now
		default:
			q.state, q.done = "SUCCEEDED", now
		}
	}
	status := map[string]any{"State": q.state, "SubmissionDateTime": float64(q.submitted.UnixMilli()) / 1000}
	if q.reason != "" {
		status["StateChangeReason"] = q.reason
	}
	if !q.done.IsZero() {
		status["CompletionDateTime"] = float64(q.done.UnixMilli()) / 1000
	}
	var scanned int64
	if !q.reused && q.state != "FAILED" {
		scanned = q.scan
		if q.state == "RUNNING" {
			// partial, growing with each poll (or with time, given MinRunTime)
			frac := 0.0
			if a.RunningPolls > 0 {
				frac = float64(min(q.polls-a.QueuedPolls, a.RunningPolls)) / float64(a.RunningPolls+1)
			}
			if a.MinRunTime > 0 {
				frac = min(float64(now.Sub(q.submitted))/float64(a.MinRunTime), 0.99)
			}
			scanned = int64(float64(scanned) * frac)
		}
		if q.state == "QUEUED" {
			scanned = 0
		}
	}
	elapsed := now.Sub(q.submitted).Milliseconds()
	stats := map[string]any{"DataScannedInBytes": scanned, "EngineExecutionTimeInMillis": elapsed,
		"TotalExecutionTimeInMillis": elapsed, "ResultReuseInformation": map[string]any{"ReusedPreviousResult": q.reused}}
	exec := map[string]any{
		"QueryExecutionId": q.id, "Query": q.sql, "StatementType": "DML", "Status": status, "Statistics": stats,
		"ResultConfiguration":   map[string]any{"OutputLocation": q.output + q.id + ".csv"},
		"QueryExecutionContext": map[string]any{"Database": q.db, "Catalog": q.catalog}, "WorkGroup": q.workgroup,
		"EngineVersion": map[string]any{"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
	}
	reply(w, map[string]any{"QueryExecution": exec})
}

func (a *Athena) results(w http.ResponseWriter, req map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.query(w, req)
	if q == nil {
		return
	}
	if q.state != "SUCCEEDED" {
		a.fail(w, "InvalidRequestException", "Query has not yet finished. Current state: "+q.state, nil)
		return
	}
	max, ok := num(req, "MaxResults")
	if !ok {
		max = 1000
	}
	if max < 1 || max > 1000 {
		a.fail(w, "InvalidRequestException", "MaxResults must be between 1 and 1000", nil)
		return
	}
	// the header row counts as a row of the first page
	all := make([][]any, 0, len(q.res.rows)+1)
	head := make([]any, len(q.res.cols))
	for i, c := range q.res.cols {
		head[i] = c
	}
	all = append(all, head)
	all = append(all, q.res.rows...)
	off := 0
	if tok := str(req, "NextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 || n > len(all) {
			a.fail(w, "InvalidRequestException", "The NextToken is not valid", nil)
			return
		}
		off = n
	}
	page := all[off:min(off+int(max), len(all))]
	rows := make([]map[string]any, 0, len(page))
	for _, r := range page {
		data := make([]map[string]any, len(r))
		for i, v := range r {
			if v == nil {
				data[i] = map[string]any{}
			} else {
				data[i] = map[string]any{"VarCharValue": sqlText(v)}
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	cols := make([]map[string]any, len(q.res.cols))
	for i, c := range q.res.cols {
		cols[i] = map[string]any{"Name": c, "Label": c, "Type": q.res.types[i], "CatalogName": "hive", "Nullable": "UNKNOWN"}
	}
	out := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if off+len(page) < len(all) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(off + len(page))))
	}
	reply(w, out)
}

func (a *Athena) stop(w http.ResponseWriter, req map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.query(w, req)
	if q == nil {
		return
	}
	if q.state == "QUEUED" || q.state == "RUNNING" {
		q.state, q.reason, q.done = "CANCELLED", "Query cancelled by user", a.Now()
	}
	reply(w, map[string]any{})
}

func (a *Athena) tableMetadata(w http.ResponseWriter, req map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	db, name := str(req, "DatabaseName"), str(req, "TableName")
	t := a.tables[strings.ToLower(db+"."+name)]
	if t == nil {
		a.fail(w, "MetadataException", fmt.Sprintf("Table %s not found in database %s", name, db), nil)
		return
	}
	cols := func(cs []AthenaColumn) []map[string]any {
		out := make([]map[string]any, len(cs))
		for i, c := range cs {
			out[i] = map[string]any{"Name": c.Name, "Type": c.Type}
		}
		return out
	}
	reply(w, map[string]any{"TableMetadata": map[string]any{
		"Name": t.Name, "TableType": "EXTERNAL_TABLE", "Columns": cols(t.Columns), "PartitionKeys": cols(t.PartitionKeys),
		"Parameters": t.Parameters,
	}})
}

// All serves S3, CloudWatch Logs and Athena on one endpoint, told apart by
// the X-Amz-Target header of the JSON protocols (Logs_20140328.* and
// AmazonAthena.*); requests without one go to S3. A nil service answers
// its requests with 404.
func All(s3 *S3, cw *CloudWatch, athena *Athena) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		switch {
		case strings.HasPrefix(target, "Logs_") && cw != nil:
			cw.ServeHTTP(w, r)
		case strings.HasPrefix(target, "AmazonAthena.") && athena != nil:
			athena.ServeHTTP(w, r)
		case target == "" && s3 != nil:
			s3.Handler().ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
