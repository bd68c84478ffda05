package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

const testARN = "arn:aws:firehose:us-east-1:111122223333:deliverystream/vpc-flows"

// receiver is a Firehose source running into a real Mux and index, as
// flowlens runs it.
type receiver struct {
	f    *Firehose
	ix   *model.Index
	mux  *Mux
	url  string
	http *http.Client
	stop func()
}

// startReceiver starts a plain-HTTP receiver on 127.0.0.1 with fo (and
// the mux hook, if any) and stops it when the test ends.
func startReceiver(t testing.TB, fo FirehoseOptions, hook func()) *receiver {
	t.Helper()
	o := DefaultOptions()
	if fo.TLSCert == "" {
		fo.InsecureHTTP = true
	}
	o.Firehose = fo
	f, err := NewFirehose("firehose://127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	ix := model.NewIndex(0)
	m := NewMux(ix, []Source{f}, MuxOptions{PublishEvery: 5 * time.Millisecond})
	m.afterIngest = hook
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	scheme := "http"
	if fo.TLSCert != "" {
		scheme = "https"
	}
	r := &receiver{f: f, ix: ix, mux: m, url: scheme + "://" + f.Addr().String() + "/",
		http: &http.Client{Timeout: 60 * time.Second}}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("mux: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("receiver did not stop")
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// fhReq is a delivery request as Firehose shapes it.
type fhReq struct {
	id      string
	records [][]byte // raw record contents, base64-encoded when sent
	gzip    bool
	key     *string // nil: no access-key header
	arn     string
	attrs   string
	body    []byte // when set, sent as is (after gzip if asked)
}

func (q fhReq) encode() []byte {
	if q.body != nil {
		return q.body
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"requestId":%q,"timestamp":%d,"records":[`, q.id, time.Now().UnixMilli())
	for i, r := range q.records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"data":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(r))
		b.WriteString(`"}`)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// fhAnswer is a response as the test saw it.
type fhAnswer struct {
	code  int
	proto string
	hdr   http.Header
	body  fhResponse
	raw   string
}

func (r *receiver) post(t testing.TB, q fhReq) fhAnswer {
	t.Helper()
	body := q.encode()
	if q.gzip {
		body = gz(t, body)
	}
	return r.postRaw(t, q, body)
}

func (r *receiver) postRaw(t testing.TB, q fhReq, body []byte) fhAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Firehose-Protocol-Version", "1.0")
	if q.id != "" {
		req.Header.Set(hdrRequestID, q.id)
	}
	if q.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if q.key != nil {
		req.Header.Set(hdrAccessKey, *q.key)
	}
	arn := q.arn
	if arn == "" {
		arn = testARN
	}
	req.Header.Set(hdrSourceARN, arn)
	if q.attrs != "" {
		req.Header.Set(hdrAttributes, q.attrs)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := fhAnswer{code: resp.StatusCode, proto: resp.Proto, hdr: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("response %d is not JSON: %q", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("response Content-Encoding %q: Firehose wants none", ce)
	}
	if a.body.Timestamp < time.Now().Add(-time.Minute).UnixMilli() || a.body.Timestamp > time.Now().Add(time.Minute).UnixMilli() {
		t.Errorf("response timestamp %d is not now in ms", a.body.Timestamp)
	}
	if len(raw) > 1<<20 {
		t.Errorf("response of %d bytes (Firehose reads at most 1 MiB)", len(raw))
	}
	return a
}

func (a fhAnswer) want(t testing.TB, code int, id, msgPart string) {
	t.Helper()
	if a.code != code {
		t.Fatalf("status %d, want %d: %s", a.code, code, a.raw)
	}
	if a.body.RequestID != id {
		t.Errorf("response requestId %q, want %q", a.body.RequestID, id)
	}
	if code == http.StatusOK && a.body.ErrorMessage != "" {
		t.Errorf("200 with errorMessage %q", a.body.ErrorMessage)
	}
	if code != http.StatusOK && !strings.Contains(a.body.ErrorMessage, msgPart) {
		t.Errorf("errorMessage %q, want it to mention %q", a.body.ErrorMessage, msgPart)
	}
}

// msg wraps a line as a flow log delivered directly to Firehose.
func msg(line string) []byte {
	b, _ := json.Marshal(map[string]string{"message": strings.TrimSuffix(line, "\n")})
	return b
}

// direct returns n direct records carrying sequence numbers from..from+n-1.
func direct(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = msg(flowLine(from + i))
	}
	return out
}

// cwEnvelope is a gzip CloudWatch Logs subscription envelope.
func cwEnvelope(t testing.TB, msgType, group, stream string, lines []string) []byte {
	t.Helper()
	type ev struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	env := map[string]any{"messageType": msgType, "owner": "111122223333", "logGroup": group, "logStream": stream,
		"subscriptionFilters": []string{"to-firehose"}}
	var evs []ev
	for i, l := range lines {
		evs = append(evs, ev{ID: fmt.Sprint(38000000000000 + i), Timestamp: 1717236000000, Message: strings.TrimSuffix(l, "\n")})
	}
	if msgType == "CONTROL_MESSAGE" {
		evs = []ev{{ID: "", Timestamp: 1717236000000, Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}}
	}
	env["logEvents"] = evs
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return gz(t, b)
}

// indexed waits until the index holds n rows and returns their sequence
// numbers (the bytes field of flowLine) with each row's provenance.
func (r *receiver) indexed(t testing.TB, n int) ([]int, []model.Provenance) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var snap *model.Snapshot
	for {
		snap = r.ix.Snapshot()
		if snap != nil && snap.Rows() >= n {
			break
		}
		if time.Now().After(deadline) {
			rows := 0
			if snap != nil {
				rows = snap.Rows()
			}
			t.Fatalf("index has %d rows, want %d", rows, n)
		}
		time.Sleep(time.Millisecond)
	}
	var seqs []int
	var provs []model.Provenance
	for _, sg := range snap.Segs {
		for i := 0; i < sg.N; i++ {
			v, _ := sg.Uint(model.FieldBytes, i)
			seqs = append(seqs, int(v))
			provs = append(provs, snap.Provenance(sg, i))
		}
	}
	return seqs, provs
}

// settle waits for the mux to publish everything pending, so a count of
// rows is final.
func (r *receiver) settle() {
	time.Sleep(30 * time.Millisecond)
}

func counter(st Status, name string) uint64 {
	for _, c := range st.Counters {
		if c.Name == name {
			return c.Value
		}
	}
	return 0
}

func TestFirehoseDirectRecords(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{}, nil)
	for _, zip := range []bool{false, true} {
		from := 0
		if zip {
			from = 100
		}
		id := fmt.Sprintf("req-direct-%v", zip)
		a := r.post(t, fhReq{id: id, records: direct(from, 3), gzip: zip,
			attrs: `{"commonAttributes":{"env":"prod","team":"net"}}`})
		a.want(t, http.StatusOK, id, "")
	}
	seqs, provs := r.indexed(t, 6)
	wantSeqs(t, seqs[:3], 0, 3)
	wantSeqs(t, seqs[3:], 100, 103)
	wantObj := testARN + " [env=prod team=net]"
	for i, p := range provs {
		if p.Source != "firehose://127.0.0.1:0" || p.Object != wantObj || p.Line != int64(i+1) {
			t.Errorf("row %d provenance %+v, want object %q line %d", i, p, wantObj, i+1)
		}
	}
	st := r.f.Status()
	if counter(st, "requests") != 2 || counter(st, "firehose records") != 6 || st.Lines != 6 || st.Kind != "firehose" {
		t.Errorf("status %+v", st)
	}
	if !strings.Contains(strings.Join(st.Info, "\n"), "from "+testARN) {
		t.Errorf("info %q does not name the stream", st.Info)
	}
}

func TestFirehoseCloudWatchEnvelopes(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{}, nil)
	recs := [][]byte{
		cwEnvelope(t, "CONTROL_MESSAGE", "", "", nil),
		cwEnvelope(t, "DATA_MESSAGE", "/vpc/flow-logs", "eni-0a1b2c3d4e5f60718-all", strings.SplitAfter(flowLines(0, 3), "\n")[:3]),
		cwEnvelope(t, "DATA_MESSAGE", "/vpc/flow-logs", "eni-0fedcba9876543210-all", strings.SplitAfter(flowLines(3, 5), "\n")[:2]),
	}
	// The same envelope decompressed by the stream itself is read too.
	plain, err := io.ReadAll(mustGunzip(t, cwEnvelope(t, "DATA_MESSAGE", "/vpc/flow-logs", "eni-0fedcba9876543210-all",
		strings.SplitAfter(flowLines(5, 7), "\n")[:2])))
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, plain)
	a := r.post(t, fhReq{id: "req-cw", records: recs, gzip: true})
	a.want(t, http.StatusOK, "req-cw", "")
	seqs, provs := r.indexed(t, 7)
	if len(seqs) != 7 {
		t.Fatalf("%d rows, want 7", len(seqs))
	}
	wantSeqs(t, seqs, 0, 7)
	for i, p := range provs {
		want := testARN + " /vpc/flow-logs/eni-0a1b2c3d4e5f60718-all"
		if i >= 3 {
			want = testARN + " /vpc/flow-logs/eni-0fedcba9876543210-all"
		}
		if p.Object != want {
			t.Errorf("row %d object %q, want %q", i, p.Object, want)
		}
	}
	if st := r.f.Status(); counter(st, "control messages") != 1 || counter(st, "firehose records") != 4 {
		t.Errorf("counters %v", st.Counters)
	}
}

func mustGunzip(t *testing.T, b []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestFirehoseEmptyAndRawRecords(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{}, nil)
	body := fmt.Sprintf(`{"requestId":"req-raw","timestamp":1717236000000,"records":[{"data":""},{},{"data":null},`+
		`{"data":%q},{"data":%q},{"data":%q}]}`,
		base64.StdEncoding.EncodeToString([]byte(flowLines(0, 2))),
		base64.StdEncoding.EncodeToString([]byte(strings.TrimSuffix(flowLine(2), "\n"))),
		base64.StdEncoding.EncodeToString([]byte("\n\n")))
	a := r.post(t, fhReq{id: "req-raw", body: []byte(body)})
	a.want(t, http.StatusOK, "req-raw", "")
	seqs, _ := r.indexed(t, 3)
	wantSeqs(t, seqs, 0, 3)
	if st := r.f.Status(); counter(st, "empty records") != 4 {
		t.Errorf("counters %v, want 4 empty records", st.Counters)
	}
	// A request of nothing but empty records, or of no records, is fine.
	r.post(t, fhReq{id: "req-empty", records: [][]byte{{}, {}}}).want(t, http.StatusOK, "req-empty", "")
	r.post(t, fhReq{id: "req-none", records: nil}).want(t, http.StatusOK, "req-none", "")
	r.settle()
	if n := r.ix.Snapshot().Rows(); n != 3 {
		t.Errorf("%d rows after empty requests, want 3", n)
	}
}

func TestFirehoseTenThousandRecords(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{}, nil)
	for _, zip := range []bool{false, true} {
		from := 0
		if zip {
			from = 10000
		}
		id := fmt.Sprintf("req-10k-%v", zip)
		r.post(t, fhReq{id: id, records: direct(from, 10000), gzip: zip}).want(t, http.StatusOK, id, "")
	}
	seqs, provs := r.indexed(t, 20000)
	wantSeqs(t, seqs, 0, 20000)
	if p := provs[len(provs)-1]; p.Line != 20000 {
		t.Errorf("last row at line %d, want 20000", p.Line)
	}
}

func TestFirehoseRetriedRequestIDs(t *testing.T) {
	// The ingest goroutine is held while the first attempt is in flight,
	// so its retry arrives before it committed.
	var hold sync.Mutex
	r := startReceiver(t, FirehoseOptions{}, func() { hold.Lock(); hold.Unlock() })
	r.post(t, fhReq{id: "req-A", records: direct(0, 5)}).want(t, http.StatusOK, "req-A", "")
	// A retry after the 200 was lost: acknowledged, not indexed again.
	r.post(t, fhReq{id: "req-A", records: direct(0, 5)}).want(t, http.StatusOK, "req-A", "")
	r.post(t, fhReq{id: "req-A", records: direct(0, 5), gzip: true}).want(t, http.StatusOK, "req-A", "")

	// A retry while the first attempt is still being indexed waits for it.
	hold.Lock()
	answers := make(chan fhAnswer, 2)
	go func() { answers <- r.post(t, fhReq{id: "req-B", records: direct(5, 5)}) }()
	waitCond(t, "the first attempt to reach the index", func() bool { return r.f.Status().Lines == 10 })
	go func() { answers <- r.post(t, fhReq{id: "req-B", records: direct(5, 5)}) }()
	waitCond(t, "the retry to arrive", func() bool { return counter(r.f.Status(), "requests") == 5 })
	select {
	case a := <-answers:
		t.Fatalf("answered %d before the records were committed", a.code)
	case <-time.After(50 * time.Millisecond):
	}
	hold.Unlock()
	for range 2 {
		(<-answers).want(t, http.StatusOK, "req-B", "")
	}
	// The same id from another stream is another request.
	r.post(t, fhReq{id: "req-A", records: direct(10, 1), arn: testARN + "-2"}).want(t, http.StatusOK, "req-A", "")
	seqs, _ := r.indexed(t, 11)
	r.settle()
	seqs, _ = r.indexed(t, 11)
	wantSeqs(t, seqs, 0, 11)
	if st := r.f.Status(); counter(st, "duplicates") != 3 {
		t.Errorf("duplicates %d, want 3", counter(st, "duplicates"))
	}
}

func TestFirehoseAccessKey(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{AccessKey: "s3cret-key"}, nil)
	wrong, empty, right := "s3cret-kez", "", "s3cret-key"
	r.post(t, fhReq{id: "k1", records: direct(0, 1), key: &wrong}).want(t, http.StatusUnauthorized, "k1", "Access-Key")
	r.post(t, fhReq{id: "k2", records: direct(0, 1)}).want(t, http.StatusUnauthorized, "k2", "Access-Key")
	r.post(t, fhReq{id: "k3", records: direct(0, 1), key: &empty}).want(t, http.StatusUnauthorized, "k3", "Access-Key")
	long := strings.Repeat("s3cret-key", 400)
	r.post(t, fhReq{id: "k4", records: direct(0, 1), key: &long}).want(t, http.StatusUnauthorized, "k4", "Access-Key")
	// A rejected id is not remembered: the same request with the key goes in.
	r.post(t, fhReq{id: "k1", records: direct(0, 1), key: &right}).want(t, http.StatusOK, "k1", "")
	seqs, _ := r.indexed(t, 1)
	r.settle()
	if n := r.ix.Snapshot().Rows(); n != 1 {
		t.Errorf("%d rows, want only the authorised record", n)
	}
	wantSeqs(t, seqs, 0, 1)
	if st := r.f.Status(); counter(st, "rejected unauthorized") != 4 {
		t.Errorf("counters %v", st.Counters)
	}
}

