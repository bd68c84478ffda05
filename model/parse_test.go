package model

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestNumStrFields(t *testing.T) {
	if len(strFields) != NumStrFields {
		t.Fatalf("NumStrFields = %d, schema has %d string fields", NumStrFields, len(strFields))
	}
	for f := Field(1); f < NumFields; f++ {
		if f.Kind() == KindUint && numFields[numSlot[f]] != f {
			t.Errorf("numeric slot of %s maps back to %s", f, numFields[numSlot[f]])
		}
		if got, ok := LookupField(f.String()); !ok || got != f {
			t.Errorf("LookupField(%q) = %v, %v", f.String(), got, ok)
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		extra    int
		err      string
	}{
		{"aws syntax", "${version} ${srcaddr} ${tcp-flags}", []string{"version", "srcaddr", "tcp-flags"}, 0, ""},
		{"header syntax", "version srcaddr tcp-flags", []string{"version", "srcaddr", "tcp-flags"}, 0, ""},
		{"parquet names", "account_id log_status", []string{"account-id", "log-status"}, 0, ""},
		{"unknown kept", "version tgw-id packets-lost-mtu-exceeded", []string{"version", "tgw-id", "packets-lost-mtu-exceeded"}, 2, ""},
		{"empty", "  ", nil, 0, "empty"},
		{"twice", "version version", nil, 0, "appears twice"},
		{"bad token", "version Srcaddr", nil, 0, "not a field name"},
		{"unclosed", "${version", nil, 0, "want ${field-name}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFormat(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(f.Names, " ") != strings.Join(tc.want, " ") || len(f.Extra) != tc.extra {
				t.Fatalf("names %v extra %v", f.Names, f.Extra)
			}
			g, err := ParseFormat(f.String())
			if err != nil || !g.Equal(f) {
				t.Fatalf("round trip %q: %v", f.String(), err)
			}
		})
	}
	if DefaultFormat.Len() != 14 || DefaultFormat.Pos(FieldLogStatus) != 13 {
		t.Fatal("default format")
	}
}

func parseOne(t *testing.T, p *Parser, line string) Record {
	t.Helper()
	var rec Record
	k, r := p.Parse([]byte(line), &rec)
	if k != LineRecord {
		t.Fatalf("Parse(%q) = %v %v: %v", line, k, r, p.Error([]byte(line), r, "t", "", 1))
	}
	return rec.Clone()
}

