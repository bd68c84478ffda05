package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/model"
)

// FirehoseOptions configures a firehose:// receiver. The zero value of
// every limit means its default.
type FirehoseOptions struct {
	// TLSCert and TLSKey are PEM files (--tls-cert, --tls-key). They are
	// read again when they change, so a renewed certificate is served
	// without a restart.
	TLSCert, TLSKey string
	// InsecureHTTP serves plain HTTP (--insecure-http), for a
	// TLS-terminating proxy or tunnel in front. Firehose itself only
	// delivers to HTTPS.
	InsecureHTTP bool
	// AccessKey is the key every request must carry in
	// X-Amz-Firehose-Access-Key ("" = no key configured: anyone who can
	// reach the port can post records). It never comes from a flag value.
	AccessKey string
	// MaxBody is the largest request body accepted, in bytes, after its
	// Content-Encoding is undone (default 64 MiB, Firehose's largest
	// request). gzip records inside may expand to 4 times as much.
	MaxBody int64

	// Slots is how many requests are decoded and indexed at once (default
	// max(4, 2×GOMAXPROCS)); BusyWait how long a request waits for a slot
	// before it is answered 503 (default 5 s).
	Slots    int
	BusyWait time.Duration
	// DedupWindow is how long request ids are remembered (default 2 h,
	// Firehose's longest retry duration); DedupLimit how many at most
	// (default 65,536).
	DedupWindow time.Duration
	DedupLimit  int
	// ReadHeaderTimeout bounds reading a request's headers (default
	// 10 s). A body must keep arriving at MinRate bytes per second on
	// average after its first BodyGrace (defaults 64 KiB/s, 5 s), and
	// never pause for longer than BodyGrace, so a slow sender cannot pin
	// the server.
	ReadHeaderTimeout time.Duration
	MinRate           int64
	BodyGrace         time.Duration
	// MaxConns bounds the open connections (default 512).
	MaxConns int
}

func (o *FirehoseOptions) defaults() {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 20
	}
	if o.Slots <= 0 {
		o.Slots = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.BusyWait <= 0 {
		o.BusyWait = 5 * time.Second
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = 2 * time.Hour
	}
	if o.DedupLimit <= 0 {
		o.DedupLimit = 1 << 16
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = 10 * time.Second
	}
	if o.MinRate <= 0 {
		o.MinRate = 64 << 10
	}
	if o.BodyGrace <= 0 {
		o.BodyGrace = 5 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 512
	}
}

// maxAccessKey is the longest key Firehose sends (it copies up to 4,096
// bytes of the configured key).
const maxAccessKey = 4096

// Firehose headers (flowlogs-reference.md §5b).
const (
	hdrRequestID  = "X-Amz-Firehose-Request-Id"
	hdrAccessKey  = "X-Amz-Firehose-Access-Key"
	hdrSourceARN  = "X-Amz-Firehose-Source-Arn"
	hdrAttributes = "X-Amz-Firehose-Common-Attributes"
)

// fhReject is why a request was refused.
type fhReject uint8

const (
	rejUnauthorized fhReject = iota // 401: access key missing or wrong
	rejMalformed                    // 400: JSON, base64, gzip, request id
	rejTooLarge                     // 413: body over the limit
	rejBusy                         // 503: no slot free in time (back-pressure)
	rejShutdown                     // 503: the receiver is stopping
	rejMethod                       // 405: not a POST
	rejEncoding                     // 415: a Content-Encoding other than gzip
	rejSlow                         // 408: the body came too slowly
	numRejects
)

func (r fhReject) String() string {
	return [...]string{"unauthorized", "malformed", "too large", "busy", "shutting down", "not POST",
		"bad encoding", "too slow"}[r]
}

func (r fhReject) status() int {
	return [...]int{http.StatusUnauthorized, http.StatusBadRequest, http.StatusRequestEntityTooLarge,
		http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusMethodNotAllowed,
		http.StatusUnsupportedMediaType, http.StatusRequestTimeout}[r]
}

