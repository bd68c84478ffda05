package model

import "bytes"

// CutLine splits data at its first newline: line is what comes before it
// (a "\r" before the newline stays, the parser trims it) and rest what
// follows. Without a newline, line is all of data and rest is nil. Every
// ingest path cuts lines with it, so line numbers agree everywhere.
func CutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// countLines returns the number of lines in data, the last one counted
// whether or not it ends in '\n' (as CutLine cuts them).
func countLines(data []byte) int64 {
	n := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}
