package main

import (
	"log"
	"os"

	"github.com/flowlens/flowlens/source"
)

// openDebugLog opens --debug-log FILE for appending and returns a logger
// for sources and the TUI, and a function that closes the file. With no
// path, logf is nil (logs are discarded) and closing does nothing. Debug
// logs never go to the terminal: the TUI owns it, and a query's stderr
// is for notices a user must read.
func openDebugLog(path string) (logf func(string, ...any), closeLog func(), err error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, usagef("--debug-log: %v", err)
	}
	return log.New(f, "flowlens ", log.LstdFlags|log.Lmicroseconds).Printf, func() { f.Close() }, nil
}

// logStatuses writes each source's final state and counters to the debug
// log: what a user attaches to a bug report.
func logStatuses(logf func(string, ...any), sts []source.Status) {
	if logf == nil {
		return
	}
	for _, st := range sts {
		logf("source %s (%s): %s %s; %d lines, %d bytes, %d records, %d bad, %d dropped, %d calls, %d retries; errors %q",
			st.Name, st.Kind, st.State, st.Reason, st.Lines, st.Bytes, st.Records, st.Bad, st.Dropped, st.Calls, st.Retries, st.Errors)
	}
}
