package source

import (
	"fmt"
	"hash/fnv"
	"time"
)

// The demo's small AWS estate, as data: three VPCs in two accounts and two
// regions, web/app/db tiers behind load balancers, NAT gateways, IPv6 at
// the edge, shared services over inter-region peering, and a staging VPC
// whose flow log still uses the default format. All addresses are private
// or from the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32), except the published AWS service ranges.

// DemoCycle is the period of the demo's incident schedule, counted from
// the moment the demo starts. The demo backfills one cycle of history, so
// every incident is in the data at once and again within the next minute.
const DemoCycle = 2 * time.Minute

// DemoIncident is one scripted incident of the demo source, for presets,
// docs and tests that want to point a user at it, and for checking that
// the detections find it.
type DemoIncident struct {
	Name   string        // short identifier, e.g. "port-scan"
	Title  string        // one line for people
	Filter string        // a filter expression (DESIGN §4) that finds it
	Hosts  []string      // the addresses involved, the culprit first
	Start  time.Duration // when it starts within each DemoCycle
	Length time.Duration // how long it lasts each cycle; 0 means all the time

	// Detections are the detections that find it (model/detect names).
	Detections []string
	// Src and Dst are the source and target a finding names ("" when
	// the finding names no address: a sweep's targets, a logging gap).
	Src, Dst string
	// Port is the destination port a finding names, 0 when none.
	Port int
	// Interface is the interface id of a logging gap.
	Interface string
	// Verdict is what "why Src Dst --port Port" says ("" when not asked).
	Verdict string
}

// demoIncidents is DemoIncidents, for the generator.
var demoIncidents = DemoIncidents()

// Incident host addresses.
const (
	demoScanner   = "203.0.113.66"          // port scan source
	demoBruter    = "198.51.100.23"         // SSH/RDP brute force source
	demoExfilDest = "203.0.113.200"         // exfiltration destination
	demoStreamTo  = "2001:db8:ffff:dead::1" // where the one-way UDP stream goes
	demoSweepNet  = 0x0a001000              // 10.0.16.0/20, swept on 22 (4,096 addresses)
	demoSweepSize = 4096
)

