package filter

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// protocols maps protocol names (lower case) to IANA numbers. The first name
// listed for a number in protoOrder is the one printed.
var protocols = map[string]uint64{
	"icmp": 1, "igmp": 2, "ipip": 4, "ip-in-ip": 4, "tcp": 6, "udp": 17, "ipv6": 41,
	"gre": 47, "esp": 50, "ah": 51, "icmpv6": 58, "icmp6": 58, "ipv6-icmp": 58,
	"ospf": 89, "pim": 103, "vrrp": 112, "sctp": 132,
}

var protoOrder = []string{"icmp", "igmp", "ipip", "tcp", "udp", "ipv6", "gre", "esp", "ah", "icmpv6", "ospf", "pim", "vrrp", "sctp"}

// bareProtocols may stand alone as a term (tcpdump style): "tcp" = "proto tcp".
var bareProtocols = map[string]bool{"tcp": true, "udp": true, "icmp": true, "icmp6": true, "icmpv6": true}

func protoName(v uint64) (string, bool) {
	for _, n := range protoOrder {
		if protocols[n] == v {
			return n, true
		}
	}
	return "", false
}

// flagBits maps tcp flag names to bits; SYN-ACK is SYN|ACK (18).
var flagBits = map[string]uint8{
	"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16, "URG": 32, "ECE": 64, "CWR": 128, "SYN-ACK": 18, "SYNACK": 18,
}

// flagNames maps masks to the names printed.
var flagNames = map[uint8]string{1: "FIN", 2: "SYN", 4: "RST", 8: "PSH", 16: "ACK", 32: "URG", 64: "ECE", 128: "CWR", 18: "SYN-ACK"}

// flagLetters are nfdump's one-letter flags.
var flagLetters = map[byte]uint8{'F': 1, 'S': 2, 'R': 4, 'P': 8, 'A': 16, 'U': 32, 'E': 64, 'C': 128}

func flagText(m uint8) string {
	if n, ok := flagNames[m]; ok {
		return n
	}
	return strconv.Itoa(int(m))
}

// parseFlags reads a flag name, nfdump letters (SA) or a number.
func parseFlags(s string) (uint8, bool) {
	u := strings.ToUpper(s)
	if m, ok := flagBits[u]; ok {
		return m, true
	}
	if v, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(v), true
	}
	if len(u) > 8 {
		return 0, false
	}
	var m uint8
	for i := 0; i < len(u); i++ {
		b, ok := flagLetters[u[i]]
		if !ok || m&b != 0 {
			return 0, false
		}
		m |= b
	}
	return m, m != 0
}

// units maps number suffixes (lower case) to multipliers: SI and the kB
// family are powers of 1000, the KiB family powers of 1024, B is one.
var units = map[string]uint64{
	"b": 1,
	"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a size or a count as filter values are written: a
// base-10 number with an optional fraction and unit (10MB, 1.5GiB, 2G,
// 512MiB, 100B). k M G T and kB MB GB TB are powers of 1000, KiB MiB GiB
// TiB powers of 1024, and any case is accepted. It is the one grammar of
// sizes: --max-memory 2G and bytes > 2G mean the same 2,000,000,000.
func ParseSize(s string) (uint64, error) { return parseNumber(strings.TrimSpace(s)) }

// parseNumber reads a base-10 number with an optional fraction and unit
// (10MB, 1.5k, 2GiB). The result must be a whole number.
func parseNumber(s string) (uint64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(s[i:])
	if num == "" || num == "." || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	mult := uint64(1)
	if unit != "" {
		m, ok := units[unit]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q in %q (k M G T, kB MB GB TB, KiB MiB GiB TiB, B)", s[i:], s)
		}
		mult = m
	}
	return scaled(num, mult, s)
}

// scaled returns the decimal num (digits with at most one '.') times
// mult, which must be a whole number that fits 64 bits; s names the value
// in errors.
func scaled(num string, mult uint64, s string) (uint64, error) {
	intPart, frac, _ := strings.Cut(num, ".")
	if intPart == "" {
		intPart = "0"
	}
	v, err := strconv.ParseUint(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	hi, lo := bits.Mul64(v, mult)
	if hi != 0 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		if len(frac) > 12 {
			return 0, fmt.Errorf("%q has too many decimals", s)
		}
		f, _ := strconv.ParseUint(frac, 10, 64)
		den := uint64(math.Pow10(len(frac)))
		fh, fl := bits.Mul64(f, mult)
		if fh != 0 || fl%den != 0 {
			return 0, fmt.Errorf("%q is not a whole number", s)
		}
		var carry uint64
		lo, carry = bits.Add64(lo, fl/den, 0)
		if carry != 0 {
			return 0, fmt.Errorf("%q is too large", s)
		}
	}
	return lo, nil
}

