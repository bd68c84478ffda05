package filter

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

// fixtureFiles are the example records of flowlogs-reference.md §7.
var fixtureFiles = []string{"default.log", "v3.log", "v5.log", "v8.log", "v7.log"}

// loadFixtures parses the fixture files (records tagged "file:n", n the
// record's 1-based number in its file) and indexes them, one source per file.
func loadFixtures(t testing.TB) (*genData, []string, *model.Snapshot) {
	t.Helper()
	d := &genData{}
	var ids []string
	ix := model.NewIndex(0)
	for _, name := range fixtureFiles {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		ix.Ingest(&model.Batch{Source: name, Data: data})
		p := model.NewParser(nil)
		n := 0
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var rec model.Record
			switch kind, reason := p.Parse(line, &rec); kind {
			case model.LineRecord:
				n++
				d.recs = append(d.recs, rec.Clone())
				d.sources = append(d.sources, name)
				ids = append(ids, strings.TrimSuffix(name, ".log")+":"+strconv.Itoa(n))
			case model.LineBad:
				t.Fatalf("%s: %v: %s", name, reason, line)
			}
		}
	}
	snap := ix.Publish()
	if snap.Rows() != len(d.recs) {
		t.Fatalf("index %d rows, parsed %d", snap.Rows(), len(d.recs))
	}
	return d, ids, snap
}

// ids expands "file:1,2,5" groups separated by spaces.
func expand(s string) []string {
	var out []string
	for _, g := range strings.Fields(s) {
		file, nums, _ := strings.Cut(g, ":")
		for _, n := range strings.Split(nums, ",") {
			if a, b, ok := strings.Cut(n, "-"); ok {
				lo, _ := strconv.Atoi(a)
				hi, _ := strconv.Atoi(b)
				for i := lo; i <= hi; i++ {
					out = append(out, file+":"+strconv.Itoa(i))
				}
				continue
			}
			out = append(out, file+":"+n)
		}
	}
	slices.Sort(out)
	return out
}

// TestMatchFixtures checks the semantics on the reference's example records,
// with the reference evaluator and the compiled engine.
func TestMatchFixtures(t *testing.T) {
	d, ids, snap := loadFixtures(t)
	for _, tc := range []struct{ name, expr, want string }{
		{"reject", "action = REJECT", "default:2 v3:5 v8:1,2"},
		{"not reject skips absent", "not action = REJECT", "default:1,3,4,5,8,9,10 v3:1-4,6,7,8 v5:1-4 v7:1"},
		{"ne reject skips absent", "action != REJECT", "default:1,3,4,5,8,9,10 v3:1-4,6,7,8 v5:1-4 v7:1"},
		{"absent action", "action = -", "default:6,7 v3:9"},
		{"port 22", "dstport = 22", "default:2"},
		{"not port 22 skips absent", "not dstport = 22", "default:1,3,4,5,8,9,10 v3:1-8 v5:1-4 v8:1,2 v7:1"},
		{"absent port", "dstport = -", "default:6,7 v3:9"},
		{"present port", "exists dstport", "default:1-5,8,9,10 v3:1-8 v5:1-4 v8:1,2 v7:1"},
		{"either port", "port 443", "default:5,8 v3:1,2,3,4,7,8 v5:1,2,4 v8:1"},
		{"neither port", "not port 443", "default:1,2,3,4,9,10 v3:5,6 v5:3 v8:2 v7:1"},
		{"either port ne", "port != 443", "default:1,2,3,4,9,10 v3:5,6 v5:3 v8:2 v7:1"},
		{"syn", "tcp-flags has SYN", "v3:1,2,3,4,7,8 v5:1-4"},
		{"syn not ack", "proto tcp and tcp-flags has SYN and not tcp-flags has ACK", "v3:1,3,7,8 v5:2,3,4"},
		{"fin", "flags F", "v3:3,4,8 v5:1,2"},
		{"flags zero", "tcp-flags = 0", "v3:6"},
		{"design net not port", "src net 10.0.0.0/8 and not dst port 443", "default:1,3,4,8,10 v3:2,4,6 v5:3 v7:1"},
		{"host", "host 203.0.113.9", "v3:1-5"},
		{"ipv6 cidr", "srcaddr in 2001:db8::/32", "default:5,9 v3:8"},
		{"ipv6 address", "dst 2001:db8:ff::1", "default:9 v3:8"},
		{"pkt address differs", "pkt-dstaddr = 198.51.100.20", "v3:7"},
		{"icmp", "icmp or icmpv6", "default:3,9"},
		{"esp", "proto esp", "default:10"},
		{"egress", "dir egress", "v5:2,3,4"},
		{"traffic path absent", "traffic-path = -", "default:1-10 v3:1-9 v5:1 v8:1,2 v7:1"}, // also absent: formats without it
		{"traffic path", "traffic-path in (4, 7)", "v5:2,3"},
		{"az absent in format", "az-id = - and exists version and version = 5", "v5:4"},
		{"outpost", "sublocation-type = outpost", "v5:4"},
		{"aws service", "pkt-src-aws-service = DYNAMODB or pkt-dst-aws-service = dynamodb", "v5:1"},
		{"bpa", "reject-reason = BPA", "v8:1"},
		{"not bpa skips absent", "reject-reason != BPA", ""},
		{"eni glob", "eni eni-0a1b*", "default:1-5,9,10 v3:1-6,8,9 v5:1,2,3 v8:1,2"},
		{"eni regex", "interface-id ~ /^eni-0(f|c)/", "default:6,7 v3:7"},
		{"unknown account", "account-id = unknown", "default:8"},
		{"bytes", "bytes > 5k", "default:5,8,10 v3:4,6,8 v5:1"},
		{"bytes fraction", "bytes >= 0.05MB", "v3:6"},
		{"start", "start >= 2024-06-01T10:05:00Z", "default:10 v3:1-7,9 v5:1-4 v8:1,2"},
		{"start relative", "start >= -55m", "default:10 v3:1-7,9 v5:1-4 v8:1,2"},
		{"end range", "end 1717236401-1717236405", "v3:1-4"},
		{"ipv6 type", "type = ipv6", "v3:8"},
		{"nodata", "status in (NODATA, SKIPDATA)", "default:6,7 v3:9"},
		{"nodata has metadata", "log-status = NODATA and exists vpc-id", "v3:9"},
		{"fargate", "ecs-service-name = api-svc and ecs-container-instance-id = -", "v7:1"},
		{"source glob", "source = *v8*", "v8:1,2"},
		{"source not", "not source ~ /default|v3|v5/", "v8:1,2 v7:1"},
		{"extra absent", "${my-extra} = x", ""},
		{"version", "version >= 5", "v5:1-4 v8:1,2 v7:1"},
		{"empty", "", "default:1-10 v3:1-9 v5:1-4 v8:1,2 v7:1"},
		{"or of absent", "not (dstport = 22 or action = ACCEPT)", "v3:5 v8:1,2"},
		{"and with absent is false", "dstport = 22 and reject-reason = -", "default:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompileAt(tc.expr, genNow) // 2024-06-01T11:00:00Z
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range d.recs {
				if f.MatchSource(&d.recs[i], d.sources[i]) {
					got = append(got, ids[i])
				}
			}
			slices.Sort(got)
			if want := expand(tc.want); !slices.Equal(got, want) {
				t.Errorf("%q matches %v, want %v", tc.expr, got, want)
			}
			checkSel(t, f, snap, f.Eval(snap, nil), d)
		})
	}
}
