package filter

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
)

// genNow is the clock of generated data and of CompileAt in tests.
var genNow = time.Unix(1717236000+3600, 0)

// Formats of generated objects: the default one, v3, v5, and a custom one
// with fields flowlens does not know (kept as strings) and post-v8 fields.
var genFormats = []*model.Format{
	model.DefaultFormat,
	model.MustParseFormat("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"),
	model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"),
	model.MustParseFormat("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction reject-reason encryption-status my-extra resource-id ecs-cluster-name"),
}

var (
	genAddrs4 = []string{"10.0.1.25", "10.0.2.140", "10.1.7.7", "10.1.200.3", "10.2.0.9", "198.51.100.77", "203.0.113.7", "192.0.2.10", "172.16.9.9", "52.94.0.10", "0.0.0.0", "255.255.255.255"}
	genAddrs6 = []string{"2001:db8:100:a1::25", "2001:db8:100:b2::9", "2001:db8:ff::1", "fe80::1", "::1", "::ffff:10.0.1.25"}
	genPorts  = []string{"22", "443", "80", "3389", "53", "0", "65535", "65534", "1024", "1023", "5432", "8080"}
	genENIs   = []string{"eni-0a1b2c3d4e5f60718", "eni-0fedcba9876543210", "eni-0aa11bb22cc33dd44", "eni-0c0ffee0c0ffee000", "eni-0b0b0b0b0b0b0b0b0"}
	genAccts  = []string{"111122223333", "unknown", "444455556666"}
	genExtra  = []string{"alpha", "beta", "gamma-1", "x*y", "-"}
)

// genData is generated input: lines per batch, and the records the
// reference evaluator sees, parsed independently of the index.
type genData struct {
	batches []model.Batch
	recs    []model.Record // one per record line, in ingest order
	sources []string       // source name of each record
}

type genObj struct {
	source, object string
	format         *model.Format
	p              *model.Parser
	started        bool
}

