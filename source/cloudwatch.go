package source

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/flowlens/flowlens/model"
)

// CloudWatchConfig holds the CloudWatch Logs source's settings. Build it
// from Options with CloudWatchConfigFrom, or directly.
type CloudWatchConfig struct {
	AWS AWSConfig

	Since, Until time.Time // event time range; zero Since = from the start, zero Until = now
	Follow       bool      // keep polling (or live-tailing) after the backfill
	// PollInterval is the time between follow polls (0 = 10 s).
	PollInterval time.Duration
	// LookBack is how far back each follow poll re-reads, because flow
	// records arrive minutes after their timestamp (0 = 15 min). Events
	// seen before are dropped by event id.
	LookBack time.Duration
	// StreamPrefix limits the streams (--stream-prefix eni-...).
	StreamPrefix string
	// FilterPattern is pushed down to FilterLogEvents and StartLiveTail.
	FilterPattern string
	// Format is --log-format; nil = inferred by the index from each
	// stream's first events (they carry no header line).
	Format *model.Format
	// LiveTail follows with StartLiveTail instead of polling.
	LiveTail bool
	// Limit is the page size asked of FilterLogEvents (0 = the service's
	// maximum, 10,000).
	Limit int32
	// Rate is the FilterLogEvents quota in calls per second, shared by every
	// CloudWatch source of the same profile, region and endpoint (0 = 5).
	Rate float64
}

func (c *CloudWatchConfig) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = 10 * time.Second
	}
	if c.LookBack <= 0 {
		c.LookBack = 15 * time.Minute
	}
	if c.Rate <= 0 {
		c.Rate = 5
	}
}

// CloudWatch reads VPC flow-log events from one log group: a backfill with
// FilterLogEvents over the time range, then, when following, polls with an
// overlapping look-back window (de-duplicated by event id) or a
// StartLiveTail session that is renewed when it ends.
type CloudWatch struct {
	StatusBox
	name    string
	group   string
	cfg     CloudWatchConfig
	client  *cloudwatchlogs.Client
	call    *awsCaller
	limiter *rateLimiter

	mu      sync.Mutex
	format  *model.Format // --log-format, or nil
	streams map[string]*cwStream
	seen    map[uint64]int64 // hash of event id (or content key) -> timestamp (ms)
	// keepFrom (ms): only events this recent are remembered for
	// de-duplication; older ones cannot come back in a later query.
	keepFrom int64
	resumed  int64  // where a run before this one resumes from (ms; 0: none), see Resume
	newest   int64  // newest event timestamp seen (ms)
	dups     uint64 // events dropped as already seen
	sampled  uint64 // live-tail updates that were sampled
}

// cwStream is the provenance state of one log stream.
type cwStream struct {
	line   int64 // lines emitted
	offset int64 // bytes emitted
}

var _ Source = (*CloudWatch)(nil)

// NewCloudWatchConfig returns a CloudWatch Logs source for a log group
// (name or ARN).
func NewCloudWatchConfig(group string, cfg CloudWatchConfig) (*CloudWatch, error) {
	group = strings.TrimSpace(group)
	if group == "" {
		return nil, fmt.Errorf("cloudwatch: want cloudwatch://LOG_GROUP")
	}
	cfg.defaults()
	c := &CloudWatch{name: "cloudwatch://" + group, group: group, cfg: cfg, format: cfg.Format,
		streams: map[string]*cwStream{}, seen: map[uint64]int64{}, keepFrom: math.MaxInt64}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	awsCfg, err := c.cfg.AWS.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("%s: no AWS region: set --region, AWS_REGION or a profile's region", c.name)
	}
	custom := c.cfg.AWS.customEndpoint("CLOUDWATCH_LOGS")
	c.client = cloudwatchlogs.NewFromConfig(awsCfg, func(o *cloudwatchlogs.Options) {
		if custom {
			o.APIOptions = append(o.APIOptions, disableHostPrefix)
		}
	})
	c.call = newAWSCaller(&c.cfg.AWS, &c.StatusBox, "log group "+group)
	key := "logs|" + c.cfg.AWS.Profile + "|" + awsCfg.Region + "|" + aws.ToString(awsCfg.BaseEndpoint)
	c.limiter = sharedLimiter(key, c.cfg.Rate, &c.cfg.AWS)
	c.Update(func(st *Status) { st.Name, st.Kind, st.State = c.name, "cloudwatch", StateStarting })
	return c, nil
}

