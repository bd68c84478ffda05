package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMaxMemory: --max-memory reads sizes as filters do (2G is 2e9
// bytes, as in bytes > 2G; 2GiB is 2^31) and refuses what makes no
// budget.
func TestMaxMemory(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "512MiB": 512 << 20, "2G": 2e9, "2GiB": 2 << 30,
		"100MB": 100e6, "1048576000": 1048576000, "1.5GiB": 3 << 29, "64mib": 64 << 20} {
		c := common{maxMemory: in}
		if got, err := c.memory(); err != nil || got != want {
			t.Errorf("--max-memory %s = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "lots", "1MiB", "0", "2X", "99999999999T"} {
		c := common{maxMemory: in}
		var ue *usageError
		if n, err := c.memory(); !errors.As(err, &ue) || !strings.Contains(ue.msg, "--max-memory") {
			t.Errorf("--max-memory %s = %d, %v; want a usage error naming the flag", in, n, err)
		}
	}
}

// TestSinceUntil: --since and --until read times as filters do: a bare
// duration is that long ago (--since 1w is the moment of start > -1w),
// with the same absolute forms.
func TestSinceUntil(t *testing.T) {
	now := time.Date(2024, 6, 8, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"15m":                  now.Add(-15 * time.Minute),
		"2h":                   now.Add(-2 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"1w":                   now.Add(-7 * 24 * time.Hour),
		"-1w":                  now.Add(-7 * 24 * time.Hour),
		"1h30m":                now.Add(-90 * time.Minute),
		"1.5h":                 now.Add(-90 * time.Minute),
		"now-2d":               now.Add(-48 * time.Hour),
		"now":                  now,
		"2024-06-01T10:00:00Z": time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01":           time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		"2024-06-01 10:00:00":  time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"1717236000":           time.Unix(1717236000, 0),
	} {
		o, err := (&common{since: in}).sourceOptions(false, now)
		if err != nil || !o.Since.Equal(want) {
			t.Errorf("--since %q = %v, %v; want %v", in, o.Since, err, want)
		}
		o, err = (&common{until: in}).sourceOptions(false, now)
		if err != nil || !o.Until.Equal(want) {
			t.Errorf("--until %q = %v, %v; want %v", in, o.Until, err, want)
		}
	}
	for _, c := range []struct {
		since, until, msg string
	}{
		{"yesterday", "", "--since"},
		{"15x", "", "--since"},
		{"500ms", "", "--since"},
		{"", "tomorrow", "--until"},
		{"1h", "2h", "is before --since"},
	} {
		_, err := (&common{since: c.since, until: c.until}).sourceOptions(false, now)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, c.msg) {
			t.Errorf("--since %q --until %q: %v; want a usage error with %q", c.since, c.until, err, c.msg)
		}
	}
}
