package source

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The remote engines (Athena, CloudWatch Logs Insights) take the text of a
// question (rendered by the filter package) and return rows. They share
// the answer and progress types, the polling back-off and the cost
// estimates here; athena.go and insights.go hold the engines.

// RemoteResult is a remote engine's answer: column names and rows of text
// in which NULL (or a field a row lacks) reads "-", the flow-log spelling
// of an absent value.
type RemoteResult struct {
	Engine  string // "athena" or "insights"
	ID      string // the query execution id (Athena) or query id (Insights)
	Columns []string
	Rows    [][]string
	// Scanned is the bytes the engine read; Cost its estimated price (USD).
	Scanned int64
	Cost    float64
	// Reused says Athena answered from a previous identical query's
	// results (no data scanned, nothing charged).
	Reused bool
	// Matched and Records are Insights' recordsMatched and recordsScanned.
	Matched, Records int64
	Elapsed          time.Duration
	// Throttled counts calls that were throttled and retried.
	Throttled int
}

// Progress is a running query's state, reported after every poll.
type Progress struct {
	Engine  string
	ID      string // "" until the query has started
	State   string // the engine's own word: QUEUED, RUNNING, Scheduled, Running, ...
	Scanned int64  // bytes read so far
	Cost    float64
	Matched int64 // Insights: records matched so far
	Rows    int   // result rows fetched so far
	Elapsed time.Duration
	// Note says what the engine is waiting for (a throttled call's retry).
	Note string
}

// String is a one-line summary for a status line.
func (p Progress) String() string {
	s := p.Engine + " " + p.State
	if p.ID == "" {
		s = p.Engine + " starting"
	}
	s += fmt.Sprintf(", %s scanned (~%s), %s", FormatBytes(p.Scanned), FormatCost(p.Cost), p.Elapsed.Round(100*time.Millisecond))
	if p.Matched > 0 {
		s += fmt.Sprintf(", %d records matched", p.Matched)
	}
	if p.Rows > 0 {
		s += fmt.Sprintf(", %d rows fetched", p.Rows)
	}
	if p.Note != "" {
		s += "; " + p.Note
	}
	return s
}

// Errors a remote query ends with; QueryError wraps them with the
// engine's reason.
var (
	// ErrQueryFailed: the engine ran the query and it failed (bad SQL, a
	// missing table, permissions on the data, a workgroup limit).
	ErrQueryFailed = errors.New("query failed")
	// ErrQueryCancelled: the query was cancelled, by us (interrupt) or
	// by someone else.
	ErrQueryCancelled = errors.New("query cancelled")
	// ErrScanLimit: the query read more than the --max-scan budget and
	// was stopped.
	ErrScanLimit = errors.New("scan limit reached")
)

// QueryError is a remote query that did not succeed, with the engine's
// reason and what it had scanned (and cost) by then.
type QueryError struct {
	Engine  string
	ID      string
	State   string // the final state as the engine named it
	Reason  string // the engine's StateChangeReason, or ours
	Scanned int64
	Cost    float64
	Kind    error // ErrQueryFailed, ErrQueryCancelled or ErrScanLimit
}

// Error gives one line a user can act on.
func (e *QueryError) Error() string {
	s := fmt.Sprintf("%s query %s %s", e.Engine, e.ID, e.State)
	if e.ID == "" {
		s = fmt.Sprintf("%s query %s", e.Engine, e.State)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Scanned > 0 || e.Cost > 0 {
		s += fmt.Sprintf(" (%s scanned, ~%s)", FormatBytes(e.Scanned), FormatCost(e.Cost))
	}
	return s
}

// Unwrap returns the kind.
func (e *QueryError) Unwrap() error { return e.Kind }

// poller spaces the polls of a running query: the first within half a
// second, then growing by half each time up to max.
type poller struct {
	next, max time.Duration
}

func newPoller(first, max time.Duration) *poller {
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	if max <= 0 {
		max = 3 * time.Second
	}
	return &poller{next: first, max: max}
}

// wait returns the delay before the next poll and grows it.
func (p *poller) wait() time.Duration {
	d := p.next
	p.next = min(p.next*3/2, p.max)
	return d
}

// FormatBytes writes a byte count for people: 0 B, 512 B, 1.5 KB, 12 MB,
// 3.4 GB, 1.2 TB (powers of 1000, as the engines bill).
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n), 0
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " " + units[i]
}

// FormatCost writes an estimated price in US dollars with enough digits to
// tell small queries apart ($0.00005, $0.012, $4.20).
func FormatCost(usd float64) string {
	switch {
	case usd == 0:
		return "$0"
	case usd < 0.01:
		// two significant digits, never in exponent form
		digits := int(-math.Floor(math.Log10(usd))) + 1
		s := strconv.FormatFloat(usd, 'f', digits, 64)
		return "$" + strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return "$" + strconv.FormatFloat(usd, 'f', 2, 64)
}

// Default prices (USD), as flowlogs-reference.md §5 gives them for most
// regions: estimates, not quotes.
const (
	AthenaPricePerTB   = 5.0   // per TB scanned, at least 10 MB per query
	InsightsPricePerGB = 0.005 // per GB scanned
	athenaMinBilled    = 10_000_000
)

// athenaCost estimates the price of scanning n bytes: Athena rounds up to
// the megabyte and charges at least 10 MB per query that scanned anything
// (failed queries are not charged; the caller passes 0 for them).
func athenaCost(n int64, perTB float64) float64 {
	if n <= 0 {
		return 0
	}
	if perTB <= 0 {
		perTB = AthenaPricePerTB
	}
	billed := max((n+999_999)/1_000_000*1_000_000, athenaMinBilled)
	return float64(billed) / 1e12 * perTB
}

// insightsCost estimates the price of scanning n bytes with Insights.
func insightsCost(n int64, perGB float64) float64 {
	if perGB <= 0 {
		perGB = InsightsPricePerGB
	}
	return float64(n) / 1e9 * perGB
}

// stopTimeout bounds the call that stops a query after the caller's
// context ended (it runs on a fresh context).
const stopTimeout = 10 * time.Second

// engineCaller is an awsCaller whose retry back-off is visible: while a
// throttled call waits, progress is reported with the retry as its note.
func engineCaller(cfg *AWSConfig, box *StatusBox, on string, onWait func(note string)) *awsCaller {
	c := *cfg
	sleep := cfg.Sleep
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		if st := box.Status(); st.State == StateWaiting && onWait != nil {
			onWait(st.Reason)
		}
		if sleep != nil {
			return sleep(ctx, d)
		}
		return sleepCtx(ctx, d)
	}
	return newAWSCaller(&c, box, on)
}
