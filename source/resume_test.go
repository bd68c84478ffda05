package source

import (
	"context"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

// positionsUpTo returns the positions the first k batches carried, one
// per object (merged as --state merges them).
func positionsUpTo(t *testing.T, bs []model.Batch, k int) []Position {
	t.Helper()
	by := map[string]Position{}
	var order []string
	for _, b := range bs[:k] {
		p, ok := b.Cursor.(*Position)
		if !ok {
			t.Fatalf("batch of %s at line %d has no position", b.Object, b.Line)
		}
		old, seen := by[p.Key()]
		if !seen {
			order = append(order, p.Key())
		}
		by[p.Key()] = old.Merge(*p, (16 * time.Minute).Milliseconds())
	}
	var ps []Position
	for _, k := range order {
		ps = append(ps, by[k])
	}
	return ps
}

// idsOfBatches lists the record ids the batches held.
func idsOfBatches(t *testing.T, bs []model.Batch) []int64 {
	col := newCollector()
	for _, b := range bs {
		col.emit(b)
	}
	return idsOf(t, col.records())
}

// checkUnion asserts that a and b together are ids 1..n, each once.
func checkUnion(t *testing.T, a, b []int64, n int64) {
	t.Helper()
	seen := map[int64]int{}
	for _, id := range append(append([]int64(nil), a...), b...) {
		seen[id]++
	}
	for id := int64(1); id <= n; id++ {
		if seen[id] != 1 {
			t.Fatalf("id %d read %d times (%d before the restart, %d after)", id, seen[id], len(a), len(b))
		}
	}
	if len(seen) != int(n) {
		t.Fatalf("%d distinct ids, want %d", len(seen), n)
	}
}

// TestS3ResumesAfterItsPositions: a run given the positions of the
// batches a first run had emitted up to some point reads the rest of
// the objects, an object read in part included, and nothing twice.
func TestS3ResumesAfterItsPositions(t *testing.T) {
	srv := s3Fixture(t)
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	var id int64
	for w := 0; w < 4; w++ {
		var lines []string
		for range 3000 {
			id++
			lines = append(lines, awstest.Record(testAcct, 1, id, start))
		}
		key := awstest.Layout{}.Key(testAcct, testRegion, "fl-0aaa", start.Add(time.Duration(w)*5*time.Minute), ".log.gz")
		if err := srv.Put("flows", key, awstest.TextObject(lines)); err != nil {
			t.Fatal(err)
		}
	}
	clk := newFakeClock(start.Add(time.Hour))
	cfg := S3Config{AWS: testAWS(t, srv.URL, clk), Since: start, BatchBytes: 16384, Concurrency: 1}
	first := newCollector()
	if err := newTestS3(t, srv, "s3://flows/", cfg).Run(context.Background(), first.emit); err != nil {
		t.Fatal(err)
	}
	k := len(first.batches) * 3 / 5 // mid-way through the third object
	second := newCollector()
	s := newTestS3(t, srv, "s3://flows/", cfg)
	s.Resume(positionsUpTo(t, first.batches, k))
	if err := s.Run(context.Background(), second.emit); err != nil {
		t.Fatal(err)
	}
	checkUnion(t, idsOfBatches(t, first.batches[:k]), idsOf(t, second.records()), id)
}

// TestCloudWatchResumesAfterItsPositions: the same for a log group: the
// restarted query starts the look-back window before the newest event
// read and leaves out the events read already, by id.
func TestCloudWatchResumesAfterItsPositions(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	clk := newFakeClock(t0.Add(2 * time.Hour))
	srv := cwFixture(t, clk)
	srv.Put(testGroup, cwEvents(20, 3000, t0, 1)...)
	srv.PageSize = 250
	cfg := CloudWatchConfig{Since: t0, Until: t0.Add(time.Hour)}
	first := newCollector()
	if err := newTestCW(t, srv, clk, cfg).Run(context.Background(), first.emit); err != nil {
		t.Fatal(err)
	}
	var data []model.Batch
	for _, b := range first.batches {
		if !b.EOF {
			data = append(data, b)
		}
	}
	k := len(data) / 2
	second := newCollector()
	c := newTestCW(t, srv, clk, cfg)
	c.Resume(positionsUpTo(t, data, k))
	if err := c.Run(context.Background(), second.emit); err != nil {
		t.Fatal(err)
	}
	checkUnion(t, idsOfBatches(t, data[:k]), idsOf(t, second.records()), 3000)
	// Line numbers run on per stream across the restart.
	last := map[string]int64{}
	for _, b := range data[:k] {
		p := b.Cursor.(*Position)
		last[b.Object] = p.Line
	}
	for _, b := range second.batches {
		if b.EOF || last[b.Object] == 0 {
			continue
		}
		if b.Line != last[b.Object]+1 {
			t.Fatalf("%s: resumed at line %d, want %d", b.Object, b.Line, last[b.Object]+1)
		}
		delete(last, b.Object)
	}
}
