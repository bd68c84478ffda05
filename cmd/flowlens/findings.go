package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
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
	eng, err := detect.New(detect.Config{Only: splitList(q.detections), Set: set, Filter: scope.String()})
	if err != nil {
		return usagef("%v", err)
	}
	if len(specs) == 0 {
		return usagef("findings: no SOURCE given (a file, a glob, a directory, -, s3://..., cloudwatch://..., demo)")
	}
	budget, err := q.memory()
	if err != nil {
		return err
	}
	srcs, err := openSources(specs, opts, stdin, stderr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(baseContext(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ix := model.NewIndex(budget)
	mux := source.NewMux(ix, srcs, source.MuxOptions{DefaultFormat: opts.Format})
	runErr := make(chan error, 1)
	go func() { runErr <- mux.Run(ctx) }()

	w := bufio.NewWriterSize(stdout, 64<<10)
	p := &findingsPrinter{w: w, out: out, least: least}
	var reached *detect.Finding
	if follow {
		reached, err = followFindings(ctx, ix, mux, eng, p, failOn, q.interval)
	} else {
		select {
		case <-mux.Done():
		case <-ctx.Done():
		}
		res := eng.Update(ix.Snapshot())
		err = p.print(res.All)
		reached = firstAtLeast(res.All, failOn)
	}
	stop()
	if ferr := w.Flush(); err == nil && ferr != nil && !isBrokenPipe(ferr) {
		err = ferr
	}
	<-runErr
	snap := ix.Snapshot()
	reportBad(stderr, snap)
	if snap.Evicted > 0 {
		fmt.Fprintf(stderr, "flowlens: %d records were evicted from memory (--max-memory %s): findings over them are kept, their evidence is gone\n", snap.Evicted, q.maxMemory)
	}
	if err != nil {
		return err
	}
	if err := sourceFailures(mux.Statuses()); err != nil {
		return err
	}
	if reached != nil {
		return &exitError{code: 3, msg: fmt.Sprintf("a %s finding (%s): --fail-on %s reached", reached.Severity, reached.Detection, failOn)}
	}
	return nil
}

// firstAtLeast returns the first finding at or above sev (nil when sev is
// SevNone or none is).
func firstAtLeast(fs []detect.Finding, sev detect.Severity) *detect.Finding {
	if sev == detect.SevNone {
		return nil
	}
	for i := range fs {
		if fs[i].Severity >= sev {
			return &fs[i]
		}
	}
	return nil
}

// followFindings updates the engine as data arrives and prints what
// changed every interval, until ctx ends, the sources finish, or a
// finding reaches failOn.
func followFindings(ctx context.Context, ix *model.Index, mux *source.Mux, eng *detect.Engine, p *findingsPrinter, failOn detect.Severity, interval time.Duration) (*detect.Finding, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	pending := map[string]detect.Finding{}
	var order []string
	var latest *model.Snapshot
	flush := func() (*detect.Finding, error) {
		var batch []detect.Finding
		for _, id := range order {
			batch = append(batch, pending[id])
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
	update := func(snap *model.Snapshot) {
		for _, f := range eng.Update(snap).Changed {
			if _, ok := pending[f.ID]; !ok {
				order = append(order, f.ID)
			}
			pending[f.ID] = f
		}
	}
	for {
		select {
		case <-ctx.Done():
			return flush()
		case <-mux.Done():
			update(ix.Snapshot())
			return flush()
		case latest = <-mux.Updates():
			continue
		case <-tick.C:
		}
		if latest != nil {
			update(latest)
			latest = nil
		}
		if f, err := flush(); f != nil || err != nil {
			return f, err
		}
	}
}

// findingsPrinter prints findings as JSON lines or a table.
type findingsPrinter struct {
	w      *bufio.Writer
	out    string
	least  detect.Severity
	header bool
	buf    []byte
}

func (p *findingsPrinter) print(fs []detect.Finding) error {
	for i := range fs {
		f := &fs[i]
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
			p.header = true
			fmt.Fprintf(p.w, "%-6s  %-16s  %-39s  %-45s  %7s  %9s  %-20s  %s\n", "SEV", "DETECTION", "SOURCE", "TARGET", "FLOWS", "BYTES", "LAST", "SUMMARY")
		}
		src := "-"
		if f.Src.IsValid() {
			src = f.Src.String()
		}
		last := "-"
		if f.Last > 0 {
			last = model.FormatUnix(f.Last)
		}
		sum := f.Summary
		if e := f.Evicted.String(); e != "" {
			sum += " [" + e + "]"
		}
		if _, err := fmt.Fprintf(p.w, "%-6s  %-16s  %-39s  %-45s  %7s  %9s  %-20s  %s\n", f.Severity, f.Detection, src, model.Sanitize(f.Target()),
			model.HumanCount(f.Flows), model.HumanBytes(f.Bytes), last, model.Sanitize(sum)); err != nil {
			return err
		}
	}
	return nil
}
