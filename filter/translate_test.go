package filter

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

var v5 = genFormats[2]

func TestAthena(t *testing.T) {
	for _, tc := range []struct{ name, expr, want string }{
		{"empty", "", "SELECT * FROM t"},
		{"two conditions", "action = REJECT and dstport in (22, 3389)",
			"SELECT * FROM t WHERE action = 'REJECT' AND dstport IN (22, 3389)"},
		{"cidr and negation", "src net 10.0.0.0/8 and not dst port 443",
			"SELECT * FROM t WHERE contains('10.0.0.0/8', try_cast(srcaddr AS ipaddress)) AND NOT (dstport = 443)"},
		{"string negation is guarded", "action != REJECT",
			"SELECT * FROM t WHERE (action <> '-' AND NOT (action = 'REJECT'))"},
		{"range or either side", "dstport 1024-65535 or host 203.0.113.7",
			"SELECT * FROM t WHERE dstport BETWEEN 1024 AND 65535 OR (srcaddr = '203.0.113.7' OR dstaddr = '203.0.113.7')"},
		{"neither side", "not port 22",
			"SELECT * FROM t WHERE NOT (srcport = 22) AND NOT (dstport = 22)"},
		{"ipv6 address", "srcaddr = 2001:db8::1",
			"SELECT * FROM t WHERE contains('2001:db8::1/128', try_cast(srcaddr AS ipaddress))"},
		{"flags", "tcp-flags has SYN and not tcp-flags has ACK",
			"SELECT * FROM t WHERE bitwise_and(tcp_flags, 2) = 2 AND NOT (bitwise_and(tcp_flags, 16) = 16)"},
		{"glob and regex", `interface-id = eni-0a_1* or vpc-id ~ /^vpc-(a|b)/i`,
			`SELECT * FROM t WHERE interface_id LIKE 'eni-0a\_1%' ESCAPE '\' OR regexp_like(vpc_id, '(?i)^vpc-(a|b)')`},
		{"quotes escaped", `instance-id = "it's"`, `SELECT * FROM t WHERE instance_id = 'it''s'`},
		{"absent and present", "srcaddr = - and exists packets",
			"SELECT * FROM t WHERE (srcaddr = '-' OR srcaddr IS NULL) AND packets IS NOT NULL"},
		{"time range to partitions", "start >= 2024-06-01T23:50:00Z and end < 2024-06-02T01:00:00Z and action = REJECT",
			`SELECT * FROM t WHERE day BETWEEN '2024/06/01' AND '2024/06/02' AND start >= 1717285800 AND "end" < 1717290000 AND action = 'REJECT'`},
		{"relative time", "start > -1h",
			"SELECT * FROM t WHERE day >= '2024/06/01' AND start > 1717236000"},
		{"upper bound only", "end <= 2024-06-01T12:00:00Z",
			`SELECT * FROM t WHERE day <= '2024/06/01' AND "end" <= 1717243200`},
		{"unknown field column", "${my-extra} = x", "SELECT * FROM t WHERE my_extra = 'x'"},
		{"source not translated", `action = REJECT and source = "s3://b/*"`,
			"SELECT * FROM t WHERE action = 'REJECT'\n-- not translated, apply locally: source = s3://b/*"},
		{"nested", "not (action = REJECT or (dstport = 22 and bytes > 1k))",
			"SELECT * FROM t WHERE (action <> '-' AND NOT (action = 'REJECT')) AND (NOT (dstport = 22) OR NOT (bytes > 1000))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := must(t, tc.expr).Athena("t"); got != tc.want {
				t.Errorf("Athena(%q):\n got %s\nwant %s", tc.expr, got, tc.want)
			}
		})
	}
}

