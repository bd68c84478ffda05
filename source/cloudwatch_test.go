package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

const testGroup = "/vpc/flow-logs"

func cwFixture(t *testing.T, clk *fakeClock) *awstest.CloudWatch {
	t.Helper()
	srv, err := awstest.NewCloudWatch("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Now = clk.Now
	t.Cleanup(srv.Close)
	return srv
}

func newTestCW(t *testing.T, srv *awstest.CloudWatch, clk *fakeClock, cfg CloudWatchConfig) *CloudWatch {
	t.Helper()
	cfg.AWS = testAWS(t, srv.URL, clk)
	c, err := NewCloudWatchConfig(testGroup, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cwEvents makes n events spread over streams, one per second from t0,
// with the record id in the bytes field.
func cwEvents(streams, n int, t0 time.Time, firstID int64) []awstest.Event {
	out := make([]awstest.Event, n)
	for i := range out {
		ts := t0.Add(time.Duration(i) * time.Second)
		s := i % streams
		out[i] = awstest.Event{Stream: fmt.Sprintf("eni-%017x-all", s), Timestamp: ts.UnixMilli(),
			Message: awstest.Record(testAcct, s, firstID+int64(i), ts)}
	}
	return out
}

// checkOnce asserts that the emitted records are exactly ids first..last.
func checkOnce(t *testing.T, col *collector, first, last int64) {
	t.Helper()
	got := idsOf(t, col.records())
	if len(got) != int(last-first+1) {
		t.Fatalf("%d records, want %d (ids %d..%d)", len(got), last-first+1, first, last)
	}
	for i, id := range got {
		if id != first+int64(i) {
			t.Fatalf("record %d is id %d, want %d: lost or doubled", i, id, first+int64(i))
		}
	}
}

// TestCloudWatchBackfill: 150 streams, small pages, empty pages with a
// nextToken, a throttling burst; every event once, per-stream provenance.
func TestCloudWatchBackfill(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(2 * time.Hour))
	srv := cwFixture(t, clk)
	srv.Put(testGroup, cwEvents(150, 3000, t0, 1)...)
	srv.PageSize = 250
	srv.EmptyPages = 3
	srv.Throttle(6)
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: t0, Until: t0.Add(time.Hour)})
	var waiting []string
	clk.onSleep = func(time.Duration) {
		if st := c.Status(); st.State == StateWaiting {
			waiting = append(waiting, st.Reason)
		}
	}
	col := newCollector()
	start := clk.Now()
	if err := c.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, col, 1, 3000)
	if len(c.seen) != 0 {
		t.Errorf("a backfill without follow remembered %d event ids", len(c.seen))
	}
	st := c.Status()
	if st.State != StateDone || st.Objects != 150 || st.ObjectsDone != 150 {
		t.Errorf("status %s, %d/%d streams; want done 150/150", st.State, st.ObjectsDone, st.Objects)
	}
	// A loaded machine can add a transport-level retry (a keep-alive
	// connection closed under the client); it is counted, and must not
	// double anything (checkOnce above).
	extra := int(st.Retries) - 6
	if st.Throttles != 6 || extra < 0 || extra > 2 {
		t.Errorf("throttles %d retries %d, want 6 and 6 (plus at most 2 transport retries)", st.Throttles, st.Retries)
	}
	if len(waiting) < 6 || !strings.Contains(waiting[0], "throttled") {
		t.Errorf("states while backing off: %q; want 6 waits shown as throttled", waiting)
	}
	pages := srv.Calls("FilterLogEvents")
	if got, want := pages+srv.Calls("DescribeLogStreams"), 3+3000/250+1+6+extra; got != want {
		t.Errorf("%d calls, want %d (3 empty pages, 12 full ones, 1 describe, 6 throttled)", got, want)
	}
	if uint64(pages+srv.Calls("DescribeLogStreams")) != st.Calls {
		t.Errorf("status counts %d calls, server saw %d", st.Calls, pages+srv.Calls("DescribeLogStreams"))
	}
	// The quota: successive FilterLogEvents calls are 200 ms apart or more.
	if el := clk.Now().Sub(start); el < time.Duration(pages-1)*200*time.Millisecond {
		t.Errorf("%d calls in %s of clock: faster than 5/s", pages, el)
	}
	// Per-stream provenance: line numbers run on within each stream.
	next := map[string]int64{}
	for _, b := range col.batches {
		if b.EOF {
			continue
		}
		if b.Line != next[b.Object]+1 {
			t.Fatalf("%s: batch at line %d, want %d", b.Object, b.Line, next[b.Object]+1)
		}
		next[b.Object] += int64(strings.Count(string(b.Data), "\n"))
		if b.Format != nil {
			t.Fatalf("batch format %v, want none: the index infers it", b.Format)
		}
	}
	if col.eof["eni-00000000000000000-all"] != 1 {
		t.Errorf("no EOF for a stream at the end of the backfill")
	}
	// The shared parser reads every line with the format the index infers.
	ix := model.NewIndex(0)
	for _, b := range col.batches {
		if res := ix.Ingest(&b); res.Bad > 0 {
			t.Fatalf("%d bad lines", res.Bad)
		}
	}
}

