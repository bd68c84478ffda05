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
	process(snap *model.Snapshot, sel *model.Selection, from uint64, clk *clock)
	changedFindings() (changed []*Finding, removed []string)
	// lateRecords counts the records that came for state already
	// released (see minLateness).
	lateRecords() uint64
	// memory estimates the bytes its state holds.
	memory() int64
}

type detector struct {
	spec   *Spec
	f      *filter.Filter // the rows it counts, with the scope
	prev   *model.Selection
	runs   []runner // one, or several that split the keys between them; nil once paused
	paused bool     // its state passed the bound: no longer fed (its findings stay)
	late   uint64   // late records of runners let go (paused)
}

// PausedNote is what is said of a paused detection, after its name.
const PausedNote = "paused: its state passed the detections' memory share of --max-memory"

// Engine runs the detections incrementally over an index: each Update
// reads only the rows published since the previous one. Findings outlive
// the rows behind them. An Engine is not safe for concurrent use: run
// Update from one goroutine at a time (the results it returns are copies
// that may be shared freely).
type Engine struct {
	dets     []*detector
	end      uint64
	gen      uint64
	findings map[string]*Finding // every finding, by ID; published ones are never changed
	all      []*Finding          // the sorted list handed out (rebuilt when dirty)
	unlisted map[string]int
	dirty    bool              // findings changed since all was built
	evicted  uint64            // rows the index had evicted at the last Update
	first    uint64            // the index's first retained row at the last Update
	markedAt uint64            // first when eviction states were last brought up to date
	mem      int64             // Result.Memory of the last Update
	newest   int64             // the latest record start time read (Unix seconds, 0: none)
	lateness int64             // the lateness allowance in seconds, 0: max(minLateness, window) (tests set it)
	late     map[string]uint64 // Result.Late of the last Update
	bound    int64             // Config.Memory
	paused   []string          // Result.Paused
}

// clock says, segment by segment, the newest record start time the engine
// has seen through a segment: what a detection's half-windows are settled
// against. It reads every record, not only a detection's own, so a sparse
// detection releases its tables as time goes on, and all of a detection's
// runners (and an engine fed one row or a million at a time) settle at
// the same points.
type clock struct {
	bases  []uint64 // the segments read in this Update, by Base
	newest []int64  // the newest start time through each of them
	before int64    // the newest start time before them
	late   int64    // Engine.lateness
}

// newClock reads the start times of snap's rows from row from on.
func newClock(snap *model.Snapshot, from uint64, before int64) *clock {
	c := &clock{before: before}
	n := before
	for _, sg := range snap.Segs {
		if sg.Base+uint64(sg.N) <= from {
			continue
		}
		lo := 0
		if from > sg.Base {
			lo = int(from - sg.Base)
		}
		if col := sg.Num(model.FieldStart); col != nil && col.U32 != nil {
			for _, t := range col.U32[lo:sg.N] {
				n = max(n, int64(t))
			}
		}
		c.bases = append(c.bases, sg.Base)
		c.newest = append(c.newest, n)
	}
	return c
}

// upTo returns the newest start time of the segments before the one
// at base (those a detection's selection skips included).
func (c *clock) upTo(base uint64) int64 {
	i := sort.Search(len(c.bases), func(i int) bool { return c.bases[i] >= base })
	if i == 0 {
		return c.before
	}
	return c.newest[i-1]
}

// last is the newest start time of all.
func (c *clock) last() int64 {
	if len(c.newest) == 0 {
		return c.before
	}
	return c.newest[len(c.newest)-1]
}

// MaxListed is how many findings of one detection Result.All lists, the
// most severe and most recent first: a flood of one kind (a noisy
// estate, thresholds set too low) must not drown the others nor make
// every update and every frame slower. The rest are counted in
// Result.Unlisted and come back when they change.
const MaxListed = 1000

