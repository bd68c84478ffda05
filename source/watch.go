package source

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// watcher wraps fsnotify: it watches directories (never files: a
// directory watch sees creates, renames and deletes of the names in it,
// and writes to them) and remembers which ones, so each is added once.
// A nil *watcher is valid and delivers nothing (poll-only mode).
type watcher struct {
	w    *fsnotify.Watcher
	dirs map[string]bool
}

func newWatcher() (*watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &watcher{w: w, dirs: map[string]bool{}}, nil
}

// add watches dir, or its nearest existing ancestor while dir does not
// exist (the ancestor's events announce it). It returns the error of a
// failed watch (too many watches, permission).
func (w *watcher) add(dir string) error {
	if w == nil {
		return nil
	}
	dir = filepath.Clean(dir)
	for {
		if w.dirs[dir] {
			return nil
		}
		fi, err := os.Stat(dir)
		if err == nil && fi.IsDir() {
			if err := w.w.Add(dir); err != nil {
				return err
			}
			w.dirs[dir] = true
			return nil
		}
		parent := filepath.Dir(dir)
		if parent == dir || !errors.Is(err, os.ErrNotExist) {
			return err
		}
		dir = parent
	}
}

// forget drops a directory that was removed or renamed (its watch is
// gone), so that a re-created one is watched again.
func (w *watcher) forget(name string) {
	if w != nil && w.dirs[name] {
		delete(w.dirs, name)
		_ = w.w.Remove(name)
	}
}

func (w *watcher) events() <-chan fsnotify.Event {
	if w == nil {
		return nil
	}
	return w.w.Events
}

func (w *watcher) errors() <-chan error {
	if w == nil {
		return nil
	}
	return w.w.Errors
}

func (w *watcher) close() {
	if w != nil {
		w.w.Close()
	}
}
