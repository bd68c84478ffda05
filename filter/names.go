package filter

import (
	"net/netip"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
)

// Names in filters. name, src-name, dst-name and interface-name compare the
// names a VPC configuration gives addresses and interfaces (vpc.Config: an
// instance's Name tag, a load balancer, a names file); sg compares the
// security groups (id or name) of the interface that logged the record and
// of the interfaces holding either address. name matches either address's
// name or the interface's, like addr matches either address.
//
// They are resolved once per compile, not per row: the configuration's
// names that satisfy the comparison become a set of addresses and of
// interface ids, which compile to ordinary dictionary-code leaves on
// srcaddr, dstaddr and interface-id. A value without a name is absent (SQL
// NULL), so neither "src-name = web-*" nor "src-name != web-*" selects a
// record whose source has no name. Names learnt after the compile are not
// seen: compile again when the configuration changes (Options.Names, and
// UsesNames says whether it matters).

// Options are what a filter is compiled against.
type Options struct {
	// Now resolves relative times (-15m); the zero value means time.Now().
	Now time.Time
	// Names gives name, src-name, dst-name, interface-name and sg their
	// meaning; nil means no names are known (those comparisons select
	// nothing).
	Names *vpc.Config
}

// CompileOptions is Compile with the given options.
func CompileOptions(expr string, o Options) (*Filter, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return compileNodeNames(n, now.Unix(), o.Names), nil
}

// UsesNames reports whether the filter compares names or security groups,
// so its result depends on the configuration it was compiled with.
func (f *Filter) UsesNames() bool {
	uses := false
	walkRefs(f.root, func(r Ref) {
		if r.Kind == RefName || r.Kind == RefGroup {
			uses = true
		}
	})
	return uses
}

// WithNames returns the filter compiled again against names c (the same
// expression and clock): what a caller does when the configuration it
// holds changes and UsesNames is true. f is not changed.
func (f *Filter) WithNames(c *vpc.Config) *Filter {
	if f.root == nil {
		return f
	}
	return compileNodeNames(f.root, f.now, c)
}

// walkRefs calls fn for the reference of every comparison and existence
// test.
func walkRefs(n Node, fn func(Ref)) {
	switch n := n.(type) {
	case *And:
		for _, a := range n.Args {
			walkRefs(a, fn)
		}
	case *Or:
		for _, a := range n.Args {
			walkRefs(a, fn)
		}
	case *Not:
		walkRefs(n.X, fn)
	case *Compare:
		fn(n.Ref)
	case *Exists:
		fn(n.Ref)
	}
}

// nameSides returns the fields a name reference reads.
func nameSides(r Ref) []model.Field {
	switch r.Name {
	case "src-name":
		return []model.Field{model.FieldSrcAddr}
	case "dst-name":
		return []model.Field{model.FieldDstAddr}
	case "interface-name":
		return []model.Field{model.FieldInterfaceID}
	}
	return []model.Field{model.FieldSrcAddr, model.FieldDstAddr, model.FieldInterfaceID}
}

// namedSets returns the addresses and interface ids whose name (RefName)
// or security groups (RefGroup) satisfy test.
func namedSets(c *vpc.Config, r Ref, test func(string) bool) (map[netip.Addr]bool, map[string]bool) {
	addrs, ids := map[netip.Addr]bool{}, map[string]bool{}
	if c == nil {
		return addrs, ids
	}
	if r.Kind == RefGroup {
		for _, e := range c.Interfaces() {
			if !groupsMatch(c, e, test) {
				continue
			}
			ids[e.ID] = true
			for _, a := range e.Addrs {
				addrs[a] = true
			}
			for _, a := range e.PublicAddrs {
				addrs[a] = true
			}
		}
		return addrs, ids
	}
	c.NamedAddrs(func(a netip.Addr, name string) {
		if test(name) {
			addrs[a] = true
		}
	})
	c.NamedInterfaces(func(id, name string) {
		if test(name) {
			ids[id] = true
		}
	})
	return addrs, ids
}

// groupsMatch reports whether one of e's security groups satisfies test by
// id or by name.
func groupsMatch(c *vpc.Config, e *vpc.Interface, test func(string) bool) bool {
	for _, g := range e.Groups {
		if test(g) {
			return true
		}
		if sg := c.Group(g); sg != nil && sg.Name != "" && test(sg.Name) {
			return true
		}
	}
	return false
}

// hasGroups reports whether the security groups of e are known.
func hasGroups(e *vpc.Interface) bool { return len(e.Groups) > 0 }

// names compiles a comparison on a name or security-group reference,
// negated when neg: the values whose name (or one of whose groups)
// satisfies it become sets of codes; negated, the named values (the
// interfaces with known groups) that do not.
func (b *builder) names(c *Compare, neg bool) *cnode {
	p := b.strPred(c, false)
	return b.nameLeaves(c.Ref, p.str, neg)
}

