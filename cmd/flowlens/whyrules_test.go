package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWhyRulesDemo: on the demo, why names the rule behind each
// misconfiguration incident, without AWS, and agrees with the records.
func TestWhyRulesDemo(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		verdict  string
		blocking string // "side direction component rule effect" of a result that must be there
		text     string
	}{
		{[]string{"10.0.21.14", "10.0.30.10", "--port", "5432"}, "blocked-at-destination-inbound",
			"destination inbound sg-db  no-match", "The configuration agrees: no inbound rule in sg-db (db) allows tcp/5432 from 10.0.21.14."},
		{[]string{"10.0.20.12", "10.0.31.20", "--port", "6379"}, "reply-blocked-at-destination",
			"destination outbound acl-", "The configuration agrees: outbound ACL acl-"},
		{[]string{"10.0.10.12", "10.0.30.20", "--port", "6379"}, "blocked-at-destination-inbound",
			"destination inbound sg-cache  no-match", "no inbound rule in sg-cache (cache) allows tcp/6379 from 10.0.10.12"},
	} {
		args := append([]string{"why"}, tc.args...)
		args = append(args, "--output", "json", "--seed", "1", "demo")
		out, errOut, code := runCmd(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		var w struct {
			Verdict     string
			Explanation string
			Rules       []map[string]string
		}
		if err := json.Unmarshal([]byte(out), &w); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		if w.Verdict != tc.verdict || !strings.Contains(w.Explanation, tc.text) {
			t.Errorf("%v: %s / %s", tc.args, w.Verdict, w.Explanation)
		}
		found := false
		for _, r := range w.Rules {
			if strings.HasPrefix(strings.Join([]string{r["side"], r["direction"], r["component"], r["rule"], r["effect"]}, " "), tc.blocking) {
				found = true
			}
		}
		if !found || len(w.Rules) < 4 {
			t.Errorf("%v: no %q in %v", tc.args, tc.blocking, w.Rules)
		}
	}
	// Without a port there is nothing to evaluate: no rules, but names.
	out, _, _ := runCmd(t, "", "why", "10.0.21.14", "10.0.30.10", "--output", "json", "demo")
	if strings.Contains(out, `"rules"`) || !strings.Contains(out, `"src-name": "app-8"`) || !strings.Contains(out, `"dst-name": "db-1"`) {
		t.Errorf("rules without a port, or no names: %s", out)
	}
	// The text names the ends as the issue does: "web-2 (sg web, subnet
	// web-a)".
	out, _, _ = runCmd(t, "", "why", "10.0.10.12", "10.0.30.20", "--port", "6379", "--output", "text", "--seed", "1", "demo")
	if !strings.Contains(out, "\nweb-2 (sg web, subnet web-a) -> cache-1 (sg cache, subnet cache-a)\n") ||
		!strings.Contains(out, "STOP no inbound rule in sg-cache (cache) allows tcp/6379 from 10.0.10.12") {
		t.Errorf("text report:\n%s", out)
	}
}
