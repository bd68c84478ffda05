package awstest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/eventstream"
)

// Event is one CloudWatch Logs event.
type Event struct {
	Stream        string
	Timestamp     int64 // ms
	IngestionTime int64 // ms; the event is invisible before this (late events)
	Message       string
	ID            string
}

// LiveUpdate is one sessionUpdate of a StartLiveTail session.
type LiveUpdate struct {
	Events  []Event
	Sampled bool
}

// CloudWatch is a CloudWatch Logs server on 127.0.0.1 speaking awsJson1_1
// (X-Amz-Target Logs_20140328.*): FilterLogEvents, DescribeLogStreams,
// DescribeLogGroups and StartLiveTail (an event stream).
type CloudWatch struct {
	URL     string
	Account string
	Region  string
	// Now is the server's clock: events ingested later are not visible yet.
	Now func() time.Time
	// PageSize caps the events per FilterLogEvents page (0 = 10,000).
	PageSize int
	// EmptyPages makes each FilterLogEvents query start with this many
	// empty pages that carry a nextToken (as the service does).
	EmptyPages int
	// RepeatToken makes every page after the first return the token it was
	// given, with no events: a paging loop that never ends on its own.
	RepeatToken bool
	// OnLiveSession, when set, runs as StartLiveTail session n (1-based)
	// starts, before anything is streamed.
	OnLiveSession func(n int)
	// InsightsQueued and InsightsRunning are how many GetQueryResults
	// polls a Logs Insights query spends Scheduled and Running (with
	// partial statistics); InsightsMinRunTime keeps it Running at least
	// that long (see insights.go).
	InsightsQueued, InsightsRunning int
	InsightsMinRunTime              time.Duration
	// SilentLiveSessions makes the first n sessions that have no script
	// send sessionStart and then nothing (the service sends an update
	// every second): a stream that stalls.
	SilentLiveSessions int

	srv *http.Server

	mu       sync.Mutex
	groups   map[string][]Event // group -> events sorted by timestamp
	streams  map[string]map[string]bool
	nextID   int
	calls    map[string]int
	throttle int
	hang     int // next requests read and never answered
	deny     map[string]bool
	live     [][]LiveUpdate
	sessions int
	requests []map[string]any // FilterLogEvents requests, for tests
	ins      *insightsState
}

// NewCloudWatch starts a fake CloudWatch Logs server on addr.
func NewCloudWatch(addr string) (*CloudWatch, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := NewCloudWatchHandler()
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	c.URL = "http://" + ln.Addr().String()
	go c.srv.Serve(ln)
	return c, nil
}

// NewCloudWatchHandler returns a fake CloudWatch Logs that does not listen:
// serve it (it is an http.Handler).
func NewCloudWatchHandler() *CloudWatch {
	return &CloudWatch{Account: "111122223333", Region: "us-east-1", Now: time.Now, InsightsQueued: 1, InsightsRunning: 2,
		groups: map[string][]Event{}, streams: map[string]map[string]bool{}, calls: map[string]int{}, deny: map[string]bool{}}
}

// Close stops the server.
func (c *CloudWatch) Close() {
	if c.srv != nil {
		c.srv.Close()
	}
}

// Both serves S3 and CloudWatch Logs on one endpoint, told apart by the
// X-Amz-Target header that only the JSON protocol sends, so one
// --endpoint-url reaches both.
func Both(s3 *S3, cw *CloudWatch) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Logs_") {
			cw.ServeHTTP(w, r)
			return
		}
		s3.Handler().ServeHTTP(w, r)
	})
}

// CreateGroup adds an empty log group.
func (c *CloudWatch) CreateGroup(group string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.groups[group]; !ok {
		c.groups[group] = nil
		c.streams[group] = map[string]bool{}
	}
}

