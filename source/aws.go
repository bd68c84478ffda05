package source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AWSConfig says how the S3 and CloudWatch sources reach AWS. The zero value
// uses the standard credential chain (environment, shared config and
// profile, SSO, container and instance roles) and the region from the
// environment or profile.
type AWSConfig struct {
	Profile     string // shared config profile (--profile); "" = default or AWS_PROFILE
	Region      string // --region; "" = AWS_REGION or the profile's region
	EndpointURL string // --endpoint-url; "" = AWS_ENDPOINT_URL(_S3/_CLOUDWATCH_LOGS) or AWS

	// Credentials replaces the standard chain when set (tests, embedding).
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's default HTTP client when set; the
	// default one has Timeouts' connect and response time-outs.
	HTTPClient aws.HTTPClient
	// Timeouts bounds every wait of a call (zero: the defaults), so an
	// endpoint that never answers cannot hang a source.
	Timeouts Timeouts

	// Now and Sleep are the clock; nil means the real one. Tests inject a
	// fake clock so that backoff and polling take no wall time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) for backoff jitter; nil = math/rand.
	Jitter func() float64

	// MaxAttempts is how many times one call is tried on throttling or a
	// transient error before the source gives up (0 = 10).
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// attempts (0 = 200 ms and 20 s).
	BaseBackoff, MaxBackoff time.Duration

	// Logf, when set, receives one line per notable event (retries given
	// up, unreadable objects). It must not write to the terminal under the TUI.
	Logf func(format string, args ...any)
}

func (c *AWSConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *AWSConfig) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *AWSConfig) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// customEndpoint reports whether requests go to a user-given endpoint (an
// S3-compatible store, a VPC endpoint, a test server) rather than AWS.
func (c *AWSConfig) customEndpoint(service string) bool {
	if c.EndpointURL != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		return true
	}
	return service != "" && os.Getenv("AWS_ENDPOINT_URL_"+service) != ""
}

