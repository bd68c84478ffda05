package tui

import (
	"strings"
	"testing"
)

func TestDetailLines(t *testing.T) {
	snap := testSnapshot(t)
	text := func(k int) string {
		sg, i := row(t, snap, k)
		var b strings.Builder
		for _, l := range detailLines(snap, sg, i) {
			b.WriteString(l.label + "|" + l.value + "|" + l.meaning + "\n")
		}
		return b.String()
	}
	first := text(0)
	for _, want := range []string{
		"dstport|443|https", "srcport|49152|ephemeral", "protocol|6|tcp", "tcp-flags|19|SYN-ACK,FIN",
		"traffic-path|8|internet gateway", "dstaddr|203.0.113.7|documentation address", "srcaddr|10.0.1.5|private address",
		"flow-direction|egress|out of the interface", "direction|outbound (flow-direction egress)|derived",
		"my-field|hello|field not known to flowlens", "source|src|", "object|vpc-a.log|", "line|2|",
		"start|1717236000|2024-06-01T10:00:00Z",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("detail lacks %q:\n%s", want, first)
		}
	}
	if nd := text(2); !strings.Contains(nd, "srcaddr|-|absent (NODATA)") || !strings.Contains(nd, "object|default.log") {
		t.Errorf("NODATA detail:\n%s", nd)
	}
	if v6 := text(3); !strings.Contains(v6, "direction|public to public (inferred)") {
		t.Errorf("IPv6 detail:\n%s", v6)
	}
}
