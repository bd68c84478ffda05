package detect

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// bstat is what one source's rejects did in one bucket.
type bstat struct {
	n      uint64
	bytes  uint64
	first  int64
	last   int64
	minRow uint64
	maxRow uint64
	dirty  bool // counted since the last touch
}

// statSlab is how many bstats are allocated at once: a pass makes
// hundreds of thousands, one allocation each was a tenth of the
// detection's time.
const statSlab = 1024

// dirtyStat is a count touched since the last settle, and its key.
type dirtyStat struct {
	k  uint64
	bs *bstat
}

// spikeEp is one run of consecutive spiking buckets of one source.
type spikeEp struct {
	src      uint32
	b0, b1   int64
	peak     uint64
	baseline float64 // the baseline when the run started
	changed  bool
	gone     bool
	fid      string
}

// spike runs rejects-spike: per source, rejects per bucket against the
// mean of the source's own earlier buckets.
type spike struct {
	spec   *Spec
	v      values
	rows   filter.Node
	bucket int64
	hist   int64

	seen    []int64           // by address code: the first start of anything the source sent, +1 (0: never)
	cnt     map[uint64]*bstat // src<<32 | bucket
	eps     map[uint32][]*spikeEp
	dirty   []dirtyStat // counted since the last touch
	slab    []bstat     // where new bstats come from
	maxB    int64
	rows0   uint64 // rows counted since the last prune
	removed []string
	snap    *model.Snapshot
}

func newSpike(s *Spec, v values, rows filter.Node) *spike {
	b := v.dur("bucket")
	if b < 1 {
		b = 60
	}
	return &spike{spec: s, v: v, rows: rows, bucket: b, hist: int64(v.n("history")),
		cnt: map[uint64]*bstat{}, eps: map[uint32][]*spikeEp{}}
}

func spKey(src uint32, b int64) uint64 { return uint64(src)<<32 | uint64(uint32(b)) }

// activity records, for every row from global row from on, that its
// source was seen in its bucket: a source's history starts there.
func (s *spike) activity(snap *model.Snapshot, from uint64) {
	if n := len(snap.Addrs); n > len(s.seen) {
		s.seen = append(s.seen, make([]int64, n-len(s.seen))...)
	}
	for _, sg := range snap.Segs {
		if sg.Base+uint64(sg.N) <= from {
			continue
		}
		src := sg.Codes(model.FieldSrcAddr)
		st := sg.Num(model.FieldStart)
		if src == nil || st == nil || st.U32 == nil {
			continue
		}
		lo := 0
		if from > sg.Base {
			lo = int(from - sg.Base)
		}
		seen, starts := s.seen, st.U32[:sg.N]
		for i := lo; i < sg.N; i++ {
			c := src[i]
			if c == 0 {
				continue
			}
			t := int64(starts[i]) + 1
			if cur := seen[c]; cur == 0 || t < cur {
				seen[c] = t
			}
		}
	}
}

// lateRecords is 0: the spike's buckets are kept whole, nothing is
// released.
func (s *spike) lateRecords() uint64 { return 0 }

func (s *spike) process(snap *model.Snapshot, sel *model.Selection, from uint64, _ *clock) {
	s.snap = snap
	s.activity(snap, from)
	newRows(sel, from, func(c *cols, i int) {
		src := code(c.src, i)
		st := c.startTime(i)
		b := floorDiv(st, s.bucket)
		k := spKey(src, b)
		bs := s.cnt[k]
		if bs == nil {
			if len(s.slab) == 0 {
				s.slab = make([]bstat, statSlab)
			}
			bs = &s.slab[0]
			s.slab = s.slab[1:]
			*bs = bstat{first: st, last: st, minRow: 1<<64 - 1}
			s.cnt[k] = bs
		}
		row := c.sg.Base + uint64(i)
		bs.n++
		bs.bytes += c.byteCount(i)
		bs.first = min(bs.first, st)
		bs.last = max(bs.last, c.endTime(i))
		bs.minRow, bs.maxRow = min(bs.minRow, row), max(bs.maxRow, row)
		if !bs.dirty {
			bs.dirty = true
			s.dirty = append(s.dirty, dirtyStat{k, bs})
		}
		if b > s.maxB {
			s.maxB = b
		}
		s.rows0++
	})
	// In key order: the order runs of one source meet in decides which
	// one's ID the merged run keeps (it was a map's order, which varies).
	slices.SortFunc(s.dirty, func(a, b dirtyStat) int { return cmp.Compare(a.k, b.k) })
	for _, d := range s.dirty {
		d.bs.dirty = false
		s.touch(uint32(d.k>>32), s.bucketOf(d.k), d.bs)
	}
	s.dirty = s.dirty[:0]
	if s.rows0 > pruneRows {
		s.prune()
		s.rows0 = 0
	}
}

// bucketOf recovers the bucket of a count key (buckets are stored as
// uint32: seconds since 1970 divided by the bucket width).
func (s *spike) bucketOf(k uint64) int64 { return int64(uint32(k)) }

