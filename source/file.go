package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/flowlens/flowlens/model"
)

// specKind is what a file source's spec names.
type specKind uint8

const (
	kindPath specKind = iota // one path, which may not exist yet
	kindGlob                 // a pattern, expanded again while following
	kindDir                  // a directory tree: every flow-log file in it
)

// File reads flow-log files: one path, a glob or a directory tree, plain
// or gzip (told apart by their magic bytes). With Options.Follow it
// behaves like tail -F over all of them: it reads appended lines, picks up
// new files that match, and survives rename+create rotation (the old file
// is drained to its end first), copytruncate, delete and re-create,
// symlink re-pointing and inode reuse, without losing or repeating a
// line. Each file is an object of its own (Batch.Object is its path) with
// its own header line and format.
type File struct {
	StatusBox
	spec    string
	path    string // spec, cleaned
	kind    specKind
	opts    Options
	started atomic.Bool
	resume  []Position // where a previous run stopped (see Resume)
}

var _ Source = (*File)(nil)

// NewFile returns a source for spec: a file path, a glob pattern or a
// directory (every flow-log file in the tree, hidden ones and obvious
// non-logs such as .parquet or .json excepted). A named pipe or character
// device is read as a stream. Without Options.Follow, a path that does not
// exist or a glob that matches nothing is an error; with it, the source
// waits for them to appear.
func NewFile(spec string, opts Options) (Source, error) {
	if spec == "" {
		return nil, errors.New("file source: empty path")
	}
	f := &File{spec: spec, path: filepath.Clean(spec), opts: opts}
	fi, err := os.Stat(f.path)
	switch {
	case err == nil && fi.IsDir():
		f.kind = kindDir
	case err == nil && fi.Mode().IsRegular():
		f.kind = kindPath
	case err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) != 0:
		return newPipe(spec, f.path, opts), nil
	case err == nil:
		return nil, fmt.Errorf("%s: not a file or a directory", spec)
	case strings.ContainsAny(spec, "*?["):
		if _, err := filepath.Match(f.path, ""); err != nil {
			return nil, fmt.Errorf("%s: bad glob pattern: %w", spec, err)
		}
		f.kind = kindGlob
		if !opts.Follow {
			if m, _ := filepath.Glob(f.path); len(m) == 0 {
				return nil, fmt.Errorf("%s: no files match", spec)
			}
		}
	case errors.Is(err, fs.ErrNotExist) && opts.Follow:
		f.kind = kindPath
	default:
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	f.Update(func(st *Status) { st.Name, st.Kind, st.State = spec, "file", StateStarting })
	return f, nil
}

// Name returns the spec as given (path, pattern or directory).
func (f *File) Name() string { return f.spec }

// Run reads the files; see File. It returns nil when the context ends or,
// without Follow, once every file was read to its end.
func (f *File) Run(ctx context.Context, emit func(model.Batch) error) error {
	if !f.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: source already running", f.spec)
	}
	r := &fileRun{
		f:     f,
		opts:  &f.opts,
		k:     &sink{name: f.spec, format: f.opts.Format, emit: emit, box: &f.StatusBox, opts: &f.opts},
		slots: map[string]*slot{},
		names: map[string]*slot{},
		open:  map[fileID]*slot{},
		seen:  map[fileID]*seenFile{},
		print: map[string]*seenFile{},
		errs:  map[string]string{},
	}
	defer r.closeAll()
	r.resumeFrom(f.resume)
	if err := r.run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// slot is one path being followed and the generation of the file at it
// that is being read.
type slot struct {
	path     string
	target   string // where a symlink at path points, if it is one
	dirty    bool   // an event named it: check it on the next round
	cur      *tailer
	initial  bool      // existed when the source started: TailLines applies
	rotAt    time.Time // when the path was first seen to hold another file, or none
	deadline time.Time // when the slot needs another look (rotation wait, gzip retry)
}

// seenFile remembers a file generation that was read and closed: a file
// renamed within the set (or a copy of it) is not read again, only what
// was appended after; and a new file that reuses its inode is told apart
// by its first bytes.
type seenFile struct {
	id    fileID
	size  int64 // raw size when closed
	mtime time.Time
	head  []byte // first headLen bytes of content
	pos   int64  // content bytes consumed
	line  int64  // next line number
	hdr   header // last header line
}

