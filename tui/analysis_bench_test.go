package tui

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// drain runs cmd and the commands it batches, synchronously, collecting
// their messages: what Bubble Tea would run in goroutines.
func drain(cmd tea.Cmd, out []tea.Msg) []tea.Msg {
	if cmd == nil {
		return out
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			out = drain(c, out)
		}
		return out
	}
	if msg != nil {
		out = append(out, msg)
	}
	return out
}

// BenchmarkRegroup measures a key or metric change on 10M records to the
// regrouped table (budget: 100 ms): the picker's choice goes in, the
// group-by runs as the command Bubble Tea would run, the result lands and
// a frame is drawn.
func BenchmarkRegroup(b *testing.B) {
	for _, c := range []struct {
		name        string
		key, metric string
	}{
		{"srcaddr/flows", "srcaddr", "flows"},
		{"dstaddr/bytes", "dstaddr", "bytes"},
		{"dstport/packets", "dstport", "packets"},
		{"interface-id/flows", "interface-id", "flows"},
		{"srcaddr24/bytes", "srcaddr/24", "bytes"},
		{"conversation/bytes", "conversation", "bytes"},
		{"srcaddr/reject-ratio", "srcaddr", "reject ratio"},
		{"srcaddr/dst-ports", "srcaddr", "dst ports"},
		{"dstaddr/peers", "dstaddr", "peers"},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := benchModel(b, 200, 60, "")
			drain(m.switchTo(viewGroups), nil)
			k, _ := indexOf(len(groupKeyChoices), func(i int) string { return groupKeyChoices[i].label }, c.key)
			mt, _ := indexOf(len(groupMetricChoices), func(i int) string { return groupMetricChoices[i].label }, c.metric)
			other := (k + 1) % len(groupKeyChoices)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m.groups.setKey(other) // a different question, so the next one is a change
				m.groups.ref.running = false
				b.StartTimer()
				cmd := m.groups.setKey(k)
				cmd = tea.Batch(cmd, m.groups.setMetric(mt))
				for _, msg := range drain(cmd, nil) {
					m.Update(msg)
				}
				if m.groups.res == nil || m.groups.stale || len(m.View()) == 0 {
					b.Fatal("no groups")
				}
			}
		})
	}
}

// BenchmarkChartRedraw measures drawing the chart from its series
// (budget: 5 ms): what a new series, a resize or a metric change costs
// on the UI goroutine.
func BenchmarkChartRedraw(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	win := chartWindow{from: 1717236000, to: 1717236000 + 3600, bucket: 60}
	var bkts []model.Bucket
	for t := win.from; t < win.to; t += win.bucket {
		bk := model.Bucket{Start: t}
		bk.ByAction[model.ActionAccept] = model.Rollup{Flows: r.Uint64N(1e6), Packets: r.Uint64N(1e8), Bytes: r.Uint64N(1e11)}
		bk.ByAction[model.ActionReject] = model.Rollup{Flows: r.Uint64N(1e4), Packets: r.Uint64N(1e5), Bytes: r.Uint64N(1e7)}
		bkts = append(bkts, bk)
	}
	in := chartInput{win: win, buckets: bkts, have: true}
	th := NewTheme(true)
	for _, sz := range []struct{ w, h int }{{80, 19}, {200, 55}} {
		b.Run(itoa(sz.w)+"x"+itoa(sz.h), func(b *testing.B) {
			var sc chartScratch
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if len(drawChart(th, sz.w, sz.h, in, &sc)) == 0 {
					b.Fatal("empty chart")
				}
			}
		})
	}
}

// BenchmarkChartSeries measures the series command on 10M records: from
// the rollups (no filter) and from the rows (a filter), for one hour.
func BenchmarkChartSeries(b *testing.B) {
	for _, expr := range []string{"", "action = REJECT"} {
		name := "rollups"
		if expr != "" {
			name = "filtered"
		}
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, 200, 60, expr)
			snap := m.env.snap
			win := chartSpan(3, snap.MaxStart, 0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				msg := seriesCmd(1, snap, m.env.sel, m.env.flt, win)().(seriesMsg)
				if msg.err != nil || len(msg.buckets) == 0 {
					b.Fatal("no series", msg.err)
				}
			}
		})
	}
}

// BenchmarkLiveFrames feeds 200k records a second (20k every 100 ms, the
// snapshot pace) into a 10M-record index while Groups is on screen, and
// measures the UI goroutine's frames: each message's Update plus the View
// drawn after it (budget: 50 ms). The filter evaluation and the group-by
// run as commands, off the UI goroutine, and are not part of a frame; one
// op is one 100 ms tick of ingest, evaluation, regroup and frames, so
// ns/op under 100 ms means the machine keeps up. Every tick regroups (the
// real pacing allows four a second).
func BenchmarkLiveFrames(b *testing.B) {
	ix := model.NewIndex(8 << 30)
	gen := model.NewSynth(39)
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
	for _, msg := range drain(func() tea.Msg { return snapshotMsg{snap: snap, done: true} }, nil) {
		_, cmd := m.Update(msg)
		for _, msg := range drain(cmd, nil) {
			m.Update(msg)
		}
	}
	for _, msg := range drain(m.switchTo(viewGroups), nil) {
		m.Update(msg)
	}
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
		m.groups.ref.last = time.Time{} // a regroup is due on every tick
		pending := drain(frame(snapshotMsg{snap: s, done: true}), nil)
		for len(pending) > 0 {
			msg := pending[0]
			pending = append(pending[1:], drain(frame(msg), nil)...)
		}
	}
	b.StopTimer()
	sort.Slice(frames, func(i, j int) bool { return frames[i] < frames[j] })
	if len(frames) > 0 {
		b.ReportMetric(float64(frames[len(frames)-1].Microseconds())/1000, "max-frame-ms")
		b.ReportMetric(float64(frames[len(frames)*99/100].Microseconds())/1000, "p99-frame-ms")
	}
	if m.groups.res == nil || m.groups.res.Count != m.env.sel.Count {
		b.Fatalf("groups did not follow the data: %v", groupsDebug(m))
	}
}

func groupsDebug(m *rootModel) string {
	g := m.groups
	s := "visible=" + map[bool]string{true: "y", false: "n"}[g.visible]
	if g.res != nil {
		s += " res=" + itoa(g.res.Count)
	}
	if m.env.sel != nil {
		s += " sel=" + itoa(m.env.sel.Count)
	}
	s += " stale=" + map[bool]string{true: "y", false: "n"}[g.stale] + " running=" + map[bool]string{true: "y", false: "n"}[g.ref.running]
	return s
}
