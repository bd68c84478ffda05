package source

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// InsightsMaxGroups is the most log groups one Logs Insights query reads.
const InsightsMaxGroups = 50

// InsightsConfig says where Logs Insights questions run.
type InsightsConfig struct {
	AWS AWSConfig
	// Groups are the log groups (names or ARNs), 1 to 50.
	Groups []string
	// MaxScan stops a query once it has read more than this many bytes
	// (0 = no limit).
	MaxScan int64
	// PricePerGB is the price of a GB scanned (0 = InsightsPricePerGB).
	PricePerGB float64
	// PollFirst and PollMax bound the wait between GetQueryResults polls
	// (0 = 200 ms, growing by half to 3 s).
	PollFirst, PollMax time.Duration
}

// InsightsRequest is one query: its text, time range and row cap.
type InsightsRequest struct {
	Query      string
	Start, End time.Time // both required; whole seconds, inclusive
	Limit      int       // 1..10,000 (0 = 10,000)
}

// Insights runs CloudWatch Logs Insights queries: StartQuery, then
// GetQueryResults polled with back-off (progress reported after each
// poll) until the query is Complete; StopQuery when the caller's context
// ends or the scan passes MaxScan.
type Insights struct {
	cfg    InsightsConfig
	client *cloudwatchlogs.Client
	on     string
}

