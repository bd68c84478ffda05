// Command flowlens explores AWS VPC Flow Logs: a live TUI over files, S3,
// CloudWatch Logs and a demo generator, and headless queries for scripts.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Set by the linker (see .goreleaser.yaml): -X main.version=... etc.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// usageError is a command-line mistake: exit status 2.
type usageError struct {
	msg   string
	quiet bool // no "Run 'flowlens help'" line: the message is complete
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status: 0 ok, 1
// runtime failure, 2 usage or filter syntax error, 3 findings --fail-on
// reached, 130/143/129 interrupted.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	defer startProfiling(stderr)()
	var err error
	switch {
	case len(args) > 0 && args[0] == "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case len(args) > 0 && args[0] == "query":
		err = runQuery(args[1:], stdin, stdout, stderr)
	case len(args) > 0 && args[0] == "athena-ddl":
		err = runAthenaDDL(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "findings":
		err = runFindings(args[1:], stdin, stdout, stderr)
	case len(args) > 0 && args[0] == "why":
		err = runWhy(args[1:], stdin, stdout, stderr)
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help"):
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		err = runTUI(args, stdin, stdout, stderr)
	}
	if err == nil {
		return 0
	}
	var he *helpError
	if errors.As(err, &he) {
		fmt.Fprint(stdout, he.text)
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "flowlens: %s\n", ee.msg)
		}
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "flowlens: %s\n", ue.msg)
		if !ue.quiet {
			fmt.Fprintln(stderr, "Run 'flowlens help' for usage.")
		}
		return 2
	}
	fmt.Fprintf(stderr, "flowlens: %v\n", err)
	return 1
}

func versionString() string {
	s := "flowlens " + version
	if commit != "" {
		s += " (" + commit
		if date != "" {
			s += ", " + date
		}
		s += ")"
	}
	return s
}

const usageText = `flowlens: a terminal explorer for AWS VPC Flow Logs

Usage:
  flowlens demo [--rate N] [--seed N]          TUI over the built-in live generator
  flowlens [flags] SOURCE...                   TUI over the given sources
  flowlens query [flags] SOURCE...             print records or groups, then exit (or follow)
  flowlens athena-ddl --bucket s3://...        print the Athena table for a bucket's flow logs
  flowlens findings [flags] SOURCE...          detections: one JSON object per finding
  flowlens why A B [--port P] [flags] SOURCE... why can't A talk to B: verdict and evidence
  flowlens version

SOURCE: a file, a quoted glob, a directory, - (stdin), s3://bucket/prefix,
        cloudwatch://LOG_GROUP (or cw://), firehose://[HOST]:PORT (a Firehose
        HTTP endpoint receiver), demo

Common flags:
  --filter EXPR          e.g. 'action = REJECT and dstport in (22, 3389)'
  --since DUR|TIME       e.g. 15m, 2h, 1w, 2024-06-01T10:00:00Z (as times in filters)
  --until DUR|TIME
  --log-format FMT       '${version} ${srcaddr} ...' or space-separated names
  --follow, --no-follow  keep reading new data (default: TUI follows, query does not)
  --tail N               start N lines before the end of existing files
  --poll                 poll files instead of using file-system events
  --max-memory SIZE      memory bound of the process (default 1GiB: the index gets 55%, an analysis 15%, the detections 10%;
                         2G = 2e9 bytes, 2GiB = 2^31, as in filters)
  --profile, --region, --endpoint-url, --stream-prefix, --live-tail   AWS sources
  --tls-cert FILE --tls-key FILE | --insecure-http      firehose:// receivers
  --firehose-access-key-file FILE (or $FLOWLENS_FIREHOSE_ACCESS_KEY), --firehose-max-body SIZE
  --enrich ec2           name interfaces and addresses through EC2 (default with s3:// and cloudwatch://)
  --no-enrich            no EC2 look-ups
  --names FILE           CSV of address or interface id, name: names without EC2

Query flags:
  --group-by KEYS        comma list: srcaddr, dstport, srcaddr/24, hour, src-name, ...
  --metrics LIST         count, bytes, packets, rejects, reject-ratio, distinct(FIELD)
  --sort METRIC          metric to sort groups by (default: the first)
  --top N                keep the top N groups
  --limit N              print at most N records
  --output FMT           table, jsonl or csv (default: table on a terminal, else jsonl)
  --interval DUR         with --follow and --group-by: refresh period (default 2s)
  --explain TARGET       athena, insights or cwl-pattern: print the filter translated
                         (with --engine: the whole statement the engine would run)
  --strict               exit 1 if any record was evicted, dropped or cut short; and check
                         every field of every line (a one-shot count or group-by otherwise
                         checks only the fields it reads, plus each line's field count)
  --state FILE           save where each source stopped; a restarted query (even after
                         kill -9) goes on from there: nothing printed twice, nothing missed

Remote engines (the same question, answered where the data is):
  --engine NAME          local (the index, default), athena, or insights (cloudwatch:// groups)
  --athena-database DB   --athena-table T (vpc_flow_logs)   --athena-workgroup WG (primary)
  --athena-output s3://  --athena-catalog C (AwsDataCatalog)
  --athena-reuse DUR     reuse an identical query's results up to DUR old (default 1h; 0 = off)
  --max-scan SIZE        stop a remote query that scans more than SIZE

AWS time-outs (S3, CloudWatch Logs, EC2):
  --connect-timeout DUR  connecting, TLS included (default 10s)
  --response-timeout DUR waiting for a response's headers (default 30s)
  --call-timeout DUR     one call with its response (default 2m; S3 objects: until the headers)
  --stall-timeout DUR    an object or live-tail stream that sends nothing (default 30s)
  A call that times out is tried twice; a refused local endpoint three times.

'flowlens query --help' lists every flag. Exit status: 0 ok, 1 runtime failure,
2 usage or filter error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.
`
