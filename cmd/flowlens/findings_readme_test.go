package main

import (
	"os"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/detect"
)

const (
	detBegin = "<!-- detections:begin (generated from model/detect/spec.go by go test ./cmd/flowlens -update-readme) -->\n"
	detEnd   = "<!-- detections:end -->"
)

// TestREADMEDetections keeps the README's list of detections and
// thresholds equal to the specs the engine runs.
func TestREADMEDetections(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, detBegin), strings.Index(readme, detEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the detections markers %q ... %q", detBegin, detEnd)
	}
	want := detect.Markdown()
	if readme[i+len(detBegin):j] == want {
		return
	}
	if *updateReadme {
		if err := os.WriteFile(path, []byte(readme[:i+len(detBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's detections are out of date; run: go test ./cmd/flowlens -run TestREADMEDetections -update-readme")
}
