package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// TestMain pins lipgloss to the ASCII profile: screens and goldens hold
// text only, whatever terminal runs the tests.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	// No test writes the user's filter history: a Config without a
	// ConfigDir keeps it under this one.
	dir, err := os.MkdirTemp("", "flowlens-tui-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Setenv("HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testStart is the fixed clock reading of every test.
var testStart = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

// testClock is a clock the test moves by hand.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(testStart.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// demoConfig returns a Config over the seeded demo source (seed 1, 100
// records a second, two minutes of backfill: 12,000 records) on clk.
// Without live the demo is read to its end before the config is returned,
// so every screen is reproducible; with live it keeps generating as clk
// moves, until the test ends.
func demoConfig(t testing.TB, clk *testClock, live bool, extra ...source.Source) Config {
	t.Helper()
	opts := source.DefaultOptions()
	opts.Now = clk.Now
	opts.Seed = 1
	opts.Rate = 100
	opts.Follow = live
	srcs := append([]source.Source{source.NewDemo(opts)}, extra...)
	return feedConfig(t, clk, live, srcs...)
}

// feedConfig runs sources into a new index (to their end unless live).
func feedConfig(t testing.TB, clk *testClock, live bool, srcs ...source.Source) Config {
	t.Helper()
	ix := model.NewIndex(256 << 20)
	mux := source.NewMux(ix, srcs, source.MuxOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = mux.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	if !live {
		select {
		case <-mux.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("the sources did not finish")
		}
	}
	// A short refresh: data frames are paced as in the program, without
	// making every wait in the tests a second long.
	return Config{Index: ix, Feed: runOnce{mux}, Follow: true, Now: clk.Now, Title: "demo", Refresh: 20 * time.Millisecond, ConfigDir: "-", // no filter history written (see configDir)

		procMem: func() uint64 { return 48 << 20 }}
}

// runOnce is a Feed whose Run was already started by the test.
type runOnce struct{ *source.Mux }

func (runOnce) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// screen wraps the root model in a test and keeps the last frame it
// drew, so assertions look at what is on the screen now rather than at
// everything the renderer ever wrote. The program runs it paced, as Run
// does, so a frame is drawn when the program would draw it.
type screen struct {
	*rootModel
	last atomic.Pointer[string]

	drawnRows atomic.Int64 // the applied filter's match count on the last frame
	drawnAt   atomic.Int64 // when it was drawn (wall clock, Unix ns)
	frames    atomic.Int64 // frames drawn
	selRows   atomic.Int64 // the applied filter's match count after the last update
}

func (s *screen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := s.rootModel.Update(msg)
	if sel := s.rootModel.env.sel; sel != nil {
		s.selRows.Store(int64(sel.Count))
	}
	return s, cmd
}

func (s *screen) View() string {
	v := s.rootModel.View()
	s.last.Store(&v)
	if sel := s.rootModel.env.sel; sel != nil {
		s.drawnRows.Store(int64(sel.Count))
	}
	s.drawnAt.Store(time.Now().UnixNano())
	s.frames.Add(1)
	return v
}

// Screen returns the last frame drawn.
func (s *screen) Screen() string {
	if p := s.last.Load(); p != nil {
		return *p
	}
	return ""
}

// prog is a running teatest program and its screen.
type prog struct {
	*teatest.TestModel
	s   *screen
	out bytes.Buffer // every byte written to the terminal so far
}

// written returns every byte the program wrote to the terminal.
func (p *prog) written() []byte {
	_, _ = io.Copy(&p.out, p.Output())
	return p.out.Bytes()
}

// startProgram runs the root model for cfg in a teatest program of the
// given size.
func startProgram(t *testing.T, cfg Config, w, h int) *prog {
	t.Helper()
	m, err := newRootModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &screen{rootModel: m}
	tm := teatest.NewTestModel(t, newPaced(s, m, refreshFor(cfg.Refresh, os.Getenv)), teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	return &prog{TestModel: tm, s: s}
}

// waitScreen waits (up to a generous 20 s, polling; never a fixed sleep)
// until the screen shows every want at once, and fails with the screen.
func waitScreen(t *testing.T, p *prog, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _ = io.Copy(&p.out, p.Output()) // keep the renderer's output drained
		scr := p.s.Screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(scr, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q; it shows:\n%s", missing, scr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGone waits until the screen shows none of gone: a result still being
// computed ("filtering…") must be in before keys that act on it are sent.
func waitGone(t *testing.T, p *prog, gone ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _ = io.Copy(&p.out, p.Output())
		scr := p.s.Screen()
		shown := ""
		for _, g := range gone {
			if strings.Contains(scr, g) {
				shown = g
				break
			}
		}
		if shown == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen still shows %q; it shows:\n%s", shown, scr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitWritten waits until the bytes written to the terminal so far hold
// every want: the renderer draws at most one frame per tick, so a screen
// the model produced may not have been written yet.
func waitWritten(t *testing.T, p *prog, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := p.written()
		missing := ""
		for _, w := range want {
			if !bytes.Contains(out, []byte(w)) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never got %q", missing)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finalView quits (ctrl+c works even in the filter bar) and returns the
// last screen and the final model.
func finalView(t *testing.T, p *prog) (string, *rootModel) {
	t.Helper()
	p.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := p.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*paced)
	return fm.root.View(), fm.root
}

// Keys as the terminal sends them.
var (
	keyUp    = tea.KeyMsg{Type: tea.KeyUp}
	keyDown  = tea.KeyMsg{Type: tea.KeyDown}
	keyEnter = tea.KeyMsg{Type: tea.KeyEnter}
	keyEsc   = tea.KeyMsg{Type: tea.KeyEsc}
	keyEnd   = tea.KeyMsg{Type: tea.KeyEnd}
	keyHome  = tea.KeyMsg{Type: tea.KeyHome}
	keyCtrlU = tea.KeyMsg{Type: tea.KeyCtrlU}
	keyTab   = tea.KeyMsg{Type: tea.KeyTab}
)

// screenLines splits a view into its lines, for assertions.
func screenLines(view string) []string { return strings.Split(view, "\n") }

// feed runs cmd as Bubble Tea would and hands its results (evaluations,
// groups, series) back to the model, until none are left. The analysis
// views' pacing is reset first, so their requests run at once.
func feed(m *rootModel, cmd tea.Cmd) {
	m.groups.ref.last, m.chart.ref.last, m.flows.srt.ref.last = time.Time{}, time.Time{}, time.Time{}
	for _, msg := range drain(cmd, nil) {
		switch msg.(type) {
		case evalMsg, groupMsg, seriesMsg, sortMsg:
			_, next := m.Update(msg)
			feed(m, next)
		}
	}
}

// goldenScreen is one screen of a golden test: what to do once the
// finished demo is on screen.
type goldenScreen struct {
	name string
	do   func(t *testing.T, tm *prog)
}

// runGoldens snapshots each screen at every size over the finished demo
// with a fixed clock, into testdata/<Test>/<size>/<name>.golden;
// regenerate with go test ./tui -update.
func runGoldens(t *testing.T, screens []goldenScreen) {
	t.Helper()
	for _, sz := range sizes {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, sc.name), func(t *testing.T) {
				clk := newTestClock()
				tm := startProgram(t, demoConfig(t, clk, false), sz.w, sz.h)
				waitScreen(t, tm, "sources done", "12.0k records", "all match", ">")
				sc.do(t, tm)
				view, _ := finalView(t, tm)
				checkScreen(t, view, sz.w, sz.h)
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}

// configDir returns a directory for a program's filter history and saved
// filters. Not t.TempDir: a write in flight when the program quits may
// land while the test's cleanup removes it.
func configDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "flowlens-config-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		time.Sleep(50 * time.Millisecond) // a last write in flight
		os.RemoveAll(dir)
	})
	return dir
}
