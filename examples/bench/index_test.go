package index

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// corpus makes n documents of generated words, the same for a given seed.
func corpus(n int, seed int64) []string {
	rng := rand.New(rand.NewSource(seed))
	docs := make([]string, n)
	var b strings.Builder
	for i := range docs {
		b.Reset()
		for w := 0; w < 60; w++ {
			fmt.Fprintf(&b, "w%d ", rng.Intn(4000))
		}
		docs[i] = b.String()
	}
	return docs
}

func TestLookupFindsEveryWordOfADocument(t *testing.T) {
	docs := []string{"The quick brown fox.", "A quick dog!", "brown dogs"}
	ix := Build(docs)
	if got := ix.Lookup("quick"); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("Lookup(quick) = %v, want [0 1]", got)
	}
	if got := ix.Lookup("quick brown"); len(got) != 1 || got[0] != 0 {
		t.Fatalf("Lookup(quick brown) = %v, want [0]", got)
	}
}

// BenchmarkBuild builds an index of 2,000 documents per operation.
func BenchmarkBuild(b *testing.B) {
	docs := corpus(2000, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ix := Build(docs); len(ix.postings) == 0 {
			b.Fatal("empty index")
		}
	}
}

// BenchmarkLookup answers two-word queries against a live index of 20,000
// documents, which the GC has to mark again in every cycle.
func BenchmarkLookup(b *testing.B) {
	ix := Build(corpus(20000, 2))
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		hits += len(ix.Lookup(fmt.Sprintf("w%d w%d", i%4000, (i*7)%4000)))
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
