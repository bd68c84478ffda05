package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// queryFlags are the flags of `flowlens query`.
type queryFlags struct {
	common
	groupBy  string
	metrics  string
	sortBy   string
	top      int
	limit    int
	output   string
	interval time.Duration
	explain  string
	preset   string
	strict   bool
	state    string
}

func runQuery(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var q queryFlags
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	q.register(fs)
	fs.StringVar(&q.groupBy, "group-by", "", "group keys, comma-separated")
	fs.StringVar(&q.metrics, "metrics", "", "metrics, comma-separated")
	fs.StringVar(&q.sortBy, "sort", "", "metric to sort groups by")
	fs.IntVar(&q.top, "top", 0, "keep the top N groups")
	fs.IntVar(&q.limit, "limit", 0, "print at most N records")
	fs.StringVar(&q.output, "output", "", "table, jsonl or csv")
	fs.DurationVar(&q.interval, "interval", 2*time.Second, "refresh period with --follow --group-by")
	fs.StringVar(&q.explain, "explain", "", "athena, insights or cwl-pattern")
	fs.StringVar(&q.preset, "preset", "", "ask a named question, as the explorer's p does: "+presetNames())
	fs.BoolVar(&q.strict, "strict", false, "exit 1 when any record was evicted, dropped or cut short by a read fault; check every field of every line")
	fs.StringVar(&q.state, "state", "", "save where each source stopped to `FILE` and resume from there (records, not groups)")
	specs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if q.interval <= 0 {
		return usagef("--interval %s: want a positive duration such as 2s", q.interval)
	}
	now := time.Now()

	follow := q.follow && !q.noFollow
	opts, err := q.sourceOptions(follow, now)
	if err != nil {
		return err
	}
	if err := q.applyPreset(); err != nil {
		return err
	}
	flt, err := compileFilter(q.filter, opts.Since, opts.Until, now)
	if err != nil {
		return err
	}
	if q.engine.remote() || q.engine.check() != nil {
		return runEngine(&q, specs, opts, flt, now, stdout, stderr) // engine.go
	}
	if q.explain != "" {
		return explain(stdout, flt, q.explain, opts.Format)
	}
	if len(specs) == 0 {
		return usagef("query: no SOURCE given (a file, a glob, a directory, -, s3://..., cloudwatch://..., demo)")
	}
	nm, err := q.naming(specs, opts)
	if err != nil {
		return err
	}
	grp, out, err := q.shape(stdout, nm)
	if err != nil {
		return err
	}
	mem, err := q.budget()
	if err != nil {
		return err
	}
	var st *stateFile
	if q.state != "" {
		if grp != nil || q.limit > 0 {
			return usagef("--state saves what records were printed: it does not go with --group-by, --metrics or --limit")
		}
		if st, err = loadState(q.state); err != nil {
			return err
		}
	}
	if pat, residual, _ := flt.CWLPattern(opts.Format); pat != "" && hasScheme(specs, "cw://", "cloudwatch://") {
		_ = residual // the whole filter is still applied locally; the pattern only trims what is fetched
		opts.FilterPattern = pat
	}
	opts.Ordered = grp == nil // records are printed in file order, rotated files first
	srcs, logf, closeLog, openErr := openLogged(q.debugLog, specs, &opts, stdin, stderr)
	defer closeLog()
	if logf != nil {
		logf("query %q: filter %q, follow %v, output %s", specs, flt.String(), follow, out)
	}
	if len(srcs) == 0 {
		return openErr
	}
	announceReceivers(stderr, srcs, follow)

	ctx, intr, stop := watchSignals(baseContext(), os.Exit)
	defer stop()
	ix := model.NewIndex(mem.Index)
	defer limitMemory(mem)()
	flt = nm.bind(flt)
	var scan *model.Scan
	if !nm.needIndex(flt, grp) {
		if scan, err = newScan(ix, flt, grp, follow, q.strict); err != nil {
			return err
		}
	}
	mopts := source.MuxOptions{DefaultFormat: opts.Format, Logf: logf, Pipeline: scanPipeline(scan)}
	if st != nil {
		st.resume(srcs, stderr)
		mopts.Committed = st.committed
	}
	mux := source.NewMux(ix, srcs, mopts)
	// One-shot records stream too, unless EC2 names are looked up once
	// everything is read (they are printed with the records then).
	streamed := scan == nil && (follow || st != nil || grp == nil && out != "table" && nm.en == nil)
	if streamed && grp == nil {
		mux.Hold(0) // every record is printed before it may be evicted
	}
	intr.watch(mux.Statuses)
	runErr := make(chan error, 1)
	go func() { runErr <- mux.Run(ctx) }()

	w := bufio.NewWriterSize(stdout, 256<<10)
	if st != nil {
		w = st.writer(stdout)
	}
	defer w.Flush()
	cov := newCoverage(flt, q.maxMemory)
	var snap *model.Snapshot
	switch {
	case streamed:
		// Records are printed as they arrive (so --limit ends the reading
		// early, and the hold keeps them from eviction until printed), and
		// so are the refreshed groups of --follow.
		if nm.en != nil {
			go nm.en.Run(ctx, ix)
		}
		err = followQuery(ctx, ix, mux, flt, grp, out, q.interval, q.limit, w, stderr, nm, cov, st)
		mux.Release()
		snap = ix.Snapshot()
	default:
		select {
		case <-mux.Done():
		case <-ctx.Done():
		}
		snap = ix.Snapshot()
		nm.resolve(ctx, snap, stderr)
		flt = nm.bind(flt)
		if scan != nil {
			<-mux.Done() // the scan's pipeline is closed
			snap = ix.Snapshot()
			err = printScan(w, out, scan, *grp)
		} else if grp != nil {
			err = cov.printAnswer(w, out, snap, func() *model.Selection { return flt.Eval(snap, nil) }, *grp, false)
		} else {
			cov.records(snap)
			err = printRecords(w, out, snap, flt.Eval(snap, nil), 0, q.limit, true, nm.namer)
		}
	}
	stop()
	if ferr := w.Flush(); err == nil && ferr != nil && !isBrokenPipe(ferr) {
		err = ferr
	}
	<-runErr
	sts := mux.Statuses()
	logStatuses(logf, sts)
	reportFormats(stderr, ix, snap)
	forgetFormats(ix)
	reportBad(stderr, snap)
	reportCounters(stderr, sts)
	incomplete := cov.report(stderr, snap, sts)
	if sig, running := intr.signal(); sig != nil {
		return interrupted(sig, running, mux.Stats().Records, follow)
	}
	if err != nil {
		return err
	}
	if err := sourceFailures(sts); err != nil {
		return err
	}
	if openErr != nil {
		return &exitError{code: 1, msg: "some sources could not be opened (see above); the output covers the others"}
	}
	if q.strict && incomplete != "" {
		return &exitError{code: 1, msg: "--strict: " + incomplete}
	}
	return nil
}

