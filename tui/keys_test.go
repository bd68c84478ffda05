package tui

import (
	"strings"
	"testing"
)

func TestKeyTable(t *testing.T) {
	table := KeyTable()
	for _, want := range []string{"| `/` | filter |", "| `q` | quit |", "| `g` | group key |", "| `+` | zoom in |", "| `f` | follow |", "| `?` | help |"} {
		if !strings.Contains(table, want) {
			t.Errorf("key table lacks %q:\n%s", want, table)
		}
	}
}
