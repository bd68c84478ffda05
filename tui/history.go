package tui

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// The filter history persists across runs: one expression a line, oldest
// first, in the user's configuration directory (Config.ConfigDir). It is
// read once before the program starts and written in a command after a
// key added to it, never in Update.

// historyMax is how many expressions the history keeps.
const historyMax = 200

// historyPath returns the history file of dir ("" : os.UserConfigDir's
// flowlens directory; "-": none, and so "").
func historyPath(dir string) string {
	switch dir {
	case "-":
		return ""
	case "":
		d, err := os.UserConfigDir()
		if err != nil {
			return "" // no home to keep it in: the history lasts the run
		}
		dir = filepath.Join(d, "flowlens")
	}
	return filepath.Join(dir, "filter-history")
}

// loadHistory reads the history file; a missing or unreadable one is an
// empty history (the explorer works without it).
func loadHistory(path string) []string {
	var out []string
	readLines(path, func(l string) {
		if l = strings.TrimSpace(l); l != "" && len(l) <= 2048 {
			out = append(out, l)
		}
	})
	if len(out) > historyMax {
		out = out[len(out)-historyMax:]
	}
	return out
}

// historySavedMsg reports a failed save (nil err: saved); the root shows
// a failure once.
type historySavedMsg struct{ err error }

// saveHistoryCmd writes hist (the newest historyMax) to path.
func saveHistoryCmd(path string, hist []string) tea.Cmd {
	if path == "" {
		return nil
	}
	if len(hist) > historyMax {
		hist = hist[len(hist)-historyMax:]
	}
	return writeFileCmd(path, strings.Join(hist, "\n")+"\n")
}

// writeFileCmd writes text to path in a command, whole or not at all (a
// temporary file renamed over it), readable by the user alone: filters
// name hosts.
func writeFileCmd(path, text string) tea.Cmd {
	return func() tea.Msg {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return historySavedMsg{err}
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
		if err != nil {
			return historySavedMsg{err}
		}
		_, err = tmp.WriteString(text)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
		return historySavedMsg{err}
	}
}

// saveCmd returns the command saving the history when it grew since the
// last save (nil: nothing new).
func (v *filterBar) saveCmd() tea.Cmd {
	if v.saved == len(v.history) {
		return nil
	}
	v.saved = len(v.history)
	return saveHistoryCmd(v.path, append([]string(nil), v.history...))
}

// readLines calls fn with each line of the file at path (lines of up to
// 64 KiB); a missing or unreadable file ("" included) has none: the
// explorer's remembered filters are a convenience, never a failure.
func readLines(path string, fn func(string)) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		fn(sc.Text())
	}
}
