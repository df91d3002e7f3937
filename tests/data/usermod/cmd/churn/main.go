// Command churn is a small user program for gctune's tests: it keeps a live map and replaces
// entries in a loop, so GC settings visibly change its GC cost. It prints one line when done.
package main

import (
	"flag"
	"fmt"
	"time"

	"example.com/usermod/cache"
)

func main() {
	entries := flag.Int("entries", 50000, "live entries to keep")
	duration := flag.Duration("duration", 3*time.Second, "how long to run")
	flag.Parse()

	c := cache.New(*entries)
	deadline := time.Now().Add(*duration)
	ops := 0
	for time.Now().Before(deadline) {
		for i := 0; i < 1000; i++ {
			c.Put(ops%(*entries*2), make([]byte, 256))
			ops++
		}
	}
	fmt.Printf("churn: %d operations, %d entries\n", ops, c.Len())
}
