package tui

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// Export (e) writes the current view to a file whose name the user types:
// Flows and Detail write the applied filter's records, Groups every group
// of the current key and metric, Chart the series on screen. The file's
// extension picks the format: .csv, or .jsonl (also .json, .ndjson). The
// writing runs in a command; the status bar confirms the row count or
// names the path and the reason it failed. An export never leaves records
// out without saying so: once --max-memory evicted the oldest records,
// totals and time buckets of whole minutes come from the rollups (exact),
// and anything else is confirmed with what it covers.

// prompt is the one-line input of the export path, drawn in place of the
// key hints. While it is open it takes every key.
type prompt struct {
	env   *env
	w     int
	input lineInput
	label string // what will be exported, e.g. "12,000 records"
	find  bool   // the prompt asks what to find (F), not an export path
	save  string // the prompt asks the name to save this filter under (ctrl+s in the filter bar)

	done *string // the path enter confirmed, for the root to take
}

// newPrompt returns a closed prompt.
func newPrompt(e *env) *prompt {
	return &prompt{env: e, input: lineInput{keys: e.keys, theme: e.theme, limit: 4096}}
}

// SetSize sets the prompt's width.
func (p *prompt) SetSize(w, _ int) {
	p.w = w
	p.input.width = max(1, w-width(p.head())-1)
}

// head is the text before the input.
func (p *prompt) head() string {
	if p.find {
		return " find (" + p.label + "; n next, N previous)> "
	}
	if p.save != "" {
		return " save the filter as (p lists it)> "
	}
	return " export " + p.label + " to> "
}

// Open starts editing for what label names, suggesting path: enter
// alone keeps it, typing replaces it (see lineInput.Suggest).
func (p *prompt) Open(label, path string) {
	p.label, p.find, p.save = label, false, ""
	p.input.Suggest(path)
	p.input.Focus()
	p.SetSize(p.w, 1)
}

// OpenFind starts editing what to find (what says what is typed: a
// filter expression, text), suggesting the last one.
func (p *prompt) OpenFind(last, what string) {
	p.Open(what, last)
	p.find = true
	p.SetSize(p.w, 1)
}

// Focused reports whether the prompt is open.
func (p *prompt) Focused() bool { return p.input.Focused() }

// Update edits, confirms or cancels.
func (p *prompt) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !p.Focused() {
		return nil
	}
	k := p.env.keys
	switch {
	case key.Matches(km, k.Cancel):
		p.input.Blur()
	case key.Matches(km, k.Pick):
		if path := strings.TrimSpace(p.input.Value()); path != "" {
			p.done = &path
			p.input.Blur()
		}
	default:
		p.input.Update(km)
	}
	return nil
}

// take returns the confirmed path, once.
func (p *prompt) take() (string, bool) {
	if p.done == nil {
		return "", false
	}
	path := *p.done
	p.done = nil
	return path, true
}

// View renders the prompt line: w cells.
func (p *prompt) View() string {
	t := p.env.theme
	return fitLine(t.Prompt.Render(p.head())+p.input.View(), p.w)
}

// ShortHelp lists the prompt's keys.
func (p *prompt) ShortHelp() []key.Binding {
	k := p.env.keys
	return []key.Binding{k.Pick, k.Cancel}
}

// FullHelp lists the prompt's keys.
func (p *prompt) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// exportKind is what an export writes.
type exportKind uint8

const (
	exportRecords exportKind = iota
	exportGroups
	exportSeries
)

// exportJob is everything an export needs, captured when it is asked
// for: snapshots and selections are immutable, so the command reads them
// safely while ingest goes on.
type exportJob struct {
	kind  exportKind
	label string // what is written, for the prompt: "12,000 records"
	path  string
	snap  *model.Snapshot
	sel   *model.Selection
	query model.GroupQuery // groups: the query, run again without a top-N cut
	merge bool             // groups: answered by mergeConversations
	names *vpc.Config      // records: names to add (nil: none)
	win   chartWindow      // series
	bkts  []model.Bucket

	flt      *filter.Filter // groups: the applied filter, to tell whether the rollups answer it
	asked    int            // groups: the rows asked about, when fewer (covered) were grouped
	complete bool           // series: from the rollups, which keep evicted rows
	evicted  uint64         // series: rows evicted when it was computed
}

// exportMsg reports an export's end (root: the status bar).
type exportMsg struct {
	path string
	rows int
	note string // what the file leaves out ("": nothing)
	err  error
}

// exportCmd writes the job's file.
func exportCmd(j exportJob) tea.Cmd {
	return func() tea.Msg {
		rows, note, err := writeExport(j)
		return exportMsg{path: j.path, rows: rows, note: note, err: err}
	}
}

