package source

// Resume sets the positions to start from (see Resumable): objects read
// whole are not read again, and one read in part is fetched again with
// the lines already read skipped. Call before Run.
func (s *S3) Resume(ps []Position) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.resume = map[string]Position{}
	for _, p := range ps {
		if p.Kind == "s3" {
			s.resume[p.Object] = p
		}
	}
}

// resumedLines returns how many lines of key a run before this one read.
func (s *S3) resumedLines(key string) int64 {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if p, ok := s.resume[key]; ok && !p.EOF {
		return p.Line
	}
	return 0
}

var _ Resumable = (*S3)(nil)
