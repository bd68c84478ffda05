package model

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// readSample reads a testdata file and returns its format (from its
// header line, or the default) and its data lines without the header.
func readSample(t *testing.T, name string) (*Format, [][]byte) {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f := DefaultFormat
	var lines [][]byte
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if IsHeaderLine(l) {
			if f, err = ParseFormat(string(l)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		lines = append(lines, l)
	}
	return f, lines
}

// synthRecord is one made-up record of every field through v8, as text,
// varied the way real records are: both directions, NODATA now and then,
// services, traffic paths and a sublocation on some lines.
func synthRecord(r *rand.Rand, i int) map[Field]string {
	m := map[Field]string{}
	start := 1717236000 + r.IntN(3600)
	pkts := 1 + r.IntN(200)
	eni := []string{"eni-0a1b2c3d4e5f60718", "eni-0fedcba9876543210"}[r.IntN(2)]
	m[FieldVersion] = "5"
	m[FieldAccountID] = "111122223333"
	m[FieldInterfaceID] = eni
	m[FieldVPCID] = "vpc-0123456789abcdef0"
	m[FieldSubnetID] = []string{"subnet-0aaaabbbbcccc1111", "subnet-0bbbbccccdddd2222"}[r.IntN(2)]
	m[FieldInstanceID] = []string{"i-0123456789abcdef0", "-"}[r.IntN(2)]
	m[FieldRegion] = "us-east-1"
	m[FieldAZID] = "use1-az4"
	m[FieldSublocationType], m[FieldSublocationID] = "-", "-"
	if i%7 == 3 {
		m[FieldAZID], m[FieldSublocationType], m[FieldSublocationID] = "-", "outpost", "op-0123456789abcdef0"
	}
	m[FieldType] = "IPv4"
	m[FieldStart] = fmt.Sprint(start)
	m[FieldEnd] = fmt.Sprint(start + 1 + r.IntN(59))
	if i%9 == 5 { // no traffic on the interface
		for _, f := range []Field{FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets,
			FieldBytes, FieldAction, FieldTCPFlags, FieldPktSrcAddr, FieldPktDstAddr, FieldType, FieldPktSrcAWSService,
			FieldPktDstAWSService, FieldFlowDirection, FieldTrafficPath} {
			m[f] = "-"
		}
		m[FieldLogStatus], m[FieldRejectReason] = "NODATA", "-"
		return m
	}
	local := fmt.Sprintf("10.0.%d.%d", 1+r.IntN(3), 2+r.IntN(250))
	remote := []string{"52.94.0.10", "198.51.100.77", "203.0.113.9", "10.1.7.7"}[r.IntN(4)]
	svc := map[string]string{"52.94.0.10": "DYNAMODB", "203.0.113.9": "S3"}[remote]
	if svc == "" {
		svc = "-"
	}
	proto, port := []string{"6", "6", "6", "17", "1"}[r.IntN(5)], []string{"443", "5432", "53", "22", "9092"}[r.IntN(5)]
	eph := fmt.Sprint(32768 + r.IntN(28000))
	if proto == "1" {
		port, eph = "0", "0"
	}
	flags := []string{"2", "18", "3", "19", "0", "4"}[r.IntN(6)]
	if proto != "6" {
		flags = "0"
	}
	m[FieldProtocol], m[FieldPackets], m[FieldBytes] = proto, fmt.Sprint(pkts), fmt.Sprint(pkts*(40+r.IntN(1400)))
	m[FieldAction], m[FieldLogStatus], m[FieldTCPFlags] = []string{"ACCEPT", "ACCEPT", "REJECT"}[r.IntN(3)], "OK", flags
	if r.IntN(2) == 0 { // egress
		m[FieldSrcAddr], m[FieldDstAddr], m[FieldSrcPort], m[FieldDstPort] = local, remote, eph, port
		m[FieldPktSrcAWSService], m[FieldPktDstAWSService] = "-", svc
		m[FieldFlowDirection], m[FieldTrafficPath] = "egress", []string{"1", "2", "4", "7", "8"}[r.IntN(5)]
	} else {
		m[FieldSrcAddr], m[FieldDstAddr], m[FieldSrcPort], m[FieldDstPort] = remote, local, port, eph
		m[FieldPktSrcAWSService], m[FieldPktDstAWSService] = svc, "-"
		m[FieldFlowDirection], m[FieldTrafficPath] = "ingress", "-"
	}
	m[FieldPktSrcAddr], m[FieldPktDstAddr] = m[FieldSrcAddr], m[FieldDstAddr]
	m[FieldRejectReason] = "-"
	if m[FieldAction] == "REJECT" && r.IntN(2) == 0 {
		m[FieldRejectReason] = "BPA"
	}
	return m
}

// render writes records in format f, the version field set to the
// format's newest field.
func render(f *Format, recs []map[Field]string) [][]byte {
	v := 2
	for _, fld := range f.Fields {
		v = max(v, int(fld.Info().Version))
	}
	var out [][]byte
	for _, m := range recs {
		toks := make([]string, len(f.Fields))
		for i, fld := range f.Fields {
			toks[i] = m[fld]
			if fld == FieldVersion {
				toks[i] = fmt.Sprint(v)
			}
		}
		out = append(out, []byte(strings.Join(toks, " ")))
	}
	return out
}

func synthRecords(seed uint64, n int) []map[Field]string {
	r := rand.New(rand.NewPCG(seed, 1))
	recs := make([]map[Field]string, n)
	for i := range recs {
		recs[i] = synthRecord(r, i)
	}
	return recs
}

func allThrough(v int) *Format {
	var names []string
	for f := Field(1); f < NumFields && int(f.Info().Version) <= v; f++ {
		names = append(names, f.String())
	}
	return MustParseFormat(strings.Join(names, " "))
}

func wantInferred(t *testing.T, lines [][]byte, want *Format) {
	t.Helper()
	inf := InferFormat(lines)
	if inf.Format == nil || !inf.Format.Equal(want) {
		got := "nothing"
		if inf.Format != nil {
			got = inf.Format.Header()
		}
		t.Fatalf("inferred %s (%s)\nwant     %s", got, inf.Desc, want.Header())
	}
	if !strings.HasPrefix(inf.Desc, "inferred ") {
		t.Errorf("desc %q", inf.Desc)
	}
}

func TestInferSeedFormats(t *testing.T) {
	for _, name := range []string{"default.log", "v3.log", "v5.log", "nodata.log", "ipv6.log", "crlf.log"} {
		t.Run(name, func(t *testing.T) {
			f, lines := readSample(t, name)
			wantInferred(t, lines, f)
		})
	}
	t.Run("v5 all fields", func(t *testing.T) {
		wantInferred(t, render(allThrough(5), synthRecords(1, 10)), allThrough(5))
	})
	t.Run("v3 and v4 all fields", func(t *testing.T) {
		wantInferred(t, render(allThrough(3), synthRecords(2, 10)), allThrough(3))
		wantInferred(t, render(allThrough(4), synthRecords(3, 10)), allThrough(4))
	})
	t.Run("v8 custom order, 10 lines", func(t *testing.T) {
		f, _ := readSample(t, "v8.log")
		wantInferred(t, render(f, synthRecords(6, 10)), f)
	})
	t.Run("default format, synthetic", func(t *testing.T) {
		wantInferred(t, render(DefaultFormat, synthRecords(4, 10)), DefaultFormat)
	})
	t.Run("descriptions", func(t *testing.T) {
		for f, want := range map[*Format]string{DefaultFormat: "the default format (v2, 14 fields)",
			allThrough(5): "all fields through v5 (29 fields)"} {
			if got := InferFormat(render(f, synthRecords(5, 10))).Desc; got != "inferred "+want+" from 10 lines" {
				t.Errorf("desc %q, want %q", got, want)
			}
		}
	})
}

// TestInferCustomOrders shuffles the v5 fields (keeping look-alike fields,
// such as srcaddr and dstaddr, in AWS's order, as the inference assumes)
// and subsets of them, and infers each from 10 headerless lines.
func TestInferCustomOrders(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	base := allThrough(5).Fields
	tried := 0
	for seed := uint64(0); tried < 40; seed++ {
		fields := append([]Field(nil), base...)
		r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
		if seed%2 == 1 { // a subset that keeps the version column and a v5 field
			n := 14 + r.IntN(10)
			keep := fields[:0:0]
			for _, f := range fields {
				if f == FieldVersion || f == FieldFlowDirection || len(keep) < n {
					keep = append(keep, f)
				}
			}
			fields = keep
		}
		fields = canonicalLookAlikes(fields)
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.String()
		}
		f := MustParseFormat(strings.Join(names, " "))
		tried++
		lines := render(f, synthRecords(seed+100, 10))
		inf := InferFormat(lines)
		if inf.Format == nil {
			// a subset may leave "-" columns open; it must then say so
			if !strings.Contains(inf.Desc, "--log-format") {
				t.Errorf("%s: refused without a hint: %s", f.Header(), inf.Desc)
			}
			t.Logf("refused %s: %s", f.Header(), inf.Desc)
			continue
		}
		if !inf.Format.Equal(f) {
			t.Errorf("misread\n got  %s\n want %s", inf.Format.Header(), f.Header())
		}
	}
}

