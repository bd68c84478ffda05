package filter

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// parseCases lists every construct with its canonical form.
var parseCases = []struct {
	name, expr, canon string
}{
	// the examples of DESIGN §4
	{"design reject ports", "action = REJECT and dstport in (22, 3389)", "action = REJECT and dstport in (22, 3389)"},
	{"design src net not dst port", "src net 10.0.0.0/8 and not dst port 443", "srcaddr in 10.0.0.0/8 and not dstport = 443"},
	{"design cidr bytes", "srcaddr in 10.1.0.0/16 and bytes > 10MB", "srcaddr in 10.1.0.0/16 and bytes > 10000000"},
	{"design flags", "proto tcp and tcp-flags has SYN and not tcp-flags has ACK", "protocol = tcp and tcp-flags has SYN and not tcp-flags has ACK"},
	{"design range or host", "dstport 1024-65535 or host 203.0.113.7", "dstport in 1024-65535 or addr = 203.0.113.7"},
	{"design glob direction", "interface-id = eni-0a1b* and flow-direction = egress", "interface-id = eni-0a1b* and flow-direction = egress"},

	// operators
	{"eq", "dstport = 22", "dstport = 22"},
	{"double eq", "dstport == 22", "dstport = 22"},
	{"ne", "dstport != 22", "dstport != 22"},
	{"lt", "packets < 5", "packets < 5"},
	{"le", "packets <= 5", "packets <= 5"},
	{"gt", "bytes > 1000", "bytes > 1000"},
	{"ge", "bytes >= 1000", "bytes >= 1000"},
	{"no spaces", "dstport=22&&action=REJECT", "dstport = 22 and action = REJECT"},
	{"in list", "dstport in (22, 3389)", "dstport in (22, 3389)"},
	{"in list without commas", "dstport in (22 3389 80)", "dstport in (22, 3389, 80)"},
	{"in one value", "dstport in (22)", "dstport in 22"},
	{"in range", "dstport in 1024-65535", "dstport in 1024-65535"},
	{"in mixed list", "dstport in (22, 1024-2048)", "dstport in (22, 1024-2048)"},
	{"not in", "dstport not in (22, 80)", "not dstport in (22, 80)"},
	{"eq range is in", "dstport = 1024-65535", "dstport in 1024-65535"},
	{"ne range is not in", "dstport != 1024-65535", "not dstport in 1024-65535"},
	{"juxtaposed value", "dstport 22", "dstport = 22"},
	{"juxtaposed range", "dstport 1024-65535", "dstport in 1024-65535"},
	{"juxtaposed list", "dstport (22, 80)", "dstport in (22, 80)"},
	{"regex", "interface-id ~ /^eni-0a/", "interface-id ~ /^eni-0a/"},
	{"regex fold", "interface-id ~ /^ENI/i", "interface-id ~ /^ENI/i"},
	{"regex not", "interface-id !~ /^eni-0a/", "not interface-id ~ /^eni-0a/"},
	{"regex quoted", `interface-id ~ "a/b"`, `interface-id ~ /a\/b/`},
	{"regex slash escaped", `interface-id ~ /a\/b/`, `interface-id ~ /a\/b/`},
	{"has", "tcp-flags has SYN", "tcp-flags has SYN"},
	{"has syn-ack", "tcp-flags has syn-ack", "tcp-flags has SYN-ACK"},
	{"has letters", "flags SA", "tcp-flags has SYN-ACK"},
	{"has number", "tcp-flags has 3", "tcp-flags has 3"},
	{"flags eq name", "tcp-flags = SYN", "tcp-flags = SYN"},
	{"flags juxtaposed number", "flags 0", "tcp-flags = 0"},
	{"flags range numeric", "tcp-flags 16-20", "tcp-flags in 16-20"},
	{"exists", "exists srcaddr", "exists srcaddr"},
	{"absent", "srcaddr = -", "srcaddr = -"},
	{"not absent", "srcaddr != -", "exists srcaddr"},
	{"absent quoted", `interface-id = "-"`, "interface-id = -"},
	{"absent juxtaposed", "action -", "action = -"},

	// connectives
	{"and or precedence", "action = REJECT or dstport = 22 and proto tcp", "action = REJECT or dstport = 22 and protocol = tcp"},
	{"parens", "(action = REJECT or dstport = 22) and proto tcp", "(action = REJECT or dstport = 22) and protocol = tcp"},
	{"symbols", "!(action = REJECT || dstport = 22) && proto tcp", "not (action = REJECT or dstport = 22) and protocol = tcp"},
	{"keywords any case", "action = REJECT AND NOT dstport = 22 OR port 80", "action = REJECT and not dstport = 22 or port = 80"},
	{"juxtaposition is and", "proto tcp port 22 action REJECT", "protocol = tcp and port = 22 and action = REJECT"},
	{"juxtaposition with or", "tcp port 22 or udp port 53", "protocol = tcp and port = 22 or protocol = udp and port = 53"},
	{"nested and flattens", "a_=1", ""}, // placeholder replaced below
	{"not not", "not not dstport = 22", "not not dstport = 22"},
	{"not binds tight", "not dstport = 22 and action = REJECT", "not dstport = 22 and action = REJECT"},
	{"not of and", "not (dstport = 22 and action = REJECT)", "not (dstport = 22 and action = REJECT)"},
	{"redundant parens", "((dstport = 22))", "dstport = 22"},

	// aliases and spellings
	{"src", "src 10.0.0.1", "srcaddr = 10.0.0.1"},
	{"dst", "dst = 10.0.0.1", "dstaddr = 10.0.0.1"},
	{"sport dport", "sport 1024 dport 443", "srcport = 1024 and dstport = 443"},
	{"eni", "eni eni-0a1b2c3d4e5f60718", "interface-id = eni-0a1b2c3d4e5f60718"},
	{"status", "status NODATA", "log-status = NODATA"},
	{"dir", "dir egress", "flow-direction = egress"},
	{"host", "host 203.0.113.7", "addr = 203.0.113.7"},
	{"ip", "ip 203.0.113.7", "addr = 203.0.113.7"},
	{"net", "net 10.0.0.0/8", "addr in 10.0.0.0/8"},
	{"addr", "addr != 10.0.0.1", "addr != 10.0.0.1"},
	{"port", "port 22", "port = 22"},
	{"portrange", "portrange 1024-2048", "port in 1024-2048"},
	{"src host", "src host 10.0.0.1", "srcaddr = 10.0.0.1"},
	{"dst net", "dst net 10.0.0.0/8", "dstaddr in 10.0.0.0/8"},
	{"src port", "src port 22", "srcport = 22"},
	{"dst portrange", "dst portrange 1-1023", "dstport in 1-1023"},
	{"src ip", "src ip 10.0.0.1", "srcaddr = 10.0.0.1"},
	{"proto", "proto udp", "protocol = udp"},
	{"bare tcp", "tcp", "protocol = tcp"},
	{"bare icmp6", "icmp6", "protocol = icmpv6"},
	{"insights spelling", "srcAddr = 10.0.0.1 and dstPort = 22", "srcaddr = 10.0.0.1 and dstport = 22"},
	{"parquet spelling", "account_id = 111122223333", "account-id = 111122223333"},
	{"field any case", "INTERFACE-ID = eni-1", "interface-id = eni-1"},
	{"extra field", "${my-field} = x", "${my-field} = x"},
	{"extra underscore", "${my_field} = x", "${my-field} = x"},
	{"known in braces", "${srcaddr} = 10.0.0.1", "srcaddr = 10.0.0.1"},
	{"source", `source = "s3://bucket/*"`, "source = s3://bucket/*"},
	{"every v5 field", "pkt-src-aws-service = S3 and traffic-path = 7 and az-id = use1-az4", "pkt-src-aws-service = S3 and traffic-path = 7 and az-id = use1-az4"},
	{"v7 and v8", "ecs-cluster-name = prod and reject-reason = BPA", "ecs-cluster-name = prod and reject-reason = BPA"},
	{"post v8", "encryption-status = 1 and resource-id = nat-1", "encryption-status = 1 and resource-id = nat-1"},

	// values
	{"unit k", "bytes > 10k", "bytes > 10000"},
	{"unit M", "bytes > 10M", "bytes > 10000000"},
	{"unit G", "bytes > 2G", "bytes > 2000000000"},
	{"unit KB", "bytes > 10KB", "bytes > 10000"},
	{"unit MB", "bytes > 10MB", "bytes > 10000000"},
	{"unit GB", "bytes > 1GB", "bytes > 1000000000"},
	{"unit KiB", "bytes > 2KiB", "bytes > 2048"},
	{"unit MiB", "bytes > 10MiB", "bytes > 10485760"},
	{"unit GiB", "bytes > 1GiB", "bytes > 1073741824"},
	{"unit fraction", "bytes > 1.5k", "bytes > 1500"},
	{"unit range", "bytes 1k-2MiB", "bytes in 1000-2097152"},
	{"ipv6", "srcaddr = 2001:DB8::1", "srcaddr = 2001:db8::1"},
	{"ipv6 cidr", "dstaddr in 2001:db8::/32", "dstaddr in 2001:db8::/32"},
	{"cidr host bits", "srcaddr in 10.1.2.3/8", "srcaddr in 10.0.0.0/8"},
	{"cidr /32 is one address", "srcaddr = 10.1.2.3/32", "srcaddr = 10.1.2.3"},
	{"ipv4 wildcard", "srcaddr = 10.0.2.*", "srcaddr in 10.0.2.0/24"},
	{"ipv4 wildcard two", "srcaddr 10.0.*.*", "srcaddr in 10.0.0.0/16"},
	{"address list", "srcaddr in (10.0.0.1, 10.1.0.0/16, ::1)", "srcaddr in (10.0.0.1, 10.1.0.0/16, ::1)"},
	{"protocol number", "protocol = 6", "protocol = tcp"},
	{"protocol unnamed", "protocol = 200", "protocol = 200"},
	{"protocol list", "proto in (tcp, 17, ICMP)", "protocol in (tcp, udp, icmp)"},
	{"protocol hyphen name", "proto ipv6-icmp", "protocol = icmpv6"},
	{"enum case", "action = reject and log-status = nodata and type = ipv6", "action = REJECT and log-status = NODATA and type = IPv6"},
	{"enum list", "log-status in (NODATA, skipdata)", "log-status in (NODATA, SKIPDATA)"},
	{"time rfc3339", "start >= 2024-06-01T10:00:00Z", "start >= 2024-06-01T10:00:00Z"},
	{"time offset", "start >= 2024-06-01T12:00:00+02:00", "start >= 2024-06-01T10:00:00Z"},
	{"time fraction", "start >= 2024-06-01T10:00:00.5Z", "start >= 2024-06-01T10:00:00Z"},
	{"time date", "end < 2024-06-02", "end < 2024-06-02T00:00:00Z"},
	{"time no zone", "end < 2024-06-01T10:30", "end < 2024-06-01T10:30:00Z"},
	{"time relative", "start > -15m", "start > -15m"},
	{"time relative compound", "start > -90m", "start > -1h30m"},
	{"time relative days", "end > -2d", "end > -2d"},
	{"time now", "end <= now", "end <= now"},
	{"time now minus", "start > now-1h", "start > -1h"},
	{"time bare duration is ago", "start > 15m", "start > -15m"},
	{"time fraction of an hour", "start > 1.5h", "start > -1h30m"},
	{"time weeks", "end >= -1w", "end >= -1w"},
	{"time date and time quoted", `start >= "2024-06-01 10:00:00"`, "start >= 2024-06-01T10:00:00Z"},
	{"time future", "end < +1w", "end < +1w"},
	{"time seconds", "start >= 1717236000", "start >= 1717236000"},
	{"time range seconds", "start 1717236000-1717239600", "start in 1717236000-1717239600"},
	{"glob", "interface-id = eni-0a1b*", "interface-id = eni-0a1b*"},
	{"glob question", "vpc-id = vpc-?", "vpc-id = vpc-?"},
	{"string quoted", `account-id = "unknown"`, "account-id = unknown"},
	{"string needs quotes", `instance-id = "a b"`, `instance-id = "a b"`},
	{"string escapes", `instance-id = "a\"b\\c"`, `instance-id = "a\"b\\c"`},
	{"string keyword", `instance-id = "and"`, `instance-id = "and"`},
	{"string list", "interface-id in (eni-1, eni-2*)", "interface-id in (eni-1, eni-2*)"},
	{"empty", "", ""},
	{"blank", "  \t ", ""},
}

