package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func writeNames(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "names.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestQueryNamesFile: --names FILE names records offline: JSONL keys when
// known, CSV columns, --group-by on a name, filters on names.
func TestQueryNamesFile(t *testing.T) {
	names := writeNames(t, "address,name\n10.0.1.25,web-1\n10.0.2.140,db-1\neni-0a1b2c3d4e5f60718,web-1-eni\n")
	out, errOut, code := runCmd(t, "", "query", "--names", names, "--filter", "src-name = web-* and dst-name = db-1", "../../testdata/default.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	if len(recs) != 1 || recs[0]["src-name"] != "web-1" || recs[0]["dst-name"] != "db-1" || recs[0]["interface-name"] != "web-1-eni" {
		t.Fatalf("records: %v", recs)
	}
	// A record whose addresses have no name carries no name keys for them.
	out, _, _ = runCmd(t, "", "query", "--names", names, "--filter", "srcaddr = 198.51.100.77", "../../testdata/default.log")
	for _, r := range jsonLines(t, out) {
		if _, ok := r["src-name"]; ok {
			t.Errorf("src-name on an unnamed address: %v", r)
		}
		if r["dst-name"] != "web-1" {
			t.Errorf("dst-name: %v", r)
		}
	}
	out, _, code = runCmd(t, "", "query", "--names", names, "--output", "csv", "--limit", "1", "../../testdata/default.log")
	if lines := strings.Split(out, "\n"); code != 0 || !strings.HasSuffix(lines[0], ",interface-name,src-name,dst-name") ||
		!strings.HasSuffix(lines[1], ",web-1-eni,web-1,db-1") {
		t.Errorf("csv: %q", out)
	}
	out, _, code = runCmd(t, "", "query", "--names", names, "--group-by", "src-name", "--metrics", "count", "--output", "jsonl", "../../testdata/default.log")
	if code != 0 || !strings.Contains(out, `{"src-name":"web-1","count":`) || !strings.Contains(out, `{"src-name":null,"count":`) {
		t.Errorf("group by src-name: %s", out)
	}
	// A name filter with a name key (a streaming scan: names known up front).
	out, _, code = runCmd(t, "", "query", "--names", names, "--group-by", "dst-name", "--filter", "src-name = web-*", "--metrics", "count",
		"--output", "jsonl", "../../testdata/default.log")
	if code != 0 || !strings.Contains(out, `{"dst-name":"db-1","count":1}`) {
		t.Errorf("group by dst-name where src-name = web-*: %s", out)
	}
	// Without names the output is unchanged.
	out, _, _ = runCmd(t, "", "query", "--limit", "1", "../../testdata/default.log")
	if strings.Contains(out, "-name") {
		t.Errorf("name keys without names: %s", out)
	}
	// A bad names file names its line.
	_, errOut, code = runCmd(t, "", "query", "--names", writeNames(t, "10.0.0.1,a\nweb,b\n"), "../../testdata/default.log")
	if code != 1 || !strings.Contains(errOut, "names.csv:2") {
		t.Errorf("bad names file: exit %d, %s", code, errOut)
	}
	_, errOut, code = runCmd(t, "", "query", "--enrich", "dns", "../../testdata/default.log")
	if code != 2 || !strings.Contains(errOut, "--enrich") {
		t.Errorf("--enrich dns: exit %d, %s", code, errOut)
	}
}

// ec2Canned answers the two EC2 calls the names need with a fixed
// estate (web-1 10.0.1.25 on the interface that logged default.log, db-1
// 10.0.2.140), or denies everything. The EC2 fake proper (with paging,
// throttling and the rules) is source/internal/awstest, which cmd cannot
// import; this is only the wiring of --enrich.
func ec2Canned(deny bool, calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		if deny {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>`)
			return
		}
		switch r.PostForm.Get("Action") {
		case "DescribeNetworkInterfaces":
			fmt.Fprint(w, `<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><networkInterfaceSet>`+
				`<item><networkInterfaceId>eni-0a1b2c3d4e5f60718</networkInterfaceId><subnetId>subnet-a</subnetId><vpcId>vpc-1</vpcId><interfaceType>interface</interfaceType><privateIpAddress>10.0.1.25</privateIpAddress><groupSet><item><groupId>sg-web</groupId></item></groupSet><attachment><instanceId>i-0web</instanceId></attachment></item>`+
				`<item><networkInterfaceId>eni-0db</networkInterfaceId><subnetId>subnet-b</subnetId><vpcId>vpc-1</vpcId><interfaceType>interface</interfaceType><privateIpAddress>10.0.2.140</privateIpAddress><groupSet><item><groupId>sg-db</groupId></item></groupSet><attachment><instanceId>i-0db</instanceId></attachment></item>`+
				`</networkInterfaceSet></DescribeNetworkInterfacesResponse>`)
		case "DescribeTags":
			fmt.Fprint(w, `<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><tagSet>`+
				`<item><resourceId>i-0web</resourceId><resourceType>instance</resourceType><key>Name</key><value>web-1</value></item>`+
				`<item><resourceId>i-0db</resourceId><resourceType>instance</resourceType><key>Name</key><value>db-1</value></item>`+
				`</tagSet></DescribeTagsResponse>`)
		case "DescribeSubnets":
			fmt.Fprint(w, `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><subnetSet>`+
				`<item><subnetId>subnet-a</subnetId><vpcId>vpc-1</vpcId><state>available</state><tagSet><item><key>Name</key><value>app-a</value></item></tagSet></item>`+
				`</subnetSet></DescribeSubnetsResponse>`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<Response><Errors><Error><Code>InvalidAction</Code><Message>no</Message></Error></Errors></Response>`)
		}
	})
}

// TestQueryEnrichEC2: --enrich ec2 names records through the EC2 API, a
// file source makes no call without it, and an AccessDenied names the IAM
// action while the query still answers.
func TestQueryEnrichEC2(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	var calls atomic.Int64
	srv := httptest.NewServer(ec2Canned(false, &calls))
	defer srv.Close()
	out, errOut, code := runCmd(t, "", "query", "--enrich", "ec2", "--endpoint-url", srv.URL, "--filter", "sg = sg-db and src-name = web-1",
		"../../testdata/default.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	if len(recs) != 1 || recs[0]["dst-name"] != "db-1" || recs[0]["interface-name"] != "web-1" {
		t.Fatalf("records %v (stderr %s)", recs, errOut)
	}
	if calls.Load() == 0 || strings.Contains(errOut, "names:") {
		t.Errorf("%d EC2 calls; stderr %s", calls.Load(), errOut)
	}
	n := calls.Load()
	runCmd(t, "", "query", "--endpoint-url", srv.URL, "../../testdata/default.log")
	if calls.Load() != n {
		t.Error("EC2 called without --enrich for a file source")
	}
	var denied atomic.Int64
	srv2 := httptest.NewServer(ec2Canned(true, &denied))
	defer srv2.Close()
	out, errOut, code = runCmd(t, "", "query", "--enrich", "ec2", "--endpoint-url", srv2.URL, "../../testdata/default.log")
	if code != 0 || len(jsonLines(t, out)) == 0 || !strings.Contains(errOut, "ec2:DescribeNetworkInterfaces") {
		t.Errorf("denied: exit %d, stderr %s", code, errOut)
	}
}