// Name returns cloudwatch://GROUP.
func (c *CloudWatch) Name() string { return c.name }

// isARN reports whether the group was given as an ARN (then it is sent as
// logGroupIdentifier rather than logGroupName).
func (c *CloudWatch) isARN() bool { return strings.HasPrefix(c.group, "arn:") }

// Run backfills, then follows when configured. Permission and credential
// errors end it with an AWSError naming the IAM action.
func (c *CloudWatch) Run(ctx context.Context, emit func(model.Batch) error) error {
	err := c.run(ctx, emit)
	switch {
	case err == nil:
		c.call.setState(StateDone, "")
	case ctx.Err() != nil:
		c.call.setState(StateDone, "stopped")
		return nil
	default:
		c.AddError(err.Error())
		c.call.setState(StateFailed, err.Error())
		c.cfg.AWS.logf("%s: %v", c.name, err)
	}
	return err
}

func (c *CloudWatch) run(ctx context.Context, emit func(model.Batch) error) error {
	c.call.setState(StateReading, "")
	if err := c.describeStreams(ctx); err != nil {
		return err
	}
	now := c.cfg.AWS.now()
	end := c.cfg.Until
	follow := c.cfg.Follow && end.IsZero()
	if end.IsZero() {
		end = now
	}
	if follow {
		c.setKeepFrom(now.Add(-c.cfg.LookBack - time.Minute))
	}
	if c.resumed > 0 && c.resumed < c.keepFrom {
		c.setKeepFrom(time.UnixMilli(c.resumed)) // keep what a run before this one read (--state)
	}
	if err := c.filter(ctx, c.cfg.Since, end, emit); err != nil {
		return err
	}
	if !follow {
		return c.endStreams(emit)
	}
	if c.cfg.LiveTail {
		return c.liveTail(ctx, emit)
	}
	for {
		c.call.setState(StateFollowing, "")
		if err := c.cfg.AWS.sleep(ctx, c.cfg.PollInterval); err != nil {
			return err
		}
		now := c.cfg.AWS.now()
		from := now.Add(-c.cfg.LookBack)
		if from.Before(c.cfg.Since) {
			from = c.cfg.Since
		}
		c.setKeepFrom(from.Add(-time.Minute))
		if err := c.filter(ctx, from, now, emit); err != nil {
			return err
		}
	}
}

