package tui

import (
	"context"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

var big struct {
	once sync.Once
	ix   *model.Index
	snap *model.Snapshot
}

// bigIndex returns 10M generated records, indexed once per test binary.
func bigIndex(b *testing.B) (*model.Index, *model.Snapshot) {
	big.once.Do(func() {
		gen := model.NewSynth(1)
		ix := model.NewIndex(8 << 30)
		buf := make([]byte, 0, 120<<20)
		for done := 0; done < 10_000_000; done += 1_000_000 {
			buf = gen.Append(buf[:0], 1_000_000)
			ix.Ingest(&model.Batch{Source: "bench", Data: buf})
		}
		big.ix, big.snap = ix, ix.Publish()
	})
	if big.snap.Rows() != 10_000_000 {
		b.Fatalf("index has %d rows", big.snap.Rows())
	}
	return big.ix, big.snap
}

// idleFeed is a Feed with nothing more to deliver.
type idleFeed struct{ done chan struct{} }

func newIdleFeed() idleFeed {
	f := idleFeed{make(chan struct{})}
	close(f.done)
	return f
}

func (idleFeed) Run(context.Context) error       { return nil }
func (idleFeed) Updates() <-chan *model.Snapshot { return nil }
func (f idleFeed) Done() <-chan struct{}         { return f.done }
func (idleFeed) Statuses() []source.Status       { return nil }

// benchModel returns a root model over the 10M index at w x h showing
// expr's selection.
func benchModel(b *testing.B, w, h int, expr string) *rootModel {
	ix, snap := bigIndex(b)
	m, err := newRootModel(Config{Index: ix, Feed: newIdleFeed(), Follow: true})
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{snap: snap, done: true})
	f := filter.MustCompile(expr)
	m.apply(applyFilter{expr: expr, flt: f, snap: snap, sel: f.Eval(snap, nil)})
	return m
}

// BenchmarkView renders a 200x60 frame over 10M records (budget: 5 ms),
// following the newest record and with the cursor paused mid-index, over
// every record and over a sparse filter.
func BenchmarkView(b *testing.B) {
	for _, c := range []struct{ name, expr string }{
		{"all", ""},
		{"sparse", "action = REJECT and dstport = 22"},
	} {
		for _, follow := range []bool{true, false} {
			name := c.name + "/follow"
			if !follow {
				name = c.name + "/paused-mid"
			}
			b.Run(name, func(b *testing.B) {
				m := benchModel(b, 200, 60, c.expr)
				if !follow {
					m.flows.move(-m.env.sel.Count / 2)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if len(m.View()) == 0 {
						b.Fatal("empty view")
					}
				}
			})
		}
	}
}

// BenchmarkFilterKeystroke measures one key typed in the filter bar to its
// match count on 10M records (budget: 100 ms): the bar recompiles, the
// count runs as the command Bubble Tea would run, the result lands.
// Keystrokes alternate between adding and deleting a digit so every one
// is a new filter.
func BenchmarkFilterKeystroke(b *testing.B) {
	m := benchModel(b, 200, 60, "")
	run := func(cmd tea.Cmd) int {
		if cmd == nil {
			b.Fatal("no count command")
		}
		msg := cmd().(previewMsg)
		m.Update(msg)
		return msg.sel.Count
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
	run(cmd)
	m.bar.input.SetValue("action = REJECT and dstport = 44")
	run(m.bar.changed())
	keys := []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune{'3'}}, {Type: tea.KeyBackspace}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cmd := m.Update(keys[i%2])
		run(cmd)
	}
}
