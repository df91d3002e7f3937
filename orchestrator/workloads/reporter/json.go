package reporter

// This file is a copy of orchestrator/workloads/service/json.go: the two
// programs write the same JSON lines. Keep them in step.

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// jsonLine builds one JSON object into a reusable buffer. It exists so
// that sampling does not allocate (encoding/json would, and those
// allocations would show up in the very heap being measured).
type jsonLine struct {
	b     []byte
	first bool // no member written yet in the innermost open object
}

func (j *jsonLine) begin() {
	j.b = append(j.b[:0], '{')
	j.first = true
}

// finish closes the top-level object and terminates the line.
func (j *jsonLine) finish() []byte {
	j.b = append(j.b, '}', '\n')
	return j.b
}

func (j *jsonLine) key(k string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = appendString(j.b, k)
	j.b = append(j.b, ':')
}

// object opens a nested object; close it with end.
func (j *jsonLine) object(k string) {
	j.key(k)
	j.b = append(j.b, '{')
	j.first = true
}

func (j *jsonLine) end() {
	j.b = append(j.b, '}')
	j.first = false
}

func (j *jsonLine) str(k, v string) {
	j.key(k)
	j.b = appendString(j.b, v)
}

func (j *jsonLine) u64(k string, v uint64) {
	j.key(k)
	j.b = strconv.AppendUint(j.b, v, 10)
}

func (j *jsonLine) i64(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}

// f64 writes a float in plain decimal notation. NaN and ±Inf are not
// representable in JSON and are written as 0.
func (j *jsonLine) f64(k string, v float64) {
	j.key(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	j.b = strconv.AppendFloat(j.b, v, 'f', -1, 64)
}

func (j *jsonLine) boolean(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

// appendString appends s as a JSON string literal. Invalid UTF-8 is
// replaced with U+FFFD so the output always parses.
func appendString(b []byte, s string) []byte {
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