// fileRun is the state of one Run: only Run's goroutine touches it, except
// that backfill workers each own a slot's tailer for a while.
type fileRun struct {
	f     *File
	opts  *Options
	k     *sink
	w     *watcher
	slots map[string]*slot
	order []*slot              // slots sorted by path
	names map[string]*slot     // slots by path and symlink target, for events
	open  map[fileID]*slot     // files being read, by identity
	seen  map[fileID]*seenFile // files read and closed, by identity
	print map[string]*seenFile // the same, by their first headLen bytes
	dirs  []string             // directories found by the last walk
	errs  map[string]string    // current problem per path
	outer map[string]bool      // symlinks out of a directory source, noted (see inside)

	watchErr   string
	rescanDue  bool
	checkEvery bool      // check every slot next round, not only those events named
	nextRescan time.Time // rescans are spaced by their cost
	completed  int
	current    string
}

func (r *fileRun) run(ctx context.Context) error {
	if r.opts.Follow && !r.opts.Poll {
		w, err := newWatcher()
		if err != nil {
			r.watchErr = "no file events (" + err.Error() + "): polling"
			r.opts.logf("%s: %s", r.f.spec, r.watchErr)
		} else {
			r.w = w
		}
	}
	r.f.SetState(StateReading, "")
	if err := r.backfill(ctx); err != nil {
		return err
	}
	if !r.opts.Follow {
		r.f.Update(func(st *Status) { st.State, st.Reason, st.Current = StateDone, "", "" })
		return nil
	}
	r.rescanDue, r.checkEvery = true, true // files created or grown since the backfill
	return r.follow(ctx)
}

func (r *fileRun) closeAll() {
	for _, s := range r.slots {
		if s.cur != nil {
			s.cur.close()
		}
	}
	r.w.close()
}

// expand lists the paths the spec names now, cleaned.
func (r *fileRun) expand() ([]string, error) {
	switch r.f.kind {
	case kindGlob:
		m, err := filepath.Glob(r.f.path)
		if err != nil {
			return nil, err
		}
		out := m[:0]
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				out = append(out, filepath.Clean(p))
			}
		}
		return out, nil
	case kindDir:
		var out []string
		r.dirs = r.dirs[:0]
		err := filepath.WalkDir(r.f.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == r.f.path {
					return err
				}
				r.note(p, err)
				return nil
			}
			if d.IsDir() {
				if p != r.f.path && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				r.dirs = append(r.dirs, p)
				return nil
			}
			if !isFlowLogName(d.Name()) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 && !r.inside(p) {
				return nil
			}
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
		return out, err
	}
	return []string{r.f.path}, nil
}

// skipExt lists file name endings that are not flow-log text.
var skipExt = []string{".parquet", ".json", ".yaml", ".yml", ".md", ".csv", ".html", ".xml", ".tmp", ".swp",
	".part", ".partial", ".crdownload", ".lock", ".pid", ".sh", ".py", ".go", ".zip", ".tar", ".zst", ".bz2", ".xz"}

// isFlowLogName reports whether a file in a directory source is read:
// not hidden, not a backup, and not of a known non-log type.
func isFlowLogName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return false
	}
	lower := strings.ToLower(name)
	for _, ext := range skipExt {
		if strings.HasSuffix(lower, ext) {
			return false
		}
	}
	return true
}

// note records a problem with a path, once per distinct message.
func (r *fileRun) note(path string, err error) {
	msg := err.Error()
	if r.errs[path] == msg {
		return
	}
	r.errs[path] = msg
	r.f.AddError(msg)
	r.opts.logf("%s: %s", r.f.spec, msg)
}

func (r *fileRun) clearNote(path string) { delete(r.errs, path) }

func (r *fileRun) addSlot(p string) *slot {
	s := r.slots[p]
	if s == nil {
		s = &slot{path: p, dirty: true}
		r.slots[p] = s
		r.names[p] = s
		i := sort.Search(len(r.order), func(i int) bool { return r.order[i].path >= p })
		r.order = slices.Insert(r.order, i, s)
	}
	return s
}