// Result is what an Update found.
type Result struct {
	// Gen counts Updates.
	Gen uint64
	// All is every finding (at most MaxListed of each detection),
	// ordered by Less. The findings are immutable and the slice is shared
	// by the Results of Updates that changed nothing: read only.
	All []*Finding
	// Unlisted counts, by detection, the findings left out of All.
	Unlisted map[string]int
	// Changed lists the findings that are new or changed in this Update.
	Changed []Finding
	// Rows is how many rows the engine has read in all; Evicted how many
	// of them the index has evicted (findings over those are kept).
	Rows, Evicted uint64
	// Memory estimates the bytes the detections' state holds (their
	// counting tables, runs and findings): memory beside the index's,
	// kept under Config.Memory when that is set.
	Memory int64
	// Late counts, by detection, the records that arrived for a
	// half-window already settled and released (older than the window
	// kept, or released to keep Config.Memory; see Notes): they are not
	// detected. Nil when none.
	Late map[string]uint64
	// Paused lists the detections paused because their state passed
	// Config.Memory (sorted): they read no more records; their findings
	// stay listed.
	Paused []string
}

// LateTotal is the number of records counted in Late.
func (r *Result) LateTotal() uint64 {
	var n uint64
	for _, v := range r.Late {
		n += v
	}
	return n
}

// LateNote says, in a few words, how many records came too late ("" when
// none): the Findings view's summary line.
func (r *Result) LateNote() string {
	n := r.LateTotal()
	if n == 0 {
		return ""
	}
	return model.HumanCount(n) + " records arrived too late for detection (older than the window kept)"
}

// Notes says what the findings do not cover, one sentence each, for the
// findings command: records that came too late, by detection, and the
// detections paused.
func (r *Result) Notes() []string {
	var out []string
	if note := r.LateNote(); note != "" {
		names := make([]string, 0, len(r.Late))
		for d := range r.Late {
			names = append(names, d)
		}
		sort.Strings(names)
		s := ""
		for i, d := range names {
			if i > 0 {
				s += ", "
			}
			s += d + " " + model.HumanCount(r.Late[d])
		}
		out = append(out, note+": "+s)
	}
	for _, d := range r.Paused {
		out = append(out, d+" "+PausedNote)
	}
	return out
}

// New builds an engine. Errors name the detection and threshold at fault.
func New(cfg Config) (*Engine, error) {
	scope := cfg.Scope
	only := map[string]bool{}
	for _, n := range cfg.Only {
		only[n] = true
	}
	e := &Engine{findings: map[string]*Finding{}, bound: cfg.Memory}
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
		mem     int64
	}
	// Evaluate every detection's filter, then run every runner, each
	// stage on as many goroutines as there are cores.
	clk := newClock(snap, from, e.newest)
	clk.late = e.lateness
	sels := make([]*model.Selection, len(e.dets))
	parallel(len(e.dets), func(i int) {
		if !e.dets[i].paused {
			sels[i] = e.dets[i].f.Eval(snap, e.dets[i].prev)
		}
	})
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
		t.run.process(snap, sels[t.d], from, clk)
		c, r := t.run.changedFindings()
		outs[i] = out{c, r, t.run.memory()}
	})
	for i, d := range e.dets {
		if !d.paused {
			d.prev = sels[i]
		}
	}
	e.end = max(e.end, snap.End)
	e.newest = clk.last()
	e.gen++
	e.evicted, e.first = snap.Evicted, snap.First
	var res Result
	res.Gen = e.gen
	for _, o := range outs {
		res.Memory += o.mem
		for _, id := range o.removed {
			if _, ok := e.findings[id]; ok {
				delete(e.findings, id)
				e.dirty = true
			}
		}
		for _, f := range o.changed {
			f.Changed = e.gen
			f.Evicted = e.eviction(f)
			e.findings[f.ID] = f
			e.dirty = true
			res.Changed = append(res.Changed, *f)
		}
	}
	if e.first != e.markedAt {
		// Eviction moved on: findings whose state changes are copied,
		// never changed in place (a Result may still be read).
		e.markedAt = e.first
		for id, f := range e.findings {
			if ev := e.eviction(f); ev != f.Evicted {
				c := *f
				c.Evicted = ev
				e.findings[id] = &c
				e.dirty = true
			}
		}
	}
	if e.dirty {
		e.list()
	}
	res.All, res.Unlisted = e.all, e.unlisted
	sort.Slice(res.Changed, func(i, j int) bool { return Less(&res.Changed[i], &res.Changed[j]) })
	res.Rows, res.Evicted = e.end, snap.Evicted
	res.Memory += int64(len(e.findings)) * findingBytes
	if e.bound > 0 && res.Memory > e.bound {
		res.Memory = e.fit(res.Memory)
	}
	res.Late, res.Paused = e.lateCounts(), e.paused
	e.mem, e.late = res.Memory, res.Late
	return res
}

