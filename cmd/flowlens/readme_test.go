package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/tui"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's key table from tui.KeyTable")

const (
	keysBegin = "<!-- keys:begin (generated from tui/keys.go by go test ./cmd/flowlens -update-readme) -->\n"
	keysEnd   = "<!-- keys:end -->"
)

// TestREADMEKeyTable keeps the README's key table equal to the bindings
// declared in tui/keys.go (DESIGN §5: every binding is declared once).
func TestREADMEKeyTable(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, keysBegin), strings.Index(readme, keysEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the key table markers %q ... %q", keysBegin, keysEnd)
	}
	want := tui.KeyTable()
	got := readme[i+len(keysBegin) : j]
	if got == want {
		return
	}
	if *updateReadme {
		if err := os.WriteFile(path, []byte(readme[:i+len(keysBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md key table is out of date; run: go test ./cmd/flowlens -run TestREADMEKeyTable -update-readme")
}