func TestInsights(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		format     *model.Format
		want       string
	}{
		{"empty", "", nil, "fields @timestamp, @message"},
		{"two conditions", "action = REJECT and dstport = 22", nil,
			"fields @timestamp, @message\n| filter action = \"REJECT\" and dstPort = 22"},
		{"cidrs", "src net 10.0.0.0/8 or dst in 2001:db8::/32", nil,
			"fields @timestamp, @message\n| filter isIpv4InSubnet(srcAddr, \"10.0.0.0/8\") or isIpv6InSubnet(dstAddr, \"2001:db8::/32\")"},
		{"negation guarded", "not dstport in (22, 1024-2048)", nil,
			"fields @timestamp, @message\n| filter dstPort != \"-\" and not (dstPort = 22 or (dstPort >= 1024 and dstPort <= 2048))"},
		{"flags arithmetic", "tcp-flags has SYN-ACK", nil,
			"fields @timestamp, @message\n| filter (tcpFlags % 4 >= 2 and tcpFlags % 32 >= 16)"},
		{"glob", "interface-id = eni-0a.b*", nil,
			"fields @timestamp, @message\n| filter interfaceId like /^eni-0a\\.b.*$/"},
		{"lists and absent", "log-status in (NODATA, SKIPDATA) or srcaddr = -", nil,
			"fields @timestamp, @message\n| filter logStatus in [\"NODATA\", \"SKIPDATA\"] or srcAddr = \"-\""},
		{"default format folds missing fields", "action = REJECT and tcp-flags has SYN", model.DefaultFormat,
			"fields @timestamp, @message\n| filter 1 = 0"},
		{"default format folds absent tests", "action = REJECT and vpc-id = -", model.DefaultFormat,
			"fields @timestamp, @message\n| filter action = \"REJECT\""},
		{"custom format parses", "flow-direction = egress and pkt-dst-aws-service = S3", v5,
			"fields @timestamp, @message\n| parse @message \"* * * * * * * * * * * * * * * * * * * * * * * * * * * * *\" as version, srcAddr, dstAddr, srcPort, dstPort, protocol, start, end, type, packets, bytes, accountId, vpcId, subnetId, instanceId, interfaceId, region, azId, sublocationType, sublocationId, action, tcpFlags, pktSrcAddr, pktDstAddr, pktSrcAwsService, pktDstAwsService, trafficPath, flowDirection, logStatus\n| filter flowDirection = \"egress\" and pktDstAwsService = \"S3\""},
		{"source commented", `source = x and port 22`, nil,
			"fields @timestamp, @message\n| filter srcPort = 22 or dstPort = 22\n# not translated, apply locally: source = x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := must(t, tc.expr)
			got := f.Insights()
			if tc.format != nil {
				got = f.InsightsFormat(tc.format)
			}
			if got != tc.want {
				t.Errorf("Insights(%q):\n got %s\nwant %s", tc.expr, got, tc.want)
			}
		})
	}
}