func TestCloudWatchRepeatedToken(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(time.Hour))
	srv := cwFixture(t, clk)
	srv.Put(testGroup, cwEvents(3, 100, t0, 1)...)
	srv.PageSize = 10
	srv.RepeatToken = true
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: t0})
	col := newCollector()
	if err := c.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls("FilterLogEvents"); n != 2 {
		t.Errorf("%d FilterLogEvents calls, want 2 (first page; its token, which comes back)", n)
	}
	if st := c.Status(); len(st.Errors) == 0 || !strings.Contains(st.Errors[len(st.Errors)-1], "same nextToken") {
		t.Errorf("errors %q: want the loop guard reported", st.Errors)
	}
	checkOnce(t, col, 1, 10)
}

// TestCloudWatchFollowLate: polls overlap, late events (old timestamps,
// ingested now) are picked up, nothing is doubled.
func TestCloudWatchFollowLate(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(10 * time.Minute))
	srv := cwFixture(t, clk)
	srv.Put(testGroup, cwEvents(4, 600, t0, 1)...) // 10:00 to 10:10
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	next := int64(601)
	clk.onSleep = func(d time.Duration) {
		if d != 10*time.Second {
			return
		}
		polls++
		now := clk.Now()
		// on time: 5 events stamped in the last 10 s
		srv.Put(testGroup, cwEvents(4, 5, now.Add(-9*time.Second), next)...)
		next += 5
		// late: 3 events stamped 6 minutes ago, ingested now
		late := cwEvents(4, 3, now.Add(-6*time.Minute), next)
		for i := range late {
			late[i].IngestionTime = now.UnixMilli()
		}
		srv.Put(testGroup, late...)
		next += 3
		if polls == 20 {
			cancel()
		}
	}
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: t0, Follow: true})
	col := newCollector()
	if err := c.Run(ctx, col.emit); err != nil {
		t.Fatal(err)
	}
	// The events put at the last poll were never queried.
	checkOnce(t, col, 1, next-1-8)
	if c.Duplicates() == 0 {
		t.Error("no duplicates dropped: the polls did not overlap")
	}
	// Only the look-back window (15 min + 1) of ids is remembered: at most
	// 960 s of the 1 event/s backfill plus what the polls added.
	if n := len(c.seen); n > 960+20*8 {
		t.Errorf("%d event ids remembered", n)
	}
	t.Logf("%d polls, %d duplicates dropped, %d FilterLogEvents calls", polls, c.Duplicates(), srv.Calls("FilterLogEvents"))
}

