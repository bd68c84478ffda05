package source

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// feed runs data through an assembler in reads of at most step bytes and
// returns the chunks and drops it produced.
func feed(data string, step, maxLine int, keepPartial bool) ([]chunk, []drop) {
	a := newAssembler(maxLine)
	var out []chunk
	var drops []drop
	for len(data) > 0 {
		a.begin()
		sp := a.space()
		n := copy(sp[:min(step, len(sp))], data)
		data = data[n:]
		a.commit(n)
		if n%3 == 0 { // end cycles now and then, as an idle reader does
			a.end()
		}
		out = append(out, a.takeReady()...)
		drops = append(drops, a.takeDrops()...)
	}
	a.end()
	a.finish(keepPartial)
	out = append(out, a.takeReady()...)
	drops = append(drops, a.takeDrops()...)
	return out, drops
}

func TestAssembler(t *testing.T) {
	long := strings.Repeat("L", 40)
	cases := []struct {
		name    string
		in      string
		max     int
		partial bool
		lines   []string // text@line:offset
		drops   []int64
	}{
		{"simple", "a\nbb\nccc\n", 10, false, []string{"a@1:0", "bb@2:2", "ccc@3:5"}, nil},
		{"partial kept", "a\nbb", 10, true, []string{"a@1:0", "bb@2:2"}, nil},
		{"partial dropped", "a\nbb", 10, false, []string{"a@1:0"}, nil},
		{"blank lines", "\n\na\n", 10, false, []string{"@1:0", "@2:1", "a@3:2"}, nil},
		{"over-long inside", "a\n" + long + "\nb\n", 10, false, []string{"a@1:0", "b@3:43"}, []int64{2}},
		{"over-long first", long + "\nb\n", 10, false, []string{"b@2:41"}, []int64{1}},
		{"over-long last, open", "a\n" + long, 10, true, []string{"a@1:0"}, []int64{2}},
		{"two over-long", long + "\n" + long + "\nz\n", 10, false, []string{"z@3:82"}, []int64{1, 2}},
		{"exactly max", "0123456789\n", 10, false, []string{"0123456789@1:0"}, nil},
	}
	for _, c := range cases {
		for _, step := range []int{1, 3, 7, 1 << 20} {
			t.Run(fmt.Sprintf("%s/step%d", c.name, step), func(t *testing.T) {
				chunks, drops := feed(c.in, step, c.max, c.partial)
				var got []string
				for _, ch := range chunks {
					line, off := ch.line, ch.off
					n := 0
					for _, s := range strings.SplitAfter(string(ch.data), "\n") {
						if s == "" {
							continue
						}
						got = append(got, fmt.Sprintf("%s@%d:%d", strings.TrimSuffix(s, "\n"), line, off))
						line++
						off += int64(len(s))
						n++
					}
					if n != ch.lines {
						t.Errorf("chunk says %d lines, holds %d", ch.lines, n)
					}
				}
				if strings.Join(got, " ") != strings.Join(c.lines, " ") {
					t.Errorf("lines %q, want %q", got, c.lines)
				}
				var dl []int64
				for _, d := range drops {
					dl = append(dl, d.line)
				}
				if fmt.Sprint(dl) != fmt.Sprint(c.drops) && !(len(dl) == 0 && len(c.drops) == 0) {
					t.Errorf("drops at %v, want %v", dl, c.drops)
				}
			})
		}
	}
}

func TestAssemblerBatchSize(t *testing.T) {
	data := flowLines(0, 20000) // about 2 MB
	chunks, _ := feed(data, 1<<20, 0, false)
	var b strings.Builder
	for i, c := range chunks {
		if len(c.data) > batchTarget {
			t.Errorf("chunk %d: %d bytes", i, len(c.data))
		}
		b.Write(c.data)
	}
	if b.String() != data || len(chunks) < 8 {
		t.Errorf("%d chunks do not add up", len(chunks))
	}
}

func TestAssemblerHeader(t *testing.T) {
	hdr := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	a := newAssembler(0)
	a.begin()
	in := flowLines(0, 2) + hdr + flowLines(2, 3)
	n := copy(a.space(), in)
	a.commit(n)
	a.end()
	if string(a.hdr.data) != hdr || a.hdr.line != 3 || a.hdr.off != int64(2*len(flowLine(0))) {
		t.Errorf("header %q at %d:%d", a.hdr.data, a.hdr.line, a.hdr.off)
	}
}

