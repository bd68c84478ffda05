// Command fakeaws serves a fake S3 (gofakes3) and a fake CloudWatch Logs on
// one 127.0.0.1 endpoint, filled with generated VPC flow logs, so that the
// S3 and CloudWatch sources can be tried by hand without AWS:
//
//	go run ./source/internal/fakeaws            # prints the endpoint and example commands
//	go run ./source/internal/fakeaws -addr 127.0.0.1:4566 -hours 24
//
// Data: bucket "flowlogs" holds the last -hours of 5-minute objects in four
// layouts (AWSLogs/ default, hive/ Hive-compatible with hourly partitions,
// hourly/ per-hour folders, parquet/ Parquet objects); log group
// "vpc-flow-logs" holds the same span as events in 24 eni-... streams. New
// objects and events keep arriving while it runs (events a few minutes
// late), for --follow and --live-tail. EC2 describes the 24 interfaces
// (instances fake-web-00..23 in two security groups, their subnets' network
// ACLs), for --enrich ec2 and why's rules. Logs Insights answers queries
// over the log group, and Athena (database "flowlogs", workgroup
// "flowlens" with its result location set) has the tables vpc_flow_logs
// over AWSLogs/ (daily day partitions, as the documented DDL),
// vpc_flow_logs_hive over hive/ (year/month/day/hour) and
// vpc_flow_logs_parquet over parquet/, holding the same records as the
// objects, for --engine athena|insights. Remote queries take -query-time
// to run, so their progress and ctrl+c can be watched. Stop it with ctrl+c.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/flowlens/flowlens/source/internal/awstest"
)

const (
	bucket  = "flowlogs"
	group   = "vpc-flow-logs"
	account = "111122223333"
	region  = "us-east-1"
	streams = 24
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	hours := flag.Int("hours", 6, "hours of data to generate, up to now")
	perObj := flag.Int("records", 200, "records per S3 object")
	queryTime := flag.Duration("query-time", 3*time.Second, "how long an Athena or Logs Insights query runs")
	flag.Parse()
	if err := run(*addr, *hours, *perObj, *queryTime); err != nil {
		fmt.Fprintln(os.Stderr, "fakeaws:", err)
		os.Exit(1)
	}
}