func TestFirehoseMalformedRequests(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{}, nil)
	good := fhReq{id: "m", records: direct(0, 3)}.encode()
	zipped := gz(t, good)
	cases := []struct {
		name   string
		q      fhReq
		raw    []byte // the body on the wire, when not encoded from q
		status int
		msg    string
	}{
		{"truncated gzip", fhReq{id: "m1", gzip: true}, zipped[:len(zipped)-9], 400, "truncated"},
		{"corrupt gzip", fhReq{id: "m2", gzip: true}, append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, bytes.Repeat([]byte{0xff}, 40)...), 400, "gzip body"},
		{"gzip header on plain body", fhReq{id: "m3", gzip: true}, good, 400, "gzip body"},
		{"bad base64", fhReq{id: "m4", body: []byte(`{"requestId":"m4","timestamp":1,"records":[{"data":"` +
			base64.StdEncoding.EncodeToString(msg(flowLine(0))) + `"},{"data":"not*base64!"}]}`)}, nil, 400, "record 1 of 2: data is not valid base64"},
		{"truncated JSON", fhReq{id: "m5", body: good[:len(good)-3]}, nil, 400, "malformed request body"},
		{"not JSON", fhReq{id: "m6", body: []byte("hello")}, nil, 400, "malformed request body"},
		{"records not an array", fhReq{id: "m7", body: []byte(`{"requestId":"m7","records":{}}`)}, nil, 400, "want '['"},
		{"request id mismatch", fhReq{id: "m8", body: []byte(`{"requestId":"other","timestamp":1,"records":[]}`)}, nil, 400, "does not match"},
		{"JSON record without message", fhReq{id: "m9", records: [][]byte{[]byte(`{"msg":"x"}`)}}, nil, 400, "record 0"},
		{"unknown messageType", fhReq{id: "m10", records: [][]byte{[]byte(`{"messageType":"NOPE"}`)}}, nil, 400, "unknown messageType"},
		{"corrupt gzip record", fhReq{id: "m11", records: [][]byte{zipped[:20]}}, nil, 400, "record 0: gzip data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a fhAnswer
			if c.raw != nil {
				a = r.postRaw(t, c.q, c.raw)
			} else {
				a = r.post(t, c.q)
			}
			a.want(t, c.status, c.q.id, c.msg)
		})
	}
	// The same ids with good bodies are accepted: a failed attempt is not a
	// delivered one.
	r.post(t, fhReq{id: "m1", records: direct(0, 3), gzip: true}).want(t, http.StatusOK, "m1", "")
	r.settle()
	seqs, _ := r.indexed(t, 3)
	wantSeqs(t, seqs, 0, 3)
	if n := counter(r.f.Status(), "rejected malformed"); n != uint64(len(cases)) {
		t.Errorf("rejected malformed %d, want %d", n, len(cases))
	}
	// Not a POST.
	resp, err := r.http.Get(r.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	// An encoding other than gzip.
	req, _ := http.NewRequest(http.MethodPost, r.url, strings.NewReader("x"))
	req.Header.Set("Content-Encoding", "br")
	resp, err = r.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("Content-Encoding br: %d", resp.StatusCode)
	}
}

