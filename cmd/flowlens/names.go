package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// resolveTimeout bounds how long a one-shot query waits for EC2 names
// before printing without the rest.
const resolveTimeout = 30 * time.Second

// naming is what a run knows about names: a store fed by the names file,
// the demo estate and (with --enrich ec2) the EC2 look-ups, and the
// per-configuration helpers that output and group keys read.
type naming struct {
	store  *vpc.Store
	en     *source.Enricher // nil without EC2 enrichment
	labels *source.Labels   // shared by every name group key
	namer  *source.Namer    // nil until names are known
	ver    uint64           // store version the helpers were built for
}

// naming sets up names for the given SOURCEs: --names FILE, the demo
// estate when a source is the demo, and EC2 look-ups when --enrich ec2
// is given or (unless --no-enrich) when a source already uses AWS.
func (c *common) naming(specs []string, opts source.Options) (*naming, error) {
	n := &naming{store: &vpc.Store{}, labels: &source.Labels{}}
	parts := vpc.Parts{}
	for _, s := range specs {
		if s == "demo" {
			parts = source.DemoConfig().Parts()
			break
		}
	}
	if c.namesFile != "" {
		f, err := os.Open(c.namesFile)
		if err != nil {
			return nil, fmt.Errorf("--names: %w", err)
		}
		names, err := vpc.ParseNames(f, c.namesFile)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--names: %w", err)
		}
		parts.Names = names
	}
	enrich := hasScheme(specs, "s3://", "cloudwatch://", "cw://")
	switch c.enrich {
	case "":
	case "ec2":
		enrich = true
	default:
		return nil, usagef("--enrich %q: the only enrichment is ec2", c.enrich)
	}
	if c.noEnrich {
		enrich = false
	}
	if enrich {
		n.en = source.NewEnricher(source.NewEC2(source.EC2ConfigFrom(opts)), n.store)
	}
	if len(parts.Interfaces) > 0 || len(parts.Names) > 0 {
		n.store.Set(vpc.NewConfig(parts))
	}
	n.refresh()
	return n, nil
}

// active reports whether names may appear (some are known or EC2 may find
// some): the name columns are printed then.
func (n *naming) active() bool { return n.en != nil || !n.store.Load().Empty() }

// refresh rebuilds the helpers when the store changed; it reports whether
// it did.
func (n *naming) refresh() bool {
	v := n.store.Version()
	if v == n.ver && (n.namer != nil || !n.active()) {
		return false
	}
	n.ver = v
	cfg := n.store.Load()
	n.labels.Config = cfg
	if n.active() {
		n.namer = source.NewNamer(cfg)
	}
	return true
}

// resolve looks up, through EC2, the names of what snap holds (bounded by
// resolveTimeout), reports look-up failures on stderr (an AccessDenied
// names the IAM action) and refreshes the helpers.
func (n *naming) resolve(ctx context.Context, snap *model.Snapshot, stderr io.Writer) {
	if n.en != nil && snap != nil {
		ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		err := n.en.ResolveAll(ctx, snap)
		cancel()
		n.report(err, stderr)
	}
	n.refresh()
}

// report writes EC2 look-up errors to stderr, once each.
func (n *naming) report(err error, stderr io.Writer) {
	if err == nil {
		return
	}
	late := false
	for _, e := range source.DistinctErrors(err) {
		msg := e.Error()
		if errors.Is(e, context.DeadlineExceeded) {
			if late {
				continue
			}
			late = true
			msg = fmt.Sprintf("EC2 look-ups took longer than %s; names shown are those found so far", resolveTimeout)
		}
		fmt.Fprintf(stderr, "flowlens: names: %s (continuing without them)\n", model.Sanitize(msg))
	}
}

// bind returns f compiled against the current names when it uses them.
func (n *naming) bind(f *filter.Filter) *filter.Filter {
	if f == nil || !f.UsesNames() {
		return f
	}
	return f.WithNames(n.store.Load())
}

// needIndex reports whether a question must go through the index rather
// than a streaming scan: it names hosts (a name or sg filter, a name key)
// while EC2 look-ups are on, which read the index's dictionaries and come
// after the load.
func (n *naming) needIndex(f *filter.Filter, grp *model.GroupQuery) bool {
	if n.en == nil {
		return false
	}
	if f.UsesNames() {
		return true
	}
	if grp != nil {
		for _, k := range grp.Keys {
			if k.Label != nil {
				return true
			}
		}
	}
	return false
}

// groupKey returns the group key for a name column (src-name, dst-name,
// interface-name); its labels follow the store through refresh.
func (n *naming) groupKey(name string) (model.GroupKey, bool) {
	k, ok := source.NameGroupKey(name, nil)
	if ok {
		k.Label = n.labels
	}
	return k, ok
}

// namedFeed is the explorer's feed with the EC2 look-ups' status (calls,
// throttling, an AccessDenied naming the IAM action) as one more row of
// the Sources view.
type namedFeed struct {
	*source.Mux
	en *source.Enricher
}

// Statuses returns the sources' statuses, then the look-ups'.
func (f namedFeed) Statuses() []source.Status { return append(f.Mux.Statuses(), f.en.Status()) }