// DemoIncidents describes the incidents the demo source plays, in the
// order they start.
func DemoIncidents() []DemoIncident {
	return []DemoIncident{
		{
			Name:       "sg-misconfig",
			Title:      "A security group rejects app-8 (10.0.21.14) connecting to the database db-1 (10.0.30.10) on 5432",
			Filter:     "action = REJECT and dstport = 5432 and srcaddr in 10.0.0.0/16",
			Hosts:      []string{"10.0.21.14", "10.0.30.10"},
			Start:      0,
			Detections: []string{"blocked-internal"}, Src: "10.0.21.14", Dst: "10.0.30.10", Port: 5432,
			Verdict: "blocked-at-destination-inbound",
		},
		{
			Name:       "acl-reply",
			Title:      "The outbound network ACL of cache-2's subnet (cache-b) drops its replies to app-2 (10.0.20.12) on 6379",
			Filter:     "action = REJECT and srcport = 6379",
			Hosts:      []string{"10.0.31.20", "10.0.20.12"},
			Start:      0,
			Detections: []string{"blocked-internal"}, Src: "10.0.20.12", Dst: "10.0.31.20", Port: 6379,
			Verdict: "reply-blocked-at-destination",
		},
		{
			Name:       "logging-gap",
			Title:      "The flow log of NAT gateway nat-b loses records every other minute (SKIPDATA)",
			Filter:     "log-status = SKIPDATA",
			Hosts:      []string{"10.0.1.10"},
			Start:      0,
			Detections: []string{"logging-gap"}, Interface: demoENIID("nat-b"),
		},
		{
			Name:       "port-scan",
			Title:      "Port scan of the bastion and load balancer from " + demoScanner,
			Filter:     "srcaddr = " + demoScanner + " and action = REJECT",
			Hosts:      []string{demoScanner, "10.0.0.5", "10.0.0.21"},
			Start:      10 * time.Second,
			Length:     30 * time.Second,
			Detections: []string{"port-scan"}, Src: demoScanner, Dst: "10.0.0.5",
		},
		{
			Name:       "brute-force",
			Title:      "SSH and RDP brute force from " + demoBruter + " against the bastion and the Windows jump host",
			Filter:     "action = REJECT and dstport in (22, 3389)",
			Hosts:      []string{demoBruter, "10.0.0.5", "10.0.1.5"},
			Start:      25 * time.Second,
			Length:     60 * time.Second,
			Detections: []string{"brute-force"}, Src: demoBruter, Dst: "10.0.0.5", Port: 22,
			Verdict: "blocked-at-destination-inbound",
		},
		{
			Name:       "exfiltration",
			Title:      "Data exfiltration: app-7 (10.0.21.13) sends hundreds of MB to " + demoExfilDest + " through the NAT gateway",
			Filter:     "dstaddr = " + demoExfilDest + " and bytes > 10MB",
			Hosts:      []string{demoExfilDest, "10.0.21.13", "10.0.1.10"},
			Start:      45 * time.Second,
			Length:     15 * time.Second,
			Detections: []string{"exfiltration"}, Src: "10.0.21.13", Dst: demoExfilDest, Port: 443,
			Verdict: "allowed",
		},
		{
			Name:       "port-sweep",
			Title:      "web-3 (10.0.10.13) sweeps 10.0.16.0/20 for SSH: lateral movement",
			Filter:     "srcaddr = 10.0.10.13 and dstport = 22",
			Hosts:      []string{"10.0.10.13"},
			Start:      60 * time.Second,
			Length:     20 * time.Second,
			Detections: []string{"port-sweep"}, Src: "10.0.10.13", Port: 22,
		},
		{
			Name:       "unidirectional",
			Title:      "web-5 streams UDP over IPv6 to " + demoStreamTo + " with nothing coming back",
			Filter:     "dstaddr = " + demoStreamTo,
			Hosts:      []string{"2001:db8:1000:11::12", demoStreamTo},
			Start:      80 * time.Second,
			Length:     20 * time.Second,
			Detections: []string{"unidirectional", "exfiltration"}, Src: "2001:db8:1000:11::12", Dst: demoStreamTo,
		},
		{
			Name:       "rejects-spike",
			Title:      "A deploy points web-2 (10.0.10.12) at cache-1 (10.0.30.20) on 6379 without a security group rule",
			Filter:     "srcaddr = 10.0.10.12 and action = REJECT",
			Hosts:      []string{"10.0.10.12", "10.0.30.20"},
			Start:      95 * time.Second,
			Length:     20 * time.Second,
			Detections: []string{"rejects-spike", "blocked-internal"}, Src: "10.0.10.12", Dst: "10.0.30.20", Port: 6379,
			Verdict: "blocked-at-destination-inbound",
		},
	}
}

// faultKind is how a misconfiguration of the estate blocks traffic.
type faultKind uint8

const (
	// faultSGInbound: the server's security group has no rule for the
	// client: its interface logs the request REJECTed, nothing comes back.
	faultSGInbound faultKind = iota + 1
	// faultACLReply: the outbound network ACL of the server's subnet
	// denies the client's ephemeral ports: the request is ACCEPTed in,
	// the reply REJECTed on its way out.
	faultACLReply
)

// demoFault is a misconfiguration of the estate that one incident plays:
// conversations from client to server:port meet it while the incident is
// on. Kept as data so the estate's rules can be described next to it.
type demoFault struct {
	incident       string
	client, server string // interface names
	port           int
	kind           faultKind
}

var demoFaults = []demoFault{
	{"sg-misconfig", "app-8", "db-1", 5432, faultSGInbound},
	{"acl-reply", "app-2", "cache-2", 6379, faultACLReply},
	{"rejects-spike", "web-2", "cache-1", 6379, faultSGInbound},
}

// demoENIID is the interface id of an interface of the estate.
func demoENIID(name string) string { return "eni-" + demoHex("eni/"+name, 17) }

// demoVPC is one VPC and its flow log (one object of the demo source).
type demoVPC struct {
	name    string
	id      string
	account string
	region  string
	object  string // Batch.Object of its flow log
	v5      bool   // custom v5 format with a header; else the default format
}

type demoSubnet struct {
	id, name, az string
}

type tier uint8

const (
	tierEdge tier = iota // load balancers, bastion, jump host
	tierNAT
	tierWeb
	tierApp
	tierDB
	tierCache
	tierEndpoint
	tierLambda
	tierDNS
	tierMon
	tierKafka
)

