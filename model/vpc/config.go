package vpc

import (
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
)

// AllProtocols is the protocol value of a rule that matches every protocol
// (the API's "-1").
const AllProtocols = -1

// Interface is one network interface (ENI) and what it belongs to.
type Interface struct {
	ID           string       // eni-...
	Name         string       // display name (see DisplayName); "" = derive one
	InstanceID   string       // i-..., "" when not attached to an instance
	InstanceName string       // the instance's Name tag
	Description  string       // the interface's description
	Type         string       // InterfaceType as the API gives it: "interface", "nat_gateway", "network_load_balancer", "vpc_endpoint", "lambda", ...
	Requester    string       // RequesterId of requester-managed interfaces ("amazon-elb", ...)
	SubnetID     string       // subnet-...
	VPCID        string       // vpc-...
	AZ           string       // availability zone
	OwnerID      string       // account
	Groups       []string     // security group ids, in the API's order
	Addrs        []netip.Addr // private IPv4 (primary first), then IPv6
	PublicAddrs  []netip.Addr // public IPv4 addresses associated with it
}

// Kind names what the interface is for people: "instance", "NAT gateway",
// "load balancer", "VPC endpoint", "Lambda", ... ("interface" when the API
// says nothing more).
func (e *Interface) Kind() string {
	switch e.Type {
	case "nat_gateway":
		return "NAT gateway"
	case "network_load_balancer", "gateway_load_balancer", "gateway_load_balancer_endpoint":
		return "load balancer"
	case "vpc_endpoint":
		return "VPC endpoint"
	case "lambda":
		return "Lambda"
	case "transit_gateway":
		return "transit gateway"
	case "efa", "efa-only":
		return "EFA"
	case "interface", "":
	default:
		return strings.ReplaceAll(e.Type, "_", " ")
	}
	d := e.Description
	switch {
	case e.InstanceID != "":
		return "instance"
	case strings.HasPrefix(d, "ELB "), e.Requester == "amazon-elb":
		return "load balancer"
	case strings.HasPrefix(d, "AWS Lambda VPC ENI"):
		return "Lambda"
	case strings.HasPrefix(d, "VPC Endpoint Interface"):
		return "VPC endpoint"
	case strings.HasPrefix(d, "Interface for NAT Gateway"):
		return "NAT gateway"
	case strings.HasPrefix(d, "RDSNetworkInterface"):
		return "RDS"
	case strings.HasPrefix(d, "arn:aws:ecs:"):
		return "ECS task"
	case strings.HasPrefix(d, "EFS mount target"):
		return "EFS"
	}
	return "interface"
}

// DisplayName is the name people know the interface by: its Name (set
// from a names file or the interface's own Name tag), else the instance's
// Name tag, else one derived from the description (the load balancer,
// Lambda function, NAT gateway or endpoint it serves), else the instance
// id, else the interface id.
func (e *Interface) DisplayName() string {
	switch {
	case e.Name != "":
		return e.Name
	case e.InstanceName != "":
		return e.InstanceName
	}
	d := e.Description
	if rest, ok := strings.CutPrefix(d, "ELB "); ok { // "ELB app/web-alb/50dc6c495c0c9188"
		parts := strings.Split(rest, "/")
		if len(parts) >= 2 {
			return parts[1]
		}
		return rest
	}
	if rest, ok := strings.CutPrefix(d, "AWS Lambda VPC ENI-"); ok { // "AWS Lambda VPC ENI-orders-fn"
		return "lambda " + rest
	}
	if rest, ok := strings.CutPrefix(d, "Interface for NAT Gateway "); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(d, "VPC Endpoint Interface "); ok {
		return rest
	}
	if e.InstanceID != "" {
		return e.InstanceID
	}
	return e.ID
}

// Rule is one security-group rule: one protocol and port range and one
// peer (a CIDR, a referenced group or a prefix list). The API's
// IpPermission, which lists several peers, becomes one Rule per peer.
type Rule struct {
	Protocol    int          // IANA number, or AllProtocols
	FromPort    int          // tcp/udp: first port; icmp: type (-1 = all); -1 with AllProtocols
	ToPort      int          // tcp/udp: last port; icmp: code (-1 = all)
	CIDR        netip.Prefix // peer CIDR (IPv4 or IPv6), or the zero Prefix
	Group       string       // referenced security group (sg-...), or ""
	PrefixList  string       // referenced prefix list (pl-...), or ""
	Description string
}

// SecurityGroup is one security group: allow rules only.
type SecurityGroup struct {
	ID      string
	Name    string
	VPCID   string
	Ingress []Rule
	Egress  []Rule
}

