// Package sub gives the capture a second package and file.
package sub

import "strings"

// Join builds a string through a strings.Builder.
func Join(parts []string) string {
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString(p)
	}
	return sb.String()
}

// Boxed stores an int in an interface: "v escapes to heap".
func Boxed(v int) any {
	return v
}

// Keep makes a new slice that escapes via the return value.
func Keep(n int) *[]int {
	s := make([]int, n)
	return &s
}
