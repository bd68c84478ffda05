package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/flowlens/flowlens/filter"
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
	firehose  firehoseFlags
	timeouts  awsTimeoutFlags
	enrich    string
	noEnrich  bool
	namesFile string
	engine    engineFlags // engine.go
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.filter, "filter", "", "filter expression")
	fs.StringVar(&c.since, "since", "", "start of the time range: a duration back from now (15m, 2h, 7d, 1w) or a time (RFC 3339, a date, Unix seconds)")
	fs.StringVar(&c.until, "until", "", "end of the time range: a time or a duration back from now, as --since")
	fs.StringVar(&c.logFormat, "log-format", "", "flow-log format: '${version} ${srcaddr} ...' or space-separated field names")
	fs.BoolVar(&c.follow, "follow", false, "keep reading new data")
	fs.BoolVar(&c.noFollow, "no-follow", false, "read existing data only")
	fs.IntVar(&c.tail, "tail", -1, "start N lines before the end of existing files (-1: from the beginning)")
	fs.BoolVar(&c.poll, "poll", false, "poll files instead of using file-system events")
	fs.StringVar(&c.maxMemory, "max-memory", "1GiB", "memory bound of the process: the index gets 55%, an analysis 15%, the detections 10% (units as in filters: 2G = 2e9 bytes, 2GiB = 2^31)")
	fs.StringVar(&c.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&c.region, "region", "", "AWS region")
	fs.StringVar(&c.endpoint, "endpoint-url", "", "AWS endpoint URL (S3-compatible stores, tests); AWS_ENDPOINT_URL is honoured too")
	fs.StringVar(&c.prefix, "stream-prefix", "", "CloudWatch Logs stream name prefix (eni-...)")
	fs.BoolVar(&c.liveTail, "live-tail", false, "follow CloudWatch Logs with StartLiveTail")
	fs.Float64Var(&c.rate, "rate", 0, "demo: records per second")
	fs.Uint64Var(&c.seed, "seed", 1, "demo: random seed")
	fs.StringVar(&c.debugLog, "debug-log", "", "write debug logs to this file")
	c.firehose.register(fs)
	c.timeouts.register(fs)
	fs.StringVar(&c.enrich, "enrich", "", "name interfaces and addresses: ec2 (the default when a source is on AWS)")
	fs.BoolVar(&c.noEnrich, "no-enrich", false, "no EC2 look-ups")
	fs.StringVar(&c.namesFile, "names", "", "CSV file of address or interface id, name (names without EC2)")
	c.engine.register(fs)
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones. "--" ends flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpError{text: helpText(fs)}
			}
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
	if err := c.timeouts.apply(&o); err != nil {
		return o, err
	}
	var err error
	if o.Since, err = timeFlag(c.since, now); err != nil {
		return o, usagef("--since: %v", err)
	}
	if o.Until, err = timeFlag(c.until, now); err != nil {
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
	return o, c.firehose.apply(&o)
}

// timeFlag reads --since or --until by the filter language's grammar of
// times (filter.ParseTime: --since 1w is start > -1w's moment); "" is no
// bound.
func timeFlag(s string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return filter.ParseTime(s, now)
}

// budget reads --max-memory, the bound of the whole process, and shares
// it out (model.NewBudget: the index's cap, the analysis scratch space,
// Go's memory limit). Every command that builds an index uses it, with
// limitMemory.
func (c *common) budget() (model.Budget, error) {
	n, err := c.memory()
	if err != nil {
		return model.Budget{}, err
	}
	return model.NewBudget(n), nil
}

// limitMemory sets Go's memory limit from b and returns what puts the
// previous one back: near the limit the collector works harder rather
// than let the heap grow to twice what is live.
func limitMemory(b model.Budget) func() {
	old := setMemoryLimit(b.Limit)
	return func() { setMemoryLimit(old) }
}

// minMemory is the smallest --max-memory; the short tests lower it to
// evict from smaller files (TestMain).
var minMemory int64 = 16 << 20

// setMemoryLimit is debug.SetMemoryLimit; the short tests, which run
// commands in the test process beside everything the tests hold, replace
// it (TestMain).
var setMemoryLimit = debug.SetMemoryLimit

// memory reads --max-memory by the filter language's grammar of sizes
// (filter.ParseSize: 2G is 2,000,000,000 bytes, as in bytes > 2G; 2GiB is
// 2^31).
func (c *common) memory() (int64, error) {
	n, err := filter.ParseSize(c.maxMemory)
	if err != nil {
		return 0, usagef("--max-memory: %v (want e.g. 512MiB, 2GiB, 2G)", err)
	}
	if n < uint64(minMemory) {
		return 0, usagef("--max-memory: %s is too small (at least %s)", c.maxMemory, model.HumanBytes(uint64(minMemory)))
	}
	if n > 1<<62 {
		return 0, usagef("--max-memory: %s is too large", c.maxMemory)
	}
	return int64(n), nil
}
