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
// ACLs), for --enrich ec2 and why's rules. Stop it with ctrl+c.
package main

import (
	"flag"
	"fmt"
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
	flag.Parse()
	if err := run(*addr, *hours, *perObj); err != nil {
		fmt.Fprintln(os.Stderr, "fakeaws:", err)
		os.Exit(1)
	}
}

func run(addr string, hours, perObj int) error {
	s3 := awstest.NewS3Handler()
	cw := awstest.NewCloudWatchHandler()
	if err := s3.Backend.CreateBucket(bucket); err != nil {
		return err
	}
	now := time.Now().UTC()
	from := now.Add(-time.Duration(hours) * time.Hour).Truncate(5 * time.Minute)
	id := new(int64)
	layouts := []struct {
		lay     awstest.Layout
		parquet bool
	}{
		{awstest.Layout{}, false},
		{awstest.Layout{Prefix: "hive/", Hive: true, Hourly: true}, false},
		{awstest.Layout{Prefix: "hourly/", Hourly: true}, false},
		{awstest.Layout{Prefix: "parquet/"}, true},
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
	srv := &http.Server{Handler: awstest.WithEC2(awstest.Both(s3, cw), awstest.NewEC2(awstest.FakeEstate(account, streams))),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)

	fmt.Printf(`fakeaws: S3 + CloudWatch Logs + EC2 on %[1]s
  bucket %[2]s: %[3]d objects (AWSLogs/, hive/, hourly/, parquet/), log group %[4]s: %[5]d events in %[6]d streams
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  flowlens query --endpoint-url %[1]s s3://%[2]s/ --since 1h --output jsonl
  flowlens query --endpoint-url %[1]s s3://%[2]s/hive/ --since 1h --group-by dstport --top 5
  flowlens query --endpoint-url %[1]s cloudwatch://%[4]s --since 30m --stream-prefix eni-000 --output jsonl
  flowlens --endpoint-url %[1]s cloudwatch://%[4]s --since 15m --follow
  flowlens query --endpoint-url %[1]s s3://%[2]s/ --since 1h --group-by dst-name --top 5   (names through EC2)
ENDPOINT=%[1]s
`, url, bucket, nObj, group, nEv, streams)

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
