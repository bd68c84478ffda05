package tui

import "testing"

func TestTruncateAddrPort(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"10.0.0.5:22", 16, "10.0.0.5:22"},
		{"198.51.100.23:54321", 16, "198.…00.23:54321"},
		{"198.51.100.23:54321", 11, "19…23:54321"},
		{"198.51.100.23:54321", 8, "198…4321"},
		{"[2001:db8:100:a1::25]:33712", 20, "[2001:…a1::25]:33712"},
		{"2001:db8:100:a1::25", 12, "2001:…a1::25"},
	}
	for _, tc := range tests {
		got := truncateAddrPort(tc.in, tc.w)
		if got != tc.want || width(got) > tc.w {
			t.Errorf("truncateAddrPort(%q, %d) = %q (%d cells), want %q", tc.in, tc.w, got, width(got), tc.want)
		}
	}
}
