package tui

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Conversations: one row per pair of addresses, both directions, each
// flow counted once. A flow between two interfaces of the VPC is logged
// twice (the sender's egress, the receiver's ingress), and its reply
// twice more; summing the records would count its bytes twice. So the
// records are summed per pair, direction and interface, and for each
// direction the interface that saw the most stands for it (the others
// saw the same packets); the two directions are then added. A NAT or a
// load balancer in the path rewrites addresses, so its side of a flow is
// another pair: it is not merged (pkt-srcaddr would tell, when logged).

// reqConv asks the root to show the applied filter's conversations: c in
// Flows opens Groups by conversation (merged) ranked by bytes.
const reqConv = reqWhy + 1

// convState is the Groups question c asks: conversations by bytes.
func convState() groupsState {
	k, _ := indexOf(len(groupKeyChoices), func(i int) string { return groupKeyChoices[i].label }, "conversation")
	m, _ := indexOf(len(groupMetricChoices), func(i int) string { return groupMetricChoices[i].label }, "bytes")
	return groupsState{key: k, metric: m}
}

// convPart is one direction of a pair as one interface logged it: the
// pair by address dictionary code, lower code first (an order that is
// only consistent, which is all a key needs), rev when the records go
// from b to a.
type convPart struct {
	a, b  uint32
	iface uint32
	rev   bool
}

// convSums are the additive metrics of a conversation part.
type convSums struct {
	flows, bytes, packets, rejects uint64
}

// maxOf keeps, metric by metric, the larger of s and o: what the
// busiest interface saw of one direction.
func (s *convSums) maxOf(o convSums) {
	s.flows, s.bytes = max(s.flows, o.flows), max(s.bytes, o.bytes)
	s.packets, s.rejects = max(s.packets, o.packets), max(s.rejects, o.rejects)
}

// add adds o to s (saturating: a hostile sum stops at the largest value).
func (s *convSums) add(o convSums) {
	s.flows, s.bytes = satAdd(s.flows, o.flows), satAdd(s.bytes, o.bytes)
	s.packets, s.rejects = satAdd(s.packets, o.packets), satAdd(s.rejects, o.rejects)
}

func satAdd(a, b uint64) uint64 {
	if c := a + b; c >= a {
		return c
	}
	return 1<<64 - 1
}

// convEntryBytes is the scratch space one part takes, for the
// --max-memory share: in the map 78 to 117 B (key, value and the map's
// own slack, by where the count falls between two growths; measured on
// Go 1.26), then 48 B in the sorted list while the map is still held,
// and a little for the growth the collector has not yet taken back. It
// was 96 (the map alone): 10M records under 512MB peaked at 822 MB.
const convEntryBytes = 176

// mergeable reports whether q can be answered merged: every metric is a
// sum (a distinct count of two directions cannot be merged from their
// parts, so those questions stay directed).
func mergeable(q model.GroupQuery) bool {
	for _, m := range q.Metrics {
		if m.Kind == model.MetricDistinct {
			return false
		}
	}
	return len(q.Keys) == 2 && q.Keys[0].Field == model.FieldSrcAddr && q.Keys[1].Field == model.FieldDstAddr &&
		q.Keys[0].Prefix == 0 && q.Keys[1].Prefix == 0 && q.Keys[0].Label == nil && q.Keys[1].Label == nil
}

