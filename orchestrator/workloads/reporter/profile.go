package reporter

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// Profile file names inside GCTUNE_PROFILE_DIR.
const (
	CPUProfileFile  = "cpu.pprof"
	HeapProfileFile = "heap.pprof"
)

// profiler writes the profiles GCTUNE_PROFILE_DIR asks for: a CPU profile
// from Start to Stop, and a heap profile at Stop. The first error is
// reported on stderr; profiling failures never stop the program.
type profiler struct {
	dir    string
	cpu    *os.File
	stderr io.Writer
	failed bool // an error was reported: later ones are not
}

func (p *profiler) fail(what string, err error) {
	if !p.failed {
		p.failed = true
		fmt.Fprintf(p.stderr, "gctune reporter: %s: %v (ignored)\n", what, err)
	}
}

func (p *profiler) start(dir string) {
	if dir == "" {
		return
	}
	p.dir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.fail("profile directory", err)
		return
	}
	f, err := os.Create(filepath.Join(dir, CPUProfileFile))
	if err != nil {
		p.fail("CPU profile", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		p.fail("CPU profile", err)
		_ = f.Close()
		return
	}
	p.cpu = f
}

func (p *profiler) stop() {
	if p.dir == "" {
		return
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			p.fail("CPU profile", err)
		}
		p.cpu = nil
	}
	runtime.GC() // the heap profile shows the heap as of the last GC: make that now
	f, err := os.Create(filepath.Join(p.dir, HeapProfileFile))
	if err != nil {
		p.fail("heap profile", err)
		return
	}
	err = pprof.WriteHeapProfile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		p.fail("heap profile", err)
	}
	p.dir = ""
}
