package source

import (
	"os"
	"strings"
)

// Resuming a file source (query --state): every batch carries the
// position after it, by file identity; given positions, the run starts
// as if it had read those files up to there and closed them, so the
// rotation logic (a file renamed within the set, or copied, is read on
// from where it stopped) resumes them too.

// position returns where the tailer's file is read to after chunk c.
func (t *tailer) position(c chunk) *Position {
	if !t.id.ok {
		return nil // no identity to find the file by again
	}
	end := c.off + int64(len(c.data))
	p := &Position{Kind: "file", Object: t.path, Dev: t.id.dev, Ino: t.id.ino, Head: append([]byte(nil), t.head...),
		Offset: end, Line: c.line + int64(c.lines)}
	if h := t.a.hdr; h.data != nil && h.off < end {
		p.Header, p.HeaderLine, p.HeaderOff = string(h.data), h.line, h.off
	}
	return p
}

// Resume sets the positions to start from (see Resumable); call before Run.
func (f *File) Resume(ps []Position) {
	f.resume = append([]Position(nil), ps...)
}

// resumeFrom makes the saved positions files read before: the first
// opening of each resumes it after its position, when it still starts
// with the same bytes.
func (r *fileRun) resumeFrom(ps []Position) {
	for _, p := range ps {
		if p.Kind != "file" {
			continue
		}
		sf := &seenFile{id: fileID{dev: p.Dev, ino: p.Ino, ok: true}, size: -1, head: p.Head, pos: p.Offset, line: p.Line}
		if p.Header != "" {
			sf.hdr = header{data: []byte(p.Header), line: p.HeaderLine, off: p.HeaderOff}
		}
		r.seen[sf.id] = sf
		if len(sf.head) == headLen {
			r.print[string(sf.head)] = sf
		}
	}
}

// olderFirst orders the files of a backfill: by modification time, but
// times are coarse (a rotation and the first write to the new file often
// share one), so within a second a file read before (a resumed run: its
// rest is older) goes first, then a rotated name before the live name it
// extends (flows.log.1 before flows.log).
func (r *fileRun) olderFirst(pi string, fi os.FileInfo, pj string, fj os.FileInfo) bool {
	ti, tj := fi.ModTime(), fj.ModTime()
	if si, sj := ti.Unix(), tj.Unix(); si != sj {
		return si < sj
	}
	if ki, kj := r.known(fi), r.known(fj); ki != kj {
		return ki
	}
	if len(pi) != len(pj) && (strings.HasPrefix(pi, pj) || strings.HasPrefix(pj, pi)) {
		return len(pi) > len(pj)
	}
	return ti.Before(tj)
}

// known reports whether a file was read before (a resumed position).
func (r *fileRun) known(fi os.FileInfo) bool {
	id := idOf(fi)
	return id.ok && r.seen[id] != nil
}

var _ Resumable = (*File)(nil)
