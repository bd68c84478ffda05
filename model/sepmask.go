package model

import (
	"encoding/binary"
	"unsafe"
)

// sepMasksGo is sepMasks a word at a time, in Go: what architectures
// without the assembly use, and what the tests hold the assembly to.
func sepMasksGo(p *byte) (spaces, other uint64) {
	b := unsafe.Slice(p, 64)
	for w := 0; w < 8; w++ {
		x := binary.LittleEndian.Uint64(b[8*w:])
		sp := zeroBytes(x^spacesWord) & highBits
		ot := (controlBytes(x) | x) & highBits // x's own high bits: 0x80 and up
		spaces |= packHighBits(sp) << (8 * w)
		other |= packHighBits(ot) << (8 * w)
	}
	return spaces, other
}

// packHighBits gathers the high bit of each byte of m (the others clear)
// into the low eight bits, byte 0's first.
func packHighBits(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
}
