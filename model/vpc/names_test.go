package vpc

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestParseNames(t *testing.T) {
	in := `address,name
# the office
192.0.2.44, office
2001:DB8::1,edge-v6
eni-0a1b2c3d,bastion

"10.0.0.5","bastion (old)"
10.0.0.5,bastion
`
	got, err := ParseNames(strings.NewReader(in), "names.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"192.0.2.44": "office", "2001:db8::1": "edge-v6", "eni-0a1b2c3d": "bastion", "10.0.0.5": "bastion"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for _, tc := range []struct{ in, err string }{
		{"10.0.0.1,a\nweb-1,b\n", `names.csv:2: "web-1" is neither an IP address nor an interface id`},
		{"10.0.0.1,a,b\n", "names.csv:1: want two columns"},
		{"10.0.0.1,\n", "names.csv:1: no name for 10.0.0.1"},
		{"10.0.0.1,\"a\n", "names.csv:"},
	} {
		_, err := ParseNames(strings.NewReader(tc.in), "names.csv")
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestNames(t *testing.T) {
	c := NewConfig(Parts{
		Interfaces: []*Interface{
			{ID: "eni-1", InstanceID: "i-1", InstanceName: "web-1", Addrs: []netip.Addr{addr("10.0.0.1")}},
			{ID: "eni-2", InstanceID: "i-2", Addrs: []netip.Addr{addr("10.0.0.2")}},
			{ID: "eni-3", Type: "interface", Description: "ELB app/web-alb/50dc6c495c0c9188", Requester: "amazon-elb", Addrs: []netip.Addr{addr("10.0.0.3")}},
			{ID: "eni-4", Type: "lambda", Description: "AWS Lambda VPC ENI-orders-fn", Addrs: []netip.Addr{addr("10.0.0.4")}},
			{ID: "eni-5", Type: "nat_gateway", Description: "Interface for NAT Gateway nat-0abc", Addrs: []netip.Addr{addr("10.0.0.5")},
				PublicAddrs: []netip.Addr{addr("198.51.100.5")}},
			{ID: "eni-6", Type: "vpc_endpoint", Description: "VPC Endpoint Interface vpce-0123", Addrs: []netip.Addr{addr("10.0.0.6")}},
			{ID: "eni-7", Addrs: []netip.Addr{addr("10.0.0.7")}},
		},
		Names: map[string]string{"eni-2": "app-2", "192.0.2.44": "office", "10.0.0.7": "printer"},
	})
	for _, tc := range []struct{ a, name, kind string }{
		{"10.0.0.1", "web-1", "instance"},
		{"10.0.0.2", "app-2", "instance"},
		{"10.0.0.3", "web-alb", "load balancer"},
		{"10.0.0.4", "lambda orders-fn", "Lambda"},
		{"10.0.0.5", "nat-0abc", "NAT gateway"},
		{"198.51.100.5", "nat-0abc", "NAT gateway"},
		{"10.0.0.6", "vpce-0123", "VPC endpoint"},
		{"10.0.0.7", "printer", "interface"},
		{"192.0.2.44", "office", ""},
		{"192.0.2.45", "", ""},
	} {
		if got := c.NameOfAddr(addr(tc.a)); got != tc.name {
			t.Errorf("NameOfAddr(%s) = %q, want %q", tc.a, got, tc.name)
		}
		if e := c.InterfaceByAddr(addr(tc.a), ""); e != nil && e.Kind() != tc.kind {
			t.Errorf("%s: kind %q, want %q", tc.a, e.Kind(), tc.kind)
		}
	}
	if got := c.NameOfInterface("eni-7"); got != "" {
		t.Errorf("eni-7 has no name of its own: got %q", got)
	}
	n := 0
	c.NamedAddrs(func(a netip.Addr, name string) { n++ })
	if n != 9 { // 8 interface addresses (one public) and the office
		t.Errorf("NamedAddrs: %d", n)
	}
}

func TestMergeAndStore(t *testing.T) {
	var s Store
	if s.Load() != nil || s.Version() != 0 {
		t.Fatal("zero Store holds something")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "eni-" + string(rune('a'+i))
			s.Update(func(c *Config) *Config {
				return c.Merge(Parts{Interfaces: []*Interface{{ID: id, Name: "n-" + id}}, Names: map[string]string{id + "x": "n"}})
			})
		}()
	}
	wg.Wait()
	c := s.Load()
	if len(c.Interfaces()) != 8 || s.Version() != 8 {
		t.Fatalf("lost updates: %d interfaces, version %d", len(c.Interfaces()), s.Version())
	}
	c2 := c.Merge(Parts{Interfaces: []*Interface{{ID: "eni-a", Name: "renamed"}}})
	if c2.NameOfInterface("eni-a") != "renamed" || c.NameOfInterface("eni-a") != "n-eni-a" || len(c2.Interfaces()) != 8 {
		t.Errorf("merge: %q %q %d", c2.NameOfInterface("eni-a"), c.NameOfInterface("eni-a"), len(c2.Interfaces()))
	}
}

// TestDescribe: an interface is described by name, groups and subnet,
// by name where described and by id where not; subnets merge by id.
func TestDescribe(t *testing.T) {
	e := &Interface{ID: "eni-1", InstanceName: "web-2", SubnetID: "subnet-0b", Groups: []string{"sg-0web", "sg-0mon"}}
	c := NewConfig(Parts{Interfaces: []*Interface{e}, Groups: []*SecurityGroup{{ID: "sg-0web", Name: "web"}}})
	if got := c.Describe(e); got != "web-2 (sg web, sg-0mon, subnet subnet-0b)" {
		t.Error(got)
	}
	c = c.Merge(Parts{Subnets: []*Subnet{{ID: "subnet-0b", Name: "app-b"}}})
	if got := c.Describe(e); got != "web-2 (sg web, sg-0mon, subnet app-b)" {
		t.Error(got)
	}
	c = c.Merge(Parts{Subnets: []*Subnet{{ID: "subnet-0b", Name: "app-b2"}}, Names: map[string]string{"eni-1": "front"}})
	if got := c.Describe(e); got != "front (sg web, sg-0mon, subnet app-b2)" || len(c.Parts().Subnets) != 1 {
		t.Error(got, len(c.Parts().Subnets))
	}
	if got := c.Describe(&Interface{ID: "eni-2"}); got != "eni-2" {
		t.Error(got)
	}
}