// baseContext is the context a query runs under until SIGINT/SIGTERM;
// tests replace it to stop a --follow query.
var baseContext = context.Background

// compileFilter compiles --filter and narrows it to the --since/--until
// range (filter.Window: the record's interval meets the range). The two
// are combined as parsed expressions: --filter is parsed on its own, so a
// mistake in it (a stray parenthesis) is a filter error with the caret in
// the user's own expression, never a filter that escapes the range.
func compileFilter(expr string, since, until, now time.Time) (*filter.Filter, error) {
	f, err := filter.CompileAt(expr, now)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			// message first, then the expression with the caret under it
			lines := strings.SplitN(fe.Caret(), "\n", 3)
			if len(lines) == 3 {
				return nil, &usageError{msg: "--filter: " + lines[2] + "\n  " + lines[0] + "\n  " + lines[1], quiet: true}
			}
			return nil, usagef("--filter: %s", fe.Caret())
		}
		return nil, usagef("--filter: %v", err)
	}
	win, err := filter.Window(since, until)
	if err == nil {
		f, err = f.And(win)
	}
	if err != nil {
		return nil, usagef("--since/--until: %v", err)
	}
	return f, nil
}

func explain(w io.Writer, f *filter.Filter, target string, format *model.Format) error {
	switch target {
	case "athena":
		fmt.Fprintln(w, f.Athena("vpc_flow_logs"))
	case "insights":
		fmt.Fprintln(w, f.Insights())
	case "cwl-pattern", "cwl":
		pat, residual, exact := f.CWLPattern(format)
		if pat == "" {
			fmt.Fprintln(w, "# no part of this filter can be expressed as a CloudWatch Logs filter pattern")
		} else {
			fmt.Fprintln(w, pat)
		}
		if !exact && residual != nil {
			fmt.Fprintf(w, "# applied locally: %s\n", residual.String())
		}
	default:
		return usagef("--explain %q: want athena, insights or cwl-pattern", target)
	}
	return nil
}