// exportFormat returns "csv" or "jsonl" for a path's extension.
func exportFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".jsonl", ".json", ".ndjson":
		return "jsonl", nil
	}
	return "", errors.New("unknown format: name the file .csv or .jsonl")
}

// expandPath turns a leading ~/ into the home directory.
func expandPath(path string) string {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[2:])
		}
	}
	return path
}

// writeExport writes the file and returns the rows written (the header
// not counted) and what they leave out ("" when nothing).
func writeExport(j exportJob) (int, string, error) {
	format, err := exportFormat(j.path)
	if err != nil {
		return 0, "", err
	}
	f, err := os.Create(expandPath(j.path))
	if err != nil {
		return 0, "", unwrapPath(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var rows int
	var note string
	switch j.kind {
	case exportRecords:
		rows, err = writeRecords(w, format, j.snap, j.sel, j.names)
		note = evictedNote(j.snap)
	case exportGroups:
		rows, note, err = writeGroups(w, format, j)
	case exportSeries:
		rows, err = writeSeries(w, format, j.win, j.bkts)
		if !j.complete && j.evicted > 0 {
			note = "partial: the " + model.HumanCount(j.evicted) + " oldest records were evicted (--max-memory) and are not counted"
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return rows, note, unwrapPath(err)
}

// evictedNote says what an answer over snap's rows leaves out: the oldest
// records, evicted to stay under --max-memory ("" when none were).
func evictedNote(snap *model.Snapshot) string {
	if snap == nil || snap.Evicted == 0 {
		return ""
	}
	return "partial: the " + model.HumanCount(snap.Evicted) + " oldest records were evicted (--max-memory); it covers the newest " +
		model.HumanCount(uint64(snap.Rows()))
}

// unwrapPath drops the path from an *os.PathError: the status bar names
// the path itself.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeRecords writes the selected records: CSV with the union of the
// snapshot's columns, or JSONL by the DESIGN §3 contract.
// With names (not empty), records gain interface-name, src-name and
// dst-name as in headless output.
func writeRecords(w io.Writer, format string, snap *model.Snapshot, sel *model.Selection, names *vpc.Config) (int, error) {
	n := 0
	var err error
	var namer *source.Namer // its own: the export runs beside View
	if !names.Empty() {
		namer = source.NewNamer(names)
	}
	if format == "jsonl" {
		var buf []byte
		sel.ForEach(func(sg *model.Seg, i int) bool {
			buf = snap.AppendJSON(buf[:0], sg, i)
			if namer != nil {
				buf = namer.AppendJSON(buf, snap, sg, i)
			}
			buf = append(buf, '\n')
			_, err = w.Write(buf)
			n++
			return err == nil
		})
		return n, err
	}
	cw := csv.NewWriter(w)
	cols := snap.Columns()
	nf := len(cols)
	if namer != nil {
		cols = append(cols, source.NameColumns...)
	}
	if err := cw.Write(cols); err != nil {
		return 0, err
	}
	rec := make([]string, len(cols))
	sel.ForEach(func(sg *model.Seg, i int) bool {
		for c, name := range cols {
			if c >= nf {
				rec[c] = namer.Cell(snap, sg, i, name)
				continue
			}
			rec[c] = snap.Cell(sg, i, name)
		}
		err = cw.Write(rec)
		n++
		return err == nil
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

// writeGroups runs the job's question without a top-N cut and writes
// every group: CSV with the key and metric names as header, or JSONL.
// After eviction, a question the rollups hold (totals or time buckets
// of whole minutes, a filter on the action alone) is answered from them
// in full; any other says what it covers.
func writeGroups(w io.Writer, format string, j exportJob) (int, string, error) {
	q := j.query
	q.Top = 0
	var res *model.GroupResult
	note := ""
	if j.snap != nil && j.snap.Evicted > 0 {
		if acts, ok := j.flt.Actions(); ok && !j.merge { // the rollups count each direction and interface
			res, _ = model.GroupRollups(j.snap, q, acts)
		}
		if res == nil {
			note = evictedNote(j.snap)
		}
	}
	if res == nil {
		var err error
		if j.merge {
			res, _, err = mergeConversations(j.snap, j.sel, q, 0)
		} else {
			res, err = model.Group(j.snap, j.sel, q)
		}
		if err != nil {
			return 0, "", err
		}
		if j.sel != nil && j.asked > j.sel.Count {
			// memory for grouping ran short: the newest rows that fit
			if note != "" {
				note += "; "
			}
			note += "partial: grouped the newest " + model.HumanCount(uint64(j.sel.Count)) + " of " +
				model.HumanCount(uint64(j.asked)) + " matching records (memory: see 4)"
		}
	}
	if format == "jsonl" {
		var buf []byte
		for _, r := range res.Rows {
			buf = append(model.AppendGroupJSON(buf[:0], q, r), '\n')
			if _, err := w.Write(buf); err != nil {
				return 0, "", err
			}
		}
		return len(res.Rows), note, nil
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(model.GroupHeader(q)); err != nil {
		return 0, "", err
	}
	for _, r := range res.Rows {
		if err := cw.Write(model.GroupCells(q, r)); err != nil {
			return 0, "", err
		}
	}
	cw.Flush()
	return len(res.Rows), note, cw.Error()
}

// seriesColumns are the columns of a series export.
var seriesColumns = []string{"start", "bucket_seconds",
	"accept_flows", "accept_packets", "accept_bytes",
	"reject_flows", "reject_packets", "reject_bytes",
	"other_flows", "other_packets", "other_bytes"}

// writeSeries writes every bucket of the window, empty ones included,
// oldest first.
func writeSeries(w io.Writer, format string, win chartWindow, bkts []model.Bucket) (int, error) {
	byStart := make(map[int64]model.Bucket, len(bkts))
	for _, b := range bkts {
		byStart[b.Start] = b
	}
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write(seriesColumns); err != nil {
			return 0, err
		}
	}
	n := 0
	vals := make([]string, len(seriesColumns))
	for t := win.from; t < win.to; t += win.bucket {
		b := byStart[t]
		vals[0] = model.FormatUnix(t)
		vals[1] = strconv.FormatInt(win.bucket, 10)
		for k, a := range []model.Action{model.ActionAccept, model.ActionReject, 0} {
			r := b.ByAction[a]
			vals[2+3*k] = strconv.FormatUint(r.Flows, 10)
			vals[3+3*k] = strconv.FormatUint(r.Packets, 10)
			vals[4+3*k] = strconv.FormatUint(r.Bytes, 10)
		}
		var err error
		if cw != nil {
			err = cw.Write(vals)
		} else {
			var line []byte
			line = append(line, '{')
			for i, c := range seriesColumns {
				if i > 0 {
					line = append(line, ',')
				}
				line = model.AppendJSONString(line, c)
				line = append(line, ':')
				if i == 0 {
					line = model.AppendJSONString(line, vals[i])
				} else {
					line = append(line, vals[i]...)
				}
			}
			_, err = w.Write(append(line, '}', '\n'))
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if cw != nil {
		cw.Flush()
		return n, cw.Error()
	}
	return n, nil
}

// recordsJob writes the applied filter's records (Flows, and Detail
// over it).
func recordsJob(e *env) (exportJob, bool) {
	// While a new filter's selection is on its way, sel is the old
	// filter's: exporting it would label the old rows with the new filter.
	if e.sel == nil || e.selSnap == nil || e.pending {
		return exportJob{}, false
	}
	return exportJob{kind: exportRecords, label: itoa(e.sel.Count) + " records", snap: e.selSnap, sel: e.sel, names: e.names.Load()}, true
}

// openExport opens the path prompt with a default name for the view.
func (m *rootModel) openExport() {
	j, ok := m.views[m.tabOf()].exportJob()
	if !ok {
		if m.env.pending {
			m.status.flash("the filter's rows are still being selected: export once they are shown", true)
		} else {
			m.status.flash("nothing to export in this view yet", true)
		}
		return
	}
	name := map[exportKind]string{exportRecords: "records", exportGroups: "groups", exportSeries: "series"}[j.kind]
	m.prompt.Open(j.label, "flowlens-"+name+"-"+m.env.now().UTC().Format("20060102-150405")+".csv")
	m.layout()
}

// startExport runs the export of the active view to path.
func (m *rootModel) startExport(path string) tea.Cmd {
	j, ok := m.views[m.tabOf()].exportJob()
	if !ok {
		m.status.flash("nothing to export in this view", true)
		return nil
	}
	j.path = path
	m.status.flash("exporting to "+model.Sanitize(path)+"…", false)
	return exportCmd(j)
}

// exported confirms an export in the status bar.
func (m *rootModel) exported(msg exportMsg) {
	if msg.err != nil {
		m.status.flash(fmt.Sprintf("export failed (%s): %s", model.Sanitize(msg.err.Error()), model.Sanitize(msg.path)), true)
		m.env.debugf("export to %s: %v", msg.path, msg.err)
		return
	}
	if msg.note != "" {
		m.status.flash("exported "+itoa(msg.rows)+" rows to "+model.Sanitize(msg.path)+"; "+msg.note, true)
		m.env.debugf("export to %s: %s", msg.path, msg.note)
		return
	}
	m.status.flash("exported "+itoa(msg.rows)+" rows to "+model.Sanitize(msg.path), false)
}
