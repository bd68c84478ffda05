package detect

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// runner is one detection's incremental state.
type runner interface {
	process(snap *model.Snapshot, sel *model.Selection, from uint64)
	changedFindings() (changed []*Finding, removed []string)
}

type detector struct {
	spec *Spec
	f    *filter.Filter // the rows it counts, with the scope
	prev *model.Selection
	runs []runner // one, or several that split the keys between them
}

// Engine runs the detections incrementally over an index: each Update
// reads only the rows published since the previous one. Findings outlive
// the rows behind them. An Engine is not safe for concurrent use: run
// Update from one goroutine at a time (the results it returns are copies
// that may be shared freely).
type Engine struct {
	dets     []*detector
	end      uint64
	gen      uint64
	findings map[string]*Finding
	evicted  uint64 // rows the index had evicted at the last Update
	first    uint64 // the index's first retained row at the last Update
}

// Result is what an Update found.
type Result struct {
	// Gen counts Updates.
	Gen uint64
	// All is every finding, ordered by Less.
	All []Finding
	// Changed lists the findings that are new or changed in this Update.
	Changed []Finding
	// Rows is how many rows the engine has read in all; Evicted how many
	// of them the index has evicted (findings over those are kept).
	Rows, Evicted uint64
}

// New builds an engine. Errors name the detection and threshold at fault.
func New(cfg Config) (*Engine, error) {
	scope := cfg.Scope
	only := map[string]bool{}
	for _, n := range cfg.Only {
		only[n] = true
	}
	e := &Engine{findings: map[string]*Finding{}}
	specs := Specs()
	known := map[string]bool{}
	for i := range specs {
		known[specs[i].Name] = true
	}
	for n := range only {
		if !known[n] {
			return nil, fmt.Errorf("unknown detection %q (one of %s)", n, joinNames())
		}
	}
	for i := range specs {
		s := &specs[i]
		if len(only) > 0 && !only[s.Name] {
			continue
		}
		v, err := resolve(s, cfg.Set)
		if err != nil {
			return nil, err
		}
		text, err := rowsExpr(s, v)
		if err != nil {
			return nil, err
		}
		rows, err := filter.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s: rows %q: %w", s.Name, text, err)
		}
		rows = and(rows, scope)
		f, err := filter.Compile(rows.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		d := &detector{spec: s, f: f}
		kinds := map[string]wkind{"port-scan": wScan, "port-sweep": wSweep, "brute-force": wBrute,
			"exfiltration": wExfil, "unidirectional": wUnidir, "blocked-internal": wBlocked}
		switch s.Name {
		case "rejects-spike":
			d.runs = []runner{newSpike(s, v, rows)}
		case "logging-gap":
			d.runs = []runner{newGaps(s, v, scope)}
		default:
			k, ok := kinds[s.Name]
			if !ok {
				return nil, fmt.Errorf("detection %s has no implementation", s.Name)
			}
			// unidirectional reads nearly every record: its keys are
			// split between one runner per core.
			parts := 1
			if k == wUnidir {
				parts = runtime.GOMAXPROCS(0)
			}
			for p := 0; p < parts; p++ {
				w := newWindowed(k, s, v, rows)
				w.part, w.parts = uint64(p), uint64(parts)
				d.runs = append(d.runs, w)
			}
		}
		e.dets = append(e.dets, d)
	}
	return e, nil
}

func joinNames() string {
	s := ""
	for i, n := range Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// Update reads the rows of snap published since the last Update (all of
// them the first time) and returns the findings. snap must come from the
// same index as the previous ones, and be at least as new. The detections
// run in parallel, one goroutine each.
func (e *Engine) Update(snap *model.Snapshot) Result {
	from := e.end
	if snap.End < from { // a different, younger index: start over is the caller's job
		from = snap.End
	}
	type out struct {
		changed []*Finding
		removed []string
	}
	// Evaluate every detection's filter, then run every runner, each
	// stage on as many goroutines as there are cores.
	sels := make([]*model.Selection, len(e.dets))
	parallel(len(e.dets), func(i int) { sels[i] = e.dets[i].f.Eval(snap, e.dets[i].prev) })
	type task struct {
		d   int
		run runner
	}
	var tasks []task
	for i, d := range e.dets {
		for _, r := range d.runs {
			tasks = append(tasks, task{i, r})
		}
	}
	outs := make([]out, len(tasks))
	parallel(len(tasks), func(i int) {
		t := tasks[i]
		t.run.process(snap, sels[t.d], from)
		c, r := t.run.changedFindings()
		outs[i] = out{c, r}
	})
	for i, d := range e.dets {
		d.prev = sels[i]
	}
	e.end = max(e.end, snap.End)
	e.gen++
	e.evicted, e.first = snap.Evicted, snap.First
	var res Result
	res.Gen = e.gen
	for _, o := range outs {
		for _, id := range o.removed {
			delete(e.findings, id)
		}
		for _, f := range o.changed {
			f.Changed = e.gen
			e.mark(f)
			e.findings[f.ID] = f
			res.Changed = append(res.Changed, *f)
		}
	}
	for _, f := range e.findings {
		e.mark(f)
	}
	res.All = e.sorted()
	sort.Slice(res.Changed, func(i, j int) bool { return Less(&res.Changed[i], &res.Changed[j]) })
	res.Rows, res.Evicted = e.end, snap.Evicted
	return res
}

// mark sets how much of f's evidence the index has evicted.
func (e *Engine) mark(f *Finding) {
	switch {
	case f.maxRow < e.first:
		f.Evicted = EvictAll
	case f.minRow < e.first:
		f.Evicted = EvictPartly
	default:
		f.Evicted = EvictNone
	}
}

func (e *Engine) sorted() []Finding {
	all := make([]Finding, 0, len(e.findings))
	for _, f := range e.findings {
		all = append(all, *f)
	}
	sort.Slice(all, func(i, j int) bool { return Less(&all[i], &all[j]) })
	return all
}

// parallel calls fn(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Findings returns every finding so far, ordered by Less.
func (e *Engine) Findings() []Finding { return e.sorted() }
