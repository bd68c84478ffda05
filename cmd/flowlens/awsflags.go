package main

import (
	"flag"
	"time"

	"github.com/flowlens/flowlens/source"
)

// awsTimeoutFlags are the time-outs of AWS calls: an endpoint that
// accepts a connection and never answers must not hang a query.
type awsTimeoutFlags struct {
	connect, response, call, stall time.Duration
}

func (a *awsTimeoutFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&a.connect, "connect-timeout", source.DefaultConnectTimeout, "AWS: connecting to an endpoint, TLS included")
	fs.DurationVar(&a.response, "response-timeout", source.DefaultResponseTimeout, "AWS: waiting for a response's headers")
	fs.DurationVar(&a.call, "call-timeout", source.DefaultCallTimeout, "AWS: one call with its response (S3 objects, live tail: until the headers)")
	fs.DurationVar(&a.stall, "stall-timeout", source.DefaultStallTimeout, "AWS: an object or live-tail stream that sends nothing for this long is given up")
}

// apply checks the time-outs and sets them in o; zero takes the default
// (there is no "wait for ever").
func (a *awsTimeoutFlags) apply(o *source.Options) error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--connect-timeout", a.connect}, {"--response-timeout", a.response}, {"--call-timeout", a.call}, {"--stall-timeout", a.stall}} {
		if f.d < 0 {
			return usagef("%s %s: want a positive duration such as 30s (0: the default)", f.name, f.d)
		}
	}
	o.AWSTimeouts = source.Timeouts{Connect: a.connect, Response: a.response, Call: a.call, Stall: a.stall}
	return nil
}
