package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

func gzipBytes(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll runs a non-following source to its end.
func readAll(t *testing.T, src Source) *batchLog {
	t.Helper()
	l := newBatchLog()
	if err := src.Run(WithReporter(context.Background(), l.report), l.emit); err != nil {
		t.Fatal(err)
	}
	l.check(t)
	return l
}

func TestFileReadOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	content := flowLines(0, 5000) // several batches
	writeFile(t, path, content)
	src := newFileT(t, path, DefaultOptions())
	if src.Name() != path {
		t.Errorf("name %q", src.Name())
	}
	l := readAll(t, src)
	wantSeqs(t, l.seqs(), 0, 5000)
	var off int64
	for i, ln := range l.lines() {
		if ln.line != int64(i+1) || ln.off != off || ln.obj != path {
			t.Fatalf("line %d: %s:%d at %d, want offset %d", i, ln.obj, ln.line, ln.off, off)
		}
		off += int64(len(ln.text)) + 1
	}
	bs, _ := l.snapshot()
	if len(bs) < 3 || !bs[len(bs)-1].EOF || !bs[0].Reset {
		t.Errorf("%d batches, first reset %v, last EOF %v", len(bs), bs[0].Reset, bs[len(bs)-1].EOF)
	}
	for _, b := range bs {
		if len(b.Data) > batchTarget+len(flowLine(0)) {
			t.Errorf("batch of %d bytes", len(b.Data))
		}
	}
	st := src.Status()
	if st.State != StateDone || st.Lines != 5000 || st.Bytes != uint64(len(content)) || st.ObjectsDone != 1 || st.Kind != "file" ||
		st.BytesTotal != int64(len(content)) {
		t.Errorf("status %+v", st)
	}
}

func TestFileNoTrailingNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	writeFile(t, path, flowLines(0, 3)+strings.TrimSuffix(flowLine(3), "\n"))
	l := readAll(t, newFileT(t, path, DefaultOptions()))
	wantSeqs(t, l.seqs(), 0, 4)
}

func TestFileOverLongLines(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "flows.log")
		o := DefaultOptions()
		o.MaxLine = 200
		long := strings.Repeat("x", 300) + "\n"
		huge := strings.Repeat("y", 1<<20) + "\n" // spans several reads
		writeFile(t, path, flowLine(0)+long+flowLine(1)+huge+huge+flowLine(2)+strings.Repeat("z", 500))
		src := newFileT(t, path, o)
		l := readAll(t, src)
		var got []string
		for _, ln := range l.lines() {
			got = append(got, ln.text)
		}
		lines := l.lines()
		if len(lines) != 3 {
			t.Fatalf("got %d lines, want 3: %.60q", len(lines), got)
		}
		// Line numbers and offsets stay exact around the skipped lines.
		wantLine := []int64{1, 3, 6}
		wantOff := []int64{0, int64(len(flowLine(0)) + len(long)), int64(len(flowLine(0)) + len(long) + len(flowLine(1)) + 2*len(huge))}
		for i, ln := range lines {
			if ln.line != wantLine[i] || ln.off != wantOff[i] {
				t.Errorf("line %d at %d, want %d at %d", ln.line, ln.off, wantLine[i], wantOff[i])
			}
		}
		st := src.Status()
		if st.Dropped != 4 {
			t.Errorf("dropped %d, want 4", st.Dropped)
		}
		if len(st.Errors) == 0 || !strings.Contains(strings.Join(st.Errors, "\n"), "flows.log:2: line of 300 bytes skipped") {
			t.Errorf("errors %q", st.Errors)
		}
	})
	t.Run("follow", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "flows.log")
		o := followOpts(false)
		o.MaxLine = 200
		writeFile(t, path, flowLine(0))
		src := newFileT(t, path, o)
		l, stop := runSource(t, src)
		waitCond(t, "the first line", func() bool { return l.count() == 1 })
		// An over-long line that is still being written is dropped as soon
		// as it passes the limit, without waiting for its end.
		appendFile(t, path, strings.Repeat("x", 150))
		appendFile(t, path, strings.Repeat("x", 150))
		waitCond(t, "the drop", func() bool { return src.Status().Dropped == 1 })
		appendFile(t, path, strings.Repeat("x", 150)+"\n"+flowLine(1))
		waitCond(t, "the second line", func() bool { return l.count() == 2 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if ln := l.lines()[1]; ln.line != 3 {
			t.Errorf("line number %d, want 3", ln.line)
		}
	})
}