func init() {
	for i := range parseCases {
		if parseCases[i].name == "nested and flattens" {
			parseCases[i].expr = "dstport = 22 and (action = REJECT and (proto tcp and port 22))"
			parseCases[i].canon = "dstport = 22 and action = REJECT and protocol = tcp and port = 22"
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			got := ""
			if n != nil {
				got = n.String()
			}
			if got != tc.canon {
				t.Errorf("Parse(%q) = %q, want %q", tc.expr, got, tc.canon)
			}
			roundTrip(t, tc.expr)
		})
	}
}

// stripPos returns a copy of n with every offset zeroed.
func stripPos(n Node) Node {
	switch n := n.(type) {
	case *And:
		a := &And{Args: make([]Node, len(n.Args))}
		for i, x := range n.Args {
			a.Args[i] = stripPos(x)
		}
		return a
	case *Or:
		o := &Or{Args: make([]Node, len(n.Args))}
		for i, x := range n.Args {
			o.Args[i] = stripPos(x)
		}
		return o
	case *Not:
		return &Not{X: stripPos(n.X)}
	case *Exists:
		return &Exists{Ref: n.Ref}
	case *Compare:
		return &Compare{Ref: n.Ref, Op: n.Op, Values: n.Values}
	}
	return n
}

// roundTrip checks that the canonical form parses to the same AST.
func roundTrip(t *testing.T, expr string) {
	t.Helper()
	n, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	if n == nil {
		return
	}
	canon := n.String()
	m, err := Parse(canon)
	if err != nil {
		t.Fatalf("canonical %q of %q does not parse: %v", canon, expr, err)
	}
	if !reflect.DeepEqual(stripPos(n), stripPos(m)) {
		t.Fatalf("round trip of %q: %q parses to a different AST (%q)", expr, canon, m)
	}
	if m.String() != canon {
		t.Fatalf("canonical form not stable: %q -> %q", canon, m.String())
	}
}