// Firehose receives Amazon Data Firehose deliveries to an HTTP endpoint
// (firehose://[HOST]:PORT) and emits their records as lines. It answers
// 200 only once every record of a request is in the index (at-least-once:
// nothing acknowledged is lost), remembers request ids so that a retried
// request is indexed once, and answers 401, 400, 413 and 503 as the
// delivery contract says. Direct records of a stream form one object per
// stream ARN; CloudWatch Logs envelopes one per log group and stream.
type Firehose struct {
	StatusBox
	name   string
	opts   FirehoseOptions
	format *model.Format
	ln     net.Listener
	url    string // where it listens, for people
	certs  *certReloader
	keySum [sha256.Size]byte
	hasKey bool
	dedup  *fhDedup
	slots  chan struct{}
	logf   func(format string, args ...any)

	started atomic.Bool
	run     atomic.Pointer[fhRun]

	emitMu sync.Mutex
	objs   map[string]*fhObjState // guarded by emitMu

	requests, records, duplicates, empty, control, wire atomic.Uint64
	rejects                                             [numRejects]atomic.Uint64

	lastMu    sync.Mutex
	lastAt    time.Time
	lastFrom  string
	lastStamp int64 // the last request's timestamp (ms)
}

// fhRun is what Run hands the request handlers.
type fhRun struct {
	ctx  context.Context
	emit func(model.Batch) error
}

// fhObjState is where an object's next line goes.
type fhObjState struct {
	line, off int64 // lines and bytes emitted so far
}

var _ Source = (*Firehose)(nil)

// NewFirehose returns a receiver for spec, firehose://[HOST]:PORT (an
// empty host listens on every interface). It binds the port at once, so a
// port in use or one that needs privileges is reported before anything
// runs, and loads the certificate for the same reason.
func NewFirehose(spec string, opts Options) (*Firehose, error) {
	addr := strings.TrimSuffix(strings.TrimPrefix(spec, "firehose://"), "/")
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return nil, fmt.Errorf("%s: want firehose://[HOST]:PORT, e.g. firehose://:8443 or firehose://127.0.0.1:8080", spec)
	}
	fo := opts.Firehose
	fo.defaults()
	f := &Firehose{name: spec, opts: fo, format: opts.Format, objs: map[string]*fhObjState{},
		dedup: newFhDedup(fo.DedupWindow, fo.DedupLimit), slots: make(chan struct{}, fo.Slots), logf: opts.logf}
	switch {
	case (fo.TLSCert == "") != (fo.TLSKey == ""):
		return nil, fmt.Errorf("%s: --tls-cert and --tls-key go together", spec)
	case fo.TLSCert != "" && fo.InsecureHTTP:
		return nil, fmt.Errorf("%s: --insecure-http and --tls-cert: choose one", spec)
	case fo.TLSCert == "" && !fo.InsecureHTTP:
		return nil, fmt.Errorf("%s: Firehose delivers only over HTTPS: give --tls-cert and --tls-key, "+
			"or --insecure-http when a TLS-terminating load balancer or tunnel sits in front", spec)
	}
	if len(fo.AccessKey) > maxAccessKey {
		return nil, fmt.Errorf("%s: the access key is %d bytes; Firehose sends at most %d", spec, len(fo.AccessKey), maxAccessKey)
	}
	if fo.AccessKey != "" {
		f.keySum, f.hasKey = sha256.Sum256([]byte(fo.AccessKey)), true
	}
	if fo.TLSCert != "" {
		if f.certs, err = newCertReloader(fo.TLSCert, fo.TLSKey); err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		f.certs.onErr = func(err error) { f.AddError("certificate not reloaded: " + err.Error()) }
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("%s: %w (ports below 1024 need root or CAP_NET_BIND_SERVICE; "+
				"or listen on a high port behind a load balancer)", spec, err)
		}
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	f.ln = newLimitListener(ln, fo.MaxConns)
	scheme := "https"
	if f.certs == nil {
		scheme = "http"
	}
	shown := ln.Addr().String()
	if host == "" {
		shown = net.JoinHostPort("0.0.0.0", port)
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
			shown = net.JoinHostPort("0.0.0.0", fmt.Sprint(tcp.Port))
		}
	}
	f.url = scheme + "://" + shown + "/"
	f.Update(func(st *Status) { st.Name, st.Kind, st.State = spec, "firehose", StateStarting })
	return f, nil
}

// Name returns the spec it was opened with.
func (f *Firehose) Name() string { return f.name }

// Addr returns the address it listens on (with the port chosen when the
// spec said :0).
func (f *Firehose) Addr() net.Addr { return f.ln.Addr() }

// URL returns the endpoint's URL as a person would type it.
func (f *Firehose) URL() string { return f.url }

// Close releases the port of a receiver that will not Run.
func (f *Firehose) Close() error {
	if f.started.Load() {
		return nil
	}
	return f.ln.Close()
}

