package source

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/logging"

	"github.com/flowlens/flowlens/model/vpc"
)

// EC2Config says how the EC2 look-ups reach AWS and how long what they
// learn is kept.
type EC2Config struct {
	AWS AWSConfig
	// CacheDir is where look-ups are cached between runs: "" means
	// os.UserCacheDir()/flowlens, "-" turns the disk cache off.
	CacheDir string
	// NamesTTL is how long interfaces, instance names and "not found"
	// answers are trusted (0 = 1 h); RulesTTL the same for security
	// groups, network ACLs and prefix lists, which change more often and
	// matter more when they do (0 = 5 min).
	NamesTTL, RulesTTL time.Duration
	// Batch is how many ids or addresses one call asks about (0 = 200,
	// the API's limit on the values of one filter).
	Batch int
	// Rate caps EC2 calls per second for the account and region (0 = 5).
	Rate float64
}

// EC2 looks up network interfaces, instance names, security groups,
// network ACLs and managed prefix lists through the EC2 API, with a disk
// cache. It is safe for concurrent use. A call the credentials may not
// make fails with an *AWSError naming the IAM action (ec2:Describe...),
// and is not tried again in this run: the explorer keeps working with
// what it has.
type EC2 struct {
	StatusBox
	cfg EC2Config

	initOnce sync.Once
	initErr  error
	client   *ec2.Client
	caller   *awsCaller
	limiter  *rateLimiter
	cache    *ec2Cache

	mu     sync.Mutex
	denied map[string]error // IAM action -> the AccessDenied it got
}

// NewEC2 returns the look-ups; nothing is called until they are used.
func NewEC2(cfg EC2Config) *EC2 {
	if cfg.NamesTTL <= 0 {
		cfg.NamesTTL = time.Hour
	}
	if cfg.RulesTTL <= 0 {
		cfg.RulesTTL = 5 * time.Minute
	}
	if cfg.Batch <= 0 || cfg.Batch > 200 {
		cfg.Batch = 200
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 5
	}
	e := &EC2{cfg: cfg, denied: map[string]error{}}
	e.Update(func(st *Status) { st.Name, st.Kind, st.State = "ec2", "ec2", StateStarting })
	return e
}

// EC2ConfigFrom takes the AWS settings of opts.
func EC2ConfigFrom(opts Options) EC2Config { return EC2Config{AWS: awsConfigFrom(opts)} }

func (e *EC2) init(ctx context.Context) error {
	e.initOnce.Do(func() {
		cfg, err := e.cfg.AWS.load(ctx)
		if err != nil {
			e.initErr = err
			return
		}
		// The SDK's own warnings would go to stderr, under the TUI.
		e.client = ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Logger = logging.Nop{} })
		key := strings.Join([]string{e.cfg.AWS.Profile, cfg.Region, e.cfg.AWS.EndpointURL}, "|")
		e.caller = newAWSCaller(&e.cfg.AWS, &e.StatusBox, "EC2 in "+cfg.Region)
		e.limiter = sharedLimiter("ec2|"+key, e.cfg.Rate, &e.cfg.AWS)
		e.cache = openEC2Cache(e.cfg.CacheDir, key, e.cfg.AWS.now)
		e.SetState(StateReading, "")
	})
	return e.initErr
}

// call runs one EC2 call (rate-limited, retried) unless its IAM action
// was denied before in this run.
func (e *EC2) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	action := "ec2:" + op
	e.mu.Lock()
	prev := e.denied[action]
	e.mu.Unlock()
	if prev != nil {
		return prev
	}
	err := e.caller.do(ctx, op, action, func(ctx context.Context) error {
		if err := e.limiter.wait(ctx); err != nil {
			return err
		}
		return fn(ctx)
	})
	if errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrCredentials) {
		e.mu.Lock()
		e.denied[action] = err
		e.mu.Unlock()
		e.AddError(err.Error())
		e.SetState(StateDegraded, err.Error())
		if errors.Is(err, ErrAccessDenied) {
			e.Deny(action + " (" + deniedCost[op] + ")")
		}
	}
	return err
}

