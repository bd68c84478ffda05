package tui

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func TestExportFormatAndSeries(t *testing.T) {
	for path, want := range map[string]string{"a.csv": "csv", "b.JSONL": "jsonl", "c.json": "jsonl", "d.ndjson": "jsonl", "e.txt": ""} {
		got, err := exportFormat(path)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("exportFormat(%q) = %q, %v", path, got, err)
		}
	}
	win := chartWindow{from: 1717236000, to: 1717236180, bucket: 60}
	b := model.Bucket{Start: 1717236060}
	b.ByAction[model.ActionReject] = model.Rollup{Flows: 2, Packets: 3, Bytes: 120}
	var buf bytes.Buffer
	n, err := writeSeries(&buf, "csv", win, []model.Bucket{b})
	if err != nil || n != 3 {
		t.Fatalf("writeSeries: %d, %v", n, err)
	}
	want := strings.Join(seriesColumns, ",") + "\n" +
		"2024-06-01T10:00:00Z,60,0,0,0,0,0,0,0,0,0\n" +
		"2024-06-01T10:01:00Z,60,0,0,0,2,3,120,0,0,0\n" +
		"2024-06-01T10:02:00Z,60,0,0,0,0,0,0,0,0,0\n"
	if buf.String() != want {
		t.Errorf("csv series:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if _, err := writeSeries(&buf, "jsonl", win, []model.Bucket{b}); err != nil {
		t.Fatal(err)
	}
	if line := strings.Split(buf.String(), "\n")[1]; !strings.HasPrefix(line, `{"start":"2024-06-01T10:01:00Z","bucket_seconds":60,"accept_flows":0`) || !strings.Contains(line, `"reject_bytes":120`) {
		t.Errorf("jsonl series line: %s", line)
	}
}

// TestExportSaysWhatEvictionLeftOut: once --max-memory evicted the oldest
// records, an export of totals or time buckets with no filter (or one on
// the action) comes from the rollups and counts every record; any other
// export is confirmed with what it covers. Exports said nothing before.
func TestExportSaysWhatEvictionLeftOut(t *testing.T) {
	ix := model.NewIndex(4 << 20)
	gen := model.NewSynth(57)
	var buf []byte
	total := 0
	for i := 0; i < 5; i++ {
		buf = gen.Append(buf[:0], 50_000)
		ix.Ingest(&model.Batch{Source: "t", Data: buf})
		total += 50_000
		ix.Publish()
	}
	snap := ix.Publish()
	if snap.Evicted == 0 {
		t.Fatalf("nothing was evicted (%d rows kept)", snap.Rows())
	}
	dir := t.TempDir()
	query := func(key string) model.GroupQuery {
		k, err := model.ParseGroupKey(key)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := model.ParseMetric("count")
		return model.GroupQuery{Keys: []model.GroupKey{k}, Metrics: []model.Metric{m}}
	}
	sumCounts := func(path string) (n uint64) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r struct{ Count uint64 }
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			n += r.Count
		}
		return n
	}

	path := filepath.Join(dir, "hours.jsonl")
	j := exportJob{kind: exportGroups, path: path, snap: snap, sel: model.SelectAll(snap), query: query("hour"), flt: filter.MustCompile("")}
	if _, note, err := writeExport(j); err != nil || note != "" || sumCounts(path) != uint64(total) {
		t.Errorf("by hour, no filter: note %q, err %v, %d records; want all %d from the rollups, no note", note, err, sumCounts(path), total)
	}
	j.flt = filter.MustCompile("action = REJECT")
	if _, note, err := writeExport(j); err != nil || note != "" {
		t.Errorf("by hour, action = REJECT: note %q, err %v; want the rollups' answer", note, err)
	}
	for _, c := range []struct{ key, flt string }{{"hour", "dstport = 443"}, {"srcaddr", ""}} {
		f := filter.MustCompile(c.flt)
		j := exportJob{kind: exportGroups, path: path, snap: snap, sel: f.Eval(snap, nil), query: query(c.key), flt: f}
		if _, note, err := writeExport(j); err != nil || !strings.Contains(note, "oldest records were evicted") {
			t.Errorf("by %s, filter %q: note %q, err %v; want the eviction said", c.key, c.flt, note, err)
		}
	}
	j = exportJob{kind: exportRecords, path: filepath.Join(dir, "r.csv"), snap: snap, sel: model.SelectAll(snap)}
	if n, note, err := writeExport(j); err != nil || n != snap.Rows() || !strings.Contains(note, "covers the newest") {
		t.Errorf("records: %d rows, note %q, err %v", n, note, err)
	}
	win := chartSpan(autoZoom(snap.MaxStart-snap.MinStart), snap.MaxStart, 60)
	for _, c := range []struct {
		flt      string
		partial  bool
		wantNote string
	}{{"", false, ""}, {"dstport = 443", true, "not counted"}} {
		msg := seriesCmd(1, snap, nil, filter.MustCompile(c.flt), win)().(seriesMsg)
		v := &chartView{data: &msg}
		j, ok := v.exportJob()
		j.path = filepath.Join(dir, "s.csv")
		if _, note, err := writeExport(j); !ok || err != nil || (note != "") != c.partial || !strings.Contains(note, c.wantNote) {
			t.Errorf("series, filter %q: note %q, err %v", c.flt, note, err)
		}
	}
}

// TestRecordsJobWaitsForNewFilter: right after a filter is applied the
// environment still holds the old filter's rows; exporting then would
// write them under the new filter, so there is nothing to export until
// the new selection lands.
func TestRecordsJobWaitsForNewFilter(t *testing.T) {
	snap := &model.Snapshot{}
	e := &env{snap: snap, sel: &model.Selection{Count: 7}, selSnap: snap, expr: "action = REJECT", pending: true}
	if _, ok := recordsJob(e); ok {
		t.Error("an export of the old filter's rows was offered while the new filter's were on their way")
	}
	e.pending = false
	if j, ok := recordsJob(e); !ok || j.sel != e.sel {
		t.Errorf("no export of the landed selection: %+v %v", j, ok)
	}
}