// ACLEntry is one numbered network ACL rule.
type ACLEntry struct {
	Number   int          // 1..32766; 32767 is the catch-all "*"
	Egress   bool         // an outbound rule
	Protocol int          // IANA number, or AllProtocols
	Allow    bool         // RuleAction allow; else deny
	CIDR     netip.Prefix // IPv4 CidrBlock or Ipv6CidrBlock
	FromPort int          // tcp/udp port range; both 0 with both 0 meaning every port
	ToPort   int
	ICMPType int // icmp: type (-1 = all)
	ICMPCode int // icmp: code (-1 = all)
}

// CatchAll is the rule number of the final deny of every network ACL,
// shown as "*".
const CatchAll = 32767

// NetworkACL is one network ACL and the subnets it governs.
type NetworkACL struct {
	ID      string
	Name    string // the Name tag ("" when it has none)
	VPCID   string
	Default bool
	Entries []ACLEntry // any order; the evaluator sorts by Number
	Subnets []string   // associated subnets
}

// Subnet is one subnet as people know it: its Name tag and range.
type Subnet struct {
	ID    string
	Name  string       // the Name tag ("" when it has none)
	VPCID string       // vpc-...
	AZ    string       // availability zone
	CIDR  netip.Prefix // IPv4 range (zero when not known)
}

// PrefixList is one managed prefix list and its entries.
type PrefixList struct {
	ID    string
	Name  string
	CIDRs []netip.Prefix
}

// Config is a VPC configuration as far as it is known: interfaces, names,
// security groups, network ACLs and prefix lists. It is immutable once
// built by NewConfig (or Merge): share it freely.
type Config struct {
	ifaces  []*Interface
	byID    map[string]*Interface
	byAddr  map[netip.Addr][]*Interface
	groups  map[string]*SecurityGroup
	acls    map[string]*NetworkACL
	aclOf   map[string]*NetworkACL // subnet -> its ACL
	plists  map[string]*PrefixList
	subnets map[string]*Subnet
	names   map[string]string // manual names by address text or interface id
	members map[string][]*Interface
}

// Parts are the pieces a Config is built from.
type Parts struct {
	Interfaces  []*Interface
	Groups      []*SecurityGroup
	ACLs        []*NetworkACL
	PrefixLists []*PrefixList
	Subnets     []*Subnet
	// Names are names given by hand (a names file): address or interface
	// id to name. They win over every name derived from EC2.
	Names map[string]string
}

// NewConfig builds a Config. The parts are kept, not copied: the caller
// must not change them afterwards.
func NewConfig(p Parts) *Config {
	c := &Config{
		ifaces: p.Interfaces, byID: map[string]*Interface{}, byAddr: map[netip.Addr][]*Interface{},
		groups: map[string]*SecurityGroup{}, acls: map[string]*NetworkACL{}, aclOf: map[string]*NetworkACL{},
		plists: map[string]*PrefixList{}, names: map[string]string{}, members: map[string][]*Interface{},
		subnets: map[string]*Subnet{},
	}
	for _, e := range p.Interfaces {
		c.byID[e.ID] = e
		for _, a := range e.Addrs {
			c.byAddr[a] = append(c.byAddr[a], e)
		}
		for _, a := range e.PublicAddrs {
			c.byAddr[a] = append(c.byAddr[a], e)
		}
		for _, g := range e.Groups {
			c.members[g] = append(c.members[g], e)
		}
	}
	for _, g := range p.Groups {
		c.groups[g.ID] = g
	}
	for _, a := range p.ACLs {
		c.acls[a.ID] = a
		for _, s := range a.Subnets {
			c.aclOf[s] = a
		}
	}
	for _, l := range p.PrefixLists {
		c.plists[l.ID] = l
	}
	for _, sn := range p.Subnets {
		c.subnets[sn.ID] = sn
	}
	for k, v := range p.Names {
		c.names[normKey(k)] = v
	}
	return c
}

// normKey spells an address key canonically (2001:DB8::1 = 2001:db8::1).
func normKey(k string) string {
	k = strings.TrimSpace(k)
	if a, err := netip.ParseAddr(k); err == nil {
		return a.Unmap().String()
	}
	return k
}

