package source

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// funcSource is a Source made of a function, for mux tests.
type funcSource struct {
	StatusBox
	name string
	run  func(ctx context.Context, emit func(model.Batch) error) error
}

func (f *funcSource) Name() string { return f.name }
func (f *funcSource) Run(ctx context.Context, emit func(model.Batch) error) error {
	return f.run(ctx, emit)
}

// rowsBySource counts the rows of a snapshot per source name.
func rowsBySource(s *model.Snapshot) map[string]int {
	out := map[string]int{}
	for _, sg := range s.Segs {
		runs := sg.Runs()
		for i, r := range runs {
			end := uint32(sg.N)
			if i+1 < len(runs) {
				end = runs[i+1].Row
			}
			out[s.Sources[r.Source].Name] += int(end - r.Row)
		}
	}
	return out
}

func TestMuxManySources(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeFile(t, a, flowLines(0, 1000))
	writeFile(t, b, flowLines(1000, 1500)+"garbage line\n")
	clock := time.Unix(1717236000, 0)
	srcs := []Source{
		newFileT(t, a, DefaultOptions()),
		newFileT(t, b, DefaultOptions()),
		NewStdin(strings.NewReader(flowLines(2000, 2100)), DefaultOptions()),
		NewDemo(Options{Seed: 7, Rate: 50, Now: func() time.Time { return clock }}),
	}
	ix := model.NewIndex(0)
	m := NewMux(ix, srcs, MuxOptions{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
	default:
		t.Fatal("Done not closed after Run")
	}
	snap := ix.Snapshot()
	rows := rowsBySource(snap)
	if rows[a] != 1000 || rows[b] != 500 || rows["stdin"] != 100 || rows["demo"] != 6001 {
		t.Errorf("rows by source %v", rows)
	}
	for _, st := range m.Statuses() {
		if st.State != StateDone {
			t.Errorf("%s: %s", st.Name, st.State)
		}
	}
	if st := m.Statuses()[1]; st.Records != 500 || st.Bad != 1 {
		t.Errorf("%s: %d records, %d bad", st.Name, st.Records, st.Bad)
	}
	select {
	case u := <-m.Updates():
		if u.Gen != snap.Gen {
			t.Errorf("update gen %d, latest %d", u.Gen, snap.Gen)
		}
	default:
		t.Error("no update")
	}
	stats := m.Stats()
	if stats.Records != uint64(snap.Rows()) || stats.Bad != 1 || stats.Publishes == 0 || stats.QueueCap != 16 {
		t.Errorf("stats %+v", stats)
	}
}

func TestMuxFailingSources(t *testing.T) {
	boom := errors.New("boom")
	failing := &funcSource{name: "failing", run: func(ctx context.Context, emit func(model.Batch) error) error {
		if err := emit(model.Batch{Data: []byte(flowLines(0, 3))}); err != nil {
			return err
		}
		return boom
	}}
	panicking := &funcSource{name: "panicking", run: func(context.Context, func(model.Batch) error) error {
		panic("oops")
	}}
	faulty := &funcSource{name: "faulty", run: func(ctx context.Context, emit func(model.Batch) error) error {
		if err := emit(model.Batch{Object: "obj", Data: []byte(flowLines(0, 2))}); err != nil {
			return err
		}
		return Report(ctx, Fault{Object: "obj", Line: 3, Err: errors.New("stream broke")})
	}}
	path := filepath.Join(t.TempDir(), "ok.log")
	writeFile(t, path, flowLines(0, 50))
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{failing, panicking, faulty, newFileT(t, path, DefaultOptions())}, MuxOptions{})
	err := m.Run(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "failing: boom") || !strings.Contains(err.Error(), "panicking: panic: oops") {
		t.Fatalf("error %v", err)
	}
	sts := m.Statuses()
	if sts[2].Records != 2 || sts[2].Bad != 1 {
		t.Errorf("faulty: %d records, %d bad", sts[2].Records, sts[2].Bad)
	}
	if sts[0].State != StateFailed || sts[0].Reason != "boom" || sts[1].State != StateFailed || sts[3].State != StateDone {
		t.Errorf("statuses %v %v %v %v", sts[0].State, sts[1].State, sts[2].State, sts[3].State)
	}
	rows := rowsBySource(ix.Snapshot())
	if rows["failing"] != 3 || rows["faulty"] != 2 || rows[path] != 50 {
		t.Errorf("rows %v", rows)
	}
	for _, ss := range ix.Snapshot().Sources {
		if ss.Name == "faulty" && (ss.Bad[model.ReasonSource] != 1 || ss.Samples[0].Line != 3 || ss.Samples[0].Object != "obj") {
			t.Errorf("fault not recorded: %+v", ss)
		}
	}
}