func TestCWLPattern(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		format     *model.Format
		pattern    string
		residual   string // canonical form; "" = none
	}{
		{"empty", "", nil, "", ""},
		{"exact", "action = REJECT and dstport in (22, 3389)", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport = 22 || dstport = 3389, protocol, packets, bytes, start, end, action = \"REJECT\", log_status]", ""},
		{"octet cidr and range", "srcaddr in 10.1.0.0/16 and bytes 400-1000", nil,
			"[version, account_id, interface_id, srcaddr = 10.1.*, dstaddr, srcport, dstport, protocol, packets, bytes >= 400 && bytes <= 1000, start, end, action, log_status]", ""},
		{"two conditions on one field", "bytes >= 400 and bytes < 1000 and dstport = 80 or dstport = 8080 and action = REJECT", nil,
			"", "bytes >= 400 and bytes < 1000 and dstport = 80 or dstport = 8080 and action = REJECT"},
		{"and on one field", "bytes >= 400 and bytes < 1000", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes >= 400 && bytes < 1000, start, end, action, log_status]", ""},
		{"or on one field", "dstport = 80 or dstport = 8080", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, log_status]", ""},
		{"or chain not mixed", "dstport in (80, 8080) and dstport > 10", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, log_status]", "dstport > 10"},
		{"cidr not on octets widens", "srcaddr in 10.0.0.0/12 and action = ACCEPT", nil,
			"[version, account_id, interface_id, srcaddr = 10.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = \"ACCEPT\", log_status]", "srcaddr in 10.0.0.0/12"},
		{"or across fields", "action = REJECT or dstport = 22", nil, "", "action = REJECT or dstport = 22"},
		{"either side", "port 22 and action = REJECT", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = \"REJECT\", log_status]", "port = 22"},
		{"regex", "interface-id ~ /^eni-0a/ and dstport = 22", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport = 22, protocol, packets, bytes, start, end, action, log_status]", "interface-id ~ /^eni-0a/"},
		{"not pushed as superset", "not action = REJECT", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action != \"REJECT\", log_status]", "not action = REJECT"},
		{"not of or", "not (dstport = 22 or dstport = 3389)", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport != 22 && dstport != 3389, protocol, packets, bytes, start, end, action, log_status]", "not dstport = 22 and not dstport = 3389"},
		{"not of cidr", "not srcaddr in 10.0.0.0/8", nil, "", "not srcaddr in 10.0.0.0/8"},
		{"glob", "interface-id = eni-0a1b* and account-id = unknown", nil,
			"[version, account_id = \"unknown\", interface_id = eni-0a1b*, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]", ""},
		{"glob question widens", "interface-id = eni-0?1b", nil,
			"[version, account_id, interface_id = eni-0*1b, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]", "interface-id = eni-0?1b"},
		{"ipv6 not pushed", "srcaddr = 2001:db8::1", nil, "", "srcaddr = 2001:db8::1"},
		{"absent and present", "srcaddr = - and exists log-status", nil,
			"[version, account_id, interface_id, srcaddr = \"-\", dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status != \"-\"]", ""},
		{"time", "start >= 2024-06-01T10:00:00Z and end < -30m", nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start >= 1717236000, end < 1717237800, action, log_status]", ""},
		{"flags not pushed", "tcp-flags has SYN and dstport = 443", v5,
			"[version, srcaddr, dstaddr, srcport, dstport = 443, protocol, start, end, type, packets, bytes, account_id, vpc_id, subnet_id, instance_id, interface_id, region, az_id, sublocation_type, sublocation_id, action, tcp_flags, pkt_srcaddr, pkt_dstaddr, pkt_src_aws_service, pkt_dst_aws_service, traffic_path, flow_direction, log_status]", "tcp-flags has SYN"},
		{"custom format", "flow-direction = egress and traffic-path = 7", v5,
			"[version, srcaddr, dstaddr, srcport, dstport, protocol, start, end, type, packets, bytes, account_id, vpc_id, subnet_id, instance_id, interface_id, region, az_id, sublocation_type, sublocation_id, action, tcp_flags, pkt_srcaddr, pkt_dstaddr, pkt_src_aws_service, pkt_dst_aws_service, traffic_path = 7, flow_direction = \"egress\", log_status]", ""},
		{"field not in format", "flow-direction = egress", nil, "", "flow-direction = egress"},
		{"source not pushed", `source = "s3://b/*" and dstport = 22`, nil,
			"[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport = 22, protocol, packets, bytes, start, end, action, log_status]", "source = s3://b/*"},
		{"nothing pushable", "proto in (tcp, udp) or host 10.0.0.1", nil, "", "protocol in (tcp, udp) or addr = 10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := must(t, tc.expr)
			pat, res, exact := f.CWLPattern(tc.format)
			if pat != tc.pattern {
				t.Errorf("pattern:\n got %s\nwant %s", pat, tc.pattern)
			}
			got := ""
			if res != nil {
				got = res.String()
			}
			if got != tc.residual {
				t.Errorf("residual %q, want %q", got, tc.residual)
			}
			if exact != (res == nil) {
				t.Errorf("exact %v with residual %q", exact, got)
			}
		})
	}
}

