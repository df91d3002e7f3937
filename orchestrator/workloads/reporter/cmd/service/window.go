package main

import (
	"math"
	"sync/atomic"
	"time"
)

// procStart is the origin of every timestamp the program reports.
var procStart = time.Now()

// sinceStart returns monotonic nanoseconds since procStart.
func sinceStart() int64 { return int64(time.Since(procStart)) }

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

var phaseNames = [...]string{"warmup", "measure", "done"}

// window is the measurement window. Closed-loop workers look at phase
// when an operation starts; the open-loop dispatcher compares intended
// start times with [start, end).
type window struct {
	phase      atomic.Int32
	start, end atomic.Int64 // ns since procStart
}

func newWindow() *window {
	w := &window{}
	w.start.Store(math.MaxInt64)
	w.end.Store(math.MaxInt64)
	return w
}

// open starts the window now and returns when it is due to end.
func (w *window) open(length time.Duration) int64 {
	start := sinceStart()
	w.start.Store(start)
	w.end.Store(start + int64(length))
	w.phase.Store(phaseMeasure)
	return start + int64(length)
}

// close stops new operations from being measured.
func (w *window) close() { w.phase.Store(phaseDone) }

func (w *window) contains(t int64) bool {
	return t >= w.start.Load() && t < w.end.Load()
}

func (w *window) phaseName() string { return phaseNames[w.phase.Load()] }

// sleepUntil sleeps until t ns since procStart (no-op if already past).
func sleepUntil(t int64) {
	if d := t - sinceStart(); d > 0 {
		time.Sleep(time.Duration(d))
	}
}
