package source

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// S3 delivery layouts (flowlogs-reference.md §3). Under an optional user
// prefix <p>, a flow log writes to one "region root":
//
//	<p>AWSLogs/<account>/vpcflowlogs/<region>/                                    plain
//	<p>AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/  Hive
//
// and below it one folder per UTC day, optionally one per hour:
//
//	<yyyy>/<mm>/<dd>/[<HH>/]            plain
//	year=<yyyy>/month=<mm>/day=<dd>/[hour=<HH>/]   Hive
//
// Object names carry the UTC time of their 5-minute window:
// <account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz.

// s3Root is one region root: the folder below which day folders live.
type s3Root struct {
	Prefix  string // ends in "/"
	Hive    bool
	Account string
	Region  string
}

// dayPrefix returns the folder of day t (UTC).
func (r s3Root) dayPrefix(t time.Time) string {
	t = t.UTC()
	if r.Hive {
		return r.Prefix + t.Format("year=2006/month=01/day=02/")
	}
	return r.Prefix + t.Format("2006/01/02/")
}

// hourOf parses an hour folder name relative to its day folder ("07/" or
// "hour=07/") and returns the hour, or -1.
func hourOf(rel string, hive bool) int {
	rel = strings.TrimSuffix(rel, "/")
	if hive {
		var ok bool
		if rel, ok = strings.CutPrefix(rel, "hour="); !ok {
			return -1
		}
	}
	if len(rel) != 2 {
		return -1
	}
	h, err := strconv.Atoi(rel)
	if err != nil || h < 0 || h > 23 {
		return -1
	}
	return h
}

// keyTimeRE matches the timestamp in an object name: _YYYYMMDDTHHmmZ_ (the
// trailing underscore or a dot is lenient: some tools drop the hash).
var keyTimeRE = regexp.MustCompile(`_(\d{8}T\d{4})Z[_.]`)

// keyTime returns the UTC time in a flow-log object's name and whether
// there was one. Only the last path element is looked at.
func keyTime(key string) (time.Time, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	m := keyTimeRE.FindAllStringSubmatch(name, -1)
	if len(m) == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504", m[len(m)-1][1])
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// s3Window is a closed time range for key times; a zero bound is open.
type s3Window struct{ From, To time.Time }

// has reports whether t is inside the window.
func (w s3Window) has(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || !t.After(w.To))
}

// overlaps reports whether [a, b) meets the window.
func (w s3Window) overlaps(a, b time.Time) bool {
	return (w.From.IsZero() || b.After(w.From)) && (w.To.IsZero() || !a.After(w.To))
}

// intersect narrows the window to [a, b).
func (w s3Window) intersect(a, b time.Time) s3Window {
	if w.From.IsZero() || a.After(w.From) {
		w.From = a
	}
	if last := b.Add(-time.Nanosecond); w.To.IsZero() || last.Before(w.To) {
		w.To = last
	}
	return w
}

// days returns the UTC midnight of every day the window touches. Both
// bounds must be set.
func (w s3Window) days() []time.Time {
	var out []time.Time
	d := w.From.UTC().Truncate(24 * time.Hour)
	for !d.After(w.To) {
		out = append(out, d)
		d = d.Add(24 * time.Hour)
	}
	return out
}

// s3Spec is what a user's prefix says about the layout.
type s3Spec struct {
	// Plain is true when the prefix is not a flow-log layout: list it all.
	Plain bool
	// Base is the <p>AWSLogs/ folder when the account is not given.
	Base string
	// Roots are the region roots when the prefix names one (then Base is "").
	Roots []s3Root
	// Account and Hive are known when the prefix names the account but not
	// the region; Base is then the service folder to list for regions.
	Account string
	Hive    bool
	// Narrow is the time range the prefix itself pins down (a year, month,
	// day or hour folder), zero when the prefix stops above the day folders.
	Narrow s3Window
}

// parseS3Prefix reads a user prefix (the part of s3://bucket/prefix after
// the bucket) against the delivery layouts.
func parseS3Prefix(prefix string) s3Spec {
	p := prefix
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	i := strings.Index("/"+p, "/AWSLogs/")
	if i < 0 {
		// Above AWSLogs/: discovery starts there (falls back to a plain
		// listing when it is empty).
		return s3Spec{Base: p + "AWSLogs/"}
	}
	base := p[:i+len("AWSLogs/")]
	segs := strings.Split(strings.TrimSuffix(p[len(base):], "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		return s3Spec{Base: base}
	}
	hive := strings.HasPrefix(segs[0], "aws-account-id=")
	acct := strings.TrimPrefix(segs[0], "aws-account-id=")
	svc := base + segs[0] + "/vpcflowlogs/"
	if hive {
		svc = base + segs[0] + "/aws-service=vpcflowlogs/"
	}
	if len(segs) == 1 {
		return s3Spec{Base: svc, Account: acct, Hive: hive}
	}
	if want := "vpcflowlogs"; hive && segs[1] != "aws-service="+want || !hive && segs[1] != want {
		return s3Spec{Plain: true}
	}
	if len(segs) == 2 {
		return s3Spec{Base: svc, Account: acct, Hive: hive}
	}
	region := segs[2]
	if hive {
		var ok bool
		if region, ok = strings.CutPrefix(region, "aws-region="); !ok {
			return s3Spec{Plain: true}
		}
	}
	root := s3Root{Prefix: svc + segs[2] + "/", Hive: hive, Account: acct, Region: region}
	spec := s3Spec{Roots: []s3Root{root}}
	// Date folders below the root pin the time range.
	keys := []string{"year=", "month=", "day=", "hour="}
	var parts []int
	for j, s := range segs[3:] {
		if j >= len(keys) {
			return s3Spec{Plain: true}
		}
		if hive {
			var ok bool
			if s, ok = strings.CutPrefix(s, keys[j]); !ok {
				return s3Spec{Plain: true}
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return s3Spec{Plain: true}
		}
		parts = append(parts, n)
	}
	if len(parts) > 0 {
		y, mo, d, h := parts[0], 1, 1, 0
		if len(parts) > 1 {
			mo = parts[1]
		}
		if len(parts) > 2 {
			d = parts[2]
		}
		if len(parts) > 3 {
			h = parts[3]
		}
		a := time.Date(y, time.Month(mo), d, h, 0, 0, 0, time.UTC)
		var b time.Time
		switch len(parts) {
		case 1:
			b = a.AddDate(1, 0, 0)
		case 2:
			b = a.AddDate(0, 1, 0)
		case 3:
			b = a.AddDate(0, 0, 1)
		default:
			b = a.Add(time.Hour)
		}
		spec.Narrow = s3Window{}.intersect(a, b)
	}
	return spec
}

// accountOf parses an account folder name below AWSLogs/ ("123456789012/" or
// "aws-account-id=123456789012/") and returns it and whether it is Hive.
func accountOf(rel string) (acct string, hive, ok bool) {
	rel = strings.TrimSuffix(rel, "/")
	if a, found := strings.CutPrefix(rel, "aws-account-id="); found {
		return a, true, a != ""
	}
	if len(rel) == 12 && strings.Trim(rel, "0123456789") == "" {
		return rel, false, true
	}
	return "", false, false
}

// regionOf parses a region folder name below the service folder.
func regionOf(rel string, hive bool) (string, bool) {
	rel = strings.TrimSuffix(rel, "/")
	if hive {
		r, ok := strings.CutPrefix(rel, "aws-region=")
		return r, ok && r != ""
	}
	return rel, rel != "" && strings.Count(rel, "-") >= 2
}
