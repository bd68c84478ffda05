package source

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrSpec marks a SOURCE argument that is malformed (an s3:// URL without
// a bucket, a log group name with characters AWS never allows): a usage
// mistake to fix on the command line, not a failure of the source.
var ErrSpec = errors.New("malformed source")

// specError explains a malformed SOURCE.
type specError struct {
	spec, why string
}

func (e *specError) Error() string { return fmt.Sprintf("%q: %s", e.spec, e.why) }

func (e *specError) Is(target error) bool { return target == ErrSpec }

// parseS3Spec checks s3://BUCKET[/PREFIX]. Bucket names are letters,
// digits, dots, hyphens and (in old us-east-1 buckets) underscores;
// anything else can only be a typo, so it is refused before any call.
func parseS3Spec(spec string) (*url.URL, error) {
	const want = "want s3://BUCKET or s3://BUCKET/PREFIX"
	rest := strings.TrimPrefix(spec, "s3://")
	bucket, _, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return nil, &specError{spec, "no bucket name; " + want}
	}
	if len(bucket) < 3 || len(bucket) > 255 {
		return nil, &specError{spec, fmt.Sprintf("bucket name %q is %d characters long (bucket names have 3 to 63); %s", bucket, len(bucket), want)}
	}
	for _, c := range bucket {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return nil, &specError{spec, fmt.Sprintf("bucket name %q holds %q; bucket names are letters, digits, dots and hyphens; %s", bucket, c, want)}
		}
	}
	u, err := url.Parse(spec)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &specError{spec, fmt.Sprintf("not a valid URL (%v); %s", err, want)}
	}
	return u, nil
}

// checkLogGroup checks a CloudWatch Logs group name or ARN: 1 to 512
// letters, digits and . - _ / # (an ARN adds : and a trailing *).
func checkLogGroup(spec, group string) error {
	const want = "want cloudwatch://LOG_GROUP (or cw://LOG_GROUP)"
	if strings.TrimSpace(group) == "" {
		return &specError{spec, "no log group name; " + want}
	}
	if len(group) > 512+128 {
		return &specError{spec, "log group name longer than 512 characters; " + want}
	}
	arn := strings.HasPrefix(group, "arn:")
	for _, c := range group {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-/#", c) ||
			arn && (c == ':' || c == '*')
		if !ok {
			return &specError{spec, fmt.Sprintf("log group names hold only letters, digits and . - _ / #, not %q; %s", c, want)}
		}
	}
	return nil
}

// misspeltScheme catches "s3:bucket", "s3:/bucket", "cw:group" and the
// like, which would otherwise be taken for file names that do not exist.
func misspeltScheme(spec string) error {
	for _, sc := range []string{"s3", "cloudwatch", "cw"} {
		if rest, ok := strings.CutPrefix(spec, sc+":"); ok && !strings.HasPrefix(rest, "//") {
			return &specError{spec, fmt.Sprintf("did you mean %s://%s?", sc, strings.TrimLeft(rest, "/"))}
		}
	}
	return nil
}
