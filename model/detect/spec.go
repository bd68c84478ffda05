package detect

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/filter"
)

// ParamKind says how a threshold is written and read.
type ParamKind uint8

// Parameter kinds.
const (
	KindCount    ParamKind = iota + 1 // a whole number
	KindFactor                        // a number, fractions allowed
	KindBytes                         // a size: 100MiB, 1MB, 5000
	KindDuration                      // a Go duration: 10m, 1h, 6h
	KindPorts                         // a list of ports: 22, 3389
)

// Param is one threshold of a detection: its name, its default as written,
// and what it means.
type Param struct {
	Name    string
	Kind    ParamKind
	Default string
	Doc     string
}

// Spec is one detection, as data: its name, a one-line explanation, the
// filter expression that picks the records it counts (Rows; {name} stands
// for parameter name, {private} and {nonpublic} for address lists and
// {reply} for ReplyExpr), its thresholds and its severity rules in words.
type Spec struct {
	Name     string
	Explain  string
	Rows     string
	Params   []Param
	Severity string
}

// Specs returns the detections, in the order they are documented.
func Specs() []Spec {
	return []Spec{
		{
			Name:    "port-scan",
			Explain: "one source probing many destination ports of one host",
			Rows:    "protocol in (tcp, udp) and (action = REJECT or packets <= {tiny-packets}) and not ({reply})",
			Params: []Param{
				{"window", KindDuration, "1h", "the window ports are counted in (hopping by half a window)"},
				{"ports", KindCount, "15", "a finding needs more than this many distinct ports probed in a window"},
				{"tiny-packets", KindCount, "2", "a flow of at most this many packets is a probe, whatever its action"},
				{"medium-ports", KindCount, "100", "medium above this many ports"},
				{"high-ports", KindCount, "1000", "high above this many ports"},
			},
			Severity: "low above ports, medium above medium-ports, high above high-ports; one level higher when the source is a private address (a host inside is scanning)",
		},
		{
			Name:    "port-sweep",
			Explain: "one source probing one port on many hosts",
			Rows:    "protocol in (tcp, udp) and (action = REJECT or packets <= {tiny-packets}) and not dstport in ({swept-ports}) and not ({reply})",
			Params: []Param{
				{"window", KindDuration, "1h", "the window hosts are counted in (hopping by half a window)"},
				{"hosts", KindCount, "10", "a finding needs more than this many distinct hosts probed in a window"},
				{"max-flows-per-host", KindFactor, "5", "at most this many probes per host on average: health checks hit the same hosts again and again, sweeps do not"},
				{"tiny-packets", KindCount, "2", "a flow of at most this many packets is a probe, whatever its action"},
				{"swept-ports", KindPorts, "53, 123, 5353", "ports that are reached on many hosts by design (DNS, NTP, mDNS)"},
				{"medium-hosts", KindCount, "50", "medium above this many hosts"},
				{"high-hosts", KindCount, "250", "high above this many hosts"},
			},
			Severity: "low above hosts, medium above medium-hosts, high above high-hosts; one level higher when the source is a private address",
		},
		{
			Name:    "brute-force",
			Explain: "many short or rejected connections from one source to a remote-access or database port of one host",
			Rows:    "protocol = tcp and (action = REJECT or packets <= {short-packets}) and (dstport in ({remote-ports}) or (dstport in ({database-ports}) and not srcaddr in {private}))",
			Params: []Param{
				{"window", KindDuration, "10m", "the window attempts are counted in (hopping by half a window)"},
				{"attempts", KindCount, "20", "a finding needs at least this many attempts in a window"},
				{"short-packets", KindCount, "25", "an accepted flow of at most this many packets counts as an attempt"},
				{"remote-ports", KindPorts, "22, 3389, 5985, 5986", "remote-access ports (SSH, RDP, WinRM)"},
				{"database-ports", KindPorts, "1433, 3306, 5432, 6379, 27017", "database ports; attempts on them count from public sources only, as apps open short connections to their databases all day"},
				{"high-attempts", KindCount, "200", "high at this many attempts in a window"},
			},
			Severity: "medium at attempts, high at high-attempts; low when the source is private and no attempt was rejected (automation or health checks)",
		},
		{
			Name:    "exfiltration",
			Explain: "a private address sending many bytes to one public address",
			Rows:    "action = ACCEPT and (srcaddr in {private} or flow-direction = egress) and not dstaddr in {nonpublic} and pkt-dst-aws-service = - and not ({reply})",
			Params: []Param{
				{"window", KindDuration, "6h", "the window bytes are summed in (hopping by half a window)"},
				{"bytes", KindBytes, "100MiB", "a finding needs more than this many bytes in a window"},
				{"medium-bytes", KindBytes, "200MiB", "medium above this many bytes"},
				{"high-bytes", KindBytes, "500MiB", "high above this many bytes"},
			},
			Severity: "low above bytes, medium above medium-bytes, high above high-bytes (the most in one window)",
		},
		{
			Name:    "unidirectional",
			Explain: "one direction of a conversation carrying many bytes with nothing accepted coming back",
			Rows:    "action = ACCEPT and exists srcaddr and exists dstaddr",
			Params: []Param{
				{"window", KindDuration, "1h", "the window both directions are looked at in (hopping by half a window)"},
				{"bytes", KindBytes, "1MB", "a finding needs more than this many bytes one way with no accepted record the other way"},
				{"flows", KindCount, "3", "and at least this many records one way: a lone record's answer may be in the next aggregation interval or on an interface outside the logs"},
			},
			Severity: "low; medium when the receiver is a public address",
		},
		{
			Name:    "blocked-internal",
			Explain: "REJECTs between private addresses, by pair and port: a misconfigured security group or network ACL",
			Rows:    "action = REJECT and srcaddr in {private} and dstaddr in {private}",
			Params: []Param{
				{"window", KindDuration, "1h", "the window rejects are counted in (hopping by half a window)"},
				{"flows", KindCount, "5", "a finding needs at least this many rejected flows in a window"},
				{"medium-flows", KindCount, "20", "medium at this many"},
				{"high-flows", KindCount, "500", "high at this many"},
			},
			Severity: "low at flows, medium at medium-flows, high at high-flows (the most in one window)",
		},
		{
			Name:    "rejects-spike",
			Explain: "a source's rejects in one bucket far above its own earlier buckets",
			Rows:    "action = REJECT and exists srcaddr",
			Params: []Param{
				{"bucket", KindDuration, "1m", "the bucket rejects are counted in"},
				{"history", KindCount, "60", "the baseline is the source's rejects per bucket over at most this many buckets, since it was first seen, ending a bucket before the one judged (it needs half a bucket of history)"},
				{"factor", KindFactor, "10", "a spike is at least this many times the baseline"},
				{"min-rejects", KindCount, "20", "and at least this many rejects in the bucket"},
				{"high-rejects", KindCount, "1000", "high at this many rejects in one bucket"},
			},
			Severity: "medium; high at high-rejects in one bucket",
		},
		{
			Name:    "logging-gap",
			Explain: "an interface losing records (SKIPDATA) or logging no traffic for a stretch (NODATA)",
			Rows:    "log-status in (NODATA, SKIPDATA)",
			Params: []Param{
				{"nodata-stretch", KindDuration, "10m", "a NODATA finding needs consecutive NODATA intervals covering at least this long"},
				{"skipdata-gap", KindDuration, "1h", "SKIPDATA records of one interface closer than this are one finding"},
			},
			Severity: "medium for SKIPDATA (records were lost: answers over that time are incomplete); low for NODATA (an idle or stopped interface)",
		},
	}
}

