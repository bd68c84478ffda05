package model

import (
	"bytes"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Format inference. Firehose, CloudWatch Logs and many piped files carry no
// header line, and a custom format shifts every field, so when neither a
// header nor --log-format says what the columns are, InferFormat reads
// them off the first lines: the field count, and the shape of each value
// (a version, a 12-digit account id, eni-, vpc-, subnet-, i- ids,
// addresses, ports, epoch times, ACCEPT/REJECT, OK/NODATA/SKIPDATA,
// ingress/egress, ...).
//
// Every column is matched against every known field; an assignment of
// distinct fields to columns must fit every sampled line but a few (those
// are left for the parser to reject), keep end >= start and bytes >=
// packets on each line, and, when a version column is present, use only
// fields of that version or older and at least one of that version (the
// version of a custom format is its newest field's). Among the
// assignments that fit, the one whose values are most typical wins (a
// protocol column of 6, 17 and 1 rather than 18, 3 and 42). Columns that
// are "-" on every sampled line are told only when the format's version
// leaves exactly as many fields as such columns.
//
// What values cannot tell apart is settled by AWS's own order, which the
// console and most formats keep: srcaddr, dstaddr, pkt-srcaddr and
// pkt-dstaddr; srcport and dstport; the two aws-service fields; the two
// ECS container ids; the two 32-hex ECS ids; the ECS cluster and service
// names; and start/end or packets/bytes when no line tells which is
// larger. Anything else that stays open (two readings that fit as well,
// or "-" columns that could be several fields) is refused, with a hint to
// pass --log-format, rather than guessed.

// Inference is what InferFormat made of a sample.
type Inference struct {
	Format *Format // nil when the format could not be told
	Lines  int     // sample lines looked at
	// Desc says what was inferred ("the default format (v2, 14 fields)"),
	// or why nothing was, with a --log-format hint.
	Desc string
}

// FormatNote is one outcome of format inference on a source's objects.
type FormatNote struct {
	// Desc is what was inferred ("inferred the default format (v2, 14
	// fields) from 64 lines"), or why nothing was, with a --log-format hint.
	Desc    string
	Format  *Format // the format inferred (nil: the lines were rejected)
	Objects int     // objects with this outcome
	Object  string  // the first of them
}

// maxFormatNotes bounds the outcomes a source keeps.
const maxFormatNotes = 8

// noteFormat records an inference outcome for object (on the committer).
func (s *SourceStats) noteFormat(object string, inf *Inference) {
	for i := range s.Formats {
		n := &s.Formats[i]
		if inf.Format != nil && n.Format != nil && n.Format.Equal(inf.Format) || inf.Format == nil && n.Format == nil && n.Desc == inf.Desc {
			n.Objects++
			return
		}
	}
	if len(s.Formats) < maxFormatNotes {
		s.Formats = append(s.Formats, FormatNote{Desc: inf.Desc, Format: inf.Format, Objects: 1, Object: object})
	}
}

// InferSampleLines is how many lines InferFormat looks at, at most.
const InferSampleLines = 64

// inferMisfitCost is what one sample line that an assignment leaves
// unexplained costs, against the few points of an unusual value.
const inferMisfitCost = 4

// inferMaxNodes bounds the search; a sample that needs more is refused.
const inferMaxNodes = 400_000

// InferFormat infers the format of headerless flow-log lines from a
// sample (blank and header lines are skipped; at most InferSampleLines
// are used). It allocates, and is meant to run once per object.
func InferFormat(lines [][]byte) Inference {
	var sample [][][]byte
	for _, l := range lines {
		l = bytes.TrimRight(l, "\r\n")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if IsHeaderLine(l) {
			break // what follows is in the header's format
		}
		sample = append(sample, bytes.Fields(l))
		if len(sample) == InferSampleLines {
			break
		}
	}
	inf, defaultTies, noneFits := inferSample(sample)
	if inf.Format == nil && (defaultTies || defaultCount(sample) && (noneFits || defaultReads(lines))) {
		// The default format is what AWS writes without a custom one, and
		// what flowlens assumed before there was inference: when it reads
		// the lines, it is used, and the note says the sample alone could
		// not tell.
		why := strings.TrimSuffix(strings.TrimPrefix(inf.Desc, "could not infer the format from "), "; pass --log-format '${version} ${srcaddr} ...'")
		inf.Format = DefaultFormat
		inf.Desc = "assumed the default format (v2, 14 fields), as the lines have its field count but do not tell (" +
			why + "); pass --log-format if it is another"
	}
	return inf
}

// When the sample cannot tell, the default format stands for lines of its
// field count that it reads, or that nothing reads (junk, which the parser
// then rejects naming the field at fault rather than as of an unknown
// format): as it did before there was inference.

// defaultCount reports whether most sample lines have 14 fields.
func defaultCount(sample [][][]byte) bool {
	n := 0
	for _, toks := range sample {
		if len(toks) == DefaultFormat.Len() {
			n++
		}
	}
	return 2*n > len(sample)
}

// defaultReads reports whether the default format's parser reads at least
// half the (non-blank, pre-header) lines.
func defaultReads(lines [][]byte) bool {
	p := NewParser(DefaultFormat)
	var rec Record
	ok, n := 0, 0
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if IsHeaderLine(l) || n == InferSampleLines {
			break
		}
		n++
		if k, _ := p.parse(l, &rec, false); k == LineRecord {
			ok++
		}
	}
	return n > 0 && 2*ok >= n
}