// Run serves deliveries until ctx ends, then stops taking requests, lets
// those in progress finish for a few seconds, and returns.
func (f *Firehose) Run(ctx context.Context, emit func(model.Batch) error) error {
	if !f.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: source already running", f.name)
	}
	f.run.Store(&fhRun{ctx: ctx, emit: emit})
	srv := &http.Server{
		Handler:           f,
		ReadHeaderTimeout: f.opts.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// net/http logs TLS handshake failures and the like; sources never
		// write to the terminal, which the TUI owns.
		ErrorLog: log.New(logWriter(f.logf), "", 0),
	}
	if f.certs != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: f.certs.get}
	}
	f.SetState(StateFollowing, "")
	served := make(chan error, 1)
	go func() {
		if f.certs != nil {
			served <- srv.ServeTLS(f.ln, "", "")
		} else {
			served <- srv.Serve(f.ln)
		}
	}()
	select {
	case err := <-served:
		f.SetState(StateFailed, err.Error())
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-served
	f.SetState(StateDone, "")
	return nil
}

// logWriter adapts Logf to the io.Writer a log.Logger wants.
type logWriter func(format string, args ...any)

func (w logWriter) Write(p []byte) (int, error) {
	if w != nil {
		w("%s", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Status reports the receiver's state with its request counters and
// where it listens.
func (f *Firehose) Status() Status {
	st := f.StatusBox.Status()
	add := func(name string, v uint64, always bool) {
		if v > 0 || always {
			st.Counters = append(st.Counters, Counter{name, v})
		}
	}
	add("requests", f.requests.Load(), true)
	// "firehose records": a record can hold several lines, or none
	add("firehose records", f.records.Load(), true)
	add("duplicates", f.duplicates.Load(), true)
	add("empty records", f.empty.Load(), false)
	add("control messages", f.control.Load(), false)
	for r := fhReject(0); r < numRejects; r++ {
		add("rejected "+r.String(), f.rejects[r].Load(), false)
	}
	how := "TLS"
	if f.certs == nil {
		how = "plain HTTP, for a TLS-terminating proxy in front"
	}
	st.Info = append(st.Info, "listening on "+f.url+" ("+how+")")
	if f.hasKey {
		st.Info = append(st.Info, "access key required")
	} else {
		st.Info = append(st.Info, "no access key: anyone who reaches the port can post records")
	}
	f.lastMu.Lock()
	at, from, stamp := f.lastAt, f.lastFrom, f.lastStamp
	f.lastMu.Unlock()
	if !at.IsZero() {
		line := fmt.Sprintf("last request %s ago (%s)", time.Since(at).Round(time.Second), at.UTC().Format(time.RFC3339))
		if from != "" {
			line += " from " + from
		}
		st.Info = append(st.Info, line)
		// How long the last request took to come (buffering and retries):
		// Firehose retries for two hours at most, so an older timestamp is
		// not Firehose's and says nothing.
		if lag := at.Sub(time.UnixMilli(stamp)); stamp > 0 && lag >= 0 && lag < 24*time.Hour {
			st.Lag = lag
		}
		if w := f.wire.Load(); w > 0 {
			st.Info = append(st.Info, model.HumanBytes(w)+" received on the wire")
		}
	}
	if n, early := f.dedup.size(); early > 0 {
		st.Info = append(st.Info, fmt.Sprintf("%d request ids forgotten early (table of %d full): a retry of one of them would be indexed twice", early, n))
	}
	f.emitMu.Lock()
	st.Objects = len(f.objs)
	f.emitMu.Unlock()
	return st
}

// ServeHTTP answers one delivery request.
func (f *Firehose) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	f.requests.Add(1)
	id := r.Header.Get(hdrRequestID)
	arn := r.Header.Get(hdrSourceARN)
	f.lastMu.Lock()
	f.lastAt, f.lastFrom = now, clip(arn, 256)
	f.lastMu.Unlock()
	rc := http.NewResponseController(w)
	if r.Method != http.MethodPost {
		f.reject(w, rc, rejMethod, id, "use POST: this is an Amazon Data Firehose HTTP endpoint")
		return
	}
	if f.hasKey {
		got := sha256.Sum256([]byte(r.Header.Get(hdrAccessKey)))
		// Hashes of equal length compare in constant time whatever the
		// key's length; a missing header hashes the empty key, which is
		// never the configured one.
		if subtle.ConstantTimeCompare(got[:], f.keySum[:]) != 1 || r.Header.Get(hdrAccessKey) == "" {
			f.reject(w, rc, rejUnauthorized, id, "missing or wrong "+hdrAccessKey)
			return
		}
	}
	run := f.run.Load()
	if run == nil || run.ctx.Err() != nil {
		f.reject(w, rc, rejShutdown, id, "the receiver is stopping; retry")
		return
	}
	base, err := objectBase(arn, r.Header.Get(hdrAttributes))
	if err != nil {
		f.reject(w, rc, rejMalformed, id, err.Error())
		return
	}
	// Only one attempt of a request id runs at a time: a retry of a
	// committed request is a duplicate, one of a running attempt waits.
	var attempt *fhAttempt
	settled := false
	claim := func(key string) bool {
		a, owner := f.dedup.claim(arn+"\x00"+key, now)
		if owner {
			attempt = a
			return true
		}
		select {
		case <-a.done:
		case <-r.Context().Done():
			return false
		case <-run.ctx.Done():
			f.reject(w, rc, rejShutdown, id, "the receiver is stopping; retry")
			return false
		}
		if f.dedup.outcome(a) {
			f.duplicates.Add(1)
			f.reply(w, rc, http.StatusOK, key, "")
		} else {
			f.reject(w, rc, rejBusy, key, "an earlier attempt of this request failed; retry")
		}
		return false
	}
	defer func() {
		if attempt != nil && !settled {
			f.dedup.settle(attempt, false)
		}
	}()
	if id != "" && !claim(id) {
		return
	}
	// A slot bounds the memory and CPU spent on requests at once; waiting
	// too long for one means the index cannot keep up: back-pressure.
	t := time.NewTimer(f.opts.BusyWait)
	select {
	case f.slots <- struct{}{}:
		t.Stop()
	case <-t.C:
		f.reject(w, rc, rejBusy, id, fmt.Sprintf("busy: %d requests in progress for %s; retry later", cap(f.slots), f.opts.BusyWait))
		return
	case <-r.Context().Done():
		t.Stop()
		return
	}
	defer func() { <-f.slots }()

	body, wire, rej, err := f.readBody(r, rc)
	f.wire.Add(uint64(wire))
	if err != nil {
		f.reject(w, rc, rej, id, err.Error())
		return
	}
	defer putBodyBuf(body)
	recs := getRecs()
	defer putRecs(recs)
	req, err := parseFhBody(*body, *recs)
	*recs = req.Records[:0]
	if err != nil {
		f.reject(w, rc, rejMalformed, id, err.Error())
		return
	}
	switch {
	case id != "" && req.HasRequestID && req.RequestID != id:
		f.reject(w, rc, rejMalformed, id, fmt.Sprintf("body requestId %q does not match the %s header", clip(req.RequestID, 80), hdrRequestID))
		return
	case id == "" && req.HasRequestID:
		id = req.RequestID
		if id != "" && !claim(id) {
			return
		}
	}
	if req.Timestamp > 0 {
		f.lastMu.Lock()
		f.lastStamp = req.Timestamp
		f.lastMu.Unlock()
	}
	lines, rej, err := f.decodeRecords(base, req.Records)
	if err != nil {
		f.reject(w, rc, rej, id, err.Error())
		return
	}
	f.records.Add(uint64(len(req.Records)))
	f.empty.Add(uint64(lines.empty))
	f.control.Add(uint64(lines.control))
	committed, err := f.emitLines(run, lines, func() {
		if attempt != nil {
			f.dedup.settle(attempt, true)
		}
	})
	if err != nil {
		f.reject(w, rc, rejShutdown, id, "the receiver is stopping; retry")
		return
	}
	settled = true // by the commit, from now on
	select {
	case <-committed:
		f.reply(w, rc, http.StatusOK, id, "")
	case <-run.ctx.Done():
		f.reject(w, rc, rejShutdown, id, "the receiver is stopping; retry")
	}
}

// decodeRecords decodes every record into lines. Any bad record fails the
// whole request (400), before anything is emitted: a request is indexed
// whole or not at all.
func (f *Firehose) decodeRecords(base string, recs [][]byte) (*fhLines, fhReject, error) {
	size := 0
	for _, enc := range recs {
		size += len(enc)
	}
	l := newFhLines(base, 4*f.opts.MaxBody, size/4*3+len(recs))
	dec := getDecodeBuf()
	defer putDecodeBuf(dec)
	for i, enc := range recs {
		var p []byte
		var err error
		*dec, p, err = decodeBase64((*dec)[:0], enc)
		if err != nil {
			return nil, rejMalformed, fmt.Errorf("record %d of %d: data is not valid base64: %v", i, len(recs), err)
		}
		if err := l.record(i, p); err != nil {
			if errors.Is(err, errTooLarge) {
				return nil, rejTooLarge, fmt.Errorf("the records expand to more than %d bytes after gzip", 4*f.opts.MaxBody)
			}
			return nil, rejMalformed, err
		}
	}
	return l, 0, nil
}

// emitLines hands the lines to the index in batches, each acknowledged
// when committed; the returned channel is closed (after onCommit ran) once
// all are in. Batches of one object go out in order, and requests one
// after the other, so that line numbers follow arrival.
func (f *Firehose) emitLines(run *fhRun, l *fhLines, onCommit func()) (<-chan struct{}, error) {
	done := make(chan struct{})
	type cut struct {
		obj   *fhObject
		data  []byte
		lines int
	}
	var cuts []cut
	for _, o := range l.objs {
		data := o.data
		for len(data) > 0 {
			n := len(data)
			if n > batchTarget {
				n = batchTarget
				if k := bytes.LastIndexByte(data[:n], '\n'); k >= 0 {
					n = k + 1
				} else if k := bytes.IndexByte(data[n:], '\n'); k >= 0 {
					n += k + 1
				} else {
					n = len(data)
				}
			}
			cuts = append(cuts, cut{o, data[:n], bytes.Count(data[:n], []byte{'\n'})})
			data = data[n:]
		}
	}
	if len(cuts) == 0 {
		onCommit()
		close(done)
		return done, nil
	}
	var pending atomic.Int64
	pending.Store(int64(len(cuts)))
	ack := func(model.IngestResult) {
		if pending.Add(-1) == 0 {
			onCommit()
			close(done)
		}
	}
	f.emitMu.Lock()
	defer f.emitMu.Unlock()
	for _, c := range cuts {
		st := f.objs[c.obj.name]
		if st == nil {
			st = &fhObjState{}
			f.objs[c.obj.name] = st
		}
		b := model.Batch{Source: f.name, Object: c.obj.name, Data: c.data, Line: st.line + 1, Offset: st.off,
			Format: f.format, Committed: ack}
		// An emit fails only when the receiver stops; the batches already
		// handed over are indexed, the request is answered 503.
		if err := run.emit(b); err != nil {
			return nil, err
		}
		st.line += int64(c.lines)
		st.off += int64(len(c.data))
		f.Count(&b, c.lines)
	}
	return done, nil
}

// reject answers with an error and counts it.
func (f *Firehose) reject(w http.ResponseWriter, rc *http.ResponseController, r fhReject, id, msg string) {
	f.rejects[r].Add(1)
	if r != rejUnauthorized && r != rejBusy && r != rejShutdown {
		f.AddError(fmt.Sprintf("request %s: %d %s", clip(id, 64), r.status(), clip(msg, 200)))
	}
	f.reply(w, rc, r.status(), id, msg)
}

// fhResponse is the body of every answer.
type fhResponse struct {
	RequestID    string `json:"requestId"`
	Timestamp    int64  `json:"timestamp"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// reply writes the JSON answer Firehose expects: never compressed, the
// request id echoed, the time in ms, and errorMessage (at most 8,192
// characters) on failure.
func (f *Firehose) reply(w http.ResponseWriter, rc *http.ResponseController, code int, id, msg string) {
	body, _ := json.Marshal(fhResponse{RequestID: id, Timestamp: time.Now().UnixMilli(), ErrorMessage: clip(msg, 8192)})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if code == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if code != http.StatusOK {
		// the body may be unread: don't keep a connection in an unknown state
		h.Set("Connection", "close")
	}
	_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// objectBase names the object of a stream's direct records: its ARN, then
// its common attributes (key=value, sorted) in brackets.
func objectBase(arn, attrs string) (string, error) {
	base := clip(arn, 512)
	if strings.TrimSpace(attrs) == "" {
		return base, nil
	}
	var ca struct {
		CommonAttributes map[string]any `json:"commonAttributes"`
	}
	if err := json.Unmarshal([]byte(attrs), &ca); err != nil {
		return "", fmt.Errorf("malformed %s header: %v", hdrAttributes, err)
	}
	if len(ca.CommonAttributes) == 0 {
		return base, nil
	}
	keys := make([]string, 0, len(ca.CommonAttributes))
	for k := range ca.CommonAttributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := ca.CommonAttributes[k]
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		parts = append(parts, k+"="+s)
	}
	return strings.TrimSpace(base + " [" + clip(strings.Join(parts, " "), 512) + "]"), nil
}

// clip cuts s to at most n bytes (on a rune boundary), marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
