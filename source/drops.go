package source

// DropReason says why a source left input out. Every drop is counted in
// Status.Drops and Status.Dropped and noted in Status.DropSamples, so that
// an answer that does not cover every line read can say so.
type DropReason uint8

// Drop reasons.
const (
	DropTooLong      DropReason = iota // a line longer than the limit (Options.MaxLine)
	DropTruncated                      // a partial line lost when its file was truncated
	DropIncomplete                     // an unterminated last line, or a line cut by a read error
	DropPossibleLoss                   // lines may have been lost: a truncation (copytruncate) came after the last read
	DropSkipped                        // skipped on purpose: a blocked demo skipping ahead, a sampled live tail
	NumDropReasons
)

// String names the reason as the notices print it.
func (r DropReason) String() string {
	switch r {
	case DropTooLong:
		return "over-long"
	case DropTruncated:
		return "lost in a truncation"
	case DropIncomplete:
		return "incomplete"
	case DropPossibleLoss:
		return "possible loss"
	case DropSkipped:
		return "skipped"
	}
	return "dropped"
}

// maxDropSamples is how many drop notes a Status keeps: the first ones,
// which say where trouble began, and then the newest one.
const maxDropSamples = 5

// Drop counts n lines left out for reason r and keeps note (where and
// why, e.g. "flows.log:12: line of 20,971,520 bytes skipped") as a
// sample. The note also goes to the recent errors, which the Sources
// view shows.
func (b *StatusBox) Drop(r DropReason, n uint64, note string) {
	b.Update(func(st *Status) {
		st.Dropped += n
		st.Drops[r] += n
		if note == "" {
			return
		}
		if len(st.DropSamples) < maxDropSamples {
			st.DropSamples = append(st.DropSamples, note)
		} else {
			st.DropSamples[maxDropSamples-1] = note
		}
		st.Errors = append(st.Errors, note)
		if len(st.Errors) > maxErrors {
			st.Errors = st.Errors[len(st.Errors)-maxErrors:]
		}
	})
}
