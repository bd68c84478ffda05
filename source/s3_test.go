package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

func TestS3KeyTime(t *testing.T) {
	cases := []struct {
		key  string
		want string
	}{
		{"AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01/111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20240601T1000Z_1a2b3c4d.log.gz", "2024-06-01T10:00:00Z"},
		{"x/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.parquet", "2018-06-20T16:20:00Z"},
		{"a_20240101T0000Z_b/plain.log.gz", ""},
		{"notes.txt", ""},
	}
	for _, tc := range cases {
		t.Run(tc.key[strings.LastIndexByte(tc.key, '/')+1:], func(t *testing.T) {
			got, ok := keyTime(tc.key)
			if tc.want == "" {
				if ok {
					t.Errorf("keyTime = %s, want none", got)
				}
				return
			}
			if !ok || got.Format(time.RFC3339) != tc.want {
				t.Errorf("keyTime = %s %v, want %s", got, ok, tc.want)
			}
		})
	}
}

func TestS3ParsePrefix(t *testing.T) {
	cases := []struct {
		prefix string
		base   string
		root   string
		hive   bool
		plain  bool
		narrow string
	}{
		{prefix: "", base: "AWSLogs/"},
		{prefix: "flows", base: "flows/AWSLogs/"},
		{prefix: "flows/AWSLogs/", base: "flows/AWSLogs/"},
		{prefix: "AWSLogs/111122223333", base: "AWSLogs/111122223333/vpcflowlogs/"},
		{prefix: "AWSLogs/111122223333/vpcflowlogs/us-east-1/", root: "AWSLogs/111122223333/vpcflowlogs/us-east-1/"},
		{prefix: "p/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01", root: "p/AWSLogs/111122223333/vpcflowlogs/us-east-1/",
			narrow: "2024-06-01T00:00:00Z"},
		{prefix: "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/",
			root: "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/", hive: true,
			narrow: "2024-06-01T00:00:00Z"},
		{prefix: "AWSLogs/111122223333/elasticloadbalancing/us-east-1/", plain: true},
		{prefix: "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01/07/extra/", plain: true},
	}
	for _, tc := range cases {
		t.Run(tc.prefix, func(t *testing.T) {
			s := parseS3Prefix(tc.prefix)
			if s.Plain != tc.plain {
				t.Fatalf("Plain = %v, want %v (%+v)", s.Plain, tc.plain, s)
			}
			if tc.plain {
				return
			}
			if tc.root != "" {
				if len(s.Roots) != 1 || s.Roots[0].Prefix != tc.root || s.Roots[0].Hive != tc.hive {
					t.Fatalf("Roots = %+v, want %s hive=%v", s.Roots, tc.root, tc.hive)
				}
			} else if s.Base != tc.base {
				t.Fatalf("Base = %q, want %q", s.Base, tc.base)
			}
			if tc.narrow != "" && s.Narrow.From.Format(time.RFC3339) != tc.narrow {
				t.Errorf("Narrow = %+v, want from %s", s.Narrow, tc.narrow)
			}
		})
	}
}

const (
	testAcct   = "111122223333"
	testRegion = "us-east-1"
)

// s3Fixture is a fake S3 with one bucket.
func s3Fixture(t *testing.T) *awstest.S3 {
	t.Helper()
	srv, err := awstest.NewS3("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.Backend.CreateBucket("flows"); err != nil {
		t.Fatal(err)
	}
	return srv
}

