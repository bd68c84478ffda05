package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The helpers here work on display cells, not bytes: text from logs may
// hold wide characters once sanitized, and every line must fit its width
// exactly so the renderer never wraps.

const ellipsis = "…"

// width returns the display width of plain (escape-free) text.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// truncate cuts plain text to at most w cells, ending in an ellipsis when
// it cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	if w == 1 {
		return ellipsis
	}
	return ansi.Truncate(s, w, ellipsis)
}

// truncateMiddle cuts plain text to at most w cells, keeping both ends
// around an ellipsis: interface and resource IDs differ at their ends.
func truncateMiddle(s string, w int) string {
	n := width(s)
	if n <= w {
		return s
	}
	if w < 5 {
		return truncate(s, w)
	}
	left := (w - 1) / 2
	right := w - 1 - left
	return ansi.Truncate(s, left, "") + ellipsis + ansi.TruncateLeft(s, n-right, "")
}

// truncateAddrPort fits "addr:port" (or "[v6]:port") into w cells keeping
// the port whole, since at 3 a.m. the port is what tells a scan from a
// backup: "198.51.100.23:54321" in 16 cells is "198.5…23:54321". Without a
// port, or when the port alone barely fits, it cuts the middle.
func truncateAddrPort(s string, w int) string {
	if width(s) <= w {
		return s
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || strings.Count(s, ":") > 1 && s[0] != '[' { // a bare IPv6 address has no port
		return truncateMiddle(s, w)
	}
	port := s[i:]
	if w-len(port) < 5 {
		return truncateMiddle(s, w)
	}
	return truncateMiddle(s[:i], w-len(port)) + port
}

// pad cuts or pads plain text to exactly w cells, left- or right-aligned.
func pad(s string, w int, right bool) string {
	s = truncate(s, w)
	n := width(s)
	if n >= w {
		return s
	}
	if right {
		return strings.Repeat(" ", w-n) + s
	}
	return s + strings.Repeat(" ", w-n)
}

// appendPad appends s cut or padded to w cells.
func appendPad(dst []byte, s string, w int, right bool) []byte {
	s = truncate(s, w)
	n := width(s)
	if right {
		for ; n < w; n++ {
			dst = append(dst, ' ')
		}
		return append(dst, s...)
	}
	dst = append(dst, s...)
	for ; n < w; n++ {
		dst = append(dst, ' ')
	}
	return dst
}

// fitLine cuts or pads a styled line to exactly w cells; a line cut
// ends with an ellipsis, so nothing looks whole that is not.
func fitLine(s string, w int) string {
	n := ansi.StringWidth(s)
	switch {
	case n > w:
		return ansi.Truncate(s, w, ellipsis)
	case n < w:
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
