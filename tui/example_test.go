package tui_test

import (
	"fmt"
	"strings"

	"github.com/flowlens/flowlens/tui"
)

// The README's key table is generated from the one key map.
func ExampleKeyTable() {
	table := tui.KeyTable()
	fmt.Println(strings.Join(strings.Split(table, "\n")[:6], "\n"))
	// Output:
	// | key | action |
	// | --- | --- |
	// | `1` | flows |
	// | `2` | groups |
	// | `3` | chart |
	// | `4` | sources |
}
