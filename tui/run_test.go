package tui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
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
	return runAsyncCtx(t, context.Background(), cfg)
}

// runAsyncCtx is runAsync under ctx.
func runAsyncCtx(t *testing.T, ctx context.Context, cfg Config) (<-chan error, *lockedBuffer) {
	t.Helper()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, tea.WithInput(&bytes.Buffer{}), tea.WithOutput(out), tea.WithoutSignalHandler())
	}()
	return done, out
}

// TestContextEndsTheProgram: the end of ctx (cmd/flowlens ends it on
// SIGINT, SIGTERM and SIGHUP; see its TestExplorerSignals) ends the
// program without an error.
func TestContextEndsTheProgram(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Index: model.NewIndex(0), Feed: newIdleFeed(), Now: newTestClock().Now}
	done, out := runAsyncCtx(t, ctx, cfg)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "flowlens") {
		if time.Now().After(deadline) {
			t.Fatal("nothing drawn")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatalf("run after its context ended: %v", err)
	}
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
