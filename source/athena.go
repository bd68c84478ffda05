package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// AthenaConfig says where Athena questions run.
type AthenaConfig struct {
	AWS AWSConfig

	Catalog   string // data catalog ("" = AwsDataCatalog)
	Database  string // required
	Table     string // required: the flow-log table
	Workgroup string // "" = primary
	// OutputLocation is where Athena writes results (s3://bucket/prefix/);
	// "" = the workgroup's own setting.
	OutputLocation string
	// ReuseMaxAge lets Athena answer from the results of an identical
	// query run within this age (0 = reuse off); at most 7 days.
	ReuseMaxAge time.Duration
	// MaxScan stops a query once it has read more than this many bytes
	// (0 = no limit).
	MaxScan int64
	// PricePerTB is the price of a TB scanned (0 = AthenaPricePerTB).
	PricePerTB float64
	// PollFirst and PollMax bound the wait between GetQueryExecution
	// polls (0 = 200 ms, growing by half to 3 s).
	PollFirst, PollMax time.Duration
	// PageSize is the rows asked per GetQueryResults page (0 = 1000, the
	// most Athena gives).
	PageSize int32
}

// Athena runs SQL on Amazon Athena: StartQueryExecution, GetQueryExecution
// polled with back-off (progress reported after each poll), GetQueryResults
// paged; StopQueryExecution when the caller's context ends or the scan
// passes MaxScan. Throttled calls are retried with back-off.
type Athena struct {
	cfg    AthenaConfig
	client *athena.Client
	on     string
}

