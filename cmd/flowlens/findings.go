package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/source"
)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// findingsFlags are the flags of `flowlens findings`.
type findingsFlags struct {
	common
	failOn     string
	severity   string
	detections string
	thresholds multiFlag
	output     string
	interval   time.Duration
	strict     bool
}

func runFindings(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var q findingsFlags
	fs := flag.NewFlagSet("findings", flag.ContinueOnError)
	q.register(fs)
	fs.StringVar(&q.failOn, "fail-on", "", "exit 3 when a finding reaches this `severity` (low, medium or high)")
	fs.StringVar(&q.severity, "severity", "", "print only findings at or above this `severity`")
	fs.StringVar(&q.detections, "detections", "", "run only these detections, a comma `list` of: "+strings.Join(detect.Names(), ", "))
	fs.Var(&q.thresholds, "threshold", "override a threshold, `DETECTION.PARAM=VALUE` (repeatable; see the README)")
	fs.StringVar(&q.output, "output", "", "jsonl or table (`format`; default: table on a terminal, else jsonl)")
	fs.DurationVar(&q.interval, "interval", 2*time.Second, "with --follow: how often new and updated findings are printed")
	fs.BoolVar(&q.strict, "strict", false, "exit 1 when any record was dropped or cut short by a read fault")
	specs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var failOn, least detect.Severity
	if q.failOn != "" {
		if failOn, err = detect.ParseSeverity(q.failOn); err != nil {
			return usagef("--fail-on: %v", err)
		}
	}
	if q.severity != "" {
		if least, err = detect.ParseSeverity(q.severity); err != nil {
			return usagef("--severity: %v", err)
		}
	}
	out := q.output
	if out == "" {
		out = "jsonl"
		if isTerminal(stdout) {
			out = "table"
		}
	}
	if out != "jsonl" && out != "table" {
		return usagef("--output %q: want jsonl or table", out)
	}
	if q.interval <= 0 {
		return usagef("--interval must be positive")
	}
	set, err := detect.ParseSet(q.thresholds)
	if err != nil {
		return usagef("--threshold %v", err)
	}
	now := time.Now()
	follow := q.follow && !q.noFollow
	opts, err := q.sourceOptions(follow, now)
	if err != nil {
		return err
	}
	scope, err := compileFilter(q.filter, opts.Since, opts.Until, now)
	if err != nil {
		return err
	}
	mem, err := q.budget()
	if err != nil {
		return err
	}
	eng, err := detect.New(detect.Config{Only: splitList(q.detections), Set: set, Scope: scope.Node(), Memory: mem.Detect})
	if err != nil {
		return usagef("%v", err)
	}
	if len(specs) == 0 {
		return usagef("findings: no SOURCE given (a file, a glob, a directory, -, s3://..., cloudwatch://..., demo)")
	}
	srcs, logf, closeLog, openErr := openLogged(q.debugLog, specs, &opts, stdin, stderr)
	defer closeLog()
	if len(srcs) == 0 {
		return openErr
	}
	announceReceivers(stderr, srcs, follow)

	ctx, intr, stop := watchSignals(baseContext(), os.Exit)
	defer stop()
	ix := model.NewIndex(mem.Index)
	defer limitMemory(mem)()
	mux := source.NewMux(ix, srcs, source.MuxOptions{DefaultFormat: opts.Format, Logf: logf})
	// The detections see every record before it may be evicted: the
	// engine holds the first row it has not read (ingest waits for it
	// rather than evict unread rows); findings outlive the rows after.
	mux.Hold(0)
	intr.watch(mux.Statuses)
	runErr := make(chan error, 1)
	go func() { runErr <- mux.Run(ctx) }()

	w := bufio.NewWriterSize(stdout, 64<<10)
	p := &findingsPrinter{w: w, out: out, least: least}
	reached, err := watchFindings(ctx, ix, mux, eng, p, failOn, follow, q.interval)
	mux.Release()
	stop()
	if ferr := w.Flush(); err == nil && ferr != nil && !isBrokenPipe(ferr) {
		err = ferr
	}
	<-runErr
	snap := ix.Snapshot()
	sts := mux.Statuses()
	logStatuses(logf, sts)
	sort.Strings(p.unlisted)
	for _, n := range p.unlisted {
		fmt.Fprintf(stderr, "flowlens: %s; raise the detection's thresholds (--threshold) to see fewer\n", n)
	}
	reportBad(stderr, snap)
	reportCounters(stderr, sts)
	// The detections' state has its share of --max-memory: say how much
	// it held (past the share, what was released or paused is said
	// below).
	fmt.Fprintf(stderr, "flowlens: the detections held about %s beside the index (their share of --max-memory %s is %s)\n",
		model.HumanBytes(uint64(eng.Memory())), model.HumanBytes(uint64(mem.Max)), model.HumanBytes(uint64(mem.Detect)))
	if snap.Evicted > 0 {
		fmt.Fprintf(stderr, "flowlens: --max-memory %s: %s records were read by the detections, then evicted: findings over them are kept, marked evicted, but their evidence is gone from memory\n",
			q.maxMemory, groupDigits(snap.Evicted))
	}
	incomplete := newCoverage(scope, q.maxMemory).report(stderr, snap, sts)
	// Records the detections could not count (late for a settled
	// window) and detections paused: the findings do not cover them.
	for _, n := range eng.Notes() {
		fmt.Fprintf(stderr, "flowlens: %s\n", n)
		if incomplete == "" {
			incomplete = n
		}
	}
	if sig, running := intr.signal(); sig != nil && reached == nil {
		return interrupted(sig, running, mux.Stats().Records, follow)
	}
	if err != nil {
		return err
	}
	if err := sourceFailures(sts); err != nil {
		return err
	}
	if reached != nil {
		return &exitError{code: 3, msg: fmt.Sprintf("a %s finding (%s): --fail-on %s reached", reached.Severity, reached.Detection, failOn)}
	}
	if openErr != nil {
		return &exitError{code: 1, msg: "some sources could not be opened (see above); the findings cover the others"}
	}
	if q.strict && incomplete != "" {
		return &exitError{code: 1, msg: "--strict: " + incomplete}
	}
	return nil
}

