package model

import (
	"math/rand/v2"
	"testing"
)

// TestSepMasks holds sepMasks (assembly on amd64) and its Go twin to a byte
// loop, over random blocks rich in spaces, control bytes, DEL and high bytes.
func TestSepMasks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(" \t\n\r\x00\x1b\x1f\x7f\x80\xff!09aZ-.:")
	var b [64]byte
	for n := 0; n < 20000; n++ {
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		var ws, wo uint64
		for i, c := range b {
			if c == ' ' {
				ws |= 1 << i
			}
			if c < ' ' || c >= 0x7f {
				wo |= 1 << i
			}
		}
		if s, o := sepMasks(&b[0]); s != ws || o != wo {
			t.Fatalf("sepMasks(%q) = %064b %064b, want %064b %064b", b, s, o, ws, wo)
		}
		if s, o := sepMasksGo(&b[0]); s != ws || o != wo {
			t.Fatalf("sepMasksGo(%q) = %064b %064b, want %064b %064b", b, s, o, ws, wo)
		}
	}
}