// mergeConversations answers q (srcaddr, dstaddr and sums) over sel with
// one row per pair of addresses, both directions, each flow once. It
// reads the newest rows first and stops where the parts would pass the
// scratch space b leaves (capBytes; 0: no cap): the answer then covers
// the newest rows that fit (covered), as groupScratch's does.
func mergeConversations(snap *model.Snapshot, sel *model.Selection, q model.GroupQuery, capBytes int64) (*model.GroupResult, *model.Selection, error) {
	if !mergeable(q) {
		return nil, sel, fmt.Errorf("conversations merge only sums by srcaddr and dstaddr")
	}
	parts := make(map[convPart]convSums)
	read, full := 0, false
	for s := len(sel.Segs) - 1; s >= 0 && !full; s-- {
		ss := &sel.Segs[s]
		sg := ss.Seg
		src, dst := sg.Codes(model.FieldSrcAddr), sg.Codes(model.FieldDstAddr)
		ifc := sg.Codes(model.FieldInterfaceID)
		act := sg.Enum(model.FieldAction)
		for i := sg.N - 1; i >= 0; i-- {
			if !ss.Has(i) {
				continue
			}
			if capBytes > 0 && int64(len(parts)+1)*convEntryBytes > capBytes {
				full = true
				break
			}
			var k convPart
			if src != nil {
				k.a = src[i]
			}
			if dst != nil {
				k.b = dst[i]
			}
			if k.b < k.a {
				k.a, k.b, k.rev = k.b, k.a, true
			}
			if ifc != nil {
				k.iface = ifc[i]
			}
			p := parts[k]
			p.flows++
			if v, ok := sg.Uint(model.FieldBytes, i); ok {
				p.bytes = satAdd(p.bytes, v)
			}
			if v, ok := sg.Uint(model.FieldPackets, i); ok {
				p.packets = satAdd(p.packets, v)
			}
			if act != nil && model.Action(act[i]) == model.ActionReject {
				p.rejects++
			}
			parts[k] = p
			read++
		}
	}
	covered := sel
	if full {
		if read < minPartial {
			return nil, sel, fmt.Errorf("%w: conversations need more than the %s of scratch space --max-memory leaves", model.ErrScratch, model.HumanBytes(uint64(capBytes)))
		}
		covered = sel.Newest(read)
	}
	res := &model.GroupResult{Query: q, Count: covered.Count, Saturated: make([]bool, len(q.Metrics))}
	// The parts go into a slice sorted by pair (the map is let go), so a
	// pair's parts are neighbours: each pair is summed as it is met and
	// offered to the ranking, which keeps the top ones (all of them for
	// an export) on small structs; rows, with their key texts, are built
	// for the kept ones only. Memory: the map and the slice, no more
	// (convEntryBytes counts both).
	list := make([]convPartSums, 0, len(parts))
	for k, s := range parts {
		list = append(list, convPartSums{k, s})
	}
	clear(parts)
	parts = nil
	slices.SortFunc(list, func(x, y convPartSums) int {
		return cmp.Or(cmp.Compare(x.k.a, y.k.a), cmp.Compare(x.k.b, y.k.b))
	})
	rk := convRanking{snap: snap, asc: q.Asc, top: q.Top}
	var total convSums
	ratio := q.Metrics[0].Kind == model.MetricRejectRatio
	for i := 0; i < len(list); {
		a, b := list[i].k.a, list[i].k.b
		var d [2]convSums // the busiest interface's view of each direction
		for ; i < len(list) && list[i].k.a == a && list[i].k.b == b; i++ {
			if list[i].k.rev {
				d[1].maxOf(list[i].s)
			} else {
				d[0].maxOf(list[i].s)
			}
		}
		sum := d[0]
		sum.add(d[1])
		total.add(sum)
		res.Groups++
		if ratio && sum.flows < minRatioFlows { // as dropSmall
			continue
		}
		rk.offer(convRanked{a: a, b: b, sum: sum, val: convValue(q.Metrics[0], sum)})
	}
	list = nil
	res.Totals, res.TotalInts = convMetrics(q.Metrics, total)
	kept := rk.result()
	rows := make([]model.GroupRow, len(kept))
	for i, r := range kept {
		x, y := addrKey(snap, r.a), addrKey(snap, r.b)
		rows[i].Key = []model.KeyValue{min2(x, y), max2(x, y)} // shown in address order
		rows[i].Vals, rows[i].Ints = convMetrics(q.Metrics, r.sum)
	}
	res.Rows = rows
	return res, covered, nil
}

// convPartSums is a part and its sums, in the sorted list.
type convPartSums struct {
	k convPart
	s convSums
}

// convRanked is a pair being ranked: its address codes, sums and value.
type convRanked struct {
	a, b uint32
	sum  convSums
	val  float64
}

// convRanking keeps the top pairs offered (every one when top is 0):
// candidates are kept until there are twice top, then cut back to top,
// so it holds at most 2*top whatever the number of pairs.
type convRanking struct {
	snap *model.Snapshot
	asc  bool
	top  int
	kept []convRanked
}

func (r *convRanking) offer(c convRanked) {
	if r.top > 0 && len(r.kept) >= r.top && r.compare(c, r.kept[r.top-1]) >= 0 {
		return // no better than the last of the top kept at the last cut
	}
	r.kept = append(r.kept, c)
	if r.top > 0 && len(r.kept) >= 2*r.top {
		r.cut()
	}
}

// cut sorts the kept pairs and keeps the top ones.
func (r *convRanking) cut() {
	slices.SortFunc(r.kept, r.compare)
	if r.top > 0 && len(r.kept) > r.top {
		r.kept = r.kept[:r.top]
	}
}

