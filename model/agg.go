package model

import (
	"container/heap"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// fieldAliases are the short names DESIGN §4 gives some fields; group keys
// and metrics accept them as well as the AWS names.
var fieldAliases = map[string]Field{
	"src": FieldSrcAddr, "dst": FieldDstAddr, "sport": FieldSrcPort, "dport": FieldDstPort,
	"proto": FieldProtocol, "eni": FieldInterfaceID, "status": FieldLogStatus, "dir": FieldFlowDirection,
}

// LookupFieldOrAlias is LookupField that also accepts the DESIGN §4
// aliases (src, dst, sport, dport, proto, eni, status, dir).
func LookupFieldOrAlias(name string) (Field, bool) {
	if f, ok := LookupField(name); ok {
		return f, true
	}
	f, ok := fieldAliases[name]
	return f, ok
}

// GroupKey is one group-by key: a field, an address prefix of an address
// field (srcaddr/24), a time bucket of start (minute, hour), or the labels
// a Labeler gives an address or string field (src-name).
type GroupKey struct {
	Field  Field
	Prefix int   // address fields: prefix length kept (0 = whole address); see ParseGroupKey for IPv6
	Bucket int64 // time keys: bucket size in seconds (Field is FieldStart)
	Name   string
	// Label, when set on an address or string field, groups by the label
	// of each value instead of the value; values without a label are
	// absent. The labels are read once per dictionary code, per query.
	Label Labeler
}

// Labeler labels the values of an address or string field: a host's name
// from the VPC configuration, say. "" means the value has no label.
type Labeler interface {
	LabelAddr(a netip.Addr) string
	LabelString(f Field, s string) string
}

// ParseGroupKey reads a key as written on the command line: a field name or
// alias, `FIELD/N` for an address prefix, minute, hour, day, or a bucket of
// start such as 30s, 5m, 1h. An IPv4-sized prefix (N <= 32) groups IPv6
// addresses by their /64 (their subnet), since N bits of an IPv6 address
// would lump whole providers together; N > 32 applies to IPv6 as given and
// caps at /32 for IPv4.
func ParseGroupKey(s string) (GroupKey, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "minute":
		return GroupKey{Field: FieldStart, Bucket: 60, Name: s}, nil
	case "hour":
		return GroupKey{Field: FieldStart, Bucket: 3600, Name: s}, nil
	case "day":
		return GroupKey{Field: FieldStart, Bucket: 86400, Name: s}, nil
	}
	if name, bits, ok := strings.Cut(s, "/"); ok {
		f, found := LookupFieldOrAlias(name)
		if !found || f.Kind() != KindAddr {
			return GroupKey{}, fmt.Errorf("group key %q: a prefix needs an address field (srcaddr, dstaddr, pkt-srcaddr, pkt-dstaddr)", s)
		}
		n, err := strconv.Atoi(bits)
		if err != nil || n < 0 || n > 128 {
			return GroupKey{}, fmt.Errorf("group key %q: prefix length must be 0..128", s)
		}
		return GroupKey{Field: f, Prefix: n, Name: f.String() + "/" + bits}, nil
	}
	if d, err := parseBucket(s); err == nil {
		return GroupKey{Field: FieldStart, Bucket: d, Name: s}, nil
	}
	f, ok := LookupFieldOrAlias(s)
	if !ok {
		return GroupKey{}, fmt.Errorf("group key %q: unknown field%s", s, suggest(s))
	}
	return GroupKey{Field: f, Name: f.String()}, nil
}

// parseBucket reads 30s, 5m, 1h, 1d.
func parseBucket(s string) (int64, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("bad bucket")
	}
	mult := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[s[len(s)-1]]
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if mult == 0 || err != nil || n <= 0 {
		return 0, fmt.Errorf("bad bucket")
	}
	return n * mult, nil
}

