package detect

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// privateNets are the address ranges a VPC uses inside: RFC 1918, shared
// address space (CGNAT, also used inside VPCs) and IPv6 unique local.
var privateNets = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}

// nonPublicNets are private ranges plus those that never route on the
// internet: "this network", loopback, link-local, multicast and the
// reserved 240/4, and their IPv6 counterparts.
var nonPublicNets = append(append([]string(nil), privateNets...),
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3", "::/128", "::1/128", "fe80::/10", "ff00::/8")

var privatePrefixes = func() []netip.Prefix {
	out := make([]netip.Prefix, len(privateNets))
	for i, s := range privateNets {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}()

// IsPrivate reports whether a is in one of the private ranges (RFC 1918,
// 100.64.0.0/10, fc00::/7).
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range privatePrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// PrivateList is the private ranges as a filter value list: "(10.0.0.0/8, ...)".
func PrivateList() string { return "(" + strings.Join(privateNets, ", ") + ")" }

func nonPublicList() string { return "(" + strings.Join(nonPublicNets, ", ") + ")" }

// servicePorts are the ports at or above 1024 that model knows a service
// for (1433, 3306, 5432, 8080, ...). A record from one of them, or from a
// port below 1024, to a port at or above 1024 is taken for a reply.
var servicePorts = func() []uint16 {
	var out []uint16
	for p := 1024; p < 65536; p++ {
		if model.PortName(uint16(p)) != "" {
			out = append(out, uint16(p))
		}
	}
	return out
}()

var isServicePort = func() (t [65536]bool) {
	for p := 1; p < 1024; p++ {
		t[p] = true
	}
	for _, p := range servicePorts {
		t[p] = true
	}
	return t
}()

// IsReply reports whether a record from port sport to port dport looks
// like the answer of a server to a client: its source port is a service
// port (below 1024 or a known service) and its destination port is not
// (1024 and above). Detections leave replies out, so ephemeral-port
// answers never look like a scan; ReplyExpr is the same rule as a filter.
func IsReply(sport, dport uint16) bool { return dport >= 1024 && isServicePort[sport] }

// ReplyExpr is IsReply as a filter expression.
func ReplyExpr() string {
	var b strings.Builder
	b.WriteString("dstport >= 1024 and srcport in (1-1023")
	for _, p := range servicePorts {
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(int(p)))
	}
	b.WriteString(")")
	return b.String()
}