func (r *fileRun) dropSlot(s *slot) {
	delete(r.slots, s.path)
	if r.names[s.path] == s {
		delete(r.names, s.path)
	}
	if s.target != "" && r.names[s.target] == s {
		delete(r.names, s.target)
	}
	i := sort.Search(len(r.order), func(i int) bool { return r.order[i].path >= s.path })
	if i < len(r.order) && r.order[i] == s {
		r.order = slices.Delete(r.order, i, i+1)
	}
}

// backfill opens every file that exists now and reads it to its current
// end, several at once; without Follow it also finishes each one.
func (r *fileRun) backfill(ctx context.Context) error {
	paths, err := r.expand()
	if err != nil {
		return fmt.Errorf("%s: %w", r.f.spec, err)
	}
	type ent struct {
		p  string
		fi os.FileInfo
	}
	var ents []ent
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			if r.f.kind == kindPath && !(r.opts.Follow && errors.Is(err, fs.ErrNotExist)) {
				return fmt.Errorf("%s: %w", r.f.spec, err)
			}
			continue
		}
		ents = append(ents, ent{p, fi})
	}
	if len(ents) == 0 && !r.opts.Follow {
		return fmt.Errorf("%s: no flow-log files found", r.f.spec)
	}
	// Oldest first: rotated files before the live one (see olderFirst).
	sort.SliceStable(ents, func(i, j int) bool { return r.olderFirst(ents[i].p, ents[i].fi, ents[j].p, ents[j].fi) })
	var jobs []*slot
	for _, e := range ents {
		s := r.addSlot(e.p)
		s.initial = true
		if err := r.openSlot(s, e.fi); err != nil {
			if r.f.kind == kindPath && !r.opts.Follow {
				return err
			}
			r.note(e.p, err)
			continue
		}
		if s.cur != nil {
			jobs = append(jobs, s)
		}
	}
	if r.f.kind == kindPath && len(r.order) == 0 {
		r.addSlot(r.f.path) // follow a path that does not exist yet
	}
	if len(jobs) == 0 && len(ents) > 0 && len(r.errs) > 0 && !r.opts.Follow {
		for _, e := range ents {
			if msg, ok := r.errs[e.p]; ok {
				return fmt.Errorf("%s: no file could be read: %s", r.f.spec, msg)
			}
		}
	}
	r.ensureWatches()
	var total int64 // for progress: known for plain files only
	for _, s := range jobs {
		if s.cur.gz {
			total = 0
			break
		}
		total += s.cur.size - s.cur.raw
	}
	r.f.Update(func(st *Status) { st.Objects, st.BytesTotal = len(jobs), total })
	return r.parallel(ctx, jobs, func(s *slot) error {
		t := s.cur
		r.f.Update(func(st *Status) { st.Current = t.path })
		if _, err := t.read(r.k); err != nil {
			if ctx.Err() != nil {
				return err
			}
			if !r.opts.Follow {
				if err := r.fault(ctx, t, err); err != nil {
					return err
				}
				return t.finish(r.k, false)
			}
			r.f.AddError(fmt.Sprintf("%s: %v", t.path, err))
			return nil
		}
		if r.opts.Follow {
			return nil
		}
		err := r.complete(ctx, t)
		t.close()
		r.f.Update(func(st *Status) { st.ObjectsDone++ })
		return err
	})
}

