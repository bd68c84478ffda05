package model

import "testing"

func TestSnapshotIndex(t *testing.T) {
	a, b := NewIndex(0), NewIndex(0)
	s1 := a.Snapshot()
	a.Ingest(&Batch{Source: "t", Data: []byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n")})
	s2 := a.Publish()
	if s1.Index() != a || s2.Index() != a {
		t.Fatal("snapshots of one index must report it")
	}
	if b.Snapshot().Index() != b || b.Snapshot().Index() == a {
		t.Fatal("snapshots of different indexes must differ")
	}
	if (&Snapshot{}).Index() != nil {
		t.Fatal("a hand-made snapshot has no index")
	}
}
