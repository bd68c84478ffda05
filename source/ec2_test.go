package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source/internal/awstest"
)

// testEstate is n instances' interfaces (eni-%08x, 10.0.x.y, instance
// web-%d), a NAT gateway and a load balancer, with two security groups,
// two network ACLs and a prefix list.
func testEstate(n int) *vpc.Config {
	var ifaces []*vpc.Interface
	for i := 0; i < n; i++ {
		ifaces = append(ifaces, &vpc.Interface{ID: fmt.Sprintf("eni-%08x", i), InstanceID: fmt.Sprintf("i-%08x", i),
			InstanceName: fmt.Sprintf("web-%d", i), SubnetID: "subnet-app", VPCID: "vpc-1", OwnerID: "111122223333",
			Groups: []string{"sg-app"}, Addrs: awstest.ParseAddrs(fmt.Sprintf("10.0.%d.%d", 20+i/250, 1+i%250))})
	}
	ifaces = append(ifaces,
		&vpc.Interface{ID: "eni-nat", Type: "nat_gateway", Description: "Interface for NAT Gateway nat-0abc", Requester: "AWS",
			SubnetID: "subnet-pub", VPCID: "vpc-1", Addrs: awstest.ParseAddrs("10.0.0.10"), PublicAddrs: awstest.ParseAddrs("198.51.100.10")},
		&vpc.Interface{ID: "eni-db", Name: "db-primary", InstanceID: "i-db", InstanceName: "db-1", SubnetID: "subnet-db", VPCID: "vpc-1",
			Groups: []string{"sg-db"}, Addrs: awstest.ParseAddrs("10.0.30.10", "2001:db8:30::10")},
	)
	return vpc.NewConfig(vpc.Parts{
		Interfaces: ifaces,
		Groups: []*vpc.SecurityGroup{
			{ID: "sg-app", Name: "app", VPCID: "vpc-1",
				Ingress: []vpc.Rule{{Protocol: 6, FromPort: 8443, ToPort: 8443, CIDR: netip.MustParsePrefix("10.0.0.0/16")}},
				Egress:  []vpc.Rule{{Protocol: vpc.AllProtocols, FromPort: -1, ToPort: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0")}}},
			{ID: "sg-db", Name: "db", VPCID: "vpc-1",
				Ingress: []vpc.Rule{
					{Protocol: 6, FromPort: 5432, ToPort: 5432, Group: "sg-app", Description: "app to db"},
					{Protocol: 6, FromPort: 22, ToPort: 22, PrefixList: "pl-office"},
					{Protocol: 6, FromPort: 5432, ToPort: 5432, CIDR: netip.MustParsePrefix("2001:db8:20::/64")},
					{Protocol: 1, FromPort: 8, ToPort: -1, CIDR: netip.MustParsePrefix("10.0.0.0/16")},
				},
				Egress: []vpc.Rule{{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: netip.MustParsePrefix("0.0.0.0/0")}}},
		},
		ACLs: []*vpc.NetworkACL{
			{ID: "acl-app", VPCID: "vpc-1", Default: true, Subnets: []string{"subnet-app", "subnet-pub"}, Entries: []vpc.ACLEntry{
				{Number: 100, Protocol: -1, Allow: true, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
				{Number: 100, Egress: true, Protocol: -1, Allow: true, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
				{Number: vpc.CatchAll, Protocol: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
				{Number: vpc.CatchAll, Egress: true, Protocol: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
			}},
			{ID: "acl-db", Name: "db-acl", VPCID: "vpc-1", Subnets: []string{"subnet-db"}, Entries: []vpc.ACLEntry{
				{Number: 100, Protocol: 6, Allow: true, CIDR: netip.MustParsePrefix("10.0.0.0/16"), FromPort: 5432, ToPort: 5432, ICMPType: -1, ICMPCode: -1},
				{Number: 110, Protocol: 1, Allow: true, CIDR: netip.MustParsePrefix("10.0.0.0/16"), ICMPType: 8, ICMPCode: -1},
				{Number: 120, Protocol: 6, Allow: true, CIDR: netip.MustParsePrefix("2001:db8::/32"), FromPort: 5432, ToPort: 5432, ICMPType: -1, ICMPCode: -1},
				{Number: 90, Egress: true, Protocol: 6, CIDR: netip.MustParsePrefix("0.0.0.0/0"), FromPort: 1024, ToPort: 32767, ICMPType: -1, ICMPCode: -1},
				{Number: 100, Egress: true, Protocol: 6, Allow: true, CIDR: netip.MustParsePrefix("10.0.0.0/16"), FromPort: 1024, ToPort: 65535, ICMPType: -1, ICMPCode: -1},
				{Number: vpc.CatchAll, Protocol: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
				{Number: vpc.CatchAll, Egress: true, Protocol: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
				{Number: vpc.CatchAll, Protocol: -1, CIDR: netip.MustParsePrefix("::/0"), ICMPType: -1, ICMPCode: -1},
			}},
		},
		PrefixLists: []*vpc.PrefixList{{ID: "pl-office", Name: "office", CIDRs: []netip.Prefix{
			netip.MustParsePrefix("192.0.2.0/28"), netip.MustParsePrefix("198.51.100.64/26")}}},
		Subnets: []*vpc.Subnet{
			{ID: "subnet-app", Name: "app-a", VPCID: "vpc-1", AZ: "use1-az1", CIDR: netip.MustParsePrefix("10.0.20.0/22")},
			{ID: "subnet-db", Name: "db-a", VPCID: "vpc-1", AZ: "use1-az1", CIDR: netip.MustParsePrefix("10.0.30.0/24")},
			{ID: "subnet-pub", VPCID: "vpc-1", AZ: "use1-az1", CIDR: netip.MustParsePrefix("10.0.0.0/24")}, // no Name tag
		},
	})
}

func newTestEC2(t *testing.T, c *vpc.Config, cacheDir string) (*EC2, *awstest.EC2, *fakeClock) {
	t.Helper()
	fake := awstest.NewEC2(c)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	clk := newFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	e := NewEC2(EC2Config{AWS: testAWS(t, srv.URL, clk), CacheDir: cacheDir, Rate: 1000})
	return e, fake, clk
}

func TestEC2Interfaces(t *testing.T) {
	est := testEstate(450)
	e, fake, clk := newTestEC2(t, est, t.TempDir())
	fake.PageSize = 60
	fake.Throttle(3)
	var ids []string
	for i := 0; i < 450; i++ {
		ids = append(ids, fmt.Sprintf("eni-%08x", i))
	}
	ids = append(ids, "eni-gone")
	addrs := awstest.ParseAddrs("10.0.0.10", "10.0.30.10", "10.9.9.9", "203.0.113.5", "2001:db8:30::10")
	got, err := e.Interfaces(context.Background(), ids, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 452 {
		t.Fatalf("got %d interfaces, want 452", len(got))
	}
	c := vpc.NewConfig(vpc.Parts{Interfaces: got})
	for a, want := range map[string]string{"10.0.20.1": "web-0", "10.0.21.200": "web-449", "10.0.0.10": "nat-0abc",
		"198.51.100.10": "nat-0abc", "10.0.30.10": "db-primary", "2001:db8:30::10": "db-primary"} {
		if n := c.NameOfAddr(netip.MustParseAddr(a)); n != want {
			t.Errorf("%s: name %q, want %q", a, n, want)
		}
	}
	if db := c.Interface("eni-db"); db == nil || db.InstanceName != "db-1" || db.SubnetID != "subnet-db" || db.VPCID != "vpc-1" ||
		!slices.Equal(db.Groups, []string{"sg-db"}) {
		t.Errorf("eni-db: %+v", db)
	}
	if nat := c.Interface("eni-nat"); nat == nil || nat.Kind() != "NAT gateway" {
		t.Errorf("eni-nat: %+v", nat)
	}
	// Batched (at most 200 values a filter), paged, and no call for the
	// public address the interfaces do not hold.
	pages := 0
	for _, r := range fake.Requests() {
		if r.Action != "DescribeNetworkInterfaces" {
			continue
		}
		for _, f := range []string{"network-interface-id", "addresses.private-ip-address", "ipv6-addresses.ipv6-address", "association.public-ip"} {
			if n := len(r.Filter(f)); n > 200 {
				t.Errorf("%s: %d values in one call", f, n)
			}
		}
		if slices.Contains(r.Filter("addresses.private-ip-address"), "203.0.113.5") || r.Filter("association.public-ip") != nil {
			t.Errorf("looked up a public address: %v", r.Params)
		}
		if len(r.Params["NextToken"]) > 0 {
			pages++
		}
	}
	if pages == 0 {
		t.Error("no NextToken paging")
	}
	// (A retry more than the throttles is the SDK dropping a kept-alive
	// connection after an error response, retried as transient.)
	st := e.Status()
	if st.Throttles != 3 || st.Retries < 3 {
		t.Errorf("throttles %d retries %d, want 3 and at least 3", st.Throttles, st.Retries)
	}
	calls := len(fake.Requests())

	// Cached: the same look-up makes no call, in this process or the next.
	if _, err := e.Interfaces(context.Background(), ids, addrs); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Requests()); n != calls {
		t.Errorf("cached look-up made %d calls", n-calls)
	}
	e2 := NewEC2(EC2Config{AWS: e.cfg.AWS, CacheDir: e.cfg.CacheDir, Rate: 1000})
	got2, err := e2.Interfaces(context.Background(), ids, addrs)
	if err != nil || len(got2) != 452 || len(fake.Requests()) != calls {
		t.Errorf("from the disk cache: %d interfaces, %d calls, err %v", len(got2), len(fake.Requests())-calls, err)
	}
	// After the TTL, asked again.
	clk.Sleep(context.Background(), 2*time.Hour)
	if _, err := e2.Interfaces(context.Background(), ids[:3], nil); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("DescribeNetworkInterfaces") == 0 || len(fake.Requests()) == calls {
		t.Error("stale cache entries were not refreshed")
	}
}

func TestEC2AccessDenied(t *testing.T) {
	e, fake, _ := newTestEC2(t, testEstate(3), "-")
	fake.Deny("DescribeTags")
	got, err := e.Interfaces(context.Background(), []string{"eni-00000001"}, nil)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "ec2:DescribeTags") {
		t.Fatalf("error %v, want AccessDenied naming ec2:DescribeTags", err)
	}
	if len(got) != 1 || got[0].InstanceName != "" || got[0].DisplayName() != "i-00000001" {
		t.Errorf("without DescribeTags the interface is still named by its instance: %+v", got)
	}
	fake.Deny("DescribeNetworkInterfaces")
	_, err = e.Interfaces(context.Background(), []string{"eni-00000002"}, nil)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "ec2:DescribeNetworkInterfaces") {
		t.Fatalf("error %v, want AccessDenied naming ec2:DescribeNetworkInterfaces", err)
	}
	n := fake.Calls("DescribeNetworkInterfaces")
	_, err = e.Interfaces(context.Background(), []string{"eni-00000000"}, nil)
	if !errors.Is(err, ErrAccessDenied) || fake.Calls("DescribeNetworkInterfaces") != n {
		t.Errorf("a denied action was tried again (%d calls) or not reported: %v", fake.Calls("DescribeNetworkInterfaces")-n, err)
	}
	if st := e.Status(); st.State != StateDegraded || len(st.Errors) == 0 {
		t.Errorf("status %v %q %v", st.State, st.Reason, st.Errors)
	}
	if d := e.Denied(); len(d) != 2 {
		t.Errorf("Denied: %v", d)
	}
	// The status names each action once, with what goes missing: the
	// explorer's status-bar note.
	if d := e.Status().Denied; !reflect.DeepEqual(d, []string{"ec2:DescribeTags (instance names)", "ec2:DescribeNetworkInterfaces (names from EC2)"}) {
		t.Errorf("Status.Denied: %q", d)
	}
}

func TestEC2Rules(t *testing.T) {
	est := testEstate(2)
	e, fake, _ := newTestEC2(t, est, "-")
	fake.PageSize = 1
	ifaces, err := e.Interfaces(context.Background(), []string{"eni-00000000", "eni-db"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Rules(context.Background(), ifaces)
	if err != nil {
		t.Fatal(err)
	}
	// What came through the XML is what the fake described.
	want := est.Parts()
	got := vpc.NewConfig(p).Parts()
	// The API lists one IpPermission per protocol and ports with its peers:
	// rule order within a group is not kept.
	for _, gs := range [][]*vpc.SecurityGroup{got.Groups, want.Groups} {
		for _, g := range gs {
			for _, rules := range [][]vpc.Rule{g.Ingress, g.Egress} {
				slices.SortFunc(rules, func(a, b vpc.Rule) int { return strings.Compare(js(a), js(b)) })
			}
		}
	}
	if !reflect.DeepEqual(got.Groups, want.Groups) {
		t.Errorf("groups:\n got %s\nwant %s", js(got.Groups), js(want.Groups))
	}
	if !reflect.DeepEqual(got.ACLs, want.ACLs) {
		t.Errorf("acls:\n got %s\nwant %s", js(got.ACLs), js(want.ACLs))
	}
	if !reflect.DeepEqual(got.PrefixLists, want.PrefixLists) {
		t.Errorf("prefix lists:\n got %s\nwant %s", js(got.PrefixLists), js(want.PrefixLists))
	}
	p.Interfaces = ifaces
	ev := vpc.NewConfig(p).Evaluate(vpc.Query{Src: netip.MustParseAddr("10.0.20.1"), Dst: netip.MustParseAddr("10.0.30.10"),
		Protocol: 6, Port: 5432, ReplyPorts: vpc.PortRange{Lo: 2000, Hi: 2000}})
	if ev.Verdict != vpc.VerdictReplyAtDestination || ev.Rules[ev.Blocking].Text != "outbound ACL acl-db (db-acl) rule 90 denies tcp 1024-32767 to 0.0.0.0/0 (replies to 10.0.20.1 on port 2000)" {
		t.Errorf("evaluation over the described rules: %s %+v", ev.Verdict, ev.Rules)
	}
	for _, op := range []string{"DescribeSecurityGroups", "DescribeNetworkAcls", "DescribeManagedPrefixLists", "GetManagedPrefixListEntries"} {
		if fake.Calls(op) == 0 {
			t.Errorf("no %s call", op)
		}
	}
	if fake.Calls("GetManagedPrefixListEntries") != 2 { // two entries, one a page
		t.Errorf("GetManagedPrefixListEntries calls: %d", fake.Calls("GetManagedPrefixListEntries"))
	}

	// Denied ACLs: the groups still come, the error names the action.
	e2, fake2, _ := newTestEC2(t, est, "-")
	fake2.Deny("DescribeNetworkAcls")
	p2, err := e2.Rules(context.Background(), ifaces)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "ec2:DescribeNetworkAcls") {
		t.Errorf("error %v", err)
	}
	if len(p2.Groups) != 2 || len(p2.ACLs) != 0 {
		t.Errorf("with ACLs denied: %d groups, %d ACLs", len(p2.Groups), len(p2.ACLs))
	}
}

// TestEC2Subnets: subnet names (DescribeSubnets Name tags) through the
// SDK: paged, cached on disk, a subnet the API does not know kept by id,
// and a denied DescribeSubnets named in the error while the interfaces'
// names still come.
func TestEC2Subnets(t *testing.T) {
	est := testEstate(3)
	dir := t.TempDir()
	e, fake, _ := newTestEC2(t, est, dir)
	fake.PageSize = 1
	got, err := e.Subnets(context.Background(), []string{"subnet-app", "subnet-db", "subnet-pub", "subnet-gone", "subnet-app"})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*vpc.Subnet{}
	for _, sn := range got {
		byID[sn.ID] = sn
	}
	want := est.Parts().Subnets
	for _, w := range want {
		if !reflect.DeepEqual(byID[w.ID], w) {
			t.Errorf("%s: got %s, want %s", w.ID, js(byID[w.ID]), js(w))
		}
	}
	if len(got) != 3 || fake.Calls("DescribeSubnets") != 3 { // three subnets, one a page
		t.Errorf("%d subnets in %d calls", len(got), fake.Calls("DescribeSubnets"))
	}
	// A new client reads the disk cache: no call, and the unknown subnet
	// is known to be unknown.
	n := fake.Calls("DescribeSubnets")
	e2 := NewEC2(EC2Config{AWS: e.cfg.AWS, CacheDir: dir, Rate: 1000})
	got, err = e2.Subnets(context.Background(), []string{"subnet-db", "subnet-gone"})
	if err != nil || len(got) != 2 || fake.Calls("DescribeSubnets") != n {
		t.Errorf("from the cache: %s, %d calls, %v", js(got), fake.Calls("DescribeSubnets")-n, err)
	}

	// Through the enricher: names and subnets; with DescribeSubnets
	// denied the names still come and the error names the action.
	for _, deny := range []bool{false, true} {
		e, fake, _ := newTestEC2(t, est, "-")
		if deny {
			fake.Deny("DescribeSubnets")
		}
		store := &vpc.Store{}
		en := NewEnricher(e, store)
		en.PerPass = 1 // several passes: a denial must not end ResolveAll early
		ix := model.NewIndex(0)
		ix.Ingest(&model.Batch{Source: "t", Object: "o", Line: 1, Data: []byte(
			"2 111122223333 eni-00000001 10.0.20.2 10.0.30.10 40000 5432 6 3 180 1717236000 1717236060 REJECT OK\n" +
				"2 111122223333 eni-00000002 10.0.20.3 10.0.30.10 40000 5432 6 3 180 1717236000 1717236060 REJECT OK\n")})
		err := en.ResolveAll(context.Background(), ix.Publish())
		c := store.Load()
		web1, db := c.InterfaceByAddr(netip.MustParseAddr("10.0.20.2"), ""), c.InterfaceByAddr(netip.MustParseAddr("10.0.30.10"), "")
		if web1 == nil || db == nil || c.Interface("eni-00000002") == nil {
			t.Fatalf("deny %v: interfaces not found (%v)", deny, err)
		}
		if !deny {
			if err != nil || c.Describe(web1) != "web-1 (sg-app, subnet app-a)" || c.Describe(db) != "db-primary (sg-db, subnet db-a)" {
				t.Errorf("%q, %q, %v", c.Describe(web1), c.Describe(db), err)
			}
			// The rules bring the groups' names.
			c, err = en.Rules(context.Background(), netip.MustParseAddr("10.0.20.2"), netip.MustParseAddr("10.0.30.10"), "eni-00000001", "")
			if err != nil || c.Describe(web1) != "web-1 (sg app, subnet app-a)" {
				t.Errorf("after the rules: %q, %v", c.Describe(web1), err)
			}
			continue
		}
		if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "ec2:DescribeSubnets") {
			t.Errorf("error %v, want AccessDenied naming ec2:DescribeSubnets", err)
		}
		if c.Describe(web1) != "web-1 (sg-app, subnet subnet-app)" || fake.Calls("DescribeSubnets") != 1 {
			t.Errorf("%q; %d DescribeSubnets calls", c.Describe(web1), fake.Calls("DescribeSubnets"))
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEnricher(t *testing.T) {
	e, fake, _ := newTestEC2(t, testEstate(5), "-")
	store := &vpc.Store{}
	store.Set(vpc.NewConfig(vpc.Parts{Names: map[string]string{"192.0.2.44": "office"}}))
	en := NewEnricher(e, store)
	ix := model.NewIndex(0)
	lines := "2 111122223333 eni-00000001 10.0.20.2 10.0.30.10 40000 5432 6 3 180 1717236000 1717236060 REJECT OK\n" +
		"2 111122223333 eni-00000002 192.0.2.44 10.0.20.3 40000 22 6 3 180 1717236000 1717236060 ACCEPT OK\n"
	ix.Ingest(&model.Batch{Source: "t", Object: "o", Data: []byte(lines), Line: 1})
	snap := ix.Publish()
	if err := en.ResolveAll(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	c := store.Load()
	for a, want := range map[string]string{"10.0.20.2": "web-1", "10.0.20.3": "web-2", "10.0.30.10": "db-primary", "192.0.2.44": "office"} {
		if n := c.NameOfAddr(netip.MustParseAddr(a)); n != want {
			t.Errorf("%s: %q, want %q", a, n, want)
		}
	}
	// db-1's address was found by address; the office's is public and
	// never asked about.
	for _, r := range fake.Requests() {
		if slices.Contains(r.Filter("addresses.private-ip-address"), "192.0.2.44") {
			t.Error("asked about a public address")
		}
	}
	n := len(fake.Requests())
	if err := en.Resolve(context.Background(), ix.Publish()); err != nil || len(fake.Requests()) != n {
		t.Errorf("a pass over nothing new made %d calls (%v)", len(fake.Requests())-n, err)
	}
	v := store.Version()
	ix.Ingest(&model.Batch{Source: "t", Object: "o", Line: 3,
		Data: []byte("2 111122223333 eni-00000004 10.0.20.5 10.0.20.1 40000 8443 6 3 180 1717236000 1717236060 ACCEPT OK\n")})
	if err := en.Resolve(context.Background(), ix.Publish()); err != nil {
		t.Fatal(err)
	}
	if store.Version() == v || store.Load().NameOfInterface("eni-00000004") != "web-4" {
		t.Error("new interface not named")
	}
	// Rules for a pair.
	cfg, err := en.Rules(context.Background(), netip.MustParseAddr("10.0.20.2"), netip.MustParseAddr("10.0.30.10"), "eni-00000001", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Group("sg-db") == nil || cfg.ACLOf("subnet-db") == nil || cfg.NameOfAddr(netip.MustParseAddr("192.0.2.44")) != "office" {
		t.Error("rules not merged into the store, or the names file's names lost")
	}
}