func TestFirehoseOversizedBodies(t *testing.T) {
	const limit = 1 << 20
	r := startReceiver(t, FirehoseOptions{MaxBody: limit}, nil)
	big := fhReq{id: "big", records: direct(0, 8000)} // about 1.6 MiB of JSON
	r.post(t, big).want(t, http.StatusRequestEntityTooLarge, "big", "over the limit")
	// The same body gzip-compressed is small on the wire but too large
	// once decompressed.
	big.id = "big-gz"
	big.gzip = true
	r.post(t, big).want(t, http.StatusRequestEntityTooLarge, "big-gz", "over the limit")
	// A decompression bomb (1 GiB of zeros in about 1 MiB: 1,024 gzip
	// members of 1 MiB each) is stopped after the limit, not read to its end.
	zeros := make([]byte, 1<<20)
	bomb := bytes.Repeat(gz(t, zeros), 1024)
	before := r.f.wire.Load()
	r.postRaw(t, fhReq{id: "bomb", gzip: true}, bomb).want(t, http.StatusRequestEntityTooLarge, "bomb", "over the limit")
	if read := r.f.wire.Load() - before; read > 64<<10 {
		t.Errorf("read %d compressed bytes of the bomb; it should stop after the limit", read)
	}
	// Records that are small gzip bombs expand past what a request may.
	var rec bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&rec, gzip.BestCompression)
	for range 8 {
		zw.Write(zeros)
	}
	zw.Close()
	r.post(t, fhReq{id: "rec-bomb", records: [][]byte{rec.Bytes()}}).want(t, http.StatusRequestEntityTooLarge, "rec-bomb", "expand")
	// Under the limit is fine.
	r.post(t, fhReq{id: "ok", records: direct(0, 1000), gzip: true}).want(t, http.StatusOK, "ok", "")
	seqs, _ := r.indexed(t, 1000)
	wantSeqs(t, seqs, 0, 1000)
	if n := counter(r.f.Status(), "rejected too large"); n != 4 {
		t.Errorf("rejected too large %d, want 4", n)
	}
}

