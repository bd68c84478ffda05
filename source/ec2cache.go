package source

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/flowlens/flowlens/model/vpc"
)

// ec2CacheVersion changes when the file's layout does; an older file is
// ignored.
const ec2CacheVersion = 1

// ec2Cache keeps EC2 answers in memory and in one JSON file per profile,
// region and endpoint under the user's cache directory, so a bastion
// that restarts flowlens does not describe the same interfaces again.
// Each answer carries the time it was fetched; readers pass the TTL.
// "Not found" answers are kept too, so an address outside the account is
// asked about once per TTL, not on every pass.
type ec2Cache struct {
	path string // "" = memory only
	now  func() time.Time

	mu    sync.Mutex
	f     ec2CacheFile
	dirty bool
}

type stamped[T any] struct {
	At time.Time `json:"at"`
	V  T         `json:"v"`
}

type ec2CacheFile struct {
	Version     int                                    `json:"version"`
	Interfaces  map[string]stamped[*vpc.Interface]     `json:"interfaces"`
	Missing     map[string]time.Time                   `json:"missing"` // ids and addresses not found
	Instances   map[string]stamped[string]             `json:"instances"`
	Groups      map[string]stamped[*vpc.SecurityGroup] `json:"groups"`
	ACLs        map[string]stamped[*vpc.NetworkACL]    `json:"acls"` // by subnet
	PrefixLists map[string]stamped[*vpc.PrefixList]    `json:"prefix_lists"`
	Subnets     map[string]stamped[*vpc.Subnet]        `json:"subnets"` // a subnet not found: one with its id only

	byAddr map[netip.Addr]string // address -> interface id, rebuilt on load
}

// openEC2Cache opens the cache for key in dir ("" = the user's cache
// directory, "-" = memory only). A missing or unreadable file starts
// empty: the cache only ever saves calls.
func openEC2Cache(dir, key string, now func() time.Time) *ec2Cache {
	c := &ec2Cache{now: now}
	c.reset()
	if dir == "-" {
		return c
	}
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return c
		}
		dir = filepath.Join(d, "flowlens")
	}
	sum := sha256.Sum256([]byte(key))
	c.path = filepath.Join(dir, "ec2-"+hex.EncodeToString(sum[:8])+".json")
	if b, err := os.ReadFile(c.path); err == nil {
		var f ec2CacheFile
		if json.Unmarshal(b, &f) == nil && f.Version == ec2CacheVersion {
			c.f = f
			c.fill()
		}
	}
	return c
}

func (c *ec2Cache) reset() {
	c.f = ec2CacheFile{Version: ec2CacheVersion}
	c.fill()
}

// fill makes the maps of a freshly read file usable.
func (c *ec2Cache) fill() {
	f := &c.f
	if f.Interfaces == nil {
		f.Interfaces = map[string]stamped[*vpc.Interface]{}
	}
	if f.Missing == nil {
		f.Missing = map[string]time.Time{}
	}
	if f.Instances == nil {
		f.Instances = map[string]stamped[string]{}
	}
	if f.Groups == nil {
		f.Groups = map[string]stamped[*vpc.SecurityGroup]{}
	}
	if f.ACLs == nil {
		f.ACLs = map[string]stamped[*vpc.NetworkACL]{}
	}
	if f.PrefixLists == nil {
		f.PrefixLists = map[string]stamped[*vpc.PrefixList]{}
	}
	if f.Subnets == nil {
		f.Subnets = map[string]stamped[*vpc.Subnet]{}
	}
	f.byAddr = map[netip.Addr]string{}
	for id, s := range f.Interfaces {
		if s.V == nil {
			delete(f.Interfaces, id)
			continue
		}
		for _, a := range s.V.Addrs {
			f.byAddr[a] = id
		}
		for _, a := range s.V.PublicAddrs {
			f.byAddr[a] = id
		}
	}
}

func fresh(at time.Time, ttl time.Duration, now time.Time) bool { return now.Sub(at) < ttl }

// iface returns the cached interface id: (nil, true) when it is known not
// to exist, (_, false) when the API must be asked.
func (c *ec2Cache) iface(id string, ttl time.Duration, now time.Time) (*vpc.Interface, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.f.Interfaces[id]; ok && fresh(s.At, ttl, now) {
		return s.V, true
	}
	if at, ok := c.f.Missing[id]; ok && fresh(at, ttl, now) {
		return nil, true
	}
	return nil, false
}

