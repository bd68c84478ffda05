package source

import (
	"net/url"
	"time"
)

// minAWSPoll is the shortest follow poll interval the AWS sources take from
// Options.PollInterval; shorter ones (the file sources' default is 250 ms)
// would only burn API quota, so the sources' own defaults apply.
const minAWSPoll = 5 * time.Second

// awsConfigFrom takes the AWS settings of opts.
func awsConfigFrom(opts Options) AWSConfig {
	return AWSConfig{Profile: opts.Profile, Region: opts.Region, EndpointURL: opts.EndpointURL, Now: opts.Now, Logf: opts.Logf,
		Timeouts: opts.AWSTimeouts}
}

// S3ConfigFrom builds the S3 source's settings from the common options.
func S3ConfigFrom(opts Options) S3Config {
	c := S3Config{AWS: awsConfigFrom(opts), Since: opts.Since, Until: opts.Until, Follow: opts.Follow,
		Format: opts.Format, MaxLine: opts.MaxLine}
	if opts.PollInterval >= minAWSPoll {
		c.PollInterval = opts.PollInterval
	}
	return c
}

// CloudWatchConfigFrom builds the CloudWatch source's settings from the
// common options.
func CloudWatchConfigFrom(opts Options) CloudWatchConfig {
	c := CloudWatchConfig{AWS: awsConfigFrom(opts), Since: opts.Since, Until: opts.Until, Follow: opts.Follow,
		StreamPrefix: opts.StreamPrefix, FilterPattern: opts.FilterPattern, Format: opts.Format, LiveTail: opts.LiveTail}
	if opts.PollInterval >= minAWSPoll {
		c.PollInterval = opts.PollInterval
	}
	return c
}

// NewS3 returns the source for s3://bucket/prefix.
func NewS3(u *url.URL, opts Options) (Source, error) {
	s, err := NewS3Config(u, S3ConfigFrom(opts))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NewCloudWatch returns the source for a CloudWatch Logs group (name or ARN).
func NewCloudWatch(group string, opts Options) (Source, error) {
	c, err := NewCloudWatchConfig(group, CloudWatchConfigFrom(opts))
	if err != nil {
		return nil, err
	}
	return c, nil
}