// suggest returns " (did you mean X?)" for the closest field name, or "".
func suggest(s string) string {
	best, bestD := "", 4
	try := func(n string) {
		if d := EditDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	for f := Field(1); f < NumFields; f++ {
		try(f.String())
	}
	for a := range fieldAliases {
		try(a)
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// SuggestField returns the known field name or alias closest to s (within
// three edits), or "".
func SuggestField(s string) string {
	m := suggest(s)
	if m == "" {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(m, " (did you mean "), "?)")
}

// EditDistance is the optimal string alignment distance between a and b
// (Levenshtein plus adjacent transpositions, over bytes), for "did you
// mean" hints. Strings over 64 bytes are reported as very far apart.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// MetricKind is what a metric measures.
type MetricKind uint8

// Metric kinds.
const (
	MetricCount       MetricKind = iota // records (flows)
	MetricBytes                         // sum of bytes
	MetricPackets                       // sum of packets
	MetricDistinct                      // distinct values of Metric.Field
	MetricRejects                       // records with action REJECT
	MetricRejectRatio                   // rejects / records, 0..1
)

// Metric is one aggregate column.
type Metric struct {
	Kind  MetricKind
	Field Field // for MetricDistinct
	Name  string
}

// Integral reports whether the metric's values are whole numbers.
func (m Metric) Integral() bool { return m.Kind != MetricRejectRatio }

// ParseMetric reads count (or flows), bytes, packets, rejects,
// reject-ratio or distinct(FIELD).
func ParseMetric(s string) (Metric, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "count", "flows", "records":
		return Metric{Kind: MetricCount, Name: "count"}, nil
	case "bytes":
		return Metric{Kind: MetricBytes, Name: "bytes"}, nil
	case "packets":
		return Metric{Kind: MetricPackets, Name: "packets"}, nil
	case "rejects":
		return Metric{Kind: MetricRejects, Name: "rejects"}, nil
	case "reject-ratio", "reject_ratio":
		return Metric{Kind: MetricRejectRatio, Name: "reject-ratio"}, nil
	}
	if strings.HasPrefix(s, "distinct(") && strings.HasSuffix(s, ")") {
		inner := strings.TrimSpace(s[len("distinct(") : len(s)-1])
		f, ok := LookupFieldOrAlias(inner)
		if !ok {
			return Metric{}, fmt.Errorf("metric %q: unknown field %q%s", s, inner, suggest(inner))
		}
		return Metric{Kind: MetricDistinct, Field: f, Name: "distinct(" + f.String() + ")"}, nil
	}
	return Metric{}, fmt.Errorf("metric %q: want count, bytes, packets, rejects, reject-ratio or distinct(FIELD)", s)
}

// GroupQuery asks for the top groups of a selection.
type GroupQuery struct {
	Keys    []GroupKey // at least one, at most 4
	Metrics []Metric   // at least one
	Sort    int        // index into Metrics to sort by (descending)
	Asc     bool       // sort ascending instead
	Top     int        // keep this many groups (0 = all)
	// MaxScratch caps the scratch space of the group-by in bytes (0: no
	// cap): Group refuses with a ScratchError rather than pass it.
	MaxScratch int64
}

// KeyValue is one key of a group.
type KeyValue struct {
	Absent bool
	Text   string       // as printed: an address, a prefix, a name, a number, a time
	Num    uint64       // numeric keys: the value; time keys: bucket start (Unix seconds)
	Addr   netip.Prefix // address keys (a /32 or /128 without a prefix)
}

// GroupRow is one group: its key values and metric values.
type GroupRow struct {
	Key  []KeyValue
	Vals []float64 // every metric, as a float (rounded above 2^53)
	Ints []uint64  // the exact value of each integral metric (0 for reject-ratio)
}

// GroupResult is the answer to a GroupQuery.
type GroupResult struct {
	Query     GroupQuery
	Rows      []GroupRow // sorted, at most Query.Top
	Groups    int        // distinct groups before the top-N cut
	Totals    []float64  // each metric over the whole selection (distinct: over all groups)
	TotalInts []uint64   // Totals exactly, for integral metrics
	Count     int        // selected rows
	// Saturated says, per metric, that a sum (of a group or the total)
	// reached the largest uint64 and stopped there: the true value is
	// larger. Each counter is at most 2^63-1, so only a few hostile
	// values get there; see Notice.
	Saturated []bool
}

// Notice returns a line saying which sums saturated, or "" when none did:
// what a query or view prints beside an answer that is not exact.
func (r *GroupResult) Notice() string {
	var names []string
	for m, sat := range r.Saturated {
		if sat {
			names = append(names, r.Query.Metrics[m].Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "the sum of " + strings.Join(names, " and ") + " exceeds " + strconv.FormatUint(^uint64(0), 10) + " and is shown as that maximum"
}

// AppendValue appends metric m of the row: exact for integral metrics
// (see AppendMetric).
func (r GroupRow) AppendValue(dst []byte, q GroupQuery, m int) []byte {
	if q.Metrics[m].Integral() && m < len(r.Ints) {
		return strconv.AppendUint(dst, r.Ints[m], 10)
	}
	return AppendMetric(dst, q.Metrics[m], r.Vals[m])
}

// AppendTotal appends metric m over the whole selection, exactly for
// integral metrics.
func (r *GroupResult) AppendTotal(dst []byte, m int) []byte {
	if r.Query.Metrics[m].Integral() && m < len(r.TotalInts) {
		return strconv.AppendUint(dst, r.TotalInts[m], 10)
	}
	return AppendMetric(dst, r.Query.Metrics[m], r.Totals[m])
}

// topN keeps the n best of idx by less, in order, with a bounded heap.
func topN(idx []int, n int, less func(a, b int) bool) []int {
	h := &groupHeap{less: less}
	for _, g := range idx {
		if h.Len() < n {
			heap.Push(h, g)
		} else if less(g, h.items[0]) {
			h.items[0] = g
			heap.Fix(h, 0)
		}
	}
	out := make([]int, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(int)
	}
	return out
}

// groupHeap is a min-heap by rank: the worst kept group on top.
type groupHeap struct {
	items []int
	less  func(a, b int) bool
}

func (h *groupHeap) Len() int           { return len(h.items) }
func (h *groupHeap) Less(i, j int) bool { return h.less(h.items[j], h.items[i]) }
func (h *groupHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *groupHeap) Push(x any)         { h.items = append(h.items, x.(int)) }
func (h *groupHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Series sums the selection into time buckets of the given size (seconds)
// by start time, split by action. Rows without start are skipped.
func Series(snap *Snapshot, sel *Selection, bucket int64) []Bucket {
	if bucket <= 0 {
		bucket = 60
	}
	if sel == nil {
		sel = SelectAll(snap)
	}
	m := map[int64]*Bucket{}
	var rr rowReader
	for _, ss := range sel.Segs {
		rr.reset(ss.Seg)
		ss.ForEach(func(sg *Seg, i int) bool {
			st, ok := sg.Uint(FieldStart, i)
			if !ok {
				return true
			}
			t := int64(st)
			k := t - floorMod(t, bucket)
			b := m[k]
			if b == nil {
				b = &Bucket{Start: k}
				m[k] = b
			}
			a := 0
			if rr.action != nil {
				a = int(rr.action[i])
			}
			b.ByAction[a].addRow(colSum(rr.packets, i), colSum(rr.bytes, i))
			return true
		})
	}
	out := make([]Bucket, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
