package tui

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// testEngine stands in for Athena at the explorer's Remote boundary (the
// engines themselves are tested against their fakes in source and
// cmd/flowlens): it renders the real plan and answers it from the
// explorer's own index, in the engine's column layout, so what the screen
// shows after R can be checked against the local answer. Each run reports
// progress, then waits for a token on gate (or for its context to end,
// which it counts as a stop).
type testEngine struct {
	cfg  Config
	gate chan struct{}

	mu      sync.Mutex
	runs    int
	stopped int
}

func (e *testEngine) Engine() string { return "athena" }

func (e *testEngine) Prepare(_ context.Context, q RemoteQuestion) (*RemoteRun, error) {
	p, err := q.Filter.AthenaSQL(filter.AthenaQuery{Table: filter.ReferenceTable(`"flows"."vpc_flow_logs"`), Group: q.Group,
		Series: q.Series, Limit: q.Limit})
	if err != nil {
		return nil, err
	}
	run := func(ctx context.Context, progress func(source.Progress)) (*source.RemoteResult, error) {
		e.mu.Lock()
		e.runs++
		e.mu.Unlock()
		progress(source.Progress{Engine: "athena", ID: "q-1", State: "RUNNING", Scanned: 1_200_000, Cost: 0.00005})
		select {
		case <-e.gate:
		case <-ctx.Done():
			e.mu.Lock()
			e.stopped++
			e.mu.Unlock()
			return nil, &source.QueryError{Engine: "athena", ID: "q-1", State: "CANCELLED", Reason: "interrupted; StopQueryExecution sent",
				Kind: source.ErrQueryCancelled}
		}
		res := &source.RemoteResult{Engine: "athena", ID: "q-1", Scanned: 3_400_000, Cost: 0.00005}
		res.Columns, res.Rows = answer(e.cfg.Index.Snapshot(), q, p)
		return res, nil
	}
	return &RemoteRun{Plan: p, Scope: `Athena "flows"."vpc_flow_logs" (workgroup primary), all time`, Run: run}, nil
}

// answer computes q over snap and writes it as Athena would return p's
// statement: columns named by the plan's aliases, NULL as "-".
func answer(snap *model.Snapshot, q RemoteQuestion, p *filter.Plan) ([]string, [][]string) {
	sel := q.Filter.Eval(snap, nil)
	var rows [][]string
	switch p.Kind {
	case filter.PlanGroups:
		g := p.Group
		res, _ := model.Group(snap, sel, g)
		var cols []string
		for _, k := range g.Keys {
			cols = append(cols, k.Name)
		}
		for _, m := range g.Metrics {
			cols = append(cols, m.Name)
		}
		cols = append(cols, "flowlens_groups")
		for _, r := range res.Rows {
			var row []string
			for i, k := range g.Keys {
				switch kv := r.Key[i]; {
				case kv.Absent:
					row = append(row, "-")
				case k.Bucket > 0:
					row = append(row, strconv.FormatUint(kv.Num, 10))
				default:
					row = append(row, kv.Text)
				}
			}
			for m, mt := range g.Metrics {
				row = append(row, string(model.AppendMetric(nil, mt, r.Vals[m])))
			}
			rows = append(rows, append(row, strconv.Itoa(res.Groups)))
		}
		return cols, rows
	case filter.PlanSeries:
		for _, b := range model.Series(snap, sel, p.Bucket) {
			for a, r := range b.ByAction {
				if r.Flows > 0 {
					rows = append(rows, []string{strconv.FormatInt(b.Start, 10), model.Action(a).String(),
						strconv.FormatUint(r.Flows, 10), strconv.FormatUint(r.Bytes, 10), strconv.FormatUint(r.Packets, 10)})
				}
			}
		}
		return []string{"bucket", "action", "flows", "bytes", "packets"}, rows
	}
	sel.ForEach(func(sg *model.Seg, i int) bool {
		var row []string
		for _, n := range p.Format.Names {
			v := snap.Cell(sg, i, n)
			if v == "" {
				v = "-"
			}
			row = append(row, v)
		}
		rows = append(rows, row)
		return len(rows) < q.Limit
	})
	return p.Format.Names, rows
}

