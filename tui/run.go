package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Run runs the explorer on the terminal until the user quits or ctx
// ends, and restores the terminal in every case, a panic in any goroutine
// included. It catches no signals: the caller ends ctx on them
// (cmd/flowlens does on SIGINT, SIGTERM and SIGHUP, and exits 128+n). It
// starts cfg.Feed and stops it on the way out. With NO_COLOR set the
// screen uses text attributes only.
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
	if isTerminal(os.Stdout) {
		// The mouse wheel scrolls the tables without the program taking
		// the mouse: in alternate scroll mode the terminal (xterm, VTE,
		// iTerm2, kitty, Windows Terminal; tmux passes it on) sends the
		// wheel as up and down keys while the alternate screen is shown,
		// and selecting text with the mouse keeps working as usual.
		os.Stdout.WriteString(altScrollOn)
		defer os.Stdout.WriteString(altScrollOff)
	}
	return run(ctx, cfg, tea.WithAltScreen(), tea.WithoutSignalHandler())
}

// altScrollOn and altScrollOff set and reset the terminal's alternate
// scroll mode (DECSET 1007): the mouse wheel as cursor keys on the
// alternate screen.
const (
	altScrollOn  = "\x1b[?1007h"
	altScrollOff = "\x1b[?1007l"
)

// run is Run on any input and output (tests give buffers).
func run(ctx context.Context, cfg Config, opts ...tea.ProgramOption) error {
	m, err := newRootModel(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := tea.NewProgram(newPaced(m, m, refreshFor(cfg.Refresh, os.Getenv)), append(opts, tea.WithContext(ctx))...)

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
	if fm, ok := final.(*paced); ok && fm.root.err != nil {
		return fm.root.err
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
