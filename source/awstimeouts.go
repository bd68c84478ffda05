package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// An endpoint that accepts a connection and never answers must not hang a
// source: every AWS call has a connect time-out, a time-out for the
// response headers, a deadline for the whole call, and (for responses
// read as they arrive: S3 object bodies, live-tail streams) a watchdog
// that ends a read that makes no progress. A call that times out is
// tried once more, not ten times; a connection refused by a local
// endpoint (a fake or a proxy that is not running) is given up after a
// few quick tries.

// Default AWS time-outs (the --connect-timeout, --response-timeout,
// --call-timeout and --stall-timeout flags).
const (
	DefaultConnectTimeout  = 10 * time.Second
	DefaultResponseTimeout = 30 * time.Second
	DefaultCallTimeout     = 2 * time.Minute
	DefaultStallTimeout    = 30 * time.Second
)

// timeoutAttempts is how many times a call that timed out is tried.
const timeoutAttempts = 2

// refusedAttempts is how many times a call whose connection a local
// endpoint refused is tried: enough to ride out a restart, a second or so.
const refusedAttempts = 3

// Timeouts bounds the waits of AWS calls. Zero fields take the defaults.
type Timeouts struct {
	Connect  time.Duration // dialing and the TLS handshake
	Response time.Duration // from the request sent to the response headers
	Call     time.Duration // one attempt of a call, its response read (S3 objects and streams: until the headers)
	Stall    time.Duration // a read of a body or stream that returns nothing for this long
}

func (t Timeouts) connect() time.Duration  { return orDefault(t.Connect, DefaultConnectTimeout) }
func (t Timeouts) response() time.Duration { return orDefault(t.Response, DefaultResponseTimeout) }
func (t Timeouts) call() time.Duration     { return orDefault(t.Call, DefaultCallTimeout) }
func (t Timeouts) stall() time.Duration    { return orDefault(t.Stall, DefaultStallTimeout) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// httpClient is the SDK's HTTP client with the connect and response
// time-outs set.
func (t Timeouts) httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.connect() }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.connect()
			tr.ResponseHeaderTimeout = t.response()
		})
}

// Errors of calls that waited too long; both are retried once.
var (
	errCallTimeout = errors.New("no complete response within the call time-out (--call-timeout)")
	errStalled     = errors.New("the response stopped arriving (--stall-timeout)")
)

// errClass values for time-outs and refused connections, beside those
// of classify.
const (
	classTimeout errClass = iota + 100
	classRefused
)

// netClass sorts the network failures classify does not know apart: a
// time-out (dial, TLS, response headers, the call deadline, a stall) or
// a refused connection.
func netClass(err error) (errClass, bool) {
	if errors.Is(err, errCallTimeout) || errors.Is(err, errStalled) {
		return classTimeout, true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return classRefused, true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return classTimeout, true
	}
	return 0, false
}

// attempts returns how many times a call that failed this way is tried.
func (c *awsCaller) attemptsFor(class errClass, normal int) int {
	switch {
	case class == classTimeout:
		return min(normal, timeoutAttempts)
	case class == classRefused && c.cfg.localEndpoint():
		return min(normal, refusedAttempts)
	}
	return normal
}