// describeStreams checks that the group exists and counts its streams (the
// first page: a hint for the status, not a limit). A missing
// logs:DescribeLogStreams permission is noted, not fatal: FilterLogEvents
// is what reads.
func (c *CloudWatch) describeStreams(ctx context.Context) error {
	in := &cloudwatchlogs.DescribeLogStreamsInput{Limit: aws.Int32(50)}
	if c.isARN() {
		in.LogGroupIdentifier = aws.String(c.group)
	} else {
		in.LogGroupName = aws.String(c.group)
	}
	if c.cfg.StreamPrefix != "" {
		in.LogStreamNamePrefix = aws.String(c.cfg.StreamPrefix)
	}
	var out *cloudwatchlogs.DescribeLogStreamsOutput
	err := c.call.do(ctx, "DescribeLogStreams", "logs:DescribeLogStreams", func(ctx context.Context) error {
		var err error
		out, err = c.client.DescribeLogStreams(ctx, in)
		return err
	})
	if errors.Is(err, ErrAccessDenied) {
		c.AddError(err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	n := len(out.LogStreams)
	c.Update(func(st *Status) { st.Objects = n })
	if n == 0 {
		what := "no log streams yet"
		if c.cfg.StreamPrefix != "" {
			what = "no log streams match " + c.cfg.StreamPrefix
		}
		c.AddError(c.name + ": " + what)
	}
	return nil
}

// filter runs FilterLogEvents over [from, to] and emits the events not seen
// before. A page can be empty and still carry a nextToken; a token that
// comes back twice ends the query (loop guard).
func (c *CloudWatch) filter(ctx context.Context, from, to time.Time, emit func(model.Batch) error) error {
	in := &cloudwatchlogs.FilterLogEventsInput{EndTime: aws.Int64(to.UnixMilli())}
	if c.isARN() {
		in.LogGroupIdentifier = aws.String(c.group)
	} else {
		in.LogGroupName = aws.String(c.group)
	}
	if !from.IsZero() {
		in.StartTime = aws.Int64(from.UnixMilli())
	}
	if c.cfg.StreamPrefix != "" {
		in.LogStreamNamePrefix = aws.String(c.cfg.StreamPrefix)
	}
	if c.cfg.FilterPattern != "" {
		in.FilterPattern = aws.String(c.cfg.FilterPattern)
	}
	if c.cfg.Limit > 0 {
		in.Limit = aws.Int32(c.cfg.Limit)
	}
	tokens := map[string]bool{}
	for {
		var out *cloudwatchlogs.FilterLogEventsOutput
		err := c.call.do(ctx, "FilterLogEvents", "logs:FilterLogEvents", func(ctx context.Context) error {
			if err := c.limiter.wait(ctx); err != nil {
				return err
			}
			var err error
			out, err = c.client.FilterLogEvents(ctx, in)
			return err
		})
		if err != nil {
			return err
		}
		evs := make([]cwEvent, 0, len(out.Events))
		for _, e := range out.Events {
			evs = append(evs, cwEvent{id: aws.ToString(e.EventId), stream: aws.ToString(e.LogStreamName),
				ts: aws.ToInt64(e.Timestamp), msg: aws.ToString(e.Message)})
		}
		if err := c.emitEvents(evs, emit); err != nil {
			return err
		}
		tok := aws.ToString(out.NextToken)
		if tok == "" {
			return nil
		}
		if tokens[tok] {
			msg := fmt.Sprintf("%s: FilterLogEvents returned the same nextToken twice; stopped paging this query", c.name)
			c.AddError(msg)
			c.cfg.AWS.logf("%s", msg)
			return nil
		}
		tokens[tok] = true
		in.NextToken = aws.String(tok)
	}
}

// cwEvent is one event from FilterLogEvents or StartLiveTail.
type cwEvent struct {
	id     string // event id; "" from live tail
	stream string
	ts     int64 // ms
	msg    string
}

// key is what de-duplicates an event, hashed: its id, or for live-tail
// events (which have none) its stream, timestamp and message.
func (e *cwEvent) key(live bool) uint64 {
	// FNV-1a, not a seeded hash: keys are saved with --state and must
	// mean the same in the next run.
	h := fnv.New64a()
	if !live && e.id != "" {
		h.Write([]byte(e.id))
		return h.Sum64()
	}
	h.Write([]byte(e.stream))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, e.ts, 10))
	h.Write([]byte{0})
	h.Write([]byte(e.msg))
	return h.Sum64()
}