func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		roundTrip(t, genExpr(r, 4))
	}
}

var errorCases = []struct {
	name, expr string
	offset     int
	msg        string   // substring of Msg
	expected   []string // nil: not checked
	hint       string   // substring of Hint ("" : not checked)
}{
	{"misspelt field", "dstprt = 22", 0, "unknown field dstprt", []string{"field"}, "did you mean dstport?"},
	{"misspelt second field", "action = REJECT and srcadr in 10.0.0.0/8", 20, "unknown field srcadr", []string{"field"}, "did you mean srcaddr?"},
	{"transposed field", "dtsport 22", 0, "unknown field dtsport", nil, "did you mean dstport?"},
	{"unknown field no suggestion", "frobnicate = 1", 0, "unknown field frobnicate", nil, "${frobnicate}"},
	{"misspelt enum", "action = REJCT", 9, "REJCT is not a value of action", nil, "did you mean REJECT?"},
	{"bad enum", "log-status = FINE", 13, "not a value of log-status", nil, "OK, NODATA, SKIPDATA"},
	{"misspelt protocol", "proto tpc", 6, `"tpc" is not a number`, nil, "did you mean tcp?"},
	{"misspelt flag", "tcp-flags has SYNN", 14, "SYNN is not a tcp flag", nil, "did you mean SYN?"},
	{"has on other field", "dstport has SYN", 8, "has applies to tcp-flags only", nil, ""},
	{"port out of range", "dstport = 70000", 10, "70000 is out of range for dstport (0-65535)", nil, ""},
	{"empty range", "dstport 200-100", 8, "range 200-100 is empty", nil, "smaller bound first"},
	{"lt on address", "srcaddr < 10.0.0.1", 10, "< does not apply to srcaddr (address)", nil, ""},
	{"lt on range", "dstport < 1-5", 10, "< needs one number", nil, ""},
	{"lt on string", "vpc-id > a", 9, "> does not apply to vpc-id (string)", nil, ""},
	{"regex on number", "dstport ~ /2/", 8, "~ applies to string fields", nil, ""},
	{"bad regex", "vpc-id ~ /a(/", 9, "bad regular expression", nil, ""},
	{"bad regex flag", "vpc-id ~ /a/x", 9, "unknown regular expression flags x", nil, ""},
	{"unterminated regex", "vpc-id ~ /abc", 9, "unterminated regular expression", []string{"/"}, ""},
	{"unterminated string", `vpc-id = "abc`, 9, "unterminated string", []string{`"`}, ""},
	{"bad address", "srcaddr = 10.0.0.256", 10, `"10.0.0.256" is not an address`, nil, "IPv4/IPv6"},
	{"bad cidr", "srcaddr in 10.0.0.0/33", 11, "is not a CIDR", nil, ""},
	{"bad wildcard", "srcaddr = 10.*.0.1", 10, "not an address", nil, ""},
	{"zone", "srcaddr = fe80::1%eth0", 10, "not an address", nil, ""},
	{"bad unit", "bytes > 10XB", 8, `unknown unit "XB"`, nil, ""},
	{"not whole", "bytes > 1.5", 8, "not a whole number", nil, ""},
	{"bad time", "start > 2024-13-01", 8, "2024-13-01 is not a time", nil, "RFC 3339"},
	{"bad relative time", "start > -15x", 8, "-15x is not a time", nil, "relative (-15m)"},
	{"missing value", "dstport =", 9, "expected a value for dstport, got end of expression", []string{"value"}, ""},
	{"missing operator", "dstport", 7, "expected an operator or a value after dstport", []string{"=", "!=", "<", "<=", ">", ">=", "in", "value"}, ""},
	{"operator then keyword", "dstport and action = REJECT", 8, "expected an operator or a value after dstport", nil, ""},
	{"missing rparen", "(dstport = 22", 13, "missing ) for the ( at offset 0", []string{")", "and", "or"}, ""},
	{"extra rparen", "dstport = 22)", 12, "unmatched )", []string{"and", "or", "end of expression"}, ""},
	{"dangling and", "dstport = 22 and", 16, "unexpected end of expression", []string{"field", "(", "not", "exists"}, ""},
	{"dangling not", "not", 3, "unexpected end of expression", nil, ""},
	{"leading and", "and dstport = 22", 0, "expected a field, got and", nil, ""},
	{"empty parens", "()", 1, "unexpected )", []string{"field", "(", "not", "exists"}, ""},
	{"empty list", "dstport in ()", 12, "empty list", nil, ""},
	{"unclosed list", "dstport in (22, 80", 18, "list opened at offset 11 is not closed", []string{")", "value"}, ""},
	{"absent in list", "dstport in (22, -)", 16, "- (absent) cannot be in a list", nil, "dstport = -"},
	{"absent with lt", "dstport < -", 10, "- (absent) compares only with = and !=", nil, ""},
	{"single ampersand", "dstport = 22 & action = REJECT", 13, "unexpected &", []string{"&&"}, "use && or and"},
	{"single bar", "a | b", 2, "unexpected |", nil, "use || or or"},
	{"control char", "dstport = 22\x01", 12, "unexpected character", nil, ""},
	{"comma outside list", "dstport = 22, 23", 12, "unexpected ,", nil, ""},
	{"bad extra name", "${Bad} = 1", 0, "bad field reference", nil, "lower-case letter"},
	{"exists without field", "exists", 6, "expected a field", nil, ""},
	{"zero flag mask", "tcp-flags has 0", 14, "is not a tcp flag", nil, ""},
	{"deep nesting", strings.Repeat("(", 200) + "dstport = 22" + strings.Repeat(")", 200), 100, "nests too deeply", nil, ""},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.expr)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T, want *Error", err)
			}
			if e.Expr != tc.expr {
				t.Errorf("Expr = %q", e.Expr)
			}
			if e.Offset != tc.offset {
				t.Errorf("Offset = %d, want %d (%s)", e.Offset, tc.offset, e.Msg)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", e.Msg, tc.msg)
			}
			if tc.expected != nil && !slices.Equal(e.Expected, tc.expected) {
				t.Errorf("Expected = %q, want %q", e.Expected, tc.expected)
			}
			if !strings.Contains(e.Hint, tc.hint) {
				t.Errorf("Hint = %q, want it to contain %q", e.Hint, tc.hint)
			}
			if _, err := Compile(tc.expr); err == nil {
				t.Errorf("Compile accepted it")
			}
		})
	}
}

