package source

import (
	"strconv"
	"time"
)

// Resume sets the positions to start from (see Resumable): the query
// starts the look-back window before the newest event read, and the
// events read in that window are recognised by their ids and not emitted
// again; line numbers run on per stream. Call before Run.
func (c *CloudWatch) Resume(ps []Position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var newest int64
	for _, p := range ps {
		if p.Kind != "cloudwatch" {
			continue
		}
		newest = max(newest, p.Time)
		c.streams[p.Object] = &cwStream{line: p.Line, offset: p.Offset}
		for _, e := range p.Events {
			if k, err := strconv.ParseUint(e.ID, 16, 64); err == nil {
				c.seen[k] = e.Time
			}
		}
	}
	if newest == 0 {
		return
	}
	from := time.UnixMilli(newest).Add(-c.cfg.LookBack)
	if c.cfg.Since.Before(from) {
		c.cfg.Since = from
	}
	c.resumed = from.UnixMilli()
	c.keepFrom = min(c.keepFrom, c.resumed)
}

var _ Resumable = (*CloudWatch)(nil)
