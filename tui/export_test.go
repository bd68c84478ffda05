package tui

import (
	"bytes"
	"strings"
	"testing"

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
