package source

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/flowlens/flowlens/model/vpc"
)

// The demo estate's configuration: names, security groups and network
// ACLs, as EC2 would describe them, so that `flowlens demo` shows names
// and `why` can name the rule behind a REJECT without AWS. It agrees with
// the traffic the generator plays: the load balancers take 443 from
// anywhere, the bastion and the Windows jump host only SSH/RDP from the
// office (so the scan and the brute force are rejected), and app-8 was
// launched with the batch group that the database does not admit — the
// sg-misconfig incident.

// demoGroupsByTier are the security groups of each tier; app-8 is the
// exception (see demoGroupsOf).
var demoGroupsByTier = map[tier][]string{
	tierEdge: {"sg-alb"}, tierWeb: {"sg-web"}, tierApp: {"sg-app"}, tierDB: {"sg-db"}, tierCache: {"sg-cache"},
	tierEndpoint: {"sg-vpce"}, tierLambda: {"sg-lambda"}, tierDNS: {"sg-dns"}, tierMon: {"sg-mon"}, tierKafka: {"sg-kafka"},
}

// demoGroupsOf returns the security groups of one interface of the estate.
func demoGroupsOf(e *demoENI) []string {
	switch e.name {
	case "bastion":
		return []string{"sg-bastion"}
	case "jump-win":
		return []string{"sg-jump"}
	case "app-8":
		return []string{"sg-batch"} // the misconfiguration: sg-db admits sg-app only
	case "stg-nlb":
		return nil // a network load balancer without security groups
	case "nat-a", "nat-b":
		return nil // NAT gateways have none
	}
	if e.vpc == demoStaging {
		switch e.tier {
		case tierWeb:
			return []string{"sg-stg-web"}
		case tierApp:
			return []string{"sg-stg-app"}
		case tierDB:
			return []string{"sg-stg-db"}
		}
	}
	return demoGroupsByTier[e.tier]
}

// demoConfig is built once: the estate does not change.
var demoConfig = sync.OnceValue(buildDemoConfig)

// DemoConfig returns the demo estate's configuration (shared: do not
// change it).
func DemoConfig() *vpc.Config { return demoConfig() }