func hasScheme(specs []string, schemes ...string) bool {
	for _, s := range specs {
		for _, sc := range schemes {
			if strings.HasPrefix(s, sc) {
				return true
			}
		}
	}
	return false
}

// openLogged opens the --debug-log file (path "": none), points the
// sources' opts.Logf at it, then opens the sources (see openSources). A
// log that cannot be opened is the error and opens nothing; closeLog is
// to be deferred in every case.
func openLogged(path string, specs []string, opts *source.Options, stdin io.Reader, stderr io.Writer) (srcs []source.Source, logf func(string, ...any), closeLog func(), err error) {
	logf, closeLog, err = openDebugLog(path)
	if err != nil {
		return nil, nil, func() {}, err
	}
	opts.Logf = logf
	srcs, err = openSources(specs, *opts, stdin, stderr)
	return srcs, logf, closeLog, err
}

// openSources opens every SOURCE; "-" reads stdin (once). A malformed
// SOURCE is a usage error and opens nothing. A source that cannot be
// opened (a missing file among several) is reported on stderr and the
// others are returned with the error; with none left, only the error.
func openSources(specs []string, opts source.Options, stdin io.Reader, stderr io.Writer) ([]source.Source, error) {
	var srcs []source.Source
	var failed []error
	stdinUsed := false
	for _, spec := range specs {
		if spec == "-" {
			if stdinUsed {
				return nil, usagef("- (stdin) given twice")
			}
			stdinUsed = true
			srcs = append(srcs, source.NewStdin(stdin, opts))
			continue
		}
		s, err := source.Open(spec, opts)
		if errors.Is(err, source.ErrSpec) {
			return nil, usagef("%s", model.Sanitize(err.Error()))
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), spec+": ") { // the source's errors mostly name it already
				err = fmt.Errorf("%s: %w", spec, err)
			}
			failed = append(failed, err)
			continue
		}
		srcs = append(srcs, s)
	}
	switch {
	case len(failed) == 0:
		return srcs, nil
	case len(srcs) == 0:
		return nil, errors.Join(failed...)
	}
	for _, err := range failed {
		fmt.Fprintf(stderr, "flowlens: %s (skipped; the other sources are read)\n", model.Sanitize(err.Error()))
	}
	return srcs, errors.Join(failed...)
}

// grouping is a parsed --group-by/--metrics/--sort/--top.
type grouping = model.GroupQuery

// parseGrouping reads the grouping flags; names (nil: none) supplies the
// name keys src-name, dst-name and interface-name.
func parseGrouping(groupBy, metrics, sortBy string, top int, names *naming) (*grouping, error) {
	if groupBy == "" && metrics == "" {
		if sortBy != "" || top != 0 {
			return nil, usagef("--sort and --top need --group-by or --metrics")
		}
		return nil, nil
	}
	var q grouping
	for _, k := range splitList(groupBy) {
		if names != nil {
			if gk, ok := names.groupKey(k); ok {
				q.Keys = append(q.Keys, gk)
				continue
			}
		}
		gk, err := model.ParseGroupKey(k)
		if err != nil {
			return nil, usagef("--group-by: %v", err)
		}
		q.Keys = append(q.Keys, gk)
	}
	if len(q.Keys) > 4 {
		return nil, usagef("--group-by: at most 4 keys")
	}
	if metrics == "" {
		metrics = "count,bytes,packets"
	}
	for _, m := range splitList(metrics) {
		mt, err := model.ParseMetric(m)
		if err != nil {
			return nil, usagef("--metrics: %v", err)
		}
		q.Metrics = append(q.Metrics, mt)
	}
	if sortBy != "" {
		mt, err := model.ParseMetric(sortBy)
		if err != nil {
			return nil, usagef("--sort: %v", err)
		}
		q.Sort = -1
		for i, m := range q.Metrics {
			if m.Name == mt.Name {
				q.Sort = i
			}
		}
		if q.Sort < 0 {
			q.Metrics = append(q.Metrics, mt)
			q.Sort = len(q.Metrics) - 1
		}
	}
	q.Top = top
	return &q, nil
}

