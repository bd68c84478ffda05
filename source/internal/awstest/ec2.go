package awstest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/flowlens/flowlens/model/vpc"
)

// EC2 is an EC2 API server speaking the EC2 query protocol (form-encoded
// POST, XML responses) for the calls flowlens makes:
// DescribeNetworkInterfaces, DescribeTags, DescribeSecurityGroups,
// DescribeNetworkAcls, DescribeManagedPrefixLists and
// GetManagedPrefixListEntries. Results are paged with NextToken (PageSize
// a page, or the request's MaxResults if smaller). It is an http.Handler:
// serve it with httptest or through WithEC2.
type EC2 struct {
	// PageSize caps the items of one page (0 = 1000).
	PageSize int

	mu        sync.Mutex
	cfg       *vpc.Config
	instNames map[string]string // instance id -> Name tag
	calls     map[string]int
	throttle  int
	deny      map[string]bool
	requests  []EC2Request
}

// EC2Request is one request the fake received.
type EC2Request struct {
	Action string
	Params map[string][]string
}

// Filter returns the values of the request's filter name.
func (r EC2Request) Filter(name string) []string {
	for i := 1; ; i++ {
		n := r.Params["Filter."+strconv.Itoa(i)+".Name"]
		if len(n) == 0 {
			return nil
		}
		if n[0] == name {
			var vals []string
			for j := 1; ; j++ {
				v := r.Params["Filter."+strconv.Itoa(i)+".Value."+strconv.Itoa(j)]
				if len(v) == 0 {
					return vals
				}
				vals = append(vals, v[0])
			}
		}
	}
}

// NewEC2 returns a fake EC2 that describes the configuration c; the
// instances' Name tags are taken from the interfaces' InstanceName.
func NewEC2(c *vpc.Config) *EC2 {
	e := &EC2{calls: map[string]int{}, deny: map[string]bool{}}
	e.Set(c)
	return e
}

// Set replaces the configuration described (the estate changed).
func (e *EC2) Set(c *vpc.Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg = c
	e.instNames = map[string]string{}
	for _, i := range c.Interfaces() {
		if i.InstanceID != "" && i.InstanceName != "" {
			e.instNames[i.InstanceID] = i.InstanceName
		}
	}
}

// Throttle answers the next n requests with RequestLimitExceeded.
func (e *EC2) Throttle(n int) {
	e.mu.Lock()
	e.throttle = n
	e.mu.Unlock()
}

// Deny answers every call of action (e.g. "DescribeNetworkAcls") with
// UnauthorizedOperation.
func (e *EC2) Deny(action string) {
	e.mu.Lock()
	e.deny[action] = true
	e.mu.Unlock()
}

// Calls returns how many requests of action were received (throttled and
// denied included).
func (e *EC2) Calls(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[action]
}

// Requests returns the requests received, in order.
func (e *EC2) Requests() []EC2Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]EC2Request(nil), e.requests...)
}

// IsEC2 reports whether r is an EC2 query-protocol request: a form POST
// to / carrying Action and Version (S3 never sends that).
func IsEC2(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/" &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") &&
		r.Header.Get("X-Amz-Target") == ""
}

