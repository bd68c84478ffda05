package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/flowlens/flowlens/source"
)

// query --state FILE: a query that prints records saves, beside its
// output, where every source stopped reading, and a restarted query
// (after Ctrl-C, a crash, a reboot or kill -9) starts from there: no
// record lost, none printed twice.
//
// Sources put their position after each batch in Batch.Cursor; the Mux
// hands the positions back in commit order with the number of rows the
// index held then. A position is saved once every row up to it has been
// printed, so the file always describes a point that the output has
// reached. The output is flushed only at such points, and the new state
// file is written before the flush and renamed into place just after
// it: a kill -9 can only fall in the instant between the two.

// stateVersion is the state file's format.
const stateVersion = 1

// stateMaxPositions caps the positions kept per source (S3 keys and
// files read over a long follow); the oldest go first.
const stateMaxPositions = 20000

// stateEvery is the longest time printed records wait in the output
// buffer for the next state save.
const stateEvery = 200 * time.Millisecond

type stateJSON struct {
	Version int                          `json:"version"`
	Written time.Time                    `json:"written"`
	Sources map[string][]source.Position `json:"sources"`
}

// stateFile is a loaded --state FILE and the positions not yet printed.
type stateFile struct {
	path     string
	lookBack int64    // CloudWatch look-back (ms): how long event ids are kept
	names    []string // source names by Mux index

	existed bool  // FILE was there: a resumed run (no second CSV header)
	out     *gate // the output, held until the next save

	mu      sync.Mutex
	pending []pendingPos                          // committed, not yet printed, in commit order
	saved   map[string]map[string]source.Position // by source name, then Position.Key
	order   map[string][]string                   // keys by source, oldest first (for the cap)
	last    time.Time
}

type pendingPos struct {
	src  int
	pos  source.Position
	rows uint64
}

// loadState reads FILE; a file that does not exist yet is an empty state.
func loadState(path string) (*stateFile, error) {
	s := &stateFile{path: path, lookBack: (15*time.Minute + time.Minute).Milliseconds(),
		saved: map[string]map[string]source.Position{}, order: map[string][]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	s.existed = true
	var j stateJSON
	if err := json.Unmarshal(data, &j); err != nil || j.Version != stateVersion {
		if err == nil {
			err = fmt.Errorf("version %d, want %d", j.Version, stateVersion)
		}
		return nil, fmt.Errorf("--state %s: not a flowlens state file (%v); move it away to start afresh", path, err)
	}
	for name, ps := range j.Sources {
		for _, p := range ps {
			s.put(name, p)
		}
	}
	return s, nil
}

// put records p as the saved position of its object in source name.
func (s *stateFile) put(name string, p source.Position) {
	m := s.saved[name]
	if m == nil {
		m = map[string]source.Position{}
		s.saved[name] = m
	}
	k := p.Key()
	old, ok := m[k]
	if ok {
		p = old.Merge(p, s.lookBack)
	} else {
		s.order[name] = append(s.order[name], k)
	}
	m[k] = p
	if ks := s.order[name]; len(ks) > stateMaxPositions {
		for _, k := range ks[:len(ks)-stateMaxPositions] {
			delete(m, k)
		}
		s.order[name] = append([]string(nil), ks[len(ks)-stateMaxPositions:]...)
	}
}

// resume hands every resumable source its saved positions, and says on
// stderr which sources cannot resume (stdin, the demo, ...).
func (s *stateFile) resume(srcs []source.Source, stderr io.Writer) {
	s.names = make([]string, len(srcs))
	for i, src := range srcs {
		s.names[i] = src.Name()
		r, ok := src.(source.Resumable)
		if !ok {
			fmt.Fprintf(stderr, "flowlens: %s cannot resume where it stopped: --state does not cover it\n", src.Name())
			continue
		}
		var ps []source.Position
		for _, k := range s.order[src.Name()] {
			ps = append(ps, s.saved[src.Name()][k])
		}
		r.Resume(ps)
	}
}

// committed is the Mux's MuxOptions.Committed.
func (s *stateFile) committed(src int, cursor any, rows uint64) {
	p, ok := cursor.(*source.Position)
	if !ok {
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, pendingPos{src: src, pos: *p, rows: rows})
	s.mu.Unlock()
}

// bounds returns the row counts in (from, to] after which a position
// was committed: the points where printing may stop and save.
func (s *stateFile) bounds(from, to uint64) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, p := range s.pending {
		if p.rows > from && p.rows <= to && (len(out) == 0 || out[len(out)-1] != p.rows) {
			out = append(out, p.rows)
		}
	}
	return out
}

// gate holds the output between saves: the printer's buffered writer
// writes into it, and only a save lets it through (in one write), so
// the output never runs ahead of the saved state, nor stops mid-line.
type gate struct {
	w   io.Writer
	buf bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) { return g.buf.Write(p) }

func (g *gate) release() error {
	_, err := g.w.Write(g.buf.Bytes())
	g.buf.Reset()
	return err
}

// writer returns the output writer for a query with --state: buffered,
// and held at the gate until each save.
func (s *stateFile) writer(stdout io.Writer) *bufio.Writer {
	s.out = &gate{w: stdout}
	return bufio.NewWriterSize(s.out, 256<<10)
}

// due reports whether output waits for a save: for stateEvery, or a MiB.
func (s *stateFile) due(w *bufio.Writer) bool {
	n := w.Buffered() + s.out.buf.Len()
	return n > 0 && (n >= 1<<20 || time.Since(s.last) >= stateEvery)
}

// flushSave writes the output and the state as of printed rows: the new
// state file is written first, the output flushed, then the file renamed
// into place.
func (s *stateFile) flushSave(w *bufio.Writer, printed uint64) error {
	s.mu.Lock()
	keep := s.pending[:0]
	for _, p := range s.pending {
		if p.rows <= printed {
			s.put(s.names[p.src], p.pos)
		} else {
			keep = append(keep, p)
		}
	}
	s.pending = keep
	j := stateJSON{Version: stateVersion, Written: time.Now().UTC(), Sources: map[string][]source.Position{}}
	for name, keys := range s.order {
		for _, k := range keys {
			j.Sources[name] = append(j.Sources[name], s.saved[name][k])
		}
	}
	s.mu.Unlock()
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".flowlens-state-*")
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("--state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if err := w.Flush(); err != nil { // into the gate
		return err
	}
	if err := s.out.release(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	s.last = time.Now()
	return nil
}
