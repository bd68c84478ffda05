package tui

import (
	"strings"
	"sync"
	"testing"

	"github.com/flowlens/flowlens/source"
)

// deniedFeed is a feed with one more status, the EC2 look-ups' as cmd's
// namedFeed adds it, whose refused actions the test sets.
type deniedFeed struct {
	Feed
	mu     sync.Mutex
	denied []string
}

func (f *deniedFeed) deny(what ...string) {
	f.mu.Lock()
	f.denied = append(f.denied, what...)
	f.mu.Unlock()
}

func (f *deniedFeed) Statuses() []source.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := source.Status{Name: "ec2", Kind: "ec2", State: source.StateDegraded, Denied: append([]string(nil), f.denied...)}
	return append(f.Feed.Statuses(), st)
}

// TestDeniedNote: an IAM action the EC2 look-ups were refused is noted in
// the status bar, naming the action and what goes missing; keys pressed
// within a few seconds leave it (it must be seen), a later one clears it,
// and an action is noted once: a second refusal notes only the new one.
func TestDeniedNote(t *testing.T) {
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	feed := &deniedFeed{Feed: cfg.Feed}
	feed.deny("ec2:DescribeSubnets (subnet names)")
	cfg.Feed = feed
	tm := startProgram(t, cfg, 120, 40)
	const first = "access denied: the credentials need ec2:DescribeSubnets (subnet names); 4: sources"
	waitScreen(t, tm, "sources done", first)
	tm.Send(keyDown) // typing on: the note stays
	tm.Type("j")
	waitScreen(t, tm, first)
	clk.Advance(deniedHold)
	tm.Send(keyDown)
	waitGone(t, tm, "access denied")
	feed.deny("ec2:DescribeNetworkAcls (network ACL rules in why)")
	waitScreen(t, tm, "access denied: the credentials need ec2:DescribeNetworkAcls (network ACL rules in why); 4: sources")
	if strings.Contains(tm.s.Screen(), "DescribeSubnets") {
		t.Errorf("an action noted twice:\n%s", tm.s.Screen())
	}
	view, _ := finalView(t, tm)
	checkScreen(t, view, 120, 40)
}