// canonicalLookAlikes puts each group of look-alike fields back in AWS's
// order, in the positions the group holds.
func canonicalLookAlikes(fields []Field) []Field {
	out := append([]Field(nil), fields...)
	for g := uint8(1); g < 8; g++ {
		var pos []int
		var fs []Field
		for i, f := range out {
			if lookAlike[f] == g {
				pos = append(pos, i)
				fs = append(fs, f)
			}
		}
		for i := range fs {
			for j := i + 1; j < len(fs); j++ {
				if fs[j] < fs[i] {
					fs[i], fs[j] = fs[j], fs[i]
				}
			}
		}
		for i, p := range pos {
			out[p] = fs[i]
		}
	}
	return out
}

func TestInferRefusesAmbiguity(t *testing.T) {
	_, v7 := readSample(t, "v7-ecs.log")
	for _, c := range []struct {
		name  string
		lines [][]byte
		want  string
	}{
		{"one ECS line: a 32-hex id and a dash column", v7, "could"},
		{"addresses and a port, no version", lines("10.0.1.25 10.0.2.140 443", "198.51.100.7 10.0.1.25 22", "10.0.1.25 10.0.5.53 53"), "could be"},
		{"dash column the version leaves open", render(MustParseFormat("version interface-id srcaddr dstaddr action vpc-id subnet-id"),
			[]map[Field]string{{FieldVersion: "3", FieldInterfaceID: "eni-0a1b2c3d4e5f60718", FieldSrcAddr: "10.0.1.5",
				FieldDstAddr: "10.0.1.6", FieldAction: "ACCEPT", FieldVPCID: "-", FieldSubnetID: "-"}}), `"-" on every line`},
		{"field counts disagree", lines("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK",
			"3 vpc-0123456789abcdef0 eni-0a1b2c3d4e5f60718 111122223333 ACCEPT OK"), "different field counts"},
		{"not a flow log", lines("GET /index.html 200 512", "GET /favicon.ico 404 0"), "fits no known field"},
		{"a column fits nothing", lines("2 111122223333 eni-0a1b2c3d4e5f60718 /x", "2 111122223333 eni-0a1b2c3d4e5f60718 /y"), "fits no known field"},
		{"nothing", lines("", "  "), "no data lines"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inf := InferFormat(c.lines)
			if inf.Format != nil {
				t.Fatalf("inferred %s from an ambiguous sample", inf.Format.Header())
			}
			if !strings.Contains(inf.Desc, c.want) || !strings.Contains(inf.Desc, "--log-format") {
				t.Errorf("desc %q, want %q and a --log-format hint", inf.Desc, c.want)
			}
		})
	}
}

