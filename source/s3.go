package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/flowlens/flowlens/model"
)

// S3Config holds the S3 source's settings. Build it from Options with
// S3ConfigFrom, or directly (tests, embedding).
type S3Config struct {
	AWS AWSConfig

	Since, Until time.Time // record time range; zero = open (Until: now)
	Follow       bool      // poll for new objects after the backfill
	// PollInterval is the time between listings when following (0 = 1 min).
	PollInterval time.Duration
	// Concurrency is how many objects are read at once (0 = 4).
	Concurrency int
	// Format is --log-format: the format of objects without a header line.
	Format *model.Format
	// Pad widens the key-time window on both sides, because a record can sit
	// in an object named up to ~15 minutes after its start (0 = 15 min).
	Pad time.Duration
	// LateWindow is how far back a follow poll re-lists for late objects
	// (0 = 1 h).
	LateWindow time.Duration
	// BatchBytes is the size a batch is emitted at (0 = 256 KiB).
	BatchBytes int
	// MaxLine is the longest line kept; longer ones are dropped and counted
	// (0 = 1 MiB).
	MaxLine int
	// MaxObjectBytes caps a Parquet object, which is read whole (0 = 1 GiB).
	MaxObjectBytes int64
}

func (c *S3Config) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Minute
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Pad <= 0 {
		c.Pad = 15 * time.Minute
	}
	if c.LateWindow <= 0 {
		c.LateWindow = time.Hour
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 256 << 10
	}
	if c.MaxLine <= 0 {
		c.MaxLine = 1 << 20
	}
	if c.MaxObjectBytes <= 0 {
		c.MaxObjectBytes = 1 << 30
	}
}

// S3 reads flow-log objects under s3://bucket/prefix: it plans the day and
// hour folders that meet the time range, lists them, and reads the objects
// (gzip text or Parquet) several at once, oldest first. With Follow it then
// polls for new objects and reads each exactly once.
type S3 struct {
	StatusBox
	name   string
	bucket string
	prefix string
	cfg    S3Config
	client *s3.Client
	call   *awsCaller

	emitMu sync.Mutex
	seen   map[string]time.Time // keys read (or being read) -> key time
	listed int64                // bytes listed (compressed sizes)
	read   int64                // compressed bytes read
	bad    int                  // objects that could not be read whole
	resume map[string]Position  // where a run before this one stopped, by key (see Resume)
	newest time.Time            // newest key time read, for Status.Lag
}

var _ Source = (*S3)(nil)

// NewS3Config returns an S3 source for u (s3://bucket/prefix).
func NewS3Config(u *url.URL, cfg S3Config) (*S3, error) {
	if u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("%s: want s3://bucket/prefix", u.Redacted())
	}
	cfg.defaults()
	name := "s3://" + u.Host + "/" + strings.TrimPrefix(u.Path, "/")
	s := &S3{name: strings.TrimSuffix(name, "/"), bucket: u.Host, prefix: strings.TrimPrefix(u.Path, "/"),
		cfg: cfg, seen: map[string]time.Time{}}
	if s.name == "s3://"+u.Host {
		s.name += "/"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	awsCfg, err := s.cfg.AWS.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if awsCfg.Region == "" {
		// S3 needs a signing region; us-east-1 works for listing in most
		// partitions, and --region overrides it.
		awsCfg.Region = "us-east-1"
	}
	custom := s.cfg.AWS.customEndpoint("S3")
	s.client = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = custom
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s.call = newAWSCaller(&s.cfg.AWS, &s.StatusBox, "s3://"+s.bucket)
	s.Update(func(st *Status) { st.Name, st.Kind, st.State = s.name, "s3", StateStarting })
	return s, nil
}

// Name returns s3://bucket/prefix.
func (s *S3) Name() string { return s.name }

// s3Object is one listed object.
type s3Object struct {
	Key     string
	Size    int64
	Time    time.Time // from the key name, else LastModified
	Named   bool      // Time came from the name
	Touched time.Time // LastModified
}

// Run lists and reads the objects, then follows when configured. A
// permission or credential error ends it with an AWSError; an unreadable
// object is reported by key and does not stop the others.
func (s *S3) Run(ctx context.Context, emit func(model.Batch) error) error {
	err := s.run(ctx, emit)
	switch {
	case err == nil:
		s.call.setState(StateDone, s.badReason())
	case ctx.Err() != nil:
		s.call.setState(StateDone, "stopped")
		return nil
	default:
		s.AddError(err.Error())
		s.call.setState(StateFailed, err.Error())
		s.cfg.AWS.logf("%s: %v", s.name, err)
	}
	return err
}

