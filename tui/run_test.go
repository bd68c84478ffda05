package tui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// lockedBuffer is an output that the test reads while the program writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// panicFeed panics in Run, as a broken ingest goroutine would.
type panicFeed struct{ idleFeed }

func (panicFeed) Run(context.Context) error { panic("boom in ingest") }

// runAsync runs the program on buffers and returns its result channel.
func runAsync(t *testing.T, cfg Config) (<-chan error, *lockedBuffer) {
	t.Helper()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), cfg, tea.WithInput(&bytes.Buffer{}), tea.WithOutput(out), tea.WithoutSignalHandler())
	}()
	return done, out
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the program did not end")
		return nil
	}
}

// TestPanicInFeedEndsTheProgram: a panic in a goroutine the program
// started ends it with an error (the terminal is restored on the way out)
// instead of killing the process behind the renderer's back.
func TestPanicInFeedEndsTheProgram(t *testing.T) {
	cfg := Config{Index: model.NewIndex(0), Feed: panicFeed{newIdleFeed()}, Now: newTestClock().Now}
	done, _ := runAsync(t, cfg)
	err := wait(t, done)
	if err == nil || !strings.Contains(err.Error(), "panic in ingest: boom in ingest") {
		t.Fatalf("run returned %v", err)
	}
}

// TestHangupQuits: SIGHUP (SSH gone, tmux pane killed) quits cleanly.
func TestHangupQuits(t *testing.T) {
	cfg := Config{Index: model.NewIndex(0), Feed: newIdleFeed(), Now: newTestClock().Now}
	done, out := runAsync(t, cfg)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "flowlens") {
		if time.Now().After(deadline) {
			t.Fatal("nothing drawn")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("run after SIGHUP: %v", err)
	}
}

// TestBadInitialFilterFailsBeforeStart: the program never starts on a
// filter that does not compile.
func TestBadInitialFilterFailsBeforeStart(t *testing.T) {
	_, err := newRootModel(Config{Index: model.NewIndex(0), Feed: newIdleFeed(), Filter: "dstprt = 22"})
	if err == nil || !strings.Contains(err.Error(), "dstport") {
		t.Fatalf("newRootModel = %v, want an error suggesting dstport", err)
	}
	var fe interface{ Caret() string }
	if !errors.As(err, &fe) {
		t.Fatalf("error %T has no caret", err)
	}
}

// feed runs cmd as Bubble Tea would and hands its results (evaluations,
// groups, series) back to the model, until none are left. The analysis
// views' pacing is reset first, so their requests run at once.
func feed(m *rootModel, cmd tea.Cmd) {
	m.groups.ref.last, m.chart.ref.last = time.Time{}, time.Time{}
	for _, msg := range drain(cmd, nil) {
		switch msg.(type) {
		case evalMsg, groupMsg, seriesMsg:
			_, next := m.Update(msg)
			feed(m, next)
		}
	}
}

// TestScreenSizes renders every view at sizes from the smallest usable to
// 300x100, and checks each screen is exactly the terminal's size.
func TestScreenSizes(t *testing.T) {
	clk := newTestClock()
	cfg := demoConfig(t, clk, false)
	statuses := cfg.Feed.Statuses()
	snap := cfg.Index.Snapshot()
	for _, sz := range []struct{ w, h int }{{40, 8}, {60, 16}, {80, 24}, {132, 40}, {160, 48}, {300, 100}} {
		m, err := newRootModel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		_, cmd := m.Update(snapshotMsg{snap: snap, done: true})
		feed(m, cmd)
		m.Update(statusMsg{at: clk.Now(), statuses: statuses, spark: make([]uint64, sparkMinutes)})
		screens := map[string]func(){
			"flows":   func() { m.switchTo(viewFlows) },
			"detail":  func() { m.switchTo(viewFlows); m.Update(keyEnter) },
			"sources": func() { m.switchTo(viewSources) },
			"groups":  func() { feed(m, m.switchTo(viewGroups)) },
			"chart":   func() { feed(m, m.switchTo(viewChart)) },
			"presets": func() { m.switchTo(viewFlows); m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'p'}}) },
			"drilled": func() {
				feed(m, m.switchTo(viewGroups))
				_, cmd := m.Update(keyEnter)
				feed(m, cmd)
			},
			"export": func() {
				feed(m, m.switchTo(viewGroups))
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'e'}})
			},
			"help": func() { m.switchTo(viewFlows); m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}}) },
			"invalid": func() {
				m.switchTo(viewFlows)
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'/'}})
				m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("src in 10.0.0.0/33 and dstport = 22 and proto tcp and bytes > 1MB and action = reject")})
			},
		}
		wants := map[string]string{"groups": " of ", "chart": "bytes per", "presets": "Presets",
			"drilled": "srcaddr = ", "export": "export groups"}
		for name, show := range screens {
			t.Run(name, func(t *testing.T) {
				show()
				view := m.View()
				checkScreen(t, view, sz.w, sz.h)
				if w := wants[name]; w != "" && !strings.Contains(view, w) {
					t.Errorf("%dx%d %s: no %q in\n%s", sz.w, sz.h, name, w, view)
				}
				if m.bar.Focused() || m.choose.Focused() || m.prompt.Focused() {
					m.Update(keyEsc)
				}
				for len(m.drills) > 0 {
					feed(m, m.popDrill())
				}
			})
		}
	}
}
