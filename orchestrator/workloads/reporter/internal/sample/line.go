package sample

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Line builds one JSON object into a reusable buffer. It exists so that
// sampling does not allocate (encoding/json would, and those allocations
// would show up in the very heap being measured). The zero Line is ready
// to use; its buffer grows as needed and is reused from line to line.
type Line struct {
	b     []byte
	first bool // no member written yet in the innermost open object
}

// Grow makes room for n bytes, so that building lines up to that size
// does not allocate.
func (j *Line) Grow(n int) {
	if cap(j.b) < n {
		j.b = make([]byte, 0, n)
	}
}

// Begin discards the previous line and opens a new top-level object.
func (j *Line) Begin() {
	j.b = append(j.b[:0], '{')
	j.first = true
}

// Finish closes the top-level object and terminates the line.
func (j *Line) Finish() []byte {
	j.b = append(j.b, '}', '\n')
	return j.b
}

func (j *Line) key(k string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = AppendString(j.b, k)
	j.b = append(j.b, ':')
}

// Object opens a nested object; close it with End.
func (j *Line) Object(k string) {
	j.key(k)
	j.b = append(j.b, '{')
	j.first = true
}

// End closes the object opened last by Object.
func (j *Line) End() {
	j.b = append(j.b, '}')
	j.first = false
}

// Str writes a string member.
func (j *Line) Str(k, v string) {
	j.key(k)
	j.b = AppendString(j.b, v)
}

// U64 writes an unsigned integer member.
func (j *Line) U64(k string, v uint64) {
	j.key(k)
	j.b = strconv.AppendUint(j.b, v, 10)
}

// I64 writes an integer member.
func (j *Line) I64(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}

// F64 writes a float in plain decimal notation. NaN and ±Inf are not
// representable in JSON and are written as 0.
func (j *Line) F64(k string, v float64) {
	j.key(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	j.b = strconv.AppendFloat(j.b, v, 'f', -1, 64)
}

// Bool writes a boolean member.
func (j *Line) Bool(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

// AppendString appends s as a JSON string literal. Invalid UTF-8 is
// replaced with U+FFFD so the output always parses.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