// result returns the top pairs in order.
func (r *convRanking) result() []convRanked {
	r.cut()
	return r.kept
}

// compare ranks by value (largest first unless asc), ties by the pair's
// addresses in address order.
func (r *convRanking) compare(x, y convRanked) int {
	if c := cmp.Compare(y.val, x.val); c != 0 {
		if r.asc {
			return -c
		}
		return c
	}
	xl, xh := r.order(x.a, x.b)
	yl, yh := r.order(y.a, y.b)
	return cmp.Or(r.addrCompare(xl, yl), r.addrCompare(xh, yh))
}

// order returns a pair's codes, the lower address first.
func (r *convRanking) order(a, b uint32) (uint32, uint32) {
	if r.addrCompare(b, a) < 0 {
		return b, a
	}
	return a, b
}

// addrCompare orders address codes as keyCompare orders their key
// values: absent first, then by address.
func (r *convRanking) addrCompare(a, b uint32) int {
	return keyCompare(addrOnly(r.snap, a), addrOnly(r.snap, b))
}

// addrOnly is addrKey without the text: for comparing.
func addrOnly(snap *model.Snapshot, code uint32) model.KeyValue {
	if code == 0 || int(code) >= len(snap.Addrs) || !snap.Addrs[code].IsValid() {
		return model.KeyValue{Absent: true}
	}
	a := snap.Addrs[code]
	return model.KeyValue{Addr: netip.PrefixFrom(a, a.BitLen())}
}

// convValue is the value of metric m for sums s (as convMetrics, for one
// metric, without allocating: it runs once per pair).
func convValue(m model.Metric, s convSums) float64 {
	switch m.Kind {
	case model.MetricCount:
		return float64(s.flows)
	case model.MetricBytes:
		return float64(s.bytes)
	case model.MetricPackets:
		return float64(s.packets)
	case model.MetricRejects:
		return float64(s.rejects)
	case model.MetricRejectRatio:
		if s.flows > 0 {
			return float64(s.rejects) / float64(s.flows)
		}
	}
	return 0
}

// convMetrics computes each metric of ms from a conversation's sums.
func convMetrics(ms []model.Metric, s convSums) ([]float64, []uint64) {
	vals, ints := make([]float64, len(ms)), make([]uint64, len(ms))
	for i, m := range ms {
		switch m.Kind {
		case model.MetricCount:
			ints[i] = s.flows
		case model.MetricBytes:
			ints[i] = s.bytes
		case model.MetricPackets:
			ints[i] = s.packets
		case model.MetricRejects:
			ints[i] = s.rejects
		case model.MetricRejectRatio:
			if s.flows > 0 {
				vals[i] = float64(s.rejects) / float64(s.flows)
			}
			continue
		}
		vals[i] = float64(ints[i])
	}
	return vals, ints
}

// addrKey is the key value of an address dictionary code.
func addrKey(snap *model.Snapshot, code uint32) model.KeyValue {
	if code == 0 || int(code) >= len(snap.Addrs) || !snap.Addrs[code].IsValid() {
		return model.KeyValue{Absent: true, Text: "-"}
	}
	a := snap.Addrs[code]
	return model.KeyValue{Text: a.String(), Addr: netip.PrefixFrom(a, a.BitLen())}
}

// keyCompare orders address key values: absent first, then by address.
func keyCompare(x, y model.KeyValue) int {
	if x.Absent || y.Absent {
		return -cmp.Compare(b2i(x.Absent), b2i(y.Absent))
	}
	return x.Addr.Addr().Compare(y.Addr.Addr())
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// min2 and max2 are the lower and the higher of two address key values.
func min2(x, y model.KeyValue) model.KeyValue {
	if keyCompare(y, x) < 0 {
		return y
	}
	return x
}

func max2(x, y model.KeyValue) model.KeyValue {
	if keyCompare(y, x) < 0 {
		return x
	}
	return y
}

// pairNode is the parsed expression selecting both directions of the
// pair in row: (srcaddr = A and dstaddr = B) or (srcaddr = B and
// dstaddr = A), each side spelt by drillClause.
func pairNode(keys []model.GroupKey, row model.GroupRow) (filter.Node, error) {
	src, dst := drillClause(keys[0], row.Key[0]), drillClause(keys[1], row.Key[1])
	back := drillClause(keys[0], row.Key[1]) + " and " + drillClause(keys[1], row.Key[0])
	return filter.Parse("(" + src + " and " + dst + ") or (" + back + ")")
}
