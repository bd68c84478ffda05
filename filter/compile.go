package filter

import (
	"math"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
)

// Filter is a compiled filter expression. It is safe for concurrent use:
// Eval, Match and the renderers may run from several goroutines at once.
type Filter struct {
	root    Node
	canon   string
	now     int64 // Unix seconds that relative times are resolved against
	regexps map[regexKey]*regexp.Regexp
	prog    *cnode      // nil for the empty filter
	leaves  []*leaf     // every leaf of prog, by leaf id
	depth   int         // nesting depth of prog (scratch buffers for or)
	names   *vpc.Config // what name, src-name, ..., sg were resolved against
}

// Compile parses, type-checks and compiles expr, resolving relative times
// (start > -15m) against the current time. Errors are *Error. A relative
// window does not slide afterwards: compile again to move it.
func Compile(expr string) (*Filter, error) { return CompileAt(expr, time.Now()) }

// CompileAt is Compile with relative times resolved against now, for
// reproducible results (tests, scripted queries, re-running a query).
func CompileAt(expr string, now time.Time) (*Filter, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return compileNode(n, now.Unix()), nil
}

// MustCompile is Compile for expressions known to be valid (tests,
// constants); it panics on error.
func MustCompile(expr string) *Filter {
	f, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return f
}

// compileNode compiles a checked AST (nil: match everything).
func compileNode(n Node, now int64) *Filter { return compileNodeNames(n, now, nil) }

// compileNodeNames is compileNode with names resolved against c.
func compileNodeNames(n Node, now int64, c *vpc.Config) *Filter {
	f := &Filter{root: n, now: now, regexps: map[regexKey]*regexp.Regexp{}, names: c}
	if n == nil {
		return f
	}
	f.canon = n.String()
	walk(n, func(c *Compare) {
		for _, l := range c.Values {
			if l.Kind == LitRegex {
				if re, err := compileRegex(l); err == nil {
					f.regexps[regexKey{l.Str, l.Fold}] = re
				}
			}
		}
	})
	b := &builder{f: f}
	f.prog = b.build(nnf(n, false))
	f.depth = depthOf(f.prog)
	return f
}

// String returns the canonical form of the expression ("" when empty).
func (f *Filter) String() string { return f.canon }

// Empty reports whether the filter matches everything (no expression).
func (f *Filter) Empty() bool { return f.root == nil }

// Node returns the parsed expression (nil when empty).
func (f *Filter) Node() Node { return f.root }

// Now returns the time relative times were resolved against.
func (f *Filter) Now() time.Time { return time.Unix(f.now, 0).UTC() }

// walk calls fn for every comparison of the tree.
func walk(n Node, fn func(*Compare)) {
	switch n := n.(type) {
	case *And:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *Or:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *Not:
		walk(n.X, fn)
	case *Compare:
		fn(n)
	}
}

// nnf returns n (negated when neg) in negation normal form: and/or over
// comparisons and existence tests, each possibly under one Not. Under
// Kleene's three-valued logic De Morgan's laws hold, so the result selects
// exactly the rows n does; and because the result is monotone in its
// leaves, an unknown leaf can be treated as false.
func nnf(n Node, neg bool) Node {
	switch n := n.(type) {
	case *And:
		args := make([]Node, 0, len(n.Args))
		for _, a := range n.Args {
			args = flatten(args, nnf(a, neg), neg)
		}
		if neg {
			return &Or{Args: args, At: n.At}
		}
		return &And{Args: args, At: n.At}
	case *Or:
		args := make([]Node, 0, len(n.Args))
		for _, a := range n.Args {
			args = flatten(args, nnf(a, neg), !neg)
		}
		if neg {
			return &And{Args: args, At: n.At}
		}
		return &Or{Args: args, At: n.At}
	case *Not:
		return nnf(n.X, !neg)
	}
	if neg {
		return &Not{X: n, At: n.Pos()}
	}
	return n
}

// cnode is a node of the compiled program.
type cnode struct {
	kind uint8
	kids []*cnode
	leaf *leaf
	cost int
}

const (
	cTrue uint8 = iota
	cFalse
	cAnd
	cOr
	cLeaf
)

var (
	trueNode  = &cnode{kind: cTrue}
	falseNode = &cnode{kind: cFalse}
)

func depthOf(n *cnode) int {
	d := 0
	for _, k := range n.kids {
		d = max(d, depthOf(k))
	}
	return d + 1
}

// leafKind says which column a leaf reads and how.
type leafKind uint8

const (
	lU8     leafKind = iota // numeric column stored as uint8
	lU16                    // numeric column stored as uint16 (ports)
	lU32                    // numeric column stored as uint32 (packets, bytes, start)
	lEnd                    // end: a uint16 delta from start
	lEnum                   // enum codes (0 = absent)
	lCode                   // dictionary codes (addresses, strings, unknown fields)
	lSource                 // per provenance run
)

// dictKind says which dictionary a code leaf reads.
type dictKind uint8

const (
	dAddr dictKind = iota
	dStr
	dExtra
)

