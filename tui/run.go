package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Run runs the explorer on the terminal until the user quits, ctx ends,
// or SIGTERM or SIGHUP arrives, and restores the terminal in every case,
// a panic in any goroutine included. It starts cfg.Feed and stops it on
// the way out. With NO_COLOR set the screen uses text attributes only.
func Run(ctx context.Context, cfg Config) error {
	if os.Getenv("NO_COLOR") != "" {
		cfg.NoColor = true
	}
	if cfg.Multiplexer == "" {
		cfg.Multiplexer = multiplexer(os.Getenv)
	}
	if cfg.NoColor && lipgloss.ColorProfile() == termenv.Ascii && isTerminal(os.Stdout) {
		// termenv reads NO_COLOR as "no styling at all"; keep bold and
		// reverse video, which NO_COLOR allows and the cursor row needs.
		lipgloss.SetColorProfile(termenv.ANSI)
	}
	return run(ctx, cfg, tea.WithAltScreen())
}

// run is Run on any input and output (tests give buffers).
func run(ctx context.Context, cfg Config, opts ...tea.ProgramOption) error {
	m, err := newRootModel(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := tea.NewProgram(m, append(opts, tea.WithContext(ctx))...)

	fail := func(what string, r any) {
		err := fmt.Errorf("panic in %s: %v", what, r)
		m.env.debugf("%v\n%s", err, debug.Stack())
		go p.Send(fatalMsg{err: err})
	}
	feedDone := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				fail("ingest", r)
				feedDone <- fmt.Errorf("ingest: %v", r)
			}
		}()
		feedDone <- cfg.Feed.Run(ctx)
	}()

	// Bubble Tea handles SIGINT and SIGTERM; a hang-up (SSH gone, tmux
	// pane killed) must also restore the terminal on the way out.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				fail("signal handler", r)
			}
		}()
		select {
		case <-hup:
			p.Quit()
		case <-ctx.Done():
		}
	}()

	final, runErr := p.Run()
	cancel()
	select {
	case err := <-feedDone:
		if err != nil {
			m.env.debugf("feed: %v", err)
		}
	case <-time.After(2 * time.Second):
		m.env.debugf("feed: still stopping after 2s; leaving it")
	}
	if fm, ok := final.(*rootModel); ok && fm.err != nil {
		return fm.err
	}
	if errors.Is(runErr, tea.ErrProgramKilled) && !errors.Is(runErr, tea.ErrProgramPanic) {
		return nil // ctx ended: a normal way out
	}
	return runErr
}

// isTerminal reports whether f is a character device.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
