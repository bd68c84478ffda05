package detect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

const t0 = 1717236000 // 2024-06-01T10:00:00Z

// attempts returns n rejected SSH attempts of 198.51.100.23 on 10.0.0.5,
// 10 s apart from start.
func attempts(n int, start int64) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		st := start + int64(i)*10
		b = fmt.Appendf(b, "2 111122223333 eni-0d1 198.51.100.23 10.0.0.5 %d 22 6 3 180 %d %d REJECT OK\n", 50000+i, st, st+5)
	}
	return b
}

func ingest(t *testing.T, ix *model.Index, obj string, data []byte) *model.Snapshot {
	t.Helper()
	if res := ix.Ingest(&model.Batch{Source: "test", Object: obj, Data: data}); res.Bad > 0 {
		t.Fatalf("%s: %d bad lines", obj, res.Bad)
	}
	return ix.Publish()
}

// TestLateRecords: once the engine has seen records past a half-window's
// end by more than the window and the lateness allowance, the half-window
// is released; records that come for it later are counted and said, not
// detected, and the findings already raised stay.
func TestLateRecords(t *testing.T) {
	ix := model.NewIndex(0)
	e := mustEngine(t, Config{Only: []string{"brute-force"}})
	first := e.Update(ingest(t, ix, "a", attempts(30, t0)))
	if len(first.All) != 1 || first.All[0].Flows != 30 {
		t.Fatalf("want one finding of 30 attempts, got %v", first.All)
	}
	w := e.dets[0].runs[0].(*windowed)
	if len(w.tables) == 0 {
		t.Fatal("no tables")
	}
	// A record of another pair a day after the attempts' half-windows:
	// still within the allowance (a week).
	other := fmt.Appendf(nil, "2 111122223333 eni-0d2 10.1.1.1 10.2.2.2 40000 443 6 3 180 %d %d ACCEPT OK\n", t0+600+86400, t0+600+86405)
	res := e.Update(ingest(t, ix, "b", other))
	if res.Late != nil || len(w.tables) == 0 {
		t.Fatalf("within the allowance: late %v, %d tables", res.Late, len(w.tables))
	}
	// Eight days on: every table of the attempts is released.
	other = fmt.Appendf(nil, "2 111122223333 eni-0d2 10.1.1.1 10.2.2.2 40001 443 6 3 180 %d %d ACCEPT OK\n", t0+8*86400, t0+8*86400+5)
	res = e.Update(ingest(t, ix, "b", other))
	if res.Late != nil {
		t.Fatalf("late %v", res.Late)
	}
	for hb := range w.tables {
		if hb*w.hop < t0+3600 {
			t.Errorf("the table of %d is kept", hb*w.hop)
		}
	}
	// Five more attempts for the released half-windows: counted late,
	// the finding unchanged.
	res = e.Update(ingest(t, ix, "a", attempts(5, t0+10)))
	if res.Late["brute-force"] != 5 || res.LateTotal() != 5 {
		t.Errorf("late %v, want brute-force 5", res.Late)
	}
	if len(res.All) != 1 || res.All[0].Flows != 30 || len(res.Changed) != 0 {
		t.Errorf("findings %v changed %v, want the one finding of 30 attempts unchanged", res.All, res.Changed)
	}
	notes := strings.Join(res.Notes(), "\n")
	if want := "5 records arrived too late for detection (older than the window kept): brute-force 5"; notes != want {
		t.Errorf("notes %q, want %q", notes, want)
	}
}

// TestNothingLate: records within the lateness allowance of each other
// are never late, and an engine fed a line at a time finds what one pass
// finds (scan.log's slow scan's lines come after records 3h newer).
func TestNothingLate(t *testing.T) {
	for _, name := range allFixtures {
		t.Run(name, func(t *testing.T) {
			ix := loadIndex(t, 0, 0, nil, name)
			want := e2s(mustEngine(t, Config{}).Update(ix.Snapshot()).All)
			e := mustEngine(t, Config{})
			var last Result
			loadIndex(t, 0, 1, func(s *model.Snapshot) { last = e.Update(s) }, name)
			if last.Late != nil {
				t.Errorf("late %v", last.Late)
			}
			diff(t, "a line at a time", e2s(last.All), "one pass", want)
		})
	}
}

func e2s(fs []*Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, same(f))
	}
	return out
}

// TestMemoryCap: past Config.Memory the oldest half-windows are released
// first (their late records counted like any others); when the newest
// two alone pass it, the detection is paused, said, and its findings
// stay listed.
func TestMemoryCap(t *testing.T) {
	ix := model.NewIndex(0)
	var data []byte
	for h := int64(0); h < 4; h++ { // four half-windows of brute-force (10m windows)
		data = append(data, attempts(25, t0+h*300)...)
	}
	snap := ingest(t, ix, "a", data)
	free := mustEngine(t, Config{Only: []string{"brute-force"}}).Update(snap)
	if len(free.All) != 1 || free.Paused != nil || free.Late != nil {
		t.Fatalf("without a bound: %d findings, paused %v, late %v", len(free.All), free.Paused, free.Late)
	}

	e := mustEngine(t, Config{Only: []string{"brute-force"}, Memory: free.Memory - 1})
	res := e.Update(snap)
	w := e.dets[0].runs[0].(*windowed)
	if res.Memory > free.Memory-1 || res.Paused != nil {
		t.Errorf("memory %d over the bound %d, paused %v", res.Memory, free.Memory-1, res.Paused)
	}
	if _, ok := w.tables[t0/300]; ok || len(w.tables) != 3 {
		t.Errorf("the oldest half-window is kept, or more were released: %d tables", len(w.tables))
	}
	if len(res.All) != 1 || res.All[0].Flows != 100 {
		t.Errorf("findings %v, want the one of 100 attempts", res.All)
	}
	res = e.Update(ingest(t, ix, "b", attempts(2, t0+10)))
	if res.Late["brute-force"] != 2 {
		t.Errorf("late %v, want brute-force 2", res.Late)
	}

	e = mustEngine(t, Config{Only: []string{"brute-force"}, Memory: 1000})
	res = e.Update(snap)
	if len(res.Paused) != 1 || res.Paused[0] != "brute-force" || e.dets[0].runs != nil {
		t.Fatalf("paused %v, want brute-force, its state let go", res.Paused)
	}
	if len(res.All) != 1 || res.All[0].Flows != 100 {
		t.Errorf("findings %v, want the one of 100 attempts still listed", res.All)
	}
	want := "brute-force paused: its state passed the detections' memory share of --max-memory"
	if notes := strings.Join(res.Notes(), "\n"); notes != want || strings.Join(e.Notes(), "\n") != want {
		t.Errorf("notes %q, want %q", notes, want)
	}
	// A paused detection reads nothing more.
	res = e.Update(ingest(t, ix, "b", attempts(30, t0+1200)))
	if len(res.All) != 1 || res.All[0].Flows != 100 || len(res.Changed) != 0 || len(res.Paused) != 1 {
		t.Errorf("after the pause: findings %v, changed %v, paused %v", res.All, res.Changed, res.Paused)
	}
}