func TestFileGzip(t *testing.T) {
	dir := t.TempDir()
	t.Run("magic", func(t *testing.T) {
		path := filepath.Join(dir, "flows.log") // no .gz suffix: the magic bytes decide
		if err := os.WriteFile(path, gzipBytes(t, flowLines(0, 3000)), 0o644); err != nil {
			t.Fatal(err)
		}
		l := readAll(t, newFileT(t, path, DefaultOptions()))
		wantSeqs(t, l.seqs(), 0, 3000)
		if ln := l.lines()[2999]; ln.line != 3000 || ln.off != int64(len(flowLines(0, 2999))) {
			t.Errorf("last line %d at %d: offsets count uncompressed bytes", ln.line, ln.off)
		}
	})
	t.Run("members", func(t *testing.T) {
		path := filepath.Join(dir, "multi.log.gz")
		data := append(gzipBytes(t, flowLines(0, 10)), gzipBytes(t, flowLines(10, 25))...)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l := readAll(t, newFileT(t, path, DefaultOptions()))
		wantSeqs(t, l.seqs(), 0, 25)
	})
	t.Run("plain named gz", func(t *testing.T) {
		path := filepath.Join(dir, "plain.gz")
		writeFile(t, path, flowLines(0, 7))
		l := readAll(t, newFileT(t, path, DefaultOptions()))
		wantSeqs(t, l.seqs(), 0, 7)
	})
}

func TestFileTruncatedGzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log.gz")
	full := gzipBytes(t, flowLines(0, 20000))
	if err := os.WriteFile(path, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	src := newFileT(t, path, DefaultOptions())
	l := readAll(t, src)
	seqs := l.seqs()
	if len(seqs) < 1000 {
		t.Fatalf("only %d lines before the fault", len(seqs))
	}
	wantSeqs(t, seqs, 0, len(seqs)) // a prefix, no torn line
	_, faults := l.snapshot()
	if len(faults) != 1 || faults[0].Object != path || faults[0].Line != int64(len(seqs)+1) ||
		!errors.Is(faults[0].Err, io.ErrUnexpectedEOF) {
		t.Fatalf("faults %+v", faults)
	}
	if st := src.Status(); !strings.Contains(strings.Join(st.Errors, "\n"), "gzip: unexpected EOF") {
		t.Errorf("status errors %q", st.Errors)
	}

	// Through the mux, the fault is counted beside the bad lines.
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{newFileT(t, path, DefaultOptions())}, MuxOptions{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ss := ix.Snapshot().Sources[0]
	if ss.Bad[model.ReasonSource] != 1 || ss.Records != uint64(len(seqs)) {
		t.Errorf("index: %d records, %d source errors", ss.Records, ss.Bad[model.ReasonSource])
	}
}

func TestFollowGzipGrowing(t *testing.T) {
	// A .gz file that is still being copied in: the reader waits for the
	// rest instead of reporting a fault, and reads no line twice.
	path := filepath.Join(t.TempDir(), "flows.log.gz")
	full := gzipBytes(t, flowLines(0, 20000))
	if err := os.WriteFile(path, full[:len(full)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	o := followOpts(false)
	o.RotateWait = 5e9
	src := newFileT(t, path, o)
	l, stop := runSource(t, src)
	waitCond(t, "the first part", func() bool { return l.count() > 100 })
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(full[len(full)/3:])
	f.Close()
	waitCond(t, "every line", func() bool { return l.count() >= 20000 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, l.seqs(), 0, 20000)
	if _, faults := l.snapshot(); len(faults) != 0 {
		t.Errorf("faults %v", faults)
	}
}

func TestFileDirectory(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel, s string, gz bool) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(s)
		if gz {
			data = gzipBytes(t, s)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("a.log", flowLines(0, 10), false)
	mk("b.log.gz", flowLines(10, 30), true)
	mk("2024/06/01/c", flowLines(30, 35), false)
	mk(".hidden.log", flowLines(100, 101), false)
	mk(".git/objects/x.log", flowLines(101, 102), false)
	mk("x.parquet", "PAR1", false)
	mk("notes.md", "# notes\n", false)
	mk("a.log~", flowLines(102, 103), false)
	src := newFileT(t, dir, DefaultOptions())
	l := readAll(t, src)
	seqs := l.seqs()
	got := map[int]bool{}
	for _, n := range seqs {
		got[n] = true
	}
	if len(seqs) != 35 || len(got) != 35 || got[100] || got[101] || got[102] {
		t.Fatalf("read %d lines: %v", len(seqs), short(seqs))
	}
	objs := map[string]bool{}
	for _, ln := range l.lines() {
		objs[ln.obj] = true
	}
	for _, rel := range []string{"a.log", "b.log.gz", "2024/06/01/c"} {
		if !objs[filepath.Join(dir, rel)] {
			t.Errorf("object %s missing: %v", rel, objs)
		}
	}
	if st := src.Status(); st.ObjectsDone != 3 || st.State != StateDone {
		t.Errorf("status %+v", st)
	}
	if _, err := NewFile(filepath.Join(dir, "nothing", "*.log"), DefaultOptions()); err == nil {
		t.Error("a glob that matches nothing: no error")
	}
	empty := t.TempDir()
	if err := newFileT(t, empty, DefaultOptions()).Run(context.Background(), newBatchLog().emit); err == nil {
		t.Error("an empty directory: no error")
	}
}

func TestFollowGlobAndDirectory(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		for _, kind := range []string{"glob", "dir"} {
			t.Run(kind, func(t *testing.T) {
				dir := t.TempDir()
				spec := filepath.Join(dir, "flows*")
				if kind == "dir" {
					spec = dir
				}
				path := filepath.Join(dir, "flows.log")
				w := newRotator(t, path)
				defer w.close()
				w.write(10)
				l, stop := runSource(t, newFileT(t, spec, followOpts(poll)))
				waitCond(t, "10 lines", func() bool { return l.count() == 10 })

				// A new file that matches is picked up, from its start.
				writeFile(t, filepath.Join(dir, "flows-eu.log"), flowLines(1000, 1010))
				writeFile(t, filepath.Join(dir, "other.txt"), flowLines(2000, 2001)) // a glob miss, a dir hit
				waitCond(t, "the new file", func() bool { return l.has(1009) })

				// Rotation inside the set: the renamed file still matches but
				// is not read again; a compressed copy of it is not either;
				// lines appended to it late are read under its new name.
				for i := 0; i < 5; i++ {
					w.write(10)
					rotated := filepath.Join(dir, "flows.log."+string(rune('1'+i)))
					if err := os.Rename(path, rotated); err != nil {
						t.Fatal(err)
					}
					w.reopen()
					w.write(5)
					end := w.seq
					waitCond(t, "the new generation", func() bool { return l.has(end - 1) })
					if i == 2 { // logrotate's compress: the plain file becomes a .gz
						data, _ := os.ReadFile(rotated)
						if err := os.WriteFile(rotated+".gz", gzipBytes(t, string(data)), 0o644); err != nil {
							t.Fatal(err)
						}
						os.Remove(rotated)
					}
				}
				w.write(5)
				end := w.seq
				waitCond(t, "every line", func() bool { return l.has(end - 1) })
				if err := stop(); err != nil {
					t.Fatal(err)
				}
				var main []int
				extra := map[int]int{}
				for _, n := range l.seqs() {
					if n < 1000 {
						main = append(main, n)
					} else {
						extra[n]++
					}
				}
				wantSeqs(t, main, 0, end)
				want := 10
				if kind == "dir" {
					want = 11
				}
				if len(extra) != want {
					t.Errorf("other files: %d distinct lines, want %d", len(extra), want)
				}
				for n, c := range extra {
					if c != 1 {
						t.Errorf("line %d read %d times", n, c)
					}
				}
			})
		}
	})
}

func TestFileHeadersPerFile(t *testing.T) {
	// Each file has its own header and format; a file may switch format
	// mid-way (concatenated S3 objects). Through the index, nothing is bad.
	dir := t.TempDir()
	v3 := "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status\n" +
		"3 vpc-0123456789abcdef0 subnet-0aaaabbbbcccc1111 i-0123456789abcdef0 eni-0a1b2c3d4e5f60718 111122223333 IPv4 203.0.113.9 10.0.1.25 50122 443 203.0.113.9 10.0.1.25 6 60 1 1717236400 1717236401 ACCEPT 2 OK\n"
	v5 := demoV5Header + "\n" +
		"5 52.94.0.10 10.0.1.25 443 40222 6 1717236700 1717236759 IPv4 20 21000 111122223333 vpc-0123456789abcdef0 subnet-0aaaabbbbcccc1111 i-0123456789abcdef0 eni-0a1b2c3d4e5f60718 us-east-1 use1-az4 - - ACCEPT 19 52.94.0.10 10.0.1.25 DYNAMODB - - ingress OK\n"
	writeFile(t, filepath.Join(dir, "a.log"), v3+v3[strings.Index(v3, "\n")+1:])
	writeFile(t, filepath.Join(dir, "b.log"), v5)
	writeFile(t, filepath.Join(dir, "c.log"), flowLines(0, 2)+v5+v3) // default, then v5, then v3
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{newFileT(t, dir, DefaultOptions())}, MuxOptions{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := ix.Snapshot()
	ss := snap.Sources[0]
	if ss.Records != 7 || ss.BadTotal() != 0 {
		t.Fatalf("%d records, bad %v: %v", ss.Records, ss.Bad, ss.Samples)
	}
	if len(snap.Formats) != 3 {
		t.Errorf("%d formats", len(snap.Formats))
	}
}

func TestFileTailLines(t *testing.T) {
	dir := t.TempDir()
	body := demoV5Header + "\n"
	v5line := "5 52.94.0.10 10.0.1.25 443 40222 6 1717236700 1717236759 IPv4 20 21000 111122223333 vpc-0123456789abcdef0 subnet-0aaaabbbbcccc1111 i-0123456789abcdef0 eni-0a1b2c3d4e5f60718 us-east-1 use1-az4 - - ACCEPT 19 52.94.0.10 10.0.1.25 DYNAMODB - - ingress OK\n"
	for i := 0; i < 100; i++ {
		body += v5line
	}
	plain := filepath.Join(dir, "v5.log")
	writeFile(t, plain, body)
	gz := filepath.Join(dir, "v5.log.gz")
	if err := os.WriteFile(gz, gzipBytes(t, body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{plain, gz} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			o := DefaultOptions()
			o.TailLines = 10
			l := readAll(t, newFileT(t, path, o))
			lines := l.lines()
			if len(lines) != 11 || lines[0].line != 1 || lines[0].text+"\n" != demoV5Header+"\n" || lines[1].line != 92 || lines[10].line != 101 {
				t.Fatalf("got %d lines: first %d, then %d..%d", len(lines), lines[0].line, lines[1].line, lines[len(lines)-1].line)
			}
			if want := int64(len(demoV5Header) + 1 + 90*len(v5line)); lines[1].off != want {
				t.Errorf("offset %d, want %d", lines[1].off, want)
			}
			ix := model.NewIndex(0)
			m := NewMux(ix, []Source{newFileT(t, path, o)}, MuxOptions{})
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ss := ix.Snapshot().Sources[0]; ss.Records != 10 || ss.BadTotal() != 0 {
				t.Errorf("index: %d records, %v bad", ss.Records, ss.Bad)
			}
		})
	}
	t.Run("more than the file", func(t *testing.T) {
		o := DefaultOptions()
		o.TailLines = 1000
		l := readAll(t, newFileT(t, plain, o))
		if n := len(l.lines()); n != 101 {
			t.Errorf("%d lines", n)
		}
	})
	t.Run("zero follows new lines only", func(t *testing.T) {
		path := filepath.Join(dir, "live.log")
		writeFile(t, path, flowLines(0, 50)+flowLine(50)[:30]) // a partial line is kept
		o := followOpts(false)
		o.TailLines = 0
		src := newFileT(t, path, o)
		l, stop := runSource(t, src)
		waitCond(t, "the following state", func() bool { return src.Status().State == StateFollowing })
		appendFile(t, path, flowLine(50)[30:]+flowLines(51, 60))
		waitCond(t, "the new lines", func() bool { return l.has(59) })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, l.seqs(), 50, 60)
		if ln := l.lines()[0]; ln.line != 51 {
			t.Errorf("first line numbered %d, want 51", ln.line)
		}
	})
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewFile(filepath.Join(dir, "missing.log"), DefaultOptions()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := NewFile(filepath.Join(dir, "[.log"), DefaultOptions()); err == nil || !strings.Contains(err.Error(), "pattern") {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := NewFile("", DefaultOptions()); err == nil {
		t.Error("empty path: no error")
	}
	if os.Geteuid() != 0 {
		path := filepath.Join(dir, "secret.log")
		writeFile(t, path, flowLines(0, 1))
		os.Chmod(path, 0)
		if err := newFileT(t, path, DefaultOptions()).Run(context.Background(), newBatchLog().emit); !errors.Is(err, os.ErrPermission) {
			t.Errorf("unreadable file: %v", err)
		}
	}
}