// lateCounts counts the late records by detection (nil: none).
func (e *Engine) lateCounts() map[string]uint64 {
	var late map[string]uint64
	for _, d := range e.dets {
		n := d.late
		for _, r := range d.runs {
			n += r.lateRecords()
		}
		if n > 0 {
			if late == nil {
				late = map[string]uint64{}
			}
			late[d.spec.Name] += n
		}
	}
	return late
}

// fit brings the detections' state under the bound from mem bytes, and
// returns what it holds then: the oldest half-windows of every windowed
// detection are released first (their records that come later are late),
// down to the two newest of each (the window being counted); if those
// still pass it, the detections holding the most state are paused.
func (e *Engine) fit(mem int64) int64 {
	type old struct {
		w  *windowed
		hb int64
	}
	var olds []old
	for _, d := range e.dets {
		for _, r := range d.runs {
			if w, ok := r.(*windowed); ok {
				w.pool.free = nil // the spare chunks first: they hold no state
				for hb := range w.tables {
					if hb < w.maxHB-1 {
						olds = append(olds, old{w, hb})
					}
				}
			}
		}
	}
	// Oldest first by time; at one time, by detection (a stable order).
	sort.Slice(olds, func(i, j int) bool {
		a, b := olds[i].hb*olds[i].w.hop, olds[j].hb*olds[j].w.hop
		if a != b {
			return a < b
		}
		return olds[i].w.spec.Name < olds[j].w.spec.Name || olds[i].w.spec.Name == olds[j].w.spec.Name && olds[i].w.part < olds[j].w.part
	})
	mem = e.memory()
	for _, o := range olds {
		if mem <= e.bound {
			return mem
		}
		before := o.w.memory()
		o.w.raiseFloor(o.hb + 1)
		o.w.pool.free = nil
		mem -= before - o.w.memory()
	}
	for mem > e.bound {
		var big *detector
		var most int64
		for _, d := range e.dets {
			var n int64
			for _, r := range d.runs {
				n += r.memory()
			}
			if !d.paused && n > most {
				big, most = d, n
			}
		}
		if big == nil {
			break // only the findings are left
		}
		for _, r := range big.runs {
			big.late += r.lateRecords()
		}
		big.runs, big.paused, big.prev = nil, true, nil
		// A new slice: earlier Results keep theirs.
		p := append(append([]string(nil), e.paused...), big.spec.Name)
		sort.Strings(p)
		e.paused = p
		mem -= most
	}
	return mem
}

// memory estimates the bytes of every detection's state and the findings.
func (e *Engine) memory() int64 {
	n := int64(len(e.findings)) * findingBytes
	for _, d := range e.dets {
		for _, r := range d.runs {
			n += r.memory()
		}
	}
	return n
}

// eviction says how much of f's evidence the index has evicted.
func (e *Engine) eviction(f *Finding) Eviction {
	switch {
	case f.maxRow < e.first:
		return EvictAll
	case f.minRow < e.first:
		return EvictPartly
	}
	return EvictNone
}

// list rebuilds the sorted list of findings, at most MaxListed of each
// detection. A new slice every time: earlier Results keep theirs.
func (e *Engine) list() {
	all := make([]*Finding, 0, len(e.findings))
	for _, f := range e.findings {
		all = append(all, f)
	}
	sort.Slice(all, func(i, j int) bool { return Less(all[i], all[j]) })
	per := map[string]int{}
	var unlisted map[string]int
	kept := all[:0]
	for _, f := range all {
		if per[f.Detection]++; per[f.Detection] > MaxListed {
			if unlisted == nil {
				unlisted = map[string]int{}
			}
			unlisted[f.Detection]++
			continue
		}
		kept = append(kept, f)
	}
	e.all, e.unlisted, e.dirty = kept, unlisted, false
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

// Memory estimates the bytes the detections' state held at the last
// Update (see Result.Memory).
func (e *Engine) Memory() int64 { return e.mem }

// Notes says what the findings of the last Update do not cover (see
// Result.Notes).
func (e *Engine) Notes() []string {
	r := Result{Late: e.late, Paused: e.paused}
	return r.Notes()
}

// Findings returns the findings listed by the last Update, ordered by
// Less (read only).
func (e *Engine) Findings() []*Finding { return e.all }