// load builds an aws.Config. It does no network I/O: credentials are
// fetched on the first call. The SDK's own retries are off: every call
// goes through awsCaller, which counts and reports retries.
func (c *AWSConfig) load(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(c.Credentials))
	}
	if c.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(c.HTTPClient))
	} else {
		opts = append(opts, config.WithHTTPClient(c.Timeouts.httpClient()))
	}
	if c.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(c.EndpointURL))
	}
	opts = append(opts, config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// disableHostPrefix keeps the SDK from prepending an operation's host prefix
// (StartLiveTail's "stream-") to a user-given endpoint.
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("flowlensNoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// Errors that callers of the AWS sources branch on.
var (
	// ErrAccessDenied: the credentials lack an IAM permission.
	ErrAccessDenied = errors.New("access denied")
	// ErrCredentials: no credentials were found, or they expired or are invalid.
	ErrCredentials = errors.New("no valid AWS credentials")
	// ErrNotFound: the bucket or log group does not exist (in this region).
	ErrNotFound = errors.New("not found")
)

// AWSError is a failed AWS call, explained: which operation, which IAM
// action it needs and what the user can do about it.
type AWSError struct {
	Op     string // SDK operation, e.g. "ListObjectsV2"
	Action string // IAM action, e.g. "s3:ListBucket"
	On     string // resource, e.g. "s3://bucket" or "log group /vpc/flows"
	Kind   error  // ErrAccessDenied, ErrCredentials, ErrNotFound or nil
	Err    error
}

// Error gives one line a user can act on.
func (e *AWSError) Error() string {
	code := apiCode(e.Err)
	switch e.Kind {
	case ErrAccessDenied:
		return fmt.Sprintf("access denied to %s: the credentials need %s (%s: %s)", e.On, e.Action, e.Op, brief(e.Err))
	case ErrCredentials:
		return fmt.Sprintf("no valid AWS credentials for %s (%s): %s; set AWS_PROFILE/--profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
			e.On, e.Op, brief(e.Err))
	case ErrNotFound:
		return fmt.Sprintf("%s not found (%s %s); check the name and --region", e.On, e.Op, code)
	}
	switch code {
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		return fmt.Sprintf("%s is in another region than the one used (%s: %s); set --region or AWS_REGION", e.On, e.Op, brief(e.Err))
	}
	return fmt.Sprintf("%s %s: %s", e.On, e.Op, brief(e.Err))
}

// Unwrap returns the SDK error.
func (e *AWSError) Unwrap() error { return e.Err }

// Is matches the error's kind (ErrAccessDenied, ...).
func (e *AWSError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// apiCode returns the service error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// brief shortens an SDK error to its code and message; the SDK's own text
// repeats the operation and request ids.
func brief(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	s := err.Error()
	if i := strings.Index(s, "get identity: "); i >= 0 {
		s = s[i+len("get identity: "):]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// httpStatus returns the HTTP status of a failed call, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errClass is what awsCaller does with a failed call.
type errClass uint8

const (
	classFatal errClass = iota
	classThrottle
	classTransient
)

var (
	throttleCheck = retry.IsErrorThrottles(retry.DefaultThrottles)
	retryCheck    = retry.IsErrorRetryables(retry.DefaultRetryables)
)

// classify sorts an SDK error into fatal (explained as an AWSError kind),
// throttling or transient.
func classify(err error) (errClass, error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classFatal, nil
	}
	switch apiCode(err) {
	case "AccessDenied", "AccessDeniedException", "Forbidden", "UnauthorizedOperation",
		"AllAccessDisabled", "AuthorizationError":
		return classFatal, ErrAccessDenied
	case "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "InvalidClientTokenId",
		"UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidToken", "RequestExpired",
		"IncompleteSignature", "MissingAuthenticationToken", "InvalidSignatureException":
		return classFatal, ErrCredentials
	case "NoSuchBucket", "ResourceNotFoundException", "NoSuchKey":
		return classFatal, ErrNotFound
	}
	if s := err.Error(); strings.Contains(s, "get identity:") || strings.Contains(s, "failed to refresh cached credentials") ||
		strings.Contains(s, "failed to retrieve credentials") {
		return classFatal, ErrCredentials
	}
	if throttleCheck.IsErrorThrottle(err) == aws.TrueTernary {
		return classThrottle, nil
	}
	if retryCheck.IsErrorRetryable(err) == aws.TrueTernary {
		return classTransient, nil
	}
	switch st := httpStatus(err); {
	case st == http.StatusForbidden:
		return classFatal, ErrAccessDenied
	case st == http.StatusNotFound:
		return classFatal, ErrNotFound
	case st == http.StatusTooManyRequests:
		return classThrottle, nil
	case st >= 500:
		return classTransient, nil
	}
	return classFatal, nil
}

// awsCaller runs AWS calls for one source: it counts calls, retries throttling and transient errors with capped
// exponential backoff and full jitter, shows the backoff in the source's
// state, and turns fatal errors into AWSErrors.
type awsCaller struct {
	cfg *AWSConfig
	box *StatusBox
	on  string // resource for messages

	mu         sync.Mutex
	base       State // the state the source is in when not backing off
	baseReason string
	backingOff int
}

func newAWSCaller(cfg *AWSConfig, box *StatusBox, on string) *awsCaller {
	return &awsCaller{cfg: cfg, box: box, on: on}
}

// setState sets the source's state; a backoff in progress shows over it
// until the call succeeds.
func (c *awsCaller) setState(s State, reason string) {
	c.mu.Lock()
	c.base, c.baseReason = s, reason
	off := c.backingOff > 0
	c.mu.Unlock()
	if !off {
		c.box.SetState(s, reason)
	}
}

func (c *awsCaller) backoff(attempt int) time.Duration {
	base, max := c.cfg.BaseBackoff, c.cfg.MaxBackoff
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if max <= 0 {
		max = 20 * time.Second
	}
	d := base << min(attempt, 20)
	if d > max || d <= 0 {
		d = max
	}
	j := c.cfg.Jitter
	if j == nil {
		j = rand.Float64
	}
	// Full jitter, with a floor of a tenth so a retry never fires at once.
	return d/10 + time.Duration(j()*float64(d-d/10))
}

// do runs fn (one AWS call of operation op that needs IAM action) until it
// succeeds, fails for good, or ctx ends. Each attempt has the call
// deadline (Timeouts.Call).
func (c *awsCaller) do(ctx context.Context, op, action string, fn func(ctx context.Context) error) error {
	return c.run(ctx, op, action, false, nil, fn)
}

// run is do; with keep, the successful attempt's context is handed to
// kept instead of being ended (see open).
func (c *awsCaller) run(ctx context.Context, op, action string, keep bool, kept func(context.Context, context.CancelCauseFunc),
	fn func(ctx context.Context) error) error {
	attempts := c.cfg.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	for attempt := 0; ; attempt++ {
		c.box.Update(func(st *Status) { st.Calls++ })
		actx, cancel, err := c.try(ctx, keep, fn)
		if err == nil {
			c.endBackoff(attempt)
			if keep {
				kept(actx, cancel)
			}
			return nil
		}
		if ctx.Err() != nil {
			c.endBackoff(attempt)
			return ctx.Err()
		}
		class, kind := classify(err)
		if nc, ok := netClass(err); ok {
			class, kind = nc, nil
		}
		if class == classFatal || attempt+1 >= c.attemptsFor(class, attempts) {
			c.endBackoff(attempt)
			if class != classFatal {
				return &gaveUp{msg: fmt.Sprintf("%s %s: giving up after %d attempts: %s", c.on, op, attempt+1, c.cfg.why(class, err)), err: err}
			}
			return &AWSError{Op: op, Action: action, On: c.on, Kind: kind, Err: err}
		}
		d := c.backoff(attempt)
		what := "transient error"
		switch class {
		case classThrottle:
			what = "throttled"
		case classTimeout:
			what = "timed out"
		case classRefused:
			what = "connection refused"
		}
		c.box.Update(func(st *Status) {
			st.Retries++
			if class == classThrottle {
				st.Throttles++
			}
		})
		c.startBackoff(attempt, fmt.Sprintf("%s (%s: %s), retry %d in %s", what, op, brief(err), attempt+1, d.Round(time.Millisecond)))
		if err := c.cfg.sleep(ctx, d); err != nil {
			c.endBackoff(attempt + 1)
			return err
		}
	}
}

func (c *awsCaller) startBackoff(attempt int, reason string) {
	c.mu.Lock()
	if attempt == 0 {
		c.backingOff++
	}
	c.mu.Unlock()
	c.box.SetState(StateWaiting, reason)
}

func (c *awsCaller) endBackoff(attempt int) {
	if attempt == 0 {
		return
	}
	c.mu.Lock()
	c.backingOff--
	off := c.backingOff > 0
	s, r := c.base, c.baseReason
	c.mu.Unlock()
	if !off {
		c.box.SetState(s, r)
	}
}

// rateLimiter spaces calls evenly so that at most rate calls start per
// second. One limiter is shared by every source that talks to the same
// account and region (see sharedLimiter), since AWS quotas are per account
// and region, not per log group.
type rateLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
	cfg      *AWSConfig
}

// wait blocks until the caller may make its next call.
func (l *rateLimiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := l.cfg.now()
	t := l.next
	if t.Before(now) {
		t = now
	}
	l.next = t.Add(l.interval)
	l.mu.Unlock()
	if d := t.Sub(now); d > 0 {
		return l.cfg.sleep(ctx, d)
	}
	return ctx.Err()
}

var (
	limitersMu sync.Mutex
	limiters   = map[string]*rateLimiter{}
)

// sharedLimiter returns the process-wide limiter for key (profile, region,
// endpoint and API), creating it with the given rate (calls per second).
func sharedLimiter(key string, rate float64, cfg *AWSConfig) *rateLimiter {
	limitersMu.Lock()
	defer limitersMu.Unlock()
	if l := limiters[key]; l != nil {
		return l
	}
	l := &rateLimiter{interval: time.Duration(float64(time.Second) / rate), cfg: cfg}
	limiters[key] = l
	return l
}
