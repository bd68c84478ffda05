package filter

import "github.com/flowlens/flowlens/model"

// Actions reports whether the filter reads nothing but the action (or is
// empty), and the actions of the rows it selects. Such a question can be
// answered from the index's rollups, which are kept by action and count
// every row ever indexed, evicted ones included (model.GroupRollups).
func (f *Filter) Actions() (model.ActionSet, bool) {
	acts := model.AllActions
	if f == nil || f.Empty() {
		return acts, true
	}
	conj := []Node{f.Node()}
	if a, ok := f.Node().(*And); ok {
		conj = a.Args
	}
	for _, n := range conj {
		in, ok := ActionsOf(n)
		if !ok {
			return model.ActionSet{}, false
		}
		for i := range acts {
			acts[i] = acts[i] && in[i]
		}
	}
	return acts, true
}

// ActionsOf returns the rows one comparison of the action selects
// (action = / != / in enum values, possibly negated), and false for any
// other node. A row without an action is never selected (SQL NULL
// semantics, as in the filter's evaluation).
func ActionsOf(n Node) (model.ActionSet, bool) {
	neg := false
	if nt, ok := n.(*Not); ok {
		neg, n = true, nt.X
	}
	c, ok := n.(*Compare)
	if !ok || c.Ref.Kind != RefField || c.Ref.Field != model.FieldAction {
		return model.ActionSet{}, false
	}
	var in model.ActionSet
	for _, v := range c.Values {
		if v.Kind != LitEnum || v.Lo >= uint64(len(in)) {
			return model.ActionSet{}, false
		}
		in[v.Lo] = true
	}
	switch c.Op {
	case OpEq, OpIn:
	case OpNe:
		neg = !neg
	default:
		return model.ActionSet{}, false
	}
	if neg {
		for i := range in {
			in[i] = !in[i]
		}
	}
	in[model.ActionAbsent] = false
	return in, true
}
