package detect

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// Evidence is built as a filter AST, never by pasting text: each value is
// a typed literal, so an address, a port or an interface id taken from a
// log can only ever be compared, whatever it contains.

func ref(f model.Field) filter.Ref { return filter.Ref{Kind: filter.RefField, Field: f} }

// eqAddr is "f = a".
func eqAddr(f model.Field, a netip.Addr) filter.Node {
	return &filter.Compare{Ref: ref(f), Op: filter.OpEq,
		Values: []filter.Lit{{Kind: filter.LitAddr, Prefix: netip.PrefixFrom(a, a.BitLen())}}}
}

// cmpNum is "f op v".
func cmpNum(f model.Field, op filter.Op, v uint64) filter.Node {
	return &filter.Compare{Ref: ref(f), Op: op, Values: []filter.Lit{{Kind: filter.LitNum, Lo: v, Hi: v}}}
}

// eqStr selects string field f equal to s, exactly: "f = s", or, when s
// holds the glob characters * or ? (text from a log can), an anchored
// regular expression, as filter.ExactMatch does for typed text.
func eqStr(f model.Field, s string) filter.Node {
	if strings.ContainsAny(s, "*?") {
		re := strings.ReplaceAll(regexp.QuoteMeta(s), "/", `\/`)
		return &filter.Compare{Ref: ref(f), Op: filter.OpMatch, Values: []filter.Lit{{Kind: filter.LitRegex, Str: "^" + re + "$"}}}
	}
	return &filter.Compare{Ref: ref(f), Op: filter.OpEq, Values: []filter.Lit{{Kind: filter.LitStr, Str: s}}}
}

// timeRange is "start >= from and start < to" (Unix seconds).
func timeRange(from, to int64) []filter.Node {
	return []filter.Node{
		&filter.Compare{Ref: ref(model.FieldStart), Op: filter.OpGe, Values: []filter.Lit{{Kind: filter.LitTime, Sec: from}}},
		&filter.Compare{Ref: ref(model.FieldStart), Op: filter.OpLt, Values: []filter.Lit{{Kind: filter.LitTime, Sec: to}}},
	}
}

// and conjoins nodes, splicing nested conjunctions (nil nodes are left
// out; nil when none is left).
func and(nodes ...filter.Node) filter.Node {
	var args []filter.Node
	for _, n := range nodes {
		switch x := n.(type) {
		case nil:
		case *filter.And:
			args = append(args, x.Args...)
		default:
			args = append(args, n)
		}
	}
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return &filter.And{Args: args}
}

// or disjoins nodes, splicing nested disjunctions.
func or(nodes ...filter.Node) filter.Node {
	var args []filter.Node
	for _, n := range nodes {
		switch x := n.(type) {
		case nil:
		case *filter.Or:
			args = append(args, x.Args...)
		default:
			args = append(args, n)
		}
	}
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return &filter.Or{Args: args}
}

// facts are the addresses a finding's key fixes.
type facts struct {
	src, dst netip.Addr
}

// truth evaluates n on every row whose addresses are those of fs, as far
// as the addresses alone decide it: (value, known).
func (fs facts) truth(n filter.Node) (bool, bool) {
	addrOf := func(r filter.Ref) (netip.Addr, bool) {
		if r.Kind != filter.RefField {
			return netip.Addr{}, false
		}
		switch r.Field {
		case model.FieldSrcAddr:
			return fs.src, fs.src.IsValid()
		case model.FieldDstAddr:
			return fs.dst, fs.dst.IsValid()
		}
		return netip.Addr{}, false
	}
	switch x := n.(type) {
	case *filter.Exists:
		if _, ok := addrOf(x.Ref); ok {
			return true, true
		}
	case *filter.Compare:
		a, ok := addrOf(x.Ref)
		if !ok || (x.Op != filter.OpEq && x.Op != filter.OpIn) {
			return false, false
		}
		for _, l := range x.Values {
			if l.Kind != filter.LitAddr {
				return false, false
			}
			if l.Prefix.Contains(a) {
				return true, true
			}
		}
		return false, true
	case *filter.Not:
		v, ok := fs.truth(x.X)
		return !v, ok
	case *filter.Or:
		known := true
		for _, a := range x.Args {
			v, ok := fs.truth(a)
			if ok && v {
				return true, true
			}
			known = known && ok
		}
		return false, known
	case *filter.And:
		known := true
		for _, a := range x.Args {
			v, ok := fs.truth(a)
			if ok && !v {
				return false, true
			}
			known = known && ok
		}
		return true, known
	}
	return false, false
}

// implied drops the conjuncts of rows that the key's addresses make true
// for every row of the key (srcaddr in the private ranges, when the
// source is 10.0.21.14): the evidence stays exact and gets shorter.
func implied(rows filter.Node, fs facts) filter.Node {
	var conj []filter.Node
	if a, ok := rows.(*filter.And); ok {
		conj = a.Args
	} else if rows != nil {
		conj = []filter.Node{rows}
	}
	var kept []filter.Node
	for _, c := range conj {
		if v, ok := fs.truth(c); ok && v {
			continue
		}
		kept = append(kept, c)
	}
	return and(kept...)
}