// NewAthena checks the configuration and builds the client. It does no
// network I/O.
func NewAthena(cfg AthenaConfig) (*Athena, error) {
	if cfg.Database == "" || cfg.Table == "" {
		return nil, fmt.Errorf("athena: --athena-database and --athena-table are required")
	}
	if cfg.OutputLocation != "" && !strings.HasPrefix(cfg.OutputLocation, "s3://") {
		return nil, fmt.Errorf("athena: --athena-output %q: want s3://bucket/prefix/", cfg.OutputLocation)
	}
	if cfg.ReuseMaxAge < 0 || cfg.ReuseMaxAge > 7*24*time.Hour {
		return nil, fmt.Errorf("athena: result reuse age %s: want 0 (off) to 7 days", cfg.ReuseMaxAge)
	}
	if cfg.Catalog == "" {
		cfg.Catalog = "AwsDataCatalog"
	}
	if cfg.Workgroup == "" {
		cfg.Workgroup = "primary"
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 1000 {
		cfg.PageSize = 1000
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	awsCfg, err := cfg.AWS.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("athena: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("athena: no AWS region: set --region, AWS_REGION or a profile's region")
	}
	a := &Athena{cfg: cfg, client: athena.NewFromConfig(awsCfg), on: "athena table " + cfg.Database + "." + cfg.Table}
	return a, nil
}

// TableName is the table as written in SQL: "database"."table".
func (a *Athena) TableName() string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return q(a.cfg.Database) + "." + q(a.cfg.Table)
}

// AthenaColumn is a column as the Glue Data Catalog describes it.
type AthenaColumn struct {
	Name string
	Type string
}

// AthenaTableInfo is what the catalog says about the flow-log table.
type AthenaTableInfo struct {
	Columns       []AthenaColumn
	PartitionKeys []AthenaColumn
	Parameters    map[string]string // table properties (partition projection)
}

// TableInfo reads the table's columns, partition keys and properties
// (GetTableMetadata), so questions can prune on its time partitions.
func (a *Athena) TableInfo(ctx context.Context) (*AthenaTableInfo, error) {
	var box StatusBox
	call := newAWSCaller(&a.cfg.AWS, &box, a.on)
	var out *athena.GetTableMetadataOutput
	err := call.do(ctx, "GetTableMetadata", "athena:GetTableMetadata", func(ctx context.Context) error {
		var err error
		out, err = a.client.GetTableMetadata(ctx, &athena.GetTableMetadataInput{
			CatalogName: aws.String(a.cfg.Catalog), DatabaseName: aws.String(a.cfg.Database), TableName: aws.String(a.cfg.Table)})
		return err
	})
	if err != nil {
		return nil, a.explain(err)
	}
	info := &AthenaTableInfo{Parameters: out.TableMetadata.Parameters}
	for _, c := range out.TableMetadata.Columns {
		info.Columns = append(info.Columns, AthenaColumn{aws.ToString(c.Name), aws.ToString(c.Type)})
	}
	for _, c := range out.TableMetadata.PartitionKeys {
		info.PartitionKeys = append(info.PartitionKeys, AthenaColumn{aws.ToString(c.Name), aws.ToString(c.Type)})
	}
	return info, nil
}

// Run executes one statement and returns its rows. progress (may be nil)
// is called after every poll, and while a throttled call waits. When ctx
// ends, or the scan passes MaxScan, the query is stopped with
// StopQueryExecution and a *QueryError says so.
func (a *Athena) Run(ctx context.Context, sql string, progress func(Progress)) (*RemoteResult, error) {
	started := a.cfg.AWS.now()
	p := Progress{Engine: "athena", State: "starting"}
	report := func() {
		if progress != nil {
			p.Elapsed = a.cfg.AWS.now().Sub(started)
			progress(p)
		}
	}
	var box StatusBox
	call := engineCaller(&a.cfg.AWS, &box, a.on, func(note string) {
		p.Note = note
		report()
		p.Note = ""
	})
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(a.cfg.Database), Catalog: aws.String(a.cfg.Catalog)},
		WorkGroup:             aws.String(a.cfg.Workgroup),
	}
	if a.cfg.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(a.cfg.OutputLocation)}
	}
	if a.cfg.ReuseMaxAge > 0 {
		in.ResultReuseConfiguration = &types.ResultReuseConfiguration{ResultReuseByAgeConfiguration: &types.ResultReuseByAgeConfiguration{
			Enabled: true, MaxAgeInMinutes: aws.Int32(int32(max(1, a.cfg.ReuseMaxAge/time.Minute)))}}
	}
	report()
	var start *athena.StartQueryExecutionOutput
	err := call.do(ctx, "StartQueryExecution", "athena:StartQueryExecution", func(ctx context.Context) error {
		var err error
		start, err = a.client.StartQueryExecution(ctx, in)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &QueryError{Engine: "athena", State: "CANCELLED", Reason: "interrupted while starting the query", Kind: ErrQueryCancelled}
		}
		return nil, a.explain(err)
	}
	id := aws.ToString(start.QueryExecutionId)
	p.ID, p.State = id, "QUEUED"
	res := &RemoteResult{Engine: "athena", ID: id}
	fail := func(state, reason string, kind error) error {
		return &QueryError{Engine: "athena", ID: id, State: state, Reason: reason, Scanned: p.Scanned, Cost: p.Cost, Kind: kind}
	}
	poll := newPoller(a.cfg.PollFirst, a.cfg.PollMax)
	for {
		report()
		if err := a.cfg.AWS.sleep(ctx, poll.wait()); err != nil {
			return nil, a.stop(id, fail("CANCELLED", "interrupted; StopQueryExecution sent", ErrQueryCancelled))
		}
		var ex *athena.GetQueryExecutionOutput
		err := call.do(ctx, "GetQueryExecution", "athena:GetQueryExecution", func(ctx context.Context) error {
			var err error
			ex, err = a.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
			return err
		})
		if ctx.Err() != nil {
			return nil, a.stop(id, fail("CANCELLED", "interrupted; StopQueryExecution sent", ErrQueryCancelled))
		}
		if err != nil {
			// the query may still be running: stop it rather than leave it
			// scanning unwatched
			return nil, a.stop(id, fmt.Errorf("athena query %s: %w (StopQueryExecution sent)", id, a.explain(err)))
		}
		qe := ex.QueryExecution
		if st := qe.Statistics; st != nil {
			p.Scanned = aws.ToInt64(st.DataScannedInBytes)
			if st.ResultReuseInformation != nil && st.ResultReuseInformation.ReusedPreviousResult {
				res.Reused = true
			}
		}
		p.Cost = athenaCost(p.Scanned, a.cfg.PricePerTB)
		if res.Reused {
			p.Cost = 0
		}
		var reason string
		if qe.Status != nil {
			p.State = string(qe.Status.State)
			reason = aws.ToString(qe.Status.StateChangeReason)
			if reason == "" && qe.Status.AthenaError != nil {
				reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
			}
		}
		if a.cfg.MaxScan > 0 && p.Scanned > a.cfg.MaxScan && p.State != string(types.QueryExecutionStateSucceeded) {
			return nil, a.stop(id, fail("STOPPED", fmt.Sprintf("past --max-scan %s; StopQueryExecution sent",
				FormatBytes(a.cfg.MaxScan)), ErrScanLimit))
		}
		switch types.QueryExecutionState(p.State) {
		case types.QueryExecutionStateSucceeded:
			report()
			res.Scanned, res.Cost = p.Scanned, p.Cost
			if err := a.fetch(ctx, call, id, res, &p, report); err != nil {
				return nil, err
			}
			res.Elapsed = a.cfg.AWS.now().Sub(started)
			res.Throttled = int(box.Status().Throttles)
			return res, nil
		case types.QueryExecutionStateFailed:
			p.Cost = 0 // Athena does not charge for failed queries
			return nil, fail("FAILED", reason, ErrQueryFailed)
		case types.QueryExecutionStateCancelled:
			if reason == "" {
				reason = "cancelled outside flowlens"
			}
			return nil, fail("CANCELLED", reason, ErrQueryCancelled)
		}
	}
}