func TestInferToleratesBadLines(t *testing.T) {
	f, good := readSample(t, "default.log")
	bad := append([][]byte(nil), good...)
	bad[4] = []byte("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.5.53 abc 53 17 2 142 1717236010 1717236040 ACCEPT OK")
	bad = append(bad, []byte("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT"))
	wantInferred(t, bad, f)
}

func lines(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func BenchmarkInferFormat(b *testing.B) {
	for _, f := range []*Format{DefaultFormat, allThrough(5), allThrough(8)} {
		lines := render(f, synthRecords(7, InferSampleLines))
		b.Run(fmt.Sprintf("%d-fields", f.Len()), func(b *testing.B) {
			b.ReportAllocs()
			cpu := startCPU(b)
			for b.Loop() {
				if InferFormat(lines).Format == nil {
					b.Fatal("not inferred")
				}
			}
			cpu.report(0, "")
		})
	}
}

// ingestAll ingests batches through a pipeline with workers (as the Mux
// does) and publishes.
func ingestAll(ix *Index, batches ...Batch) *Snapshot {
	p := NewPipeline(ix, 2)
	for i := range batches {
		p.Submit(&batches[i], nil)
	}
	p.Close()
	return ix.Publish()
}

func joinLines(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }

func TestIndexInfersFormats(t *testing.T) {
	v5 := allThrough(5)
	custom, _ := readSample(t, "v3.log")
	ix := NewIndex(0)
	snap := ingestAll(ix,
		Batch{Source: "s", Object: "v5", Data: joinLines(render(v5, synthRecords(1, 20)))},
		Batch{Source: "s", Object: "v3", Data: joinLines(render(custom, synthRecords(2, 20)))},
		Batch{Source: "s", Object: "default", Data: joinLines(render(DefaultFormat, synthRecords(3, 20)))},
		Batch{Source: "s", Object: "v5-again", Data: joinLines(render(v5, synthRecords(4, 20)))},
	)
	if snap.Rows() != 80 || snap.Sources[0].BadTotal() != 0 {
		t.Fatalf("%d rows, %d bad: %v", snap.Rows(), snap.Sources[0].BadTotal(), snap.Sources[0].Samples)
	}
	want := map[string]*Format{"v5": v5, "v3": custom, "default": DefaultFormat, "v5-again": v5}
	SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
		if obj := snap.Provenance(sg, i).Object; !snap.Format(sg, i).Equal(want[obj]) {
			t.Fatalf("%s row in %s", obj, snap.Format(sg, i).Header())
		}
		return true
	})
	notes := snap.Sources[0].Formats
	if len(notes) != 3 || notes[0].Objects != 2 || notes[0].Object != "v5" || !strings.Contains(notes[0].Desc, "all fields through v5") ||
		!strings.Contains(notes[1].Desc, "a custom format (v3, 21 fields") || notes[2].Format != DefaultFormat {
		t.Errorf("notes %+v", notes)
	}
}