// Parts returns the pieces of c (shared, not copied: do not change them).
func (c *Config) Parts() Parts {
	if c == nil {
		return Parts{}
	}
	p := Parts{Interfaces: c.ifaces, Names: c.names}
	for _, g := range c.groups {
		p.Groups = append(p.Groups, g)
	}
	for _, a := range c.acls {
		p.ACLs = append(p.ACLs, a)
	}
	for _, l := range c.plists {
		p.PrefixLists = append(p.PrefixLists, l)
	}
	for _, sn := range c.subnets {
		p.Subnets = append(p.Subnets, sn)
	}
	slices.SortFunc(p.Groups, func(a, b *SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(p.ACLs, func(a, b *NetworkACL) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(p.PrefixLists, func(a, b *PrefixList) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(p.Subnets, func(a, b *Subnet) int { return strings.Compare(a.ID, b.ID) })
	return p
}

// Merge returns a Config with the parts of c and then p: an interface,
// group, ACL or prefix list of p replaces the one of c with the same id,
// and names of p are added. c is not changed.
func (c *Config) Merge(p Parts) *Config {
	old := c.Parts()
	var out Parts
	seen := map[string]bool{}
	for _, e := range p.Interfaces {
		seen[e.ID] = true
	}
	out.Interfaces = append(out.Interfaces, p.Interfaces...)
	for _, e := range old.Interfaces {
		if !seen[e.ID] {
			out.Interfaces = append(out.Interfaces, e)
		}
	}
	out.Groups = mergeByID(old.Groups, p.Groups, func(g *SecurityGroup) string { return g.ID })
	out.ACLs = mergeByID(old.ACLs, p.ACLs, func(a *NetworkACL) string { return a.ID })
	out.PrefixLists = mergeByID(old.PrefixLists, p.PrefixLists, func(l *PrefixList) string { return l.ID })
	out.Subnets = mergeByID(old.Subnets, p.Subnets, func(sn *Subnet) string { return sn.ID })
	out.Names = make(map[string]string, len(old.Names)+len(p.Names))
	for k, v := range old.Names {
		out.Names[k] = v
	}
	for k, v := range p.Names {
		out.Names[k] = v
	}
	return NewConfig(out)
}

func mergeByID[T any](old, add []T, id func(T) string) []T {
	seen := map[string]bool{}
	out := append([]T(nil), add...)
	for _, x := range add {
		seen[id(x)] = true
	}
	for _, x := range old {
		if !seen[id(x)] {
			out = append(out, x)
		}
	}
	return out
}

// Empty reports whether c knows nothing (nil counts as empty).
func (c *Config) Empty() bool {
	return c == nil || len(c.ifaces) == 0 && len(c.groups) == 0 && len(c.acls) == 0 && len(c.names) == 0
}

// Interfaces returns every known interface (shared: do not change).
func (c *Config) Interfaces() []*Interface {
	if c == nil {
		return nil
	}
	return c.ifaces
}

// Interface returns the interface with id, or nil.
func (c *Config) Interface(id string) *Interface {
	if c == nil {
		return nil
	}
	return c.byID[id]
}

// InterfaceByAddr returns the interface that holds address a (private or
// public), or nil. When overlapping VPCs reuse the address, the one in vpc
// wins if vpc is given, else the first known.
func (c *Config) InterfaceByAddr(a netip.Addr, vpc string) *Interface {
	if c == nil {
		return nil
	}
	es := c.byAddr[a.Unmap()]
	if len(es) == 0 {
		return nil
	}
	for _, e := range es {
		if vpc != "" && e.VPCID == vpc {
			return e
		}
	}
	return es[0]
}

// Group returns the security group with id, or nil.
func (c *Config) Group(id string) *SecurityGroup {
	if c == nil {
		return nil
	}
	return c.groups[id]
}

// ACL returns the network ACL with id, or nil.
func (c *Config) ACL(id string) *NetworkACL {
	if c == nil {
		return nil
	}
	return c.acls[id]
}

// ACLOf returns the network ACL associated with subnet, or nil.
func (c *Config) ACLOf(subnet string) *NetworkACL {
	if c == nil {
		return nil
	}
	return c.aclOf[subnet]
}

// PrefixList returns the prefix list with id, or nil.
func (c *Config) PrefixList(id string) *PrefixList {
	if c == nil {
		return nil
	}
	return c.plists[id]
}

// Subnet returns the subnet with id, or nil.
func (c *Config) Subnet(id string) *Subnet {
	if c == nil {
		return nil
	}
	return c.subnets[id]
}

// SubnetName returns the name of subnet id: its Name tag, else the id.
func (c *Config) SubnetName(id string) string {
	if sn := c.Subnet(id); sn != nil && sn.Name != "" {
		return sn.Name
	}
	return id
}

// GroupName returns the name of security group id when it was described,
// else the id.
func (c *Config) GroupName(id string) string {
	if g := c.Group(id); g != nil && g.Name != "" {
		return g.Name
	}
	return id
}

// Describe says who interface e is in the words of an incident: its name,
// then where it sits, "web-2 (sg web, subnet web-b)" (see Placement). A
// manual name wins as everywhere.
func (c *Config) Describe(e *Interface) string {
	if e == nil {
		return ""
	}
	name := c.NameOfInterface(e.ID)
	if name == "" {
		name = e.ID
	}
	if p := c.Placement(e); p != "" {
		return name + " (" + p + ")"
	}
	return name
}

// Placement says where interface e sits: its security groups and subnet,
// "sg web, subnet web-b". Groups and subnets go by name where known
// ("sg web"), else by id ("sg-0abc", "subnet subnet-0abc").
func (c *Config) Placement(e *Interface) string {
	if e == nil {
		return ""
	}
	var what []string
	for _, g := range e.Groups {
		if n := c.GroupName(g); n != g {
			what = append(what, "sg "+n)
		} else {
			what = append(what, g)
		}
	}
	if e.SubnetID != "" {
		what = append(what, "subnet "+c.SubnetName(e.SubnetID))
	}
	return strings.Join(what, ", ")
}

// Members returns the known interfaces in security group id.
func (c *Config) Members(id string) []*Interface {
	if c == nil {
		return nil
	}
	return c.members[id]
}

// NameOfAddr returns the name of address a: a name given by hand for the
// address, else for its interface, else the interface's DisplayName; ""
// when nothing is known.
func (c *Config) NameOfAddr(a netip.Addr) string {
	if c == nil || !a.IsValid() {
		return ""
	}
	a = a.Unmap()
	if n := c.names[a.String()]; n != "" {
		return n
	}
	if e := c.InterfaceByAddr(a, ""); e != nil {
		return c.NameOfInterface(e.ID)
	}
	return ""
}

// NameOfInterface returns the name of interface id: a name given by hand,
// else its DisplayName when the interface is known and that says more
// than the id itself; "" otherwise.
func (c *Config) NameOfInterface(id string) string {
	if c == nil || id == "" {
		return ""
	}
	if n := c.names[id]; n != "" {
		return n
	}
	if e := c.byID[id]; e != nil {
		if n := e.DisplayName(); n != e.ID {
			return n
		}
	}
	return ""
}

// NamedAddrs calls fn for every address that has a name (given by hand or
// through its interface), with that name. Order is unspecified.
func (c *Config) NamedAddrs(fn func(a netip.Addr, name string)) {
	if c == nil {
		return
	}
	done := map[netip.Addr]bool{}
	for k, n := range c.names {
		if a, err := netip.ParseAddr(k); err == nil {
			done[a] = true
			fn(a, n)
		}
	}
	for a := range c.byAddr {
		if !done[a] {
			if n := c.NameOfAddr(a); n != "" {
				fn(a, n)
			}
		}
	}
}

// NamedInterfaces calls fn for every interface id that has a name. Order
// is unspecified.
func (c *Config) NamedInterfaces(fn func(id, name string)) {
	if c == nil {
		return
	}
	done := map[string]bool{}
	for k, n := range c.names {
		if _, err := netip.ParseAddr(k); err != nil {
			done[k] = true
			fn(k, n)
		}
	}
	for id := range c.byID {
		if !done[id] {
			if n := c.NameOfInterface(id); n != "" {
				fn(id, n)
			}
		}
	}
}

// Store holds the newest Config for concurrent readers. The zero value
// holds nil (nothing known). Version counts the Configs stored, so readers
// can tell that names changed (a filter that names hosts is compiled again).
type Store struct {
	cur     atomic.Pointer[Config]
	version atomic.Uint64
}

// Load returns the newest Config (nil when none).
func (s *Store) Load() *Config {
	if s == nil {
		return nil
	}
	return s.cur.Load()
}

// Version returns how many Configs have been stored.
func (s *Store) Version() uint64 {
	if s == nil {
		return 0
	}
	return s.version.Load()
}

// Set stores c.
func (s *Store) Set(c *Config) {
	s.cur.Store(c)
	s.version.Add(1)
}

// Update stores fn applied to the newest Config. Concurrent updates are
// serialised: none is lost.
func (s *Store) Update(fn func(*Config) *Config) {
	for {
		old := s.cur.Load()
		nc := fn(old)
		if s.cur.CompareAndSwap(old, nc) {
			s.version.Add(1)
			return
		}
	}
}