// inferSample infers the format of tokenized sample lines. When it
// cannot tell, defaultTies says whether the default format is one of the
// readings that fit best, and noneFits that no reading fits.
func inferSample(sample [][][]byte) (inf Inference, defaultTies, noneFits bool) {
	inf = Inference{Lines: len(sample)}
	fail := func(format string, args ...any) (Inference, bool, bool) {
		inf.Desc = fmt.Sprintf("could not infer the format from %d line%s: %s; pass --log-format '${version} ${srcaddr} ...'",
			inf.Lines, plural(inf.Lines), fmt.Sprintf(format, args...))
		return inf, false, false
	}

	if len(sample) == 0 {
		return fail("no data lines")
	}
	// The field count: all lines but a few must agree.
	counts := map[int]int{}
	for _, toks := range sample {
		counts[len(toks)]++
	}
	k, most := 0, 0
	for c, n := range counts {
		if n > most || n == most && c < k {
			k, most = c, n
		}
	}
	tol := len(sample) / 5
	if len(sample)-most > tol {
		var cs []string
		for c := range counts {
			cs = append(cs, strconv.Itoa(c))
		}
		sort.Strings(cs)
		return fail("the lines have different field counts (%s)", strings.Join(cs, ", "))
	}
	if k > int(NumFields)-1 {
		return fail("%d fields, more than the %d known", k, NumFields-1)
	}
	var rows [][][]byte
	for _, toks := range sample {
		if len(toks) == k {
			rows = append(rows, toks)
		}
	}
	s := newInferSearch(rows, k, tol-(len(sample)-most))
	tie := func(a, b *inferSol) (Inference, bool, bool) {
		inf, _, _ = fail("%s", s.explain(a, b))
		for _, sol := range s.sols {
			if !sol.undetermined && sol.isDefault() {
				return inf, true, false
			}
		}
		return inf, false, false
	}
	if c := s.unfit(); c >= 0 {
		inf, _, _ := fail("column %d (%q) fits no known field", c+1, s.example(c))
		return inf, false, true
	}
	s.run()
	switch {
	case s.nodes > inferMaxNodes:
		return fail("too many ways to read %d columns", k)
	case len(s.sols) == 0:
		inf, _, _ := fail("no set of known fields fits all %d columns", k)
		return inf, false, true
	}
	best := s.sols[0]
	if best.undetermined {
		return tie(best, best)
	}
	// Readings as good as the best must use the same fields, and differ
	// only in columns whose values are the same on every line (start and
	// end, packets and bytes that no line tells apart): then AWS's order
	// decides, and the sample reads the same either way.
	for _, sol := range s.sols[1:] {
		if sol.undetermined || sol.set != best.set || !s.sameReading(best, sol) {
			return tie(best, sol)
		}
		if sol.inversions < best.inversions {
			best = sol
		}
	}
	names := make([]string, k)
	for c, f := range best.fields {
		names[c] = f.String()
	}
	f, err := internFormat(names)
	if err != nil {
		return fail("%v", err)
	}
	inf.Format = f
	inf.Desc = fmt.Sprintf("inferred %s from %d line%s", DescribeFormat(f), inf.Lines, plural(inf.Lines))
	return inf, false, false
}

// inferred holds the formats inference has built, by header, so that
// every object of one format shares one *Format (the default is
// DefaultFormat itself).
var inferred = struct {
	sync.Mutex
	m map[string]*Format
}{m: map[string]*Format{DefaultFormat.Header(): DefaultFormat}}

func internFormat(names []string) (*Format, error) {
	key := strings.Join(names, " ")
	inferred.Lock()
	defer inferred.Unlock()
	if f := inferred.m[key]; f != nil {
		return f, nil
	}
	f, err := newFormat(names)
	if err == nil {
		inferred.m[key] = f
	}
	return f, err
}

// isDefault reports whether the reading is the default format.
func (sol *inferSol) isDefault() bool {
	if len(sol.fields) != DefaultFormat.Len() {
		return false
	}
	for i, f := range sol.fields {
		if f != DefaultFormat.Fields[i] {
			return false
		}
	}
	return true
}