func TestIndexUnknownFormat(t *testing.T) {
	f := MustParseFormat("version srcaddr dstaddr action vpc-id")
	recs := synthRecords(5, 6)
	for _, r := range recs[:2] {
		r[FieldVPCID] = "-" // two lines that cannot tell what the last column is
	}
	lines := render(f, recs)
	ix := NewIndex(0)
	snap := ingestAll(ix,
		Batch{Source: "s", Object: "o", Data: joinLines(lines[:2])},
		Batch{Source: "s", Object: "o", Data: joinLines(lines[2:])}, // now it can
		Batch{Source: "s", Object: "p", Data: joinLines(lines[:2])},
		Batch{Source: "s", Object: "p", Data: []byte(f.Header() + "\n" + string(joinLines(lines[2:])))}, // a header says
	)
	st := snap.Sources[0]
	if snap.Rows() != 8 || st.Bad[ReasonFormat] != 4 {
		t.Fatalf("%d rows, %d of unknown format, want 8 and 4", snap.Rows(), st.Bad[ReasonFormat])
	}
	e := st.Samples[0]
	if e.Reason != ReasonFormat || !strings.Contains(e.Error(), `column 5 is "-" on every line`) || !strings.Contains(e.Error(), "--log-format") {
		t.Errorf("sample %q", e.Error())
	}
	if len(st.Formats) != 2 || st.Formats[0].Format != nil || st.Formats[1].Format == nil || !st.Formats[1].Format.Equal(f) {
		t.Errorf("notes %+v", st.Formats)
	}
	SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
		if !snap.Format(sg, i).Equal(f) {
			t.Fatalf("row in %s", snap.Format(sg, i).Header())
		}
		return true
	})
}

func TestIndexNoInferenceWhenTold(t *testing.T) {
	v5 := allThrough(5)
	ix := NewIndex(0)
	snap := ingestAll(ix,
		Batch{Source: "s", Object: "header", Data: []byte(v5.Header() + "\n" + string(joinLines(render(v5, synthRecords(1, 5)))))},
		Batch{Source: "s", Object: "given", Format: v5, Data: joinLines(render(v5, synthRecords(2, 5)))},
	)
	if st := snap.Sources[0]; snap.Rows() != 10 || len(st.Formats) != 0 {
		t.Errorf("%d rows, notes %+v", snap.Rows(), st.Formats)
	}
	ix = NewIndex(0)
	ix.SetDefaultFormat(v5) // --log-format
	snap = ingestAll(ix, Batch{Source: "s", Object: "flag", Data: joinLines(render(v5, synthRecords(3, 5)))})
	if st := snap.Sources[0]; snap.Rows() != 5 || len(st.Formats) != 0 {
		t.Errorf("%d rows, notes %+v", snap.Rows(), st.Formats)
	}
}
