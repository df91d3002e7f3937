package reporter

import "time"

// procStart is the origin of every timestamp: the moment this package was
// initialised, which is before the importing program's main runs.
var procStart = time.Now()

// sinceStart returns monotonic nanoseconds since procStart.
func sinceStart() int64 { return int64(time.Since(procStart)) }

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// Sample events, as in the built-in workload.
const (
	evTick        = "tick"
	evWindowStart = "window_start"
	evWindowEnd   = "window_end"
)

// Window states; they double as the "phase" of a sample.
const (
	phaseWarmup = iota // before the window opens
	phaseMeasure
	phaseDone // after it closed (or it will never open)
)

var phaseNames = [...]string{"warmup", "measure", "done"}
