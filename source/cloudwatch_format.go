package source

import (
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// CloudWatch events carry no header line, so when --log-format is not given
// the format is guessed from the first events: their field count and the
// shape of each field. The candidates are the default format and "every
// field up to version N" in AWS's field order (what the console's custom
// format offers); a guess must fit every sampled event in every column.

// guessCandidates lists the formats a guess chooses from, most common first.
func guessCandidates() []*model.Format {
	out := []*model.Format{model.DefaultFormat}
	var names []string
	for _, f := range model.AllFields() {
		names = append(names, f.String())
	}
	// Prefixes of AWS's field order at each version boundary (v3 .. v8).
	for _, n := range []int{21, 25, 29, 39, 40} {
		if n > len(names) {
			break
		}
		if f, err := model.ParseFormat(strings.Join(names[:n], " ")); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// guessFormat returns the first candidate that every message fits, or nil.
func guessFormat(msgs []string) *model.Format {
	if len(msgs) == 0 {
		return nil
	}
	for _, f := range guessCandidates() {
		ok := true
		for _, m := range msgs {
			if !fitsFormat(f, strings.Fields(m)) {
				ok = false
				break
			}
		}
		if ok {
			return f
		}
	}
	return nil
}

// fitsFormat reports whether tokens look like a record of format f.
func fitsFormat(f *model.Format, toks []string) bool {
	if len(toks) != f.Len() {
		return false
	}
	for i, name := range f.Names {
		if !fitsField(name, toks[i]) {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// fitsField is a loose shape check of one token against a field name.
func fitsField(name, tok string) bool {
	if tok == "-" {
		return name != "version" // every other field may be absent
	}
	switch name {
	case "version":
		return digits(tok) && len(tok) <= 2
	case "account-id":
		return tok == "unknown" || digits(tok) && len(tok) == 12
	case "interface-id":
		return strings.HasPrefix(tok, "eni-")
	case "srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr":
		_, err := netip.ParseAddr(tok)
		return err == nil
	case "srcport", "dstport", "protocol", "packets", "bytes", "tcp-flags", "traffic-path":
		return digits(tok)
	case "start", "end":
		return digits(tok) && len(tok) >= 9 && len(tok) <= 13
	case "action":
		return tok == "ACCEPT" || tok == "REJECT"
	case "log-status":
		return tok == "OK" || tok == "NODATA" || tok == "SKIPDATA"
	case "vpc-id":
		return strings.HasPrefix(tok, "vpc-")
	case "subnet-id":
		return strings.HasPrefix(tok, "subnet-")
	case "instance-id":
		return strings.HasPrefix(tok, "i-")
	case "type":
		return tok == "IPv4" || tok == "IPv6" || tok == "EFA"
	case "flow-direction":
		return tok == "ingress" || tok == "egress"
	case "region":
		return strings.Count(tok, "-") >= 2
	case "sublocation-type":
		return tok == "wavelength" || tok == "outpost" || tok == "localzone"
	}
	return true
}
