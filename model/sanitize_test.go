package model

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean", "eni-0a1b2c3d", "eni-0a1b2c3d"},
		{"empty", "", ""},
		{"esc", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"osc title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"del", "a\x7fb", `a\x7fb`},
		{"tab newline", "a\tb\nc", `a\x09b\x0ac`},
		{"c1 csi utf8", "x\u009b2Jy", `x\u009b2Jy`},
		{"c1 raw byte", "x\x9b2Jy", `x\x9b2Jy`},
		{"invalid utf8", "a\xff\xfeb", `a\xff\xfeb`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"zero width joiner", "a\u200db", `a\u200db`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"replacement char kept visible", "a\ufffdb", `a\ufffdb`},
		{"unicode letters pass", "café 東京", "café 東京"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("eni-0a1b2c3d ", 4)
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Fatalf("Sanitize of clean text allocated %v times", n)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"a\x1b[31m", "\u009b", "\xff", "\u202e", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		for i := 0; i < len(out); i++ {
			if c := out[i]; c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x in %q", c, out)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		for _, r := range out {
			if r >= 0x80 && r < 0xa0 || r == 0xfffd || r >= 0x202a && r <= 0x202e {
				t.Fatalf("C1 or replacement rune %U in %q", r, out)
			}
		}
	})
}