// parallel runs fn over the slots, a few at a time: decoding several
// files at once (at least two, at most four) keeps every core busy
// whether decoding or parsing is the slower stage. It stops at the first
// error (emit's, once the context ended).
func (r *fileRun) parallel(ctx context.Context, jobs []*slot, fn func(*slot) error) error {
	n := min(4, max(2, runtime.GOMAXPROCS(0)))
	if r.opts.Ordered {
		n = 1
	}
	if n > len(jobs) {
		n = len(jobs)
	}
	if n <= 1 {
		for _, s := range jobs {
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	}
	ch := make(chan *slot)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range ch {
				if err := fn(s); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for _, s := range jobs {
		select {
		case ch <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	return first
}

// complete ends an object that was read to its end: a broken gzip stream
// is reported as a fault (its lines before the fault were delivered).
func (r *fileRun) complete(ctx context.Context, t *tailer) error {
	var err error
	if t.bad != nil {
		if err := r.fault(ctx, t, t.bad); err != nil {
			return err
		}
		err = t.finish(r.k, false)
	} else if t.gz && t.zerr != nil {
		if err := r.fault(ctx, t, fmt.Errorf("gzip: %w", t.zerr)); err != nil {
			return err
		}
		err = t.finish(r.k, false)
	} else {
		err = t.finish(r.k, true)
	}
	return err
}

// fault reports a read error that cut an object short.
func (r *fileRun) fault(ctx context.Context, t *tailer, err error) error {
	r.f.AddError(fmt.Sprintf("%s:%d: %v", t.path, t.a.nextLine(), err))
	return Report(ctx, Fault{Object: t.path, Line: t.a.nextLine(), Err: err})
}

// openSlot opens the file now at the slot's path, unless it is known: the
// same file being read under another name, or read already and unchanged.
// A known file that grew is resumed where its reading stopped; a new file
// whose first bytes are those of a file read before (a compressed or
// renamed copy) is resumed after them.
func (r *fileRun) openSlot(s *slot, fi os.FileInfo) error {
	if id := idOf(fi); id.ok {
		if q := r.open[id]; q != nil && q != s {
			return nil
		}
		if sf := r.seen[id]; sf != nil && fi.Size() == sf.size && fi.ModTime().Equal(sf.mtime) {
			return nil
		}
	}
	t, err := openTailer(s.path, r.opts)
	if err != nil {
		return err
	}
	r.clearNote(s.path)
	resumed := false
	if sf := r.seen[t.id]; t.id.ok && sf != nil {
		delete(r.seen, t.id)
		if h := t.contentHead(); len(h) >= len(sf.head) && string(h[:len(sf.head)]) == string(sf.head) {
			if err := t.resume(sf); err != nil {
				t.close()
				return err
			}
			resumed = true
		}
	}
	if !resumed && !s.initial && len(r.print) > 0 {
		// A file that appears while following may be a copy of one read
		// before (compressed by logrotate, say). Its first headLen bytes
		// tell; until it has that many, the decision waits.
		t.pending, t.pendingAt, t.pendingSize = true, time.Now(), t.size
	}
	if !resumed && s.initial && r.opts.TailLines >= 0 {
		if err := t.seekTail(r.opts.TailLines); err != nil {
			t.close()
			return err
		}
	}
	s.initial = false
	s.cur = t
	if t.id.ok {
		r.open[t.id] = s
	}
	return nil
}

// decide settles whether a new file is a copy of one read before, once
// its first headLen bytes of content are there or it has stopped growing
// for RotateWait (a short file: it is read as new). It reports whether
// the file can be read now.
func (r *fileRun) decide(s *slot, now time.Time) bool {
	t := s.cur
	fi, err := t.f.Stat()
	if err != nil {
		return false
	}
	t.size = fi.Size()
	t.detect()
	h := t.contentHead()
	switch {
	case t.kindKnown && len(h) == headLen:
		t.pending = false
		if sf := r.print[string(h)]; sf != nil && sf.id != t.id {
			r.opts.logf("%s: %s starts like a file read before; reading only what follows", r.f.spec, s.path)
			if err := t.resume(sf); err != nil {
				r.note(s.path, err)
			}
		}
		return true
	case t.size != t.pendingSize:
		t.pendingSize, t.pendingAt = t.size, now
	case now.Sub(t.pendingAt) >= r.opts.rotateWait():
		t.pending = false
		return true
	}
	s.deadline = t.pendingAt.Add(r.opts.rotateWait())
	return false
}

// retire finishes the slot's current file and closes it, remembering it.
func (r *fileRun) retire(ctx context.Context, s *slot) error {
	t := s.cur
	err := r.complete(ctx, t)
	sf := &seenFile{id: t.id, size: t.size, mtime: t.mtime, head: t.head, pos: t.a.pos(), line: t.a.nextLine(), hdr: t.a.hdr}
	if t.id.ok {
		r.seen[t.id] = sf
		delete(r.open, t.id)
	}
	if len(sf.head) == headLen {
		r.print[string(sf.head)] = sf
	}
	t.close()
	s.cur, s.rotAt = nil, time.Time{}
	r.completed++
	return err
}

// follow is the main loop: check every slot, then wait for a file-system
// event, a deadline or the safety tick.
func (r *fileRun) follow(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if r.rescanDue && !time.Now().Before(r.nextRescan) {
			r.rescanDue = false
			t0 := time.Now()
			r.rescan()
			// A big tree is walked less often: at most a tenth of the
			// time goes to walking it (events still say what changed).
			r.nextRescan = time.Now().Add(min(10*time.Since(t0), 5*time.Second))
		}
		if err := r.checkAll(ctx); err != nil {
			return err
		}
		r.updateState()
		wait := r.opts.safetyInterval()
		if r.watchErr != "" {
			wait = r.opts.pollInterval()
		}
		now := time.Now()
		if r.rescanDue {
			wait = min(wait, r.nextRescan.Sub(now))
		}
		for _, s := range r.order {
			if !s.deadline.IsZero() {
				if d := s.deadline.Sub(now); d < wait {
					wait = d
				}
			}
		}
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-r.w.events():
			r.onEvent(ev)
			for more := true; more; {
				select {
				case ev := <-r.w.events():
					r.onEvent(ev)
				default:
					more = false
				}
			}
		case err := <-r.w.errors():
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				r.rescanDue, r.checkEvery = true, true
			} else if err != nil {
				r.opts.logf("%s: file events: %v", r.f.spec, err)
			}
		case <-timer.C:
			r.rescanDue, r.checkEvery = true, true
		}
	}
}

func (r *fileRun) onEvent(ev fsnotify.Event) {
	name := filepath.Clean(ev.Name)
	if s := r.names[name]; s != nil {
		s.dirty = true
	}
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		r.rescanDue = true
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		r.w.forget(filepath.Clean(ev.Name))
	}
}