// WithEC2 serves EC2 query-protocol requests with e and everything else
// with h, so one --endpoint-url reaches both.
func WithEC2(h http.Handler, e *EC2) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsEC2(r) {
			e.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type ec2Error struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func (e *EC2) fail(w http.ResponseWriter, status int, code, msg string) {
	b, _ := xml.Marshal(ec2Error{Code: code, Message: msg, RequestID: "fake-request"})
	writeXML(w, status, b)
}

// writeXML sends a whole XML document with its length, as EC2 does.
func writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// ServeHTTP answers one EC2 query request.
func (e *EC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		e.fail(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	req := EC2Request{Action: r.PostForm.Get("Action"), Params: map[string][]string(r.PostForm)}
	e.mu.Lock()
	e.calls[req.Action]++
	e.requests = append(e.requests, req)
	throttled := e.throttle > 0
	if throttled {
		e.throttle--
	}
	denied := e.deny[req.Action]
	cfg := e.cfg
	e.mu.Unlock()
	switch {
	case throttled:
		e.fail(w, http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
		return
	case denied:
		e.fail(w, http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/test is not authorized to perform: ec2:"+req.Action)
		return
	}
	var items []any
	switch req.Action {
	case "DescribeNetworkInterfaces":
		items = e.interfaces(cfg, req)
	case "DescribeTags":
		items = e.tags(req)
	case "DescribeSecurityGroups":
		items = e.groups(cfg, req)
	case "DescribeNetworkAcls":
		items = e.acls(cfg, req)
	case "DescribeManagedPrefixLists":
		items = e.prefixLists(cfg, req)
	case "DescribeSubnets":
		items = subnets(cfg, req)
	case "GetManagedPrefixListEntries":
		id := r.PostForm.Get("PrefixListId")
		pl := cfg.PrefixList(id)
		if pl == nil {
			e.fail(w, http.StatusBadRequest, "InvalidPrefixListID.NotFound", "The prefix list ID '"+id+"' does not exist")
			return
		}
		for _, c := range pl.CIDRs {
			items = append(items, xPrefixEntry{CIDR: c.String()})
		}
	default:
		e.fail(w, http.StatusBadRequest, "InvalidAction", "The action "+req.Action+" is not valid for this web service.")
		return
	}
	// Page.
	from := 0
	if t := r.PostForm.Get("NextToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "token-"))
		if err != nil || n < 0 || n > len(items) {
			e.fail(w, http.StatusBadRequest, "InvalidNextToken", "The token '"+t+"' is invalid")
			return
		}
		from = n
	}
	size := e.PageSize
	if size <= 0 {
		size = 1000
	}
	if m, err := strconv.Atoi(r.PostForm.Get("MaxResults")); err == nil && m > 0 && m < size {
		size = m
	}
	to := min(from+size, len(items))
	next := ""
	if to < len(items) {
		next = "token-" + strconv.Itoa(to)
	}
	setName := map[string]string{
		"DescribeNetworkInterfaces": "networkInterfaceSet", "DescribeTags": "tagSet",
		"DescribeSecurityGroups": "securityGroupInfo", "DescribeNetworkAcls": "networkAclSet",
		"DescribeManagedPrefixLists": "prefixListSet", "GetManagedPrefixListEntries": "entrySet",
		"DescribeSubnets": "subnetSet",
	}[req.Action]
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-request</requestId><%s>`, req.Action, setName)
	enc := xml.NewEncoder(&buf)
	for _, it := range items[from:to] {
		enc.EncodeElement(it, xml.StartElement{Name: xml.Name{Local: "item"}})
	}
	enc.Flush()
	fmt.Fprintf(&buf, `</%s>`, setName)
	if next != "" {
		fmt.Fprintf(&buf, `<nextToken>%s</nextToken>`, next)
	}
	fmt.Fprintf(&buf, `</%sResponse>`, req.Action)
	writeXML(w, http.StatusOK, buf.Bytes())
}

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xGroupID struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName,omitempty"`
}

type xAssoc struct {
	PublicIP string `xml:"publicIp"`
	IPOwner  string `xml:"ipOwnerId"`
}

type xPrivIP struct {
	Addr    string  `xml:"privateIpAddress"`
	Primary bool    `xml:"primary"`
	Assoc   *xAssoc `xml:"association,omitempty"`
}

type xIPv6 struct {
	Addr string `xml:"ipv6Address"`
}

type xAttach struct {
	ID         string `xml:"attachmentId"`
	InstanceID string `xml:"instanceId"`
	Status     string `xml:"status"`
}

type xENI struct {
	ID          string     `xml:"networkInterfaceId"`
	SubnetID    string     `xml:"subnetId"`
	VPCID       string     `xml:"vpcId"`
	AZ          string     `xml:"availabilityZone,omitempty"`
	Description string     `xml:"description"`
	OwnerID     string     `xml:"ownerId"`
	Requester   string     `xml:"requesterId,omitempty"`
	Managed     bool       `xml:"requesterManaged"`
	Status      string     `xml:"status"`
	PrivateIP   string     `xml:"privateIpAddress,omitempty"`
	Type        string     `xml:"interfaceType"`
	Groups      []xGroupID `xml:"groupSet>item"`
	Attachment  *xAttach   `xml:"attachment,omitempty"`
	Assoc       *xAssoc    `xml:"association,omitempty"`
	Tags        []xTag     `xml:"tagSet>item"`
	PrivateIPs  []xPrivIP  `xml:"privateIpAddressesSet>item"`
	IPv6        []xIPv6    `xml:"ipv6AddressesSet>item"`
}

func has(vals []string, v string) bool { return slices.Contains(vals, v) }

func (e *EC2) interfaces(c *vpc.Config, req EC2Request) []any {
	ids, priv, v6, pub := req.Filter("network-interface-id"), req.Filter("addresses.private-ip-address"),
		req.Filter("ipv6-addresses.ipv6-address"), req.Filter("association.public-ip")
	vpcs := req.Filter("vpc-id")
	all := ids == nil && priv == nil && v6 == nil && pub == nil
	var out []any
	for _, i := range c.Interfaces() {
		match := all || has(ids, i.ID)
		for _, a := range i.Addrs {
			if a.Is4() && has(priv, a.String()) || a.Is6() && has(v6, a.String()) {
				match = true
			}
		}
		for _, a := range i.PublicAddrs {
			if has(pub, a.String()) {
				match = true
			}
		}
		if !match || vpcs != nil && !has(vpcs, i.VPCID) {
			continue
		}
		x := xENI{ID: i.ID, SubnetID: i.SubnetID, VPCID: i.VPCID, AZ: i.AZ, Description: i.Description, OwnerID: i.OwnerID,
			Requester: i.Requester, Managed: i.Requester != "", Status: "in-use", Type: i.Type}
		if x.Type == "" {
			x.Type = "interface"
		}
		for _, g := range i.Groups {
			x.Groups = append(x.Groups, xGroupID{GroupID: g})
		}
		if i.InstanceID != "" {
			x.Attachment = &xAttach{ID: "eni-attach-" + strings.TrimPrefix(i.ID, "eni-"), InstanceID: i.InstanceID, Status: "attached"}
		}
		if i.Name != "" {
			x.Tags = append(x.Tags, xTag{"Name", i.Name})
		}
		first := true
		for _, a := range i.Addrs {
			if a.Is6() {
				x.IPv6 = append(x.IPv6, xIPv6{a.String()})
				continue
			}
			p := xPrivIP{Addr: a.String(), Primary: first}
			if first {
				x.PrivateIP = a.String()
				if len(i.PublicAddrs) > 0 {
					x.Assoc = &xAssoc{PublicIP: i.PublicAddrs[0].String(), IPOwner: "amazon"}
					p.Assoc = x.Assoc
				}
			}
			first = false
			x.PrivateIPs = append(x.PrivateIPs, p)
		}
		out = append(out, x)
	}
	return out
}

type xTagDesc struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

func (e *EC2) tags(req EC2Request) []any {
	ids, keys := req.Filter("resource-id"), req.Filter("key")
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []any
	inst := make([]string, 0, len(e.instNames))
	for id := range e.instNames {
		inst = append(inst, id)
	}
	slices.Sort(inst)
	for _, id := range inst {
		if (ids == nil || has(ids, id)) && (keys == nil || has(keys, "Name")) {
			out = append(out, xTagDesc{ResourceID: id, ResourceType: "instance", Key: "Name", Value: e.instNames[id]})
		}
	}
	return out
}

type xRange struct {
	CIDR string `xml:"cidrIp"`
	Desc string `xml:"description,omitempty"`
}

type xRange6 struct {
	CIDR string `xml:"cidrIpv6"`
	Desc string `xml:"description,omitempty"`
}

type xPL struct {
	ID   string `xml:"prefixListId"`
	Desc string `xml:"description,omitempty"`
}

type xPair struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
	Desc    string `xml:"description,omitempty"`
}

type xPerm struct {
	Protocol string    `xml:"ipProtocol"`
	From     *int      `xml:"fromPort,omitempty"`
	To       *int      `xml:"toPort,omitempty"`
	Groups   []xPair   `xml:"groups>item"`
	Ranges   []xRange  `xml:"ipRanges>item"`
	Ranges6  []xRange6 `xml:"ipv6Ranges>item"`
	PLs      []xPL     `xml:"prefixListIds>item"`
}

type xSG struct {
	OwnerID string  `xml:"ownerId"`
	ID      string  `xml:"groupId"`
	Name    string  `xml:"groupName"`
	Desc    string  `xml:"groupDescription"`
	VPCID   string  `xml:"vpcId"`
	In      []xPerm `xml:"ipPermissions>item"`
	Out     []xPerm `xml:"ipPermissionsEgress>item"`
}

// perms writes rules as the API does: one IpPermission per protocol and
// port range, listing its peers.
func perms(rules []vpc.Rule) []xPerm {
	var out []xPerm
	idx := map[[3]int]int{}
	for _, r := range rules {
		k := [3]int{r.Protocol, r.FromPort, r.ToPort}
		i, ok := idx[k]
		if !ok {
			p := xPerm{Protocol: protoText(r.Protocol)}
			if r.Protocol != vpc.AllProtocols {
				from, to := r.FromPort, r.ToPort
				p.From, p.To = &from, &to
			}
			out = append(out, p)
			i = len(out) - 1
			idx[k] = i
		}
		p := &out[i]
		switch {
		case r.CIDR.IsValid() && r.CIDR.Addr().Is4():
			p.Ranges = append(p.Ranges, xRange{r.CIDR.String(), r.Description})
		case r.CIDR.IsValid():
			p.Ranges6 = append(p.Ranges6, xRange6{r.CIDR.String(), r.Description})
		case r.Group != "":
			p.Groups = append(p.Groups, xPair{UserID: "111122223333", GroupID: r.Group, Desc: r.Description})
		case r.PrefixList != "":
			p.PLs = append(p.PLs, xPL{r.PrefixList, r.Description})
		}
	}
	return out
}

func protoText(p int) string {
	switch p {
	case vpc.AllProtocols:
		return "-1"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	case 58:
		return "icmpv6"
	}
	return strconv.Itoa(p)
}

func (e *EC2) groups(c *vpc.Config, req EC2Request) []any {
	ids := req.Filter("group-id")
	var out []any
	for _, g := range c.Parts().Groups {
		if ids != nil && !has(ids, g.ID) {
			continue
		}
		out = append(out, xSG{OwnerID: "111122223333", ID: g.ID, Name: g.Name, Desc: g.Name, VPCID: g.VPCID, In: perms(g.Ingress), Out: perms(g.Egress)})
	}
	return out
}

type xACLEntry struct {
	Number int    `xml:"ruleNumber"`
	Proto  string `xml:"protocol"`
	Action string `xml:"ruleAction"`
	Egress bool   `xml:"egress"`
	CIDR   string `xml:"cidrBlock,omitempty"`
	CIDR6  string `xml:"ipv6CidrBlock,omitempty"`
	ICMP   *struct {
		Code int `xml:"code"`
		Type int `xml:"type"`
	} `xml:"icmpTypeCode,omitempty"`
	Ports *struct {
		From int `xml:"from"`
		To   int `xml:"to"`
	} `xml:"portRange,omitempty"`
}

type xACLAssoc struct {
	ID     string `xml:"networkAclAssociationId"`
	ACLID  string `xml:"networkAclId"`
	Subnet string `xml:"subnetId"`
}

type xACL struct {
	ID      string      `xml:"networkAclId"`
	VPCID   string      `xml:"vpcId"`
	Default bool        `xml:"default"`
	Entries []xACLEntry `xml:"entrySet>item"`
	Assocs  []xACLAssoc `xml:"associationSet>item"`
	OwnerID string      `xml:"ownerId"`
	Tags    []xTag      `xml:"tagSet>item"`
}

func (e *EC2) acls(c *vpc.Config, req EC2Request) []any {
	subnets, ids := req.Filter("association.subnet-id"), req.Filter("network-acl-id")
	var out []any
	for _, a := range c.Parts().ACLs {
		match := subnets == nil && ids == nil || has(ids, a.ID)
		for _, s := range a.Subnets {
			match = match || has(subnets, s)
		}
		if !match {
			continue
		}
		x := xACL{ID: a.ID, VPCID: a.VPCID, Default: a.Default, OwnerID: "111122223333"}
		if a.Name != "" {
			x.Tags = append(x.Tags, xTag{"Name", a.Name})
		}
		for _, en := range a.Entries {
			xe := xACLEntry{Number: en.Number, Proto: strconv.Itoa(en.Protocol), Action: "deny", Egress: en.Egress}
			if en.Allow {
				xe.Action = "allow"
			}
			if en.CIDR.Addr().Is4() {
				xe.CIDR = en.CIDR.String()
			} else {
				xe.CIDR6 = en.CIDR.String()
			}
			switch en.Protocol {
			case 6, 17:
				xe.Ports = &struct {
					From int `xml:"from"`
					To   int `xml:"to"`
				}{en.FromPort, en.ToPort}
			case 1, 58:
				xe.ICMP = &struct {
					Code int `xml:"code"`
					Type int `xml:"type"`
				}{en.ICMPCode, en.ICMPType}
			}
			x.Entries = append(x.Entries, xe)
		}
		for _, s := range a.Subnets {
			x.Assocs = append(x.Assocs, xACLAssoc{ID: "aclassoc-" + strings.TrimPrefix(s, "subnet-"), ACLID: a.ID, Subnet: s})
		}
		out = append(out, x)
	}
	return out
}

type xMPL struct {
	ID     string `xml:"prefixListId"`
	Name   string `xml:"prefixListName"`
	Family string `xml:"addressFamily"`
	State  string `xml:"state"`
}

type xPrefixEntry struct {
	CIDR string `xml:"cidr"`
}

func (e *EC2) prefixLists(c *vpc.Config, req EC2Request) []any {
	ids := req.Filter("prefix-list-id")
	var out []any
	for _, l := range c.Parts().PrefixLists {
		if ids != nil && !has(ids, l.ID) {
			continue
		}
		fam := "IPv4"
		if len(l.CIDRs) > 0 && !l.CIDRs[0].Addr().Is4() {
			fam = "IPv6"
		}
		out = append(out, xMPL{ID: l.ID, Name: l.Name, Family: fam, State: "create-complete"})
	}
	return out
}

type xSubnet struct {
	ID    string `xml:"subnetId"`
	VPCID string `xml:"vpcId"`
	AZ    string `xml:"availabilityZone,omitempty"`
	CIDR  string `xml:"cidrBlock,omitempty"`
	State string `xml:"state"`
	Tags  []xTag `xml:"tagSet>item"`
}

// subnets answers DescribeSubnets: the subnets of the configuration, by
// subnet-id filter (all without one), with their Name tags.
func subnets(c *vpc.Config, req EC2Request) []any {
	ids := req.Filter("subnet-id")
	var out []any
	for _, sn := range c.Parts().Subnets {
		if ids != nil && !has(ids, sn.ID) {
			continue
		}
		x := xSubnet{ID: sn.ID, VPCID: sn.VPCID, AZ: sn.AZ, State: "available"}
		if sn.CIDR.IsValid() {
			x.CIDR = sn.CIDR.String()
		}
		if sn.Name != "" {
			x.Tags = append(x.Tags, xTag{"Name", sn.Name})
		}
		out = append(out, x)
	}
	return out
}

// ParseAddrs is netip.MustParseAddr over a list, for building estates.
func ParseAddrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// FakeEstate is the configuration behind Record's interfaces: interface
// n (eni-%017x) belongs to instance fake-web-NN at 10.1.n.1 (the
// destination side of Record's lines), in one of two subnets (named
// fake-a and fake-b) with their own network ACLs; security group sg-fake-web allows tcp 443 from the
// VPC, and the second subnet's ACL denies replies to ports 1024-32767.
func FakeEstate(account string, n int) *vpc.Config {
	var ifaces []*vpc.Interface
	for i := 0; i < n; i++ {
		sub := "subnet-fake-a"
		if i%2 == 1 {
			sub = "subnet-fake-b"
		}
		ifaces = append(ifaces, &vpc.Interface{ID: fmt.Sprintf("eni-%017x", i), InstanceID: fmt.Sprintf("i-%017x", i),
			InstanceName: fmt.Sprintf("fake-web-%02d", i), SubnetID: sub, VPCID: "vpc-fake", OwnerID: account,
			Groups: []string{"sg-fake-web"}, Addrs: []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(i), 1})}})
	}
	all := netip.MustParsePrefix("0.0.0.0/0")
	open := func(id, subnet string, extra ...vpc.ACLEntry) *vpc.NetworkACL {
		return &vpc.NetworkACL{ID: id, VPCID: "vpc-fake", Subnets: []string{subnet}, Entries: append(extra,
			vpc.ACLEntry{Number: 100, Protocol: vpc.AllProtocols, Allow: true, CIDR: all, ICMPType: -1, ICMPCode: -1},
			vpc.ACLEntry{Number: 100, Egress: true, Protocol: vpc.AllProtocols, Allow: true, CIDR: all, ICMPType: -1, ICMPCode: -1},
			vpc.ACLEntry{Number: vpc.CatchAll, Protocol: vpc.AllProtocols, CIDR: all, ICMPType: -1, ICMPCode: -1},
			vpc.ACLEntry{Number: vpc.CatchAll, Egress: true, Protocol: vpc.AllProtocols, CIDR: all, ICMPType: -1, ICMPCode: -1})}
	}
	return vpc.NewConfig(vpc.Parts{
		Interfaces: ifaces,
		Groups: []*vpc.SecurityGroup{{ID: "sg-fake-web", Name: "fake-web", VPCID: "vpc-fake",
			Ingress: []vpc.Rule{{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: netip.MustParsePrefix("10.0.0.0/8")}},
			Egress:  []vpc.Rule{{Protocol: vpc.AllProtocols, FromPort: -1, ToPort: -1, CIDR: all}}}},
		Subnets: []*vpc.Subnet{
			{ID: "subnet-fake-a", Name: "fake-a", VPCID: "vpc-fake"},
			{ID: "subnet-fake-b", Name: "fake-b", VPCID: "vpc-fake"},
		},
		ACLs: []*vpc.NetworkACL{
			open("acl-fake-a", "subnet-fake-a"),
			open("acl-fake-b", "subnet-fake-b", vpc.ACLEntry{Number: 90, Egress: true, Protocol: 6, CIDR: all, FromPort: 1024, ToPort: 32767, ICMPType: -1, ICMPCode: -1}),
		},
	})
}