// genRecords produces about n records in batches of up to batch lines,
// spread over several sources and objects in different formats.
func genRecords(n, batch int, seed uint64) *genData {
	r := rand.New(rand.NewPCG(seed, 99))
	var objs []*genObj
	for i, src := range []string{"src-a", "src-b", "s3://bucket/logs", "cw://group"} {
		for j := 0; j < 2; j++ {
			f := genFormats[(i+j)%len(genFormats)]
			objs = append(objs, &genObj{source: src, object: fmt.Sprintf("obj-%d", j), format: f, p: model.NewParser(nil)})
		}
	}
	d := &genData{}
	t := int64(1717236000)
	for len(d.recs) < n {
		o := objs[r.IntN(len(objs))]
		var buf []byte
		k := 1 + r.IntN(batch)
		if !o.started && o.format != model.DefaultFormat {
			buf = append(buf, o.format.Header()...)
			buf = append(buf, '\n')
		}
		o.started = true
		for i := 0; i < k && len(d.recs) < n; i++ {
			t += int64(r.IntN(3))
			line := genLine(r, o.format, t)
			buf = append(buf, line...)
			buf = append(buf, '\n')
		}
		// parse the batch as the index will, keeping the records
		for _, line := range strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n") {
			var rec model.Record
			kind, reason := o.p.Parse([]byte(line), &rec)
			switch kind {
			case model.LineRecord:
				d.recs = append(d.recs, rec.Clone())
				d.sources = append(d.sources, o.source)
			case model.LineBad:
				panic(fmt.Sprintf("generated a bad line (%v): %s", reason, line))
			}
		}
		// The format is given, as --log-format would: random versions and
		// values are not something format inference could read.
		d.batches = append(d.batches, model.Batch{Source: o.source, Object: o.object, Data: buf, Format: o.format})
	}
	return d
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// genLine writes one record in format f; about one field in twelve is "-",
// and one record in fifteen is a NODATA/SKIPDATA record.
func genLine(r *rand.Rand, f *model.Format, t int64) string {
	nodata := r.IntN(15) == 0
	v6 := r.IntN(5) == 0
	st := t
	en := t + int64(r.IntN(60))
	switch r.IntN(40) {
	case 0:
		en = t + 70000 + int64(r.IntN(1000)) // delta too big for uint16
	case 1:
		en = t - 5 // end before start
	}
	startAbsent := r.IntN(30) == 0
	toks := make([]string, len(f.Names))
	for i, name := range f.Names {
		fld := f.Fields[i]
		if r.IntN(12) == 0 && fld != model.FieldVersion || startAbsent && fld == model.FieldStart {
			toks[i] = "-"
			continue
		}
		if nodata {
			switch fld {
			case model.FieldSrcAddr, model.FieldDstAddr, model.FieldSrcPort, model.FieldDstPort, model.FieldProtocol,
				model.FieldPackets, model.FieldBytes, model.FieldAction, model.FieldTCPFlags, model.FieldPktSrcAddr,
				model.FieldPktDstAddr, model.FieldFlowDirection, model.FieldTrafficPath:
				toks[i] = "-"
				continue
			case model.FieldLogStatus:
				toks[i] = pick(r, []string{"NODATA", "SKIPDATA"})
				continue
			}
		}
		var s string
		switch fld {
		case model.FieldVersion:
			s = strconv.Itoa(2 + r.IntN(7))
		case model.FieldAccountID:
			s = pick(r, genAccts)
		case model.FieldInterfaceID:
			s = pick(r, genENIs)
		case model.FieldSrcAddr, model.FieldDstAddr, model.FieldPktSrcAddr, model.FieldPktDstAddr:
			if v6 {
				s = pick(r, genAddrs6)
			} else if r.IntN(3) == 0 {
				s = fmt.Sprintf("10.%d.%d.%d", r.IntN(3), r.IntN(256), r.IntN(256))
			} else {
				s = pick(r, genAddrs4)
			}
		case model.FieldSrcPort, model.FieldDstPort:
			if r.IntN(3) == 0 {
				s = strconv.Itoa(r.IntN(65536))
			} else {
				s = pick(r, genPorts)
			}
		case model.FieldProtocol:
			s = pick(r, []string{"6", "6", "17", "1", "58", "50", "0", "255"})
		case model.FieldPackets:
			s = strconv.FormatUint(pickNum(r), 10)
		case model.FieldBytes:
			s = strconv.FormatUint(pickNum(r)*40, 10)
		case model.FieldStart:
			s = strconv.FormatInt(st, 10)
		case model.FieldEnd:
			s = strconv.FormatInt(en, 10)
		case model.FieldAction:
			s = pick(r, []string{"ACCEPT", "ACCEPT", "REJECT"})
		case model.FieldLogStatus:
			s = "OK"
		case model.FieldTCPFlags:
			s = pick(r, []string{"0", "1", "2", "3", "4", "18", "19", "6", "255"})
		case model.FieldType:
			s = pick(r, []string{"IPv4", "IPv6", "EFA"})
		case model.FieldFlowDirection:
			s = pick(r, []string{"ingress", "egress"})
		case model.FieldTrafficPath:
			s = strconv.Itoa(1 + r.IntN(8))
		case model.FieldEncryptionStatus:
			s = strconv.Itoa(r.IntN(4))
		case model.FieldPktSrcAWSService, model.FieldPktDstAWSService:
			s = pick(r, []string{"AMAZON", "S3", "DYNAMODB", "EC2"})
		case model.FieldRejectReason:
			s = "BPA"
		case model.FieldUnknown:
			s = pick(r, genExtra)
		default:
			s = fmt.Sprintf("%s-%d", strings.SplitN(name, "-", 2)[0], r.IntN(4))
		}
		toks[i] = s
	}
	return strings.Join(toks, " ")
}

func pickNum(r *rand.Rand) uint64 {
	switch r.IntN(20) {
	case 0:
		return 1<<32 - 1 + uint64(r.IntN(3)) // the escape value and beyond
	case 1:
		return 5_000_000_000 + uint64(r.IntN(1000))
	case 2:
		return 0
	}
	return uint64(1 + r.IntN(3000))
}

// ingestAll builds an index from d, publishing after every `every` batches
// (0: once at the end); it returns every published snapshot.
func ingestAll(d *genData, ix *model.Index, every int) []*model.Snapshot {
	var snaps []*model.Snapshot
	for i := range d.batches {
		ix.Ingest(&d.batches[i])
		if every > 0 && (i+1)%every == 0 {
			snaps = append(snaps, ix.Publish())
		}
	}
	return append(snaps, ix.Publish())
}

func TestGenerator(t *testing.T) {
	d := genRecords(3000, 50, 1)
	ix := model.NewIndex(0)
	snap := ingestAll(d, ix, 0)[0]
	if snap.Rows() != len(d.recs) {
		t.Fatalf("index has %d rows, generator parsed %d", snap.Rows(), len(d.recs))
	}
	if len(snap.ExtraNames) == 0 || len(snap.Sources) != 4 {
		t.Fatalf("extra names %v, sources %d", snap.ExtraNames, len(snap.Sources))
	}
}