// demoENI is one network interface of the estate.
type demoENI struct {
	name     string
	id       string
	tier     tier
	vpc      *demoVPC
	subnet   demoSubnet
	account  string // account-id as logged ("unknown" for some AWS-managed ENIs)
	instance string // "-" for requester-managed ENIs
	addr     string // primary private IPv4
	addr6    string // "" without IPv6
}

var (
	demoProd    = &demoVPC{name: "prod", account: "111122223333", region: "us-east-1", object: "demo/prod-us-east-1.log", v5: true}
	demoShared  = &demoVPC{name: "shared", account: "111122223333", region: "us-west-2", object: "demo/shared-us-west-2.log", v5: true}
	demoStaging = &demoVPC{name: "staging", account: "444455556666", region: "us-east-1", object: "demo/staging-us-east-1.log"}
	demoVPCs    = []*demoVPC{demoProd, demoShared, demoStaging}
)

// demoENIs is the estate: 44 interfaces.
var demoENIs = buildEstate()

// demoByName finds an interface of the estate.
func demoByName(name string) *demoENI {
	for _, e := range demoENIs {
		if e.name == name {
			return e
		}
	}
	panic("demo estate: no ENI " + name)
}

// demoByAddr finds an interface of the estate by its IPv4 address.
var demoByAddr = func() map[string]*demoENI {
	m := map[string]*demoENI{}
	for _, e := range demoENIs {
		m[e.addr] = e
	}
	return m
}()

// demoTier lists the interfaces of one tier.
func demoTier(t tier) []*demoENI {
	var out []*demoENI
	for _, e := range demoENIs {
		if e.tier == t {
			out = append(out, e)
		}
	}
	return out
}

// demoHex returns n hex digits derived from name: stable IDs for the
// estate that do not depend on the seed.
func demoHex(name string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	s := fmt.Sprintf("%016x", h.Sum64())
	h.Write([]byte("+"))
	s += fmt.Sprintf("%016x", h.Sum64())
	return s[:n]
}