// Put adds events to a group (creating it and its streams); events
// without an ID get one, without an ingestion time get their timestamp.
func (c *CloudWatch) Put(group string, evs ...Event) {
	c.CreateGroup(group)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		if e.ID == "" {
			c.nextID++
			e.ID = fmt.Sprintf("%056d", c.nextID)
		}
		if e.IngestionTime == 0 {
			e.IngestionTime = e.Timestamp
		}
		c.streams[group][e.Stream] = true
		c.groups[group] = append(c.groups[group], e)
	}
	sort.SliceStable(c.groups[group], func(i, j int) bool { return c.groups[group][i].Timestamp < c.groups[group][j].Timestamp })
}

// Throttle answers the next n requests with ThrottlingException.
func (c *CloudWatch) Throttle(n int) {
	c.mu.Lock()
	c.throttle = n
	c.mu.Unlock()
}

// Hang makes the next n requests be read and never answered (until the
// client goes away): an endpoint that accepts and hangs.
func (c *CloudWatch) Hang(n int) {
	c.mu.Lock()
	c.hang = n
	c.mu.Unlock()
}

// Deny answers every call of op (e.g. "FilterLogEvents") with
// AccessDeniedException.
func (c *CloudWatch) Deny(op string) {
	c.mu.Lock()
	c.deny[op] = true
	c.mu.Unlock()
}

// Calls returns how many requests of op were received (throttled included).
func (c *CloudWatch) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// Requests returns the FilterLogEvents requests received.
func (c *CloudWatch) Requests() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.requests...)
}

// AddLiveSession queues the script of the next StartLiveTail session: its
// updates are sent one after another, then the session ends with
// SessionTimeoutException (as after 3 hours). A session with no script
// left stays open until the client goes away.
func (c *CloudWatch) AddLiveSession(updates ...LiveUpdate) {
	c.mu.Lock()
	c.live = append(c.live, updates)
	c.mu.Unlock()
}

// Sessions returns how many StartLiveTail sessions were started.
func (c *CloudWatch) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions
}

func (c *CloudWatch) arn(group string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", c.Region, c.Account, group)
}

