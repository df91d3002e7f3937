// Command service is gctune's built-in workload: a configurable model of
// a Go service (a live heap of cached records, churn, and worker
// goroutines doing allocation-heavy operations). It reports throughput,
// latency and GC statistics as JSON lines on stdout and leaves stderr to
// the Go runtime (GODEBUG=gctrace=1).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := parseConfig(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(os.Stderr)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "service: %v (run with -h for usage)\n", err)
		return 2
	}

	win := newWindow()
	heap := newLiveHeap(cfg)
	work := newLoad(cfg, heap)
	rep := newReporter(os.Stdout, work, win)

	rep.start(cfg)
	rep.sample(evTick, "")
	stopTicks := spawn(func(stop <-chan struct{}) { rep.tickLoop(cfg.sampleInterval, stop) })

	// Warm-up: build the live heap, then let churn and the workers run
	// until the warm-up time (counted from process start) is over.
	heap.build()
	stopChurn := spawn(heap.churn)
	work.start(win)
	sleepUntil(int64(cfg.warmup))

	// The window_start sample comes before the window opens so that no
	// measured operation precedes it; window_end comes after every
	// measured operation has finished, and is the last sample.
	t0 := rep.sample(evWindowStart, phaseNames[phaseMeasure])
	sleepUntil(win.open(cfg.duration))
	win.close()
	work.finish()
	stopTicks()
	t1 := rep.sample(evWindowEnd, phaseNames[phaseDone])
	stopChurn()

	hist, sink := work.results()
	rep.summary(&summary{
		ops:      work.opsDone(),
		seconds:  seconds(t1 - t0),
		hist:     hist,
		rate:     cfg.rate,
		dropped:  work.dropped(),
		checksum: sink,
	})
	return 0
}

// spawn runs f in a goroutine and returns a function that asks f to
// return, by closing its stop channel, and waits until it has.
func spawn(f func(stop <-chan struct{})) (halt func()) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		f(stop)
	}()
	return func() {
		close(stop)
		<-done
	}
}