// baseline is the rate of src's rejects before bucket b, as rejects per
// bucket: over at most history buckets, only since the source was first
// seen (its first bucket is usually partial), and ending one bucket before
// b, so that a spike that began late in the previous bucket does not lift
// its own baseline. It reports false when the source was seen for less
// than half a bucket before that.
func (s *spike) baseline(src uint32, b int64) (float64, bool) {
	if int(src) >= len(s.seen) || s.seen[src] == 0 {
		return 0, false
	}
	first := s.seen[src] - 1
	end := b - 1 // the baseline's buckets end before this one
	from := max(first, (end-s.hist)*s.bucket)
	observed := end*s.bucket - from
	if observed*2 < s.bucket {
		return 0, false
	}
	var sum uint64
	for x := floorDiv(from, s.bucket); x < end; x++ {
		if bs := s.cnt[spKey(src, x)]; bs != nil {
			sum += bs.n
		}
	}
	return float64(sum) / float64(observed) * float64(s.bucket), true
}

func (s *spike) touch(src uint32, b int64, bs *bstat) {
	for _, e := range s.eps[src] {
		if e.b0 <= b && b <= e.b1 {
			e.changed = true
			e.peak = max(e.peak, bs.n)
			return
		}
	}
	if float64(bs.n) < s.v.n("min-rejects") {
		return
	}
	base, ok := s.baseline(src, b)
	if !ok || float64(bs.n) < s.v.n("factor")*base {
		return
	}
	var e *spikeEp
	kept := s.eps[src][:0]
	for _, o := range s.eps[src] {
		if o.b1+1 < b || b+1 < o.b0 {
			kept = append(kept, o)
			continue
		}
		if e == nil {
			e = o
			kept = append(kept, o)
			continue
		}
		e.b0, e.b1, e.peak = min(e.b0, o.b0), max(e.b1, o.b1), max(e.peak, o.peak)
		o.gone = true
		s.removed = append(s.removed, o.fid)
	}
	if e == nil {
		e = &spikeEp{src: src, b0: b, b1: b, baseline: base,
			fid: fmt.Sprintf("%s/%x/%d", s.spec.Name, src, b)}
		kept = append(kept, e)
	}
	s.eps[src] = kept
	e.b0, e.b1 = min(e.b0, b), max(e.b1, b)
	e.peak = max(e.peak, bs.n)
	e.changed = true
}

// prune drops counts too old to be anyone's baseline, except those
// inside a run (its totals are summed from them).
func (s *spike) prune() {
	for k := range s.cnt {
		b := s.bucketOf(k)
		if b >= s.maxB-s.hist-2 {
			continue
		}
		keep := false
		for _, e := range s.eps[uint32(k>>32)] {
			if e.b0 <= b && b <= e.b1 {
				keep = true
			}
		}
		if !keep {
			delete(s.cnt, k)
		}
	}
}

func (s *spike) changedFindings() ([]*Finding, []string) {
	var out []*Finding
	srcs := make([]uint32, 0, len(s.eps))
	for src := range s.eps {
		srcs = append(srcs, src)
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i] < srcs[j] })
	for _, src := range srcs {
		for _, e := range s.eps[src] {
			if e.changed && !e.gone {
				e.changed = false
				out = append(out, s.finding(e))
			}
		}
	}
	rm := s.removed
	s.removed = nil
	return out, rm
}

func (s *spike) finding(e *spikeEp) *Finding {
	var a netip.Addr
	if int(e.src) < len(s.snap.Addrs) {
		a = s.snap.Addrs[e.src]
	}
	f := &Finding{ID: e.fid, Detection: s.spec.Name, Src: a, Port: -1, First: 1<<62 - 1, minRow: 1<<64 - 1}
	for b := e.b0; b <= e.b1; b++ {
		if bs := s.cnt[spKey(e.src, b)]; bs != nil {
			f.Flows += bs.n
			f.Bytes += bs.bytes
			f.First, f.Last = min(f.First, bs.first), max(f.Last, bs.last)
			f.minRow, f.maxRow = min(f.minRow, bs.minRow), max(f.maxRow, bs.maxRow)
		}
	}
	f.Rejected = f.Flows
	f.Severity = SevMedium
	if float64(e.peak) >= s.v.n("high-rejects") {
		f.Severity = SevHigh
	}
	width := fmtDur(s.bucket)
	f.Brief = model.HumanCount(e.peak) + "/" + fmtDurTop(s.bucket)
	f.say(a.String(), fmt.Sprintf("was rejected %s times in %d bucket(s) of %s from %s (at most %s in one), against %.1f a bucket before",
		model.HumanCount(f.Flows), e.b1-e.b0+1, width, time.Unix(e.b0*s.bucket, 0).UTC().Format("15:04:05Z"),
		model.HumanCount(e.peak), e.baseline))
	f.Evidence = and(append([]filter.Node{implied(s.rows, facts{src: a}), eqAddr(model.FieldSrcAddr, a)}, timeRange(e.b0*s.bucket, (e.b1+1)*s.bucket)...)...)
	return f
}
