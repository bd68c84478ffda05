package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/tui"
)

// runTUI opens the interactive explorer over the given sources ("demo" is
// one): `flowlens demo [--rate N] [--seed N]` and `flowlens [flags]
// SOURCE...`. The TUI follows its sources unless --no-follow is given.
func runTUI(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c common
	name := "flowlens"
	if len(args) > 0 && args[0] == "demo" {
		name = "demo" // flowlens demo --help: the demo's own usage
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.register(fs)
	var refresh time.Duration
	fs.DurationVar(&refresh, "refresh", 0, "redraw what new data changes at most this often (default 1s, 2s when SSH_CONNECTION is set); keys always answer at once")
	specs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if refresh < 0 {
		return usagef("--refresh must not be negative")
	}
	if len(specs) == 0 {
		return usagef("no SOURCE given; try 'flowlens demo' or 'flowlens help'")
	}
	if !isTerminal(stdout) {
		return usagef("the explorer needs a terminal; for scripts use 'flowlens query %s'", strings.Join(specs, " "))
	}
	now := time.Now()
	follow := !c.noFollow
	opts, err := c.sourceOptions(follow, now)
	if err != nil {
		return err
	}
	if _, err := compileFilter(c.filter, opts.Since, opts.Until, now); err != nil {
		return err
	}
	mem, err := c.budget()
	if err != nil {
		return err
	}
	srcs, logf, closeLog, err := openLogged(c.debugLog, specs, &opts, stdin, stderr)
	defer closeLog()
	if len(srcs) == 0 {
		return err
	}
	ix := model.NewIndex(mem.Index)
	defer limitMemory(mem)()
	if opts.Format != nil {
		ix.SetDefaultFormat(opts.Format)
	}
	mux := source.NewMux(ix, srcs, source.MuxOptions{DefaultFormat: opts.Format, Logf: logf})
	nm, err := c.naming(specs, opts)
	if err != nil {
		return err
	}
	// SIGINT, SIGTERM and SIGHUP (the SSH link or the tmux pane gone) end
	// the explorer, which restores the terminal, and the exit status
	// says which came (128 + its number).
	ctx, intr, stop := watchSignals(baseContext(), os.Exit, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if nm.en != nil {
		// EC2 names arrive while the explorer runs; failures (an
		// AccessDenied naming the IAM action) go to the debug log.
		go nm.en.Run(ctx, ix)
	}
	var feed tui.Feed = mux
	if nm.en != nil {
		feed = namedFeed{Mux: mux, en: nm.en}
	}
	remote, err := c.engine.forTUI(specs, opts) // engine.go: R
	if err != nil {
		return err
	}
	tc := tui.Config{
		Index:   ix,
		Feed:    feed,
		Names:   nm.store,
		Filter:  c.filter,
		Since:   opts.Since,
		Until:   opts.Until,
		Follow:  true,
		Title:   strings.Join(specs, " "),
		Logf:    logf,
		Remote:  remote,
		Refresh: refresh,
		Memory:  mem,
	}
	if nm.en != nil {
		// w lists the rules of the pair asked about, looked up in EC2
		// (the same evaluation as `flowlens why`).
		tc.Rules = func(ctx context.Context, q vpc.Query) (*vpc.Config, error) {
			return nm.en.Rules(ctx, q.Src, q.Dst, q.SrcInterface, q.DstInterface)
		}
	}
	err = tui.Run(ctx, tc)
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	if sig, _ := intr.signal(); sig != nil {
		return &exitError{code: signalStatus(sig), msg: "interrupted by " + signalName(sig)}
	}
	return nil
}
