package model

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPipelineMatchesIngest feeds the same batches through the sequential
// Ingest and through the Pipeline and expects identical indexes: rows,
// provenance, formats switched by headers in earlier batches, bad-line
// counts and samples, faults in order.
func TestPipelineMatchesIngest(t *testing.T) {
	n := 3 * SegmentRows
	if testing.Short() {
		n = 2 * SegmentRows
	}
	lines := genRecordLines(n, 11)
	// sprinkle bad lines, and unusable headers after good ones
	for i := 100; i < len(lines); i += 997 {
		lines[i] = "9garbage " + lines[i] // not a header: batches keep NoHeaders
	}
	for i := 5000; i < len(lines); i += 20011 {
		lines[i] = "version srcaddr srcaddr" // a header naming a field twice: ignored
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	var batches []Batch
	r := rand.New(rand.NewPCG(1, 2))
	for off, k := 0, 0; off < len(data); k++ {
		end := min(off+1+r.IntN(300_000), len(data))
		for end < len(data) && data[end-1] != '\n' {
			end++
		}
		obj := "a"
		if k%3 == 2 {
			obj = "b" // interleave a second object with its own state
		}
		batches = append(batches, Batch{Source: "gen", Object: obj, Data: data[off:end]})
		off = end
	}
	seq := NewIndex(0)
	for i := range batches {
		b := batches[i]
		seq.Ingest(&b)
		if i == 3 {
			seq.ReportError("gen", "a", 7, errors.New("unexpected EOF"))
		}
	}
	want := seq.Publish()

	par := NewIndex(0)
	p := NewPipeline(par, 3)
	for i := range batches {
		b := batches[i]
		// as a file source says it: the line counts and formats must not
		// change when the pipeline skips looking for headers
		b.NoHeaders = !bytes.Contains(b.Data, []byte("\nversion")) && !bytes.HasPrefix(b.Data, []byte("version"))
		p.Submit(&b, nil)
		if i == 3 {
			p.Fault("gen", "a", 7, errors.New("unexpected EOF"))
		}
		if i%5 == 0 {
			p.Flush()
			par.Publish()
		}
	}
	p.Close()
	got := par.Publish()

	if got.Rows() != want.Rows() {
		t.Fatalf("rows %d, want %d", got.Rows(), want.Rows())
	}
	ws, gs := want.Sources[0], got.Sources[0]
	if ws.Bad != gs.Bad || ws.Records != gs.Records || ws.Lines != gs.Lines || ws.Bytes != gs.Bytes {
		t.Fatalf("stats differ:\n got %+v\nwant %+v", gs.Bad, ws.Bad)
	}
	if len(ws.Samples) != len(gs.Samples) || ws.Samples[len(ws.Samples)-1] != gs.Samples[len(gs.Samples)-1] {
		t.Fatalf("samples differ:\n got %v\nwant %v", gs.Samples, ws.Samples)
	}
	wsel, gsel := SelectAll(want), SelectAll(got)
	for k := 0; k < want.Rows(); k += 7 {
		wsg, wi, _ := wsel.Nth(k)
		gsg, gi, _ := gsel.Nth(k)
		wl, gl := string(want.AppendLine(nil, wsg, wi)), string(got.AppendLine(nil, gsg, gi))
		if wl != gl || want.Provenance(wsg, wi) != got.Provenance(gsg, gi) {
			t.Fatalf("row %d:\n got %s %+v\nwant %s %+v", k, gl, got.Provenance(gsg, gi), wl, want.Provenance(wsg, wi))
		}
	}
}
