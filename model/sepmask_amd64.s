#include "textflag.h"

// func sepMasks(p *byte) (spaces, other uint64)
//
// Reads the 64 bytes at p with SSE2 (every amd64 has it). Bit i of spaces
// is set when byte i is ' '; bit i of other when byte i is below ' ' as a
// signed byte (a control byte, a tab, or any byte of 0x80 and up) or DEL.
TEXT ·sepMasks(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8            // X8: ' ' in every byte
	MOVQ $0x7f7f7f7f7f7f7f7f, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9            // X9: DEL in every byte

#define BLOCK(off, sp, ot) \
	MOVOU off(SI), X0 \
	MOVO X0, X1 \
	PCMPEQB X8, X1 \
	PMOVMSKB X1, sp \
	MOVO X8, X2 \
	PCMPGTB X0, X2 \
	PCMPEQB X9, X0 \
	POR X0, X2 \
	PMOVMSKB X2, ot

	BLOCK(0, AX, BX)
	BLOCK(16, CX, DX)
	SHLQ $16, CX
	ORQ CX, AX
	SHLQ $16, DX
	ORQ DX, BX
	BLOCK(32, CX, DX)
	SHLQ $32, CX
	ORQ CX, AX
	SHLQ $32, DX
	ORQ DX, BX
	BLOCK(48, CX, DX)
	SHLQ $48, CX
	ORQ CX, AX
	SHLQ $48, DX
	ORQ DX, BX
	MOVQ AX, spaces+8(FP)
	MOVQ BX, other+16(FP)
	RET
