package source

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/source/internal/awstest"
)

// quick are time-outs short enough for tests.
var quick = Timeouts{Connect: time.Second, Response: 300 * time.Millisecond, Call: 2 * time.Second, Stall: 300 * time.Millisecond}

// runWithin runs fn and fails the test if it takes longer than d.
func runWithin(t *testing.T, d time.Duration, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- fn() }()
	select {
	case err := <-done:
		t.Logf("returned after %s", time.Since(t0).Round(time.Millisecond))
		return err
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
		return nil
	}
}

// TestS3EndpointThatNeverAnswers: an endpoint that accepts and never
// answers makes the source fail after two attempts of the response
// time-out, saying so. Today's code waited 10+ minutes.
func TestS3EndpointThatNeverAnswers(t *testing.T) {
	srv := s3Fixture(t)
	srv.Hang(1000)
	clk := newFakeClock(time.Now())
	cfg := testAWS(t, srv.URL, clk)
	cfg.Timeouts = quick
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: cfg})
	err := runWithin(t, 20*time.Second, func() error { return s.Run(context.Background(), newCollector().emit) })
	if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts: no response within 300ms (--response-timeout)") {
		t.Fatalf("err = %v", err)
	}
	if st := s.Status(); st.State != StateFailed || st.Calls != 2 {
		t.Fatalf("state %s after %d calls", st.State, st.Calls)
	}
}

// TestS3StalledBodyIsFetchedAgain: an object whose body stops arriving
// half-way is given up by the watchdog and fetched again; nothing is lost
// or repeated.
func TestS3StalledBodyIsFetchedAgain(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	var lines []string
	for i := range 5000 {
		lines = append(lines, awstest.Record(testAcct, 1, int64(i+1), start))
	}
	key := awstest.Layout{}.Key(testAcct, testRegion, "fl-0aaa", start, ".log")
	if err := srv.Put("flows", key, awstest.TextObject(lines)); err != nil {
		t.Fatal(err)
	}
	srv.StallBody(key, 1)
	clk := newFakeClock(start.Add(time.Hour))
	cfg := testAWS(t, srv.URL, clk)
	cfg.Timeouts = quick
	s := newTestS3(t, srv, "s3://flows/", S3Config{AWS: cfg, Since: start, BatchBytes: 8192})
	col := newCollector()
	if err := runWithin(t, 20*time.Second, func() error { return s.Run(context.Background(), col.emit) }); err != nil {
		t.Fatal(err)
	}
	got := idsOf(t, col.records())
	if len(got) != 5000 {
		t.Fatalf("%d records, want 5000", len(got))
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("record %d has id %d: lost or repeated", i, id)
		}
	}
	if srv.Gets.Load() != 2 {
		t.Fatalf("%d GETs, want 2", srv.Gets.Load())
	}
}

// TestRefusedLocalEndpointGivesUpFast: a closed local port is tried three
// times, not ten (today: 40 s of retries), and the error says what to check.
func TestRefusedLocalEndpointGivesUpFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	clk := newFakeClock(time.Now())
	cfg := testAWS(t, "http://"+addr, clk)
	s3src := newTestS3(t, nil, "s3://flows/", S3Config{AWS: cfg})
	err = runWithin(t, 10*time.Second, func() error { return s3src.Run(context.Background(), newCollector().emit) })
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts: connection refused: is the endpoint running?") {
		t.Fatalf("err = %v", err)
	}
	if s3src.Status().Calls != 3 {
		t.Fatalf("%d calls, want 3", s3src.Status().Calls)
	}
}

// TestCloudWatchEndpointThatNeverAnswers: today CloudWatch waited for
// ever; now each call has the response time-out and two attempts.
func TestCloudWatchEndpointThatNeverAnswers(t *testing.T) {
	clk := newFakeClock(time.Now())
	srv := cwFixture(t, clk)
	srv.CreateGroup(testGroup)
	srv.Hang(1000)
	cfg := testAWS(t, srv.URL, clk)
	cfg.Timeouts = quick
	c, err := NewCloudWatchConfig(testGroup, CloudWatchConfig{AWS: cfg, Since: clk.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	err = runWithin(t, 20*time.Second, func() error { return c.Run(context.Background(), newCollector().emit) })
	if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts: no response within") {
		t.Fatalf("err = %v", err)
	}
}

// TestLiveTailSessionThatGoesQuietIsRenewed: the service sends an update
// every second; a session silent for the stall time-out is ended and a
// new one started.
func TestLiveTailSessionThatGoesQuietIsRenewed(t *testing.T) {
	clk := newFakeClock(time.Now())
	srv := cwFixture(t, clk)
	srv.CreateGroup(testGroup)
	srv.SilentLiveSessions = 1
	cfg := testAWS(t, srv.URL, clk)
	cfg.Timeouts = quick
	c, err := NewCloudWatchConfig(testGroup, CloudWatchConfig{AWS: cfg, Since: clk.Now(), Follow: true, LiveTail: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, newCollector().emit) }()
	deadline := time.Now().Add(20 * time.Second)
	for srv.Sessions() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the silent session was not renewed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
