package awstest

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
)

// LoadObject adds the records of one delivered S3 object (gzip text with
// a header line, or Parquet as ParquetObject writes it) to table t, in the
// partition its key names: Hive key=value folders for tables whose
// partition keys are named in the key (aws-account-id=..., year=...), else
// the plain layout AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>[/<HH>]
// read into accid, region_p and day ('yyyy/MM/dd', or 'yyyy/MM/dd/HH' when
// the table's day projection is hourly). It is how the fakeaws command
// puts the same records behind S3 and Athena.
func (a *Athena) LoadObject(t *AthenaTable, key string, data []byte) error {
	part, err := partitionOf(t, key)
	if err != nil {
		return err
	}
	var lines []string
	if strings.HasSuffix(key, ".parquet") {
		recs, err := parquet.Read[ParquetRecord](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		lines = append(lines, DefaultHeader)
		for _, r := range recs {
			lines = append(lines, r.line())
		}
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		lines = strings.Split(strings.TrimSpace(string(text)), "\n")
	}
	return a.Append(t, part, lines...)
}

// line writes the record as a default-format line.
func (r ParquetRecord) line() string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	i32 := func(p *int32) string {
		if p == nil {
			return "-"
		}
		return strconv.Itoa(int(*p))
	}
	i64 := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	return strings.Join([]string{strconv.Itoa(int(r.Version)), r.AccountID, r.InterfaceID, s(r.Srcaddr), s(r.Dstaddr),
		i32(r.Srcport), i32(r.Dstport), i32(r.Protocol), i64(r.Packets), i64(r.Bytes), strconv.FormatInt(r.Start, 10),
		strconv.FormatInt(r.End, 10), s(r.Action), r.LogStatus}, " ")
}

// partitionOf reads the partition values of an object key for table t.
func partitionOf(t *AthenaTable, key string) ([]string, error) {
	segs := strings.Split(key, "/")
	kv := map[string]string{}
	for _, s := range segs {
		if k, v, ok := strings.Cut(s, "="); ok {
			kv[k] = v
		}
	}
	var part []string
	hive := true
	for _, p := range t.PartitionKeys {
		v, ok := kv[p.Name]
		if !ok {
			hive = false
			break
		}
		part = append(part, v)
	}
	if hive {
		return part, nil
	}
	i := -1
	for j, s := range segs {
		if s == "AWSLogs" {
			i = j
		}
	}
	if i < 0 || len(segs) < i+8 || segs[i+2] != "vpcflowlogs" {
		return nil, fmt.Errorf("%s: not a flow-log key of table %s's layout", key, t.Name)
	}
	day := segs[i+4] + "/" + segs[i+5] + "/" + segs[i+6]
	if strings.Contains(t.Parameters["projection.day.format"], "HH") && len(segs) > i+8 {
		day += "/" + segs[i+7]
	}
	return []string{segs[i+1], segs[i+3], day}, nil
}