// localEndpoint reports whether calls go to this machine (--endpoint-url
// or AWS_ENDPOINT_URL naming localhost or a loopback address).
func (c *AWSConfig) localEndpoint() bool {
	ep := c.EndpointURL
	if ep == "" {
		ep = os.Getenv("AWS_ENDPOINT_URL")
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// gaveUp is a call given up after its attempts: a message that says why
// in a few words, and the last attempt's error behind it.
type gaveUp struct {
	msg string
	err error
}

func (e *gaveUp) Error() string { return e.msg }
func (e *gaveUp) Unwrap() error { return e.err }

// why says why a call failed: what a time-out or refusal means, then the
// innermost network error, without the SDK's request details.
func (c *AWSConfig) why(class errClass, err error) string {
	detail := brief(err)
	var oe *net.OpError
	var ue *url.Error
	switch {
	case errors.As(err, &oe):
		detail = oe.Error()
	case errors.As(err, &ue):
		detail = ue.Err.Error()
	}
	if e := c.explainNet(class, err); e != "" {
		return e + " (" + detail + ")"
	}
	return detail
}

// explainNet says in words what a time-out or refusal means.
func (c *AWSConfig) explainNet(class errClass, err error) string {
	switch class {
	case classRefused:
		return "connection refused: is the endpoint running?"
	case classTimeout:
		switch {
		case errors.Is(err, errStalled):
			return fmt.Sprintf("no data for %s (--stall-timeout)", c.Timeouts.stall())
		case errors.Is(err, errCallTimeout):
			return fmt.Sprintf("no complete response within %s (--call-timeout)", c.Timeouts.call())
		}
		var oe *net.OpError
		switch msg := err.Error(); {
		case strings.Contains(msg, "awaiting response headers"):
			return fmt.Sprintf("no response within %s (--response-timeout)", c.Timeouts.response())
		case errors.As(err, &oe) && oe.Op == "dial", strings.Contains(msg, "TLS handshake timeout"):
			return fmt.Sprintf("could not connect within %s (--connect-timeout)", c.Timeouts.connect())
		}
		return "timed out"
	}
	return ""
}

// try runs one attempt of a call under the call deadline. With keep, a
// successful attempt's context is not ended: the response is still being
// read (see liveCall) and the returned cancel ends it.
func (c *awsCaller) try(ctx context.Context, keep bool, fn func(ctx context.Context) error) (context.Context, context.CancelCauseFunc, error) {
	actx, cancel := context.WithCancelCause(ctx)
	deadline := time.AfterFunc(c.cfg.Timeouts.call(), func() { cancel(errCallTimeout) })
	err := fn(actx)
	deadline.Stop()
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errCallTimeout) {
		err = fmt.Errorf("%w: %v", errCallTimeout, err)
	}
	if err != nil || !keep {
		cancel(nil)
		return nil, nil, err
	}
	return actx, cancel, nil
}

// liveCall is a call whose response is read as it arrives (an S3 object
// body, a live-tail stream): its context lives until Close, and Watch
// ends it when a read makes no progress for the stall time-out.
type liveCall struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	stall  time.Duration
}

// open runs a call like do, keeping the successful attempt's context
// alive for reading the response. The caller must Close it.
func (c *awsCaller) open(ctx context.Context, op, action string, fn func(ctx context.Context) error) (*liveCall, error) {
	var lc *liveCall
	err := c.run(ctx, op, action, true, func(actx context.Context, cancel context.CancelCauseFunc) {
		lc = &liveCall{ctx: actx, cancel: cancel, stall: c.cfg.Timeouts.stall()}
	}, fn)
	return lc, err
}

// Close ends the call's context.
func (l *liveCall) Close() { l.cancel(nil) }

// Stalled reports whether the watchdog ended the call.
func (l *liveCall) Stalled() bool { return errors.Is(context.Cause(l.ctx), errStalled) }

// Watch returns r with a watchdog: a Read that blocks for the stall
// time-out ends the call, and returns errStalled.
func (l *liveCall) Watch(r io.Reader) io.Reader {
	sr := &stallReader{r: r, l: l}
	sr.t = time.AfterFunc(time.Hour, func() { l.cancel(errStalled) })
	sr.t.Stop()
	return sr
}

// Timer returns a timer that ends the call when it fires: a stream
// reader resets it to the stall time-out at each event.
func (l *liveCall) Timer() *time.Timer {
	return time.AfterFunc(l.stall, func() { l.cancel(errStalled) })
}

type stallReader struct {
	r io.Reader
	l *liveCall
	t *time.Timer
}

func (s *stallReader) Read(p []byte) (int, error) {
	s.t.Reset(s.l.stall)
	n, err := s.r.Read(p)
	s.t.Stop()
	if err != nil && err != io.EOF && s.l.Stalled() {
		err = fmt.Errorf("%w: %v", errStalled, err)
	}
	return n, err
}