// firstAtLeast returns the first finding at or above sev (nil when sev is
// SevNone or none is).
func firstAtLeast(fs []*detect.Finding, sev detect.Severity) *detect.Finding {
	if sev == detect.SevNone {
		return nil
	}
	for _, f := range fs {
		if f.Severity >= sev {
			return f
		}
	}
	return nil
}

// watchFindings updates the engine with every snapshot the sources
// publish, moving the hold on past what it has read. Without follow it
// prints every finding once the sources are done; with follow it prints
// the new and updated ones every interval, until ctx ends or the sources
// finish. It stops early when a finding reaches failOn (returned).
func watchFindings(ctx context.Context, ix *model.Index, mux *source.Mux, eng *detect.Engine, p *findingsPrinter,
	failOn detect.Severity, follow bool, interval time.Duration) (*detect.Finding, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	pending := map[string]detect.Finding{}
	var order []string
	var last detect.Result
	update := func(snap *model.Snapshot) {
		last = eng.Update(snap)
		mux.Hold(snap.End)
		for _, f := range last.Changed {
			if _, ok := pending[f.ID]; !ok {
				order = append(order, f.ID)
			}
			pending[f.ID] = f
		}
	}
	flush := func() (*detect.Finding, error) {
		var batch []*detect.Finding
		for _, id := range order {
			f := pending[id]
			batch = append(batch, &f)
		}
		clear(pending)
		order = order[:0]
		if err := p.print(batch); err != nil {
			return nil, err
		}
		if err := p.w.Flush(); err != nil {
			return nil, err
		}
		return firstAtLeast(batch, failOn), nil
	}
	for {
		select {
		case <-ctx.Done():
			update(ix.Snapshot())
		case <-mux.Done():
			update(ix.Snapshot())
		case snap := <-mux.Updates():
			update(snap)
			continue
		case <-tick.C:
			if follow {
				if f, err := flush(); f != nil || err != nil {
					return f, err
				}
			}
			continue
		}
		if follow {
			return flush()
		}
		for det, n := range last.Unlisted {
			p.unlisted = append(p.unlisted, fmt.Sprintf("%d more %s findings are not printed (only the %d most severe and recent of a detection are)", n, det, detect.MaxListed))
		}
		return firstAtLeast(last.All, failOn), p.print(last.All)
	}
}

// findingsPrinter prints findings as JSON lines or a table.
type findingsPrinter struct {
	w        *bufio.Writer
	out      string
	least    detect.Severity
	header   bool
	src, dst int // the table's source and target widths, set by the first rows
	buf      []byte
	unlisted []string // notices for stderr: findings left out
}

// findingSource is the table's source cell.
func findingSource(f *detect.Finding) string {
	if f.Src.IsValid() {
		return f.Src.String()
	}
	return "-"
}

func (p *findingsPrinter) print(fs []*detect.Finding) error {
	for _, f := range fs {
		if f.Severity < p.least {
			continue
		}
		if p.out == "jsonl" {
			p.buf = append(f.AppendJSON(p.buf[:0]), '\n')
			if _, err := p.w.Write(p.buf); err != nil {
				return err
			}
			continue
		}
		if !p.header {
			// The source and target columns are as wide as the first
			// rows need (all of them without --follow), at least an IPv4
			// address (with a port): a later, longer one pushes only its
			// own row. The detail follows them, who being in the columns.
			p.header = true
			p.src, p.dst = 15, 21
			for _, g := range fs {
				if g.Severity >= p.least {
					p.src, p.dst = max(p.src, len(findingSource(g))), max(p.dst, len(model.Sanitize(g.Target())))
				}
			}
			fmt.Fprintf(p.w, "%-6s  %-16s  %-*s  %-*s  %7s  %9s  %-20s  %s\n", "SEV", "DETECTION", p.src, "SOURCE", p.dst, "TARGET", "FLOWS", "BYTES", "LAST", "DETAIL")
		}
		last := "-"
		if f.Last > 0 {
			last = model.FormatUnix(f.Last)
		}
		detail := f.Detail
		if e := f.Evicted.String(); e != "" {
			detail += " [" + e + "]"
		}
		if _, err := fmt.Fprintf(p.w, "%-6s  %-16s  %-*s  %-*s  %7s  %9s  %-20s  %s\n", f.Severity, f.Detection, p.src, findingSource(f), p.dst, model.Sanitize(f.Target()),
			model.HumanCount(f.Flows), model.HumanBytes(f.Bytes), last, model.Sanitize(detail)); err != nil {
			return err
		}
	}
	return nil
}
