package model

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendJSONContract(t *testing.T) {
	ix := NewIndex(0)
	ix.Ingest(&Batch{Source: "t", Data: []byte(strings.Join([]string{
		"2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK",
		"2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA",
		"version srcaddr tgw-id action",
		"8 2001:db8::1 tgw-\"x\" REJECT",
	}, "\n"))})
	snap := ix.Publish()
	want := []string{
		`{"version":2,"account-id":"111122223333","interface-id":"eni-0a1b2c3d4e5f60718","srcaddr":"10.0.1.25","dstaddr":"10.0.2.140","srcport":51514,"dstport":5432,"protocol":6,"packets":18,"bytes":3120,"start":1717236000,"end":1717236060,"action":"ACCEPT","log-status":"OK"}`,
		`{"version":2,"account-id":"111122223333","interface-id":"eni-0fedcba9876543210","srcaddr":null,"dstaddr":null,"srcport":null,"dstport":null,"protocol":null,"packets":null,"bytes":null,"start":1717236000,"end":1717236060,"action":null,"log-status":"NODATA"}`,
		`{"version":8,"srcaddr":"2001:db8::1","tgw-id":"tgw-\"x\"","action":"REJECT"}`,
	}
	k := 0
	SelectAll(snap).ForEach(func(sg *Seg, i int) bool {
		got := string(snap.AppendJSON(nil, sg, i))
		if got != want[k] {
			t.Errorf("row %d:\n got %s\nwant %s", k, got, want[k])
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(got), &v); err != nil {
			t.Errorf("row %d: invalid JSON: %v", k, err)
		}
		k++
		return true
	})
	if cols := snap.Columns(); len(cols) != 15 || cols[14] != "tgw-id" {
		t.Errorf("columns %v", cols)
	}
}

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"plain": `"plain"`, "a\"b\\c": `"a\"b\\c"`, "\x1b]0;x\x07": `"\u001b]0;x\u0007"`,
		"bad\xffutf8": `"bad\ufffdutf8"`, "<&>": `"\u003c\u0026\u003e"`, "é": `"é"`,
		// C1 CSI, bidi override, separators and a supplementary format
		// character are escaped; a graphic supplementary rune is kept.
		"x\u009b2Jy": `"x\u009b2Jy"`, "a\u202eb": `"a\u202eb"`, "a\u2028b\u2029": `"a\u2028b\u2029"`,
		"tag\U000E0001": `"tag\udb40\udc01"`, "ok\U0001F600": "\"ok\U0001F600\"",
	} {
		got := string(AppendJSONString(nil, in))
		if got != want {
			t.Errorf("%q: got %s want %s", in, got, want)
		}
		var s string
		if err := json.Unmarshal([]byte(got), &s); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}
