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

// convEntryBytes is the scratch space one part takes in the map (key,
// value and the map's own overhead), for the --max-memory share.
const convEntryBytes = 96

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
	type pairKey struct{ a, b uint32 }
	pairs := make(map[pairKey]*[2]convSums, len(parts)/2+1)
	for k, s := range parts {
		d := pairs[pairKey{k.a, k.b}]
		if d == nil {
			d = new([2]convSums)
			pairs[pairKey{k.a, k.b}] = d
		}
		if k.rev {
			d[1].maxOf(s)
		} else {
			d[0].maxOf(s)
		}
	}
	res := &model.GroupResult{Query: q, Groups: len(pairs), Count: covered.Count, Saturated: make([]bool, len(q.Metrics))}
	// Ranked on small structs; rows (with their key texts) are built for
	// the kept ones only.
	type ranked struct {
		a, b model.KeyValue
		sum  convSums
		val  float64
	}
	var total convSums
	all := make([]ranked, 0, len(pairs))
	for k, d := range pairs {
		sum := d[0]
		sum.add(d[1])
		total.add(sum)
		v, _ := convMetrics(q.Metrics[:1], sum)
		all = append(all, ranked{a: addrKey(snap, k.a), b: addrKey(snap, k.b), sum: sum, val: v[0]})
	}
	pairs = nil
	res.Totals, res.TotalInts = convMetrics(q.Metrics, total)
	slices.SortFunc(all, func(x, y ranked) int {
		if c := cmp.Compare(y.val, x.val); c != 0 {
			if q.Asc {
				return -c
			}
			return c
		}
		return cmp.Or(keyCompare(min2(x.a, x.b), min2(y.a, y.b)), keyCompare(max2(x.a, x.b), max2(y.a, y.b)))
	})
	if q.Metrics[0].Kind == model.MetricRejectRatio { // as dropSmall
		kept := all[:0]
		for _, r := range all {
			if r.sum.flows >= minRatioFlows {
				kept = append(kept, r)
			}
		}
		all = kept
	}
	if q.Top > 0 && len(all) > q.Top {
		all = all[:q.Top]
	}
	rows := make([]model.GroupRow, len(all))
	for i, r := range all {
		rows[i].Key = []model.KeyValue{min2(r.a, r.b), max2(r.a, r.b)} // shown in address order
		rows[i].Vals, rows[i].Ints = convMetrics(q.Metrics, r.sum)
	}
	res.Rows = rows
	return res, covered, nil
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
