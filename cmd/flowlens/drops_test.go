package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverLongLinesAreReported: lines over the 16 KiB limit (one long
// field, a 20 MB line, a gzip bomb of zeros) are skipped, and stderr says
// how many, why and where, as for bad lines; --strict makes it exit 1.
// Today's code dropped them without a word.
func TestOverLongLinesAreReported(t *testing.T) {
	dir := t.TempDir()
	body, _ := os.ReadFile("../../testdata/default.log")
	lines := strings.SplitAfter(strings.TrimSpace(string(body)), "\n")
	longField := strings.Replace(lines[1], "eni-", "eni-"+strings.Repeat("a", 17000), 1)
	plain := filepath.Join(dir, "long.log")
	os.WriteFile(plain, []byte(lines[0]+longField+strings.Repeat("9", 20<<20)+"\n"+strings.Join(lines[2:], "")), 0o644)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write([]byte(lines[0]))
	zw.Write(make([]byte, 32<<20))
	zw.Write([]byte("\n" + lines[1]))
	zw.Close()
	bomb := filepath.Join(dir, "bomb.log.gz")
	os.WriteFile(bomb, gz.Bytes(), 0o644)

	out, errOut, code := runCmd(t, "", "query", "--output", "jsonl", plain, bomb)
	if code != 0 || len(jsonLines(t, out)) != 11 { // 9 of long.log, 2 of the bomb
		t.Fatalf("exit %d, %d records, stderr %q", code, len(jsonLines(t, out)), errOut)
	}
	for _, want := range []string{
		"long.log: 2 line(s) dropped (2 over-long)",
		"long.log:2: line of 17",
		"long.log:3: line of more than 16384 bytes skipped",
		"bomb.log.gz: 1 line(s) dropped (1 over-long)",
		"bomb.log.gz:2: line of more than 16384 bytes skipped",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	_, errOut, code = runCmd(t, "", "query", "--strict", "--metrics", "count", plain)
	if code != 1 || !strings.Contains(errOut, "--strict: 2 dropped from") {
		t.Fatalf("--strict: exit %d, stderr %q", code, errOut)
	}
}

// TestDevZeroEnds: a source that is not line text at all (/dev/zero) is
// given up after 256 MiB without a line end, said on stderr, instead of
// being read for ever.
func TestDevZeroEnds(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, errOut, code := runCmd(t, "", "query", "--metrics", "count", "/dev/zero", "../../testdata/default.log")
	if code != 0 || !strings.Contains(errOut, "no line end in 256 MiB") || !strings.Contains(errOut, "/dev/zero: 1 line(s) dropped (1 over-long)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
