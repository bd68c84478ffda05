package model

import (
	"container/heap"
	"fmt"
	"math"
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
// field (srcaddr/24), or a time bucket of start (minute, hour).
type GroupKey struct {
	Field  Field
	Prefix int   // address fields: prefix length kept (0 = whole address); see ParseGroupKey for IPv6
	Bucket int64 // time keys: bucket size in seconds (Field is FieldStart)
	Name   string
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
		if d := editDistance(s, n); d < bestD {
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

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
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
	Vals []float64
}

// GroupResult is the answer to a GroupQuery.
type GroupResult struct {
	Query  GroupQuery
	Rows   []GroupRow // sorted, at most Query.Top
	Groups int        // distinct groups before the top-N cut
	Totals []float64  // each metric over the whole selection (distinct: over all groups)
	Count  int        // selected rows
}

// keyer turns a row into one key component (0 = absent).
type keyer struct {
	k      GroupKey
	prefix []uint32 // address code -> prefix group id (+1), for Prefix keys
	pvals  []netip.Prefix
	small  int // size of the key space when it is small and dense, else 0
}

func newKeyer(snap *Snapshot, k GroupKey) *keyer {
	ky := &keyer{k: k}
	switch {
	case k.Field.Kind() == KindAddr && k.Prefix > 0:
		ids := map[netip.Prefix]uint32{}
		ky.prefix = make([]uint32, len(snap.Addrs))
		ky.pvals = []netip.Prefix{{}}
		for c, a := range snap.Addrs {
			if c == 0 {
				continue
			}
			bitsN := k.Prefix
			if a.Is6() && !a.Is4In6() && bitsN <= 32 {
				// An IPv4 prefix length on an IPv6 address: scale it to the
				// same share of the address (a /24 of v4 ~ a /64 of v6 is a
				// subnet); use /64 for anything up to /32.
				bitsN = 64
			}
			if bitsN > a.BitLen() {
				bitsN = a.BitLen()
			}
			p, _ := a.Prefix(bitsN)
			id, ok := ids[p]
			if !ok {
				id = uint32(len(ky.pvals))
				ids[p] = id
				ky.pvals = append(ky.pvals, p)
			}
			ky.prefix[c] = id
		}
		ky.small = len(ky.pvals)
	case k.Field.Kind() == KindAddr:
		ky.small = len(snap.Addrs)
	case k.Field.Kind() == KindString:
		ky.small = len(snap.Strings(k.Field))
	case k.Field.Kind() == KindEnum:
		ky.small = len(EnumValues(k.Field)) + 1
	case k.Bucket > 0:
		ky.small = 0
	default:
		if max := fieldInfo[k.Field].Max; max <= 65535 {
			ky.small = int(max) + 2
		}
	}
	return ky
}

// key returns the row's key component; 0 means absent.
func (ky *keyer) key(sg *Seg, i int) uint64 {
	f := ky.k.Field
	switch f.Kind() {
	case KindAddr:
		cs := sg.Codes(f)
		if cs == nil {
			return 0
		}
		if ky.prefix != nil {
			return uint64(ky.prefix[cs[i]])
		}
		return uint64(cs[i])
	case KindString:
		cs := sg.Codes(f)
		if cs == nil {
			return 0
		}
		return uint64(cs[i])
	case KindEnum:
		es := sg.Enum(f)
		if es == nil {
			return 0
		}
		return uint64(es[i])
	}
	v, ok := sg.Uint(f, i)
	if !ok {
		return 0
	}
	if ky.k.Bucket > 0 {
		return uint64(int64(v)/ky.k.Bucket) + 1
	}
	return v + 1
}

func (ky *keyer) value(snap *Snapshot, code uint64) KeyValue {
	if code == 0 {
		return KeyValue{Absent: true, Text: "-"}
	}
	f := ky.k.Field
	switch f.Kind() {
	case KindAddr:
		if ky.prefix != nil {
			p := ky.pvals[code]
			return KeyValue{Text: p.String(), Addr: p}
		}
		a := snap.Addrs[code]
		return KeyValue{Text: a.String(), Addr: netip.PrefixFrom(a, a.BitLen())}
	case KindString:
		return KeyValue{Text: snap.Strings(f)[code]}
	case KindEnum:
		return KeyValue{Text: EnumString(f, uint8(code)), Num: code}
	}
	v := code - 1
	if ky.k.Bucket > 0 {
		v *= uint64(ky.k.Bucket)
		return KeyValue{Text: formatUnix(int64(v)), Num: v}
	}
	return KeyValue{Text: strconv.FormatUint(v, 10), Num: v}
}

// acc accumulates the metrics of one group.
type acc struct {
	count, bytes, packets, rejects uint64
	distinct                       []map[uint64]struct{}
}

// Group runs a group-by over sel (nil = every row of snap).
func Group(snap *Snapshot, sel *Selection, q GroupQuery) (*GroupResult, error) {
	if len(q.Keys) == 0 || len(q.Keys) > 4 {
		return nil, fmt.Errorf("group-by: want 1 to 4 keys, got %d", len(q.Keys))
	}
	if len(q.Metrics) == 0 {
		q.Metrics = []Metric{{Kind: MetricCount, Name: "count"}}
	}
	if q.Sort < 0 || q.Sort >= len(q.Metrics) {
		return nil, fmt.Errorf("group-by: sort metric %d out of range", q.Sort)
	}
	if sel == nil {
		sel = SelectAll(snap)
	}
	keyers := make([]*keyer, len(q.Keys))
	for i, k := range q.Keys {
		keyers[i] = newKeyer(snap, k)
	}
	var distinctFields []Field
	for _, m := range q.Metrics {
		if m.Kind == MetricDistinct {
			distinctFields = append(distinctFields, m.Field)
		}
	}
	needBytes, needPackets := false, false
	for _, m := range q.Metrics {
		needBytes = needBytes || m.Kind == MetricBytes
		needPackets = needPackets || m.Kind == MetricPackets
	}

	var groups []acc
	var keys [][4]uint64
	if len(keyers) == 1 && keyers[0].small > 0 && len(distinctFields) == 0 {
		groups, keys = groupDense(sel, keyers[0], needBytes, needPackets)
	} else {
		groups, keys = groupHash(sel, keyers, distinctFields, needBytes, needPackets)
	}

	res := &GroupResult{Query: q, Count: sel.Count, Totals: make([]float64, len(q.Metrics))}
	idx := make([]int, 0, len(groups))
	var total acc
	for g := range groups {
		if groups[g].count == 0 {
			continue
		}
		idx = append(idx, g)
		total.count += groups[g].count
		total.bytes += groups[g].bytes
		total.packets += groups[g].packets
		total.rejects += groups[g].rejects
	}
	res.Groups = len(idx)
	for mi, m := range q.Metrics {
		if m.Kind == MetricDistinct {
			all := map[uint64]struct{}{}
			di := distinctIndex(q.Metrics, mi)
			for _, g := range idx {
				for v := range groups[g].distinct[di] {
					all[v] = struct{}{}
				}
			}
			res.Totals[mi] = float64(len(all))
			continue
		}
		res.Totals[mi] = metricValue(&total, q.Metrics, mi)
	}

	sortM := q.Sort
	val := func(g int) float64 { return metricValue(&groups[g], q.Metrics, sortM) }
	less := func(a, b int) bool { // a ranks before b
		va, vb := val(a), val(b)
		if va != vb {
			if q.Asc {
				return va < vb
			}
			return va > vb
		}
		return keys[a][0] < keys[b][0] || keys[a][0] == keys[b][0] && keys[a][1] < keys[b][1]
	}
	top := q.Top
	if top <= 0 || top > len(idx) {
		top = len(idx)
	}
	if top < len(idx)/4 {
		idx = topN(idx, top, less)
	} else {
		sort.Slice(idx, func(i, j int) bool { return less(idx[i], idx[j]) })
		idx = idx[:top]
	}
	for _, g := range idx {
		row := GroupRow{Key: make([]KeyValue, len(keyers)), Vals: make([]float64, len(q.Metrics))}
		for k, ky := range keyers {
			row.Key[k] = ky.value(snap, keys[g][k])
		}
		for mi := range q.Metrics {
			row.Vals[mi] = metricValue(&groups[g], q.Metrics, mi)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func distinctIndex(ms []Metric, mi int) int {
	n := 0
	for i := 0; i < mi; i++ {
		if ms[i].Kind == MetricDistinct {
			n++
		}
	}
	return n
}

func metricValue(a *acc, ms []Metric, mi int) float64 {
	switch ms[mi].Kind {
	case MetricCount:
		return float64(a.count)
	case MetricBytes:
		return float64(a.bytes)
	case MetricPackets:
		return float64(a.packets)
	case MetricRejects:
		return float64(a.rejects)
	case MetricRejectRatio:
		if a.count == 0 {
			return 0
		}
		return float64(a.rejects) / float64(a.count)
	case MetricDistinct:
		return float64(len(a.distinct[distinctIndex(ms, mi)]))
	}
	return math.NaN()
}

// rowSums reads bytes, packets and action of row i quickly.
type rowReader struct {
	bytes, packets *NumCol
	action         []uint8
}

func (r *rowReader) reset(sg *Seg) {
	r.bytes, r.packets, r.action = sg.Num(FieldBytes), sg.Num(FieldPackets), sg.Enum(FieldAction)
}

func colSum(c *NumCol, i int) uint64 {
	if c == nil {
		return 0
	}
	v := c.U32[i]
	if v == esc32 {
		return c.overflow(i)
	}
	return uint64(v) // absent rows hold 0
}

// groupDense accumulates one small-key-space key into arrays.
func groupDense(sel *Selection, ky *keyer, needBytes, needPackets bool) ([]acc, [][4]uint64) {
	groups := make([]acc, ky.small)
	var rr rowReader
	for _, ss := range sel.Segs {
		sg := ss.Seg
		rr.reset(sg)
		f := ky.k.Field
		var codes []uint32
		switch {
		case f.Kind() == KindAddr || f.Kind() == KindString:
			codes = sg.Codes(f)
		}
		if codes != nil && ky.prefix == nil && ss.Bits == nil {
			// The hot path: whole segment, dictionary-coded key.
			bytesCol, pktCol, act := rr.bytes, rr.packets, rr.action
			n := sg.N
			codes = codes[:n]
			if needBytes && bytesCol != nil && bytesCol.Over == nil {
				b32 := bytesCol.U32[:n]
				for i, c := range codes {
					g := &groups[c]
					g.count++
					g.bytes += uint64(b32[i])
				}
			} else {
				for i, c := range codes {
					g := &groups[c]
					g.count++
					if needBytes {
						g.bytes += colSum(bytesCol, i)
					}
				}
			}
			if needPackets {
				for i, c := range codes {
					groups[c].packets += colSum(pktCol, i)
				}
			}
			if act != nil {
				for i, c := range codes {
					if act[i] == uint8(ActionReject) {
						groups[c].rejects++
					}
				}
			}
			continue
		}
		ss.ForEach(func(sg *Seg, i int) bool {
			g := &groups[ky.key(sg, i)]
			g.count++
			if needBytes {
				g.bytes += colSum(rr.bytes, i)
			}
			if needPackets {
				g.packets += colSum(rr.packets, i)
			}
			if rr.action != nil && rr.action[i] == uint8(ActionReject) {
				g.rejects++
			}
			return true
		})
	}
	keys := make([][4]uint64, len(groups))
	for i := range keys {
		keys[i][0] = uint64(i)
	}
	return groups, keys
}

// groupHash accumulates any keys through a hash map.
func groupHash(sel *Selection, keyers []*keyer, distinct []Field, needBytes, needPackets bool) ([]acc, [][4]uint64) {
	index := map[[4]uint64]int{}
	var groups []acc
	var keys [][4]uint64
	var rr rowReader
	for _, ss := range sel.Segs {
		rr.reset(ss.Seg)
		ss.ForEach(func(sg *Seg, i int) bool {
			var k [4]uint64
			for j, ky := range keyers {
				k[j] = ky.key(sg, i)
			}
			gi, ok := index[k]
			if !ok {
				gi = len(groups)
				index[k] = gi
				groups = append(groups, acc{})
				keys = append(keys, k)
				if len(distinct) > 0 {
					groups[gi].distinct = make([]map[uint64]struct{}, len(distinct))
					for d := range distinct {
						groups[gi].distinct[d] = map[uint64]struct{}{}
					}
				}
			}
			g := &groups[gi]
			g.count++
			if needBytes {
				g.bytes += colSum(rr.bytes, i)
			}
			if needPackets {
				g.packets += colSum(rr.packets, i)
			}
			if rr.action != nil && rr.action[i] == uint8(ActionReject) {
				g.rejects++
			}
			for d, f := range distinct {
				if v, ok := rowCode(sg, f, i); ok {
					g.distinct[d][v] = struct{}{}
				}
			}
			return true
		})
	}
	return groups, keys
}

// rowCode returns a comparable code for field f of row i (a dictionary code,
// enum code or number), and whether it is present.
func rowCode(sg *Seg, f Field, i int) (uint64, bool) {
	switch f.Kind() {
	case KindAddr, KindString:
		cs := sg.Codes(f)
		if cs == nil || cs[i] == 0 {
			return 0, false
		}
		return uint64(cs[i]), true
	case KindEnum:
		es := sg.Enum(f)
		if es == nil || es[i] == 0 {
			return 0, false
		}
		return uint64(es[i]), true
	}
	return sg.Uint(f, i)
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
			r := &b.ByAction[a]
			r.Flows++
			r.Bytes += colSum(rr.bytes, i)
			r.Packets += colSum(rr.packets, i)
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
