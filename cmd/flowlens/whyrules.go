package main

import (
	"context"
	"io"

	"github.com/flowlens/flowlens/model/detect"
)

// addRules adds configuration evidence to a verdict (detect.Why.AddRules,
// which the explorer's w shares): the security-group and network-ACL rules
// on the path of the pair and port, from the names store (the demo's
// estate) or, with EC2 look-ups, from EC2. Nothing is added when no
// configuration is known or no port was given; look-up failures go to
// stderr, once each, naming the IAM action.
func addRules(ctx context.Context, nm *naming, w *detect.Why, stderr io.Writer) {
	q, ok := w.RuleQuery()
	if !ok {
		return
	}
	cfg := nm.store.Load()
	if nm.en != nil {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		c, err := nm.en.Rules(ctx, q.Src, q.Dst, q.SrcInterface, q.DstInterface)
		cancel()
		nm.report(err, stderr)
		cfg = c
	}
	w.AddRules(cfg)
}