func TestCloudWatchAccessDenied(t *testing.T) {
	clk := newFakeClock(time.Now())
	srv := cwFixture(t, clk)
	srv.CreateGroup(testGroup)
	srv.Deny("FilterLogEvents")
	srv.Deny("DescribeLogStreams")
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: clk.Now().Add(-time.Hour)})
	err := c.Run(context.Background(), newCollector().emit)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "logs:FilterLogEvents") {
		t.Fatalf("err = %v; want access denied naming logs:FilterLogEvents", err)
	}
	st := c.Status()
	if st.State != StateFailed || !strings.Contains(strings.Join(st.Errors, "\n"), "logs:DescribeLogStreams") {
		t.Errorf("status %s, errors %q", st.State, st.Errors)
	}
}

func TestCloudWatchMissingGroup(t *testing.T) {
	clk := newFakeClock(time.Now())
	srv := cwFixture(t, clk)
	c := newTestCW(t, srv, clk, CloudWatchConfig{})
	if err := c.Run(context.Background(), newCollector().emit); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestCloudWatchPushdown: the filter pattern and stream prefix go to the
// service.
func TestCloudWatchPushdown(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(time.Hour))
	srv := cwFixture(t, clk)
	evs := cwEvents(3, 30, t0, 1)
	evs[7].Message = strings.Replace(evs[7].Message, "ACCEPT", "REJECT", 1)
	srv.Put(testGroup, evs...)
	pattern := "[version, account, eni, src, dst, sport, dport, proto, packets, bytes, start, end, action = REJECT, status]"
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: t0, FilterPattern: pattern, StreamPrefix: "eni-0000000000000000"})
	col := newCollector()
	if err := c.Run(context.Background(), col.emit); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, col, 8, 8)
	req := srv.Requests()[0]
	if req["filterPattern"] != pattern || req["logStreamNamePrefix"] != "eni-0000000000000000" {
		t.Errorf("request %v: pattern or prefix not pushed down", req)
	}
}

// TestCloudWatchLiveTail: sessions over the event stream, a sampled update
// surfaced, the session renewed after SessionTimeoutException, and the gap
// filled by FilterLogEvents without doubles.
func TestCloudWatchLiveTail(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(5 * time.Minute))
	srv := cwFixture(t, clk)
	back := cwEvents(2, 100, t0, 1) // backfill: ids 1..100
	srv.Put(testGroup, back...)
	live := cwEvents(2, 10, t0.Add(5*time.Minute), 101) // ids 101..110
	// Session 1: two updates, the second sampled; it also repeats an event
	// from the backfill (live tail overlaps), which must not be doubled.
	srv.AddLiveSession(
		awstest.LiveUpdate{Events: append([]awstest.Event{back[99]}, live[0:3]...)},
		awstest.LiveUpdate{Events: live[3:5], Sampled: true},
	)
	// 101..107 reach the group too, ingested after the backfill; 106..107
	// reach no session: the catch-up between sessions must find them.
	late := append([]awstest.Event(nil), live[0:7]...)
	for i := range late {
		late[i].IngestionTime = t0.Add(5*time.Minute + 30*time.Second).UnixMilli()
	}
	srv.Put(testGroup, late...)
	srv.OnLiveSession = func(n int) {
		if n == 1 {
			clk.Sleep(context.Background(), time.Minute)
		}
	}
	srv.AddLiveSession(awstest.LiveUpdate{Events: live[7:10]})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newTestCW(t, srv, clk, CloudWatchConfig{Since: t0, Follow: true, LiveTail: true})
	col := newCollector()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, col.emit) }()
	// Wait for the third session (the open one) and every record.
	for deadline := time.Now().Add(20 * time.Second); ; {
		if srv.Sessions() >= 3 && len(col.records()) >= 110 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions %d, records %d", srv.Sessions(), len(col.records()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkOnce(t, col, 1, 110)
	if c.SampledUpdates() != 1 {
		t.Errorf("sampled updates %d, want 1", c.SampledUpdates())
	}
	if c.Duplicates() == 0 {
		t.Error("no duplicates dropped")
	}
}
