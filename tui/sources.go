package tui

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// sourcesView shows every source: its state, counters, lag, API calls with
// retries and throttles, recent errors, and the bad lines it delivered
// with their reasons and a few samples.
type sourcesView struct {
	viewBase
	statuses []source.Status
	offset   int
}

// newSources returns the Sources view.
func newSources(e *env) *sourcesView { return &sourcesView{viewBase: viewBase{env: e}} }

// Update takes in statuses and scrolls.
func (v *sourcesView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case statusMsg:
		v.statuses = msg.statuses
	case tea.KeyMsg:
		n := len(v.lines())
		v.offset = scroll(v.env.keys, msg, v.offset, v.h, max(0, n-v.h))
	}
	return nil
}

// View renders exactly h lines of w cells.
func (v *sourcesView) View() string {
	return scrolledLines(v.lines(), v.offset, v.w, v.h)
}

// lines renders the memory account, then the sources.
func (v *sourcesView) lines() []string {
	lines := append(memoryLines(v.env.theme, v.env, v.env.snap, v.w), "")
	return append(lines, sourceLines(v.env.theme, v.statuses, v.env.snap, v.env.now())...)
}

// sourceLines renders the sources: one block per source (state line,
// counters, bad lines by reason, samples, errors). Text from sources and
// logs is sanitized.
func sourceLines(t *Theme, statuses []source.Status, snap *model.Snapshot, now time.Time) []string {
	var out []string
	stats := map[string]*model.SourceStats{}
	if snap != nil {
		for i := range snap.Sources {
			stats[snap.Sources[i].Name] = &snap.Sources[i]
		}
	}
	if len(statuses) == 0 {
		return []string{t.Muted.Render(" waiting for the first status report…")}
	}
	for n, st := range statuses {
		if n > 0 {
			out = append(out, "")
		}
		state := st.State.String()
		switch st.State {
		case source.StateFailed:
			state = t.Error.Render(state)
		case source.StateDegraded, source.StateWaiting:
			state = t.Warn.Render(state)
		default:
			state = t.Valid.Render(state)
		}
		head := " " + t.Header.Render(model.Sanitize(st.Name)) + "  " + t.Muted.Render(model.Sanitize(st.Kind)) + "  " + state
		if st.Reason != "" {
			head += ": " + model.Sanitize(st.Reason)
		}
		if lag := lagNow(st, now); lag > 0 {
			head += "  lag " + lag.Round(time.Second).String()
		}
		out = append(out, head)
		ss := stats[st.Name]
		var records, bad uint64
		if ss != nil {
			records, bad = ss.Records, ss.BadTotal()
		}
		// Bytes are the text read (after any decompression); BytesTotal
		// what is stored (gzip files as they are): not one the other's
		// part, so each has its own label.
		line := "   " + kv(t, "lines", model.HumanCount(st.Lines)) + kv(t, "records", model.HumanCount(records)) +
			kv(t, "text read", model.HumanBytes(st.Bytes))
		if st.Objects > 0 {
			line += kv(t, objectsLabel(st.Kind), strconv.Itoa(st.ObjectsDone)+"/"+strconv.Itoa(st.Objects))
		}
		if st.BytesTotal > 0 {
			line += kv(t, "stored", model.HumanBytes(uint64(st.BytesTotal)))
		}
		out = append(out, line)
		line = "   " + kv(t, "bad", model.HumanCount(bad)) + kv(t, "dropped", model.HumanCount(st.Dropped)) +
			kv(t, "calls", model.HumanCount(st.Calls)) + kv(t, "retries", model.HumanCount(st.Retries)) +
			kv(t, "throttled", model.HumanCount(st.Throttles)) + kv(t, "errors", strconv.Itoa(len(st.Errors)))
		out = append(out, line)
		// the source's own counters, a few to a line, then its notes
		for i := 0; i < len(st.Counters); i += 4 {
			line = "  "
			for _, c := range st.Counters[i:min(i+4, len(st.Counters))] {
				line += " " + kv(t, model.Sanitize(c.Name), model.HumanCount(c.Value))
			}
			out = append(out, line)
		}
		for _, s := range st.Info {
			for i, line := range wrapWords(model.Sanitize(s), 76) {
				if i > 0 {
					line = "  " + line
				}
				out = append(out, "   "+line)
			}
		}
		if st.Current != "" {
			out = append(out, "   "+t.Label.Render("reading")+" "+model.Sanitize(st.Current))
		}
		if ss != nil {
			out = append(out, formatNotes(t, ss)...)
		}
		if ss != nil && bad > 0 {
			out = append(out, "   "+t.Warn.Render("bad lines by reason:")+" "+badReasons(ss))
			for i := len(ss.Samples) - 1; i >= 0 && i >= len(ss.Samples)-5; i-- {
				out = append(out, "     "+t.Muted.Render(model.Sanitize(ss.Samples[i].Error())))
			}
		}
		if st.Dropped > 0 {
			out = append(out, "   "+t.Warn.Render("dropped by reason:")+" "+dropReasons(st))
			// the first drops' notes (where, how long, what was lost), as
			// query prints them on stderr
			for _, s := range st.DropSamples {
				for i, line := range wrapWords(model.Sanitize(s), 74) {
					if i > 0 {
						line = "  " + line
					}
					out = append(out, "     "+t.Muted.Render(line))
				}
			}
		}
		for _, e := range st.Errors {
			out = append(out, "   "+t.Error.Render("error")+" "+model.Sanitize(e))
		}
	}
	// Sources that the index knows but the feed does not report (none
	// today; kept so nothing delivered is ever hidden).
	known := map[string]bool{}
	for _, st := range statuses {
		known[st.Name] = true
	}
	var extra []string
	for name := range stats {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		ss := stats[name]
		out = append(out, "", " "+t.Header.Render(model.Sanitize(name))+"  "+kv(t, "records", model.HumanCount(ss.Records))+kv(t, "bad", model.HumanCount(ss.BadTotal())))
	}
	return out
}

