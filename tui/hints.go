package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// The hint line under the status bar: the keys that act where the user
// is, most important first, cut from the least important end when the
// width runs out. The keys that always help (? help, q quit) are never
// cut: at 80 columns a new user must still see how to get help and out.

// hintSep separates two hints.
const hintSep = "  "

// hintLine renders keys, then always, in w cells: disabled bindings are
// left out, and keys are dropped from the end until the rest and always
// fit. When something was dropped an ellipsis says so (the help lists
// everything).
func hintLine(t *Theme, keys, always []key.Binding, w int) string {
	text := func(b key.Binding) string { return b.Help().Key + " " + b.Help().Desc }
	var kept, tail []key.Binding
	for _, b := range always {
		if b.Enabled() {
			tail = append(tail, b)
		}
	}
	for _, b := range keys {
		if b.Enabled() && !contains(tail, b) && !contains(kept, b) {
			kept = append(kept, b)
		}
	}
	used := func(bs []key.Binding, cut bool) int {
		n := 1 // the leading space
		for _, b := range bs {
			n += width(text(b)) + len(hintSep)
		}
		if cut {
			n += width(ellipsis) + len(hintSep)
		}
		return n
	}
	cut := false
	for len(kept) > 0 && used(append(append([]key.Binding(nil), kept...), tail...), cut) > w {
		kept, cut = kept[:len(kept)-1], true
	}
	var b strings.Builder
	b.WriteByte(' ')
	for i, kb := range append(kept, tail...) {
		if i == len(kept) && cut {
			b.WriteString(t.Muted.Render(ellipsis) + hintSep)
		}
		b.WriteString(t.Key.Render(kb.Help().Key) + " " + t.Desc.Render(kb.Help().Desc))
		if i < len(kept)+len(tail)-1 {
			b.WriteString(hintSep)
		}
	}
	return fitLine(b.String(), w)
}

// contains reports whether bs holds a binding with b's help (bindings are
// known by their help, see KeyMap).
func contains(bs []key.Binding, b key.Binding) bool {
	for _, x := range bs {
		if x.Help() == b.Help() {
			return true
		}
	}
	return false
}