func buildDemoConfig() *vpc.Config {
	pfx := netip.MustParsePrefix
	all4, all6 := pfx("0.0.0.0/0"), pfx("::/0")
	var p vpc.Parts
	subnets := map[string]bool{}
	for _, e := range demoENIs {
		if !subnets[e.subnet.id] {
			subnets[e.subnet.id] = true
			p.Subnets = append(p.Subnets, &vpc.Subnet{ID: e.subnet.id, Name: e.subnet.name, VPCID: e.vpc.id, AZ: e.subnet.az})
		}
		i := &vpc.Interface{ID: e.id, SubnetID: e.subnet.id, VPCID: e.vpc.id, AZ: e.subnet.az, OwnerID: e.vpc.account,
			Groups: demoGroupsOf(e), Addrs: []netip.Addr{netip.MustParseAddr(e.addr)}}
		if e.addr6 != "" {
			i.Addrs = append(i.Addrs, netip.MustParseAddr(e.addr6))
		}
		hex := strings.TrimPrefix(e.id, "eni-")
		switch {
		case e.instance != "-":
			i.InstanceID, i.InstanceName, i.Type = e.instance, e.name, "interface"
		case e.tier == tierNAT:
			i.Type, i.Description, i.Requester = "nat_gateway", "Interface for NAT Gateway nat-"+hex, "AWS"
			i.Name = e.name
		case e.name == "stg-nlb":
			i.Type, i.Description, i.Requester = "network_load_balancer", "ELB net/stg-nlb/"+hex[:16], "amazon-elb"
		case e.tier == tierEdge:
			i.Type, i.Description, i.Requester = "interface", "ELB app/prod-web/"+hex[:16], "amazon-elb"
			i.Name = e.name
		case e.tier == tierEndpoint:
			i.Type, i.Description, i.Requester = "vpc_endpoint", "VPC Endpoint Interface vpce-"+hex, "AWS"
			i.Name = e.name
		case e.tier == tierLambda:
			i.Type, i.Description, i.Requester = "lambda", "AWS Lambda VPC ENI-orders-worker", "AWS"
			i.Name = e.name
		}
		p.Interfaces = append(p.Interfaces, i)
	}
	rule := func(proto, from, to int, peer string) vpc.Rule {
		r := vpc.Rule{Protocol: proto, FromPort: from, ToPort: to}
		switch {
		case strings.HasPrefix(peer, "sg-"):
			r.Group = peer
		case strings.HasPrefix(peer, "pl-"):
			r.PrefixList = peer
		default:
			r.CIDR = pfx(peer)
		}
		return r
	}
	anyOut := []vpc.Rule{{Protocol: vpc.AllProtocols, FromPort: -1, ToPort: -1, CIDR: all4}, {Protocol: vpc.AllProtocols, FromPort: -1, ToPort: -1, CIDR: all6}}
	mon := rule(6, 9100, 9100, "10.2.0.0/16") // node exporter, scraped over peering (no group references across regions)
	ping := rule(1, 8, -1, "10.2.0.0/16")
	group := func(v *demoVPC, id, name string, in ...vpc.Rule) *vpc.SecurityGroup {
		return &vpc.SecurityGroup{ID: id, Name: name, VPCID: v.id, Ingress: in, Egress: anyOut}
	}
	p.Groups = []*vpc.SecurityGroup{
		group(demoProd, "sg-alb", "prod-alb", rule(6, 443, 443, "0.0.0.0/0"), rule(6, 443, 443, "::/0"),
			rule(6, 80, 80, "0.0.0.0/0"), rule(6, 80, 80, "::/0"), ping),
		group(demoProd, "sg-bastion", "bastion", rule(6, 22, 22, "pl-office"), ping),
		group(demoProd, "sg-jump", "jump-win", rule(6, 3389, 3389, "pl-office"), ping),
		group(demoProd, "sg-web", "web", rule(6, 8080, 8080, "sg-alb"), mon, ping),
		group(demoProd, "sg-app", "app", rule(6, 8443, 8443, "sg-web"), mon, ping),
		group(demoProd, "sg-batch", "batch", mon, ping),
		group(demoProd, "sg-db", "db", rule(6, 5432, 5432, "sg-app"), mon, ping),
		group(demoProd, "sg-cache", "cache", rule(6, 6379, 6379, "sg-app"), mon, ping),
		group(demoProd, "sg-vpce", "endpoints", rule(6, 443, 443, "10.0.0.0/16")),
		group(demoProd, "sg-lambda", "lambda"),
		group(demoShared, "sg-dns", "dns", rule(17, 53, 53, "10.0.0.0/8"), rule(6, 53, 53, "10.0.0.0/8")),
		group(demoShared, "sg-mon", "monitoring"),
		group(demoShared, "sg-kafka", "kafka", rule(6, 9092, 9092, "10.0.0.0/16")),
		group(demoStaging, "sg-stg-web", "stg-web", rule(6, 80, 80, "0.0.0.0/0")),
		group(demoStaging, "sg-stg-app", "stg-app", rule(6, 8080, 8080, "sg-stg-web")),
		group(demoStaging, "sg-stg-db", "stg-db", rule(6, 3306, 3306, "sg-stg-app")),
	}
	p.PrefixLists = []*vpc.PrefixList{{ID: "pl-office", Name: "office", CIDRs: []netip.Prefix{pfx(demoOffice + "/32")}}}
	// One ACL per VPC, the default: everything both ways, IPv4 and IPv6.
	open := []vpc.ACLEntry{
		{Number: 100, Protocol: vpc.AllProtocols, Allow: true, CIDR: all4, ICMPType: -1, ICMPCode: -1},
		{Number: 101, Protocol: vpc.AllProtocols, Allow: true, CIDR: all6, ICMPType: -1, ICMPCode: -1},
		{Number: 100, Egress: true, Protocol: vpc.AllProtocols, Allow: true, CIDR: all4, ICMPType: -1, ICMPCode: -1},
		{Number: 101, Egress: true, Protocol: vpc.AllProtocols, Allow: true, CIDR: all6, ICMPType: -1, ICMPCode: -1},
		{Number: vpc.CatchAll, Protocol: vpc.AllProtocols, CIDR: all4, ICMPType: -1, ICMPCode: -1},
		{Number: vpc.CatchAll, Protocol: vpc.AllProtocols, CIDR: all6, ICMPType: -1, ICMPCode: -1},
		{Number: vpc.CatchAll, Egress: true, Protocol: vpc.AllProtocols, CIDR: all4, ICMPType: -1, ICMPCode: -1},
		{Number: vpc.CatchAll, Egress: true, Protocol: vpc.AllProtocols, CIDR: all6, ICMPType: -1, ICMPCode: -1},
	}
	// A fault that drops replies (demoFaults: faultACLReply) is a custom
	// ACL on the server's subnet: the open rules, after a rule 90 that
	// denies tcp to the client's ephemeral ports on the way out.
	own := map[string]*vpc.NetworkACL{}
	for _, f := range demoFaults {
		if f.kind != faultACLReply {
			continue
		}
		client, server := demoByName(f.client), demoByName(f.server)
		acl := own[server.subnet.id]
		if acl == nil {
			acl = &vpc.NetworkACL{ID: "acl-" + demoHex("acl/"+server.subnet.id, 17), VPCID: server.vpc.id,
				Subnets: []string{server.subnet.id}, Entries: append([]vpc.ACLEntry(nil), open...)}
			own[server.subnet.id] = acl
			p.ACLs = append(p.ACLs, acl)
		}
		acl.Entries = append(acl.Entries, vpc.ACLEntry{Number: 90 - len(acl.Entries) + len(open), Egress: true, Protocol: 6,
			CIDR: pfx(client.addr + "/32"), FromPort: 1024, ToPort: 65535, ICMPType: -1, ICMPCode: -1})
	}
	for _, v := range demoVPCs {
		acl := &vpc.NetworkACL{ID: "acl-" + demoHex("acl/"+v.name, 17), VPCID: v.id, Default: true, Entries: open}
		seen := map[string]bool{}
		for _, e := range demoENIs {
			if e.vpc == v && !seen[e.subnet.id] && own[e.subnet.id] == nil {
				seen[e.subnet.id] = true
				acl.Subnets = append(acl.Subnets, e.subnet.id)
			}
		}
		p.ACLs = append(p.ACLs, acl)
	}
	// Hosts outside AWS that people know by name.
	p.Names = map[string]string{demoOffice: "office"}
	for i, a := range demoPartners {
		p.Names[a] = "partner-api-" + string(rune('1'+i))
	}
	return vpc.NewConfig(p)
}
