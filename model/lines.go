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