func TestRemoteJourney(t *testing.T) {
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	eng := &testEngine{cfg: cfg, gate: make(chan struct{}, 1)}
	cfg.Remote = eng
	tm := startProgram(t, cfg, 100, 30)
	waitScreen(t, tm, "12.0k records")

	// Groups: R shows the question's scope and asks first.
	tm.Type("2")
	waitScreen(t, tm, "top srcaddr by flows")
	waitGone(t, tm, "grouping…")
	local := tm.s.groups.res
	tm.Type("R")
	waitScreen(t, tm, "Run top srcaddr by flows on Athena? (scan and cost show as it runs)", "run on Athena", `"flows"."vpc_flow_logs"`, "all time")
	tm.Send(keyEnter)
	// Progress shows while it runs, and the screen still answers keys.
	waitScreen(t, tm, "esc stops Athena running · 1.2 MB · ~$0.00005")
	tm.Send(keyDown)
	eng.gate <- struct{}{}
	waitScreen(t, tm, "[Athena · 3.4 MB scanned · ~$0.00005]")
	got := tm.s.groups.res
	if len(got.Rows) != len(local.Rows) || got.Rows[0].Key[0].Text != local.Rows[0].Key[0].Text || got.Rows[0].Vals[0] != local.Rows[0].Vals[0] {
		t.Errorf("remote groups %v, local %v", got.Rows[:1], local.Rows[:1])
	}

	// Enter on a remote group fetches its records (after asking) into Flows.
	tm.Send(keyUp)
	first := got.Rows[0].Key[0].Text
	tm.Send(keyEnter)
	waitScreen(t, tm, "Run the records of srcaddr "+first)
	tm.Send(keyEnter)
	eng.gate <- struct{}{}
	waitScreen(t, tm, "Athena: srcaddr "+first, "[1 Flows]", first)
	if n := tm.s.env.sel.Count; n == 0 || n != int(got.Rows[0].Vals[0]) && n != remoteRecordLimit {
		t.Errorf("%d records fetched, the group counted %g", n, got.Rows[0].Vals[0])
	}
	// Back returns to the live data and the remote groups.
	tm.Send(keyEsc)
	waitGone(t, tm, "Athena: srcaddr")

	// A run stopped with esc: the engine is told (StopQueryExecution), and says so.
	tm.Type("2")
	tm.Type("R")
	waitScreen(t, tm, "run on Athena")
	tm.Send(keyEnter)
	waitScreen(t, tm, "esc stops Athena running")
	tm.Send(keyEsc)
	waitScreen(t, tm, "CANCELLED: interrupted; StopQueryExecution sent")

	// A question changed while it runs: the query is stopped, its answer
	// never shown under the new question.
	tm.Type("R")
	waitScreen(t, tm, "run on Athena")
	tm.Send(keyEnter)
	waitScreen(t, tm, "esc stops Athena running")
	tm.Type("g")
	waitScreen(t, tm, "Group by")
	tm.Type("dstport")
	tm.Send(keyEnter)
	waitScreen(t, tm, "the question changed: the Athena query was stopped")
	waitGone(t, tm, "esc stops Athena")

	// Chart: the series on screen, run remotely and marked.
	tm.Type("3")
	waitGone(t, tm, "charting…")
	tm.Type("R")
	waitScreen(t, tm, "on Athena?")
	tm.Send(keyEnter)
	eng.gate <- struct{}{}
	waitScreen(t, tm, "[Athena · 3.4 MB scanned")

	view, _ := finalView(t, tm)
	checkScreen(t, view, 100, 30)
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if eng.runs != 5 || eng.stopped != 2 {
		t.Errorf("%d runs, %d stopped; want 5 and 2", eng.runs, eng.stopped)
	}
}

func TestRemoteOffWithoutEngine(t *testing.T) {
	clk := newTestClock()
	tm := startProgram(t, demoConfig(t, clk, false), 80, 24)
	waitScreen(t, tm, "12.0k records")
	tm.Type("2")
	waitGone(t, tm, "grouping…")
	tm.Type("R")
	view, m := finalView(t, tm)
	if m.remote != nil || strings.Contains(view, "Run top") || m.env.keys.Remote.Enabled() {
		t.Errorf("R acted without an engine:\n%s", view)
	}
}