func buildEstate() []*demoENI {
	for _, v := range demoVPCs {
		v.id = "vpc-" + demoHex(v.name, 17)
	}
	subnet := func(v *demoVPC, name, az string) demoSubnet {
		return demoSubnet{id: "subnet-" + demoHex(v.name+"/"+name, 17), name: name, az: az}
	}
	type row struct {
		name     string
		t        tier
		v        *demoVPC
		sub, az  string
		addr     string
		addr6    string
		instance bool
		account  string
	}
	rows := []row{
		// prod, us-east-1
		{"alb-1", tierEdge, demoProd, "public-a", "use1-az1", "10.0.0.21", "2001:db8:1000::21", false, ""},
		{"alb-2", tierEdge, demoProd, "public-b", "use1-az2", "10.0.1.21", "2001:db8:1000:1::21", false, ""},
		{"bastion", tierEdge, demoProd, "public-a", "use1-az1", "10.0.0.5", "", true, ""},
		{"jump-win", tierEdge, demoProd, "public-b", "use1-az2", "10.0.1.5", "", true, ""},
		{"nat-a", tierNAT, demoProd, "public-a", "use1-az1", "10.0.0.10", "", false, ""},
		{"nat-b", tierNAT, demoProd, "public-b", "use1-az2", "10.0.1.10", "", false, ""},
	}
	for i := 1; i <= 6; i++ {
		sub, az, net := "web-a", "use1-az1", 10
		if i > 3 {
			sub, az, net = "web-b", "use1-az2", 11
		}
		n := 10 + (i-1)%3 + 1
		rows = append(rows, row{fmt.Sprintf("web-%d", i), tierWeb, demoProd, sub, az,
			fmt.Sprintf("10.0.%d.%d", net, n), fmt.Sprintf("2001:db8:1000:%d::%d", net, n), true, ""})
	}
	for i := 1; i <= 8; i++ {
		sub, az, net := "app-a", "use1-az1", 20
		if i > 4 {
			sub, az, net = "app-b", "use1-az2", 21
		}
		rows = append(rows, row{fmt.Sprintf("app-%d", i), tierApp, demoProd, sub, az,
			fmt.Sprintf("10.0.%d.%d", net, 10+(i-1)%4+1), "", true, ""})
	}
	rows = append(rows,
		row{"db-1", tierDB, demoProd, "db-a", "use1-az1", "10.0.30.10", "", true, ""},
		row{"db-2", tierDB, demoProd, "db-b", "use1-az2", "10.0.31.10", "", true, ""},
		row{"db-3", tierDB, demoProd, "db-a", "use1-az1", "10.0.30.11", "", true, ""},
		row{"db-4", tierDB, demoProd, "db-b", "use1-az2", "10.0.31.11", "", true, ""}, // idle standby: NODATA
		// The caches have subnets of their own: the acl-reply fault is
		// the outbound ACL of cache-b, and an ACL covers a whole subnet
		// (it would drop db-2's replies to app-2 as well).
		row{"cache-1", tierCache, demoProd, "cache-a", "use1-az1", "10.0.30.20", "", true, ""},
		row{"cache-2", tierCache, demoProd, "cache-b", "use1-az2", "10.0.31.20", "", true, ""},
		row{"vpce-1", tierEndpoint, demoProd, "app-a", "use1-az1", "10.0.20.5", "", false, ""},
		row{"vpce-2", tierEndpoint, demoProd, "app-b", "use1-az2", "10.0.21.5", "", false, ""},
		row{"lambda-1", tierLambda, demoProd, "app-a", "use1-az1", "10.0.20.100", "", false, ""},
		row{"lambda-2", tierLambda, demoProd, "app-a", "use1-az1", "10.0.20.101", "", false, ""},
		row{"lambda-3", tierLambda, demoProd, "app-b", "use1-az2", "10.0.21.100", "", false, ""},
		row{"lambda-4", tierLambda, demoProd, "app-b", "use1-az2", "10.0.21.101", "", false, ""},
		// shared services, us-west-2, over inter-region peering
		row{"dns-1", tierDNS, demoShared, "core-a", "usw2-az1", "10.2.0.2", "", true, ""},
		row{"dns-2", tierDNS, demoShared, "core-b", "usw2-az2", "10.2.1.2", "", true, ""},
		row{"mon-1", tierMon, demoShared, "core-a", "usw2-az1", "10.2.10.5", "", true, ""},
		row{"mon-2", tierMon, demoShared, "core-b", "usw2-az2", "10.2.11.5", "", true, ""},
		row{"kafka-1", tierKafka, demoShared, "data-a", "usw2-az1", "10.2.20.11", "", true, ""},
		row{"kafka-2", tierKafka, demoShared, "data-b", "usw2-az2", "10.2.20.12", "", true, ""},
		row{"kafka-3", tierKafka, demoShared, "data-a", "usw2-az1", "10.2.20.13", "", true, ""},
		// staging, another account, default format
		row{"stg-nlb", tierEdge, demoStaging, "public-a", "use1-az1", "10.1.0.30", "", false, "unknown"},
		row{"stg-web-1", tierWeb, demoStaging, "private-a", "use1-az1", "10.1.10.11", "", true, ""},
		row{"stg-app-1", tierApp, demoStaging, "private-a", "use1-az1", "10.1.20.11", "", true, ""},
		row{"stg-app-2", tierApp, demoStaging, "private-b", "use1-az2", "10.1.21.11", "", true, ""},
		row{"stg-db-1", tierDB, demoStaging, "private-b", "use1-az2", "10.1.30.10", "", true, ""},
	)
	out := make([]*demoENI, 0, len(rows))
	for _, r := range rows {
		e := &demoENI{name: r.name, id: demoENIID(r.name), tier: r.t, vpc: r.v,
			subnet: subnet(r.v, r.sub, r.az), account: r.v.account, instance: "-", addr: r.addr, addr6: r.addr6}
		if r.account != "" {
			e.account = r.account
		}
		if r.instance {
			e.instance = "i-" + demoHex("i/"+r.name, 17)
		}
		out = append(out, e)
	}
	return out
}

// Outside hosts the estate talks to.
var (
	demoOffice    = "192.0.2.44" // admins' office: SSH to the bastion
	demoPartners  = []string{"192.0.2.80", "192.0.2.81", "192.0.2.90"}
	demoDynamo    = []string{"52.94.0.10", "52.94.0.22", "52.94.1.7"}
	demoS3        = []string{"52.216.8.34", "52.216.9.130", "52.217.40.4"}
	demoScanPorts = func() []int {
		ports := []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 2049, 2375,
			3000, 3306, 3389, 5000, 5432, 5601, 5900, 6379, 7001, 8000, 8080, 8443, 8888, 9000, 9090, 9200, 11211, 27017}
		for p := 1; p <= 1024; p++ {
			ports = append(ports, p)
		}
		return ports
	}()
)
