package source

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseFhBody(t *testing.T) {
	for _, c := range []struct {
		name, body string
		id         string
		ts         int64
		recs       []string
		err        string
	}{
		{name: "as Firehose sends it", body: `{"requestId":"ed4acda5-034f-9f42-bba1-f29aea6d7d8f","timestamp":1578090901599,"records":[{"data":"aGVsbG8="},{"data":"aGVsbG8gd29ybGQ="}]}`,
			id: "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", ts: 1578090901599, recs: []string{"aGVsbG8=", "aGVsbG8gd29ybGQ="}},
		{name: "keys in another order, white space", body: " {\n \"records\" : [ { \"data\" : \"YQ==\" } ] ,\t\"timestamp\" : 5 , \"requestId\" : \"x\" }\n",
			id: "x", ts: 5, recs: []string{"YQ=="}},
		{name: "escapes", body: `{"requestId":"a\"b\u00e9","records":[{"data":"YW\/j"}]}`, id: "a\"bé", recs: []string{"YW/j"}},
		{name: "unknown keys skipped", body: `{"x":{"y":[1,2.5e3,true,false,null,{"z":"\\"}]},"requestId":"i","records":[{"other":[{}],"data":"YQ=="}],"more":-0.5}`,
			id: "i", recs: []string{"YQ=="}},
		{name: "empty and null records", body: `{"requestId":"e","records":[{},{"data":null},{"data":""}]}`, id: "e", recs: []string{"", "", ""}},
		{name: "no records", body: `{"requestId":"n","timestamp":1}`, id: "n", ts: 1},
		{name: "records null", body: `{"records":null}`},
		{name: "float timestamp", body: `{"timestamp":1.5e3,"records":[]}`, ts: 1500},
		{name: "trailing data", body: `{"records":[]} {}`, err: "after the end"},
		{name: "truncated", body: `{"records":[{"data":"YQ=="}`, err: "unexpected end"},
		{name: "unterminated string", body: `{"requestId":"abc`, err: "unterminated"},
		{name: "records twice", body: `{"records":[],"records":[]}`, err: "twice"},
		{name: "control byte", body: "{\"requestId\":\"a\x01\"}", err: "control byte"},
		{name: "bad number", body: `{"timestamp":01}`, err: "want '}'"},
		{name: "bad literal", body: `{"x":tru}`, err: "unexpected"},
		{name: "deep nesting", body: `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, err: "nested too deeply"},
		{name: "record not an object", body: `{"records":["YQ=="]}`, err: "want '{'"},
		{name: "invalid UTF-8", body: "{\"requestId\":\"\xff\"}", err: "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseFhBody([]byte(c.body), nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RequestID != c.id || got.Timestamp != c.ts || len(got.Records) != len(c.recs) {
				t.Fatalf("got %q %d %q", got.RequestID, got.Timestamp, got.Records)
			}
			for i := range c.recs {
				if string(got.Records[i]) != c.recs[i] {
					t.Errorf("record %d %q, want %q", i, got.Records[i], c.recs[i])
				}
			}
		})
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"aGVsbG8=", "hello"}, {"aGVsbG8", "hello"}, {"", ""}, {"aGVs\r\nbG8=", "hello"},
	} {
		_, got, err := decodeBase64(nil, []byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%q: %q %v", c.in, got, err)
		}
	}
	for _, in := range []string{"not*base64", "aGVsbG8==="} {
		if _, _, err := decodeBase64(nil, []byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// FuzzParseFhBody checks the scanner against encoding/json: whatever it
// accepts is valid JSON (or holds record data that base64 decoding
// rejects), and it reads the same request id, timestamp and records.
func FuzzParseFhBody(f *testing.F) {
	for _, s := range []string{
		`{"requestId":"a","timestamp":1,"records":[{"data":"YQ=="},{}]}`,
		`{"records":[{"data":"YW\/j","x":[1,{"y":null}]}],"requestId":"\u00e9"}`,
		"{\"records\":[{\"data\":\"YQ\x01==\"}]}",
		` { "timestamp" : -1.5e2 } `, `{"records":null}`, `[]`, `{"x":"\"}"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseFhBody(b, nil)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			// Record data is taken as it stands and left to the base64
			// decoder, which must then reject it.
			for _, r := range got.Records {
				if _, _, err := decodeBase64(nil, r); err != nil {
					return
				}
			}
			t.Fatalf("accepted invalid JSON %q", b)
		}
		var want struct {
			RequestID *string `json:"requestId"`
			Timestamp *float64
			Records   []struct {
				Data *string `json:"data"`
			} `json:"records"`
		}
		d := json.NewDecoder(bytes.NewReader(b))
		if err := d.Decode(&want); err != nil {
			t.Fatalf("accepted %q, encoding/json says %v", b, err)
		}
		if want.RequestID != nil && *want.RequestID != got.RequestID {
			t.Fatalf("requestId %q, encoding/json %q", got.RequestID, *want.RequestID)
		}
		if len(want.Records) != len(got.Records) {
			t.Fatalf("%d records, encoding/json %d", len(got.Records), len(want.Records))
		}
		for i, r := range want.Records {
			w := ""
			if r.Data != nil {
				w = *r.Data
			}
			if w != string(got.Records[i]) {
				t.Fatalf("record %d %q, encoding/json %q", i, got.Records[i], w)
			}
		}
	})
}