func TestScanTail(t *testing.T) {
	hdr := "version interface-id srcaddr dstaddr srcport dstport protocol action log-status\n"
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "line %d\n", i)
		}
		return b.String()
	}
	body := hdr + lines(2, 50) + hdr + lines(51, 101) // 100 lines, headers at 1 and 50
	off := func(line int) int64 { return int64(len(strings.Join(strings.SplitAfter(body, "\n")[:line-1], ""))) }
	cases := []struct {
		name    string
		in      string
		n       int
		start   int64
		line    int64
		hdrLine int64 // 0: none replayed
	}{
		{"last 10", body, 10, off(91), 91, 50},
		{"last 60", body, 60, off(41), 41, 1},
		{"last 51 starts at the second header", body, 51, off(50), 50, 1},
		{"more than there are", body, 500, 0, 1, 0},
		{"zero", body, 0, int64(len(body)), 101, 50},
		{"zero with a partial line", body + "part", 0, int64(len(body)), 101, 50},
		{"a partial line comes on top", body + "part", 1, off(100), 100, 50},
		{"empty", "", 5, 0, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp, err := scanTail(strings.NewReader(c.in), c.n)
			if err != nil {
				t.Fatal(err)
			}
			var hl int64
			if tp.hdr != nil {
				hl = tp.hdr.line
				if string(tp.hdr.data) != hdr || tp.hdr.off != off(int(hl)) {
					t.Errorf("header %q at %d", tp.hdr.data, tp.hdr.off)
				}
			}
			if tp.start != c.start || tp.line != c.line || hl != c.hdrLine {
				t.Errorf("start %d line %d header %d, want %d %d %d", tp.start, tp.line, hl, c.start, c.line, c.hdrLine)
			}
			if want := c.in[:min(len(c.in), headLen)]; string(tp.head) != want {
				t.Errorf("head of %d bytes", len(tp.head))
			}
		})
	}
}

// zeros is a reader of n NUL bytes followed by tail.
type zeros struct {
	n    int64
	tail io.Reader
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return z.tail.Read(p)
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

func TestLargeOffsets(t *testing.T) {
	// Offsets past 4 GiB: a sparse file holds lines at 5 GiB; the tailer
	// resumes there, reads, notices truncation, and the scan for --tail
	// finds line starts past 4 GiB.
	const base = 5 << 30
	path := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(flowLines(0, 10)), base); err != nil {
		f.Close()
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	o := followOpts(false)
	tl, err := openTailer(path, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.close()
	if err := tl.resume(&seenFile{pos: base, line: 1_000_001}); err != nil {
		t.Fatal(err)
	}
	l := newBatchLog()
	var box StatusBox
	k := &sink{name: "big", emit: l.emit, box: &box, opts: &o}
	if _, err := tl.read(k); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, flowLines(10, 12))
	if _, err := tl.read(k); err != nil {
		t.Fatal(err)
	}
	lines := l.lines()
	wantSeqs(t, l.seqs(), 0, 12)
	if lines[11].off != base+int64(len(flowLines(0, 11))) || lines[11].line != 1_000_012 {
		t.Errorf("line %d at offset %d", lines[11].line, lines[11].off)
	}
	if err := os.Truncate(path, 100); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "\n"+flowLine(12))
	if _, err := tl.read(k); err != nil {
		t.Fatal(err)
	}
	bs, _ := l.snapshot()
	if last := bs[len(bs)-1]; !last.Reset || last.Line != 1 || last.Offset != 0 {
		t.Errorf("after truncation: reset %v line %d offset %d", last.Reset, last.Line, last.Offset)
	}

	if testing.Short() {
		t.Skip("the 4.5 GiB scan takes a few seconds")
	}
	tp, err := scanTail(&zeros{n: 4<<30 + 512<<20, tail: strings.NewReader("\n" + flowLines(0, 5))}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(4<<30+512<<20) + 1 + int64(len(flowLines(0, 3))); tp.start != want || tp.line != 5 {
		t.Errorf("tail start %d line %d, want %d line 5", tp.start, tp.line, want)
	}
}

func TestIsFlowLogName(t *testing.T) {
	for name, want := range map[string]bool{
		"flows.log": true, "flows.log.1": true, "flows.log.2.gz": true, "x_vpcflowlogs_us-east-1_fl-1_20240601T1000Z_ab.log.gz": true,
		"noext": true, ".hidden": false, "flows.log~": false, "x.parquet": false, "x.log.parquet": false, "README.md": false,
		"a.json": false, "dl.part": false,
	} {
		if got := isFlowLogName(name); got != want {
			t.Errorf("%s: %v", name, got)
		}
	}
}

// TestAssemblerNoHeaders: a chunk says it holds no header line only when
// none of its lines starts with a lowercase letter, '$' or a blank (a
// header line, maybe one after blanks), whatever the read sizes.
func TestAssemblerNoHeaders(t *testing.T) {
	hdr := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	for _, c := range []struct {
		name, data string
		keep       bool
		plain      bool
	}{
		{"records", flowLines(0, 50), false, true},
		{"a header", flowLines(0, 20) + hdr + flowLines(20, 40), false, false},
		{"a header after blanks", flowLines(0, 20) + "  " + hdr + flowLines(20, 40), false, false},
		{"a blank line", flowLines(0, 20) + "\n" + flowLines(20, 40), false, false},
		{"a ${} header", flowLines(0, 20) + "${version} ${srcaddr}\n" + flowLines(20, 40), false, false},
		{"a last line without its newline", flowLines(0, 20) + "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK", true, false},
	} {
		for _, step := range []int{7, 300, 1 << 20} {
			chunks, _ := feed(c.data, step, 0, c.keep)
			plain := true
			lines := 0
			for _, ch := range chunks {
				plain = plain && ch.noHeaders
				lines += ch.lines
				if ch.noHeaders && strings.ContainsAny(string(ch.data[:1]), "abcdefghijklmnopqrstuvwxyz$ \t\n") {
					t.Errorf("%s, reads of %d: a chunk starting %q says it has no header", c.name, step, ch.data[:1])
				}
			}
			if plain != c.plain || lines == 0 {
				t.Errorf("%s, reads of %d: no headers %v (%d lines), want %v", c.name, step, plain, lines, c.plain)
			}
		}
	}
}