// rescan expands the spec again: new paths get a slot unless they name a
// file already known (a rotated file under its new name).
func (r *fileRun) rescan() {
	if r.f.kind != kindPath {
		paths, err := r.expand()
		if err != nil {
			r.note(r.f.path, err)
		} else {
			r.clearNote(r.f.path)
		}
		present := make(map[string]bool, len(paths))
		for _, p := range paths {
			present[p] = true
			if r.slots[p] != nil {
				continue
			}
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if id := idOf(fi); id.ok {
				if r.open[id] != nil {
					continue // being read under its old name
				}
				if sf := r.seen[id]; sf != nil && fi.Size() == sf.size && fi.ModTime().Equal(sf.mtime) {
					continue // read already
				}
			}
			r.addSlot(p)
		}
		for p := range r.errs {
			if p != r.f.path && !present[p] && r.slots[p] == nil {
				delete(r.errs, p)
			}
		}
	}
	r.ensureWatches()
}

// ensureWatches watches the directories where events about our files
// happen: each path's directory and, for symlinks, the target's.
func (r *fileRun) ensureWatches() {
	if r.w == nil {
		return
	}
	add := func(dir string) {
		if err := r.w.add(dir); err != nil {
			r.watchErr = "file events failed (" + err.Error() + "): polling"
		}
	}
	switch r.f.kind {
	case kindDir:
		add(r.f.path)
		for _, d := range r.dirs {
			add(d)
		}
	case kindGlob:
		add(globBase(r.f.path))
	}
	for _, s := range r.order {
		add(filepath.Dir(s.path))
		if t, err := filepath.EvalSymlinks(s.path); err == nil && t != s.path {
			add(filepath.Dir(t))
			if t != s.target {
				if s.target != "" && r.names[s.target] == s {
					delete(r.names, s.target)
				}
				s.target = t
				r.names[t] = s
			}
		}
	}
}

// globBase returns the longest leading directory of a pattern without
// glob meta characters.
func globBase(pattern string) string {
	dir := filepath.Dir(pattern)
	for strings.ContainsAny(dir, "*?[") {
		dir = filepath.Dir(dir)
	}
	return dir
}

