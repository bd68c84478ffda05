package tui

import (
	"sort"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// BenchmarkFindingsLive ingests 20,000 records every 100 ms tick (200k
// records a second, the snapshot pace) into a 10M-record index while the
// Findings view is on screen, and measures the UI goroutine's frames:
// each message's Update plus the View drawn after it (budget: 50 ms). The
// detections' incremental update runs as a command, off the UI goroutine;
// its time per tick is reported as engine-ms (under 100 ms: it keeps up).
func BenchmarkFindingsLive(b *testing.B) {
	ix := model.NewIndex(8 << 30)
	gen := model.NewSynth(41)
	buf := make([]byte, 0, 120<<20)
	for done := 0; done < 10_000_000; done += 1_000_000 {
		buf = gen.Append(buf[:0], 1_000_000)
		ix.Ingest(&model.Batch{Source: "bench", Data: buf})
	}
	snap := ix.Publish()
	m, err := newRootModel(Config{Index: ix, Feed: newIdleFeed(), Follow: true})
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	for _, msg := range drain(m.switchTo(viewFindings), nil) {
		m.Update(msg)
	}
	var engine []time.Duration
	run := func(cmd tea.Cmd) []tea.Msg {
		out := drain(cmd, nil)
		for _, msg := range out {
			if f, ok := msg.(findingsMsg); ok {
				engine = append(engine, f.took)
			}
		}
		return out
	}
	// the first pass over the 10M records, before the clock starts
	pending := run(func() tea.Msg { return snapshotMsg{snap: snap, done: true} })
	for len(pending) > 0 {
		_, cmd := m.Update(pending[0])
		pending = append(pending[1:], run(cmd)...)
	}
	first := engine[len(engine)-1]
	engine = engine[:0]
	var frames []time.Duration
	frame := func(msg tea.Msg) tea.Cmd {
		start := time.Now()
		_, cmd := m.Update(msg)
		_ = m.View()
		frames = append(frames, time.Since(start))
		return cmd
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = gen.Append(buf[:0], 20_000)
		ix.Ingest(&model.Batch{Source: "bench", Data: buf})
		s := ix.Publish()
		pending := run(frame(snapshotMsg{snap: s, done: true}))
		for len(pending) > 0 {
			msg := pending[0]
			pending = append(pending[1:], run(frame(msg))...)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(first.Milliseconds()), "first-pass-ms")
	for _, d := range [][]time.Duration{frames, engine} {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	}
	if len(frames) > 0 {
		b.ReportMetric(float64(frames[len(frames)-1].Microseconds())/1000, "max-frame-ms")
		b.ReportMetric(float64(frames[len(frames)*99/100].Microseconds())/1000, "p99-frame-ms")
	}
	if len(engine) > 0 {
		b.ReportMetric(float64(engine[len(engine)/2].Microseconds())/1000, "engine-ms")
		b.ReportMetric(float64(engine[len(engine)-1].Microseconds())/1000, "max-engine-ms")
	}
	if got := m.finds.res.Rows; got != ix.Snapshot().End {
		b.Fatalf("the findings read %d of %d records", got, ix.Snapshot().End)
	}
}
