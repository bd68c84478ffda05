package source

import (
	"sync"
	"time"
)

// Firehose retries a request it got no 200 for with the same
// X-Amz-Firehose-Request-Id, for up to its retry duration (at most two
// hours), and a 200 that was lost on the way back makes it send records
// that are already in the index. fhDedup remembers the request ids it
// saw, so that a retry of a committed request is answered 200 without
// indexing its records a second time, and a retry that arrives while the
// first attempt is still being indexed waits for that attempt.

// fhAttempt is the fate of one request id.
type fhAttempt struct {
	done chan struct{} // closed once the attempt has committed or failed
	ok   bool          // committed: every record is in the index (read after done)
	at   time.Time     // when it was claimed
}

// fhDedup is a bounded table of request ids: ids are kept for window
// after they were claimed, and at most limit of them (the oldest go first).
type fhDedup struct {
	mu     sync.Mutex
	window time.Duration
	limit  int
	ids    map[string]*fhAttempt
	order  []fhClaim // claim order, for expiry; order[head:] are live
	head   int
	early  uint64 // ids forgotten before their window ended (the table was full)
}

// fhClaim is one claim of a key, in claim order.
type fhClaim struct {
	key string
	a   *fhAttempt
}

func newFhDedup(window time.Duration, limit int) *fhDedup {
	return &fhDedup{window: window, limit: limit, ids: map[string]*fhAttempt{}}
}

// claim returns the attempt for key and whether the caller owns it (the
// first to claim it, or the first after an earlier attempt failed). An
// owner must call settle exactly once.
func (d *fhDedup) claim(key string, now time.Time) (*fhAttempt, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	if a := d.ids[key]; a != nil {
		select {
		case <-a.done:
			if !a.ok {
				break // the earlier attempt failed: this one takes over
			}
			return a, false
		default:
			return a, false
		}
	}
	a := &fhAttempt{done: make(chan struct{}), at: now}
	d.order = append(d.order, fhClaim{key, a})
	d.ids[key] = a
	for len(d.ids) > d.limit && d.head < len(d.order) {
		d.drop(now)
	}
	return a, true
}

// settle ends an attempt: ok when all its records were committed.
// A failed attempt stays in the table until its window ends, so that a
// retry waiting on it learns the outcome; the next claim takes it over.
func (d *fhDedup) settle(a *fhAttempt, ok bool) {
	d.mu.Lock()
	a.ok = ok
	d.mu.Unlock()
	close(a.done)
}

// outcome reports whether a settled attempt committed.
func (d *fhDedup) outcome(a *fhAttempt) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return a.ok
}

// expire forgets ids older than the window. Under d.mu.
func (d *fhDedup) expire(now time.Time) {
	for d.head < len(d.order) && now.Sub(d.order[d.head].a.at) >= d.window {
		d.drop(now)
	}
	if d.head > 1024 && d.head*2 > len(d.order) {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
}

// drop forgets the oldest id. Under d.mu.
func (d *fhDedup) drop(now time.Time) {
	c := d.order[d.head]
	d.order[d.head] = fhClaim{}
	d.head++
	if d.ids[c.key] == c.a { // not taken over by a later claim
		if now.Sub(c.a.at) < d.window {
			d.early++
		}
		delete(d.ids, c.key)
	}
}

// size returns how many ids are remembered and how many were forgotten
// before their window ended.
func (d *fhDedup) size() (int, uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ids), d.early
}
