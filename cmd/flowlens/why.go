package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/source"
)

// whyFlags are the flags of `flowlens why`.
type whyFlags struct {
	common
	port   int
	proto  string
	output string
}

func runWhy(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var q whyFlags
	fs := flag.NewFlagSet("why", flag.ContinueOnError)
	q.register(fs)
	fs.IntVar(&q.port, "port", -1, "the destination `port` on B (default: any)")
	fs.StringVar(&q.proto, "protocol", "", "tcp, udp, icmp or a number (`name`; default: any)")
	fs.StringVar(&q.output, "output", "", "json or text (`format`; default: text on a terminal, else json)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("why: want two addresses, A and B, then SOURCE...")
	}
	var addrs [2]netip.Addr
	for i := range addrs {
		a, err := netip.ParseAddr(pos[i])
		if err != nil {
			return usagef("why: %q is not an IP address", pos[i])
		}
		addrs[i] = a.Unmap()
	}
	specs := pos[2:]
	if len(specs) == 0 {
		return usagef("why: no SOURCE given (a file, a glob, a directory, -, s3://..., cloudwatch://..., demo)")
	}
	if q.port < -1 || q.port > 65535 {
		return usagef("--port %d: want 0-65535", q.port)
	}
	var proto uint8
	if q.proto != "" {
		p, ok := model.ProtocolNumber(q.proto)
		if !ok {
			return usagef("--protocol %q: want tcp, udp, icmp or a number", q.proto)
		}
		proto = p
	}
	out := q.output
	if out == "" {
		out = "json"
		if isTerminal(stdout) {
			out = "text"
		}
	}
	if out != "json" && out != "text" {
		return usagef("--output %q: want json or text", out)
	}
	if q.follow {
		return usagef("why reads what is there and answers: --follow does not apply")
	}
	now := time.Now()
	opts, err := q.sourceOptions(false, now)
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
	nm, err := q.naming(specs, opts)
	if err != nil {
		return err
	}
	srcs, logf, closeLog, openErr := openLogged(q.debugLog, specs, &opts, stdin, stderr)
	defer closeLog()
	if len(srcs) == 0 {
		return openErr
	}
	ctx, intr, stop := watchSignals(baseContext(), os.Exit)
	defer stop()
	ix := model.NewIndex(mem.Index)
	defer limitMemory(mem)()
	mux := source.NewMux(ix, srcs, source.MuxOptions{DefaultFormat: opts.Format, Logf: logf})
	intr.watch(mux.Statuses)
	runErr := make(chan error, 1)
	go func() { runErr <- mux.Run(ctx) }()
	select {
	case <-mux.Done():
	case <-ctx.Done():
	}
	stop()
	<-runErr
	snap := ix.Snapshot()
	sts := mux.Statuses()
	logStatuses(logf, sts)
	reportBad(stderr, snap)
	reportCounters(stderr, sts)
	if sig, running := intr.signal(); sig != nil {
		return interrupted(sig, running, mux.Stats().Records, false)
	}
	if err := sourceFailures(sts); err != nil {
		return err
	}
	w, err := detect.Diagnose(snap, detect.WhyQuery{Src: addrs[0], Dst: addrs[1], Port: q.port, Proto: proto, Scope: scope.Node()})
	if err != nil {
		return err
	}
	if w.Partial != "" {
		fmt.Fprintf(stderr, "flowlens: %s\n", w.Partial)
	}
	addRules(baseContext(), nm, w, stderr)
	if out == "json" {
		b, err := json.MarshalIndent(w, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
	} else {
		_, err = io.WriteString(stdout, sanitizeLines(w.Report(78)))
	}
	if err == nil && openErr != nil {
		return &exitError{code: 1, msg: "some sources could not be opened (see above); the verdict covers the others"}
	}
	return err
}

// sanitizeLines sanitises each line of a multi-line text for the
// terminal, keeping its line breaks.
func sanitizeLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		nl := strings.HasSuffix(l, "\n")
		lines[i] = model.Sanitize(strings.TrimSuffix(l, "\n"))
		if nl {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}