func TestFirehoseBackPressure(t *testing.T) {
	// One slot, and an index that does not move: the second request
	// cannot start and is told to come back (503).
	release := make(chan struct{})
	r := startReceiver(t, FirehoseOptions{Slots: 1, BusyWait: 100 * time.Millisecond}, func() { <-release })
	first := make(chan fhAnswer, 1)
	go func() { first <- r.post(t, fhReq{id: "p1", records: direct(0, 2)}) }()
	waitCond(t, "the first request to be handed over", func() bool { return r.f.Status().Lines == 2 })
	a := r.post(t, fhReq{id: "p2", records: direct(2, 2)})
	a.want(t, http.StatusServiceUnavailable, "p2", "busy")
	if a.hdr.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	close(release)
	(<-first).want(t, http.StatusOK, "p1", "")
	// Firehose retries; now there is room.
	r.post(t, fhReq{id: "p2", records: direct(2, 2)}).want(t, http.StatusOK, "p2", "")
	seqs, _ := r.indexed(t, 4)
	wantSeqs(t, seqs, 0, 4)
}

func TestFirehoseSlowClients(t *testing.T) {
	r := startReceiver(t, FirehoseOptions{ReadHeaderTimeout: 200 * time.Millisecond, BodyGrace: 200 * time.Millisecond,
		MinRate: 1 << 20}, nil)
	addr := r.f.Addr().String()
	// Headers that never end: the connection is closed.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	t0 := time.Now()
	_, err = io.ReadAll(c)
	if err != nil || time.Since(t0) > 5*time.Second {
		t.Errorf("slow headers: connection not closed in time (%v, %v)", err, time.Since(t0))
	}
	// A body that trickles: 408, well before it would have ended.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	body := fhReq{id: "slow", records: direct(0, 10)}.encode()
	fmt.Fprintf(c2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s: slow\r\nContent-Length: %d\r\n\r\n", hdrRequestID, len(body))
	t0 = time.Now()
	go func() {
		for _, b := range body {
			if _, err := c2.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	c2.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatalf("slow body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || time.Since(t0) > 5*time.Second {
		t.Errorf("slow body: %d after %v", resp.StatusCode, time.Since(t0))
	}
	if n := counter(r.f.Status(), "rejected too slow"); n != 1 {
		t.Errorf("rejected too slow %d", n)
	}
	// The receiver still serves others.
	r.post(t, fhReq{id: "fast", records: direct(0, 1)}).want(t, http.StatusOK, "fast", "")
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key and
// returns their paths and a pool that trusts it.
func writeCert(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "flowlens test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cp, kp := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return cp, kp, pool
}

func TestFirehoseTLS(t *testing.T) {
	cp, kp, pool := writeCert(t)
	key := "k"
	r := startReceiver(t, FirehoseOptions{TLSCert: cp, TLSKey: kp, AccessKey: key}, nil)
	r.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	r.post(t, fhReq{id: "tls", records: direct(0, 3), gzip: true, key: &key}).want(t, http.StatusOK, "tls", "")
	seqs, _ := r.indexed(t, 3)
	wantSeqs(t, seqs, 0, 3)
	if !strings.HasPrefix(r.f.URL(), "https://127.0.0.1:") {
		t.Errorf("URL %s", r.f.URL())
	}
	// HTTP/2, as a load balancer in front may speak it.
	r.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	a := r.post(t, fhReq{id: "tls-h2", records: direct(3, 2), key: &key})
	a.want(t, http.StatusOK, "tls-h2", "")
	if a.proto != "HTTP/2.0" {
		t.Errorf("answered over %s, want HTTP/2.0", a.proto)
	}
	r.post(t, fhReq{id: "tls-h2-bad", records: direct(5, 1)}).want(t, http.StatusUnauthorized, "tls-h2-bad", "Access-Key")
	seqs, _ = r.indexed(t, 5)
	wantSeqs(t, seqs, 0, 5)
	// Plain HTTP to the TLS port gets nowhere.
	resp, err := http.Post("http://"+r.f.Addr().String()+"/", "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP accepted on the TLS port")
		}
	}
	// An untrusting client fails the handshake.
	if resp, err := (&http.Client{}).Post(r.url, "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
		t.Error("a client that does not trust the certificate got through")
	}
}

func TestFirehoseConfigErrors(t *testing.T) {
	cp, kp, _ := writeCert(t)
	for _, c := range []struct {
		spec string
		fo   FirehoseOptions
		want string
	}{
		{"firehose://127.0.0.1:0", FirehoseOptions{}, "only over HTTPS"},
		{"firehose://127.0.0.1:0", FirehoseOptions{TLSCert: cp}, "go together"},
		{"firehose://127.0.0.1:0", FirehoseOptions{TLSCert: cp, TLSKey: kp, InsecureHTTP: true}, "choose one"},
		{"firehose://127.0.0.1:0", FirehoseOptions{TLSCert: kp, TLSKey: cp}, "--tls-cert"},
		{"firehose://127.0.0.1", FirehoseOptions{InsecureHTTP: true}, "want firehose://[HOST]:PORT"},
		{"firehose://127.0.0.1:0", FirehoseOptions{InsecureHTTP: true, AccessKey: strings.Repeat("k", 4097)}, "at most 4096"},
	} {
		o := DefaultOptions()
		o.Firehose = c.fo
		f, err := Open(c.spec, o)
		if err == nil {
			f.(*Firehose).Close()
			t.Errorf("%s %+v: no error", c.spec, c.fo)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.spec, err, c.want)
		}
	}
	// A port in use is reported at once, naming the source.
	o := DefaultOptions()
	o.Firehose.InsecureHTTP = true
	a, err := NewFirehose("firehose://127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := NewFirehose("firehose://"+a.Addr().String(), o); err == nil || !strings.Contains(err.Error(), "firehose://") {
		t.Errorf("port in use: %v", err)
	}
}

// TestFirehoseInfersFormat: flow logs delivered directly carry no header;
// the index infers their format (a custom v5 order here) from the first
// request, says so in the source's stats, and reads them in it.
func TestFirehoseInfersFormat(t *testing.T) {
	b, err := os.ReadFile("../testdata/v5.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	header, data := lines[0], lines[1:]
	var recs [][]byte
	for _, l := range data {
		recs = append(recs, msg(l))
	}
	r := startReceiver(t, FirehoseOptions{}, nil)
	r.post(t, fhReq{id: "v5", records: recs, gzip: true}).want(t, http.StatusOK, "v5", "")
	r.indexed(t, len(data))
	snap := r.ix.Snapshot()
	want := model.MustParseFormat(header)
	for _, sg := range snap.Segs {
		for i := 0; i < sg.N; i++ {
			if f := snap.Format(sg, i); !f.Equal(want) {
				t.Fatalf("row read as %s", f.Header())
			}
		}
	}
	notes := snap.Sources[0].Formats
	if len(notes) != 1 || !strings.Contains(notes[0].Desc, "inferred a custom format (v5, 29 fields") || notes[0].Object != testARN {
		t.Errorf("notes %+v", notes)
	}
}
