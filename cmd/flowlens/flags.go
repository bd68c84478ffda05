package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// common holds the flags shared by the TUI and query.
type common struct {
	filter    string
	since     string
	until     string
	logFormat string
	follow    bool
	noFollow  bool
	tail      int
	poll      bool
	maxMemory string
	profile   string
	region    string
	endpoint  string
	prefix    string
	liveTail  bool
	rate      float64
	seed      uint64
	debugLog  string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.filter, "filter", "", "filter expression")
	fs.StringVar(&c.since, "since", "", "start of the time range: a duration back from now (15m, 2h) or an RFC 3339 time")
	fs.StringVar(&c.until, "until", "", "end of the time range (RFC 3339 time or duration back from now)")
	fs.StringVar(&c.logFormat, "log-format", "", "flow-log format: '${version} ${srcaddr} ...' or space-separated field names")
	fs.BoolVar(&c.follow, "follow", false, "keep reading new data")
	fs.BoolVar(&c.noFollow, "no-follow", false, "read existing data only")
	fs.IntVar(&c.tail, "tail", -1, "start N lines before the end of existing files (-1: from the beginning)")
	fs.BoolVar(&c.poll, "poll", false, "poll files instead of using file-system events")
	fs.StringVar(&c.maxMemory, "max-memory", "1GiB", "index memory budget")
	fs.StringVar(&c.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&c.region, "region", "", "AWS region")
	fs.StringVar(&c.endpoint, "endpoint-url", "", "AWS endpoint URL (S3-compatible stores, tests); AWS_ENDPOINT_URL is honoured too")
	fs.StringVar(&c.prefix, "stream-prefix", "", "CloudWatch Logs stream name prefix (eni-...)")
	fs.BoolVar(&c.liveTail, "live-tail", false, "follow CloudWatch Logs with StartLiveTail")
	fs.Float64Var(&c.rate, "rate", 0, "demo: records per second")
	fs.Uint64Var(&c.seed, "seed", 1, "demo: random seed")
	fs.StringVar(&c.debugLog, "debug-log", "", "write debug logs to this file")
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones. "--" ends flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseSize reads 512MiB, 1GiB, 2G, 100MB, 1048576.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suf  string
		mult int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suf)) && len(s) > len(u.suf) {
			num := strings.TrimSpace(s[:len(s)-len(u.suf)])
			if _, err := strconv.ParseFloat(num, 64); err == nil {
				s, mult = num, u.mult
				break
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512MiB, 2GiB)", s)
	}
	return int64(f * float64(mult)), nil
}

// parseTimeArg reads an RFC 3339 time, a date, a Unix time in seconds, or
// a duration back from now (15m, 2h, 7d).
func parseTimeArg(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("bad time %q (want RFC 3339 like 2024-06-01T10:00:00Z, a date, or a duration like 15m)", s)
}

// sourceOptions turns the common flags into source options.
func (c *common) sourceOptions(follow bool, now time.Time) (source.Options, error) {
	o := source.DefaultOptions()
	o.Follow = follow
	o.Poll = c.poll
	o.TailLines = c.tail
	if c.rate > 0 {
		o.Rate = c.rate
	}
	o.Seed = c.seed
	o.Profile, o.Region, o.StreamPrefix, o.LiveTail = c.profile, c.region, c.prefix, c.liveTail
	o.EndpointURL = c.endpoint
	if o.EndpointURL == "" {
		o.EndpointURL = os.Getenv("AWS_ENDPOINT_URL")
	}
	var err error
	if o.Since, err = parseTimeArg(c.since, now); err != nil {
		return o, usagef("--since: %v", err)
	}
	if o.Until, err = parseTimeArg(c.until, now); err != nil {
		return o, usagef("--until: %v", err)
	}
	if !o.Since.IsZero() && !o.Until.IsZero() && o.Until.Before(o.Since) {
		return o, usagef("--until %s is before --since %s", o.Until.Format(time.RFC3339), o.Since.Format(time.RFC3339))
	}
	if c.logFormat != "" {
		f, err := model.ParseFormat(c.logFormat)
		if err != nil {
			return o, usagef("--log-format: %v", err)
		}
		o.Format = f
	}
	return o, nil
}

func (c *common) memory() (int64, error) {
	n, err := parseSize(c.maxMemory)
	if err != nil {
		return 0, usagef("--max-memory: %v", err)
	}
	if n < 16<<20 {
		return 0, usagef("--max-memory: %s is too small (at least 16MiB)", c.maxMemory)
	}
	return n, nil
}
