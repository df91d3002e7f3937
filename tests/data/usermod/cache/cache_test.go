package cache

import "testing"

func BenchmarkPut(b *testing.B) {
	c := New(20000)
	for i := 0; i < b.N; i++ {
		c.Put(i%40000, make([]byte, 512))
	}
}

func BenchmarkGet(b *testing.B) {
	c := New(20000)
	for i := 0; i < 20000; i++ {
		c.Put(i, make([]byte, 64))
	}
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if _, ok := c.Get(i % 30000); ok {
			hits++
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
