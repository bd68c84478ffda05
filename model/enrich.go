package model

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

var protoNames = map[uint8]string{
	0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 8: "egp", 17: "udp", 41: "ipv6",
	43: "ipv6-route", 44: "ipv6-frag", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 58: "icmpv6",
	59: "ipv6-nonxt", 60: "ipv6-opts", 88: "eigrp", 89: "ospf", 103: "pim", 112: "vrrp",
	115: "l2tp", 132: "sctp", 136: "udplite", 137: "mpls-in-ip",
}

var protoNumbers = func() map[string]uint8 {
	m := make(map[string]uint8, len(protoNames)+2)
	for n, s := range protoNames {
		m[s] = n
	}
	m["ipv6-icmp"] = 58
	m["ip-in-ip"] = 4
	return m
}()

// ProtocolName returns the IANA keyword of protocol number p in lower case
// ("tcp"), or the number itself when it has no common name.
func ProtocolName(p uint8) string {
	if s, ok := protoNames[p]; ok {
		return s
	}
	return strconv.Itoa(int(p))
}

// ProtocolNumber looks up a protocol by name (any case) or number.
func ProtocolNumber(name string) (uint8, bool) {
	if n, ok := protoNumbers[strings.ToLower(name)]; ok {
		return n, true
	}
	v, err := strconv.ParseUint(name, 10, 8)
	return uint8(v), err == nil
}

var portNames = map[uint16]string{
	20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 67: "dhcp", 68: "dhcp",
	69: "tftp", 80: "http", 88: "kerberos", 110: "pop3", 111: "rpcbind", 123: "ntp", 135: "msrpc",
	137: "netbios-ns", 138: "netbios-dgm", 139: "netbios-ssn", 143: "imap", 161: "snmp", 162: "snmptrap",
	179: "bgp", 389: "ldap", 443: "https", 445: "smb", 465: "smtps", 500: "isakmp", 514: "syslog",
	587: "submission", 636: "ldaps", 873: "rsync", 993: "imaps", 995: "pop3s", 1194: "openvpn",
	1433: "mssql", 1521: "oracle", 2049: "nfs", 2379: "etcd", 2380: "etcd-peer", 3128: "squid",
	3306: "mysql", 3389: "rdp", 4500: "ipsec-nat-t", 5044: "beats", 5432: "postgres", 5439: "redshift",
	5601: "kibana", 5672: "amqp", 5900: "vnc", 5985: "winrm", 5986: "winrm-https", 6379: "redis",
	6443: "kube-api", 8080: "http-alt", 8443: "https-alt", 9000: "http-alt", 9092: "kafka", 9200: "elasticsearch",
	9300: "es-transport", 10250: "kubelet", 11211: "memcached", 27017: "mongodb",
}

// PortName returns the well-known service of a TCP/UDP port ("ssh"), or "".
func PortName(port uint16) string { return portNames[port] }

// TCP flag bits as flow logs report them (OR-ed over the interval).
const (
	FlagFIN = 1
	FlagSYN = 2
	FlagRST = 4
	FlagPSH = 8
	FlagACK = 16
	FlagURG = 32
)

// TCPFlagNames decodes a tcp-flags value: "SYN", "SYN-ACK", "SYN,FIN", ...
// Bit 16 (ACK) is only reported with SYN, as SYN-ACK. Returns "-" for 0.
func TCPFlagNames(v uint8) string {
	if v == 0 {
		return "-"
	}
	var parts []string
	switch {
	case v&(FlagSYN|FlagACK) == FlagSYN|FlagACK:
		parts = append(parts, "SYN-ACK")
	case v&FlagSYN != 0:
		parts = append(parts, "SYN")
	case v&FlagACK != 0:
		parts = append(parts, "ACK")
	}
	if v&FlagFIN != 0 {
		parts = append(parts, "FIN")
	}
	if v&FlagRST != 0 {
		parts = append(parts, "RST")
	}
	if v&FlagPSH != 0 {
		parts = append(parts, "PSH")
	}
	if v&FlagURG != 0 {
		parts = append(parts, "URG")
	}
	if v&^(FlagFIN|FlagSYN|FlagRST|FlagPSH|FlagACK|FlagURG) != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(v&^63), 16))
	}
	return strings.Join(parts, ",")
}

var trafficPaths = [...]string{
	1: "same VPC",
	2: "internet gateway or gateway endpoint",
	3: "virtual private gateway",
	4: "intra-Region VPC peering",
	5: "inter-Region VPC peering",
	6: "local gateway",
	7: "gateway VPC endpoint",
	8: "internet gateway",
}

// TrafficPathName describes an egress traffic-path code, or "".
func TrafficPathName(v uint8) string {
	if int(v) < len(trafficPaths) {
		return trafficPaths[v]
	}
	return ""
}

// AddrClass names the kind of an address: private, public, cgnat,
// link-local, loopback, multicast, unspecified, documentation.
func AddrClass(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "-"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case cgnat.Contains(a):
		return "cgnat"
	case a.IsPrivate():
		return "private"
	case doc1.Contains(a) || doc2.Contains(a) || doc3.Contains(a) || doc6.Contains(a):
		return "documentation"
	}
	return "public"
}

var (
	cgnat = netip.MustParsePrefix("100.64.0.0/10")
	doc1  = netip.MustParsePrefix("192.0.2.0/24")
	doc2  = netip.MustParsePrefix("198.51.100.0/24")
	doc3  = netip.MustParsePrefix("203.0.113.0/24")
	doc6  = netip.MustParsePrefix("2001:db8::/32")
)

// IsPublic reports whether a is a globally routed unicast address.
func IsPublic(a netip.Addr) bool {
	c := AddrClass(a)
	return c == "public" || c == "documentation"
}

// HumanBytes formats a byte count with binary units: 512 B, 1.5 KiB, 3.2 GiB.
func HumanBytes(v uint64) string {
	const unit = 1024
	if v < unit {
		return strconv.FormatUint(v, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for n := v / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	f := float64(v) / float64(div)
	prec := 1
	if f >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + " " + "KMGTPE"[exp:exp+1] + "iB"
}

// HumanCount formats a count with SI suffixes: 950, 12.3k, 4.1M.
func HumanCount(v uint64) string {
	if v < 1000 {
		return strconv.FormatUint(v, 10)
	}
	f, s := float64(v), ""
	for _, suf := range []string{"k", "M", "G", "T"} {
		if f < 1000 {
			break
		}
		f /= 1000
		s = suf
	}
	prec := 1
	if f >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + s
}

// formatUnix writes Unix seconds as RFC 3339 UTC.
func formatUnix(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// FormatUnix writes Unix seconds as RFC 3339 UTC ("2024-06-01T10:00:00Z").
func FormatUnix(t int64) string { return formatUnix(t) }