// NewInsights checks the configuration and builds the client. It does no
// network I/O.
func NewInsights(cfg InsightsConfig) (*Insights, error) {
	switch n := len(cfg.Groups); {
	case n == 0:
		return nil, fmt.Errorf("insights: no log group (give cloudwatch://GROUP sources)")
	case n > InsightsMaxGroups:
		return nil, fmt.Errorf("insights: %d log groups, but one query reads at most %d", n, InsightsMaxGroups)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	awsCfg, err := cfg.AWS.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("insights: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("insights: no AWS region: set --region, AWS_REGION or a profile's region")
	}
	custom := cfg.AWS.customEndpoint("CLOUDWATCH_LOGS")
	client := cloudwatchlogs.NewFromConfig(awsCfg, func(o *cloudwatchlogs.Options) {
		if custom {
			o.APIOptions = append(o.APIOptions, disableHostPrefix)
		}
	})
	on := "log group " + cfg.Groups[0]
	if len(cfg.Groups) > 1 {
		on = fmt.Sprintf("%d log groups", len(cfg.Groups))
	}
	return &Insights{cfg: cfg, client: client, on: on}, nil
}

// Run executes one query and returns its rows: the fields of the answer in
// order of first appearance (the @ptr record pointer left out), a field a
// row lacks reading "-".
func (in *Insights) Run(ctx context.Context, req InsightsRequest, progress func(Progress)) (*RemoteResult, error) {
	if req.Start.IsZero() || req.End.IsZero() || req.End.Before(req.Start) {
		return nil, fmt.Errorf("insights: want a time range (start %v, end %v)", req.Start, req.End)
	}
	limit := req.Limit
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	started := in.cfg.AWS.now()
	p := Progress{Engine: "insights", State: "starting"}
	report := func() {
		if progress != nil {
			p.Elapsed = in.cfg.AWS.now().Sub(started)
			progress(p)
		}
	}
	var box StatusBox
	call := engineCaller(&in.cfg.AWS, &box, in.on, func(note string) {
		p.Note = note
		report()
		p.Note = ""
	})
	sq := &cloudwatchlogs.StartQueryInput{QueryString: aws.String(req.Query), StartTime: aws.Int64(req.Start.Unix()),
		EndTime: aws.Int64(req.End.Unix()), Limit: aws.Int32(int32(limit))}
	arns := false
	for _, g := range in.cfg.Groups {
		if strings.HasPrefix(g, "arn:") {
			arns = true
		}
	}
	if arns {
		for _, g := range in.cfg.Groups {
			sq.LogGroupIdentifiers = append(sq.LogGroupIdentifiers, strings.TrimSuffix(g, ":*"))
		}
	} else {
		sq.LogGroupNames = in.cfg.Groups
	}
	report()
	var out *cloudwatchlogs.StartQueryOutput
	err := call.do(ctx, "StartQuery", "logs:StartQuery", func(ctx context.Context) error {
		var err error
		out, err = in.client.StartQuery(ctx, sq)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &QueryError{Engine: "insights", State: "Cancelled", Reason: "interrupted while starting the query", Kind: ErrQueryCancelled}
		}
		if apiCode(err) == "MalformedQueryException" {
			return nil, fmt.Errorf("insights: the query was rejected: %s", brief(err))
		}
		return nil, err
	}
	id := aws.ToString(out.QueryId)
	p.ID, p.State = id, "Scheduled"
	fail := func(state, reason string, kind error) error {
		return &QueryError{Engine: "insights", ID: id, State: state, Reason: reason, Scanned: p.Scanned, Cost: p.Cost, Kind: kind}
	}
	res := &RemoteResult{Engine: "insights", ID: id}
	poll := newPoller(in.cfg.PollFirst, in.cfg.PollMax)
	for {
		report()
		if err := in.cfg.AWS.sleep(ctx, poll.wait()); err != nil {
			return nil, in.stop(id, fail("Cancelled", "interrupted; StopQuery sent", ErrQueryCancelled))
		}
		var rows [][]types.ResultField
		var status types.QueryStatus
		var token *string
		for { // a Complete answer may come in pages
			var gr *cloudwatchlogs.GetQueryResultsOutput
			err := call.do(ctx, "GetQueryResults", "logs:GetQueryResults", func(ctx context.Context) error {
				var err error
				gr, err = in.client.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String(id), NextToken: token})
				return err
			})
			if ctx.Err() != nil {
				return nil, in.stop(id, fail("Cancelled", "interrupted; StopQuery sent", ErrQueryCancelled))
			}
			if err != nil {
				return nil, in.stop(id, fmt.Errorf("insights query %s: %w (StopQuery sent)", id, err))
			}
			status = gr.Status
			if st := gr.Statistics; st != nil {
				p.Scanned, p.Matched, res.Records = int64(st.BytesScanned), int64(st.RecordsMatched), int64(st.RecordsScanned)
			}
			rows = append(rows, gr.Results...)
			if status != types.QueryStatusComplete || aws.ToString(gr.NextToken) == "" {
				break
			}
			token = gr.NextToken
		}
		p.State = string(status)
		p.Cost = insightsCost(p.Scanned, in.cfg.PricePerGB)
		if in.cfg.MaxScan > 0 && p.Scanned > in.cfg.MaxScan && status != types.QueryStatusComplete {
			return nil, in.stop(id, fail("Stopped", fmt.Sprintf("past --max-scan %s; StopQuery sent",
				FormatBytes(in.cfg.MaxScan)), ErrScanLimit))
		}
		switch status {
		case types.QueryStatusComplete:
			res.Columns, res.Rows = resultTable(rows)
			res.Scanned, res.Cost, res.Matched = p.Scanned, p.Cost, p.Matched
			p.Rows = len(res.Rows)
			report()
			res.Elapsed = in.cfg.AWS.now().Sub(started)
			res.Throttled = int(box.Status().Throttles)
			return res, nil
		case types.QueryStatusFailed:
			return nil, fail("Failed", "the query failed in Logs Insights", ErrQueryFailed)
		case types.QueryStatusTimeout:
			return nil, fail("Timeout", "the query ran past Logs Insights' 60-minute limit; narrow the time range or the log groups", ErrQueryFailed)
		case types.QueryStatusCancelled:
			return nil, fail("Cancelled", "cancelled outside flowlens", ErrQueryCancelled)
		case types.QueryStatusUnknown:
			return nil, fail("Unknown", "Logs Insights lost track of the query", ErrQueryFailed)
		}
	}
}

// resultTable turns rows of field/value pairs into columns (in order of
// first appearance, @ptr left out) and rows ("-" where a row lacks a field).
func resultTable(rows [][]types.ResultField) ([]string, [][]string) {
	var cols []string
	at := map[string]int{}
	for _, r := range rows {
		for _, f := range r {
			name := aws.ToString(f.Field)
			if _, ok := at[name]; !ok && name != "@ptr" {
				at[name] = len(cols)
				cols = append(cols, name)
			}
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		row := make([]string, len(cols))
		for j := range row {
			row[j] = "-"
		}
		for _, f := range r {
			if j, ok := at[aws.ToString(f.Field)]; ok && f.Value != nil {
				row[j] = *f.Value
			}
		}
		out[i] = row
	}
	return cols, out
}

// stop sends StopQuery on a fresh context and returns err.
func (in *Insights) stop(id string, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if _, serr := in.client.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: aws.String(id)}); serr != nil {
		return fmt.Errorf("%w; and StopQuery failed, the query may still be running: %s", err, brief(serr))
	}
	return err
}
