package model

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// genLines returns n default-format lines with a realistic spread: a few
// hundred interfaces, ten thousand addresses, skewed ports and sizes.
func genLines(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	ports := []int{443, 80, 22, 3389, 5432, 53, 8080, 6379, 9092, 123}
	out := make([]byte, 0, n*110)
	t := int64(1717236000)
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			t += 1
		}
		eni := fmt.Sprintf("eni-%017x", r.IntN(300))
		src := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(40), 1+r.IntN(250))
		dst := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(220), r.IntN(256), r.IntN(256), 1+r.IntN(250))
		act := "ACCEPT"
		if r.IntN(10) == 0 {
			act = "REJECT"
		}
		pk := 1 + r.IntN(2000)
		line := "2 111122223333 " + eni + " " + src + " " + dst + " " + strconv.Itoa(1024+r.IntN(60000)) + " " +
			strconv.Itoa(ports[r.IntN(len(ports))]) + " 6 " + strconv.Itoa(pk) + " " + strconv.Itoa(pk*(40+r.IntN(1400))) + " " +
			strconv.FormatInt(t, 10) + " " + strconv.FormatInt(t+int64(r.IntN(60)), 10) + " " + act + " OK\n"
		out = append(out, line...)
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	data := genLines(100_000, 1)
	lines := splitLines(data)
	p := NewParser(nil)
	var rec Record
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if k, r := p.Parse(lines[i%len(lines)], &rec); k != LineRecord {
			b.Fatal(r)
		}
	}
}

func BenchmarkIngest1M(b *testing.B) {
	data := genLines(1_000_000, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := NewIndex(4 << 30)
		const chunk = 1 << 20
		for off := 0; off < len(data); {
			end := off + chunk
			if end > len(data) {
				end = len(data)
			} else {
				for data[end-1] != '\n' {
					end++
				}
			}
			ix.Ingest(&Batch{Source: "bench", Data: data[off:end]})
			off = end
		}
		s := ix.Publish()
		if s.Rows() != 1_000_000 {
			b.Fatal(s.Rows())
		}
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := 0
		for data[i] != '\n' {
			i++
		}
		out = append(out, data[:i+1])
		data = data[i+1:]
	}
	return out
}
