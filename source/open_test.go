package source

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "flows.log")
	writeFile(t, file, flowLines(0, 1))
	cases := []struct {
		spec, kind string
		aws        bool
	}{
		{"-", "stdin", false},
		{"demo", "demo", false},
		{file, "file", false},
		{dir, "file", false},
		{filepath.Join(dir, "*.log"), "file", false},
		{"file://" + file, "file", false},
		{"s3://bucket/AWSLogs/", "", true},
		{"cloudwatch://flow-logs", "", true},
		{"cw://flow-logs", "", true},
	}
	for _, c := range cases {
		src, err := Open(c.spec, DefaultOptions())
		if c.aws {
			// Routed to the AWS sources, which may want a region here.
			if err != nil && strings.Contains(err.Error(), "unknown kind of source") {
				t.Errorf("%s: %v", c.spec, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		if got := src.Status().Kind; got != c.kind {
			t.Errorf("%s: kind %q, want %q", c.spec, got, c.kind)
		}
	}
	for _, spec := range []string{"ftp://host/x", filepath.Join(dir, "missing.log")} {
		if _, err := Open(spec, DefaultOptions()); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
}
