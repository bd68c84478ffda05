package detect

import (
	"testing"
	"unsafe"
)

// TestCellSize: a cell is one cache line, so counting a record touches
// one line of memory for it (chunks of cells are page-aligned).
func TestCellSize(t *testing.T) {
	if n := unsafe.Sizeof(cell{}); n != 64 {
		t.Fatalf("a cell is %d bytes, want 64", n)
	}
	if n := unsafe.Sizeof(cellChunk{}); n%4096 != 0 {
		t.Fatalf("a chunk is %d bytes, not whole pages", n)
	}
}

// TestMembersSince: a cell reports to its episode only the members it
// gained since it last did, in the order they came.
func TestMembersSince(t *testing.T) {
	var tb hbTable
	var c cell
	var got []uint32
	collect := func(v uint32) { got = append(got, v) }
	tb.addMember(&c, 7)
	tb.addMember(&c, 7)
	tb.eachMemberSince(&c, 0, collect)
	if len(got) != 1 || got[0] != 7 || tb.memberLen(&c) != 1 {
		t.Fatalf("one member: got %v, len %d", got, tb.memberLen(&c))
	}
	for v := uint32(100); v > 60; v-- { // beyond smallMembers, so a map is used too
		tb.addMember(&c, v)
		tb.addMember(&c, 7)
	}
	got = nil
	tb.eachMemberSince(&c, 1, collect)
	if len(got) != 40 || got[0] != 100 || got[39] != 61 || tb.memberLen(&c) != 41 {
		t.Fatalf("since 1: got %d members %v, len %d", len(got), got, tb.memberLen(&c))
	}
	if !tb.hasMember(&c, 61) || tb.hasMember(&c, 60) {
		t.Fatal("hasMember is wrong")
	}
	got = nil
	tb.eachMemberSince(&c, 41, collect)
	if len(got) != 0 {
		t.Fatalf("since all: got %v", got)
	}
}

// TestMemory: the engine's estimate of its state grows with what it
// counts, and counts at least the cells of its tables.
func TestMemory(t *testing.T) {
	ix := loadIndex(t, 0, 0, nil, allFixtures...)
	e := mustEngine(t, Config{})
	res := e.Update(ix.Snapshot())
	if res.Memory <= 0 || res.Memory != e.Memory() {
		t.Fatalf("memory %d, engine says %d", res.Memory, e.Memory())
	}
	var cells int64
	for _, d := range e.dets {
		for _, r := range d.runs {
			if w, ok := r.(*windowed); ok {
				for _, tb := range w.tables {
					cells += int64(len(tb.chunks)) * int64(unsafe.Sizeof(cellChunk{}))
				}
			}
		}
	}
	if cells == 0 || res.Memory < cells {
		t.Errorf("memory %d, below the %d bytes of the tables' cells", res.Memory, cells)
	}
}
