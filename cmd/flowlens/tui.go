package main

import (
	"io"
)

// runTUI opens the interactive explorer over the given sources (or the
// demo). It is wired up once the tui package lands.
func runTUI(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("no SOURCE given; try 'flowlens demo' or 'flowlens help'")
	}
	return usagef("the interactive TUI is not built yet; use 'flowlens query'")
}
