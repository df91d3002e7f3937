// Package index is a small inverted index (word -> documents), the
// benchmark package of gctune's gallery: building it allocates many short
// strings and slices, so GC settings show in its ns/op and B/op.
package index

import (
	"sort"
	"strings"
)

// Index maps each word to the sorted ids of the documents holding it.
type Index struct {
	postings map[string][]int
}

// Build indexes docs; a document's id is its position in docs.
func Build(docs []string) *Index {
	ix := &Index{postings: make(map[string][]int)}
	for id, doc := range docs {
		seen := make(map[string]bool)
		for _, word := range strings.Fields(strings.ToLower(doc)) {
			word = strings.Trim(word, ".,;:!?\"'()")
			if word == "" || seen[word] {
				continue
			}
			seen[word] = true
			ix.postings[word] = append(ix.postings[word], id)
		}
	}
	return ix
}

// Lookup returns the ids of the documents that hold every word of query.
func (ix *Index) Lookup(query string) []int {
	var result []int
	for i, word := range strings.Fields(strings.ToLower(query)) {
		ids := ix.postings[word]
		if i == 0 {
			result = append([]int(nil), ids...)
			continue
		}
		result = intersect(result, ids)
	}
	return result
}

// Words returns the indexed words in order.
func (ix *Index) Words() []string {
	words := make([]string, 0, len(ix.postings))
	for word := range ix.postings {
		words = append(words, word)
	}
	sort.Strings(words)
	return words
}

func intersect(a, b []int) []int {
	out := a[:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
