// Package awstest runs in-process stand-ins for the AWS services the S3 and
// CloudWatch sources use: gofakes3 for S3 and a CloudWatch Logs server that
// speaks the awsJson1_1 protocol (and the event stream of StartLiveTail).
// It also generates flow-log data in every S3 delivery layout. It is for
// tests and the fakeaws dev command only; it never imports source.
package awstest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
)

// S3 is a gofakes3 server on 127.0.0.1 with request counters and fault
// injection.
type S3 struct {
	URL     string
	Backend *s3mem.Backend

	Lists atomic.Int64 // ListObjectsV2 requests
	Gets  atomic.Int64 // GetObject requests

	srv     *http.Server
	ln      net.Listener
	handler http.Handler

	mu       sync.Mutex
	cut      map[string]int // key -> GETs whose body is cut off half-way
	stall    map[string]int // key -> GETs whose body stops half-way, the connection open
	hang     int            // next requests read and never answered
	deny     map[string]bool
	throttle int // next requests answered 503 SlowDown
}

// NewS3 starts a fake S3 on addr ("127.0.0.1:0" for any port).
func NewS3(addr string) (*S3, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := NewS3Handler()
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.URL = "http://" + ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

// NewS3Handler returns a fake S3 that does not listen: serve its Handler.
func NewS3Handler() *S3 {
	s := &S3{Backend: s3mem.New(), cut: map[string]int{}, stall: map[string]int{}, deny: map[string]bool{}}
	s.handler = s.wrap(gofakes3.New(s.Backend, gofakes3.WithTimeSkewLimit(0)).Server())
	return s
}

// Handler returns the S3 HTTP handler.
func (s *S3) Handler() http.Handler { return s.handler }

// Close stops the server.
func (s *S3) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// CutBody makes the next n GETs of key send half the body and drop the
// connection (a transient fault: the client should fetch again).
func (s *S3) CutBody(key string, n int) {
	s.mu.Lock()
	s.cut[key] = n
	s.mu.Unlock()
}

// StallBody makes the next n GETs of key send half the body and then
// nothing more, with the connection left open, until the client gives up.
func (s *S3) StallBody(key string, n int) {
	s.mu.Lock()
	s.stall[key] = n
	s.mu.Unlock()
}

// Hang makes the next n requests be read and never answered (until the
// client goes away): an endpoint that accepts and hangs.
func (s *S3) Hang(n int) {
	s.mu.Lock()
	s.hang = n
	s.mu.Unlock()
}

// Throttle answers the next n requests with 503 SlowDown.
func (s *S3) Throttle(n int) {
	s.mu.Lock()
	s.throttle = n
	s.mu.Unlock()
}

// Deny makes every request on bucket fail with 403 AccessDenied.
func (s *S3) Deny(bucket string) {
	s.mu.Lock()
	s.deny[bucket] = true
	s.mu.Unlock()
}

func (s *S3) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/")
		bucket, key, _ := strings.Cut(path, "/")
		s.mu.Lock()
		denied := s.deny[bucket]
		slow := s.throttle > 0
		if slow {
			s.throttle--
		}
		n := s.cut[key]
		if r.Method == http.MethodGet && key != "" && n > 0 {
			s.cut[key] = n - 1
		}
		stalled := r.Method == http.MethodGet && key != "" && n == 0 && s.stall[key] > 0
		if stalled {
			s.stall[key]--
		}
		hung := s.hang > 0
		if hung {
			s.hang--
		}
		s.mu.Unlock()
		if hung {
			<-r.Context().Done()
			return
		}
		if r.Method == http.MethodGet {
			if key == "" {
				s.Lists.Add(1)
			} else {
				s.Gets.Add(1)
			}
		}
		if slow {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		if denied {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		if r.Method != http.MethodGet || key == "" || n == 0 && !stalled {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if stalled {
			<-r.Context().Done()
			return
		}
		panic(http.ErrAbortHandler)
	})
}

// Put stores an object.
func (s *S3) Put(bucket, key string, data []byte) error {
	_, err := s.Backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

// Layout is an S3 delivery layout.
type Layout struct {
	Prefix string // user prefix, "" or ending in "/"
	Hive   bool
	Hourly bool
}

// String names the layout for test names.
func (l Layout) String() string {
	s := "plain"
	if l.Hive {
		s = "hive"
	}
	if l.Hourly {
		s += "-hourly"
	}
	if l.Prefix != "" {
		s += "-prefixed"
	}
	return s
}

// Key returns the object key AWS would write for a 5-minute window at t.
func (l Layout) Key(account, region, flowLogID string, t time.Time, ext string) string {
	t = t.UTC()
	var dir string
	if l.Hive {
		dir = fmt.Sprintf("%sAWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/%s", l.Prefix, account, region,
			t.Format("year=2006/month=01/day=02/"))
		if l.Hourly {
			dir += t.Format("hour=15/")
		}
	} else {
		dir = fmt.Sprintf("%sAWSLogs/%s/vpcflowlogs/%s/%s", l.Prefix, account, region, t.Format("2006/01/02/"))
		if l.Hourly {
			dir += t.Format("15/")
		}
	}
	return fmt.Sprintf("%s%s_vpcflowlogs_%s_%s_%s_%08x%s", dir, account, region, flowLogID, t.Format("20060102T1504Z"),
		uint32(t.Unix()*2654435761), ext)
}

// DefaultHeader is the header line of a default-format S3 object.
const DefaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// Record returns a default-format record line (no newline). The bytes field
// is id, so tests can tell records apart; start is t.
func Record(account string, eni int, id int64, t time.Time) string {
	return fmt.Sprintf("2 %s eni-%017x 10.0.%d.%d 10.1.%d.%d %d 443 6 %d %d %d %d ACCEPT OK",
		account, eni, (id>>8)&255, id&255, eni&255, (id>>3)&255, 1024+id%60000, 1+id%50, id, t.Unix(), t.Unix()+59)
}

var (
	gzMu sync.Mutex
	gzW  *gzip.Writer
)

// Gzip compresses data (one writer, reset per call: generating thousands of
// objects stays cheap).
func Gzip(data []byte) []byte {
	gzMu.Lock()
	defer gzMu.Unlock()
	var b bytes.Buffer
	if gzW == nil {
		gzW, _ = gzip.NewWriterLevel(&b, gzip.BestSpeed)
	} else {
		gzW.Reset(&b)
	}
	gzW.Write(data)
	gzW.Close()
	return b.Bytes()
}

// TextObject returns a gzip'd plain-text object: the header line, then
// lines.
func TextObject(lines []string) []byte {
	return Gzip([]byte(DefaultHeader + "\n" + strings.Join(lines, "\n") + "\n"))
}

// ParquetRecord is a default-format flow record as AWS writes it to Parquet.
type ParquetRecord struct {
	Version     int32   `parquet:"version"`
	AccountID   string  `parquet:"account_id"`
	InterfaceID string  `parquet:"interface_id"`
	Srcaddr     *string `parquet:"srcaddr,optional"`
	Dstaddr     *string `parquet:"dstaddr,optional"`
	Srcport     *int32  `parquet:"srcport,optional"`
	Dstport     *int32  `parquet:"dstport,optional"`
	Protocol    *int32  `parquet:"protocol,optional"`
	Packets     *int64  `parquet:"packets,optional"`
	Bytes       *int64  `parquet:"bytes,optional"`
	Start       int64   `parquet:"start"`
	End         int64   `parquet:"end"`
	Action      *string `parquet:"action,optional"`
	LogStatus   string  `parquet:"log_status"`
}

// ParquetObject encodes records as a Parquet object (gzip pages, as AWS
// writes them).
func ParquetObject(recs []ParquetRecord) ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[ParquetRecord](&b, parquet.Compression(&parquet.Gzip))
	if _, err := w.Write(recs); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ParquetFromRecord makes a ParquetRecord like Record's line.
func ParquetFromRecord(account string, eni int, id int64, t time.Time) ParquetRecord {
	p := func(s string) *string { return &s }
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	return ParquetRecord{
		Version: 2, AccountID: account, InterfaceID: fmt.Sprintf("eni-%017x", eni),
		Srcaddr: p(fmt.Sprintf("10.0.%d.%d", (id>>8)&255, id&255)), Dstaddr: p(fmt.Sprintf("10.1.%d.%d", eni&255, (id>>3)&255)),
		Srcport: i32(int32(1024 + id%60000)), Dstport: i32(443), Protocol: i32(6),
		Packets: i64(1 + id%50), Bytes: i64(id), Start: t.Unix(), End: t.Unix() + 59,
		Action: p("ACCEPT"), LogStatus: "OK",
	}
}

// Fill describes generated flow-log objects.
type Fill struct {
	Bucket   string
	Layout   Layout
	Account  string
	Region   string
	FlowLogs []string  // flow-log ids; one object per id per 5 minutes
	From, To time.Time // object windows from..to (exclusive), 5-minute steps
	PerObj   int       // records per object
	Parquet  bool
	// NextID numbers records; it is advanced.
	NextID *int64
}

// Generate writes the objects of f and returns their keys.
func (s *S3) Generate(f Fill) ([]string, error) {
	if f.NextID == nil {
		f.NextID = new(int64)
	}
	var keys []string
	for t := f.From.UTC().Truncate(5 * time.Minute); t.Before(f.To); t = t.Add(5 * time.Minute) {
		for fi, fl := range f.FlowLogs {
			var data []byte
			var err error
			ext := ".log.gz"
			if f.Parquet {
				ext = ".log.parquet"
				recs := make([]ParquetRecord, f.PerObj)
				for i := range recs {
					*f.NextID++
					recs[i] = ParquetFromRecord(f.Account, fi, *f.NextID, t.Add(time.Duration(i)*time.Second))
				}
				if data, err = ParquetObject(recs); err != nil {
					return nil, err
				}
			} else {
				lines := make([]string, f.PerObj)
				for i := range lines {
					*f.NextID++
					lines[i] = Record(f.Account, fi, *f.NextID, t.Add(time.Duration(i)*time.Second))
				}
				data = TextObject(lines)
			}
			key := f.Layout.Key(f.Account, f.Region, fl, t, ext)
			if err := s.Put(f.Bucket, key, data); err != nil {
				return nil, err
			}
			keys = append(keys, key)
		}
	}
	return keys, nil
}