func (s *S3) badReason() string {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if s.bad > 0 {
		return fmt.Sprintf("%d object(s) unreadable (see errors)", s.bad)
	}
	return ""
}

func (s *S3) run(ctx context.Context, emit func(model.Batch) error) error {
	s.call.setState(StateReading, "")
	now := s.cfg.AWS.now()
	w := s3Window{From: s.cfg.Since, To: s.cfg.Until}
	if w.To.IsZero() {
		w.To = now
	}
	if !w.From.IsZero() {
		w.From = w.From.Add(-s.cfg.Pad)
	}
	w.To = w.To.Add(s.cfg.Pad)
	objs, err := s.plan(ctx, w)
	if err != nil {
		return err
	}
	if err := s.readAll(ctx, objs, emit); err != nil {
		return err
	}
	if !s.cfg.Follow {
		return nil
	}
	for {
		s.call.setState(StateFollowing, s.badReason())
		if err := s.cfg.AWS.sleep(ctx, s.cfg.PollInterval); err != nil {
			return err
		}
		now := s.cfg.AWS.now()
		w := s3Window{From: now.Add(-s.cfg.LateWindow), To: now.Add(s.cfg.Pad)}
		if !s.cfg.Since.IsZero() && w.From.Before(s.cfg.Since.Add(-s.cfg.Pad)) {
			w.From = s.cfg.Since.Add(-s.cfg.Pad)
		}
		objs, err := s.plan(ctx, w)
		if err != nil {
			return err
		}
		s.prune(w.From.Add(-24 * time.Hour))
		if len(objs) > 0 {
			s.call.setState(StateReading, "")
		}
		if err := s.readAll(ctx, objs, emit); err != nil {
			return err
		}
	}
}

// prune forgets keys whose name time is before t: no listing reaches them.
func (s *S3) prune(t time.Time) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	for k, kt := range s.seen {
		if !kt.IsZero() && kt.Before(t) {
			delete(s.seen, k)
		}
	}
}