// byAddr is iface for an address.
func (c *ec2Cache) byAddr(a netip.Addr, ttl time.Duration, now time.Time) (*vpc.Interface, bool) {
	c.mu.Lock()
	id, ok := c.f.byAddr[a]
	at, miss := c.f.Missing[a.String()]
	c.mu.Unlock()
	if ok {
		return c.iface(id, ttl, now)
	}
	if miss && fresh(at, ttl, now) {
		return nil, true
	}
	return nil, false
}

func (c *ec2Cache) putIface(i *vpc.Interface, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.f.Interfaces[i.ID] = stamped[*vpc.Interface]{now, i}
	delete(c.f.Missing, i.ID)
	for _, a := range append(append([]netip.Addr(nil), i.Addrs...), i.PublicAddrs...) {
		c.f.byAddr[a] = i.ID
		delete(c.f.Missing, a.String())
	}
	c.dirty = true
}

// missing records the values of one look-up (by filter) that no returned
// interface matched.
func (c *ec2Cache) missing(asked []string, got []*vpc.Interface, now time.Time) {
	have := map[string]bool{}
	for _, i := range got {
		have[i.ID] = true
		for _, a := range i.Addrs {
			have[a.String()] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range asked {
		if !have[v] {
			c.f.Missing[v] = now
			c.dirty = true
		}
	}
}

func (c *ec2Cache) instName(id string, ttl time.Duration, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.f.Instances[id]
	return s.V, ok && fresh(s.At, ttl, now)
}

func (c *ec2Cache) putInstName(id, name string, now time.Time) {
	c.mu.Lock()
	c.f.Instances[id] = stamped[string]{now, name}
	c.dirty = true
	c.mu.Unlock()
}

func (c *ec2Cache) group(id string, ttl time.Duration, now time.Time) (*vpc.SecurityGroup, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.f.Groups[id]
	return s.V, ok && s.V != nil && fresh(s.At, ttl, now)
}

func (c *ec2Cache) putGroup(g *vpc.SecurityGroup, now time.Time) {
	c.mu.Lock()
	c.f.Groups[g.ID] = stamped[*vpc.SecurityGroup]{now, g}
	c.dirty = true
	c.mu.Unlock()
}

func (c *ec2Cache) acl(subnet string, ttl time.Duration, now time.Time) (*vpc.NetworkACL, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.f.ACLs[subnet]
	return s.V, ok && s.V != nil && fresh(s.At, ttl, now)
}

func (c *ec2Cache) putACL(a *vpc.NetworkACL, now time.Time) {
	c.mu.Lock()
	for _, s := range a.Subnets {
		c.f.ACLs[s] = stamped[*vpc.NetworkACL]{now, a}
	}
	c.dirty = true
	c.mu.Unlock()
}

func (c *ec2Cache) prefixList(id string, ttl time.Duration, now time.Time) (*vpc.PrefixList, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.f.PrefixLists[id]
	return s.V, ok && s.V != nil && fresh(s.At, ttl, now)
}

func (c *ec2Cache) putPrefixList(l *vpc.PrefixList, now time.Time) {
	c.mu.Lock()
	c.f.PrefixLists[l.ID] = stamped[*vpc.PrefixList]{now, l}
	c.dirty = true
	c.mu.Unlock()
}

func (c *ec2Cache) subnet(id string, ttl time.Duration, now time.Time) (*vpc.Subnet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.f.Subnets[id]
	return s.V, ok && s.V != nil && fresh(s.At, ttl, now)
}

func (c *ec2Cache) putSubnet(sn *vpc.Subnet, now time.Time) {
	c.mu.Lock()
	c.f.Subnets[sn.ID] = stamped[*vpc.Subnet]{now, sn}
	c.dirty = true
	c.mu.Unlock()
}

// save writes the file if anything changed, through a temporary file and
// a rename so that a concurrent flowlens never reads half a file. Errors
// are ignored: the cache only ever saves calls.
func (c *ec2Cache) save() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || !c.dirty {
		return
	}
	b, err := json.Marshal(&c.f)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".ec2-*.tmp")
	if err != nil {
		return
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return
	}
	c.dirty = false
}
