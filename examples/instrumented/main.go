// Command instrumented is a tiny program that reports its GC statistics to
// gctune with the gctune.dev/reporter package: it keeps a ring of live
// records, replaces them in a loop for -duration, and counts each
// replacement as one operation. It also prints lines of its own on
// stdout, which gctune skips.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"gctune.dev/reporter"
)

// record is what one operation allocates and keeps: a small object with
// a pointer to a payload, so the GC has something to mark.
type record struct {
	id      int
	name    string
	payload []byte
}

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long to allocate")
	live := flag.Int("live", 16384, "records kept alive (about 1 KiB each)")
	flag.Parse()
	if *duration <= 0 || *live <= 0 {
		fmt.Fprintln(os.Stderr, "instrumented: -duration and -live must be positive")
		os.Exit(2)
	}

	// Start first, so the "start" line is the first on stdout. The
	// measurement window opens by itself once the warm-up GCTUNE_WARMUP
	// asks for is over (at once without it) and Stop closes it. A program
	// can instead mark it: Start(reporter.ManualWindow()), then
	// r.WindowStart() and r.WindowEnd().
	r := reporter.Start()
	fmt.Printf("instrumented: allocating for %v with %d live records\n", *duration, *live)

	ring := make([]*record, *live)
	deadline := time.Now().Add(*duration)
	nextReport := time.Now().Add(time.Second)
	ops := 0
	for now := time.Now(); now.Before(deadline); now = time.Now() {
		for i := 0; i < 64; i++ { // a batch between clock reads
			ring[ops%len(ring)] = &record{
				id:      ops,
				name:    "record-" + strconv.Itoa(ops),
				payload: make([]byte, 256+ops%1536),
			}
			ops++
		}
		r.AddOps(64)
		if now.After(nextReport) {
			fmt.Printf("instrumented: %d ops so far\n", ops)
			nextReport = nextReport.Add(time.Second)
		}
	}

	r.Stop()
	fmt.Printf("instrumented: done, %d ops\n", ops)
}