// ParseTime reads a point in time as filter values on start and end are
// written, resolving relative forms against now: an absolute time (RFC
// 3339; a date, or a date and time without a zone, read as UTC); Unix
// seconds; now, -15m, +1h, now-2d; or a bare duration such as 15m, 1h30m,
// 2d, 1w or 1.5h, meaning that long ago. Durations take the units s m h d
// w. It is the one grammar of times: --since 1w and start > -1w mean the
// same moment.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if sec, ok := parseRel(s); ok {
		return now.Add(time.Duration(sec) * time.Second), nil
	}
	if sec, ok := parseTime(s); ok {
		return time.Unix(sec, 0).UTC(), nil
	}
	if n, err := parseNumber(s); err == nil && n > 0 && n <= maxRel {
		return time.Unix(int64(n), 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad time %q (want RFC 3339 like 2024-06-01T10:00:00Z, a date, Unix seconds, "+
		"or a time back from now like 15m, 2h, 7d, 1w, -15m)", s)
}

// maxRel bounds a relative time (about 35,000 years) so sums cannot wrap.
const maxRel = 1 << 40

// parseRel reads a relative time in seconds: now; -D or now-D (D ago);
// +D or now+D (D ahead); a bare D, D ago. D is one or more of a number
// (a fraction allowed) and a unit s m h d w (15m, 1h30m, 1.5h, 2d, 1w),
// and must come to whole seconds.
func parseRel(s string) (int64, bool) {
	l := strings.ToLower(s)
	if l == "now" {
		return 0, true
	}
	sign := int64(-1) // a bare duration is that long ago
	rest, afterNow := strings.CutPrefix(l, "now")
	switch {
	case rest == "":
		return 0, false
	case rest[0] == '-':
		rest = rest[1:]
	case rest[0] == '+':
		sign, rest = 1, rest[1:]
	case afterNow:
		return 0, false // "now15m"
	}
	if rest == "" {
		return 0, false
	}
	var total uint64
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i > 12 || i == len(rest) {
			return 0, false
		}
		var u uint64
		switch rest[i] {
		case 's':
			u = 1
		case 'm':
			u = 60
		case 'h':
			u = 3600
		case 'd':
			u = 86400
		case 'w':
			u = 7 * 86400
		default:
			return 0, false
		}
		if strings.Count(rest[:i], ".") > 1 || rest[:i] == "." {
			return 0, false
		}
		n, err := scaled(rest[:i], u, s)
		if err != nil {
			return 0, false
		}
		total += n
		if total > maxRel {
			return 0, false
		}
		rest = rest[i+1:]
	}
	return sign * int64(total), true
}

// timeLayouts are the absolute time forms accepted, tried in order; forms
// without a zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04", "2006-01-02"}

// parseTime reads an absolute time as Unix seconds.
func parseTime(s string) (int64, bool) {
	if len(s) < 10 || s[4] != '-' {
		return 0, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

// parsePrefix reads an address, a CIDR (host bits are cleared) or an IPv4
// wildcard with trailing * octets (10.0.2.* = 10.0.2.0/24).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.HasSuffix(s, "*") && strings.Count(s, ".") == 3 && !strings.Contains(s, ":") {
		octs := strings.Split(s, ".")
		n := 0
		for n < 4 && octs[n] != "*" {
			n++
		}
		for _, o := range octs[n:] {
			if o != "*" {
				return netip.Prefix{}, fmt.Errorf("%q: only trailing octets may be *", s)
			}
		}
		for i := n; i < 4; i++ {
			octs[i] = "0"
		}
		a, err := netip.ParseAddr(strings.Join(octs, "."))
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address", s)
		}
		return netip.PrefixFrom(a, 8*n), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// globMatch reports whether s matches pattern p (* any run of bytes, ? any
// one character).
func globMatch(p, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				if s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		px = starP + 1
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		sx = starS
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// isGlob reports whether s holds glob metacharacters.
func isGlob(s string) bool { return strings.ContainsAny(s, "*?") }
