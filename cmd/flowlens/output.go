package main

import (
	"bufio"
	"encoding/csv"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
)

// tableSample is how many rows set the column widths of a record table.
const tableSample = 1000

// printRecords writes the selected rows from global row id `from`, at most
// limit (0 = all), in the output format. header says whether to print the
// CSV/table header.
func printRecords(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, from uint64, limit int, header bool) error {
	_, err := printNew(w, out, snap, sel, from, limit, header)
	return err
}

// printNew writes the selected rows with global id >= from and returns how
// many it wrote.
func printNew(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, from uint64, limit int, header bool) (int, error) {
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
			buf = append(buf, '\n')
			_, werr = w.Write(buf)
			return werr == nil
		})
	case "csv":
		cols := snap.Columns()
		cw := csv.NewWriter(w)
		if header {
			werr = cw.Write(cols)
		}
		rec := make([]string, len(cols))
		each(func(sg *model.Seg, i int) bool {
			for c, name := range cols {
				rec[c] = snap.Cell(sg, i, name)
			}
			werr = cw.Write(rec)
			return werr == nil
		})
		cw.Flush()
		if werr == nil {
			werr = cw.Error()
		}
	default:
		cols := snap.Columns()
		widths := make([]int, len(cols))
		for c, name := range cols {
			widths[c] = len(name)
		}
		seen := 0
		sel.ForEach(func(sg *model.Seg, i int) bool {
			if sg.Base+uint64(i) < from {
				return true
			}
			for c, name := range cols {
				widths[c] = max(widths[c], len(snap.Cell(sg, i, name)))
			}
			seen++
			return seen < tableSample
		})
		row := make([]string, len(cols))
		if header {
			werr = writeRow(w, cols, widths)
		}
		each(func(sg *model.Seg, i int) bool {
			for c, name := range cols {
				v := snap.Cell(sg, i, name)
				if v == "" {
					v = "-"
				}
				row[c] = sanitize(v)
			}
			werr = writeRow(w, row, widths)
			return werr == nil
		})
	}
	return n, werr
}

func writeRow(w *bufio.Writer, cells []string, widths []int) error {
	for c, v := range cells {
		if c > 0 {
			w.WriteString("  ")
		}
		w.WriteString(v)
		if c < len(cells)-1 {
			for pad := widths[c] - utf8.RuneCountInString(v); pad > 0; pad-- {
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
	case "csv":
		cw := csv.NewWriter(w)
		if !refresh {
			cw.Write(model.GroupHeader(q))
		}
		for _, row := range res.Rows {
			cw.Write(model.GroupCells(q, row))
		}
		cw.Flush()
		return cw.Error()
	}
	// table: keys, metrics, and the share of the sort metric
	head := append(model.GroupHeader(q), "share")
	rows := [][]string{head}
	for _, row := range res.Rows {
		var cells []string
		for _, kv := range row.Key {
			cells = append(cells, sanitize(kv.Text))
		}
		for m, mt := range q.Metrics {
			cells = append(cells, string(model.AppendMetric(nil, mt, row.Vals[m])))
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
			widths[c] = max(widths[c], utf8.RuneCountInString(v))
		}
	}
	if refresh {
		w.WriteString("\n# " + snap.Time.UTC().Format("2006-01-02T15:04:05Z") + "  " + strconv.Itoa(res.Count) + " records, " + strconv.Itoa(res.Groups) + " groups\n")
	}
	for _, r := range rows {
		if err := writeRow(w, r, widths); err != nil {
			return err
		}
	}
	if !refresh && res.Groups > len(res.Rows) {
		w.WriteString("# " + strconv.Itoa(res.Groups-len(res.Rows)) + " more groups (of " + strconv.Itoa(res.Groups) + ")\n")
	}
	return nil
}

// printTotals writes the metrics over the whole selection (--metrics with
// no --group-by).
func printTotals(w *bufio.Writer, out string, snap *model.Snapshot, sel *model.Selection, q model.GroupQuery) error {
	// Grouping by action (at most three groups) yields the totals.
	res, err := model.Group(snap, sel, model.GroupQuery{Keys: []model.GroupKey{{Field: model.FieldAction}}, Metrics: q.Metrics, Sort: q.Sort})
	if err != nil {
		return usagef("%v", err)
	}
	vals := res.Totals
	switch out {
	case "jsonl":
		b := []byte{'{'}
		for m, mt := range q.Metrics {
			if m > 0 {
				b = append(b, ',')
			}
			b = model.AppendJSONString(b, mt.Name)
			b = append(b, ':')
			b = model.AppendMetric(b, mt, vals[m])
		}
		b = append(b, '}', '\n')
		_, err := w.Write(b)
		return err
	case "csv":
		cw := csv.NewWriter(w)
		var head, rec []string
		for m, mt := range q.Metrics {
			head = append(head, mt.Name)
			rec = append(rec, string(model.AppendMetric(nil, mt, vals[m])))
		}
		cw.Write(head)
		cw.Write(rec)
		cw.Flush()
		return cw.Error()
	}
	for m, mt := range q.Metrics {
		w.WriteString(mt.Name + "\t" + string(model.AppendMetric(nil, mt, vals[m])) + "\n")
	}
	return nil
}

// sanitize makes text from a log safe for a terminal: control characters
// (C0, DEL, C1) and invalid UTF-8 become visible escapes, so escape
// sequences in a log can never reach the terminal.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r) && r != ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || !unicode.IsPrint(r) && r != ' ':
			b.WriteString(strconv.QuoteRune(r)[1 : len(strconv.QuoteRune(r))-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}
