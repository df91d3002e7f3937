// Package escpkg has one example of each kind of escape-analysis diagnostic
// that tests/test_escape.py reads from `go build -gcflags=-m` output.
package escpkg

import "fmt"

type point struct{ x, y int }

var global *point

// add can be inlined; its parameters do not escape.
func add(a, b int) int { return a + b }

// newPoint returns a pointer to a local: "moved to heap: p".
func newPoint(x, y int) *point {
	p := point{x, y}
	return &p
}

// store keeps its parameter: "leaking param: q".
func store(q *point) {
	global = q
}

// identity returns its parameter: "leaking param: r to result ~r0 level=0".
func identity(r *point) *point {
	return r
}

// deref leaks what its parameter points to: "leaking param content: s".
func deref(s **point) {
	global = *s
}

// buffer makes a slice of unknown size: "make([]byte, n) escapes to heap".
func buffer(n int) []byte {
	return make([]byte, n)
}

// fixed makes a small slice that stays on the stack: "does not escape".
func fixed() int {
	b := make([]byte, 16)
	return len(b)
}

// show converts to interface for fmt: "... argument does not escape" and
// "x escapes to heap".
func show(x int) {
	fmt.Println(x, add(x, 1))
}

// counter returns a closure: "func literal escapes to heap".
func counter() func() int {
	n := 0
	return func() int {
		n++
		return n
	}
}

// literal returns a composite literal's address: "&point{...} escapes to heap".
func literal() *point {
	return &point{1, 2}
}

// Use calls everything so nothing is dead code.
func Use() {
	p := newPoint(1, 2)
	store(p)
	_ = identity(p)
	deref(&p)
	_ = buffer(add(3, 4))
	_ = fixed()
	show(5)
	_ = counter()()
	_ = literal()
}
