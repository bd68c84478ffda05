package model

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes text from a log safe to print: control characters (C0,
// DEL, C1), bidi overrides and other invisible format characters, line
// separators and bytes that are not UTF-8 become visible escapes such as
// \x1b, \u009b, \u202e or \xff, so an escape sequence hidden in a log line
// can never reach the terminal. Clean text is returned as is, without
// allocating. It is the one sanitiser: the explorer's views and the query
// command's table (and CSV written to a terminal) pass every untrusted
// string through it, and measure it afterwards.
func Sanitize(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return string(appendSanitized(make([]byte, 0, len(s)+8), s[:i], s[i:]))
		}
	}
	return s
}

// appendSanitized appends clean (known clean) then the escaped form of s.
func appendSanitized(dst []byte, clean, s string) []byte {
	dst = append(dst, clean...)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			dst = append(dst, `\x`...)
			dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
		case r < 0x20 || r == 0x7f:
			dst = append(dst, `\x`...)
			dst = append(dst, hexDigits[r>>4], hexDigits[r&15])
		case !safeRune(r):
			dst = append(dst, `\u`...)
			q := strconv.FormatInt(int64(r), 16)
			for n := len(q); n < 4; n++ {
				dst = append(dst, '0')
			}
			dst = append(dst, q...)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// safeRune reports whether a non-ASCII rune may be printed as is: a
// graphic character that is not a C1 control, a format character (bidi
// overrides, zero-width joiners) or a line or paragraph separator.
func safeRune(r rune) bool {
	if r >= 0x80 && r < 0xa0 {
		return false
	}
	if unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
		return false
	}
	return unicode.IsGraphic(r) && r != utf8.RuneError
}
