package source

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
)

// Enricher keeps the names of a vpc.Store in step with an index: it looks
// up, through EC2, the interfaces and private addresses the index's
// dictionaries gained since its last pass, and merges what it learns into
// the store. Dictionaries only grow, so each value is asked about once
// (and then cached on disk). It is safe for concurrent use.
type Enricher struct {
	ec2   *EC2
	store *vpc.Store
	// Interval is how often Run looks at the index (0 = 2 s).
	Interval time.Duration
	// PerPass caps the ids and the addresses looked up in one pass (0 =
	// 2,000 each), so that a burst of new addresses spreads over passes.
	PerPass int

	mu            sync.Mutex
	doneIDs       int // interface-id dictionary codes handled
	doneAddrs     int // address dictionary codes handled
	pendingIDs    []string
	pendingAddrs  []netip.Addr
	lastErr       error
	passes, found int
}

// NewEnricher returns an Enricher that adds to store what e finds.
func NewEnricher(e *EC2, store *vpc.Store) *Enricher {
	return &Enricher{ec2: e, store: store}
}

// EC2 returns the look-ups the enricher uses.
func (en *Enricher) EC2() *EC2 { return en.ec2 }

// Status reports the look-ups' state for the Sources view: calls,
// throttling and AccessDenied errors.
func (en *Enricher) Status() Status { return en.ec2.Status() }

// Resolve looks up what snap holds that no earlier pass asked about, at
// most PerPass of each kind (the rest waits for the next pass), and merges
// the interfaces found into the store. It returns the look-ups' errors
// (an AccessDenied names the IAM action); names found before an error are
// kept.
func (en *Enricher) Resolve(ctx context.Context, snap *model.Snapshot) error {
	if snap == nil {
		return nil
	}
	per := en.PerPass
	if per <= 0 {
		per = 2000
	}
	en.mu.Lock()
	ids := snap.Strings(model.FieldInterfaceID)
	for c := max(en.doneIDs, 1); c < len(ids); c++ {
		if ids[c] != "" && ids[c] != "-" {
			en.pendingIDs = append(en.pendingIDs, ids[c])
		}
	}
	en.doneIDs = max(en.doneIDs, len(ids))
	cur := en.store.Load()
	for c := max(en.doneAddrs, 1); c < len(snap.Addrs); c++ {
		a := snap.Addrs[c].Unmap()
		if privateV4(a) && cur.InterfaceByAddr(a, "") == nil {
			en.pendingAddrs = append(en.pendingAddrs, a)
		}
	}
	en.doneAddrs = max(en.doneAddrs, len(snap.Addrs))
	n := min(per, len(en.pendingIDs))
	askIDs := en.pendingIDs[:n:n]
	en.pendingIDs = en.pendingIDs[n:]
	m := min(per, len(en.pendingAddrs))
	askAddrs := en.pendingAddrs[:m:m]
	en.pendingAddrs = en.pendingAddrs[m:]
	en.mu.Unlock()
	if len(askIDs) == 0 && len(askAddrs) == 0 {
		return nil
	}
	// Addresses that the interfaces asked about will hold need no call.
	found, err := en.ec2.Interfaces(ctx, askIDs, nil)
	known := map[netip.Addr]bool{}
	for _, i := range found {
		for _, a := range i.Addrs {
			known[a] = true
		}
	}
	var rest []netip.Addr
	for _, a := range askAddrs {
		if !known[a] {
			rest = append(rest, a)
		}
	}
	if len(rest) > 0 && err == nil {
		more, err2 := en.ec2.Interfaces(ctx, nil, rest)
		found = append(found, more...)
		err = err2
	}
	if len(found) > 0 {
		subs, err2 := en.subnetsOf(ctx, found)
		err = errors.Join(err, err2)
		en.store.Update(func(c *vpc.Config) *vpc.Config { return c.Merge(vpc.Parts{Interfaces: found, Subnets: subs}) })
	}
	en.mu.Lock()
	en.passes++
	en.found += len(found)
	en.lastErr = err
	if err != nil && !errors.Is(err, ErrAccessDenied) && !errors.Is(err, ErrCredentials) && ctx.Err() == nil {
		// A transient failure: ask again next pass. (Denied actions are
		// not retried: EC2 remembers them.)
		en.pendingIDs = append(en.pendingIDs, askIDs...)
		en.pendingAddrs = append(en.pendingAddrs, askAddrs...)
	}
	en.mu.Unlock()
	return err
}