// emitEvents drops events seen before and emits one batch per stream in
// event order.
func (c *CloudWatch) emitEvents(evs []cwEvent, emit func(model.Batch) error) error {
	if len(evs) == 0 {
		return nil
	}
	live := c.cfg.LiveTail
	c.mu.Lock()
	fresh := evs[:0]
	for _, e := range evs {
		k := e.key(live)
		if _, ok := c.seen[k]; ok {
			c.dups++
			continue
		}
		if e.ts >= c.keepFrom {
			c.seen[k] = e.ts
		}
		if e.ts > c.newest {
			c.newest = e.ts
		}
		fresh = append(fresh, e)
	}
	format := c.format
	newest := c.newest
	order := []string{}
	data := map[string][]byte{}
	marks := map[string][]EventMark{} // for --state (Batch.Cursor)
	for _, e := range fresh {
		b, ok := data[e.stream]
		if !ok {
			order = append(order, e.stream)
		}
		marks[e.stream] = append(marks[e.stream], EventMark{ID: strconv.FormatUint(e.key(live), 16), Time: e.ts})
		msg := strings.TrimRight(e.msg, "\r\n")
		if strings.ContainsAny(msg, "\r\n") {
			msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
		}
		data[e.stream] = append(append(b, msg...), '\n')
	}
	batches := make([]model.Batch, 0, len(order))
	lines := make([]int, 0, len(order))
	for _, s := range order {
		st := c.streams[s]
		if st == nil {
			st = &cwStream{}
			c.streams[s] = st
		}
		d := data[s]
		n := strings.Count(string(d), "\n")
		b := model.Batch{Source: c.name, Object: s, Data: d, Line: st.line + 1, Offset: st.offset, Format: format}
		lines = append(lines, n)
		st.line += int64(n)
		st.offset += int64(len(d))
		pos := &Position{Kind: "cloudwatch", Object: s, Line: st.line, Offset: st.offset, Events: marks[s]}
		for _, m := range pos.Events {
			pos.Time = max(pos.Time, m.Time)
		}
		b.Cursor = pos
		batches = append(batches, b)
	}
	nStreams := len(c.streams)
	c.mu.Unlock()
	for i := range batches {
		if err := emit(batches[i]); err != nil {
			return err
		}
		c.Count(&batches[i], lines[i])
	}
	lag := c.cfg.AWS.now().Sub(time.UnixMilli(newest))
	c.Update(func(st *Status) {
		if nStreams > st.Objects {
			st.Objects = nStreams
		}
		st.Lag = max(lag, 0)
	})
	return nil
}

// endStreams tells the index that every stream is complete (backfill only).
func (c *CloudWatch) endStreams(emit func(model.Batch) error) error {
	c.mu.Lock()
	var names []string
	for s := range c.streams {
		names = append(names, s)
	}
	c.mu.Unlock()
	for _, s := range names {
		if err := emit(model.Batch{Source: c.name, Object: s, EOF: true}); err != nil {
			return err
		}
	}
	c.Update(func(st *Status) { st.ObjectsDone = len(names) })
	return nil
}

// setKeepFrom moves the de-duplication horizon to t and forgets events
// older than it: no later query reaches them.
func (c *CloudWatch) setKeepFrom(t time.Time) {
	ms := t.UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keepFrom = ms
	for k, ts := range c.seen {
		if ts < ms {
			delete(c.seen, k)
		}
	}
}

// Duplicates returns how many events were dropped as already emitted (the
// overlap of follow polls and live-tail catch-ups).
func (c *CloudWatch) Duplicates() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dups
}

// groupARN returns the group's ARN (StartLiveTail wants ARNs).
func (c *CloudWatch) groupARN(ctx context.Context) (string, error) {
	if c.isARN() {
		return strings.TrimSuffix(c.group, ":*"), nil
	}
	var out *cloudwatchlogs.DescribeLogGroupsOutput
	err := c.call.do(ctx, "DescribeLogGroups", "logs:DescribeLogGroups", func(ctx context.Context) error {
		var err error
		out, err = c.client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(c.group)})
		return err
	})
	if err != nil {
		return "", err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) != c.group {
			continue
		}
		if a := aws.ToString(g.LogGroupArn); a != "" {
			return a, nil
		}
		return strings.TrimSuffix(aws.ToString(g.Arn), ":*"), nil
	}
	return "", &AWSError{Op: "DescribeLogGroups", Action: "logs:DescribeLogGroups", On: "log group " + c.group,
		Kind: ErrNotFound, Err: errors.New("no such log group")}
}