// namesExists compiles "exists src-name" (neg: the value has no name).
func (b *builder) namesExists(r Ref, neg bool) *cnode {
	all := func(string) bool { return true }
	if !neg {
		return b.nameLeaves(r, all, false)
	}
	// "not exists src-name": the value is absent, or present and unnamed.
	addrs, ids := namedSets(b.f.names, r, all)
	var kids []*cnode
	for _, fld := range sidesOf(r) {
		p := valPred{inv: true}
		if fld == model.FieldInterfaceID {
			p.strs = ids
		} else {
			p.addrs = addrs
		}
		kids = append(kids, b.fieldLeaf(fld, p, true))
	}
	return combine(cAnd, kids)
}

func sidesOf(r Ref) []model.Field {
	if r.Kind == RefGroup {
		return []model.Field{model.FieldSrcAddr, model.FieldDstAddr, model.FieldInterfaceID}
	}
	return nameSides(r)
}

// nameLeaves compiles test over the names (groups) of r's sides: or over
// the sides, or when neg and over the sides of the values that are named
// (have known groups) and fail test.
func (b *builder) nameLeaves(r Ref, test func(string) bool, neg bool) *cnode {
	c := b.f.names
	if !neg {
		addrs, ids := namedSets(c, r, test)
		return b.setLeaves(sidesOf(r), addrs, ids, false)
	}
	if r.Kind != RefGroup {
		addrs, ids := namedSets(c, r, func(s string) bool { return !test(s) })
		return b.setLeaves(sidesOf(r), addrs, ids, true)
	}
	addrs, ids := map[netip.Addr]bool{}, map[string]bool{}
	for _, e := range c.Interfaces() {
		if !hasGroups(e) || groupsMatch(c, e, test) {
			continue
		}
		ids[e.ID] = true
		for _, a := range e.Addrs {
			addrs[a] = true
		}
		for _, a := range e.PublicAddrs {
			addrs[a] = true
		}
	}
	return b.setLeaves(sidesOf(r), addrs, ids, true)
}

// setLeaves makes one leaf per side: the address sides test addrs, the
// interface side ids; and combines them with and (else or).
func (b *builder) setLeaves(sides []model.Field, addrs map[netip.Addr]bool, ids map[string]bool, and bool) *cnode {
	var kids []*cnode
	for _, fld := range sides {
		p := valPred{}
		if fld == model.FieldInterfaceID {
			if len(ids) == 0 {
				kids = append(kids, falseNode)
				continue
			}
			p.strs = ids
		} else {
			if len(addrs) == 0 {
				kids = append(kids, falseNode)
				continue
			}
			p.addrs = addrs
		}
		kids = append(kids, b.fieldLeaf(fld, p, false))
	}
	if and {
		return combine(cAnd, kids)
	}
	return combine(cOr, kids)
}

// matchNames is Match for a name or security-group comparison (op is
// never OpNe: the caller negates).
func (m *matcher) matchNames(c *Compare, op Op) tri {
	cfg := m.f.names
	res := triF
	for _, fld := range sidesOf(c.Ref) {
		v := triU
		if m.rec.Has(fld) {
			if c.Ref.Kind == RefGroup {
				v = m.groupTri(cfg, fld, func(s string) bool { return m.str(c, op, s) })
			} else if name := m.nameOf(cfg, fld); name != "" {
				v = triOf(m.str(c, op, name))
			}
		}
		if v == triT {
			return triT
		}
		if v == triU {
			res = triU
		}
	}
	return res
}

// nameOf returns the name of field fld of the record ("" when none).
func (m *matcher) nameOf(cfg *vpc.Config, fld model.Field) string {
	if fld == model.FieldInterfaceID {
		return cfg.NameOfInterface(string(m.rec.Bytes(fld)))
	}
	a, _ := m.rec.Addr(fld)
	return cfg.NameOfAddr(a)
}

func (m *matcher) groupTri(cfg *vpc.Config, fld model.Field, test func(string) bool) tri {
	var e *vpc.Interface
	if fld == model.FieldInterfaceID {
		e = cfg.Interface(string(m.rec.Bytes(fld)))
	} else {
		a, _ := m.rec.Addr(fld)
		e = cfg.InterfaceByAddr(a, "")
	}
	if e == nil || !hasGroups(e) {
		return triU
	}
	return triOf(groupsMatch(cfg, e, test))
}

// existsNames is Match for "exists src-name".
func (m *matcher) existsNames(r Ref) tri {
	for _, fld := range sidesOf(r) {
		if !m.rec.Has(fld) {
			continue
		}
		if r.Kind == RefGroup {
			if m.groupTri(m.f.names, fld, func(string) bool { return true }) == triT {
				return triT
			}
		} else if m.nameOf(m.f.names, fld) != "" {
			return triT
		}
	}
	return triF
}