// Pending reports whether values wait for a later pass.
func (en *Enricher) Pending() bool {
	en.mu.Lock()
	defer en.mu.Unlock()
	return len(en.pendingIDs) > 0 || len(en.pendingAddrs) > 0
}

// Run resolves the newest snapshot of ix every Interval until ctx ends.
// Errors are reported through the EC2 status (the Sources view) and
// never stop it.
func (en *Enricher) Run(ctx context.Context, ix *model.Index) {
	every := en.Interval
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		en.Resolve(ctx, ix.Snapshot())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ResolveAll runs passes over snap until nothing is pending or ctx ends:
// what a one-shot query does before it prints names. A denied secondary
// look-up (instance Name tags, subnet names) does not stop it: only a
// denied ec2:DescribeNetworkInterfaces, missing credentials, or a few
// failed passes do.
func (en *Enricher) ResolveAll(ctx context.Context, snap *model.Snapshot) error {
	var errs []error
	failed := 0
	for {
		if err := en.Resolve(ctx, snap); err != nil {
			errs = append(errs, err)
			if en.ec2.isDenied("ec2:DescribeNetworkInterfaces") || errors.Is(err, ErrCredentials) || ctx.Err() != nil {
				return errors.Join(errs...)
			}
			for _, e := range DistinctErrors(err) {
				if !errors.Is(e, ErrAccessDenied) {
					failed++
					break
				}
			}
		}
		if !en.Pending() || ctx.Err() != nil || failed > 3 {
			return errors.Join(errs...)
		}
	}
}

// Rules looks up the security groups, network ACLs and prefix lists that
// govern traffic between the interfaces of a and b (by interface id when
// given, else by address), merges them into the store and returns the
// newest configuration. An error (an AccessDenied naming the IAM action)
// comes with whatever was found.
func (en *Enricher) Rules(ctx context.Context, a, b netip.Addr, eniA, eniB string) (*vpc.Config, error) {
	ifaces, err := en.pair(ctx, a, b, eniA, eniB)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	p, err := en.ec2.Rules(ctx, ifaces)
	if err != nil {
		errs = append(errs, err)
	}
	p.Interfaces = ifaces
	p.Subnets, err = en.subnetsOf(ctx, ifaces)
	if err != nil {
		errs = append(errs, err)
	}
	en.store.Update(func(c *vpc.Config) *vpc.Config { return c.Merge(p) })
	return en.store.Load(), errors.Join(errs...)
}

// Pair looks up the interfaces of a and b (by interface id when given,
// else by address) and their subnets, and merges them into the store:
// the names of one conversation's ends, without its rules.
func (en *Enricher) Pair(ctx context.Context, a, b netip.Addr, eniA, eniB string) error {
	ifaces, err := en.pair(ctx, a, b, eniA, eniB)
	subs, err2 := en.subnetsOf(ctx, ifaces)
	en.store.Update(func(c *vpc.Config) *vpc.Config { return c.Merge(vpc.Parts{Interfaces: ifaces, Subnets: subs}) })
	return errors.Join(err, err2)
}

// pair looks up the interfaces of a conversation's two ends.
func (en *Enricher) pair(ctx context.Context, a, b netip.Addr, eniA, eniB string) ([]*vpc.Interface, error) {
	var ids []string
	for _, id := range []string{eniA, eniB} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	var addrs []netip.Addr
	for _, x := range []netip.Addr{a, b} {
		if x.IsValid() {
			addrs = append(addrs, x)
		}
	}
	return en.ec2.Interfaces(ctx, ids, addrs)
}

// subnetsOf looks up the subnets of ifaces that the store does not name
// yet.
func (en *Enricher) subnetsOf(ctx context.Context, ifaces []*vpc.Interface) ([]*vpc.Subnet, error) {
	cur := en.store.Load()
	var ids []string
	for _, i := range ifaces {
		if i.SubnetID != "" && cur.Subnet(i.SubnetID) == nil {
			ids = append(ids, i.SubnetID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return en.ec2.Subnets(ctx, ids)
}

// DistinctErrors lists the errors a look-up's (joined) error holds, one
// per distinct message, in order: each is reported once however many
// batches met it.
func DistinctErrors(err error) []error {
	var out []error
	seen := map[string]bool{}
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if m := e.Error(); !seen[m] {
			seen[m] = true
			out = append(out, e)
		}
	}
	walk(err)
	return out
}