// TestReferenceExamples checks the reference's example records field by field.
func TestReferenceExamples(t *testing.T) {
	p := NewParser(nil)
	r := parseOne(t, p, "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK")
	checks := map[Field]string{
		FieldVersion: "2", FieldAccountID: "111122223333", FieldInterfaceID: "eni-0a1b2c3d4e5f60718",
		FieldSrcAddr: "10.0.1.25", FieldDstAddr: "10.0.2.140", FieldSrcPort: "51514", FieldDstPort: "5432",
		FieldProtocol: "6", FieldPackets: "18", FieldBytes: "3120", FieldStart: "1717236000", FieldEnd: "1717236060",
		FieldAction: "ACCEPT", FieldLogStatus: "OK",
	}
	for f, want := range checks {
		if got := r.Text(f); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	if r.Action() != ActionAccept || r.LogStatus() != StatusOK || srcOf(&r) != netip.MustParseAddr("10.0.1.25") {
		t.Errorf("typed fields: %+v", r)
	}

	t.Run("nodata", func(t *testing.T) {
		r := parseOne(t, p, "2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA")
		for _, f := range []Field{FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets, FieldBytes, FieldAction} {
			if r.Has(f) {
				t.Errorf("%s present in NODATA", f)
			}
			if r.Text(f) != "-" {
				t.Errorf("%s text %q", f, r.Text(f))
			}
		}
		if r.LogStatus() != StatusNoData || r.Action() != ActionAbsent {
			t.Errorf("status %v action %v", r.LogStatus(), r.Action())
		}
		if v, ok := r.Uint(FieldPackets); ok || v != 0 {
			t.Errorf("absent packets = %d, %v", v, ok)
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		r := parseOne(t, p, "2 111122223333 eni-0a1b2c3d4e5f60718 2001:db8:100:a1::25 2001:db8:ff::1 0 0 58 2 128 1717236200 1717236230 ACCEPT OK")
		if srcOf(&r) != netip.MustParseAddr("2001:db8:100:a1::25") || r.Text(FieldProtocol) != "58" {
			t.Errorf("got %v %v", srcOf(&r), r.Text(FieldProtocol))
		}
	})
	t.Run("unknown account", func(t *testing.T) {
		r := parseOne(t, p, "2 unknown eni-0aa11bb22cc33dd44 10.0.3.7 10.0.3.200 443 61022 6 12 5210 1717236100 1717236160 ACCEPT OK")
		if r.Text(FieldAccountID) != "unknown" {
			t.Error(r.Text(FieldAccountID))
		}
	})
	t.Run("v5 with header", func(t *testing.T) {
		p := NewParser(nil)
		lines := readLines(t, "../testdata/v5.log")
		var rec Record
		if k, _ := p.Parse(lines[0], &rec); k != LineHeader {
			t.Fatalf("header not recognised: %v", k)
		}
		r := parseOne(t, p, string(lines[2]))
		want := map[Field]string{FieldVersion: "5", FieldTrafficPath: "7", FieldFlowDirection: "egress",
			FieldPktDstAWSService: "DYNAMODB", FieldPktSrcAWSService: "-", FieldTCPFlags: "3", FieldAZID: "use1-az4",
			FieldType: "IPv4", FieldBytes: "1630", FieldPackets: "11", FieldRegion: "us-east-1"}
		for f, w := range want {
			if got := r.Text(f); got != w {
				t.Errorf("%s = %q, want %q", f, got, w)
			}
		}
		r = parseOne(t, p, string(lines[4]))
		if r.Text(FieldAZID) != "-" || r.Text(FieldSublocationType) != "outpost" || r.Text(FieldTrafficPath) != "1" {
			t.Errorf("outpost record: %q %q %q", r.Text(FieldAZID), r.Text(FieldSublocationType), r.Text(FieldTrafficPath))
		}
	})
	t.Run("v8 reject-reason", func(t *testing.T) {
		p := NewParser(nil)
		lines := readLines(t, "../testdata/v8.log")
		var rec Record
		p.Parse(lines[0], &rec)
		r := parseOne(t, p, string(lines[1]))
		if r.Text(FieldRejectReason) != "BPA" || r.Text(FieldFlowDirection) != "ingress" || r.Action() != ActionReject {
			t.Errorf("v8: %q %q %v", r.Text(FieldRejectReason), r.Text(FieldFlowDirection), r.Action())
		}
	})
	t.Run("milliseconds", func(t *testing.T) {
		r := parseOne(t, p, "2 123456789010 eni-4b118871 - - - - - - - 1512564058000 1512564059000 - SKIPDATA")
		if r.Text(FieldStart) != "1512564058" || r.Text(FieldEnd) != "1512564059" {
			t.Errorf("ms not normalised: %s %s", r.Text(FieldStart), r.Text(FieldEnd))
		}
	})
	t.Run("doubled space and tabs", func(t *testing.T) {
		r := parseOne(t, p, "2 111122223333  eni-1\t10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK")
		if r.Text(FieldInterfaceID) != "eni-1" {
			t.Error(r.Text(FieldInterfaceID))
		}
	})
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name, line string
		kind       LineKind
		reason     Reason
		field      string
	}{
		{"13 tokens", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT", LineBad, ReasonFieldCount, ""},
		{"15 tokens", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK X", LineBad, ReasonFieldCount, ""},
		{"srcport abc", "2 1 eni-1 10.0.0.1 10.0.0.2 abc 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonNumber, "srcport"},
		{"negative", "2 1 eni-1 10.0.0.1 10.0.0.2 -1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonNumber, "srcport"},
		{"plus sign", "2 1 eni-1 10.0.0.1 10.0.0.2 +1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonNumber, "srcport"},
		{"hex", "2 1 eni-1 10.0.0.1 10.0.0.2 0x10 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonNumber, "srcport"},
		{"port overflow", "2 1 eni-1 10.0.0.1 10.0.0.2 65536 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonRange, "srcport"},
		{"protocol overflow", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 256 1 1 1 2 ACCEPT OK", LineBad, ReasonRange, "protocol"},
		{"u64 overflow", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 18446744073709551616 1 1 2 ACCEPT OK", LineBad, ReasonRange, "packets"},
		{"counter 2^63-1 ok", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 9223372036854775807 9223372036854775807 1 2 ACCEPT OK", LineRecord, ReasonNone, ""},
		{"packets 2^63", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 9223372036854775808 1 1 2 ACCEPT OK", LineBad, ReasonRange, "packets"},
		{"bytes 2^64-1", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 18446744073709551615 1 2 ACCEPT OK", LineBad, ReasonRange, "bytes"},
		{"bad ipv4", "2 1 eni-1 10.0.0.256 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonAddress, "srcaddr"},
		{"octal-looking ipv4", "2 1 eni-1 010.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonAddress, "srcaddr"},
		{"ipv6 zone", "2 1 eni-1 fe80::1%eth0 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonAddress, "srcaddr"},
		{"bad enum", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ALLOW OK", LineBad, ReasonEnum, "action"},
		{"lower-case enum ok", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 accept ok", LineRecord, ReasonNone, ""},
		{"NUL", "2 1 eni-1\x00 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonControl, ""},
		{"escape", "2 1 eni-\x1b[2J 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK", LineBad, ReasonControl, ""},
		{"start past 2106", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 4294967296 2 ACCEPT OK", LineBad, ReasonRange, "start"},
		{"blank", "   \r\n", LineBlank, ReasonNone, ""},
		{"empty", "", LineBlank, ReasonNone, ""},
		{"header", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", LineHeader, ReasonNone, ""},
		{"too long", "2 " + strings.Repeat("x", DefaultMaxLine), LineBad, ReasonTooLong, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(nil)
			var rec Record
			k, r := p.Parse([]byte(tc.line), &rec)
			if k != tc.kind || r != tc.reason {
				t.Fatalf("got %v/%v, want %v/%v", k, r, tc.kind, tc.reason)
			}
			if k == LineBad {
				e := p.Error([]byte(tc.line), r, "file.log", "", 7)
				if e.Field != tc.field || e.Line != 7 || !strings.Contains(e.Error(), "file.log:7") {
					t.Fatalf("error %q field %q", e.Error(), e.Field)
				}
				if len(e.Excerpt) > 90 {
					t.Fatalf("excerpt too long: %d", len(e.Excerpt))
				}
			}
		})
	}
}

func TestParseCRLFAndGzipFixtures(t *testing.T) {
	p := NewParser(nil)
	lines := readLines(t, "../testdata/crlf.log")
	for _, l := range lines {
		r := parseOne(t, p, string(l))
		if r.LogStatus() != StatusOK {
			t.Errorf("CRLF line: status %v", r.LogStatus())
		}
	}
	f, err := os.Open("../testdata/s3-object.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	p = NewParser(nil)
	kinds := map[LineKind]int{}
	var rec Record
	for sc.Scan() {
		k, _ := p.Parse(sc.Bytes(), &rec)
		kinds[k]++
	}
	if kinds[LineHeader] != 1 || kinds[LineRecord] != 10 || kinds[LineBad] != 0 {
		t.Fatalf("gzip object: %v", kinds)
	}
}

func TestParseAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK\n"),
		[]byte("2 111122223333 eni-0a1b2c3d4e5f60718 2001:db8:100:a1::25 2001:db8:ff::1 0 0 58 2 128 1717236200 1717236230 ACCEPT OK"),
		[]byte("2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA\r\n"),
		[]byte("2 1 eni-1 10.0.0.1 10.0.0.2 abc 2 6 1 1 1 2 ACCEPT OK"),
	}
	p := NewParser(nil)
	var rec Record
	for _, l := range lines {
		if n := testing.AllocsPerRun(100, func() { p.Parse(l, &rec) }); n != 0 {
			t.Errorf("Parse(%q) allocates %.1f times", l, n)
		}
	}
	v5 := readLines(t, "../testdata/v5.log")
	p.Parse(v5[0], &rec)
	if n := testing.AllocsPerRun(100, func() { p.Parse(v5[1], &rec) }); n != 0 {
		t.Errorf("v5 Parse allocates %.1f times", n)
	}
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// peerCase is one case of ../shared/peer-vectors/cases*.jsonl.
type peerCase struct {
	Source string            `json:"source"`
	Format any               `json:"format"`
	Line   string            `json:"line"`
	Expect map[string]any    `json:"expect"`
	Note   string            `json:"note"`
	Extra  map[string]string `json:"-"`
}

// TestPeerVectors parses other projects' flow-log test vectors and compares
// every field with their expected values (skipped when ../shared is absent).
func TestPeerVectors(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "peer-vectors")
	for _, name := range []string{"cases.jsonl", "cases-tgw.jsonl", "cases-extra.jsonl"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("peer vectors not present: %v", err)
		}
		for i, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var c peerCase
			if err := json.Unmarshal(l, &c); err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			t.Run(name+"#"+strconv.Itoa(i+1), func(t *testing.T) {
				f := DefaultFormat
				switch v := c.Format.(type) {
				case string:
					f = MustParseFormat(v)
				case []any:
					var names []string
					for _, n := range v {
						names = append(names, n.(string))
					}
					f = MustParseFormat(strings.Join(names, " "))
				}
				p := NewParser(f)
				var rec Record
				k, r := p.Parse([]byte(c.Line), &rec)
				if strings.Contains(c.Note, "trailing extra token") && len(strings.Fields(c.Line)) != f.Len() {
					// Deliberate: the reference says a field count that differs
					// from the format's is malformed; we count it, never guess.
					if k != LineBad || r != ReasonFieldCount {
						t.Fatalf("%s: got %v %v, want a field-count rejection", c.Source, k, r)
					}
					return
				}
				if k != LineRecord {
					t.Fatalf("%s: %v %v: %v", c.Source, k, r, p.Error([]byte(c.Line), r, "", "", 0))
				}
				for key, want := range c.Expect {
					got := fieldText(&rec, key)
					var w string
					switch v := want.(type) {
					case float64:
						if (key == "start" || key == "end") && v > msThreshold {
							v = float64(int64(v) / 1000) // we normalise milliseconds to seconds
						}
						w = strconv.FormatFloat(v, 'f', -1, 64)
					case string:
						w = v
					}
					if fld, ok := LookupField(key); ok && fld.Kind() == KindAddr && w != "-" {
						w = netip.MustParseAddr(w).String()
					}
					if got != w {
						t.Errorf("%s: %s = %q, want %q", c.Source, key, got, w)
					}
				}
			})
		}
	}
}

// fieldText returns a field's text, known or unknown, from a parsed record.
func fieldText(r *Record, name string) string {
	if f, ok := LookupField(name); ok {
		return r.Text(f)
	}
	for i, col := range r.Format.Extra {
		if r.Format.Names[col] == name {
			return string(r.Extra[i])
		}
	}
	return "<missing>"
}

func FuzzParse(f *testing.F) {
	for _, l := range []string{
		"2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK",
		"2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA",
		"version srcaddr dstaddr",
		"2 1 eni-1 2001:db8::1 ::ffff:1.2.3.4 1 2 6 1 1 1 2 ACCEPT OK",
		"\x00\xff\xfe 1 2",
	} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p := NewParser(nil)
		var rec Record
		k, r := p.Parse(line, &rec)
		switch k {
		case LineBad:
			if r == ReasonNone {
				t.Fatal("bad line without reason")
			}
			_ = p.Error(line, r, "fuzz", "", 1).Error()
		case LineRecord:
			for f := Field(1); f < NumFields; f++ {
				_ = rec.Text(f)
			}
			if rec.Has(FieldSrcPort) {
				if v, _ := rec.Uint(FieldSrcPort); v > 65535 {
					t.Fatalf("port %d", v)
				}
			}
		}
	})
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestParseEight(t *testing.T) {
	for _, s := range []string{"00000000", "12345678", "99999999", "17172360", "00000001", "10000000"} {
		v := uint64(0)
		for _, c := range s {
			v = v*10 + uint64(c-'0')
		}
		chunk := uint64(0)
		for i := 7; i >= 0; i-- {
			chunk = chunk<<8 | uint64(s[i])
		}
		if !eightDigits(chunk) || parseEight(chunk) != v {
			t.Errorf("%s: %v %d", s, eightDigits(chunk), parseEight(chunk))
		}
	}
	for _, s := range []string{"1234567a", "/2345678", ":2345678", "1234 678", "12345678"[:7] + "\xb9"} {
		chunk := uint64(0)
		for i := 7; i >= 0; i-- {
			chunk = chunk<<8 | uint64(s[i])
		}
		if eightDigits(chunk) {
			t.Errorf("%q taken for digits", s)
		}
	}
}

// srcOf returns the record's srcaddr (the zero Addr when absent).
func srcOf(r *Record) netip.Addr {
	a, _ := r.Addr(FieldSrcAddr)
	return a
}

// TestSynth: the shared generator's lines all parse, and a seed gives the
// same lines however they are split across calls.
func TestSynth(t *testing.T) {
	whole := NewSynth(3).Append(nil, 3000)
	s := NewSynth(3)
	var parts []byte
	for _, n := range []int{1, 999, 1000, 1000} {
		parts = s.Append(parts, n)
	}
	if !bytes.Equal(whole, parts) {
		t.Fatal("split calls give other lines")
	}
	p := NewParser(nil)
	var rec Record
	for data := whole; len(data) > 0; {
		var l []byte
		l, data = CutLine(data)
		if k, r := p.Parse(l, &rec); k != LineRecord {
			t.Fatalf("%q: %v", l, r)
		}
	}
}

// TestSWARScans checks the eight-bytes-at-a-time digit run and token end
// against byte-by-byte loops on random bytes biased towards the edges
// (digits, '/', ':', space, tab, control bytes, DEL, UTF-8).
func TestSWARScans(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	alphabet := []byte("0123456789/: \t\x00\x1f\x7f\x80\xff!-a")
	var buf [8]byte
	for n := 0; n < 200000; n++ {
		for i := range buf {
			buf[i] = alphabet[r.IntN(len(alphabet))]
		}
		v := binary.LittleEndian.Uint64(buf[:])
		k := 0
		for k < 8 && buf[k] >= '0' && buf[k] <= '9' {
			k++
		}
		if got := digitRun(v); got != k {
			t.Fatalf("digitRun(%q) = %d, want %d", buf, got, k)
		}
		if k < 8 {
			want, _ := strconv.ParseUint("0"+string(buf[:k]), 10, 64)
			if got := parseEight(padDigits(v, k)); got != want {
				t.Fatalf("padDigits(%q, %d) reads %d, want %d", buf, k, got, want)
			}
		}
		line := append(buf[:], buf[:]...)
		end, reason := len(line), ReasonNone
		for i, c := range line {
			if c == ' ' || c == '\t' {
				end = i
				break
			}
			if c < ' ' || c == 0x7f {
				end, reason = i, ReasonControl
				break
			}
		}
		if got, gr := skipToken(line, 0); got != end || gr != reason {
			t.Fatalf("skipToken(%q) = %d %v, want %d %v", line, got, gr, end, reason)
		}
	}
}

// TestSkipUnchecked: a skipped field is only found unless its check is
// asked for, and the line's shape is checked either way, in a format set
// by a header line too.
func TestSkipUnchecked(t *testing.T) {
	const hdr = "version srcaddr dstaddr srcport dstport action"
	skip := ^FieldSet(0).With(FieldAction)
	for _, c := range []struct {
		line  string
		check bool
		kind  LineKind
		why   Reason
	}{
		{"2 10.0.0.1 10.0.0.2 70000 22 ACCEPT", false, LineRecord, ReasonNone},
		{"2 10.0.0.1 10.0.0.2 70000 22 ACCEPT", true, LineBad, ReasonRange},
		{"2 10.0.0.999 x 1 22 ACCEPT", false, LineRecord, ReasonNone},
		{"2 10.0.0.999 x 1 22 ACCEPT", true, LineBad, ReasonAddress},
		{"2 10.0.0.1 10.0.0.2 1 22 MAYBE", false, LineBad, ReasonEnum},         // action is read
		{"2 10.0.0.1 10.0.0.2 1 ACCEPT", false, LineBad, ReasonFieldCount},     // one field short
		{"2 10.0.0.1 10.0.\x1b0.2 1 22 ACCEPT", false, LineBad, ReasonControl}, // control bytes
	} {
		p := NewParser(nil)
		p.Skip(skip, c.check)
		var rec Record
		if k, _ := p.Parse([]byte(hdr), &rec); k != LineHeader {
			t.Fatalf("header: %v", k)
		}
		k, r := p.Parse([]byte(c.line), &rec)
		if k != c.kind || r != c.why {
			t.Errorf("%q check %v: %v %v, want %v %v", c.line, c.check, k, r, c.kind, c.why)
		}
		if k == LineRecord && (rec.Present != FieldSet(0).With(FieldAction) || rec.Enums[enumSlot[FieldAction]] != uint8(ActionAccept)) {
			t.Errorf("%q: present %b, action %d", c.line, rec.Present, rec.Enums[enumSlot[FieldAction]])
		}
	}
}

// TestParseFastAgrees mutates lines in every way the fast path must leave
// to the full parser (blanks, tabs, control bytes, field counts, absent
// and bad values, letters at the start, long numbers) and wants the same
// verdict, reason and record from a parser that tries it first as from
// the full parser alone, for questions that keep different fields, for
// the index (every field) and for --strict (every field checked).
func TestParseFastAgrees(t *testing.T) {
	lines := splitLines(genLines(2000, 5))
	for i := range lines {
		lines[i] = bytes.TrimSuffix(lines[i], []byte("\n"))
	}
	r := rand.New(rand.NewPCG(7, 8))
	muts := []func(l []byte) []byte{
		func(l []byte) []byte { return l },
		func(l []byte) []byte { // one byte replaced
			const bytes = " \t\x1b\x7f-a0.:9Z$\r\x80"
			l[r.IntN(len(l))] = bytes[r.IntN(len(bytes))]
			return l
		},
		func(l []byte) []byte { // a field dropped or doubled
			f := bytes.Fields(l)
			i := r.IntN(len(f))
			if r.IntN(2) == 0 {
				f = append(f[:i], f[i+1:]...)
			} else {
				f = append(f[:i+1], f[i:]...)
			}
			return bytes.Join(f, []byte(" "))
		},
		func(l []byte) []byte { // a field replaced
			f := bytes.Fields(l)
			f[r.IntN(len(f))] = [][]byte{[]byte("-"), []byte("99999999999999999999999"), []byte("1717236000123"),
				[]byte("256.1.1.1"), []byte("2001:db8::1"), []byte("ALLOW"), []byte("0x10"), []byte("")}[r.IntN(8)]
			return bytes.Join(f, []byte(" "))
		},
		func(l []byte) []byte { return append([]byte(" "), l...) },
		func(l []byte) []byte { return append(l, ' ') },
		func(l []byte) []byte { return bytes.Replace(l, []byte(" "), []byte("  "), 1) },
	}
	keeps := []FieldSet{
		FieldSet(0).With(FieldAction),
		FieldSet(0).With(FieldSrcAddr).With(FieldBytes),
		FieldSet(0).With(FieldDstPort).With(FieldAction).With(FieldStart).With(FieldEnd),
		FieldSet(0).With(FieldInterfaceID).With(FieldLogStatus).With(FieldPackets).With(FieldVersion),
		^FieldSet(0), // every field, as the index reads them
	}
	for ki, keep := range append(keeps, FieldSet(0).With(FieldAction)) {
		check := ki == len(keeps) // the last: checked but not kept (query --strict)
		fast, full := NewParser(nil), NewParser(nil)
		fast.Skip(^keep, check)
		full.Skip(^keep, check)
		full.fast = false
		for i, l := range lines {
			for mi, mut := range muts {
				line := mut(bytes.Clone(l))
				var b Record
				kb, rb := full.Parse(line, &b)
				// the line alone in its buffer (read eight bytes at a
				// time), and with bytes after it (sixty-four at a time)
				tail := append(bytes.Clone(line), "\n2 x y\x1b  \xff"+strings.Repeat(" ", 64)...)
				for _, in := range [][]byte{line[:len(line):len(line)], tail[:len(line)]} {
					var a Record
					ka, ra := fast.Parse(in, &a)
					if ka != kb || ra != rb || ka == LineRecord && !reflect.DeepEqual(a, b) {
						t.Fatalf("keep %b, line %d mutation %d %q (cap %d):\nfast %v %v %+v\nfull %v %v %+v", keep, i, mi, line, cap(in), ka, ra, a, kb, rb, b)
					}
				}
				// as a worker reads it: the line at the start of the rest
				// of its piece, the line end found in the same pass
				for _, nl := range []string{"\n", "\r\n"} {
					data := append(append(append(make([]byte, 0, 512), line...), nl...), lines[(i+1)%len(lines)]...)
					var c Record
					if e, ok := fast.parseFast(data, &c); ok && (e != len(line) || nl != "\n" || kb != LineRecord || !reflect.DeepEqual(c, b)) {
						t.Fatalf("keep %b, line %d mutation %d %q: parseFast says a record of %d bytes %+v; full parser %v %v %+v", keep, i, mi, data, e, c, kb, rb, b)
					}
				}
			}
		}
	}
}

// TestParseFastLetters: in a format whose first field is an identifier,
// data lines start with a letter and stay on the fast path, while a line
// whose first token could be a field name (a header line maybe) is the full
// parser's: both parsers agree on every line, headers included.
func TestParseFastLetters(t *testing.T) {
	const hdr = "interface-id srcaddr dstaddr dstport action bytes"
	lines := []string{
		"eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 ACCEPT 1200",
		"eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 MAYBE 1200",
		"eni-0a1b2c3d 10.0.0.999 10.0.0.2 443 ACCEPT 1200",
		"bogus 10.0.0.1 10.0.0.2 443 ACCEPT 1200",
		"srcaddr 10.0.0.1 10.0.0.2 443 ACCEPT 1200",
		"version srcaddr dstaddr dstport action",
		"${version} ${srcaddr} ${action}",
		"interface-id srcaddr dstaddr dstport action bytes",
	}
	for _, keep := range []FieldSet{FieldSet(0).With(FieldAction), FieldSet(0).With(FieldInterfaceID).With(FieldBytes), FieldSet(0).With(FieldInterfaceID)} {
		fast, full := NewParser(nil), NewParser(nil)
		fast.Skip(^keep, false)
		full.Skip(^keep, false)
		for _, p := range []*Parser{fast, full} {
			var rec Record
			if k, _ := p.Parse([]byte(hdr), &rec); k != LineHeader {
				t.Fatal(k)
			}
		}
		full.fast = false // (a format change turns it back on)
		for _, l := range lines {
			var a, b Record
			buf := append([]byte(l), "\n"+strings.Repeat("9", 64)...)[:len(l)]
			ka, ra := fast.Parse(buf, &a)
			kb, rb := full.Parse([]byte(l), &b)
			if ka != kb || ra != rb || ka == LineRecord && !reflect.DeepEqual(a, b) {
				t.Fatalf("keep %b %q: fast %v %v %+v, full %v %v %+v", keep, l, ka, ra, a, kb, rb, b)
			}
			if ka == LineHeader { // both switched format: back to the test's
				for _, p := range []*Parser{fast, full} {
					var rec Record
					p.Parse([]byte(hdr), &rec)
				}
				full.fast = false
			}
		}
	}
}

// FuzzParseFast holds the fast path to the full parser on any line, read
// eight and sixty-four bytes at a time and as a worker reads it (the line
// followed by another), for a question that keeps three fields and for
// the index, which keeps them all.
// go test ./model -run XXX -fuzz FuzzParseFast explores further.
func FuzzParseFast(f *testing.F) {
	for _, l := range splitLines(genLines(20, 3)) {
		f.Add(bytes.TrimSuffix(l, []byte("\n")))
	}
	f.Add([]byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 40 1 2 ACCEPT OK"))
	f.Add([]byte("2 1 eni-1 10.0.0.1  10.0.0.2 1 22 6 1 40 1 2 ACCEPT OK"))
	f.Add([]byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"))
	fast, full := NewParser(nil), NewParser(nil)
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // one line
		}
		// three fields kept unchecked (a scan), or every field (the index)
		keep := FieldSet(0).With(FieldSrcAddr).With(FieldBytes).With(FieldAction)
		if len(line)%2 == 1 {
			keep = ^FieldSet(0)
		}
		fast.SetFormat(nil)
		full.SetFormat(nil)
		fast.Skip(^keep, false)
		full.Skip(^keep, false)
		full.fast = false
		var b Record
		kb, rb := full.Parse(line, &b)
		tail := append(bytes.Clone(line), "\n2 x\x1b  "+strings.Repeat(" ", 64)...)
		for _, in := range [][]byte{line[:len(line):len(line)], tail[:len(line)]} {
			fast.SetFormat(nil)
			var a Record
			ka, ra := fast.Parse(in, &a)
			if ka != kb || ra != rb || ka == LineRecord && !reflect.DeepEqual(a, b) {
				t.Fatalf("%q (cap %d): fast %v %v %+v, full %v %v %+v", line, cap(in), ka, ra, a, kb, rb, b)
			}
		}
		fast.SetFormat(nil)
		var c Record
		if e, ok := fast.parseFast(tail, &c); ok && (e != len(line) || kb != LineRecord || !reflect.DeepEqual(c, b)) {
			t.Fatalf("%q as a worker reads it: a record of %d bytes %+v; full parser %v %v %+v", line, e, c, kb, rb, b)
		}
	})
}

// TestParseFastUnknownFormat: an object whose format could not be told has
// no fields; its lines are the full parser's (bad, for that reason),
// whatever the parser keeps, and read as a worker reads them.
func TestParseFastUnknownFormat(t *testing.T) {
	for _, skip := range []FieldSet{0, ^FieldSet(0).With(FieldAction)} {
		p := NewParser(unknownFormat("no header"))
		p.Skip(skip, false)
		data := []byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 40 1 2 ACCEPT OK\n2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 40 1 2 ACCEPT OK\n" + strings.Repeat(" ", 64))
		var rec Record
		if _, ok := p.parseFast(data, &rec); ok {
			t.Errorf("skip %b: parseFast read a line of an unknown format", skip)
		}
		if k, r := p.Parse(data[:54], &rec); k != LineBad || r != ReasonFormat {
			t.Errorf("skip %b: %v %v, want bad: unknown format", skip, k, r)
		}
	}
}