func run(addr string, hours, perObj int, queryTime time.Duration) error {
	s3 := awstest.NewS3Handler()
	cw := awstest.NewCloudWatchHandler()
	cw.InsightsMinRunTime = queryTime
	if err := s3.Backend.CreateBucket(bucket); err != nil {
		return err
	}
	ath, tables := newAthena(queryTime)
	now := time.Now().UTC()
	from := now.Add(-time.Duration(hours) * time.Hour).Truncate(5 * time.Minute)
	id := new(int64)
	layouts := []struct {
		lay     awstest.Layout
		parquet bool
		table   *awstest.AthenaTable
	}{
		{awstest.Layout{}, false, tables[0]},
		{awstest.Layout{Prefix: "hive/", Hive: true, Hourly: true}, false, tables[1]},
		{awstest.Layout{Prefix: "hourly/", Hourly: true}, false, nil},
		{awstest.Layout{Prefix: "parquet/"}, true, tables[2]},
	}
	fill := func(a, b time.Time) (int, error) {
		n := 0
		for _, l := range layouts {
			keys, err := s3.Generate(awstest.Fill{Bucket: bucket, Layout: l.lay, Account: account, Region: region,
				FlowLogs: []string{"fl-0a1b2c3d4e5f60718", "fl-0fedcba9876543210"}, From: a, To: b, PerObj: perObj,
				Parquet: l.parquet, NextID: id})
			if err != nil {
				return n, err
			}
			if err := loadTable(s3, ath, l.table, keys); err != nil {
				return n, err
			}
			n += len(keys)
		}
		return n, nil
	}
	last := now.Truncate(5 * time.Minute)
	nObj, err := fill(from, last)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	events := func(a, b time.Time, every time.Duration, late bool) int {
		var evs []awstest.Event
		for t := a; t.Before(b); t = t.Add(every) {
			s := rng.IntN(streams)
			*id++
			e := awstest.Event{Stream: fmt.Sprintf("eni-%017x-all", s), Timestamp: t.UnixMilli(),
				Message: awstest.Record(account, s, *id, t)}
			if late {
				e.IngestionTime = t.Add(time.Duration(1+rng.IntN(4)) * time.Minute).UnixMilli()
			}
			evs = append(evs, e)
		}
		cw.Put(group, evs...)
		return len(evs)
	}
	nEv := events(from, now, 2*time.Second, false)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if h, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(h).IsLoopback() {
		ln.Close()
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: awstest.WithEC2(awstest.All(s3, cw, ath), awstest.NewEC2(awstest.FakeEstate(account, streams))),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)

	fmt.Printf(`fakeaws: S3 + CloudWatch Logs (with Logs Insights) + Athena + EC2 on %[1]s
  bucket %[2]s: %[3]d objects (AWSLogs/, hive/, hourly/, parquet/), log group %[4]s: %[5]d events in %[6]d streams
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  flowlens query --endpoint-url %[1]s s3://%[2]s/ --since 1h --output jsonl
  flowlens query --endpoint-url %[1]s s3://%[2]s/hive/ --since 1h --group-by dstport --top 5
  flowlens query --endpoint-url %[1]s cloudwatch://%[4]s --since 30m --stream-prefix eni-000 --output jsonl
  flowlens --endpoint-url %[1]s cloudwatch://%[4]s --since 15m --follow
  flowlens query --endpoint-url %[1]s s3://%[2]s/ --since 1h --group-by dst-name --top 5   (names through EC2)
  flowlens query --endpoint-url %[1]s --engine athena --athena-database %[7]s --athena-workgroup flowlens --since 2h --group-by srcaddr/24 --metrics bytes,count --top 5
  flowlens query --endpoint-url %[1]s --engine insights cloudwatch://%[4]s --since 1h --group-by interface-id --top 5
  flowlens athena-ddl --endpoint-url %[1]s --bucket s3://%[2]s/hive/
ENDPOINT=%[1]s
`, url, bucket, nObj, group, nEv, streams, athenaDB)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	prev := time.Now().UTC()
	for {
		select {
		case <-stop:
			return srv.Close()
		case t := <-tick.C:
			t = t.UTC()
			events(prev, t, 500*time.Millisecond, true)
			if w := t.Truncate(5 * time.Minute); w.After(last) {
				if _, err := fill(last, w); err != nil {
					fmt.Fprintln(os.Stderr, "fakeaws:", err)
				}
				last = w
			}
			prev = t
		}
	}
}

// athenaDB is the fake Athena's database.
const athenaDB = "flowlogs"

// newAthena returns the fake Athena with its workgroup and the tables over
// AWSLogs/, hive/ and parquet/ (filled by loadTable as objects are written).
func newAthena(queryTime time.Duration) (*awstest.Athena, []*awstest.AthenaTable) {
	ath := awstest.NewAthenaHandler()
	ath.MinRunTime = queryTime
	ath.AddWorkgroup("flowlens", awstest.AthenaWorkgroup{OutputLocation: "s3://flowlogs-results/flowlens/"})
	ref := awstest.NewReferenceTable(athenaDB, "vpc_flow_logs")
	hive := awstest.NewHiveTable(athenaDB, "vpc_flow_logs_hive", true, false)
	pq := awstest.NewReferenceTable(athenaDB, "vpc_flow_logs_parquet")
	pq.Parquet = true
	tables := []*awstest.AthenaTable{ref, hive, pq}
	for _, t := range tables {
		ath.AddTable(t)
	}
	return ath, tables
}

// loadTable puts the records of the objects just written behind the
// Athena table t (nil: none), so S3 and Athena hold the same records.
func loadTable(s3 *awstest.S3, ath *awstest.Athena, t *awstest.AthenaTable, keys []string) error {
	if t == nil {
		return nil
	}
	for _, k := range keys {
		obj, err := s3.Backend.GetObject(bucket, k, nil)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if err != nil {
			return err
		}
		if err := ath.LoadObject(t, k, data); err != nil {
			return err
		}
	}
	return nil
}