// DescribeFormat names a format for people: "the default format (v2, 14
// fields)", "all fields through v5 (29 fields)", or "a custom format (v3,
// 21 fields: version vpc-id ...)".
func DescribeFormat(f *Format) string {
	if f.Equal(DefaultFormat) {
		return "the default format (v2, 14 fields)"
	}
	v := 0
	for _, fld := range f.Fields {
		if fld != FieldUnknown && int(fld.Info().Version) > v {
			v = int(fld.Info().Version)
		}
	}
	all := true
	for i, fld := range f.Fields {
		if fld != Field(i+1) {
			all = false
			break
		}
	}
	if all && (len(f.Fields) == int(NumFields)-1 || Field(len(f.Fields)+1).Info().Version > uint8(v)) {
		return fmt.Sprintf("all fields through v%d (%d fields)", v, len(f.Fields))
	}
	return fmt.Sprintf("a custom format (v%d, %d fields: %s)", v, len(f.Fields), f.Header())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// inferCand is a field a column may be: the lines where its value fits
// (dashes included) and how unusual its values would be.
type inferCand struct {
	f    Field
	fit  uint64
	cost int // value cost; misfit rows are counted by the search
}

type inferCol struct {
	toks  [][]byte // per sample row
	dash  uint64
	cands []inferCand
	min   int // cost of the cheapest candidate

	ingress  uint64   // rows that read "ingress"
	distinct []string // the column's values but "-", each once
	tokIdx   []int    // per row: its value's index in distinct (-1 for "-")
	fields   []uint64 // per distinct value: the fields it fits (bit per Field)
}

// classify finds, once per distinct value, the fields it fits.
func (col *inferCol) classify(v10 bool) {
	seen := map[string]int{}
	col.tokIdx = make([]int, len(col.toks))
	for r, t := range col.toks {
		if col.dash&(1<<r) != 0 {
			col.tokIdx[r] = -1
			continue
		}
		i, ok := seen[string(t)]
		if !ok {
			i = len(col.distinct)
			seen[string(t)] = i
			col.distinct = append(col.distinct, string(t))
			var m uint64
			for f := Field(2); f < NumFields; f++ { // the version is judged per column
				if (v10 || f.Info().Version < 10) && fieldFits(f, t) {
					m |= 1 << f
				}
			}
			col.fields = append(col.fields, m)
		}
		col.tokIdx[r] = i
	}
}

// inferSol is one complete reading.
type inferSol struct {
	fields       []Field // per column
	set          uint64  // the fields used
	undetermined bool    // "-" columns that could be several fields
	dashCols     []int
	open         []Field // what the "-" columns could be, when undetermined
	cost         int
	inversions   int
}

type inferSearch struct {
	rows   [][][]byte
	n      int    // rows
	all    uint64 // mask of every row
	need   int    // rows an assignment must fit
	cols   []*inferCol
	order  []int // data columns, in search order
	dashes []int // columns that are "-" on every row

	// search state
	assign  []Field
	used    uint64
	version int // the version column's value, -1 while unassigned
	nodes   int
	best    int
	// tied: readings of different fields share the best cost so far
	tied bool
	// mayBeV10: a column may be the version and say 10, so the unconfirmed
	// v10 fields stay candidates until the version is assigned.
	mayBeV10 bool
	// versionable: some column could be the version
	versionable bool
	sols        []*inferSol
	relCache    map[[3]int]uint64
}

// margin is how close to the best a reading must come to count as a tie.
// Each column's value cost is capped (maxValueCost), so that values that
// are unusual for every reading (random ports, say) do not decide by
// chance: such readings tie, and are refused.
func (s *inferSearch) margin() int { return 0 }

// maxValueCost caps how unusual one column's values can count.
const maxValueCost = 3

// inferRelationCost is what a row that breaks a relation between two
// columns costs a reading.
const inferRelationCost = 2

// inferDefaultPrior is what any reading of 14 columns other than the
// default format costs: the default is what AWS writes unless told
// otherwise, so another reading must be clearly better to win.
const inferDefaultPrior = 3

func newInferSearch(rows [][][]byte, k, tol int) *inferSearch {
	n := len(rows)
	s := &inferSearch{rows: rows, n: n, need: n - max(tol, 0), cols: make([]*inferCol, k),
		assign: make([]Field, k), version: -1, best: 1 << 30, relCache: map[[3]int]uint64{}}
	if n < 64 {
		s.all = 1<<n - 1
	} else {
		s.all = ^uint64(0)
	}
	// the unconfirmed v10 fields are candidates only if a column could
	// be a version that says 10
	for c := 0; c < k && !s.mayBeV10; c++ {
		ten := 0
		for _, toks := range rows {
			if string(toks[c]) == "10" {
				ten++
			}
		}
		s.mayBeV10 = ten > 0 && ten >= s.need
	}
	for c := 0; c < k; c++ {
		col := &inferCol{toks: make([][]byte, n)}
		for r, toks := range rows {
			col.toks[r] = toks[c]
			if len(toks[c]) == 1 && toks[c][0] == '-' {
				col.dash |= 1 << r
			}
			if bytes.EqualFold(toks[c], []byte("ingress")) {
				col.ingress |= 1 << r
			}
		}
		s.cols[c] = col
		if col.dash == s.all {
			s.dashes = append(s.dashes, c)
			continue
		}
		col.classify(s.mayBeV10)
		for f := Field(1); f < NumFields; f++ {
			if f.Info().Version >= 10 && !s.mayBeV10 {
				continue
			}
			if cand, ok := s.candidate(col, f); ok {
				col.cands = append(col.cands, cand)
			}
		}
		sort.SliceStable(col.cands, func(i, j int) bool { return col.cands[i].cost < col.cands[j].cost })
		if len(col.cands) > 0 {
			col.min = col.cands[0].cost
		}
		s.order = append(s.order, c)
	}
	// Most constrained first; columns that may be the version before the
	// rest, so the version bound prunes early.
	canVersion := func(c int) bool {
		for _, cd := range s.cols[c].cands {
			if cd.f == FieldVersion {
				return true
			}
		}
		return false
	}
	for _, c := range s.order {
		s.versionable = s.versionable || canVersion(c)
	}
	sort.SliceStable(s.order, func(i, j int) bool {
		a, b := s.order[i], s.order[j]
		if va, vb := canVersion(a), canVersion(b); va != vb {
			return va
		}
		return len(s.cols[a].cands) < len(s.cols[b].cands)
	})
	return s
}

// unfit returns a data column that fits no field, or -1.
func (s *inferSearch) unfit() int {
	for c, col := range s.cols {
		if col.dash != s.all && len(col.cands) == 0 {
			return c
		}
	}
	return -1
}

// example returns a non-dash value of column c.
func (s *inferSearch) example(c int) string {
	for _, t := range s.cols[c].toks {
		if !(len(t) == 1 && t[0] == '-') {
			return string(t)
		}
	}
	return "-"
}

// candidate matches column col against field f.
func (s *inferSearch) candidate(col *inferCol, f Field) (inferCand, bool) {
	cand := inferCand{f: f}
	if f == FieldVersion {
		// one value on every line (bar misfits), a version that exists
		votes := map[string]int{}
		for r, t := range col.toks {
			if col.dash&(1<<r) == 0 {
				votes[string(t)]++
			}
		}
		mode, most := "", 0
		for v, n := range votes {
			if n > most || n == most && v < mode {
				mode, most = v, n
			}
		}
		switch mode {
		case "2", "3", "4", "5", "7", "8", "10":
		default:
			return cand, false
		}
		for r, t := range col.toks {
			if string(t) == mode {
				cand.fit |= 1 << r
			}
		}
	} else {
		for r, i := range col.tokIdx {
			if i < 0 || col.fields[i]&(1<<f) != 0 {
				cand.fit |= 1 << r
			}
		}
	}
	fits := bits.OnesCount64(cand.fit)
	if fits < s.need {
		return cand, false
	}
	var vals []string
	for i, v := range col.distinct {
		if f == FieldVersion || col.fields[i]&(1<<f) != 0 {
			vals = append(vals, v)
		}
	}
	cand.cost = min(valueCost(f, vals), maxValueCost)
	return cand, true
}

// run searches every reading, keeping those within the margin of the
// cheapest.
func (s *inferSearch) run() {
	s.step(0, s.all, 0)
	kept := s.sols[:0]
	for _, sol := range s.sols {
		if sol.cost <= s.best+s.margin() {
			kept = append(kept, sol)
		}
	}
	s.sols = kept
	sort.SliceStable(s.sols, func(i, j int) bool { return s.sols[i].cost < s.sols[j].cost })
}

// step assigns the data column s.order[i]. mask holds the rows every
// assignment so far fits; vcost sums their value costs.
func (s *inferSearch) step(i int, mask uint64, vcost int) {
	s.nodes++
	if s.nodes > inferMaxNodes {
		return
	}
	cost := vcost + (s.n-bits.OnesCount64(mask))*inferMisfitCost
	lb := cost
	for _, c := range s.order[i:] {
		lb += s.cols[c].min
	}
	if lb > s.best+s.margin() || s.tied && lb >= s.best {
		return
	}
	if i == len(s.order) {
		s.leaf(cost)
		return
	}
	c := s.order[i]
	for _, cd := range s.cols[c].cands {
		f := cd.f
		if s.used&(1<<f) != 0 {
			continue
		}
		if f.Info().Version >= 10 && (s.version >= 0 && s.version < 10 || s.version < 0 && !s.mayBeV10) {
			continue // unconfirmed fields only where the version says so
		}
		if f == FieldVersion {
			v := versionOf(s.cols[c], cd.fit)
			if s.newestAssigned() > v {
				continue
			}
			s.version = v
		}
		if s.allowed(c, f) {
			if m := mask & cd.fit; bits.OnesCount64(m) >= s.need {
				// rows that break end >= start, bytes >= packets or
				// traffic-path "-" on ingress cost, without ruling the
				// reading out: made-up and odd data break them too
				broken := bits.OnesCount64(m &^ s.relations(c, f))
				s.assign[c] = f
				s.used |= 1 << f
				s.step(i+1, m, vcost+cd.cost+broken*inferRelationCost)
				s.used &^= 1 << f
				s.assign[c] = FieldUnknown
			}
		}
		if f == FieldVersion {
			s.version = -1
		}
	}
}

// newestAssigned returns the newest version among the fields assigned.
func (s *inferSearch) newestAssigned() int {
	v := 0
	for _, f := range s.assign {
		if f != FieldUnknown && int(f.Info().Version) > v {
			v = int(f.Info().Version)
		}
	}
	return v
}

// allowed checks field f for column c against the version bound and the
// order of look-alike fields.
func (s *inferSearch) allowed(c int, f Field) bool {
	if s.version >= 0 && int(f.Info().Version) > s.version {
		return false
	}
	if g := lookAlike[f]; g != 0 {
		for c2, f2 := range s.assign {
			if f2 == FieldUnknown || lookAlike[f2] != g {
				continue
			}
			if (c2 < c) != (f2 < f) {
				return false
			}
		}
	}
	return true
}

// relations returns the rows on which field f in column c keeps end >=
// start and bytes >= packets with the columns assigned so far.
func (s *inferSearch) relations(c int, f Field) uint64 {
	var partner Field
	switch f {
	case FieldTrafficPath, FieldFlowDirection:
		return s.egressOnly(c, f)
	case FieldStart:
		partner = FieldEnd
	case FieldEnd:
		partner = FieldStart
	case FieldPackets:
		partner = FieldBytes
	case FieldBytes:
		partner = FieldPackets
	default:
		return s.all
	}
	for c2, f2 := range s.assign {
		if f2 != partner {
			continue
		}
		lo, hi := c, c2 // lo must be <= hi
		if f == FieldEnd || f == FieldBytes {
			lo, hi = c2, c
		}
		key := [3]int{lo, hi, int(f)}
		if m, ok := s.relCache[key]; ok {
			return m
		}
		var m uint64
		for r := 0; r < s.n; r++ {
			a, aok := inferUint(s.cols[lo].toks[r])
			b, bok := inferUint(s.cols[hi].toks[r])
			if !aok || !bok || a <= b {
				m |= 1 << r
			}
		}
		s.relCache[key] = m
		return m
	}
	return s.all
}

// inferNoVersionCost is what a reading without a version column costs when
// a column looks like one: formats almost always start with the version.
const inferNoVersionCost = 2

// addressCost prefers srcaddr and dstaddr to the packet-level addresses
// (formats hold the plain pair first, the packet-level one as well), and
// a packet-level address column to match its plain one on most lines, as
// it does except behind NAT and transit gateways.
func (s *inferSearch) addressCost(fields []Field) int {
	col := map[Field]int{}
	for c, f := range fields {
		switch f {
		case FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr:
			col[f] = c
		}
	}
	cost := 0
	for _, pair := range [][2]Field{{FieldSrcAddr, FieldPktSrcAddr}, {FieldDstAddr, FieldPktDstAddr}} {
		plain, okp := col[pair[0]]
		pkt, okk := col[pair[1]]
		switch {
		case okk && !okp:
			cost++
		case okk && okp:
			same, both := 0, 0
			for r := 0; r < s.n; r++ {
				a, b := s.cols[plain].toks[r], s.cols[pkt].toks[r]
				if len(a) == 1 && a[0] == '-' || len(b) == 1 && b[0] == '-' {
					continue
				}
				both++
				if bytes.Equal(a, b) {
					same++
				}
			}
			if 2*same < both {
				cost += 2
			}
		}
	}
	return cost
}

// halfPairs costs a reading one point for packets without bytes (or the
// reverse) and start without end: formats hold them together.
func halfPairs(set uint64) int {
	cost := 0
	for _, p := range [][2]Field{{FieldPackets, FieldBytes}, {FieldStart, FieldEnd}} {
		if (set&(1<<p[0]) != 0) != (set&(1<<p[1]) != 0) {
			cost++
		}
	}
	return cost
}

// egressOnly returns the rows that keep traffic-path "-" on ingress, once
// both traffic-path and flow-direction are assigned.
func (s *inferSearch) egressOnly(c int, f Field) uint64 {
	other := FieldFlowDirection
	if f == FieldFlowDirection {
		other = FieldTrafficPath
	}
	for c2, f2 := range s.assign {
		if f2 != other {
			continue
		}
		path, dir := c, c2
		if f == FieldFlowDirection {
			path, dir = c2, c
		}
		return s.all &^ (s.cols[dir].ingress &^ s.cols[path].dash)
	}
	return s.all
}

// leaf completes a reading of the data columns with the "-" columns.
func (s *inferSearch) leaf(cost int) {
	if s.version < 0 && s.versionable {
		cost += inferNoVersionCost
	}
	maxv := 0
	for _, f := range s.assign {
		if f != FieldUnknown && int(f.Info().Version) > maxv {
			maxv = int(f.Info().Version)
		}
	}
	v := s.version
	if v >= 0 && maxv > v {
		return
	}
	var open, openV []Field
	for f := Field(1); f < NumFields; f++ {
		if f == FieldVersion || s.used&(1<<f) != 0 {
			continue
		}
		fv := int(f.Info().Version)
		if v >= 0 && fv > v || v < 0 && fv >= 10 {
			continue // unconfirmed fields only where the version says so
		}
		open = append(open, f)
		if fv == v {
			openV = append(openV, f)
		}
	}
	d := len(s.dashes)
	needV := v >= 0 && maxv < v
	sol := &inferSol{fields: append([]Field(nil), s.assign...), set: s.used, dashCols: s.dashes, cost: cost}
	switch {
	case d == 0 && needV, len(open) < d, needV && len(openV) == 0:
		return
	case d == 0:
	case len(open) == d:
		if needV && len(openV) == 0 {
			return
		}
		for i, c := range s.dashes {
			sol.fields[c] = open[i]
			sol.set |= 1 << open[i]
		}
	case needV && d == 1 && len(openV) == 1:
		sol.fields[s.dashes[0]] = openV[0]
		sol.set |= 1 << openV[0]
	default:
		sol.undetermined = true
		sol.open = open
		if needV && d == 1 {
			sol.open = openV
		}
	}
	cost += halfPairs(sol.set) + s.addressCost(sol.fields)
	if len(sol.fields) == DefaultFormat.Len() && !sol.isDefault() {
		cost += inferDefaultPrior
	}
	sol.cost = cost
	for i := range sol.fields {
		for j := i + 1; j < len(sol.fields); j++ {
			fi, fj := sol.fields[i], sol.fields[j]
			if fi > fj {
				sol.inversions++
				if g := lookAlike[fi]; g != 0 && g == lookAlike[fj] {
					return // look-alikes out of AWS's order, through a "-" column
				}
			}
		}
	}
	if cost < s.best {
		s.best, s.tied = cost, false
	}
	if cost == s.best && !s.tied {
		// two readings of different fields at the best cost: the verdict
		// is "cannot tell" unless a cheaper one turns up, so readings no
		// cheaper need not be looked for
		for _, o := range s.sols {
			if o.cost == cost && (o.set != sol.set || o.undetermined || sol.undetermined) {
				s.tied = true
				break
			}
		}
	}
	if cost <= s.best+s.margin() && len(s.sols) < 4096 {
		s.sols = append(s.sols, sol)
	}
}

// sameReading reports whether two readings differ only by exchanging
// columns that hold the same token on every line.
func (s *inferSearch) sameReading(a, b *inferSol) bool {
	for c := range a.fields {
		if a.fields[c] == b.fields[c] {
			continue
		}
		twin := -1
		for c2 := range b.fields {
			if b.fields[c2] == a.fields[c] {
				twin = c2
			}
		}
		if twin < 0 {
			return false
		}
		for r := 0; r < s.n; r++ {
			if !bytes.Equal(s.cols[c].toks[r], s.cols[twin].toks[r]) {
				return false
			}
		}
	}
	return true
}

// explain says why two readings (or one undetermined reading) leave the
// format open.
func (s *inferSearch) explain(a, b *inferSol) string {
	if a.undetermined || b.undetermined {
		u := a
		if !u.undetermined {
			u = b
		}
		var cols, names []string
		for _, c := range u.dashCols {
			cols = append(cols, strconv.Itoa(c+1))
		}
		for i, f := range u.open {
			if i == 8 {
				names = append(names, fmt.Sprintf("and %d more", len(u.open)-i))
				break
			}
			names = append(names, f.String())
		}
		what := "column " + cols[0] + ` is "-" on every line`
		if len(cols) > 1 {
			what = "columns " + strings.Join(cols, ", ") + ` are "-" on every line`
		}
		return what + " and could be any of " + strings.Join(names, ", ")
	}
	var diffs []string
	for c := range a.fields {
		if a.fields[c] != b.fields[c] {
			diffs = append(diffs, fmt.Sprintf("column %d (%q) could be %s or %s", c+1, s.example(c), a.fields[c], b.fields[c]))
		}
		if len(diffs) == 3 {
			break
		}
	}
	return "two readings fit as well: " + strings.Join(diffs, "; ")
}

func versionOf(col *inferCol, fit uint64) int {
	for r, t := range col.toks {
		if fit&(1<<r) != 0 && !(len(t) == 1 && t[0] == '-') {
			v, _ := strconv.Atoi(string(t))
			return v
		}
	}
	return -1
}

// lookAlike groups fields whose values cannot be told apart; within a
// group, columns take the fields in AWS's order.
var lookAlike = func() [NumFields]uint8 {
	var g [NumFields]uint8
	for i, grp := range [][]Field{
		{FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr},
		{FieldSrcPort, FieldDstPort},
		{FieldPktSrcAWSService, FieldPktDstAWSService},
		{FieldECSContainerID, FieldECSSecondContainerID},
		{FieldECSContainerInstanceID, FieldECSTaskID},
		{FieldECSClusterName, FieldECSServiceName},
	} {
		for _, f := range grp {
			g[f] = uint8(i + 1)
		}
	}
	return g
}()

// inferUint reads a decimal number; start and end in milliseconds are
// brought to seconds as the parser does.
func inferUint(t []byte) (uint64, bool) {
	if len(t) == 0 || len(t) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// Common protocols cost nothing, other assigned numbers a little, the
// rest more: a protocol column reads 6, 17, 1, not 18, 3, 42.
var (
	commonProtocols = map[uint64]bool{1: true, 6: true, 17: true, 58: true}
	knownProtocols  = map[uint64]bool{0: true, 2: true, 4: true, 41: true, 47: true, 50: true, 51: true,
		89: true, 103: true, 112: true, 132: true}
	commonPorts = map[uint64]bool{0: true, 7: true, 20: true, 21: true, 22: true, 23: true, 25: true, 53: true,
		67: true, 68: true, 69: true, 80: true, 88: true, 110: true, 111: true, 123: true, 135: true, 137: true,
		138: true, 139: true, 143: true, 161: true, 162: true, 389: true, 443: true, 445: true, 465: true, 500: true,
		514: true, 587: true, 636: true, 853: true, 873: true, 993: true, 995: true}
	awsServices = map[string]bool{"AMAZON": true, "AMAZON_APPFLOW": true, "AMAZON_CONNECT": true, "API_GATEWAY": true,
		"AURORA_DSQL": true, "CHIME_MEETINGS": true, "CHIME_VOICECONNECTOR": true, "CLOUD9": true, "CLOUDFRONT": true,
		"CLOUDFRONT_ORIGIN_FACING": true, "CODEBUILD": true, "DYNAMODB": true, "EBS": true, "EC2": true,
		"EC2_INSTANCE_CONNECT": true, "GLOBALACCELERATOR": true, "IVS_LOW_LATENCY": true, "IVS_REALTIME": true,
		"KINESIS_VIDEO_STREAMS": true, "MEDIA_PACKAGE_V2": true, "ROUTE53": true, "ROUTE53_HEALTHCHECKS": true,
		"ROUTE53_HEALTHCHECKS_PUBLISHING": true, "ROUTE53_RESOLVER": true, "S3": true, "WORKSPACES_GATEWAYS": true}
)

// valueCost scores how unusual a column's values are for field f (0 =
// what the field typically holds).
func valueCost(f Field, distinct []string) int {
	cost := 0
	switch f {
	case FieldProtocol:
		for _, t := range distinct {
			v, _ := inferUint([]byte(t))
			switch {
			case commonProtocols[v]:
			case knownProtocols[v]:
				cost++
			default:
				cost += 3
			}
		}
	case FieldTCPFlags:
		// SYN, SYN-ACK, FIN, RST and the usual ORs; the rest is rare
		for _, t := range distinct {
			switch t {
			case "0", "1", "2", "3", "4", "18", "19":
			default:
				cost++
			}
		}
	case FieldPktSrcAWSService, FieldPktDstAWSService:
		for _, t := range distinct {
			if !awsServices[t] {
				cost++
			}
		}
	case FieldRejectReason:
		for _, t := range distinct {
			if t != "BPA" {
				cost += 2
			}
		}
	case FieldSrcPort, FieldDstPort:
		// service ports and ephemeral ones; other low ports are unusual
		for _, t := range distinct {
			if v, _ := inferUint([]byte(t)); v < 1024 && !commonPorts[v] {
				cost++
			}
		}
	case FieldPackets, FieldBytes:
		// counts that all look like epoch times are more likely times, and
		// a billion packets (a terabyte) in one interval is rare
		epochs, huge := 0, false
		limit := uint64(1_000_000_000)
		if f == FieldBytes {
			limit = 100_000_000_000 // 100 GB, 12 digits: an account id's shape
		}
		for _, t := range distinct {
			v, _ := inferUint([]byte(t))
			if v >= 1_000_000_000 && v <= 1<<32-1 {
				epochs++
			}
			huge = huge || v > limit
		}
		if epochs == len(distinct) && epochs > 0 || huge {
			cost += 2
		}
	case FieldECSClusterName, FieldECSServiceName, FieldResourceID:
		cost = 2 // names fit almost anything
	case FieldSublocationID:
		cost = 1
	}
	return cost
}

// fieldFits reports whether a (non-dash) token has the shape of field f.
func fieldFits(f Field, t []byte) bool {
	switch f {
	case FieldVersion:
		return false // judged per column
	case FieldAccountID:
		return string(t) == "unknown" || len(t) == 12 && allDigits(t)
	case FieldInterfaceID:
		return hexID(t, "eni-")
	case FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr:
		_, r := parseAddr(t)
		return r == ReasonNone
	case FieldStart, FieldEnd:
		v, ok := inferUint(t)
		return ok && (v >= 1_000_000_000 && v <= 1<<32-1 || v >= 1_000_000_000_000 && v <= (1<<32-1)*1000)
	case FieldAction, FieldLogStatus, FieldType, FieldFlowDirection:
		for _, v := range f.Info().Values {
			if strings.EqualFold(v, string(t)) {
				return true
			}
		}
		return false
	case FieldVPCID:
		return hexID(t, "vpc-")
	case FieldSubnetID:
		return hexID(t, "subnet-")
	case FieldInstanceID:
		return hexID(t, "i-")
	case FieldTCPFlags:
		v, ok := inferUint(t)
		return ok && v <= 255 && v&^0x17 == 0 && (v&16 == 0 || v&2 != 0)
	case FieldTrafficPath:
		v, ok := inferUint(t)
		return ok && v >= 1 && v <= 8
	case FieldEncryptionStatus:
		v, ok := inferUint(t)
		return ok && v <= 3
	case FieldRegion:
		return regionLike(t)
	case FieldAZID:
		i := bytes.LastIndex(t, []byte("-az"))
		return i > 0 && allDigits(t[i+3:]) && len(t) > i+3 && lowerAlnumDash(t[:i])
	case FieldSublocationType:
		s := string(t)
		return s == "wavelength" || s == "outpost" || s == "localzone"
	case FieldSublocationID:
		if hexID(t, "op-") {
			return true
		}
		// zone ids: use1-wl1-bos-wlz1, usw2-lax1-az1
		i := bytes.IndexByte(t, '-')
		return i > 2 && lowerAlnumDash(t) && t[i-1] >= '0' && t[i-1] <= '9'
	case FieldPktSrcAWSService, FieldPktDstAWSService, FieldRejectReason:
		if !upperCode(t) {
			return false
		}
		s := string(t)
		return s != "ACCEPT" && s != "REJECT" && s != "OK" && s != "NODATA" && s != "SKIPDATA"
	case FieldECSClusterARN:
		return bytes.HasPrefix(t, []byte("arn:")) && bytes.Contains(t, []byte(":ecs:")) && bytes.Contains(t, []byte(":cluster/"))
	case FieldECSContainerInstanceARN:
		return bytes.HasPrefix(t, []byte("arn:")) && bytes.Contains(t, []byte(":container-instance/"))
	case FieldECSTaskDefinitionARN:
		return bytes.HasPrefix(t, []byte("arn:")) && bytes.Contains(t, []byte(":task-definition/"))
	case FieldECSTaskARN:
		return bytes.HasPrefix(t, []byte("arn:")) && bytes.Contains(t, []byte(":task/"))
	case FieldECSContainerInstanceID, FieldECSTaskID:
		return len(t) == 32 && allHex(t)
	case FieldECSContainerID, FieldECSSecondContainerID:
		return len(t) == 64 && allHex(t)
	case FieldECSClusterName, FieldECSServiceName:
		return ecsName(t)
	case FieldResourceID:
		return !bytes.ContainsAny(t, "\"'") && len(t) > 0
	}
	if f.Kind() == KindUint {
		v, ok := inferUint(t)
		return ok && v <= f.Info().Max
	}
	return false
}

func allDigits(t []byte) bool {
	for _, c := range t {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(t) > 0
}

func allHex(t []byte) bool {
	for _, c := range t {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(t) > 0
}

// hexID: prefix then letters and digits (AWS resource ids are 8 or 17
// hex digits; made-up ones in tests and demos are not always).
func hexID(t []byte, prefix string) bool {
	rest, ok := bytes.CutPrefix(t, []byte(prefix))
	if !ok || len(rest) == 0 {
		return false
	}
	for _, c := range rest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func lowerAlnumDash(t []byte) bool {
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return len(t) > 0
}

// regionLike: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-4.
func regionLike(t []byte) bool {
	parts := bytes.Split(t, []byte("-"))
	if len(parts) < 3 || len(parts[0]) != 2 || !allDigits(parts[len(parts)-1]) {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		for _, c := range p {
			if c < 'a' || c > 'z' {
				return false
			}
		}
		if len(p) == 0 {
			return false
		}
	}
	return true
}

func upperCode(t []byte) bool {
	if len(t) == 0 || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ecsName: ECS cluster and service names are letters, digits, hyphens and
// underscores (and must hold a letter: a bare number is not a name).
func ecsName(t []byte) bool {
	letter := false
	for _, c := range t {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return letter && len(t) <= 255
}
