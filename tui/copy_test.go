package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestCopySequence(t *testing.T) {
	plain := "\x1b]52;c;aGk=\a"
	if got := copySequence("hi", ""); got != plain {
		t.Errorf("plain: %q", got)
	}
	if got := copySequence("hi", "tmux"); got != plain+"\x1bPtmux;\x1b\x1b]52;c;aGk=\a\x1b\\" {
		t.Errorf("tmux: %q", got)
	}
	if got := copySequence("hi", "screen"); !strings.HasPrefix(got, "\x1bP\x1b]52;c;aGk=\a") {
		t.Errorf("screen: %q", got)
	}
	env := map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}
	if got := multiplexer(func(k string) string { return env[k] }); got != "tmux" {
		t.Errorf("multiplexer with $TMUX = %q", got)
	}
	if got := multiplexer(func(string) string { return "" }); got != "" {
		t.Errorf("multiplexer = %q", got)
	}
	// The sequence is zero-width: the last line still fits the screen.
	if n := ansi.StringWidth("abc" + copySequence("hi", "tmux")); n != 3 {
		t.Errorf("width with the sequence: %d", n)
	}
}