// splitList splits a comma list, keeping commas inside parentheses.
func splitList(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				if p := strings.TrimSpace(s[start:i]); p != "" {
					out = append(out, p)
				}
				start = i + 1
			}
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// followQuery streams matching records (or refreshed group tables) while
// the sources run, until ctx ends or every source has finished.
func followQuery(ctx context.Context, ix *model.Index, mux *source.Mux, f *filter.Filter, grp *grouping, out string, interval time.Duration, limit int, w *bufio.Writer, stderr io.Writer, nm *naming, cov *coverage, st *stateFile) error {
	var sel *model.Selection
	var printed uint64
	count := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var latest *model.Snapshot
	first := true
	var saveTick <-chan time.Time // with --state: output waiting for a save
	if st != nil {
		first = !st.existed // the output goes on where the last run left it
		t := time.NewTicker(stateEvery)
		defer t.Stop()
		saveTick = t.C
		defer func() { st.flushSave(w, printed) }() // what was printed last
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-saveTick:
			if st.due(w) {
				if err := st.flushSave(w, printed); err != nil {
					return err
				}
			}
			continue
		case <-mux.Done():
			// print what the last publication brought, then stop
			latest = ix.Snapshot()
		case snap := <-mux.Updates():
			latest = snap
			reportFormats(stderr, ix, snap)
		case <-tick.C:
			if nm.refresh() && f.UsesNames() {
				f, sel = nm.bind(f), nil // names changed: select again from the start
			}
			if grp != nil && latest != nil {
				snap := latest
				if err := cov.printAnswer(w, out, snap, func() *model.Selection { sel = f.Eval(snap, sel); return sel }, *grp, true); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
				cov.warnFollow(stderr, snap)
			}
			continue
		}
		if latest == nil {
			continue
		}
		if grp == nil {
			if latest.First > printed {
				// Evicted before they were printed: the output fell
				// behind the sources by more than --max-memory holds.
				cov.gap(latest.First - printed)
				printed = latest.First
				cov.warnFollow(stderr, latest)
			}
			sel = f.Eval(latest, sel)
			remaining := 0 // no limit
			if limit > 0 {
				remaining = limit - count
			}
			if st != nil {
				// Print up to each point a position was saved for, and
				// save when the output has waited long enough.
				for _, b := range append(st.bounds(printed, latest.End), latest.End) {
					if b <= printed {
						continue
					}
					if _, err := printRange(w, out, latest, sel, printed, b, 0, first, nm.namer); err != nil {
						return err
					}
					first, printed = false, b
					if st.due(w) {
						if err := st.flushSave(w, printed); err != nil {
							return err
						}
					}
				}
				mux.Hold(printed)
			} else {
				n, err := printNew(w, out, latest, sel, printed, remaining, first, nm.namer)
				if err != nil {
					return err
				}
				first = false
				count += n
				printed = latest.End
				mux.Hold(printed)
				if err := w.Flush(); err != nil {
					return err
				}
				if limit > 0 && count >= limit {
					return nil
				}
			}
		}
		select {
		case <-mux.Done():
			if grp != nil {
				snap := ix.Snapshot()
				return cov.printAnswer(w, out, snap, func() *model.Selection { return f.Eval(snap, sel) }, *grp, false)
			}
			if ix.Snapshot().End == printed {
				return nil
			}
		default:
		}
	}
}

// reportBad writes the bad-line counts of every source to stderr.
func reportBad(w io.Writer, snap *model.Snapshot) {
	if snap == nil {
		return
	}
	for _, st := range snap.Sources {
		total := st.BadTotal()
		if total == 0 {
			continue
		}
		var parts []string
		for r := model.Reason(1); r < model.NumReasons; r++ {
			if st.Bad[r] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", st.Bad[r], r))
			}
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "flowlens: %s: %d bad line(s) skipped (%s)\n", model.Sanitize(st.Name), total, strings.Join(parts, ", "))
		for i, s := range st.Samples {
			if i == 3 {
				break
			}
			fmt.Fprintf(w, "  %s\n", model.Sanitize(s.Error()))
		}
	}
}

// sourceFailures turns failed sources into one runtime error.
func sourceFailures(sts []source.Status) error {
	var msgs []string
	for _, st := range sts {
		if st.State == source.StateFailed {
			msgs = append(msgs, fmt.Sprintf("%s: %s", st.Name, st.Reason))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func isBrokenPipe(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "broken pipe") || err == syscall.EPIPE)
}