// objectsLabel names what a source's Objects count: files, S3 objects,
// CloudWatch log streams.
func objectsLabel(kind string) string {
	switch kind {
	case "file":
		return "files"
	case "cloudwatch":
		return "streams"
	}
	return "objects"
}

// lagNow is how far behind the newest data a source is now: its lag
// when it last reported, plus the time since, while it follows or waits
// (no news is the lag growing); as reported otherwise.
func lagNow(st source.Status, now time.Time) time.Duration {
	if st.Lag <= 0 {
		return 0
	}
	if (st.State == source.StateFollowing || st.State == source.StateWaiting) && !st.Updated.IsZero() && now.After(st.Updated) {
		return st.Lag + now.Sub(st.Updated)
	}
	return st.Lag
}

// formatNotes renders what format inference made of the source's
// headerless objects, wrapped to fit 80 columns (the reasons are long).
func formatNotes(t *Theme, ss *model.SourceStats) []string {
	var out []string
	for _, n := range ss.Formats {
		label := t.Label.Render("format")
		if n.Format == nil {
			label = t.Warn.Render("format")
		}
		text := n.Desc
		switch {
		case n.Objects > 1:
			text += " (" + strconv.Itoa(n.Objects) + " objects, the first " + n.Object + ")"
		case n.Object != "" && n.Object != ss.Name:
			text = n.Object + ": " + text
		}
		for i, line := range wrapWords(model.Sanitize(text), 68) {
			if i == 0 {
				out = append(out, "   "+label+" "+line)
			} else {
				out = append(out, "          "+line)
			}
		}
	}
	return out
}

// wrapWords cuts s into lines of at most w bytes at spaces (a longer word
// gets a line of its own).
func wrapWords(s string, w int) []string {
	var lines []string
	for len(s) > w {
		cut := strings.LastIndexByte(s[:w+1], ' ')
		if cut <= 0 {
			cut = strings.IndexByte(s, ' ')
			if cut < 0 {
				break
			}
		}
		lines = append(lines, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	return append(lines, s)
}

// kv renders "label value  ".
func kv(t *Theme, label, value string) string {
	return t.Label.Render(label) + " " + value + "  "
}

// badReasons lists bad-line counts by reason, largest first.
func badReasons(ss *model.SourceStats) string {
	type rc struct {
		r model.Reason
		n uint64
	}
	var rs []rc
	for r := model.Reason(1); r < model.NumReasons; r++ {
		if ss.Bad[r] > 0 {
			rs = append(rs, rc{r, ss.Bad[r]})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].n > rs[j].n })
	parts := make([]string, len(rs))
	for i, x := range rs {
		parts[i] = strconv.FormatUint(x.n, 10) + " " + x.r.String()
	}
	return strings.Join(parts, ", ")
}

// dropReasons lists a source's dropped lines by reason (over-long,
// lost in a truncation, possible loss, ...); the notes of the drops are
// among its errors.
func dropReasons(st source.Status) string {
	var parts []string
	for r := source.DropReason(0); r < source.NumDropReasons; r++ {
		if st.Drops[r] > 0 {
			parts = append(parts, strconv.FormatUint(st.Drops[r], 10)+" "+r.String())
		}
	}
	return strings.Join(parts, ", ")
}

// ShortHelp lists the view's keys.
func (v *sourcesView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Flows, k.Up, k.Down, k.Filter}
}

// FullHelp lists the view's keys.
func (v *sourcesView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}}
}