// cwlMatch is a small evaluator for the bracket patterns CWLPattern
// writes, with the semantics assumed there: a quoted value compares text, an
// unquoted one with * is a wildcard, a number compares numerically (a token
// that is not a number fails every numeric test except !=).
func cwlMatch(t *testing.T, pattern string, toks []string) bool {
	if pattern == "" {
		return true
	}
	fields := strings.Split(strings.Trim(pattern, "[]"), ", ")
	if len(fields) != len(toks) {
		t.Fatalf("pattern has %d fields, record %d", len(fields), len(toks))
	}
	for i, f := range fields {
		label, cond, ok := strings.Cut(f, " ")
		if !ok {
			continue
		}
		any := false
		for _, alt := range strings.Split(cond, " || ") {
			all := true
			for k, atom := range strings.Split(alt, " && ") {
				if k > 0 || strings.HasPrefix(atom, label+" ") {
					atom = strings.TrimPrefix(atom, label+" ")
				}
				op, val, _ := strings.Cut(atom, " ")
				all = all && cwlAtom(t, toks[i], op, val)
			}
			any = any || all
		}
		if !any {
			return false
		}
	}
	return true
}

func cwlAtom(t *testing.T, tok, op, val string) bool {
	if strings.HasPrefix(val, `"`) {
		v, err := strconv.Unquote(val)
		if err != nil {
			t.Fatal(err)
		}
		switch op {
		case "=":
			return tok == v
		case "!=":
			return tok != v
		}
		t.Fatalf("op %s on a string", op)
	}
	if strings.Contains(val, "*") {
		if op != "=" {
			t.Fatalf("op %s on a wildcard", op)
		}
		return globMatch(val, tok)
	}
	n, err := strconv.ParseUint(val, 10, 64)
	if err != nil {
		t.Fatalf("bad pattern value %q", val)
	}
	x, err := strconv.ParseUint(tok, 10, 64)
	if err != nil {
		return op == "!="
	}
	switch op {
	case "=":
		return x == n
	case "!=":
		return x != n
	case "<":
		return x < n
	case "<=":
		return x <= n
	case ">":
		return x > n
	case ">=":
		return x >= n
	}
	t.Fatalf("op %s", op)
	return false
}

// recTokens writes a record back as the tokens of its line.
func recTokens(rec *model.Record) []string {
	toks := make([]string, len(rec.Format.Names))
	extra := 0
	for i, fl := range rec.Format.Fields {
		if fl == model.FieldUnknown {
			toks[i] = string(rec.Extra[extra])
			extra++
			continue
		}
		toks[i] = rec.Text(fl)
	}
	return toks
}

// TestCWLSound checks on generated rows of every format that the pattern
// selects a superset of the filter's rows and that pattern and residual
// together select exactly them.
func TestCWLSound(t *testing.T) {
	d := genRecords(4000, 100, 31)
	rr := rand.New(rand.NewPCG(41, 1))
	pushed, n := 0, 400
	if testing.Short() {
		n = 100
	}
	for i := 0; i < n; i++ {
		f := must(t, genExpr(rr, 2))
		for _, fm := range genFormats {
			pat, res, _ := f.CWLPattern(fm)
			if pat != "" {
				pushed++
			}
			for k := range d.recs {
				rec := &d.recs[k]
				if !rec.Format.Equal(fm) {
					continue
				}
				want := f.MatchSource(rec, d.sources[k])
				p := cwlMatch(t, pat, recTokens(rec))
				if want && !p {
					t.Fatalf("%q: pattern %s drops a matching row: %s", f, pat, recText(rec))
				}
				got := p && (res == nil || res.MatchSource(rec, d.sources[k]))
				if got != want {
					t.Fatalf("%q on %s: pattern %s + residual %v = %v, filter %v", f, recText(rec), pat, res, got, want)
				}
			}
		}
	}
	if pushed < n/4 {
		t.Errorf("only %d patterns pushed anything", pushed)
	}
}
