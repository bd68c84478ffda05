package detect

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Severity ranks findings. The zero value, SevNone, is below every finding.
type Severity uint8

// Severities, lowest first.
const (
	SevNone Severity = iota
	SevLow
	SevMedium
	SevHigh
)

// String returns low, medium or high ("-" for SevNone).
func (s Severity) String() string {
	switch s {
	case SevLow:
		return "low"
	case SevMedium:
		return "medium"
	case SevHigh:
		return "high"
	}
	return "-"
}

// ParseSeverity reads low, medium or high (any case).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return SevLow, nil
	case "medium":
		return SevMedium, nil
	case "high":
		return SevHigh, nil
	}
	return SevNone, fmt.Errorf("severity %q: want low, medium or high", s)
}

func (s Severity) up() Severity {
	if s >= SevLow && s < SevHigh {
		return s + 1
	}
	return s
}

// Eviction says how much of a finding's evidence the index still holds.
type Eviction uint8

// Eviction states.
const (
	EvictNone   Eviction = iota // every record behind the finding is in the index
	EvictPartly                 // the oldest records were evicted
	EvictAll                    // none is left: the finding is all that remains
)

// String describes the state for people ("" when nothing was evicted).
func (e Eviction) String() string {
	switch e {
	case EvictPartly:
		return "partly evicted"
	case EvictAll:
		return "evicted"
	}
	return ""
}

// Finding is one thing a detection found. Findings are values: the Engine
// hands out copies.
type Finding struct {
	// ID is stable across updates: the detection, its key and the start
	// of the episode (findings of one key far apart in time are apart).
	ID        string
	Detection string
	Severity  Severity
	// Src and Dst are the source and target (invalid when not one
	// address: a sweep's hosts, an interface's gap).
	Src, Dst netip.Addr
	// Port is the destination port, -1 when not one port.
	Port int
	// Proto is the IANA protocol when one (0 otherwise).
	Proto uint8
	// Interface is the interface id of a logging gap.
	Interface string
	// First and Last are the earliest start and the latest end of the
	// records behind the finding (Unix seconds).
	First, Last int64
	// Flows is the number of records behind it; Bytes their bytes.
	Flows, Bytes uint64
	// Rejected counts the REJECT records among them.
	Rejected uint64
	// Distinct is the distinct ports (port-scan) or hosts (port-sweep).
	Distinct int
	// Evidence selects exactly the records behind the finding.
	Evidence filter.Node
	// Summary says what was found in one line: who, then Detail.
	Summary string
	// Detail is Summary without its leading who (the source, the pair or
	// the interface), for tables that show who in columns of their own.
	Detail string
	// Brief is what the finding rests on in at most 11 characters, for
	// narrow screens where Detail does not fit: the ports of a scan, the
	// bytes sent, whether probes got through ("all rej", "12 acc"), which
	// way rejects went ("requests", "replies:ACL"), a spike's peak per
	// bucket ("87/1m"), a gap's span ("lost 1m": SKIPDATA, "idle 12m":
	// NODATA).
	Brief string
	// Evicted says whether the index still holds the evidence.
	Evicted Eviction
	// Changed is the Engine generation that last changed the finding.
	Changed uint64

	minRow, maxRow uint64 // global row ids of the oldest and newest record
}

// say sets Detail and the Summary that puts who before it.
func (f *Finding) say(who, detail string) {
	f.Detail = detail
	f.Summary = who + " " + detail
}

// EvidenceText is the evidence as a filter expression.
func (f *Finding) EvidenceText() string {
	if f.Evidence == nil {
		return ""
	}
	return f.Evidence.String()
}

// Target names what the finding is about for people: the destination
// address (with the port), the interface, or the port swept.
func (f *Finding) Target() string {
	switch {
	case f.Interface != "":
		return f.Interface
	case f.Dst.IsValid() && f.Port >= 0:
		return addrPort(f.Dst, f.Port)
	case f.Dst.IsValid():
		return f.Dst.String()
	case f.Port >= 0:
		return fmt.Sprintf("%d hosts :%d", f.Distinct, f.Port)
	}
	return "-"
}

func addrPort(a netip.Addr, port int) string {
	if a.Is6() {
		return "[" + a.String() + "]:" + strconv.Itoa(port)
	}
	return a.String() + ":" + strconv.Itoa(port)
}

// AppendJSON appends the finding as one JSON object with exactly the keys
// of DESIGN §3: detection, severity, srcaddr, dstaddr, dstport, first,
// last, flows, bytes, evidence, summary. Absent values are null.
func (f *Finding) AppendJSON(b []byte) []byte {
	b = append(b, `{"detection":`...)
	b = model.AppendJSONString(b, f.Detection)
	b = append(b, `,"severity":`...)
	b = model.AppendJSONString(b, f.Severity.String())
	b = append(b, `,"srcaddr":`...)
	b = appendAddr(b, f.Src)
	b = append(b, `,"dstaddr":`...)
	b = appendAddr(b, f.Dst)
	b = append(b, `,"dstport":`...)
	if f.Port < 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(f.Port), 10)
	}
	b = append(b, `,"first":`...)
	b = appendTime(b, f.First)
	b = append(b, `,"last":`...)
	b = appendTime(b, f.Last)
	b = append(b, `,"flows":`...)
	b = strconv.AppendUint(b, f.Flows, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, f.Bytes, 10)
	b = append(b, `,"evidence":`...)
	b = model.AppendJSONString(b, f.EvidenceText())
	b = append(b, `,"summary":`...)
	s := f.Summary
	if e := f.Evicted.String(); e != "" {
		s += " [evidence " + e + " from memory]"
	}
	b = model.AppendJSONString(b, s)
	return append(b, '}')
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, "null"...)
	}
	return model.AppendJSONString(b, a.String())
}

func appendTime(b []byte, t int64) []byte {
	if t <= 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = time.Unix(t, 0).UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// Less orders findings for people: higher severity first, then the most
// recent, then by ID so the order is stable.
func Less(a, b *Finding) bool {
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.Last != b.Last {
		return a.Last > b.Last
	}
	return a.ID < b.ID
}

// fmtDur writes seconds briefly: 45s, 10m, 1h30m, 2d3h.
func fmtDur(sec int64) string {
	if sec <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if sec >= u.n {
			b.WriteString(strconv.FormatInt(sec/u.n, 10))
			b.WriteString(u.name)
			sec %= u.n
		}
	}
	return b.String()
}

// fmtDurTop writes seconds in their largest unit, rounded down: 45s, 10m,
// 1h, 2d (for Brief, where fmtDur's 1h30m would not fit).
func fmtDurTop(sec int64) string {
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if sec >= u.n {
			return strconv.FormatInt(sec/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(max(sec, 0), 10) + "s"
}
