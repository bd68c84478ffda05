package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
)

// AthenaLayout describes a bucket's flow-log delivery, for the CREATE TABLE
// that lets Athena read it.
type AthenaLayout struct {
	Bucket string // the bucket
	Prefix string // the user prefix above AWSLogs/ ("" or ending in "/")
	Hive   bool   // Hive-compatible folders (aws-account-id=..., year=...)
	Hourly bool   // per-hour partitions
	// Parquet objects (columns by name) rather than gzip text (columns by
	// position).
	Parquet  bool
	Accounts []string // the accounts delivering under AWSLogs/
	Regions  []string // their regions
	// Format is the text objects' field order (their header line); nil =
	// the default v2 format. Parquet tables get every known column.
	Format *model.Format
	// From is the first day ('yyyy/MM/dd') the date projection covers.
	From string
	// ToYear is the last year of the Hive layout's year projection, which
	// cannot say NOW (0 = ten years after From).
	ToYear int
}

// ParseBucket reads --bucket s3://bucket[/prefix]: the prefix is cut at
// AWSLogs/ when it goes below it.
func ParseBucket(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("--bucket %q: want s3://bucket or s3://bucket/prefix", s)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if i := strings.Index("/"+prefix, "/AWSLogs/"); i >= 0 {
		prefix = prefix[:i]
	} else if i := strings.Index("/"+prefix+"/", "/AWSLogs/"); i >= 0 {
		prefix = prefix[:i]
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// DiscoverAthenaLayout lists the bucket to learn what the DDL needs: the
// accounts and regions under AWSLogs/, whether folders are Hive-style and
// hourly, whether objects are Parquet, and the field order of text
// objects (from the newest object's header line). It makes a few
// ListObjectsV2 calls with a delimiter and reads one object. What it
// finds overrides nothing the caller set: it fills in a layout whose
// Accounts are empty.
func DiscoverAthenaLayout(ctx context.Context, l AthenaLayout, cfg S3Config) (AthenaLayout, error) {
	u := &url.URL{Scheme: "s3", Host: l.Bucket, Path: "/" + l.Prefix + "AWSLogs/"}
	s, err := NewS3Config(u, cfg)
	if err != nil {
		return l, err
	}
	roots, err := s.discover(ctx, parseS3Prefix(l.Prefix+"AWSLogs/"))
	if err != nil {
		return l, err
	}
	if len(roots) == 0 {
		return l, fmt.Errorf("s3://%s/%sAWSLogs/: no flow-log folders (AWSLogs/<account>/vpcflowlogs/<region>/ or the Hive layout) found", l.Bucket, l.Prefix)
	}
	accts, regions := map[string]bool{}, map[string]bool{}
	for _, r := range roots {
		accts[r.Account], regions[r.Region] = true, true
		if r.Hive {
			l.Hive = true
		}
	}
	l.Accounts, l.Regions = sortedKeys(accts), sortedKeys(regions)
	// Walk down the newest folders of one root to its newest day.
	dir := roots[0].Prefix
	for range 3 { // year, month, day
		var last string
		if err := s.list(ctx, dir, "/", nil, func(d string) {
			if d > last {
				last = d
			}
		}); err != nil {
			return l, err
		}
		if last == "" {
			return l, nil // no data yet: the defaults stand
		}
		dir = last
	}
	var newest s3Object
	var hours bool
	if err := s.list(ctx, dir, "/", func(o s3Object) {
		if o.Key > newest.Key {
			newest = o
		}
	}, func(d string) {
		if hourOf(d[len(dir):], roots[0].Hive) >= 0 {
			hours = true
			if d > dir {
				dir = d
			}
		}
	}); err != nil {
		return l, err
	}
	l.Hourly = hours
	if hours {
		if err := s.list(ctx, dir, "", func(o s3Object) {
			if o.Key > newest.Key {
				newest = o
			}
		}, nil); err != nil {
			return l, err
		}
	}
	if newest.Key == "" {
		return l, nil
	}
	l.Parquet = strings.HasSuffix(newest.Key, ".parquet")
	if l.Parquet {
		return l, nil
	}
	// The header line of the newest text object gives the field order.
	errStop := errors.New("stop")
	var first string
	err = s.readObject(ctx, newest, func(b model.Batch) error {
		line, _, _ := strings.Cut(string(b.Data), "\n")
		first = strings.TrimSpace(line)
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return l, err
	}
	if strings.HasPrefix(first, "version ") || strings.HasPrefix(first, "account-id ") {
		if f, err := model.ParseFormat(first); err == nil {
			l.Format = f
		}
	}
	return l, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// athenaType is a field's column type in AWS's documented DDL.
func athenaType(f model.Field) string {
	switch f {
	case model.FieldVersion, model.FieldSrcPort, model.FieldDstPort, model.FieldTCPFlags, model.FieldTrafficPath,
		model.FieldEncryptionStatus:
		return "int"
	case model.FieldProtocol, model.FieldPackets, model.FieldBytes, model.FieldStart, model.FieldEnd:
		return "bigint"
	}
	return "string"
}

// AthenaDDL renders the CREATE EXTERNAL TABLE for the layout, with
// partition projection so no partitions ever need loading: accid and
// region_p as enums of the accounts and regions found, and the time as a
// date projection (day 'yyyy/MM/dd', or 'yyyy/MM/dd/HH' with hourly
// partitions) on the plain layout, or year/month/day[/hour] integer
// projections on the Hive layout. Text tables list the columns in the
// objects' field order (text is positional); Parquet tables list every
// known field (Parquet is read by name). flowlens prunes queries on these
// partitions (it reads the projection back with GetTableMetadata).
func AthenaDDL(table string, l AthenaLayout) string {
	var cols []string
	if l.Parquet {
		for _, f := range model.AllFields() {
			cols = append(cols, ddlColumn(f.String(), f))
		}
	} else {
		fm := l.Format
		if fm == nil {
			fm = model.DefaultFormat
		}
		for i, name := range fm.Names {
			cols = append(cols, ddlColumn(name, fm.Fields[i]))
		}
	}
	accts, regions := l.Accounts, l.Regions
	if len(accts) == 0 {
		accts = []string{"111122223333"}
	}
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	from := l.From
	if from == "" {
		from = "2018/01/01"
	}
	loc := "s3://" + l.Bucket + "/" + l.Prefix + "AWSLogs/"
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n  %s)\n", table, strings.Join(cols, ",\n  "))
	props := [][2]string{{"projection.enabled", "true"},
		{"projection.accid.type", "enum"}, {"projection.accid.values", strings.Join(accts, ",")},
		{"projection.region_p.type", "enum"}, {"projection.region_p.values", strings.Join(regions, ",")}}
	if l.Hive {
		parts := "accid string, region_p string, year string, month string, day string"
		tmpl := loc + "aws-account-id=${accid}/aws-service=vpcflowlogs/aws-region=${region_p}/year=${year}/month=${month}/day=${day}"
		to := l.ToYear
		if to == 0 {
			y, _ := strconv.Atoi(from[:4])
			to = y + 10
		}
		fmt.Fprintf(&b, "-- the year projection ends in %d: raise projection.year.range before then\n", to)
		props = append(props,
			[2]string{"projection.year.type", "integer"}, [2]string{"projection.year.range", from[:4] + "," + strconv.Itoa(to)},
			[2]string{"projection.month.type", "integer"}, [2]string{"projection.month.range", "1,12"}, [2]string{"projection.month.digits", "2"},
			[2]string{"projection.day.type", "integer"}, [2]string{"projection.day.range", "1,31"}, [2]string{"projection.day.digits", "2"})
		if l.Hourly {
			parts += ", hour string"
			tmpl += "/hour=${hour}"
			props = append(props, [2]string{"projection.hour.type", "integer"}, [2]string{"projection.hour.range", "0,23"},
				[2]string{"projection.hour.digits", "2"})
		}
		fmt.Fprintf(&b, "PARTITIONED BY (%s)\n", parts)
		props = append(props, [2]string{"storage.location.template", tmpl})
	} else {
		format, unit, rng := "yyyy/MM/dd", "DAYS", from+",NOW"
		if l.Hourly {
			format, unit, rng = "yyyy/MM/dd/HH", "HOURS", from+"/00,NOW"
			b.WriteString("-- hourly partitions: day holds yyyy/MM/dd/HH\n")
		}
		b.WriteString("PARTITIONED BY (accid string, region_p string, day string)\n")
		props = append(props,
			[2]string{"projection.day.type", "date"}, [2]string{"projection.day.format", format},
			[2]string{"projection.day.range", rng}, [2]string{"projection.day.interval", "1"},
			[2]string{"projection.day.interval.unit", unit},
			[2]string{"storage.location.template", loc + "${accid}/vpcflowlogs/${region_p}/${day}"})
	}
	if l.Parquet {
		b.WriteString("STORED AS PARQUET\n")
	} else {
		b.WriteString("ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\n")
		props = append([][2]string{{"skip.header.line.count", "1"}}, props...)
	}
	fmt.Fprintf(&b, "LOCATION '%s'\nTBLPROPERTIES (\n", loc)
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ");"
		}
		fmt.Fprintf(&b, "  '%s'='%s'%s\n", p[0], p[1], sep)
	}
	return b.String()
}

// ddlColumn declares one column: the field name with '_' for '-', `end`
// quoted (a reserved word), typed as AWS's DDL types it.
func ddlColumn(name string, f model.Field) string {
	col := strings.ReplaceAll(name, "-", "_")
	if col == "end" {
		col = "`end`"
	}
	return col + " " + athenaType(f)
}