func (c *CloudWatch) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// ServeHTTP answers one awsJson1_1 request.
func (c *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Logs_20140328.")
	if r.Method != http.MethodPost || !ok {
		c.fail(w, http.StatusBadRequest, "UnknownOperationException", "unknown target "+target)
		return
	}
	var req map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		c.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	c.mu.Lock()
	c.calls[op]++
	throttled := c.throttle > 0
	if throttled {
		c.throttle--
	}
	denied := c.deny[op]
	hung := c.hang > 0
	if hung {
		c.hang--
	}
	c.mu.Unlock()
	if hung {
		<-r.Context().Done()
		return
	}
	if throttled {
		c.fail(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	if denied {
		c.fail(w, http.StatusBadRequest, "AccessDeniedException",
			fmt.Sprintf("User: arn:aws:iam::%s:user/test is not authorized to perform: logs:%s", c.Account, op))
		return
	}
	switch op {
	case "FilterLogEvents":
		c.filterLogEvents(w, req)
	case "DescribeLogStreams":
		c.describeLogStreams(w, req)
	case "DescribeLogGroups":
		c.describeLogGroups(w, req)
	case "StartLiveTail":
		c.startLiveTail(w, r, req)
	case "StartQuery":
		c.startQuery(w, req)
	case "GetQueryResults":
		c.getQueryResults(w, req)
	case "StopQuery":
		c.stopQuery(w, req)
	default:
		c.fail(w, http.StatusBadRequest, "UnknownOperationException", "not faked: "+op)
	}
}

func str(req map[string]any, k string) string {
	s, _ := req[k].(string)
	return s
}

func num(req map[string]any, k string) (int64, bool) {
	n, ok := req[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

func strs(req map[string]any, k string) []string {
	a, _ := req[k].([]any)
	var out []string
	for _, v := range a {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func groupName(req map[string]any) string {
	g := str(req, "logGroupName")
	if g == "" {
		g = str(req, "logGroupIdentifier")
		if i := strings.Index(g, ":log-group:"); i >= 0 {
			g = strings.TrimSuffix(g[i+len(":log-group:"):], ":*")
		}
	}
	return g
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func (c *CloudWatch) filterLogEvents(w http.ResponseWriter, req map[string]any) {
	group := groupName(req)
	c.mu.Lock()
	c.requests = append(c.requests, req)
	evs, ok := c.groups[group]
	evs = append([]Event(nil), evs...)
	c.mu.Unlock()
	if !ok {
		c.fail(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	names := strs(req, "logStreamNames")
	prefix := str(req, "logStreamNamePrefix")
	if len(names) > 0 && prefix != "" {
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "Cannot specify both logStreamNames and logStreamNamePrefix")
		return
	}
	if len(names) > 100 {
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "logStreamNames: at most 100")
		return
	}
	start, hasStart := num(req, "startTime")
	end, hasEnd := num(req, "endTime")
	limit, _ := num(req, "limit")
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	if c.PageSize > 0 && int64(c.PageSize) < limit {
		limit = int64(c.PageSize)
	}
	match, err := compilePattern(str(req, "filterPattern"))
	if err != nil {
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", err.Error())
		return
	}
	now := c.Now().UnixMilli()
	var hits []Event
	for _, e := range evs {
		if e.IngestionTime > now || hasStart && e.Timestamp < start || hasEnd && e.Timestamp > end {
			continue
		}
		if prefix != "" && !strings.HasPrefix(e.Stream, prefix) {
			continue
		}
		if len(names) > 0 && !contains(names, e.Stream) {
			continue
		}
		if !match(e.Message) {
			continue
		}
		hits = append(hits, e)
	}
	// Token: "e<k>" = k-th empty page; "o<n>" = offset n.
	tok := str(req, "nextToken")
	off, empty := 0, 0
	if tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			c.fail(w, http.StatusBadRequest, "InvalidParameterException", "bad nextToken")
			return
		}
		s := string(raw)
		if c.RepeatToken {
			reply(w, map[string]any{"events": []any{}, "nextToken": tok})
			return
		}
		if rest, ok := strings.CutPrefix(s, "e"); ok {
			empty, _ = strconv.Atoi(rest)
		} else {
			off, _ = strconv.Atoi(strings.TrimPrefix(s, "o"))
			empty = c.EmptyPages
		}
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	if empty < c.EmptyPages {
		reply(w, map[string]any{"events": []any{}, "nextToken": enc(fmt.Sprintf("e%d", empty+1)), "searchedLogStreams": []any{}})
		return
	}
	page := hits[min(off, len(hits)):min(off+int(limit), len(hits))]
	out := map[string]any{"searchedLogStreams": []any{}}
	list := make([]map[string]any, 0, len(page))
	for _, e := range page {
		list = append(list, map[string]any{"logStreamName": e.Stream, "timestamp": e.Timestamp,
			"ingestionTime": e.IngestionTime, "message": e.Message, "eventId": e.ID})
	}
	out["events"] = list
	if off+len(page) < len(hits) {
		out["nextToken"] = enc(fmt.Sprintf("o%d", off+len(page)))
	}
	reply(w, out)
}

func contains(a []string, s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

func (c *CloudWatch) describeLogStreams(w http.ResponseWriter, req map[string]any) {
	group := groupName(req)
	c.mu.Lock()
	set, ok := c.streams[group]
	var names []string
	for n := range set {
		names = append(names, n)
	}
	c.mu.Unlock()
	if !ok {
		c.fail(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	sort.Strings(names)
	prefix := str(req, "logStreamNamePrefix")
	var sel []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			sel = append(sel, n)
		}
	}
	limit, _ := num(req, "limit")
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	off := 0
	if t := str(req, "nextToken"); t != "" {
		off, _ = strconv.Atoi(t)
	}
	page := sel[min(off, len(sel)):min(off+int(limit), len(sel))]
	list := make([]map[string]any, 0, len(page))
	for _, n := range page {
		list = append(list, map[string]any{"logStreamName": n, "arn": c.arn(group) + ":log-stream:" + n, "creationTime": 0})
	}
	out := map[string]any{"logStreams": list}
	if off+len(page) < len(sel) {
		out["nextToken"] = strconv.Itoa(off + len(page))
	}
	reply(w, out)
}

func (c *CloudWatch) describeLogGroups(w http.ResponseWriter, req map[string]any) {
	prefix := str(req, "logGroupNamePrefix")
	c.mu.Lock()
	var names []string
	for g := range c.groups {
		if strings.HasPrefix(g, prefix) {
			names = append(names, g)
		}
	}
	c.mu.Unlock()
	sort.Strings(names)
	list := make([]map[string]any, 0, len(names))
	for _, g := range names {
		list = append(list, map[string]any{"logGroupName": g, "arn": c.arn(g) + ":*", "logGroupArn": c.arn(g)})
	}
	reply(w, map[string]any{"logGroups": list})
}

// startLiveTail answers with an event stream: initial-response,
// sessionStart, the session's scripted updates, then
// SessionTimeoutException.
func (c *CloudWatch) startLiveTail(w http.ResponseWriter, r *http.Request, req map[string]any) {
	ids := strs(req, "logGroupIdentifiers")
	if len(ids) == 0 || len(ids) > 10 {
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "logGroupIdentifiers: 1 to 10 ARNs")
		return
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "arn:") || strings.HasSuffix(id, "*") {
			c.fail(w, http.StatusBadRequest, "InvalidParameterException", "logGroupIdentifiers must be ARNs without a trailing *")
			return
		}
	}
	c.mu.Lock()
	c.sessions++
	session := c.sessions
	var script []LiveUpdate
	scripted := len(c.live) > 0
	if scripted {
		script, c.live = c.live[0], c.live[1:]
	}
	c.mu.Unlock()
	if c.OnLiveSession != nil {
		c.OnLiveSession(session)
	}
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := eventstream.NewEncoder()
	send := func(msgType, kind string, payload any) error {
		var msg eventstream.Message
		msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(msgType))
		if msgType == eventstream.ExceptionMessageType {
			msg.Headers.Set(eventstream.ExceptionTypeHeader, eventstream.StringValue(kind))
		} else {
			msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue(kind))
		}
		msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
		b, _ := json.Marshal(payload)
		msg.Payload = b
		var buf bytes.Buffer
		if err := enc.Encode(&buf, msg); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	}
	if send(eventstream.EventMessageType, "initial-response", map[string]any{}) != nil {
		return
	}
	if send(eventstream.EventMessageType, "sessionStart", map[string]any{
		"requestId": fmt.Sprintf("req-%d", session), "sessionId": fmt.Sprintf("session-%d", session),
		"logGroupIdentifiers": ids, "logStreamNamePrefixes": strs(req, "logStreamNamePrefixes"),
		"logEventFilterPattern": str(req, "logEventFilterPattern"),
	}) != nil {
		return
	}
	if !scripted && session <= c.SilentLiveSessions {
		<-r.Context().Done()
		return
	}
	if !scripted {
		// As the service does: an update every second, empty when no
		// event came.
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if send(eventstream.EventMessageType, "sessionUpdate", map[string]any{
					"sessionMetadata": map[string]any{"sampled": false}, "sessionResults": []any{},
				}) != nil {
					return
				}
			}
		}
	}
	for _, u := range script {
		res := make([]map[string]any, 0, len(u.Events))
		for _, e := range u.Events {
			if e.IngestionTime == 0 {
				e.IngestionTime = e.Timestamp
			}
			res = append(res, map[string]any{"logStreamName": e.Stream, "logGroupIdentifier": ids[0],
				"message": e.Message, "timestamp": e.Timestamp, "ingestionTime": e.IngestionTime})
		}
		if send(eventstream.EventMessageType, "sessionUpdate", map[string]any{
			"sessionMetadata": map[string]any{"sampled": u.Sampled}, "sessionResults": res,
		}) != nil {
			return
		}
	}
	send(eventstream.ExceptionMessageType, "SessionTimeoutException", map[string]any{
		"message": "Session timed out after 3 hours", "requestId": fmt.Sprintf("req-%d", session)})
}