// fetch pages through the results of a finished query.
func (a *Athena) fetch(ctx context.Context, call *awsCaller, id string, res *RemoteResult, p *Progress, report func()) error {
	var token *string
	first := true
	for {
		var out *athena.GetQueryResultsOutput
		err := call.do(ctx, "GetQueryResults", "athena:GetQueryResults", func(ctx context.Context) error {
			var err error
			out, err = a.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id),
				NextToken: token, MaxResults: aws.Int32(a.cfg.PageSize)})
			return err
		})
		if err != nil {
			return fmt.Errorf("athena query %s: results: %w", id, a.explain(err))
		}
		rows := out.ResultSet.Rows
		if first {
			first = false
			if md := out.ResultSet.ResultSetMetadata; md != nil {
				for _, c := range md.ColumnInfo {
					res.Columns = append(res.Columns, aws.ToString(c.Name))
				}
			}
			// The first row of a SELECT's results is its header.
			if len(rows) > 0 && headerRow(rows[0], res.Columns) {
				rows = rows[1:]
			}
		}
		for _, r := range rows {
			row := make([]string, len(r.Data))
			for i, d := range r.Data {
				row[i] = "-"
				if d.VarCharValue != nil {
					row[i] = *d.VarCharValue
				}
			}
			res.Rows = append(res.Rows, row)
		}
		p.Rows = len(res.Rows)
		report()
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			return nil
		}
		token = out.NextToken
	}
}

func headerRow(r types.Row, cols []string) bool {
	if len(r.Data) != len(cols) {
		return false
	}
	for i, d := range r.Data {
		if aws.ToString(d.VarCharValue) != cols[i] {
			return false
		}
	}
	return true
}

// stop sends StopQueryExecution on a fresh context (the caller's may have
// ended) and returns err, noting a failure to stop.
func (a *Athena) stop(id string, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if _, serr := a.client.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); serr != nil {
		return fmt.Errorf("%w; and StopQueryExecution failed, the query may still be running: %s", err, brief(serr))
	}
	return err
}

// explain adds the IAM action and the usual fixes to an API error.
func (a *Athena) explain(err error) error {
	var tm *types.TooManyRequestsException
	if errors.As(err, &tm) && tm.Reason != "" {
		return fmt.Errorf("%w (reason %s: too many queries running in this account and region; wait, or raise the Athena quota)", err, tm.Reason)
	}
	switch apiCode(err) {
	case "InvalidRequestException":
		msg := brief(err)
		if strings.Contains(msg, "output location") {
			msg += " (set --athena-output s3://bucket/prefix/ or a workgroup with a result location)"
		}
		return fmt.Errorf("athena: %s", msg)
	case "MetadataException":
		return fmt.Errorf("athena: %s (check --athena-database, --athena-table and --athena-catalog)", brief(err))
	}
	return err
}
