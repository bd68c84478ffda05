package source

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/source/internal/awstest"
)

type insightsFixture struct {
	fake *awstest.CloudWatch
	clk  *fakeClock
	url  string
	t0   time.Time
}

// newInsightsFixture puts n default-format events, one a minute, into the
// group "flows" (streams eni-0..3).
func newInsightsFixture(t *testing.T, n int) *insightsFixture {
	t.Helper()
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(24 * time.Hour))
	fake := awstest.NewCloudWatchHandler()
	fake.Now = clk.Now
	var evs []awstest.Event
	for i := range n {
		ts := t0.Add(time.Duration(i) * time.Minute)
		evs = append(evs, awstest.Event{Stream: fmt.Sprintf("eni-%d-all", i%4), Timestamp: ts.UnixMilli(),
			Message: awstest.Record("111122223333", i%4, int64(i+1), ts)})
	}
	fake.Put("flows", evs...)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &insightsFixture{fake: fake, clk: clk, url: srv.URL, t0: t0}
}

func (f *insightsFixture) insights(t *testing.T, mod func(c *InsightsConfig)) *Insights {
	t.Helper()
	cfg := InsightsConfig{AWS: testAWS(t, f.url, f.clk), Groups: []string{"flows"}}
	if mod != nil {
		mod(&cfg)
	}
	in, err := NewInsights(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (f *insightsFixture) req(q string) InsightsRequest {
	return InsightsRequest{Query: q, Start: f.t0, End: f.t0.Add(24 * time.Hour)}
}

func TestInsightsRunStats(t *testing.T) {
	f := newInsightsFixture(t, 100)
	f.fake.InsightsQueued, f.fake.InsightsRunning = 1, 3
	var log progressLog
	q := "fields @timestamp, @message\n| filter dstPort = 443 and srcPort < 1050\n| stats count(*) as flows, sum(bytes) as sumBytes by interfaceId\n| sort sumBytes desc\n| limit 10000"
	res, err := f.insights(t, nil).Run(context.Background(), f.req(q), log.add)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log.states(), " "), "starting Scheduled Running Complete"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}
	if strings.Join(res.Columns, ",") != "interfaceId,flows,sumBytes" {
		t.Fatalf("columns %v", res.Columns)
	}
	// srcport = 1024 + id: ids 1..25 match, 25 records over 4 interfaces
	total := 0
	for _, r := range res.Rows {
		var n int
		fmt.Sscan(r[1], &n)
		total += n
	}
	if len(res.Rows) != 4 || total != 25 {
		t.Errorf("rows %v", res.Rows)
	}
	if res.Matched != 25 || res.Records != 100 || res.Scanned == 0 || res.Cost == 0 {
		t.Errorf("matched %d of %d, scanned %d, cost %g", res.Matched, res.Records, res.Scanned, res.Cost)
	}
	in := f.fake.InsightsQueries()
	if len(in) != 1 || in[0] != q {
		t.Errorf("queries sent %q", in)
	}
}

func TestInsightsRecordsAndLimit(t *testing.T) {
	f := newInsightsFixture(t, 30)
	res, err := f.insights(t, nil).Run(context.Background(), InsightsRequest{
		Query: "fields @timestamp, @message\n| sort @timestamp asc\n| limit 7", Start: f.t0.Add(5 * time.Minute), End: f.t0.Add(20 * time.Minute), Limit: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 7 || strings.Join(res.Columns, ",") != "@timestamp,@message" {
		t.Fatalf("columns %v, %d rows", res.Columns, len(res.Rows))
	}
	if !strings.HasSuffix(res.Rows[0][1], "ACCEPT OK") || !strings.Contains(res.Rows[0][1], fmt.Sprint(f.t0.Add(5*time.Minute).Unix())) {
		t.Errorf("first row %v: want the record at the range start", res.Rows[0])
	}
}

func TestInsightsFailuresAndCancel(t *testing.T) {
	t.Run("malformed", func(t *testing.T) {
		f := newInsightsFixture(t, 3)
		_, err := f.insights(t, nil).Run(context.Background(), f.req("fields @message | frobnicate"), nil)
		if err == nil || !strings.Contains(err.Error(), "MalformedQueryException") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("missing group", func(t *testing.T) {
		f := newInsightsFixture(t, 3)
		_, err := f.insights(t, func(c *InsightsConfig) { c.Groups = []string{"nope"} }).Run(context.Background(), f.req("fields @message"), nil)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("too many groups", func(t *testing.T) {
		groups := make([]string, 51)
		for i := range groups {
			groups[i] = fmt.Sprint("g", i)
		}
		if _, err := NewInsights(InsightsConfig{Groups: groups}); err == nil || !strings.Contains(err.Error(), "at most 50") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancel sends StopQuery", func(t *testing.T) {
		f := newInsightsFixture(t, 3)
		f.fake.InsightsRunning = 100
		ctx, cancel := context.WithCancel(context.Background())
		_, err := f.insights(t, nil).Run(ctx, f.req("fields @message"), func(p Progress) {
			if p.State == "Running" {
				cancel()
			}
		})
		if !errors.Is(err, ErrQueryCancelled) || !strings.Contains(err.Error(), "StopQuery sent") {
			t.Fatalf("err %v", err)
		}
		if st := f.fake.InsightsStatus(f.fake.LastInsightsQuery()); st != "Cancelled" {
			t.Errorf("status %s", st)
		}
	})
	t.Run("max scan", func(t *testing.T) {
		f := newInsightsFixture(t, 200)
		f.fake.InsightsRunning = 10
		_, err := f.insights(t, func(c *InsightsConfig) { c.MaxScan = 1000 }).Run(context.Background(), f.req("fields @message"), nil)
		if !errors.Is(err, ErrScanLimit) || !strings.Contains(err.Error(), "--max-scan 1.0 KB") {
			t.Fatalf("err %v", err)
		}
		if st := f.fake.InsightsStatus(f.fake.LastInsightsQuery()); st != "Cancelled" {
			t.Errorf("status %s", st)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		f := newInsightsFixture(t, 3)
		f.fake.Throttle(2)
		res, err := f.insights(t, nil).Run(context.Background(), f.req("fields @message | stats count(*) as n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Throttled != 2 || res.Rows[0][0] != "3" {
			t.Errorf("throttled %d rows %v", res.Throttled, res.Rows)
		}
	})
}
