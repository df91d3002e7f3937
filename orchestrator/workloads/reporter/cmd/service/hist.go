package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram is a fixed-size log-linear latency histogram in nanoseconds.
// Every power of two is split into histSub linear sub-buckets, so a
// bucket's width is at most 1/histSub (0.8%) of its lower bound, and the
// midpoint we report is within 0.4% of any value in it. Values below
// histSub ns are exact. Recording never allocates, so latency tracking
// does not disturb the heap being measured.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    uint64 // exact, not bucketed
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits
	histMaxBits = 36 // values >= 2^36 ns (about 68.7 s) are clamped
	histBuckets = (histMaxBits - histSubBits + 1) * histSub
	histMaxVal  = 1<<histMaxBits - 1
)

// bucketOf maps v to its bucket. For v >= histSub, e is the number of low
// bits dropped so that v>>e lies in [histSub, 2*histSub).
func bucketOf(v uint64) int {
	if v > histMaxVal {
		v = histMaxVal
	}
	e := bits.Len64(v) - histSubBits - 1
	if e < 0 {
		e = 0
	}
	return e<<histSubBits + int(v>>uint(e))
}

// bucketMid returns the midpoint of bucket i, the inverse of bucketOf.
func bucketMid(i int) float64 {
	e := i>>histSubBits - 1
	if e < 0 {
		e = 0
	}
	lower := uint64(i-e<<histSubBits) << uint(e)
	width := uint64(1) << uint(e)
	return float64(lower) + float64(width-1)/2
}

func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the q-quantile in nanoseconds (0 if empty). It is
// capped at the exact maximum so that quantiles never exceed max.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if m := bucketMid(i); m < float64(h.max) {
				return m
			}
			return float64(h.max)
		}
	}
	return float64(h.max)
}
