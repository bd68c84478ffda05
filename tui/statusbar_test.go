package tui

import (
	"testing"
)

func TestSparkline(t *testing.T) {
	if got := sparkline([]uint64{0, 1, 50, 100}); got != " ▂▅█" {
		t.Errorf("sparkline = %q", got)
	}
	if got := sparkline([]uint64{0, 0}); got != "  " {
		t.Errorf("empty sparkline = %q", got)
	}
}