func newTestS3(t *testing.T, srv *awstest.S3, spec string, cfg S3Config) *S3 {
	t.Helper()
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewS3Config(u, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idsOf returns the record ids (the bytes field) of default-format lines.
func idsOf(t *testing.T, lines []string) []int64 {
	t.Helper()
	var ids []int64
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 14 {
			t.Fatalf("line %q: %d fields", l, len(f))
		}
		id, err := strconv.ParseInt(f[9], 10, 64)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// expectIDs returns the ids of records in objects whose key time is in
// [from, to], given the fill's numbering (PerObj records per object per
// flow log, windows from start).
func expectIDs(start time.Time, flowLogs, perObj int, from, to time.Time) []int64 {
	var ids []int64
	id := int64(0)
	for t := start; ; t = t.Add(5 * time.Minute) {
		if t.After(to.Add(48 * time.Hour)) {
			break
		}
		for range flowLogs {
			for range perObj {
				id++
				if !t.Before(from) && !t.After(to) {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestS3Layouts reads a one-hour window across midnight from every
// delivery layout and checks that exactly the objects whose key times meet
// the padded window are read, with few LIST calls.
func TestS3Layouts(t *testing.T) {
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	layouts := []awstest.Layout{{}, {Hourly: true}, {Hive: true}, {Hive: true, Hourly: true},
		{Prefix: "vpc/prod/"}, {Prefix: "vpc/prod/", Hive: true, Hourly: true}}
	for _, lay := range layouts {
		t.Run(lay.String(), func(t *testing.T) {
			srv := s3Fixture(t)
			// 3 days, 2 flow logs: 1,728 objects.
			_, err := srv.Generate(awstest.Fill{Bucket: "flows", Layout: lay, Account: testAcct, Region: testRegion,
				FlowLogs: []string{"fl-0aaa", "fl-0bbb"}, From: start, To: start.Add(72 * time.Hour), PerObj: 3})
			if err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock(start.Add(80 * time.Hour))
			since := time.Date(2024, 6, 2, 23, 30, 0, 0, time.UTC)
			until := since.Add(time.Hour)
			s := newTestS3(t, srv, "s3://flows/"+lay.Prefix, S3Config{AWS: testAWS(t, srv.URL, clk), Since: since, Until: until})
			col := newCollector()
			if err := s.Run(context.Background(), col.emit); err != nil {
				t.Fatal(err)
			}
			got := idsOf(t, col.records())
			want := expectIDs(start, 2, 3, since.Add(-15*time.Minute), until.Add(15*time.Minute))
			if !equalIDs(got, want) {
				t.Fatalf("read %d records, want %d", len(got), len(want))
			}
			st := s.Status()
			if st.State != StateDone || st.ObjectsDone != st.Objects || st.Objects != 2*19 {
				t.Errorf("status %+v: want done, 38 objects", st)
			}
			for obj, n := range col.eof {
				if n != 1 {
					t.Errorf("%s: %d EOF batches", obj, n)
				}
			}
			lists := srv.Lists.Load()
			t.Logf("%s: %d LIST calls, %d GETs for a 1-hour window over 3 days of 1,728 keys", lay, lists, srv.Gets.Load())
			// discovery (2) + 2 days (+ 2-3 hours each side when hourly)
			if lists > 9 {
				t.Errorf("%d LIST calls, want at most 9", lists)
			}
			if uint64(lists+srv.Gets.Load()) != st.Calls {
				t.Errorf("status counts %d calls, server saw %d", st.Calls, lists+srv.Gets.Load())
			}
		})
	}
}

// TestS3ManyKeys: 5,184 keys over 9 days; a one-hour query lists a
// handful of prefixes, an open query reads everything.
func TestS3ManyKeys(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	keys, err := srv.Generate(awstest.Fill{Bucket: "flows", Layout: awstest.Layout{Hourly: true}, Account: testAcct,
		Region: testRegion, FlowLogs: []string{"fl-0aaa", "fl-0bbb"}, From: start, To: start.Add(9 * 24 * time.Hour), PerObj: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 5000 {
		t.Fatalf("%d keys", len(keys))
	}
	clk := newFakeClock(start.Add(10 * 24 * time.Hour))
	since := time.Date(2024, 6, 5, 12, 0, 0, 0, time.UTC)
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: testAWS(t, srv.URL, clk), Since: since, Until: since.Add(time.Hour)})
	col := newCollector()
	if err := s.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	if got, want := len(col.records()), 2*19; got != want {
		t.Errorf("1-hour window: %d records, want %d", got, want)
	}
	t.Logf("1-hour window over %d keys in 9 days: %d LIST calls", len(keys), srv.Lists.Load())
	if n := srv.Lists.Load(); n > 6 {
		t.Errorf("%d LIST calls, want at most 6", n)
	}

	srv.Lists.Store(0)
	all := newTestS3(t, srv, "s3://flows/", S3Config{AWS: testAWS(t, srv.URL, clk), Concurrency: 8})
	col = newCollector()
	t0 := time.Now()
	if err := all.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	if got := len(col.records()); got != len(keys) {
		t.Errorf("open range: %d records, want %d", got, len(keys))
	}
	// Newest last: objects were started in key-time order.
	t.Logf("open range: %d objects in %s (%.0f objects/s), %d LIST calls", len(keys), el.Round(time.Millisecond),
		float64(len(keys))/el.Seconds(), srv.Lists.Load())
}

func TestS3Parquet(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	if _, err := srv.Generate(awstest.Fill{Bucket: "flows", Layout: awstest.Layout{Hive: true}, Account: testAcct,
		Region: testRegion, FlowLogs: []string{"fl-0aaa"}, From: start, To: start.Add(30 * time.Minute), PerObj: 50,
		Parquet: true}); err != nil {
		t.Fatal(err)
	}
	// A row with nulls (NODATA).
	nodata := awstest.ParquetRecord{Version: 2, AccountID: testAcct, InterfaceID: "eni-0fedcba9876543210",
		Start: start.Unix(), End: start.Unix() + 60, LogStatus: "NODATA"}
	obj, err := awstest.ParquetObject([]awstest.ParquetRecord{nodata})
	if err != nil {
		t.Fatal(err)
	}
	key := awstest.Layout{Hive: true}.Key(testAcct, testRegion, "fl-0ccc", start, ".log.parquet")
	if err := srv.Put("flows", key, obj); err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(start.Add(time.Hour))
	s := newTestS3(t, srv, "s3://flows", S3Config{AWS: testAWS(t, srv.URL, clk), Since: start, Until: start.Add(time.Hour)})
	col := newCollector()
	if err := s.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	if got := len(col.records()); got != 6*50+1 {
		t.Errorf("%d records, want 301", got)
	}
	lines := col.lines[key]
	if len(lines) != 2 || lines[0] != awstest.DefaultHeader {
		t.Fatalf("NODATA object lines = %q", lines)
	}
	if want := "2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA"; lines[1] != want {
		t.Errorf("NODATA row = %q, want %q", lines[1], want)
	}
	// The shared parser reads every converted line.
	ix := model.NewIndex(0)
	for _, b := range col.batches {
		if res := ix.Ingest(&b); res.Bad > 0 {
			t.Fatalf("batch of %s: %d bad lines", b.Object, res.Bad)
		}
	}
}

// TestS3TruncatedGzip: a truncated object keeps its records before the
// fault, is reported by key, and the other objects are read.
func TestS3TruncatedGzip(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	lay := awstest.Layout{}
	if _, err := srv.Generate(awstest.Fill{Bucket: "flows", Layout: lay, Account: testAcct, Region: testRegion,
		FlowLogs: []string{"fl-0aaa"}, From: start, To: start.Add(20 * time.Minute), PerObj: 10}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 5000 {
		lines = append(lines, awstest.Record(testAcct, 9, int64(100000+i), start.Add(time.Minute)))
	}
	full := awstest.TextObject(lines)
	key := lay.Key(testAcct, testRegion, "fl-0bad", start.Add(5*time.Minute), ".log.gz")
	if err := srv.Put("flows", key, full[:len(full)*2/3]); err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(start.Add(time.Hour))
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: testAWS(t, srv.URL, clk), Since: start, Until: start.Add(time.Hour),
		BatchBytes: 4096})
	col := newCollector()
	if err := s.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	bad := col.lines[key]
	if len(bad) < 1000 || len(bad) >= 5001 {
		t.Errorf("truncated object: %d lines kept, want most of the readable part", len(bad))
	}
	if col.eof[key] != 1 {
		t.Errorf("truncated object: %d EOF batches, want 1", col.eof[key])
	}
	if got := len(col.records()) - (len(bad) - 1); got != 4*10 {
		t.Errorf("other objects: %d records, want 40", got)
	}
	st := s.Status()
	if len(st.Errors) != 2 || !strings.Contains(st.Errors[1], key) || !strings.Contains(st.Reason, "unreadable") {
		t.Errorf("status: reason %q, errors %q; want the key reported", st.Reason, st.Errors)
	}
	if st.Drops[DropIncomplete] != 1 || len(st.DropSamples) != 1 || !strings.Contains(st.DropSamples[0], key) {
		t.Errorf("the line cut short: drops %v %q, want one incomplete line noted", st.Drops, st.DropSamples)
	}
}

// TestS3RetryNoDuplicates: a connection dropped mid-object is retried and
// no line is emitted twice or lost; throttling is backed off and counted.
func TestS3RetryNoDuplicates(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	lay := awstest.Layout{}
	var lines []string
	for i := range 20000 {
		lines = append(lines, awstest.Record(testAcct, 1, int64(i+1), start))
	}
	key := lay.Key(testAcct, testRegion, "fl-0aaa", start, ".log.gz")
	if err := srv.Put("flows", key, awstest.TextObject(lines)); err != nil {
		t.Fatal(err)
	}
	srv.CutBody(key, 2)
	srv.Throttle(3)
	clk := newFakeClock(start.Add(time.Hour))
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: testAWS(t, srv.URL, clk), Since: start, BatchBytes: 8192})
	col := newCollector()
	if err := s.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	got := idsOf(t, col.records())
	if len(got) != 20000 {
		t.Fatalf("%d records, want 20000", len(got))
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("record %d has id %d: lost or duplicated", i, id)
		}
	}
	// Line numbers run on across the retry.
	next := int64(1)
	for _, b := range col.batches {
		if b.Object != key || len(b.Data) == 0 {
			continue
		}
		if b.Line != next {
			t.Fatalf("batch at line %d, want %d", b.Line, next)
		}
		next += int64(strings.Count(string(b.Data), "\n"))
	}
	st := s.Status()
	if st.Retries != 5 || st.Throttles != 3 || srv.Gets.Load() != 3 {
		t.Errorf("retries %d throttles %d gets %d; want 5, 3, 3", st.Retries, st.Throttles, srv.Gets.Load())
	}
}

func TestS3AccessDenied(t *testing.T) {
	srv := s3Fixture(t)
	srv.Deny("flows")
	clk := newFakeClock(time.Now())
	s := newTestS3(t, srv, "s3://flows/AWSLogs/", S3Config{AWS: testAWS(t, srv.URL, clk)})
	err := s.Run(context.Background(), newCollector().emit)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Fatalf("err = %v; want access denied naming s3:ListBucket", err)
	}
	if st := s.Status(); st.State != StateFailed || st.Calls != 1 {
		t.Errorf("status %s after %d calls; want failed after 1", st.State, st.Calls)
	}
}

func TestS3MissingCredentials(t *testing.T) {
	srv := s3Fixture(t)
	clk := newFakeClock(time.Now())
	cfg := testAWS(t, srv.URL, clk)
	cfg.Credentials = nil // the standard chain, which finds nothing offline
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: cfg})
	t0 := time.Now()
	err := s.Run(context.Background(), newCollector().emit)
	if !errors.Is(err, ErrCredentials) {
		t.Fatalf("err = %v; want ErrCredentials", err)
	}
	t.Logf("%s: %v", time.Since(t0).Round(time.Millisecond), err)
}

// TestS3Follow: new objects, including a late one in yesterday's folder,
// are read exactly once across polls.
func TestS3Follow(t *testing.T) {
	srv := s3Fixture(t)
	now := time.Date(2024, 6, 2, 0, 2, 0, 0, time.UTC)
	lay := awstest.Layout{Hive: true}
	id := new(int64)
	fill := func(from, to time.Time) {
		if _, err := srv.Generate(awstest.Fill{Bucket: "flows", Layout: lay, Account: testAcct, Region: testRegion,
			FlowLogs: []string{"fl-0aaa"}, From: from, To: to, PerObj: 2, NextID: id}); err != nil {
			t.Error(err)
		}
	}
	fill(now.Add(-2*time.Hour), now)
	clk := newFakeClock(now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	clk.onSleep = func(d time.Duration) {
		if d != time.Minute {
			return
		}
		polls++
		switch polls {
		case 1:
			fill(now, now.Add(10*time.Minute))
		case 2:
			// late: an object for 23:40 yesterday arrives now
			late := time.Date(2024, 6, 1, 23, 42, 0, 0, time.UTC)
			key := lay.Key(testAcct, testRegion, "fl-0late", late, ".log.gz")
			if err := srv.Put("flows", key, awstest.TextObject([]string{awstest.Record(testAcct, 7, 999999, late)})); err != nil {
				t.Error(err)
			}
		case 5:
			cancel()
		}
	}
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: testAWS(t, srv.URL, clk), Since: now.Add(-30 * time.Minute),
		Follow: true})
	col := newCollector()
	if err := s.Run(ctx, col.emit); err != nil {
		t.Fatal(err)
	}
	got := idsOf(t, col.records())
	seen := map[int64]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("id %d read twice", id)
		}
		seen[id] = true
	}
	// backfill: key times 23:20 to 23:55 (since - pad = 23:17) = 8 objects;
	// then 3 new ones (00:00 to 00:10) and the late one.
	if want := 8*2 + 3*2 + 1; len(got) != want || !seen[999999] {
		t.Errorf("%d records (late one: %v), want %d; objects %q", len(got), seen[999999], want, col.objects())
	}
	for obj, n := range col.eof {
		if n != 1 {
			t.Errorf("%s: %d EOF batches", obj, n)
		}
	}
}

// TestS3PlainFallback: a prefix that is not a flow-log layout is listed
// whole; objects without a time in their name are read.
func TestS3PlainFallback(t *testing.T) {
	srv := s3Fixture(t)
	for i := range 3 {
		data := awstest.TextObject([]string{awstest.Record(testAcct, 1, int64(i+1), time.Unix(1717236000, 0))})
		if err := srv.Put("flows", fmt.Sprintf("exports/part-%d.gz", i), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Put("flows", "exports/", nil); err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(time.Now())
	s := newTestS3(t, srv, "s3://flows/exports/", S3Config{AWS: testAWS(t, srv.URL, clk)})
	col := newCollector()
	if err := s.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	if got := idsOf(t, col.records()); !equalIDs(got, []int64{1, 2, 3}) {
		t.Errorf("ids %v", got)
	}
}

func (c *collector) objects() []string {
	var out []string
	for k := range c.lines {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