// checkAll looks at the slots that events named, whose deadline passed, or
// all of them on the safety tick; slots of a glob or directory that hold
// nothing any more are dropped (a rescan finds them again if need be).
func (r *fileRun) checkAll(ctx context.Context) error {
	now := time.Now()
	all := r.checkEvery || r.w == nil || r.watchErr != "" // without (all) events, poll
	r.checkEvery = false
	for _, s := range append([]*slot(nil), r.order...) {
		if !all && !s.dirty && (s.deadline.IsZero() || s.deadline.After(now)) {
			continue // nothing happened to it; the safety tick looks anyway
		}
		s.dirty = false
		if err := r.check(ctx, s); err != nil {
			return err
		}
		if s.cur == nil && r.f.kind != kindPath {
			r.dropSlot(s)
		}
	}
	return nil
}

// check reads what is new in the slot's file, then looks at what the path
// holds now: the same file, nothing (deleted or renamed away) or another
// file (rotated, re-created, re-pointed symlink). A file that is no longer
// at its path is read until it has been idle for RotateWait, then closed,
// and only then is the new file read, so lines keep their order and the
// writer's last lines to the old file are not lost.
func (r *fileRun) check(ctx context.Context, s *slot) error {
	now := time.Now()
	wait := r.opts.rotateWait()
	s.deadline = time.Time{}
	if t := s.cur; t != nil && t.pending && !r.decide(s, now) {
		if _, err := os.Stat(s.path); err != nil { // gone before it could be told apart
			t.close()
			delete(r.open, t.id)
			s.cur = nil
		}
		return nil
	}
	if t := s.cur; t != nil {
		if n, err := t.read(r.k); err != nil {
			if ctx.Err() != nil {
				return err
			}
			r.note(t.path, err)
		} else {
			r.clearNote(t.path)
			if n > 0 {
				r.current = t.path
			}
		}
		if t.done && (t.gz || t.bad != nil) {
			return r.retire(ctx, s)
		}
		if t.gz && t.zerr != nil {
			if now.Sub(t.zerrAt) < wait {
				s.deadline = t.zerrAt.Add(wait)
				return nil
			}
			return r.retire(ctx, s) // it stopped growing: report the fault
		}
	}
	fi, err := os.Stat(s.path)
	exists := err == nil && fi.Mode().IsRegular()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.note(s.path, err)
	}
	if s.cur == nil {
		if !exists {
			return nil
		}
		if err := r.openSlot(s, fi); err != nil {
			r.note(s.path, err)
			return nil
		}
		if s.cur != nil {
			return r.check(ctx, s)
		}
		return nil
	}
	if exists && s.cur.sameFile(fi) {
		s.rotAt = time.Time{}
		return nil
	}
	if s.rotAt.IsZero() {
		s.rotAt = now
	}
	idle := s.rotAt
	if s.cur.lastData.After(idle) {
		idle = s.cur.lastData
	}
	if now.Sub(idle) < wait && now.Sub(s.rotAt) < 10*wait {
		s.deadline = idle.Add(wait)
		return nil
	}
	if _, err := s.cur.read(r.k); err != nil && ctx.Err() != nil {
		return err
	}
	if err := r.retire(ctx, s); err != nil {
		return err
	}
	if exists {
		if err := r.openSlot(s, fi); err != nil {
			r.note(s.path, err)
			return nil
		}
		if s.cur != nil {
			return r.check(ctx, s)
		}
	}
	return nil
}

func (r *fileRun) updateState() {
	open := 0
	for _, s := range r.order {
		if s.cur != nil {
			open++
		}
	}
	state, reason := StateFollowing, ""
	switch {
	case len(r.errs) > 0:
		keys := make([]string, 0, len(r.errs))
		for k := range r.errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		state, reason = StateDegraded, r.errs[keys[0]]
	case r.watchErr != "":
		state, reason = StateDegraded, r.watchErr
	case open == 0 && r.completed == 0:
		state = StateWaiting
		switch r.f.kind {
		case kindPath:
			reason = "waiting for " + r.f.spec + " to appear"
		case kindGlob:
			reason = "waiting for files matching " + r.f.spec
		default:
			reason = "waiting for files in " + r.f.spec
		}
	}
	r.f.Update(func(st *Status) {
		st.State, st.Reason = state, reason
		st.Objects, st.ObjectsDone = open+r.completed, r.completed
		st.Current = r.current
	})
}
