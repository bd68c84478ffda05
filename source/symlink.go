package source

import (
	"fmt"
	"path/filepath"
	"strings"
)

// inside reports whether the symlink p in a directory source points to a
// file inside the directory. One that leads out of it (to /etc/shadow, a
// home directory, another tree) is not followed: a directory source reads
// that directory, whatever links were dropped into it. The refusal is
// noted once per link (not as a problem: the source is not degraded).
func (r *fileRun) inside(p string) bool {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false // dangling: nothing to read
	}
	root, err := filepath.EvalSymlinks(r.f.path)
	if err != nil {
		root = r.f.path
	}
	if rel, err := filepath.Rel(root, target); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return true
	}
	if !r.outer[p] {
		if r.outer == nil {
			r.outer = map[string]bool{}
		}
		r.outer[p] = true
		msg := fmt.Sprintf("%s: a symlink to %s, outside %s: not followed", p, target, r.f.spec)
		r.f.AddError(msg)
		r.opts.logf("%s", msg)
	}
	return false
}
