package main

import (
	"io"
	"runtime"
	"sync"
	"time"

	"gctune.dev/reporter/internal/sample"
)

// reporter writes the JSON lines on stdout. All its buffers are allocated
// once, so sampling does not add garbage to the heap being measured. The
// mutex serialises the ticker goroutine and the orchestrating one.
type reporter struct {
	mu   sync.Mutex
	out  io.Writer
	line sample.Line
	s    sample.Sampler
	load *load
	win  *window
}

func newReporter(out io.Writer, l *load, win *window) *reporter {
	r := &reporter{out: out, load: l, win: win}
	r.line.Grow(4096)
	r.s.Init()
	return r
}

// emit writes the finished line with a single Write so lines from
// different goroutines never interleave and each reaches the reader at
// once.
func (r *reporter) emit() {
	// A failed write (e.g. closed stdout) is not worth dying for; the
	// reader is gone anyway.
	_, _ = r.out.Write(r.line.Finish())
}

func (r *reporter) start(c *config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := &r.line
	j.Begin()
	j.Str("type", "start")
	j.F64("t", seconds(sinceStart()))
	j.Str("go_version", runtime.Version())
	j.I64("gomaxprocs", int64(runtime.GOMAXPROCS(0)))
	j.I64("num_cpu", int64(runtime.NumCPU()))
	c.appendJSON(j)
	r.emit()
}

// Sample events.
const (
	evTick        = "tick"
	evWindowStart = "window_start"
	evWindowEnd   = "window_end"
)

// sample writes one "sample" line and returns its timestamp in ns since
// process start. An empty phase means the current one.
func (r *reporter) sample(event, phase string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := sinceStart()
	if phase == "" {
		phase = r.win.phaseName()
	}
	r.s.AppendSample(&r.line, now, event, phase, r.load.opsDone())
	r.emit()
	return now
}

// tickLoop samples every interval until stop is closed. A ticker drops
// ticks rather than bunching them if sampling falls behind.
func (r *reporter) tickLoop(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.sample(evTick, "")
		}
	}
}

type summary struct {
	ops      uint64
	seconds  float64
	hist     *histogram
	rate     float64
	dropped  int64
	checksum uint64
}

func (r *reporter) summary(s *summary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := &r.line
	j.Begin()
	j.Str("type", "summary")
	j.U64("ops", s.ops)
	j.F64("seconds", s.seconds)
	opsPerS := 0.0
	if s.seconds > 0 {
		opsPerS = float64(s.ops) / s.seconds
	}
	j.F64("ops_per_s", opsPerS)
	j.Object("latency_ms")
	for _, q := range [...]struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}} {
		j.F64(q.name, s.hist.quantile(q.q)/1e6)
	}
	j.F64("max", float64(s.hist.max)/1e6)
	j.End()
	loop := "closed"
	if s.rate > 0 {
		loop = "open"
	}
	j.Str("loop", loop)
	j.F64("target_rate", s.rate)
	j.I64("dropped", s.dropped)
	j.U64("checksum", s.checksum)
	r.emit()
}
