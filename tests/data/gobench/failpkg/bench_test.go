// Package benchfail has one benchmark that passes, one that logs and one
// that calls b.Fatal, for the failing-run fixture of tests/test_gobench.py.
package benchfail

import (
	"strconv"
	"testing"
)

var sink string

func BenchmarkOK(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = strconv.Itoa(i)
	}
}

func BenchmarkLogs(b *testing.B) {
	b.Logf("b.N=%d", b.N)
	for i := 0; i < b.N; i++ {
		sink = strconv.Itoa(i)
	}
}

func BenchmarkBroken(b *testing.B) {
	b.Fatal("deliberate failure")
}

// BenchmarkLate fails only after the first (b.N == 1) run has passed.
func BenchmarkLate(b *testing.B) {
	if b.N > 1 {
		b.Fatalf("failed at b.N=%d", b.N)
	}
}

// BenchmarkSub has one passing and one failing sub-benchmark.
func BenchmarkSub(b *testing.B) {
	b.Run("good", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = strconv.Itoa(i)
		}
	})
	b.Run("bad", func(b *testing.B) {
		b.Error("bad case")
	})
}
