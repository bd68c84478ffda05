package model

// sepMasks reads the 64 bytes at p: bit i of spaces is set when byte i is
// ' ', bit i of other when byte i is below ' ' as a signed byte (a control
// byte, a tab, or any byte of 0x80 and up) or DEL. In assembly (SSE2).
//
//go:noescape
func sepMasks(p *byte) (spaces, other uint64)
