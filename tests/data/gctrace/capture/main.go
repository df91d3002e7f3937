// Command gctracecapture is a small stdlib-only program run under
// GODEBUG=gctrace=1 to capture real gctrace fixtures for gctune's parser.
//
// Usage: gctracecapture MODE, where MODE is one of
//
//	basic       allocate to cause a few dozen GCs, with some runtime.GC() calls
//	interleave  like basic, but another goroutine writes USERLINE-n lines to
//	            stderr at the same time, so gc lines get broken up
//	leakcheck   request the "goroutineleak" profile (Go 1.27, or 1.26 built
//	            with GOEXPERIMENT=goroutineleakprofile) to get the
//	            "(checking for goroutine leaks)" marker
//	periodic    one GC, then stay idle ~125 s so the runtime's periodic
//	            2-minute GC ("GC forced") fires
//
// The profile is looked up by name at run time, so this compiles on every
// Go release from 1.21 on.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"
)

var sink [][]byte

// churn allocates about mib MiB in 64 KiB pieces while keeping a ring of
// keepMiB MiB live, which triggers heap-goal GCs.
func churn(mib, keepMiB int) {
	ring := make([][]byte, keepMiB*16)
	for i := 0; i < mib*16; i++ {
		ring[i%len(ring)] = make([]byte, 64<<10)
	}
	sink = ring
}

func basic() {
	for round := 0; round < 3; round++ {
		churn(80, 2+2*round)
		runtime.GC() // a forced cycle: its line ends in "(forced)"
	}
}

func interleave() {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; !stop.Load(); n++ {
			os.Stderr.WriteString(fmt.Sprintf("USERLINE-%d\n", n))
		}
	}()
	churn(12, 2)
	runtime.GC()
	time.Sleep(2 * time.Millisecond)
	stop.Store(true)
	<-done
	churn(12, 2) // some clean lines after the writer stopped
}

func leakcheck() {
	// A goroutine blocked forever on a channel nobody else can reach.
	go func() {
		ch := make(chan int)
		<-ch
	}()
	churn(20, 2)
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		fmt.Fprintln(os.Stdout, "no goroutineleak profile in", runtime.Version())
		return
	}
	if err := p.WriteTo(io.Discard, 1); err != nil {
		fmt.Fprintln(os.Stdout, "goroutineleak:", err)
	}
	churn(8, 2)
}

func periodic() {
	churn(8, 2)
	runtime.GC()
	// Sleep in short steps: sysmon then keeps waking up and notices that
	// more than 2 minutes passed since the last GC.
	for i := 0; i < 125; i++ {
		time.Sleep(time.Second)
	}
	churn(8, 2)
}

func main() {
	mode := "basic"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "basic":
		basic()
	case "interleave":
		interleave()
	case "leakcheck":
		leakcheck()
	case "periodic":
		periodic()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
	// Give the GC goroutine time to finish printing the last line: a
	// runtime.GC() caller is woken before the line is written.
	time.Sleep(50 * time.Millisecond)
}
