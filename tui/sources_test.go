package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// TestSourceLinesReceiverAndFormats: a receiver's own counters and notes,
// and what format inference made of a source's objects, are shown, and
// fit 80 columns.
func TestSourceLinesReceiverAndFormats(t *testing.T) {
	st := source.Status{Name: "firehose://:8443", Kind: "firehose", State: source.StateFollowing,
		Counters: []source.Counter{{Name: "requests", Value: 12}, {Name: "records", Value: 3400}, {Name: "duplicates", Value: 1},
			{Name: "rejected unauthorized", Value: 2}, {Name: "rejected too large", Value: 1}},
		Info: []string{"listening on https://0.0.0.0:8443/ (TLS)", "access key required", "last request 3s ago from arn:aws:firehose:us-east-1:111122223333:deliverystream/flows"}}
	snap := &model.Snapshot{Sources: []model.SourceStats{{Name: "firehose://:8443", Formats: []model.FormatNote{
		{Desc: "inferred all fields through v5 (29 fields) from 64 lines", Format: model.DefaultFormat, Objects: 3, Object: "arn:aws:firehose:us-east-1:111122223333:deliverystream/flows"},
		{Desc: `could not infer the format from 1 line: column 12 is "-" on every line and could be any of vpc-id, subnet-id; pass --log-format '${version} ${srcaddr} ...'`, Objects: 1, Object: "arn:x"},
	}}}}
	lines := sourceLines(NewTheme(false), []source.Status{st}, snap, time.Now())
	text := strings.Join(lines, "\n")
	for _, want := range []string{"requests 12", "rejected unauthorized 2", "rejected too large 1", "listening on https://0.0.0.0:8443/",
		"access key required", "format inferred all fields through v5", "(3 objects", "format arn:x: could not infer",
		"--log-format"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
}

// TestSourceLinesDrops: a source's dropped lines are shown by reason and
// with the notes of the first ones (where, and what was lost), as query
// prints them on stderr, within 80 columns.
func TestSourceLinesDrops(t *testing.T) {
	st := source.Status{Name: "/var/log/flows/current.log", Kind: "file", State: source.StateFollowing, Dropped: 3}
	st.Drops[source.DropTooLong] = 2
	st.Drops[source.DropPossibleLoss] = 1
	st.DropSamples = []string{"/var/log/flows/current.log:2: line of 17125 bytes skipped (over-long: the limit is 16384 bytes)",
		"/var/log/flows/current.log: truncated to 0 bytes at offset 48213 after a copy (copytruncate) that could not be found: up to 250 ms of lines may be lost"}
	lines := sourceLines(NewTheme(false), []source.Status{st}, nil, time.Now())
	text := strings.Join(lines, "\n")
	for _, want := range []string{"dropped 3", "dropped by reason:", "current.log:2: line of 17125 bytes skipped", "copytruncate", "up to 250 ms"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
}

// TestSourceLabels: what a source counts is named for its kind (files,
// S3 objects, CloudWatch streams), the text read and the bytes stored
// apart, and a following source's lag grows between its reports.
func TestSourceLabels(t *testing.T) {
	at := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ kind, want string }{{"file", "files 1/2"}, {"s3", "objects 1/2"}, {"cloudwatch", "streams 1/2"}} {
		st := source.Status{Name: "x", Kind: tc.kind, State: source.StateFollowing, Objects: 2, ObjectsDone: 1, Bytes: 4 << 20, BytesTotal: 1 << 20,
			Lag: 10 * time.Second, Updated: at}
		text := ansi.Strip(strings.Join(sourceLines(NewTheme(false), []source.Status{st}, nil, at.Add(50*time.Second)), "\n"))
		for _, want := range []string{tc.want, "text read 4.0 MiB", "stored 1.0 MiB", "lag 1m0s"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: no %q in\n%s", tc.kind, want, text)
			}
		}
	}
	done := source.Status{Name: "x", Kind: "file", State: source.StateDone, Lag: 10 * time.Second, Updated: at}
	if got := lagNow(done, at.Add(time.Hour)); got != 10*time.Second {
		t.Errorf("a finished source's lag moved: %s", got)
	}
}