// liveTail follows with StartLiveTail sessions. A session that ends (after
// 3 hours, SessionTimeoutException, or a dropped connection) is renewed,
// and the gap is filled with FilterLogEvents over the look-back window;
// events already emitted are dropped.
func (c *CloudWatch) liveTail(ctx context.Context, emit func(model.Batch) error) error {
	arn, err := c.groupARN(ctx)
	if err != nil {
		return err
	}
	in := &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}}
	if c.cfg.StreamPrefix != "" {
		in.LogStreamNamePrefixes = []string{c.cfg.StreamPrefix}
	}
	if c.cfg.FilterPattern != "" {
		in.LogEventFilterPattern = aws.String(c.cfg.FilterPattern)
	}
	for sessions := 0; ; sessions++ {
		c.setKeepFrom(c.cfg.AWS.now().Add(-c.cfg.LookBack - time.Minute))
		if sessions > 0 {
			// Fill the gap between sessions; what the last session
			// delivered is remembered and dropped.
			now := c.cfg.AWS.now()
			if err := c.filter(ctx, now.Add(-c.cfg.LookBack), now, emit); err != nil {
				return err
			}
		}
		var out *cloudwatchlogs.StartLiveTailOutput
		lc, err := c.call.open(ctx, "StartLiveTail", "logs:StartLiveTail", func(ctx context.Context) error {
			var err error
			out, err = c.client.StartLiveTail(ctx, in)
			return err
		})
		if err != nil {
			return err
		}
		c.call.setState(StateFollowing, "live tail")
		err = c.session(ctx, lc, out.GetStream(), emit)
		lc.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var timeout *types.SessionTimeoutException
		switch {
		case err == nil, errors.As(err, &timeout):
			c.cfg.AWS.logf("%s: live tail session ended (%v); renewing", c.name, err)
		default:
			class, kind := classify(err)
			if class == classFatal && kind != nil {
				return &AWSError{Op: "StartLiveTail", Action: "logs:StartLiveTail", On: "log group " + c.group, Kind: kind, Err: err}
			}
			c.AddError(fmt.Sprintf("%s: live tail session failed: %v; renewing", c.name, err))
			c.Update(func(st *Status) { st.Retries++ })
			if err := c.cfg.AWS.sleep(ctx, c.call.backoff(0)); err != nil {
				return err
			}
		}
	}
}

// session reads one live-tail session until it ends. The service sends
// an update at least every few seconds, events or not; a session that
// sends nothing for the stall time-out is ended and renewed.
func (c *CloudWatch) session(ctx context.Context, lc *liveCall, stream *cloudwatchlogs.StartLiveTailEventStream, emit func(model.Batch) error) error {
	defer stream.Close()
	watchdog := lc.Timer()
	defer watchdog.Stop()
	for updates := 1; ; updates++ {
		watchdog.Reset(lc.stall)
		if updates%60 == 0 {
			// About once a minute: forget what a catch-up cannot reach.
			c.setKeepFrom(c.cfg.AWS.now().Add(-c.cfg.LookBack - time.Minute))
		}
		var ev types.StartLiveTailResponseStream
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-lc.ctx.Done():
			if lc.Stalled() {
				return errStalled
			}
			return lc.ctx.Err()
		case ev, ok = <-stream.Events():
		}
		if !ok {
			if lc.Stalled() {
				return errStalled
			}
			return stream.Err()
		}
		switch v := ev.(type) {
		case *types.StartLiveTailResponseStreamMemberSessionStart:
			c.cfg.AWS.logf("%s: live tail session %s started", c.name, aws.ToString(v.Value.SessionId))
		case *types.StartLiveTailResponseStreamMemberSessionUpdate:
			if m := v.Value.SessionMetadata; m != nil && m.Sampled {
				c.mu.Lock()
				c.sampled++
				first := c.sampled == 1
				c.mu.Unlock()
				note := ""
				if first {
					note = c.name + ": live tail sampled the events (over 500 a second): some were not delivered"
				}
				c.Drop(DropPossibleLoss, 1, note)
				c.call.setState(StateDegraded,
					"live tail is sampling (over 500 events/s): not every event is shown; narrow --stream-prefix or the filter")
			} else {
				c.call.setState(StateFollowing, "live tail")
			}
			evs := make([]cwEvent, 0, len(v.Value.SessionResults))
			for _, e := range v.Value.SessionResults {
				evs = append(evs, cwEvent{stream: aws.ToString(e.LogStreamName), ts: aws.ToInt64(e.Timestamp),
					msg: aws.ToString(e.Message)})
			}
			if err := c.emitEvents(evs, emit); err != nil {
				return err
			}
		}
	}
}

// SampledUpdates returns how many live-tail updates the service sampled.
func (c *CloudWatch) SampledUpdates() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sampled
}