// Config chooses detections and overrides thresholds.
type Config struct {
	// Only lists the detections to run (nil: all).
	Only []string
	// Set overrides thresholds: "port-scan.ports" -> "30".
	Set map[string]string
	// Scope restricts the records every detection looks at (a parsed
	// filter: --filter, --since and --until; nil for all).
	Scope filter.Node
	// Memory bounds the detections' state (Result.Memory, bytes; 0: no
	// bound): past it the oldest half-windows are released, then the
	// detection holding the most state is paused (model.Budget.Detect,
	// the detections' share of --max-memory).
	Memory int64
}

// values are a detection's thresholds, read.
type values struct {
	num   map[string]float64
	ports map[string][]uint16
	text  map[string]string // canonical text, for the rows expression
}

func (v values) n(name string) float64 { return v.num[name] }

func (v values) dur(name string) int64 { return int64(v.num[name]) }

// resolve reads a spec's thresholds with cfg's overrides applied.
func resolve(s *Spec, set map[string]string) (values, error) {
	v := values{num: map[string]float64{}, ports: map[string][]uint16{}, text: map[string]string{}}
	for _, p := range s.Params {
		raw := p.Default
		if o, ok := set[s.Name+"."+p.Name]; ok {
			raw = o
		}
		if err := v.read(p, raw); err != nil {
			return v, fmt.Errorf("%s.%s: %w", s.Name, p.Name, err)
		}
	}
	return v, nil
}

