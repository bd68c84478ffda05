package source

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

// fakeClock is the clock of the AWS tests: Sleep advances Now at once and
// runs a hook, so backoff and polling take no wall time.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	slept   []time.Duration
	onSleep func(d time.Duration)
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

// offlineAWS keeps the SDK away from the real network and the user's
// config: no IMDS, no shared files, no ambient credentials.
func offlineAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// testAWS returns an AWSConfig for a test server at endpoint, with static
// credentials and the fake clock.
func testAWS(t *testing.T, endpoint string, clk *fakeClock) AWSConfig {
	offlineAWS(t)
	return AWSConfig{
		Region:      "us-east-1",
		EndpointURL: endpoint,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         clk.Now,
		Sleep:       clk.Sleep,
		Jitter:      func() float64 { return 0.5 },
		Logf:        t.Logf,
	}
}

// collector gathers emitted batches.
type collector struct {
	mu      sync.Mutex
	batches []model.Batch
	lines   map[string][]string // object -> lines
	eof     map[string]int
}

func newCollector() *collector {
	return &collector{lines: map[string][]string{}, eof: map[string]int{}}
}

func (c *collector) emit(b model.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, b)
	for _, l := range strings.Split(strings.TrimSuffix(string(b.Data), "\n"), "\n") {
		if l != "" {
			c.lines[b.Object] = append(c.lines[b.Object], l)
		}
	}
	if b.EOF {
		c.eof[b.Object]++
	}
	return nil
}

// records returns every non-header line, across objects.
func (c *collector) records() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ls := range c.lines {
		for _, l := range ls {
			if !model.IsHeaderLine([]byte(l)) {
				out = append(out, l)
			}
		}
	}
	return out
}

func TestAWSClassify(t *testing.T) {
	cases := []struct {
		code  string
		class errClass
		kind  error
	}{
		{"AccessDenied", classFatal, ErrAccessDenied},
		{"AccessDeniedException", classFatal, ErrAccessDenied},
		{"ExpiredToken", classFatal, ErrCredentials},
		{"UnrecognizedClientException", classFatal, ErrCredentials},
		{"ResourceNotFoundException", classFatal, ErrNotFound},
		{"ThrottlingException", classThrottle, nil},
		{"SlowDown", classThrottle, nil},
		{"LimitExceededException", classThrottle, nil},
		{"ValidationException", classFatal, nil},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			class, kind := classify(&smithy.GenericAPIError{Code: tc.code, Message: "m"})
			if class != tc.class || kind != tc.kind {
				t.Errorf("classify(%s) = %v, %v; want %v, %v", tc.code, class, kind, tc.class, tc.kind)
			}
		})
	}
	e := &AWSError{Op: "FilterLogEvents", Action: "logs:FilterLogEvents", On: "log group g", Kind: ErrAccessDenied,
		Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}}
	if !errors.Is(e, ErrAccessDenied) || !strings.Contains(e.Error(), "logs:FilterLogEvents") {
		t.Errorf("AWSError %q: want Is(ErrAccessDenied) and the IAM action", e)
	}
}

func TestAWSBackoffJitterAndLimiter(t *testing.T) {
	clk := newFakeClock(time.Unix(1717236000, 0))
	cfg := &AWSConfig{Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 1 }, MaxBackoff: 5 * time.Second}
	c := newAWSCaller(cfg, &StatusBox{}, "x")
	prev := time.Duration(0)
	for i := range 10 {
		d := c.backoff(i)
		if d < prev || d > 5*time.Second {
			t.Errorf("backoff(%d) = %s after %s, cap 5s", i, d, prev)
		}
		prev = d
	}
	cfg.Jitter = func() float64 { return 0 }
	if d := c.backoff(3); d != 160*time.Millisecond {
		t.Errorf("backoff(3) with zero jitter = %s, want the 1/10 floor 160ms", d)
	}
	l := &rateLimiter{interval: 200 * time.Millisecond, cfg: cfg}
	start := clk.Now()
	for range 11 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.Now().Sub(start); got != 2*time.Second {
		t.Errorf("11 calls at 5/s took %s of clock, want 2s", got)
	}
}

func TestAWSOpen(t *testing.T) {
	offlineAWS(t)
	opts := DefaultOptions()
	opts.Region, opts.EndpointURL = "us-east-1", "http://127.0.0.1:1"
	opts.Since = time.Unix(1717236000, 0)
	for spec, want := range map[string]string{
		"s3://flows/vpc/AWSLogs/": "s3://flows/vpc/AWSLogs",
		"s3://flows":              "s3://flows/",
		"cloudwatch:///vpc/flows": "cloudwatch:///vpc/flows",
		"cw://vpc-flow-logs":      "cloudwatch://vpc-flow-logs",
	} {
		src, err := Open(spec, opts)
		if err != nil {
			t.Fatalf("Open(%q): %v", spec, err)
		}
		if src.Name() != want {
			t.Errorf("Open(%q).Name() = %q, want %q", spec, src.Name(), want)
		}
	}
	s, _ := Open("s3://flows/", opts)
	if cfg := s.(*S3).cfg; cfg.PollInterval != time.Minute || !cfg.Since.Equal(opts.Since) {
		t.Errorf("S3 config from options: poll %s since %s", cfg.PollInterval, cfg.Since)
	}
}

// TestAWSEndToEnd opens both kinds of source through Open against one
// loopback endpoint serving fake S3 and CloudWatch Logs (as the fakeaws dev
// command does) and ingests what they emit into an index.
func TestAWSEndToEnd(t *testing.T) {
	offlineAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	s3srv := awstest.NewS3Handler()
	cw := awstest.NewCloudWatchHandler()
	if err := s3srv.Backend.CreateBucket("flowlogs"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s3srv.Generate(awstest.Fill{Bucket: "flowlogs", Layout: awstest.Layout{Hourly: true}, Account: testAcct,
		Region: testRegion, FlowLogs: []string{"fl-0aaa"}, From: t0, To: t0.Add(2 * time.Hour), PerObj: 10}); err != nil {
		t.Fatal(err)
	}
	cw.Put("vpc-flow-logs", cwEvents(5, 200, t0, 1)...)
	srv := httptest.NewServer(awstest.Both(s3srv, cw))
	defer srv.Close()

	opts := DefaultOptions()
	opts.Region, opts.EndpointURL = "us-east-1", srv.URL
	opts.Since, opts.Until = t0, t0.Add(time.Hour)
	ix := model.NewIndex(0)
	for spec, want := range map[string]int{"s3://flowlogs/": 10 * 16, "cw://vpc-flow-logs": 200} {
		src, err := Open(spec, opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = src.Run(context.Background(), func(b model.Batch) error {
			n += ix.Ingest(&b).Records
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		// S3: key times 09:45..11:15 exist from 10:00 on = 16 objects.
		if n != want {
			t.Errorf("%s: %d records, want %d", spec, n, want)
		}
		if st := src.Status(); st.State != StateDone || st.Calls == 0 {
			t.Errorf("%s: status %s after %d calls", spec, st.State, st.Calls)
		}
	}
}
