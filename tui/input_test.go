package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestLineInput(t *testing.T) {
	keys := DefaultKeyMap()
	in := &lineInput{keys: keys, theme: NewTheme(false), width: 10}
	typeS := func(s string) { in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }
	press := func(k tea.KeyType) { in.Update(tea.KeyMsg{Type: k}) }
	typeS("dstport 22")
	press(tea.KeyCtrlW)
	if in.Value() != "dstport " {
		t.Fatalf("ctrl+w: %q", in.Value())
	}
	typeS("4\x1b[2J43\n")
	if in.Value() != "dstport 4[2J43 " {
		t.Fatalf("control characters not dropped: %q", in.Value())
	}
	press(tea.KeyHome)
	press(tea.KeyCtrlK)
	if in.Value() != "" {
		t.Fatalf("ctrl+k at start: %q", in.Value())
	}
	typeS("action = REJECT and dstport = 22")
	if v := in.View(); width(v) != 10 {
		t.Fatalf("view is %d cells: %q", width(v), v)
	}
	if _, ok := in.Column(0); ok {
		t.Fatal("the start of a scrolled text is reported visible")
	}
	if col, ok := in.Column(len(in.Value())); !ok || col != 9 {
		t.Fatalf("the cursor column = %d, %v", col, ok)
	}
}

// TestSuggestionIsReplaced: a suggested text (the export prompt's file
// name) is kept by enter alone, replaced by typing or pasting, cleared by
// a deletion, and kept for editing once the cursor moves.
func TestSuggestionIsReplaced(t *testing.T) {
	keys := DefaultKeyMap()
	in := &lineInput{keys: keys, theme: NewTheme(false), width: 40}
	for _, c := range []struct {
		name string
		keys []tea.KeyMsg
		want string
	}{
		{"typed", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("/tmp/x.csv")}}, "/tmp/x.csv"},
		{"pasted", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("/tmp/p.csv"), Paste: true}}, "/tmp/p.csv"},
		{"typed after a space", []tea.KeyMsg{{Type: tea.KeySpace}, {Type: tea.KeyRunes, Runes: []rune("y")}}, " y"},
		{"deleted", []tea.KeyMsg{{Type: tea.KeyBackspace}, {Type: tea.KeyRunes, Runes: []rune("z")}}, "z"},
		{"edited after a move", []tea.KeyMsg{{Type: tea.KeyLeft}, {Type: tea.KeyLeft}, {Type: tea.KeyLeft}, {Type: tea.KeyLeft},
			{Type: tea.KeyRunes, Runes: []rune("-1")}}, "flowlens-records-1.csv"},
		{"kept", nil, "flowlens-records.csv"},
	} {
		in.Suggest("flowlens-records.csv")
		for _, k := range c.keys {
			in.Update(k)
		}
		if in.Value() != c.want {
			t.Errorf("%s: %q, want %q", c.name, in.Value(), c.want)
		}
	}
}

// TestPromptKeepsOrReplacesTheName: enter alone confirms the suggested
// file name; a typed path replaces it (it used to be appended to it).
func TestPromptKeepsOrReplacesTheName(t *testing.T) {
	e := &env{theme: NewTheme(false), keys: DefaultKeyMap()}
	p := newPrompt(e)
	p.SetSize(80, 1)
	p.Open("12 records", "flowlens-records-1.csv")
	p.Update(keyEnter)
	if path, ok := p.take(); !ok || path != "flowlens-records-1.csv" {
		t.Errorf("enter alone: %q, %v; want the suggested name", path, ok)
	}
	p.Open("12 records", "flowlens-records-1.csv")
	p.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/tmp/out.jsonl")})
	p.Update(keyEnter)
	if path, ok := p.take(); !ok || path != "/tmp/out.jsonl" {
		t.Errorf("typed a path: %q, %v; want /tmp/out.jsonl", path, ok)
	}
}
