package source

import "time"

// Hold keeps the index's rows with global id >= row from eviction (see
// model.Index.Hold): a reader that must print every record holds the
// first row it has not printed yet and moves the hold on as it prints.
// While the index is over its memory budget only because of the hold,
// ingest waits for the reader, so sources block in emit: back-pressure,
// never loss. Call Hold(0) before Run to hold from the first row, and
// Release once the reader stops, or ingest may wait for ever.
func (m *Mux) Hold(row uint64) { m.ix.Hold(row) }

// Release ends the hold: the index evicts as usual again.
func (m *Mux) Release() { m.ix.Release() }

// holdPoll is how often a held ingest looks whether the reader moved on.
const holdPoll = 2 * time.Millisecond

// waitHeld blocks the ingest goroutine while the index is over budget
// because of a hold, publishing so that the reader sees every row it
// waits for and eviction catches up with the hold as it moves.
func (m *Mux) waitHeld(publish func()) {
	if !m.ix.OverHeld() {
		return
	}
	publish() // the snapshot OverHeld read may lag the index
	last, _ := m.ix.Held()
	for m.ix.OverHeld() {
		time.Sleep(holdPoll)
		if h, _ := m.ix.Held(); h != last {
			last = h
			publish() // evicts what the reader is done with
		}
	}
}