func TestMuxBackPressure(t *testing.T) {
	// A slow consumer holds the sources back; nothing is dropped and no
	// more than the queue (plus the batch in ingest's hands and one in
	// each emit) is ever in flight.
	var emitted, ingested, maxGap atomic.Int64
	const n = 200
	src := &funcSource{name: "fast", run: func(ctx context.Context, emit func(model.Batch) error) error {
		for i := 0; i < n; i++ {
			emitted.Add(1)
			if gap := emitted.Load() - ingested.Load(); gap > maxGap.Load() {
				maxGap.Store(gap)
			}
			if err := emit(model.Batch{Data: []byte(flowLine(i))}); err != nil {
				return err
			}
		}
		return nil
	}}
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{src}, MuxOptions{Queue: 4})
	m.afterIngest = func() {
		ingested.Add(1)
		time.Sleep(200 * time.Microsecond)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	bound := int64(4 + 2)
	if m.pipe != nil {
		bound += int64(m.pipe.Capacity()) // batches being parsed in parallel
	}
	if g := maxGap.Load(); g > bound {
		t.Errorf("%d batches in flight with a queue of 4 (bound %d)", g, bound)
	}
	if st := m.Stats(); st.Records != n || st.Blocked == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMuxUpdatesCoalesce(t *testing.T) {
	// Nobody reads Updates while many snapshots are published: the slot
	// holds the newest one only.
	src := &funcSource{name: "trickle", run: func(ctx context.Context, emit func(model.Batch) error) error {
		for i := 0; i < 20; i++ {
			if err := emit(model.Batch{Data: []byte(flowLine(i))}); err != nil {
				return err
			}
			time.Sleep(3 * time.Millisecond)
		}
		return nil
	}}
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{src}, MuxOptions{PublishEvery: time.Millisecond})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.Stats().Publishes < 2 {
		t.Fatalf("only %d publications", m.Stats().Publishes)
	}
	if len(m.Updates()) != 1 {
		t.Fatalf("%d snapshots waiting", len(m.Updates()))
	}
	if u := <-m.Updates(); u.Rows() != 20 || u.Gen != ix.Snapshot().Gen {
		t.Errorf("update has %d rows, gen %d of %d", u.Rows(), u.Gen, ix.Snapshot().Gen)
	}
}

func TestMuxPublishRate(t *testing.T) {
	// While data flows, publications are spaced by PublishEvery.
	stop := make(chan struct{})
	src := &funcSource{name: "flood", run: func(ctx context.Context, emit func(model.Batch) error) error {
		data := []byte(flowLines(0, 200))
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			if err := emit(model.Batch{Data: append([]byte(nil), data...)}); err != nil {
				return err
			}
		}
	}}
	ix := model.NewIndex(64 << 20)
	m := NewMux(ix, []Source{src}, MuxOptions{PublishEvery: 50 * time.Millisecond})
	done := make(chan error)
	start := time.Now()
	go func() { done <- m.Run(context.Background()) }()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	pubs := m.Stats().Publishes
	if max := uint64(elapsed/(50*time.Millisecond)) + 2; pubs > max || pubs < 2 {
		t.Errorf("%d publications in %s", pubs, elapsed)
	}
}

func TestMuxFollowLatency(t *testing.T) {
	// A line appended to a followed file shows up in a published snapshot
	// promptly (the budget is about 100 ms; the deadline here is generous).
	path := filepath.Join(t.TempDir(), "live.log")
	writeFile(t, path, flowLines(0, 10))
	src := newFileT(t, path, followOpts(false))
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{src}, MuxOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	waitRows := func(n int) time.Duration {
		t0 := time.Now()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case s := <-m.Updates():
				if s.Rows() >= n {
					return time.Since(t0)
				}
			case <-deadline:
				t.Fatalf("no snapshot with %d rows", n)
			}
		}
	}
	waitRows(10)
	var worst time.Duration
	for i := 10; i < 20; i++ {
		appendFile(t, path, flowLine(i))
		if d := waitRows(i + 1); d > worst {
			worst = d
		}
	}
	t.Logf("worst append-to-snapshot latency over 10 lines: %s", worst)
	select {
	case <-m.Done():
		t.Fatal("Done closed while a source follows")
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-m.Done()
	if st := m.Statuses()[0]; st.State != StateDone {
		t.Errorf("after cancel: %s", st.State)
	}
}
