package filter

import (
	"testing"
	"time"
)

// TestSizesAgree: ParseSize (--max-memory) and a filter value read sizes
// by the one grammar.
func TestSizesAgree(t *testing.T) {
	for s, want := range map[string]uint64{
		"2G": 2e9, "2g": 2e9, "2GB": 2e9, "2GiB": 2 << 30, "1.5GiB": 3 << 29, "512MiB": 512 << 20, "100MB": 100e6,
		"10k": 10e3, "1048576": 1 << 20, "100B": 100, "0.5k": 500, "1T": 1e12,
	} {
		got, err := ParseSize(s)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
			continue
		}
		n, err := Parse("bytes > " + s)
		if err != nil {
			t.Errorf("bytes > %s: %v", s, err)
			continue
		}
		if lit := n.(*Compare).Values[0]; lit.Lo != want {
			t.Errorf("bytes > %s reads %d, ParseSize %d", s, lit.Lo, want)
		}
	}
	for _, s := range []string{"", "lots", "-1", "2X", "1.5", "1e9", "99999999999999999999", "20000000T"} {
		if v, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d; want an error", s, v)
		}
	}
}

// TestTimesAgree: ParseTime (--since, --until) and a filter value on
// start read times by the one grammar, relative forms against the same
// clock.
func TestTimesAgree(t *testing.T) {
	now := time.Date(2024, 6, 8, 12, 0, 0, 0, time.UTC)
	for s, want := range map[string]time.Time{
		"1w":                        now.Add(-7 * 24 * time.Hour),
		"-1w":                       now.Add(-7 * 24 * time.Hour),
		"now-2d":                    now.Add(-48 * time.Hour),
		"15m":                       now.Add(-15 * time.Minute),
		"1h30m":                     now.Add(-90 * time.Minute),
		"1.5h":                      now.Add(-90 * time.Minute),
		"+1h":                       now.Add(time.Hour),
		"now":                       now,
		"2024-06-01T10:00:00Z":      time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01T12:00:00+02:00": time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01":                time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		"2024-06-01T10:00":          time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01 10:00:00":       time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"1717236000":                time.Unix(1717236000, 0),
	} {
		got, err := ParseTime(s, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
			continue
		}
		f, err := CompileAt("start >= "+Quote(s), now)
		if err != nil {
			t.Errorf("start >= %s: %v", s, err)
			continue
		}
		lit := f.Node().(*Compare).Values[0]
		var sec int64
		switch lit.Kind {
		case LitRel:
			sec = now.Unix() + lit.Sec
		case LitTime:
			sec = lit.Sec
		default:
			sec = int64(lit.Lo)
		}
		if sec != want.Unix() {
			t.Errorf("start >= %s reads %v, ParseTime %v", s, time.Unix(sec, 0).UTC(), want)
		}
	}
	for _, s := range []string{"", "yesterday", "15x", "now15m", "-", "1.2.3h", "0.5s", "2024-13-01", "h", "-0"} {
		if v, err := ParseTime(s, now); err == nil {
			t.Errorf("ParseTime(%q) = %v; want an error", s, v)
		}
	}
}
