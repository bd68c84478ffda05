package main

import (
	"context"
	"io"

	"github.com/flowlens/flowlens/model/detect"
)

// addRules adds configuration evidence to a verdict, as the explorer's w
// does (detect.Why.AddRules and AddNames): with a port, the security-group
// and network-ACL rules on the path of the pair, from the names store (the
// demo's estate, a names file) or, with EC2 look-ups, from EC2; and the
// names of the two ends and of the interfaces that logged them. Look-up
// failures go to stderr, once each, naming the IAM action.
func addRules(ctx context.Context, nm *naming, w *detect.Why, stderr io.Writer) {
	q, port := w.RuleQuery()
	if nm.en != nil {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		// The pair's interfaces (and their names) come with the rules;
		// without a port they are all that is looked up.
		var err error
		if port {
			_, err = nm.en.Rules(ctx, q.Src, q.Dst, q.SrcInterface, q.DstInterface)
		} else {
			err = nm.en.Pair(ctx, q.Src, q.Dst, q.SrcInterface, q.DstInterface)
		}
		cancel()
		nm.report(err, stderr)
	}
	cfg := nm.store.Load()
	if port {
		w.AddRules(cfg)
	}
	w.AddNames(cfg)
}