func TestCaret(t *testing.T) {
	for _, tc := range []struct{ name, expr, want string }{
		{"hint", "action = REJECT and dstprt = 22",
			"action = REJECT and dstprt = 22\n                    ^\nunknown field dstprt — did you mean dstport?"},
		{"expected", "dstport = 22)",
			"dstport = 22)\n            ^\nunmatched ); expected and, or, end of expression"},
		{"tab kept", "\tdstprt = 22", "\tdstprt = 22\n\t^\nunknown field dstprt — did you mean dstport?"},
		{"multibyte", `vpc-id = "é" dstprt`, "vpc-id = \"é\" dstprt\n             ^\nunknown field dstprt — did you mean dstport?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.(*Error).Caret(); got != tc.want {
				t.Errorf("Caret:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	e := &Error{Expr: "x", Offset: 0, Msg: "m", Hint: "h"}
	if got := e.Error(); got != "filter: m at offset 0 (h)" {
		t.Errorf("Error() = %q", got)
	}
}

func TestFields(t *testing.T) {
	fs := Fields()
	seen := map[string]bool{}
	for _, h := range fs {
		for _, n := range append([]string{h.Name}, h.Aliases...) {
			if seen[n] {
				t.Errorf("name %s listed twice", n)
			}
			seen[n] = true
		}
		if h.Doc == "" || len(h.Examples) == 0 {
			t.Errorf("%s: no doc or examples", h.Name)
		}
		for _, ex := range h.Examples {
			if _, err := Parse(ex); err != nil {
				t.Errorf("%s: example %q: %v", h.Name, ex, err)
			}
		}
	}
	if len(fs) != int(model.NumFields)-1+3+5 {
		t.Errorf("%d fields", len(fs))
	}
	for _, want := range []string{"src", "dst", "sport", "dport", "proto", "eni", "status", "dir", "addr", "host", "port", "source", "name", "src-name", "dst-name", "interface-name", "sg"} {
		if !seen[want] {
			t.Errorf("%s missing", want)
		}
	}
}

func TestCompileAPI(t *testing.T) {
	f, err := CompileAt("", genNow)
	if err != nil || !f.Empty() || f.String() != "" || f.Node() != nil {
		t.Fatalf("empty filter: %v %v %q", err, f.Empty(), f.String())
	}
	f = must(t, "start > -15m")
	if f.Empty() || f.String() != "start > -15m" || !f.Now().Equal(genNow) {
		t.Fatalf("%q now %v", f, f.Now())
	}
	var rec model.Record
	p := model.NewParser(nil)
	line := "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 " + itoa(int(genNow.Unix()-60)) + " " + itoa(int(genNow.Unix())) + " ACCEPT OK"
	if k, _ := p.Parse([]byte(line), &rec); k != model.LineRecord {
		t.Fatal(k)
	}
	if !f.Match(&rec) || must(t, "start > -30s").Match(&rec) {
		t.Error("relative times are not resolved against the compile clock")
	}
	if _, err := Compile("dstprt = 1"); err == nil {
		t.Error("Compile accepted a bad field")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic")
		}
	}()
	MustCompile("dstport =")
}
