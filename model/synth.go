package model

import (
	"math/rand/v2"
	"strconv"
)

// Synth writes synthetic default-format (v2) flow-log lines with a
// realistic spread: 300 interfaces, about 5,000 internal and 60,000
// external addresses with a skew towards 500 hot external peers, a handful
// of service ports, 10% REJECT, start times advancing one second per 1,000
// lines. It is the one generator behind the benchmarks of model, source
// and tui (the DESIGN budgets are measured on it) and is deterministic for
// a seed: the same seed gives the same lines, however they are split
// across calls.
type Synth struct {
	r   *rand.Rand
	t   int64 // start time of the current second
	seq int   // lines written so far
}

// NewSynth returns a generator for the given seed.
func NewSynth(seed uint64) *Synth {
	return &Synth{r: rand.New(rand.NewPCG(seed, 7)), t: 1717236000}
}

var synthPorts = [...]int64{443, 80, 22, 3389, 5432, 53, 8080, 6379, 9092, 123}

// Append appends n more lines, each ending in '\n', to dst.
func (s *Synth) Append(dst []byte, n int) []byte {
	r := s.r
	for i := 0; i < n; i++ {
		if s.seq%1000 == 0 {
			s.t++
		}
		s.seq++
		dst = append(dst, "2 111122223333 eni-"...)
		eni := strconv.FormatUint(uint64(r.IntN(300)), 16)
		for k := len(eni); k < 17; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, eni...)
		dst = append(dst, ' ')
		inbound := r.IntN(2) == 0
		dst = s.addr(dst, !inbound)
		dst = append(dst, ' ')
		dst = s.addr(dst, inbound)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(1024+r.IntN(60000)), 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, synthPorts[r.IntN(len(synthPorts))], 10)
		dst = append(dst, " 6 "...)
		pk := 1 + r.IntN(2000)
		dst = strconv.AppendInt(dst, int64(pk), 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(pk*(40+r.IntN(1400))), 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, s.t, 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, s.t+int64(r.IntN(60)), 10)
		if r.IntN(10) == 0 {
			dst = append(dst, " REJECT OK\n"...)
		} else {
			dst = append(dst, " ACCEPT OK\n"...)
		}
	}
	return dst
}

// addr appends an internal (10.0.0.0/14) or an external address.
func (s *Synth) addr(b []byte, internal bool) []byte {
	r := s.r
	if internal {
		v := r.IntN(5000)
		b = append(b, "10."...)
		b = strconv.AppendInt(b, int64(v/1250), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(v/250%5), 10)
		b = append(b, '.')
		return strconv.AppendInt(b, int64(1+v%250), 10)
	}
	v := r.IntN(60000)
	if r.IntN(4) == 0 {
		v = r.IntN(500) // hot external peers
	}
	b = strconv.AppendInt(b, int64(1+v%220), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(v/220%256), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(v/56320), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(1+v%250), 10)
}