// leaf is one single-field predicate: rows whose value is present and
// satisfies pred, plus (when absent is set) rows where the field is absent.
type leaf struct {
	id     int
	kind   leafKind
	field  model.Field
	extra  string // dExtra: the unknown field's name
	dict   dictKind
	absent bool
	pred   valPred
	k      numKern // lU8, lU16, lU32, lEnum
	cache  codeCache
}

// iv is an inclusive range of values.
type iv struct{ lo, hi uint64 }

// valPred is a predicate on a present value. One family is used, by the
// leaf's kind: ivs or mask for numbers and enum codes, pfx for addresses,
// strs/globs/re for strings. all matches every value; inv negates.
type valPred struct {
	all   bool
	inv   bool
	ivs   []iv  // sorted, disjoint, not adjacent
	mask  uint8 // tcp-flags has: (v & mask) == mask
	pfx   []netip.Prefix
	addrs map[netip.Addr]bool // exact addresses (names resolved to addresses)
	strs  map[string]bool
	globs []string
	re    []*regexp.Regexp
}

func (p *valPred) num(v uint64) bool {
	var b bool
	switch {
	case p.all:
		b = true
	case p.mask != 0:
		b = uint8(v)&p.mask == p.mask && v < 256
	default:
		k := sort.Search(len(p.ivs), func(i int) bool { return p.ivs[i].hi >= v })
		b = k < len(p.ivs) && p.ivs[k].lo <= v
	}
	return b != p.inv
}

func (p *valPred) addr(a netip.Addr) bool {
	b := p.all || p.addrs[a]
	for _, pf := range p.pfx {
		if pf.Contains(a) {
			b = true
			break
		}
	}
	return b != p.inv
}

func (p *valPred) str(s string) bool {
	b := p.all || p.strs[s]
	for i := 0; !b && i < len(p.globs); i++ {
		b = globMatch(p.globs[i], s)
	}
	for i := 0; !b && i < len(p.re); i++ {
		b = p.re[i].MatchString(s)
	}
	return b != p.inv
}