func (v values) read(p Param, raw string) error {
	raw = strings.TrimSpace(raw)
	switch p.Kind {
	case KindCount, KindFactor:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || (p.Kind == KindCount && f != math.Trunc(f)) {
			return fmt.Errorf("%q is not a %s", raw, map[ParamKind]string{KindCount: "whole number", KindFactor: "number"}[p.Kind])
		}
		v.num[p.Name] = f
		v.text[p.Name] = strconv.FormatFloat(f, 'f', -1, 64)
	case KindBytes:
		n, err := filter.ParseSize(raw)
		if err != nil {
			return fmt.Errorf("%q is not a size (100MiB, 1MB, 5000): %w", raw, err)
		}
		v.num[p.Name] = float64(n)
		v.text[p.Name] = strconv.FormatUint(n, 10)
	case KindDuration:
		d, err := time.ParseDuration(raw)
		if err != nil || d < time.Second || d%time.Second != 0 {
			return fmt.Errorf("%q is not a duration of whole seconds (10m, 1h)", raw)
		}
		v.num[p.Name] = d.Seconds()
		v.text[p.Name] = raw
	case KindPorts:
		var ports []uint16
		var texts []string
		for _, f := range strings.Split(raw, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			n, err := strconv.ParseUint(f, 10, 16)
			if err != nil {
				return fmt.Errorf("%q is not a port", f)
			}
			ports = append(ports, uint16(n))
			texts = append(texts, strconv.FormatUint(n, 10))
		}
		if len(ports) == 0 {
			return fmt.Errorf("no port in %q", raw)
		}
		v.ports[p.Name] = ports
		v.text[p.Name] = strings.Join(texts, ", ")
	}
	return nil
}

// rowsExpr fills a spec's Rows template.
func rowsExpr(s *Spec, v values) (string, error) {
	var b strings.Builder
	t := s.Rows
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String(), nil
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%s: unclosed { in %q", s.Name, s.Rows)
		}
		b.WriteString(t[:i])
		name := t[i+1 : i+j]
		switch name {
		case "private":
			b.WriteString(PrivateList())
		case "nonpublic":
			b.WriteString(nonPublicList())
		case "reply":
			b.WriteString(ReplyExpr())
		default:
			txt, ok := v.text[name]
			if !ok {
				return "", fmt.Errorf("%s: no parameter %q for {%s}", s.Name, name, name)
			}
			b.WriteString(txt)
		}
		t = t[i+j+1:]
	}
}

// Names lists the detections' names.
func Names() []string {
	var out []string
	for _, s := range Specs() {
		out = append(out, s.Name)
	}
	return out
}

// ParseSet reads threshold overrides written NAME.PARAM=VALUE and checks
// that each names a known parameter and has a valid value.
func ParseSet(items []string) (map[string]string, error) {
	specs := Specs()
	out := map[string]string{}
	for _, it := range items {
		k, val, ok := strings.Cut(it, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want DETECTION.PARAM=VALUE", it)
		}
		k = strings.TrimSpace(k)
		det, pname, _ := strings.Cut(k, ".")
		var sp *Spec
		for i := range specs {
			if specs[i].Name == det {
				sp = &specs[i]
			}
		}
		if sp == nil {
			return nil, fmt.Errorf("%q: unknown detection %q (one of %s)", it, det, strings.Join(Names(), ", "))
		}
		var param *Param
		var pnames []string
		for i := range sp.Params {
			pnames = append(pnames, sp.Params[i].Name)
			if sp.Params[i].Name == pname {
				param = &sp.Params[i]
			}
		}
		if param == nil {
			sort.Strings(pnames)
			return nil, fmt.Errorf("%q: %s has no threshold %q (one of %s)", it, det, pname, strings.Join(pnames, ", "))
		}
		v := values{num: map[string]float64{}, ports: map[string][]uint16{}, text: map[string]string{}}
		if err := v.read(*param, val); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = val
	}
	return out, nil
}

// Markdown documents the detections for the README: for each, what it
// finds, the records it counts, every threshold with its default, and the
// severity rules. Generated from Specs, so the two cannot disagree.
func Markdown() string {
	var b strings.Builder
	for _, s := range Specs() {
		fmt.Fprintf(&b, "- **`%s`**: %s.\n", s.Name, s.Explain)
		fmt.Fprintf(&b, "  Records counted: `%s`.\n", s.Rows)
		for _, p := range s.Params {
			fmt.Fprintf(&b, "  - `%s.%s` = `%s`: %s.\n", s.Name, p.Name, p.Default, p.Doc)
		}
		fmt.Fprintf(&b, "  - Severity: %s.\n", s.Severity)
	}
	return b.String()
}
