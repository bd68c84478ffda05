package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model/detect"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// keyPgDown pages the why report down.
var keyPgDown = tea.KeyMsg{Type: tea.KeyPgDown}

// TestWhyRules: w on the sg-misconfig REJECT, with the demo's estate
// known, lists the rules on the path and the one that stops the traffic,
// in the same words as `flowlens why` (detect.Why.AddRules); it scrolls
// into view at 80x24.
func TestWhyRules(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			cfg := demoConfig(t, newTestClock(), false)
			cfg.Names = &vpc.Store{}
			cfg.Names.Set(source.DemoConfig())
			cfg.Filter = "action = REJECT and dstport = 5432"
			tm := startProgram(t, cfg, sz.w, sz.h)
			waitScreen(t, tm, "sources done", "REJECT")
			waitGone(t, tm, "filtering…")
			tm.Type("w")
			waitScreen(t, tm, "› why", "BLOCKED-AT-DESTINATION-INBOUND", "configuration", "app-8 (sg batch, subnet app-b) -> db-1 (sg db, subnet db-a)")
			for i := 0; i < 6 && !strings.Contains(tm.s.Screen(), "STOP no inbound rule in sg-db (db)"); i++ {
				tm.Send(keyPgDown)
				waitScreen(t, tm, "› why")
			}
			waitScreen(t, tm, "Rules (they agree with the records):", "STOP no inbound rule in sg-db (db)", "ok   outbound sg-batch (batch)")
			view, _ := finalView(t, tm)
			checkScreen(t, view, sz.w, sz.h)
		})
	}
}

// TestWhyRulesLookUp: with EC2 look-ups (Config.Rules), the verdict shows
// at once and the rules once the look-up answers, off the UI thread; a
// failed look-up is said under the verdict, naming what failed, and the
// rules found are listed all the same.
func TestWhyRulesLookUp(t *testing.T) {
	release := make(chan struct{})
	var asked vpc.Query
	denied := errors.New("EC2 look-ups: ec2:DescribeNetworkAcls: AccessDenied: the credentials lack the IAM permission ec2:DescribeNetworkAcls")
	cfg := demoConfig(t, newTestClock(), false)
	cfg.Names = &vpc.Store{}
	cfg.Rules = func(ctx context.Context, q vpc.Query) (*vpc.Config, error) {
		asked = q
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// What EC2 would give when ACLs are denied: no ACLs.
		p := source.DemoConfig().Parts()
		p.ACLs = nil
		return vpc.NewConfig(p), denied
	}
	cfg.Filter = "action = REJECT and dstport = 5432"
	tm := startProgram(t, cfg, 120, 40)
	waitScreen(t, tm, "sources done", "REJECT")
	waitGone(t, tm, "filtering…")
	tm.Type("w")
	waitScreen(t, tm, "BLOCKED-AT-DESTINATION-INBOUND", "Looking up the security groups and network ACLs of both ends (EC2)…")
	close(release)
	waitGone(t, tm, "Looking up")
	waitScreen(t, tm, "Rules: EC2 look-ups: ec2:DescribeNetworkAcls: AccessDenied", "STOP no inbound rule in sg-db (db)")
	if asked.Src.String() != "10.0.21.14" || asked.Port != 5432 || asked.Protocol != 6 || !strings.HasPrefix(asked.DstInterface, "eni-") {
		t.Errorf("asked %+v", asked)
	}
	view, _ := finalView(t, tm)
	checkScreen(t, view, 120, 40)
}

// TestWhyRulesNeedPort: w on a pair without a port (a group of two
// addresses) says how to get the rules.
func TestWhyRulesNeedPort(t *testing.T) {
	cfg := demoConfig(t, newTestClock(), false)
	store := &vpc.Store{}
	store.Set(source.DemoConfig())
	v := newWhy(&env{theme: NewTheme(false), keys: DefaultKeyMap(), names: store})
	v.SetSize(118, 30)
	for _, port := range []int{-1, 5432} {
		q := detect.WhyQuery{Src: netip.MustParseAddr("10.0.21.14"), Dst: netip.MustParseAddr("10.0.30.10"), Port: port}
		v.Update(v.open(cfg.Index.Snapshot(), q, nil)())
		view := v.View()
		if hint := strings.Contains(view, "Rules need a port"); hint != (port < 0) || strings.Contains(view, "Rules (") == (port < 0) {
			t.Errorf("port %d:\n%s", port, view)
		}
	}
}
