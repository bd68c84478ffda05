package main

import (
	"bufio"
	"encoding/csv"
	"slices"
	"strconv"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// tableSample is how many rows set the column widths of a record table.
const tableSample = 1000

// csvTerminal is the csv output format written to a terminal: the cells
// are escaped by model.Sanitize first, as in a table, since text from a
// log must never reach a terminal raw. CSV written to a file or a pipe
// keeps the data as it was read.
const csvTerminal = "csv (terminal)"

// cellWidth returns how many terminal cells s takes (a wide character
// takes two); s is escaped text, so it holds no control sequences.
func cellWidth(s string) int { return ansi.StringWidth(s) }

// printRecords writes the selected rows from global row id `from`, at most
// limit (0 = all), in the output format. header says whether to print the
// CSV/table header.
// namer (nil: none) adds the name columns: interface-name, src-name and
// dst-name (JSONL: each key only when the name is known).
func printRecords(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, from uint64, limit int, header bool, namer *source.Namer) error {
	_, err := printNew(w, out, snap, sel, from, limit, header, namer)
	return err
}

// printNew writes the selected rows with global id >= from and returns how
// many it wrote.
func printNew(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, from uint64, limit int, header bool, namer *source.Namer) (int, error) {
	return printRange(w, out, snap, sel, from, ^uint64(0), limit, header, namer)
}

// printRange is printNew for the rows with global id in [from, to).
func printRange(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, from, to uint64, limit int, header bool, namer *source.Namer) (int, error) {
	if limit < 0 {
		return 0, nil
	}
	n := 0
	var buf []byte
	var werr error
	each := func(fn func(sg *model.Seg, i int) bool) {
		sel.ForEach(func(sg *model.Seg, i int) bool {
			if sg.Base+uint64(i) < from {
				return true
			}
			if sg.Base+uint64(i) >= to {
				return false
			}
			if limit > 0 && n >= limit {
				return false
			}
			n++
			return fn(sg, i)
		})
	}
	switch out {
	case "jsonl":
		each(func(sg *model.Seg, i int) bool {
			buf = snap.AppendJSON(buf[:0], sg, i)
			if namer != nil {
				buf = namer.AppendJSON(buf, snap, sg, i)
			}
			buf = append(buf, '\n')
			_, werr = w.Write(buf)
			return werr == nil
		})
	case "csv", csvTerminal:
		cols := recordColumns(snap, namer)
		cw := csv.NewWriter(w)
		if header {
			werr = cw.Write(escapeCells(out, append([]string(nil), cols...)))
		}
		rec := make([]string, len(cols))
		each(func(sg *model.Seg, i int) bool {
			for c, name := range cols {
				rec[c] = recordCell(snap, namer, sg, i, name)
			}
			werr = cw.Write(escapeCells(out, rec))
			return werr == nil
		})
		cw.Flush()
		if werr == nil {
			werr = cw.Error()
		}
	default:
		cols := recordColumns(snap, namer)
		head := make([]string, len(cols))
		widths := make([]int, len(cols))
		for c, name := range cols {
			head[c] = model.Sanitize(name)
			widths[c] = cellWidth(head[c])
		}
		seen := 0
		sel.ForEach(func(sg *model.Seg, i int) bool {
			if sg.Base+uint64(i) < from {
				return true
			}
			if sg.Base+uint64(i) >= to {
				return false
			}
			for c, name := range cols {
				widths[c] = max(widths[c], cellWidth(tableCell(recordCell(snap, namer, sg, i, name))))
			}
			seen++
			return seen < tableSample
		})
		row := make([]string, len(cols))
		if header {
			werr = writeRow(w, head, widths)
		}
		each(func(sg *model.Seg, i int) bool {
			for c, name := range cols {
				row[c] = tableCell(recordCell(snap, namer, sg, i, name))
			}
			werr = writeRow(w, row, widths)
			return werr == nil
		})
	}
	return n, werr
}

// tableCell is a record's cell as a table shows it: escaped, and "-" when
// the record's format lacks the column.
func tableCell(v string) string {
	if v == "" {
		return "-"
	}
	return model.Sanitize(v)
}

// escapeCells escapes the cells of a CSV record written to a terminal
// (out is csvTerminal); elsewhere it returns them as they are.
func escapeCells(out string, cells []string) []string {
	if out == csvTerminal {
		return sanitizeAll(cells)
	}
	return cells
}

// sanitizeAll escapes every cell in place.
func sanitizeAll(cells []string) []string {
	for i, c := range cells {
		cells[i] = model.Sanitize(c)
	}
	return cells
}

// writeRow writes a table row, each cell (escaped text) padded to its
// column's width in terminal cells, two spaces between columns.
func writeRow(w *bufio.Writer, cells []string, widths []int) error {
	for c, v := range cells {
		if c > 0 {
			w.WriteString("  ")
		}
		w.WriteString(v)
		if c < len(cells)-1 {
			for pad := widths[c] - cellWidth(v); pad > 0; pad-- {
				w.WriteByte(' ')
			}
		}
	}
	return w.WriteByte('\n')
}

// printGroups writes a group-by result. refresh separates successive
// tables in follow mode.
func printGroups(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, q model.GroupQuery, refresh bool) error {
	if len(q.Keys) == 0 {
		return printTotals(w, out, snap, sel, q)
	}
	res, err := model.Group(snap, sel, q)
	if err != nil {
		return usagef("%v", err)
	}
	return writeGroups(w, out, res, refresh, snap.Time)
}

// writeGroups writes a group-by result (taken at the given time, shown
// between refreshed tables).
func writeGroups(w *bufio.Writer, out string, res *model.GroupResult, refresh bool, at time.Time) error {
	q := res.Query
	switch out {
	case "jsonl":
		var buf []byte
		for _, row := range res.Rows {
			buf = model.AppendGroupJSON(buf[:0], q, row)
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	case "csv", csvTerminal:
		cw := csv.NewWriter(w)
		if !refresh {
			cw.Write(escapeCells(out, model.GroupHeader(q)))
		}
		for _, row := range res.Rows {
			cw.Write(escapeCells(out, model.GroupCells(q, row)))
		}
		cw.Flush()
		return cw.Error()
	}
	// table: keys, metrics, and the share of the sort metric
	head := sanitizeAll(append(model.GroupHeader(q), "share"))
	rows := [][]string{head}
	for _, row := range res.Rows {
		var cells []string
		for _, kv := range row.Key {
			cells = append(cells, model.Sanitize(kv.Text))
		}
		for m := range q.Metrics {
			cells = append(cells, string(row.AppendValue(nil, q, m)))
		}
		share := "-"
		if t := res.Totals[q.Sort]; t > 0 && q.Metrics[q.Sort].Integral() && q.Metrics[q.Sort].Kind != model.MetricDistinct {
			share = strconv.FormatFloat(100*row.Vals[q.Sort]/t, 'f', 1, 64) + "%"
		}
		cells = append(cells, share)
		rows = append(rows, cells)
	}
	widths := make([]int, len(head))
	for _, r := range rows {
		for c, v := range r {
			widths[c] = max(widths[c], cellWidth(v))
		}
	}
	if refresh {
		w.WriteString("\n# " + at.UTC().Format("2006-01-02T15:04:05Z") + "  " + strconv.Itoa(res.Count) + " records, " + strconv.Itoa(res.Groups) + " groups\n")
	}
	for _, r := range rows {
		if err := writeRow(w, r, widths); err != nil {
			return err
		}
	}
	if !refresh && res.Groups > len(res.Rows) {
		w.WriteString("# " + strconv.Itoa(res.Groups-len(res.Rows)) + " more groups (of " + strconv.Itoa(res.Groups) + ")\n")
	}
	if n := res.Notice(); n != "" {
		w.WriteString("# " + n + "\n")
	}
	return nil
}

// printTotals writes the metrics over the whole selection (--metrics with
// no --group-by).
func printTotals(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, q model.GroupQuery) error {
	res, err := model.Group(snap, sel, totalsQuery(q))
	if err != nil {
		return usagef("%v", err)
	}
	return writeTotals(w, out, q, res)
}

// totalsQuery is the grouping whose totals answer q (--metrics with no
// --group-by): grouping by action yields at most three groups.
func totalsQuery(q model.GroupQuery) model.GroupQuery {
	return model.GroupQuery{Keys: []model.GroupKey{{Field: model.FieldAction}}, Metrics: q.Metrics, Sort: q.Sort}
}

// writeTotals writes the metrics of q over a whole selection: res's
// totals, exact for integral metrics, and in a table a '#' notice when a
// sum saturated.
func writeTotals(w *bufio.Writer, out string, q model.GroupQuery, res *model.GroupResult) error {
	switch out {
	case "jsonl":
		b := []byte{'{'}
		for m, mt := range q.Metrics {
			if m > 0 {
				b = append(b, ',')
			}
			b = model.AppendJSONString(b, mt.Name)
			b = append(b, ':')
			b = res.AppendTotal(b, m)
		}
		b = append(b, '}', '\n')
		_, err := w.Write(b)
		return err
	case "csv", csvTerminal:
		cw := csv.NewWriter(w)
		var head, rec []string
		for m, mt := range q.Metrics {
			head = append(head, mt.Name)
			rec = append(rec, string(res.AppendTotal(nil, m)))
		}
		cw.Write(escapeCells(out, head))
		cw.Write(rec)
		cw.Flush()
		return cw.Error()
	}
	for m, mt := range q.Metrics {
		w.WriteString(model.Sanitize(mt.Name) + "\t" + string(res.AppendTotal(nil, m)) + "\n")
	}
	if n := res.Notice(); n != "" {
		w.WriteString("# " + n + "\n")
	}
	return nil
}

// recordColumns are the columns of CSV and table output: the formats'
// fields, then the name columns when names are in use.
func recordColumns(snap *model.Snapshot, namer *source.Namer) []string {
	cols := snap.Columns()
	if namer != nil {
		cols = append(cols, source.NameColumns...)
	}
	return cols
}

// recordCell is one cell of CSV and table output.
func recordCell(snap *model.Snapshot, namer *source.Namer, sg *model.Seg, i int, col string) string {
	if namer != nil && slices.Contains(source.NameColumns, col) {
		return namer.Cell(snap, sg, i, col)
	}
	return snap.Cell(sg, i, col)
}
