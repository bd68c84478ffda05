package source

import (
	"os"
	"strings"
)

// Open maps a SOURCE argument of the command line (DESIGN §3) to a source:
// `-` is standard input, `demo` the built-in generator, `s3://bucket/prefix`
// an S3 listing, `cloudwatch://GROUP` or `cw://GROUP` a CloudWatch Logs
// group, `firehose://[HOST]:PORT` a Firehose HTTP endpoint receiver
// (the port is bound at once), anything else (file:// URLs too) a file path, a (quoted) glob or
// a directory. A file that is really named "demo" is reached as ./demo.
func Open(spec string, opts Options) (Source, error) {
	switch {
	case spec == "-":
		return NewStdin(os.Stdin, opts), nil
	case spec == "demo":
		return NewDemo(opts), nil
	case strings.HasPrefix(spec, "s3://"):
		u, err := parseS3Spec(spec)
		if err != nil {
			return nil, err
		}
		return NewS3(u, opts)
	case strings.HasPrefix(spec, "cloudwatch://"), strings.HasPrefix(spec, "cw://"):
		group := spec[strings.Index(spec, "://")+3:]
		if err := checkLogGroup(spec, group); err != nil {
			return nil, err
		}
		return NewCloudWatch(group, opts)
	case strings.HasPrefix(spec, "firehose://"):
		return NewFirehose(spec, opts)
	case strings.HasPrefix(spec, "file://"):
		return NewFile(strings.TrimPrefix(spec, "file://"), opts)
	case strings.Contains(spec, "://"):
		return nil, &specError{spec, "unknown kind of source (want a path, a glob, a directory, -, demo, s3://, cloudwatch://, cw:// or firehose://)"}
	}
	if err := misspeltScheme(spec); err != nil {
		if _, serr := os.Stat(spec); serr != nil {
			return nil, err
		}
	}
	return NewFile(spec, opts)
}
