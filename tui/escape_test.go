package tui

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// hostileSource delivers flow-log lines whose string fields, source name,
// object name and status carry terminal escape sequences.
type hostileSource struct{}

var _ source.Source = hostileSource{}

const hostileName = "evil\x1b]0;pwned\x07src"

func (hostileSource) Name() string { return hostileName }

func (hostileSource) Run(ctx context.Context, emit func(model.Batch) error) error {
	line := func(eni string) string {
		return "2 123456789012 " + eni + " 10.0.0.1 203.0.113.9 443 5555 6 10 1000 1717236000 1717236060 REJECT OK\n"
	}
	data := line("eni-\u009b31;7mEVIL") + // C1 CSI as UTF-8
		line("eni-\x9b2Jraw") + // C1 CSI as a raw byte
		line("eni-\xff\xfebad") + // invalid UTF-8
		line("eni-\u202eevil") + // bidi override
		line("eni-\u009d0;title\u009c") + // C1 OSC ... ST
		line("eni-\x1b[2Jc0") // C0 escape: the parser rejects the line
	return emit(model.Batch{Object: "obj\x1b[31mred\u009b2J", Data: []byte(data), EOF: true})
}

func (hostileSource) Status() source.Status {
	return source.Status{Name: hostileName, Kind: "test\x1b[5m", State: source.StateDegraded,
		Reason: "\u202ereversed\x1b]2;t\x07", Errors: []string{"\x1b[31mboom\u009b1m"}, Current: "cur\x9b"}
}

// TestEscapesNeverReachTheTerminal feeds records with escape sequences and
// walks every view that shows them; the bytes written to the terminal hold
// no escape sequence, control byte, C1 character, bidi control or invalid
// UTF-8 from the logs.
func TestEscapesNeverReachTheTerminal(t *testing.T) {
	clk := newTestClock()
	cfg := feedConfig(t, clk, false, hostileSource{})
	p := startProgram(t, cfg, 160, 48)
	waitScreen(t, p, "sources done", `eni-\u009b31;7mEVIL`, `eni-\x9b2Jraw`, `eni-\xff\xfebad`, `\u202e`)
	waitWritten(t, p, `eni-\u009b31;7mEVIL`, `eni-\x9b2Jraw`, `eni-\xff\xfebad`, `eni-\u202eevil`)
	p.Send(keyUp)
	p.Send(keyEnter)
	waitScreen(t, p, "Provenance", `obj\x1b[31mred\u009b2J`, `evil\x1b]0;pwned\x07src`)
	waitWritten(t, p, "Provenance", `obj\x1b[31mred\u009b2J`)
	p.Send(keyEsc)
	p.Type("4")
	waitScreen(t, p, "[4 Sources]", `\x1b[31mboom\u009b1m`, "control bytes", `\u202ereversed`)
	waitWritten(t, p, `\x1b[31mboom\u009b1m`, `\u202ereversed`, `cur\x9b`, `test\x1b[5m`)
	p.Type("q")
	p.WaitFinished(t)
	out := p.written()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[31m", "\x1b[31;7m", "\x1b[5m", "\x1b[2J", "\u009b", "\u009d", "\u009c", "\u202e"} {
		if i := bytes.Index(out, []byte(bad)); i >= 0 {
			t.Errorf("terminal output holds %q at %d: ...%q...", bad, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	if !utf8.Valid(out) {
		t.Error("terminal output is not valid UTF-8")
	}
	for i, r := range string(out) {
		if r >= 0x80 && r < 0xa0 {
			t.Errorf("C1 control %U at %d", r, i)
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != 0x1b {
			t.Errorf("control byte %#x at %d", r, i)
		}
	}
}
