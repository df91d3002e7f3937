// Package benchpkg holds a few small benchmarks whose `go test -bench`
// output is the fixture for tests/test_gobench.py. Stdlib only.
package benchpkg

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

var sink any

// BenchmarkSort has sub-benchmarks, one per input size.
func BenchmarkSort(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := make([]int, n)
			for i := range src {
				src[i] = (i * 7919) % n
			}
			buf := make([]int, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				copy(buf, src)
				sort.Ints(buf)
			}
		})
	}
}

// BenchmarkAlloc allocates on every iteration and reports throughput.
func BenchmarkAlloc(b *testing.B) {
	b.SetBytes(4096)
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 4096)
	}
}

// BenchmarkJoin reports a custom metric with b.ReportMetric.
func BenchmarkJoin(b *testing.B) {
	parts := []string{"alpha", "beta", "gamma", "delta"}
	items := 0
	for i := 0; i < b.N; i++ {
		sink = strings.Join(parts, ",")
		items += len(parts)
	}
	b.ReportMetric(float64(items)/float64(b.N), "items/op")
	b.ReportMetric(0, "zero/op")
}