// deniedCost says what goes missing without each EC2 action.
var deniedCost = map[string]string{
	"DescribeNetworkInterfaces":   "names from EC2",
	"DescribeTags":                "instance names",
	"DescribeSubnets":             "subnet names",
	"DescribeSecurityGroups":      "security-group rules in why",
	"DescribeNetworkAcls":         "network ACL rules in why",
	"DescribeManagedPrefixLists":  "prefix list names",
	"GetManagedPrefixListEntries": "prefix lists in security-group rules",
}

// isDenied reports whether the IAM action was denied in this run.
func (e *EC2) isDenied(action string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.denied[action] != nil
}

// Denied returns the AccessDenied errors met so far, one per IAM action.
func (e *EC2) Denied() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []error
	for _, err := range e.denied {
		out = append(out, err)
	}
	slices.SortFunc(out, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return out
}

func filter(name string, vals []string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: vals}
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// privateV4 reports whether a is an IPv4 address a VPC may give an
// interface (RFC 1918 or the shared 100.64.0.0/10 range).
func privateV4(a netip.Addr) bool {
	return a.Is4() && (a.IsPrivate() || netip.MustParsePrefix("100.64.0.0/10").Contains(a))
}

// Interfaces returns the interfaces with the given ids and those holding
// the given addresses, from the cache or the API. Addresses looked up are
// private IPv4 and IPv6 ones (an internet client's address would cost a
// call and never match); public addresses of interfaces come with them.
// Instance Name tags are looked up too (ec2:DescribeTags). On an error the
// interfaces found so far are returned with it.
func (e *EC2) Interfaces(ctx context.Context, ids []string, addrs []netip.Addr) ([]*vpc.Interface, error) {
	if err := e.init(ctx); err != nil {
		return nil, err
	}
	now := e.cfg.AWS.now()
	var out []*vpc.Interface
	var wantIDs, want4, want6 []string
	seen := map[string]bool{}
	add := func(i *vpc.Interface) {
		if !seen[i.ID] {
			seen[i.ID] = true
			out = append(out, i)
		}
	}
	for _, id := range ids {
		if i, ok := e.cache.iface(id, e.cfg.NamesTTL, now); ok {
			if i != nil {
				add(i)
			}
			continue
		}
		wantIDs = append(wantIDs, id)
	}
	for _, a := range addrs {
		a = a.Unmap()
		if !privateV4(a) && !a.Is6() {
			continue
		}
		if i, ok := e.cache.byAddr(a, e.cfg.NamesTTL, now); ok {
			if i != nil {
				add(i)
			}
			continue
		}
		if a.Is4() {
			want4 = append(want4, a.String())
		} else {
			want6 = append(want6, a.String())
		}
	}
	var errs []error
	var found []*vpc.Interface
	for _, q := range []struct {
		filter string
		vals   []string
	}{{"network-interface-id", wantIDs}, {"addresses.private-ip-address", want4}, {"ipv6-addresses.ipv6-address", want6}} {
		for _, batch := range chunks(q.vals, e.cfg.Batch) {
			got, err := e.describeInterfaces(ctx, filter(q.filter, batch))
			found = append(found, got...)
			if err != nil {
				errs = append(errs, err)
				break
			}
			e.cache.missing(batch, got, now)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := e.instanceNames(ctx, found, now); err != nil {
		errs = append(errs, err)
	}
	for _, i := range found {
		e.cache.putIface(i, now)
		add(i)
	}
	e.cache.save()
	e.Update(func(st *Status) {
		if len(errs) == 0 && st.State != StateDegraded {
			st.State, st.Reason = StateFollowing, "" // caught up with what was asked
		}
	})
	return out, errors.Join(errs...)
}

func (e *EC2) describeInterfaces(ctx context.Context, f types.Filter) ([]*vpc.Interface, error) {
	var out []*vpc.Interface
	in := &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{f}, MaxResults: aws.Int32(1000)}
	for {
		var page *ec2.DescribeNetworkInterfacesOutput
		err := e.call(ctx, "DescribeNetworkInterfaces", func(ctx context.Context) (err error) {
			page, err = e.client.DescribeNetworkInterfaces(ctx, in)
			return err
		})
		if err != nil {
			return out, err
		}
		for _, ni := range page.NetworkInterfaces {
			out = append(out, fromENI(ni))
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// fromENI converts the API's interface.
func fromENI(ni types.NetworkInterface) *vpc.Interface {
	i := &vpc.Interface{
		ID: aws.ToString(ni.NetworkInterfaceId), Description: aws.ToString(ni.Description), Type: string(ni.InterfaceType),
		Requester: aws.ToString(ni.RequesterId), SubnetID: aws.ToString(ni.SubnetId), VPCID: aws.ToString(ni.VpcId),
		AZ: aws.ToString(ni.AvailabilityZone), OwnerID: aws.ToString(ni.OwnerId),
	}
	for _, t := range ni.TagSet {
		if aws.ToString(t.Key) == "Name" {
			i.Name = aws.ToString(t.Value)
		}
	}
	if ni.Attachment != nil {
		i.InstanceID = aws.ToString(ni.Attachment.InstanceId)
	}
	for _, g := range ni.Groups {
		i.Groups = append(i.Groups, aws.ToString(g.GroupId))
	}
	addAddr := func(list *[]netip.Addr, s *string) {
		if a, err := netip.ParseAddr(aws.ToString(s)); err == nil && !slices.Contains(*list, a) {
			*list = append(*list, a)
		}
	}
	addAddr(&i.Addrs, ni.PrivateIpAddress)
	for _, p := range ni.PrivateIpAddresses {
		addAddr(&i.Addrs, p.PrivateIpAddress)
		if p.Association != nil {
			addAddr(&i.PublicAddrs, p.Association.PublicIp)
		}
	}
	for _, p := range ni.Ipv6Addresses {
		addAddr(&i.Addrs, p.Ipv6Address)
	}
	if ni.Association != nil {
		addAddr(&i.PublicAddrs, ni.Association.PublicIp)
	}
	return i
}

// instanceNames fills InstanceName from the instances' Name tags.
func (e *EC2) instanceNames(ctx context.Context, ifaces []*vpc.Interface, now time.Time) error {
	var want []string
	for _, i := range ifaces {
		if i.InstanceID == "" {
			continue
		}
		if n, ok := e.cache.instName(i.InstanceID, e.cfg.NamesTTL, now); ok {
			i.InstanceName = n
			continue
		}
		if !slices.Contains(want, i.InstanceID) {
			want = append(want, i.InstanceID)
		}
	}
	names := map[string]string{}
	for _, batch := range chunks(want, e.cfg.Batch) {
		in := &ec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-id", batch), filter("key", []string{"Name"})}, MaxResults: aws.Int32(1000)}
		for {
			var page *ec2.DescribeTagsOutput
			err := e.call(ctx, "DescribeTags", func(ctx context.Context) (err error) {
				page, err = e.client.DescribeTags(ctx, in)
				return err
			})
			if err != nil {
				return err
			}
			for _, t := range page.Tags {
				names[aws.ToString(t.ResourceId)] = aws.ToString(t.Value)
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			in.NextToken = page.NextToken
		}
		for _, id := range batch {
			e.cache.putInstName(id, names[id], now)
		}
	}
	for _, i := range ifaces {
		if n, ok := names[i.InstanceID]; ok {
			i.InstanceName = n
		}
	}
	return nil
}

// Subnets returns the subnets with the given ids, with their Name tags
// and ranges (ec2:DescribeSubnets), from the cache or the API: what names
// a subnet in "web-2 (sg web, subnet app-b)". A subnet the API does not
// return is kept with its id only. On an error the subnets found so far
// are returned with it.
func (e *EC2) Subnets(ctx context.Context, ids []string) ([]*vpc.Subnet, error) {
	if err := e.init(ctx); err != nil {
		return nil, err
	}
	now := e.cfg.AWS.now()
	var out []*vpc.Subnet
	var want []string
	for _, id := range ids {
		if id == "" || slices.Contains(want, id) || slices.ContainsFunc(out, func(sn *vpc.Subnet) bool { return sn.ID == id }) {
			continue
		}
		if sn, ok := e.cache.subnet(id, e.cfg.NamesTTL, now); ok {
			out = append(out, sn)
		} else {
			want = append(want, id)
		}
	}
	var err error
	for _, batch := range chunks(want, e.cfg.Batch) {
		var got []*vpc.Subnet
		got, err = e.describeSubnets(ctx, batch)
		found := map[string]bool{}
		for _, sn := range got {
			found[sn.ID] = true
			e.cache.putSubnet(sn, now)
		}
		out = append(out, got...)
		if err != nil {
			break
		}
		for _, id := range batch {
			if !found[id] {
				e.cache.putSubnet(&vpc.Subnet{ID: id}, now)
			}
		}
	}
	e.cache.save()
	return out, err
}

func (e *EC2) describeSubnets(ctx context.Context, ids []string) ([]*vpc.Subnet, error) {
	var out []*vpc.Subnet
	in := &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("subnet-id", ids)}, MaxResults: aws.Int32(1000)}
	for {
		var page *ec2.DescribeSubnetsOutput
		err := e.call(ctx, "DescribeSubnets", func(ctx context.Context) (err error) {
			page, err = e.client.DescribeSubnets(ctx, in)
			return err
		})
		if err != nil {
			return out, err
		}
		for _, s := range page.Subnets {
			sn := &vpc.Subnet{ID: aws.ToString(s.SubnetId), VPCID: aws.ToString(s.VpcId), AZ: aws.ToString(s.AvailabilityZone)}
			sn.CIDR, _ = netip.ParsePrefix(aws.ToString(s.CidrBlock))
			for _, t := range s.Tags {
				if aws.ToString(t.Key) == "Name" {
					sn.Name = aws.ToString(t.Value)
				}
			}
			out = append(out, sn)
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// Rules returns the configuration that governs traffic of the given
// interfaces: their security groups (ec2:DescribeSecurityGroups), the
// network ACLs of their subnets (ec2:DescribeNetworkAcls) and the prefix
// lists the groups reference (ec2:DescribeManagedPrefixLists,
// ec2:GetManagedPrefixListEntries), from the cache or the API. On an
// error what was found is returned with it.
func (e *EC2) Rules(ctx context.Context, ifaces []*vpc.Interface) (vpc.Parts, error) {
	if err := e.init(ctx); err != nil {
		return vpc.Parts{}, err
	}
	now := e.cfg.AWS.now()
	var p vpc.Parts
	var errs []error
	var groups, subnets []string
	for _, i := range ifaces {
		for _, g := range i.Groups {
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
		if i.SubnetID != "" && !slices.Contains(subnets, i.SubnetID) {
			subnets = append(subnets, i.SubnetID)
		}
	}
	// Security groups.
	var wantG []string
	for _, g := range groups {
		if sg, ok := e.cache.group(g, e.cfg.RulesTTL, now); ok {
			p.Groups = append(p.Groups, sg)
		} else {
			wantG = append(wantG, g)
		}
	}
	for _, batch := range chunks(wantG, e.cfg.Batch) {
		got, err := e.describeGroups(ctx, batch)
		for _, sg := range got {
			e.cache.putGroup(sg, now)
		}
		p.Groups = append(p.Groups, got...)
		if err != nil {
			errs = append(errs, err)
			break
		}
	}
	// Network ACLs.
	var wantS []string
	for _, s := range subnets {
		if acl, ok := e.cache.acl(s, e.cfg.RulesTTL, now); ok {
			if !slices.ContainsFunc(p.ACLs, func(a *vpc.NetworkACL) bool { return a.ID == acl.ID }) {
				p.ACLs = append(p.ACLs, acl)
			}
		} else {
			wantS = append(wantS, s)
		}
	}
	for _, batch := range chunks(wantS, e.cfg.Batch) {
		got, err := e.describeACLs(ctx, batch)
		for _, acl := range got {
			e.cache.putACL(acl, now)
		}
		p.ACLs = append(p.ACLs, got...)
		if err != nil {
			errs = append(errs, err)
			break
		}
	}
	// Prefix lists the groups use.
	var lists []string
	for _, sg := range p.Groups {
		for _, rules := range [][]vpc.Rule{sg.Ingress, sg.Egress} {
			for _, r := range rules {
				if r.PrefixList != "" && !slices.Contains(lists, r.PrefixList) {
					lists = append(lists, r.PrefixList)
				}
			}
		}
	}
	var wantL []string
	for _, id := range lists {
		if pl, ok := e.cache.prefixList(id, e.cfg.RulesTTL, now); ok {
			p.PrefixLists = append(p.PrefixLists, pl)
		} else {
			wantL = append(wantL, id)
		}
	}
	if len(wantL) > 0 {
		got, err := e.describePrefixLists(ctx, wantL)
		for _, pl := range got {
			e.cache.putPrefixList(pl, now)
		}
		p.PrefixLists = append(p.PrefixLists, got...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	e.cache.save()
	return p, errors.Join(errs...)
}

func (e *EC2) describeGroups(ctx context.Context, ids []string) ([]*vpc.SecurityGroup, error) {
	var out []*vpc.SecurityGroup
	in := &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-id", ids)}, MaxResults: aws.Int32(1000)}
	for {
		var page *ec2.DescribeSecurityGroupsOutput
		err := e.call(ctx, "DescribeSecurityGroups", func(ctx context.Context) (err error) {
			page, err = e.client.DescribeSecurityGroups(ctx, in)
			return err
		})
		if err != nil {
			return out, err
		}
		for _, g := range page.SecurityGroups {
			out = append(out, &vpc.SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VPCID: aws.ToString(g.VpcId),
				Ingress: fromPerms(g.IpPermissions), Egress: fromPerms(g.IpPermissionsEgress)})
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// apiProtocol reads the API's protocol: a name (tcp, udp, icmp, icmpv6),
// a number, or "-1" for all.
func apiProtocol(s string) int {
	switch strings.ToLower(s) {
	case "-1", "all", "":
		return vpc.AllProtocols
	case "tcp":
		return 6
	case "udp":
		return 17
	case "icmp":
		return 1
	case "icmpv6":
		return 58
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return vpc.AllProtocols
	}
	return n
}

// fromPerms turns IpPermissions into one Rule per peer.
func fromPerms(perms []types.IpPermission) []vpc.Rule {
	var out []vpc.Rule
	for _, p := range perms {
		base := vpc.Rule{Protocol: apiProtocol(aws.ToString(p.IpProtocol)), FromPort: -1, ToPort: -1}
		if p.FromPort != nil {
			base.FromPort = int(*p.FromPort)
		}
		if p.ToPort != nil {
			base.ToPort = int(*p.ToPort)
		}
		// Protocols other than tcp, udp and icmp(v6) have no ports: the
		// rule covers them whole.
		if base.Protocol != 6 && base.Protocol != 17 && base.Protocol != 1 && base.Protocol != 58 {
			base.FromPort, base.ToPort = -1, -1
		}
		for _, r := range p.IpRanges {
			if pf, err := netip.ParsePrefix(aws.ToString(r.CidrIp)); err == nil {
				x := base
				x.CIDR, x.Description = pf, aws.ToString(r.Description)
				out = append(out, x)
			}
		}
		for _, r := range p.Ipv6Ranges {
			if pf, err := netip.ParsePrefix(aws.ToString(r.CidrIpv6)); err == nil {
				x := base
				x.CIDR, x.Description = pf, aws.ToString(r.Description)
				out = append(out, x)
			}
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.Group, x.Description = aws.ToString(g.GroupId), aws.ToString(g.Description)
			out = append(out, x)
		}
		for _, l := range p.PrefixListIds {
			x := base
			x.PrefixList, x.Description = aws.ToString(l.PrefixListId), aws.ToString(l.Description)
			out = append(out, x)
		}
	}
	return out
}

func (e *EC2) describeACLs(ctx context.Context, subnets []string) ([]*vpc.NetworkACL, error) {
	var out []*vpc.NetworkACL
	in := &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{filter("association.subnet-id", subnets)}, MaxResults: aws.Int32(100)}
	for {
		var page *ec2.DescribeNetworkAclsOutput
		err := e.call(ctx, "DescribeNetworkAcls", func(ctx context.Context) (err error) {
			page, err = e.client.DescribeNetworkAcls(ctx, in)
			return err
		})
		if err != nil {
			return out, err
		}
		for _, a := range page.NetworkAcls {
			acl := &vpc.NetworkACL{ID: aws.ToString(a.NetworkAclId), VPCID: aws.ToString(a.VpcId), Default: aws.ToBool(a.IsDefault)}
			for _, t := range a.Tags {
				if aws.ToString(t.Key) == "Name" {
					acl.Name = aws.ToString(t.Value)
				}
			}
			for _, as := range a.Associations {
				acl.Subnets = append(acl.Subnets, aws.ToString(as.SubnetId))
			}
			for _, en := range a.Entries {
				x := vpc.ACLEntry{Number: int(aws.ToInt32(en.RuleNumber)), Egress: aws.ToBool(en.Egress),
					Protocol: apiProtocol(aws.ToString(en.Protocol)), Allow: en.RuleAction == types.RuleActionAllow, ICMPType: -1, ICMPCode: -1}
				cidr := aws.ToString(en.CidrBlock)
				if cidr == "" {
					cidr = aws.ToString(en.Ipv6CidrBlock)
				}
				pf, err := netip.ParsePrefix(cidr)
				if err != nil {
					continue
				}
				x.CIDR = pf
				if en.PortRange != nil {
					x.FromPort, x.ToPort = int(aws.ToInt32(en.PortRange.From)), int(aws.ToInt32(en.PortRange.To))
				}
				if en.IcmpTypeCode != nil {
					x.ICMPType, x.ICMPCode = int(aws.ToInt32(en.IcmpTypeCode.Type)), int(aws.ToInt32(en.IcmpTypeCode.Code))
				}
				acl.Entries = append(acl.Entries, x)
			}
			out = append(out, acl)
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func (e *EC2) describePrefixLists(ctx context.Context, ids []string) ([]*vpc.PrefixList, error) {
	var out []*vpc.PrefixList
	names := map[string]string{}
	in := &ec2.DescribeManagedPrefixListsInput{Filters: []types.Filter{filter("prefix-list-id", ids)}, MaxResults: aws.Int32(100)}
	var nameErr error
	for {
		var page *ec2.DescribeManagedPrefixListsOutput
		nameErr = e.call(ctx, "DescribeManagedPrefixLists", func(ctx context.Context) (err error) {
			page, err = e.client.DescribeManagedPrefixLists(ctx, in)
			return err
		})
		if nameErr != nil {
			break // the entries still work without names
		}
		for _, l := range page.PrefixLists {
			names[aws.ToString(l.PrefixListId)] = aws.ToString(l.PrefixListName)
		}
		if aws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	for _, id := range ids {
		pl := &vpc.PrefixList{ID: id, Name: names[id]}
		in := &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id), MaxResults: aws.Int32(1000)}
		for {
			var page *ec2.GetManagedPrefixListEntriesOutput
			err := e.call(ctx, "GetManagedPrefixListEntries", func(ctx context.Context) (err error) {
				page, err = e.client.GetManagedPrefixListEntries(ctx, in)
				return err
			})
			if err != nil {
				return out, errors.Join(nameErr, err)
			}
			for _, en := range page.Entries {
				if pf, err := netip.ParsePrefix(aws.ToString(en.Cidr)); err == nil {
					pl.CIDRs = append(pl.CIDRs, pf)
				}
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			in.NextToken = page.NextToken
		}
		out = append(out, pl)
	}
	return out, nameErr
}

// String describes the look-ups for messages.
func (e *EC2) String() string { return fmt.Sprintf("EC2 look-ups (%s)", e.cfg.AWS.Region) }
