package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestQueryFollowFirehose runs `flowlens query --follow
// firehose://127.0.0.1:0 --insecure-http` and posts to it as Firehose does:
// each record is printed as it arrives, and the counters are reported on
// stderr at the end.
func TestQueryFollowFirehose(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte("the-key\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseContext = func() context.Context { return ctx }
	defer func() { baseContext = context.Background }()
	pr, pw := io.Pipe()
	er, ew := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"query", "--follow", "firehose://127.0.0.1:0", "--insecure-http", "--output", "jsonl",
			"--firehose-access-key-file", keyFile, "--filter", "action = REJECT"}, strings.NewReader(""), pw, ew)
		pw.Close()
		ew.Close()
	}()
	watchdog := time.AfterFunc(60*time.Second, func() {
		pr.CloseWithError(io.ErrUnexpectedEOF)
		er.CloseWithError(io.ErrUnexpectedEOF)
	})
	defer watchdog.Stop()

	// The first line on stderr says where it listens.
	var stderr bytes.Buffer
	var mu sync.Mutex
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(er)
		for sc.Scan() {
			mu.Lock()
			stderr.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("no 'listening on' line on stderr")
	}
	post := func(id string, lines ...string) int {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, `{"requestId":%q,"timestamp":%d,"records":[`, id, time.Now().UnixMilli())
		for i, l := range lines {
			m, _ := json.Marshal(map[string]string{"message": l})
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"data":%q}`, base64.StdEncoding.EncodeToString(m))
		}
		b.WriteString("]}")
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(b.String()))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amz-Firehose-Request-Id", id)
		req.Header.Set("X-Amz-Firehose-Access-Key", "the-key")
		req.Header.Set("X-Amz-Firehose-Source-Arn", "arn:aws:firehose:us-east-1:111122223333:deliverystream/flows")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sc := bufio.NewScanner(pr)
	next := func(want string) {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("stream ended before %q", want)
		}
		if !strings.Contains(sc.Text(), want) {
			t.Fatalf("got %s, want a record with %s", sc.Text(), want)
		}
	}
	accept := "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK"
	reject := "2 111122223333 eni-0a1b2c3d4e5f60718 198.51.100.77 10.0.1.25 44321 22 6 3 180 1717236002 1717236058 REJECT OK"
	if code := post("r1", accept, reject); code != http.StatusOK {
		t.Fatalf("post: %d", code)
	}
	next(`"dstport":22`)
	rdp := strings.Replace(reject, " 22 6 ", " 3389 6 ", 1)
	if code := post("r2", rdp); code != http.StatusOK {
		t.Fatalf("post: %d", code)
	}
	next(`"dstport":3389`)
	if code := post("r2", rdp); code != http.StatusOK { // a retry: not printed twice
		t.Fatalf("retry: %d", code)
	}
	cancel() // as SIGINT would
	var rest []string
	for sc.Scan() {
		rest = append(rest, sc.Text())
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an interrupted follow did not end")
	}
	if len(rest) != 0 {
		t.Errorf("more records after the retry: %q", rest)
	}
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"3 requests", "3 firehose records", "1 duplicates", "access key required", "last request"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestFirehoseFlagErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, c := range []struct {
		name string
		env  *string
		args []string
		code int
		msg  string
	}{
		{"no TLS and no --insecure-http", nil, []string{"query", "--follow", "firehose://127.0.0.1:0"}, 1, "only over HTTPS"},
		{"empty key file", nil, []string{"query", "--follow", "--insecure-http", "--firehose-access-key-file", empty, "firehose://127.0.0.1:0"}, 2, "is empty"},
		{"missing key file", nil, []string{"query", "--follow", "--insecure-http", "--firehose-access-key-file", filepath.Join(dir, "nope"), "firehose://127.0.0.1:0"}, 2, "no such file"},
		{"empty key in the environment", new(string), []string{"query", "--follow", "--insecure-http", "firehose://127.0.0.1:0"}, 2, "set but empty"},
		{"a key is never a flag value", nil, []string{"query", "--follow", "--insecure-http", "--firehose-access-key", "k", "firehose://127.0.0.1:0"}, 2, "not defined"},
		{"bad max body", nil, []string{"query", "--follow", "--insecure-http", "--firehose-max-body", "lots", "firehose://127.0.0.1:0"}, 2, "--firehose-max-body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != nil {
				t.Setenv(keyEnv, *c.env)
			}
			_, errOut, code := runCmd(t, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, c.code, c.msg)
			}
		})
	}
}
