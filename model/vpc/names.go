package vpc

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// ParseNames reads a names file: CSV with two columns, an address (IPv4
// or IPv6) or an interface id (eni-...), and the name to show for it. A
// header line (address,name), blank lines and lines starting with # are
// skipped; a later line for the same key wins. Errors name the file and
// line. It is for bastions without EC2 permissions, and for the hosts
// outside AWS that flow logs show (an office, a partner).
func ParseNames(r io.Reader, file string) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	out := map[string]string{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: want two columns (address or interface id, name), got %d", file, line, len(rec))
		}
		key, name := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if first && !validKey(key) && (strings.EqualFold(key, "address") || strings.EqualFold(key, "addr") ||
			strings.EqualFold(key, "key") || strings.EqualFold(key, "id") || strings.EqualFold(key, "interface-id")) {
			continue // a header
		}
		if !validKey(key) {
			return nil, fmt.Errorf("%s:%d: %q is neither an IP address nor an interface id (eni-...)", file, line, key)
		}
		if name == "" {
			return nil, fmt.Errorf("%s:%d: no name for %s", file, line, key)
		}
		out[normKey(key)] = name
	}
}

func validKey(k string) bool {
	if _, err := netip.ParseAddr(k); err == nil {
		return true
	}
	return strings.HasPrefix(k, "eni-") && len(k) > 4
}
