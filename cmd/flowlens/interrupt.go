package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// exitError ends a command with a given exit status. Its message, when
// not empty, is complete and printed as is after "flowlens: ".
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// interrupt turns SIGINT and SIGTERM into the cancellation of a context
// and remembers which signal came, so that the command can exit 130 or
// 143 (128 + the signal number) and say what it stopped. A second signal
// exits at once: a user pressing Ctrl-C twice wants out, even if a source
// is slow to let go.
type interrupt struct {
	mu      sync.Mutex
	sig     os.Signal
	probe   func() []source.Status // what is running, asked at the signal
	running []source.Status        // its answer then
}

// watch sets how to learn what was running when a signal came: the
// sources' statuses at that moment, before they wind down.
func (in *interrupt) watch(probe func() []source.Status) {
	in.mu.Lock()
	in.probe = probe
	in.mu.Unlock()
}

// watchSignals returns a context that ends on the first of sigs (SIGINT
// and SIGTERM when none are given; the explorer adds SIGHUP) or with
// parent, the interrupt that records it, and a stop function that
// restores the default signal handling.
func watchSignals(parent context.Context, hardExit func(code int), sigs ...os.Signal) (context.Context, *interrupt, func()) {
	ctx, cancel := context.WithCancel(parent)
	in := &interrupt{}
	ch := make(chan os.Signal, 2)
	if len(sigs) == 0 {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	signal.Notify(ch, sigs...)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case s := <-ch:
				in.mu.Lock()
				first := in.sig == nil
				if first {
					in.sig = s
					if in.probe != nil {
						in.running = in.probe()
					}
				}
				in.mu.Unlock()
				if !first {
					fmt.Fprintln(os.Stderr, "flowlens: interrupted again: exiting now")
					hardExit(signalStatus(s))
					return
				}
				cancel()
			case <-quit:
				return
			}
		}
	})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
			wg.Wait()
			cancel()
		})
	}
	return ctx, in, stop
}

// signal returns the signal that interrupted the command, or nil, and
// the sources' statuses at that moment.
func (in *interrupt) signal() (os.Signal, []source.Status) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.sig, in.running
}

// signalStatus is the conventional exit status of a command ended by s:
// 128 + its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func signalStatus(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}

// signalName spells s as users know it.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// interrupted is the error of a command stopped by a signal: it says
// which signal, what was still running then (the sources that had not
// finished, each with what it was doing) and what the output covers. A
// cron job that is killed must never look like one that found nothing.
func interrupted(s os.Signal, sts []source.Status, records uint64, follow bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "interrupted by %s", signalName(s))
	var running []string
	for _, st := range sts {
		if st.State == source.StateDone || st.State == source.StateFailed {
			continue
		}
		what := model.Sanitize(st.Name) + " (" + st.State.String()
		if st.Reason != "" {
			what += ": " + model.Sanitize(st.Reason)
		}
		if st.Current != "" && st.Current != st.Name {
			what += "; at " + model.Sanitize(st.Current)
		}
		if st.Objects > 1 {
			what += fmt.Sprintf("; %d of %d objects done", st.ObjectsDone, st.Objects)
		}
		running = append(running, what+")")
	}
	if len(running) > 0 {
		b.WriteString(" while reading " + strings.Join(running, ", "))
	}
	if follow {
		fmt.Fprintf(&b, "; %s records read", groupDigits(records))
	} else {
		fmt.Fprintf(&b, "; the output covers only the %s records read before it", groupDigits(records))
	}
	return &exitError{code: signalStatus(s), msg: b.String()}
}

// groupDigits writes n with thousands separators (10,000,000), as the
// notices on stderr do, so big counts are read right at a glance.
func groupDigits(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
