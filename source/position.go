package source

import "strconv"

// Position is where the reading of one object stopped, as `query --state`
// saves it: every batch a resumable source emits carries the Position
// after it (Batch.Cursor), and a source given Positions (Resume) starts
// right after them, so that a restarted query neither repeats nor misses
// a record. The fields used depend on the kind of source.
type Position struct {
	Kind   string `json:"kind"`   // "file", "s3" or "cloudwatch"
	Object string `json:"object"` // file path, S3 key or log stream

	// Files: the file's identity (device and inode, as rotation keeps
	// them) and its first bytes (a new file that reuses the inode does
	// not start with them); Offset is the content offset after the last
	// line read, Line the next line's number, Header the header line in
	// force (replayed on resume) with its line and offset.
	Dev        uint64 `json:"dev,omitempty"`
	Ino        uint64 `json:"ino,omitempty"`
	Head       []byte `json:"head,omitempty"`
	Offset     int64  `json:"offset,omitempty"`
	Line       int64  `json:"line,omitempty"`
	Header     string `json:"header,omitempty"`
	HeaderLine int64  `json:"header_line,omitempty"`
	HeaderOff  int64  `json:"header_offset,omitempty"`

	// S3: Line counts the lines of the object read (a partly read object
	// is fetched again and those skipped); EOF says it was read whole.
	// Time is the time in its key (or LastModified).
	EOF  bool  `json:"eof,omitempty"`
	Time int64 `json:"time,omitempty"` // Unix milliseconds (CloudWatch: the newest event's time)

	// CloudWatch: the events read in the look-back window before Time
	// (late events are fetched again there and told apart by id).
	Events []EventMark `json:"events,omitempty"`
}

// EventMark is one CloudWatch event already read: its id and time.
type EventMark struct {
	ID   string `json:"id"`
	Time int64  `json:"t"` // Unix milliseconds
}

// Key is what identifies the object across restarts: a file's identity
// (a rotated file keeps it under its new name), else the object name.
func (p *Position) Key() string {
	if p.Kind == "file" && (p.Dev != 0 || p.Ino != 0) {
		return "file:" + strconv.FormatUint(p.Dev, 10) + ":" + strconv.FormatUint(p.Ino, 10)
	}
	return p.Kind + ":" + p.Object
}

// Merge returns the position after p and then next (of the same
// object): next, with CloudWatch's events of both kept within the
// look-back window before next's time.
func (p Position) Merge(next Position, lookBack int64) Position {
	if next.Kind != "cloudwatch" {
		return next
	}
	from := next.Time - lookBack
	var evs []EventMark
	for _, e := range append(p.Events, next.Events...) {
		if e.Time >= from {
			evs = append(evs, e)
		}
	}
	next.Events = evs
	return next
}

// Resumable is a source that can start where a previous run stopped.
// Resume is called before Run, with the positions saved for the source.
type Resumable interface {
	Resume(ps []Position)
}