// normIvs sorts and merges ranges.
func normIvs(ivs []iv) []iv {
	slices.SortFunc(ivs, func(a, b iv) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := ivs[:0]
	for _, r := range ivs {
		if n := len(out); n > 0 && (r.lo <= out[n-1].hi || out[n-1].hi != math.MaxUint64 && r.lo == out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// clipIvs returns the parts of ivs within [0, hi] and their complement there.
func clipIvs(ivs []iv, hi uint64) (in, out []iv) {
	next := uint64(0)
	done := false
	for _, r := range ivs {
		if r.lo > hi {
			break
		}
		in = append(in, iv{r.lo, min(r.hi, hi)})
		if r.lo > next {
			out = append(out, iv{next, r.lo - 1})
		}
		if r.hi >= hi {
			done = true
			break
		}
		next = r.hi + 1
	}
	if !done {
		out = append(out, iv{next, hi})
	}
	return in, out
}

type builder struct {
	f *Filter
}

func (b *builder) newLeaf(l *leaf) *cnode {
	l.id = len(b.f.leaves)
	b.f.leaves = append(b.f.leaves, l)
	return &cnode{kind: cLeaf, leaf: l, cost: leafCost(l)}
}

func leafCost(l *leaf) int {
	switch l.kind {
	case lU8, lEnum, lSource:
		return 1
	case lU16:
		return 2
	case lU32:
		return 4
	case lEnd:
		return 6
	}
	return 5
}

// build compiles a tree in negation normal form.
func (b *builder) build(n Node) *cnode {
	switch n := n.(type) {
	case *And:
		kids := make([]*cnode, 0, len(n.Args))
		for _, a := range n.Args {
			kids = append(kids, b.build(a))
		}
		return combine(cAnd, kids)
	case *Or:
		kids := make([]*cnode, 0, len(n.Args))
		for _, a := range n.Args {
			kids = append(kids, b.build(a))
		}
		return combine(cOr, kids)
	case *Not:
		return b.leaves(n.X, true)
	}
	return b.leaves(n, false)
}

// combine folds constants, splices nested nodes of the same kind and puts
// cheaper operands first (and evaluates later operands only on rows still
// selected; or only on rows not yet selected).
func combine(kind uint8, kids []*cnode) *cnode {
	unit, zero := cTrue, cFalse // and: true is neutral, false absorbs
	if kind == cOr {
		unit, zero = cFalse, cTrue
	}
	var out []*cnode
	for _, k := range kids {
		switch {
		case k.kind == unit:
			continue
		case k.kind == zero:
			return k
		case k.kind == kind:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		if unit == cTrue {
			return trueNode
		}
		return falseNode
	case 1:
		return out[0]
	}
	slices.SortStableFunc(out, func(a, b *cnode) int { return a.cost - b.cost })
	c := &cnode{kind: kind, kids: out}
	for _, k := range out {
		c.cost += k.cost
	}
	return c
}

// leaves compiles one comparison or existence test, negated when neg.
func (b *builder) leaves(n Node, neg bool) *cnode {
	switch n := n.(type) {
	case *Exists:
		return b.exists(n.Ref, neg)
	case *Compare:
		return b.compare(n, neg)
	}
	return falseNode
}

func (b *builder) exists(r Ref, neg bool) *cnode {
	p := valPred{all: true, inv: neg}
	switch r.Kind {
	case RefSource:
		if neg {
			return falseNode
		}
		return trueNode
	case RefExtra:
		return b.newLeaf(&leaf{kind: lCode, dict: dExtra, extra: r.Name, pred: p, absent: neg})
	case RefName, RefGroup:
		return b.namesExists(r, neg)
	}
	var kids []*cnode
	for _, fld := range r.Fields() {
		kids = append(kids, b.fieldLeaf(fld, p, neg))
	}
	if neg {
		return combine(cAnd, kids)
	}
	return combine(cOr, kids)
}

func (b *builder) compare(c *Compare, neg bool) *cnode {
	op := c.Op
	if op == OpNe {
		op, neg = OpEq, !neg
	}
	switch c.Ref.Kind {
	case RefSource:
		return b.newLeaf(&leaf{kind: lSource, pred: b.strPred(c, neg)})
	case RefExtra:
		return b.newLeaf(&leaf{kind: lCode, dict: dExtra, extra: c.Ref.Name, pred: b.strPred(c, neg)})
	case RefName, RefGroup:
		return b.names(c, neg)
	}
	var kids []*cnode
	for _, fld := range c.Ref.Fields() {
		var p valPred
		switch fld.Kind() {
		case model.KindUint:
			p = b.numPred(c, op, neg)
		case model.KindEnum:
			p = valPred{inv: neg}
			for _, l := range c.Values {
				p.ivs = append(p.ivs, iv{l.Lo, l.Lo})
			}
			p.ivs = normIvs(p.ivs)
		case model.KindAddr:
			p = valPred{inv: neg}
			for _, l := range c.Values {
				p.pfx = append(p.pfx, l.Prefix)
			}
		default:
			p = b.strPred(c, neg)
		}
		kids = append(kids, b.fieldLeaf(fld, p, false))
	}
	if neg { // not (a or b) = not a and not b
		return combine(cAnd, kids)
	}
	return combine(cOr, kids)
}

func (b *builder) numPred(c *Compare, op Op, neg bool) valPred {
	p := valPred{inv: neg}
	for _, l := range c.Values {
		lo, hi := b.f.litRange(l)
		switch op {
		case OpEq, OpIn:
			p.ivs = append(p.ivs, iv{lo, hi})
		case OpLt:
			if lo > 0 {
				p.ivs = append(p.ivs, iv{0, lo - 1})
			}
		case OpLe:
			p.ivs = append(p.ivs, iv{0, lo})
		case OpGt:
			if lo < math.MaxUint64 {
				p.ivs = append(p.ivs, iv{lo + 1, math.MaxUint64})
			}
		case OpGe:
			p.ivs = append(p.ivs, iv{lo, math.MaxUint64})
		case OpHas:
			p.mask = uint8(l.Lo)
		}
	}
	p.ivs = normIvs(p.ivs)
	return p
}

func (b *builder) strPred(c *Compare, neg bool) valPred {
	p := valPred{inv: neg}
	for _, l := range c.Values {
		switch l.Kind {
		case LitStr:
			if p.strs == nil {
				p.strs = map[string]bool{}
			}
			p.strs[l.Str] = true
		case LitGlob:
			p.globs = append(p.globs, l.Str)
		case LitRegex:
			p.re = append(p.re, b.f.regex(l))
		}
	}
	return p
}

// fieldLeaf makes the leaf for one known field.
func (b *builder) fieldLeaf(fld model.Field, p valPred, absent bool) *cnode {
	l := &leaf{field: fld, pred: p, absent: absent}
	switch fld.Kind() {
	case model.KindUint:
		switch w := fld.Info().Width; { // the column's storage, from model's field table
		case fld == model.FieldEnd: // start (uint32) + a uint16 delta
			l.kind = lEnd
			l.k = kernFromIvs(&p, 1<<33-1)
		case w == 1:
			l.kind = lU8
			l.k = kernFromTable(table8(func(v uint64) bool { return p.num(v) }), p.mask, p.inv)
		case w == 2:
			l.kind = lU16
			l.k = kernFromIvs(&p, math.MaxUint16)
		default:
			l.kind = lU32
			l.k = kernFromIvs(&p, math.MaxUint32)
		}
	case model.KindEnum:
		l.kind = lEnum
		l.k = kernFromEnum(table8(func(v uint64) bool { return v == 0 && absent || v != 0 && p.num(v) }), len(model.EnumValues(fld)))
	case model.KindAddr:
		l.kind, l.dict = lCode, dAddr
	default:
		l.kind, l.dict = lCode, dStr
	}
	if (l.kind == lU8 || l.kind == lU16 || l.kind == lEnum) && l.k.kind == kNone && !absent { // (u32 values may overflow to larger ones)
		return falseNode
	}
	return b.newLeaf(l)
}

// table8 returns the truth table of fn over 0..255.
func table8(fn func(uint64) bool) (t [4]uint64) {
	for v := uint64(0); v < 256; v++ {
		if fn(v) {
			t[v>>6] |= 1 << (v & 63)
		}
	}
	return t
}
