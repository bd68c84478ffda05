package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// Copy (y) puts text on the clipboard of the terminal the user sits at,
// through the OSC 52 escape sequence, so it works over SSH. The sequence
// travels in the program's own output (appended, zero-width, to the last
// screen line for a moment) rather than being written behind the
// renderer's back. Inside tmux it is sent twice: plain, which tmux takes
// when set-clipboard is on, and wrapped in tmux's DCS passthrough, which
// reaches the outer terminal when allow-passthrough is on; inside GNU
// screen it is wrapped for screen.

// clipHold is how long a copy sequence stays in the output: long enough
// for the renderer (which draws at most one frame per tick, dropping
// frames in between) to write it at least once.
const clipHold = 1500 * time.Millisecond

// multiplexer names the terminal multiplexer from the environment.
func multiplexer(getenv func(string) string) string {
	switch {
	case getenv("TMUX") != "":
		return "tmux"
	case getenv("STY") != "":
		return "screen"
	}
	return ""
}

// copySequence returns the escape sequences that copy text for the
// multiplexer mux ("tmux", "screen" or "").
func copySequence(text, mux string) string {
	seq := osc52.New(text)
	switch mux {
	case "tmux":
		return seq.String() + seq.Tmux().String()
	case "screen":
		return seq.Screen().String()
	}
	return seq.String()
}

// clipboard holds the copy sequence while it is in the output.
type clipboard struct {
	seq string
	id  int
}

// clipMsg ends the hold of copy number id.
type clipMsg struct{ id int }

// set starts sending seq; the returned command ends the hold.
func (c *clipboard) set(seq string) tea.Cmd {
	c.id++
	c.seq = seq
	id := c.id
	return tea.Tick(clipHold, func(time.Time) tea.Msg { return clipMsg{id: id} })
}

// update ends the hold of the copy it names, if it is the last one.
func (c *clipboard) update(m clipMsg) tea.Cmd {
	if m.id == c.id {
		c.seq = ""
	}
	return nil
}

// copyItem is one thing the copy picker offers, with its text.
type copyItem struct {
	label string
	desc  string
	text  string
}

// recordItems offers global row id row of snap: as JSON and as the
// flow-log line its format writes.
func recordItems(snap *model.Snapshot, row uint64) []copyItem {
	sg, i, found := snap.Locate(row)
	if !found {
		return nil
	}
	return []copyItem{
		{"record as JSON", "the record under the cursor, one JSON object", string(snap.AppendJSON(nil, sg, i))},
		{"record as flow-log line", "the record as its format writes it", recordLine(snap, sg, i)},
	}
}

// copyItems lists what y copies in the active view: the view's own items
// (the record or group under the cursor), then the applied filter in the
// three languages.
func (m *rootModel) copyItems() []copyItem {
	items := m.views[m.active].copyItems()
	if f, expr := m.env.flt, m.env.expr; f != nil {
		table := m.cfg.AthenaTable
		if table == "" {
			table = "vpc_flow_logs"
		}
		shown := expr
		if shown == "" {
			shown = "(none: every record)"
		}
		items = append(items,
			copyItem{"filter (flowlens)", shown, expr},
			copyItem{"filter (Logs Insights)", "a CloudWatch Logs Insights query", f.Insights()},
			copyItem{"filter (Athena SQL)", "a query over the " + table + " table", f.Athena(table)})
	}
	return items
}

// recordLine writes a record's fields separated by spaces, in its
// format's order, as a flow-log line ("-" for absent fields).
func recordLine(snap *model.Snapshot, sg *model.Seg, i int) string {
	f := snap.Format(sg, i)
	parts := make([]string, len(f.Fields))
	for col, fld := range f.Fields {
		switch {
		case fld == model.FieldUnknown:
			parts[col] = snap.ExtraText(sg, i, f.Names[col])
		case snap.Absent(sg, i, fld):
			parts[col] = "-"
		default:
			parts[col] = snap.Text(sg, i, fld)
		}
	}
	return strings.Join(parts, " ")
}

// copyText puts text on the clipboard and confirms it in the status bar.
func (m *rootModel) copyText(what, text string) tea.Cmd {
	m.status.flash("copied "+what+" ("+strconv.Itoa(len(text))+" bytes) to the clipboard (OSC 52)", false)
	return m.clip.set(copySequence(text, m.cfg.Multiplexer))
}