// plan lists the objects that may hold records in w (key times), oldest
// first, leaving out those already read.
func (s *S3) plan(ctx context.Context, w s3Window) ([]s3Object, error) {
	spec := parseS3Prefix(s.prefix)
	var objs []s3Object
	add := func(o s3Object) {
		if strings.HasSuffix(o.Key, "/") || o.Size == 0 {
			return
		}
		if o.Named && !w.has(o.Time) {
			return
		}
		if !o.Named && !w.From.IsZero() && o.Touched.Before(w.From) {
			return // uploaded before the window starts: holds only older records
		}
		objs = append(objs, o)
	}
	if !spec.Plain {
		roots, err := s.discover(ctx, spec)
		if err != nil {
			return nil, err
		}
		if len(roots) == 0 {
			spec.Plain = true
		}
		if !spec.Narrow.From.IsZero() {
			w = w.intersect(spec.Narrow.From, spec.Narrow.To.Add(time.Nanosecond))
		}
		for _, r := range roots {
			if err := s.listRoot(ctx, r, w, add); err != nil {
				return nil, err
			}
		}
	}
	if spec.Plain {
		if err := s.list(ctx, s.prefix, "", func(o s3Object) { add(o) }, nil); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(objs, func(i, j int) bool {
		if !objs[i].Time.Equal(objs[j].Time) {
			return objs[i].Time.Before(objs[j].Time)
		}
		return objs[i].Key < objs[j].Key
	})
	s.emitMu.Lock()
	out := objs[:0]
	var size int64
	for _, o := range objs {
		if _, ok := s.seen[o.Key]; ok {
			continue
		}
		if p, ok := s.resume[o.Key]; ok && p.EOF {
			s.seen[o.Key] = o.Time // read whole by a run before this one (--state)
			continue
		}
		s.seen[o.Key] = o.Time
		if !o.Named {
			s.seen[o.Key] = time.Time{}
		}
		out = append(out, o)
		size += o.Size
	}
	s.listed += size
	s.emitMu.Unlock()
	s.Update(func(st *Status) {
		st.Objects += len(out)
		st.BytesTotal += size
	})
	return out, nil
}

// discover finds the region roots below the spec's base folder.
func (s *S3) discover(ctx context.Context, spec s3Spec) ([]s3Root, error) {
	if spec.Roots != nil {
		return spec.Roots, nil
	}
	var roots []s3Root
	regions := func(svc, acct string, hive bool) error {
		return s.list(ctx, svc, "/", nil, func(dir string) {
			if r, ok := regionOf(dir[len(svc):], hive); ok {
				roots = append(roots, s3Root{Prefix: dir, Hive: hive, Account: acct, Region: r})
			}
		})
	}
	if spec.Account != "" {
		return roots, regions(spec.Base, spec.Account, spec.Hive)
	}
	var accts []string
	if err := s.list(ctx, spec.Base, "/", nil, func(dir string) { accts = append(accts, dir) }); err != nil {
		return nil, err
	}
	for _, dir := range accts {
		acct, hive, ok := accountOf(dir[len(spec.Base):])
		if !ok {
			continue
		}
		svc := dir + "vpcflowlogs/"
		if hive {
			svc = dir + "aws-service=vpcflowlogs/"
		}
		if err := regions(svc, acct, hive); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// listRoot lists the day (and hour) folders of r that meet w.
func (s *S3) listRoot(ctx context.Context, r s3Root, w s3Window, add func(s3Object)) error {
	if w.From.IsZero() {
		// No lower bound: everything under the root.
		return s.list(ctx, r.Prefix, "", add, nil)
	}
	for _, day := range w.days() {
		dp := r.dayPrefix(day)
		var hours []string
		err := s.list(ctx, dp, "/", add, func(dir string) {
			h := hourOf(dir[len(dp):], r.Hive)
			if h < 0 {
				return
			}
			a := day.Add(time.Duration(h) * time.Hour)
			if w.overlaps(a, a.Add(time.Hour)) {
				hours = append(hours, dir)
			}
		})
		if err != nil {
			return err
		}
		for _, hp := range hours {
			if err := s.list(ctx, hp, "", add, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// list runs ListObjectsV2 over prefix (paginated), handing objects to obj
// and common prefixes to dir.
func (s *S3) list(ctx context.Context, prefix, delim string, obj func(s3Object), dir func(string)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if delim != "" {
		in.Delimiter = aws.String(delim)
	}
	seen := map[string]bool{}
	s.Update(func(st *Status) { st.Current = "listing s3://" + s.bucket + "/" + prefix })
	for {
		var out *s3.ListObjectsV2Output
		err := s.call.do(ctx, "ListObjectsV2", "s3:ListBucket", func(ctx context.Context) error {
			var err error
			out, err = s.client.ListObjectsV2(ctx, in)
			return err
		})
		if err != nil {
			return err
		}
		if dir != nil {
			for _, p := range out.CommonPrefixes {
				dir(aws.ToString(p.Prefix))
			}
		}
		if obj != nil {
			for _, c := range out.Contents {
				o := s3Object{Key: aws.ToString(c.Key), Size: aws.ToInt64(c.Size), Touched: aws.ToTime(c.LastModified)}
				o.Time, o.Named = keyTime(o.Key)
				if !o.Named {
					o.Time = o.Touched
				}
				obj(o)
			}
		}
		tok := aws.ToString(out.NextContinuationToken)
		if !aws.ToBool(out.IsTruncated) || tok == "" {
			return nil
		}
		if seen[tok] {
			return fmt.Errorf("%s: ListObjectsV2 %q returned continuation token %q twice", s.name, prefix, tok)
		}
		seen[tok] = true
		in.ContinuationToken = aws.String(tok)
	}
}

// readAll reads objs with bounded concurrency, oldest first. Unreadable
// objects are reported and skipped; a fatal AWS error stops the lot.
func (s *S3) readAll(ctx context.Context, objs []s3Object, emit func(model.Batch) error) error {
	if len(objs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan s3Object)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	locked := func(b model.Batch) error {
		s.emitMu.Lock()
		defer s.emitMu.Unlock()
		return emit(b)
	}
	for range min(s.cfg.Concurrency, len(objs)) {
		wg.Go(func() {
			for o := range work {
				err := s.readObject(ctx, o, locked)
				var oe *objectError
				switch {
				case err == nil:
				case errors.As(err, &oe):
					s.emitMu.Lock()
					s.bad++
					s.emitMu.Unlock()
					s.AddError(oe.Error())
					s.cfg.AWS.logf("%s", oe.Error())
					// Counted beside bad lines, so that the answer says
					// it lacks the rest of the object.
					_ = Report(ctx, Fault{Object: o.Key, Line: oe.Lines + 1, Err: oe.Err})
				default:
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					cancel()
				}
				s.Update(func(st *Status) { st.ObjectsDone++ })
			}
		})
	}
feed:
	for _, o := range objs {
		select {
		case work <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
