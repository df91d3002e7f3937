package main

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// metricNames are the runtime/metrics read at every sample. Names the
// running Go version does not know are left out.
var metricNames = []string{
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/gc/pause:cpu-seconds",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds",
	"/cpu/classes/user:cpu-seconds",
	"/cpu/classes/scavenge/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/gc/limiter/last-enabled:gc-cycle",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/live:bytes",
	"/gc/heap/goal:bytes",
	"/sched/gomaxprocs:threads",
	"/gc/gogc:percent",
	"/gc/gomemlimit:bytes",
}

// reporter writes the JSON lines on stdout. All its buffers are allocated
// once, so sampling does not add garbage to the heap being measured. The
// mutex serialises the ticker goroutine and the orchestrating one.
type reporter struct {
	mu      sync.Mutex
	out     io.Writer
	line    jsonLine
	mem     runtime.MemStats
	samples []metrics.Sample
	usage   syscall.Rusage
	status  procStatus
	load    *load
	win     *window
}

func newReporter(out io.Writer, l *load, win *window) *reporter {
	r := &reporter{out: out, load: l, win: win}
	r.line.b = make([]byte, 0, 4096)
	known := make(map[string]bool)
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	for _, name := range metricNames {
		if known[name] {
			r.samples = append(r.samples, metrics.Sample{Name: name})
		}
	}
	r.status.open()
	return r
}

// emit writes the finished line with a single Write so lines from
// different goroutines never interleave and each reaches the reader at
// once.
func (r *reporter) emit() {
	// A failed write (e.g. closed stdout) is not worth dying for; the
	// reader is gone anyway.
	_, _ = r.out.Write(r.line.finish())
}

func (r *reporter) start(c *config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := &r.line
	j.begin()
	j.str("type", "start")
	j.f64("t", seconds(sinceStart()))
	j.str("go_version", runtime.Version())
	j.i64("gomaxprocs", int64(runtime.GOMAXPROCS(0)))
	j.i64("num_cpu", int64(runtime.NumCPU()))
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
	ops := r.load.opsDone()
	runtime.ReadMemStats(&r.mem)
	metrics.Read(r.samples)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r.usage) // left as is on failure
	rss, peak := r.status.read()

	j := &r.line
	j.begin()
	j.str("type", "sample")
	j.f64("t", seconds(now))
	j.str("event", event)
	j.str("phase", phase)
	j.u64("ops", ops)
	r.appendMemStats(j)
	r.appendMetrics(j)
	j.f64("rusage_cpu_s", seconds(r.usage.Utime.Nano()+r.usage.Stime.Nano()))
	j.u64("rss_bytes", rss)
	j.u64("peak_rss_bytes", peak)
	r.emit()
	return now
}

func (r *reporter) appendMemStats(j *jsonLine) {
	m := &r.mem
	j.object("memstats")
	j.u64("Sys", m.Sys)
	j.u64("HeapAlloc", m.HeapAlloc)
	j.u64("HeapIdle", m.HeapIdle)
	j.u64("HeapInuse", m.HeapInuse)
	j.u64("HeapObjects", m.HeapObjects)
	j.u64("HeapReleased", m.HeapReleased)
	j.u64("NumGC", uint64(m.NumGC))
	j.u64("PauseTotalNs", m.PauseTotalNs)
	j.f64("GCCPUFraction", m.GCCPUFraction)
	j.end()
}

func (r *reporter) appendMetrics(j *jsonLine) {
	j.object("metrics")
	for _, s := range r.samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			j.u64(s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			j.f64(s.Name, s.Value.Float64())
		}
	}
	j.end()
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
	j.begin()
	j.str("type", "summary")
	j.u64("ops", s.ops)
	j.f64("seconds", s.seconds)
	opsPerS := 0.0
	if s.seconds > 0 {
		opsPerS = float64(s.ops) / s.seconds
	}
	j.f64("ops_per_s", opsPerS)
	j.object("latency_ms")
	for _, q := range [...]struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}} {
		j.f64(q.name, s.hist.quantile(q.q)/1e6)
	}
	j.f64("max", float64(s.hist.max)/1e6)
	j.end()
	loop := "closed"
	if s.rate > 0 {
		loop = "open"
	}
	j.str("loop", loop)
	j.f64("target_rate", s.rate)
	j.i64("dropped", s.dropped)
	j.u64("checksum", s.checksum)
	r.emit()
}

// procStatus reads VmRSS and VmHWM from /proc/self/status through a file
// kept open and a fixed buffer. Both read as 0 where /proc is missing.
type procStatus struct {
	f   *os.File
	buf [8192]byte
}

func (p *procStatus) open() {
	if f, err := os.Open("/proc/self/status"); err == nil {
		p.f = f
	}
}

func (p *procStatus) read() (rss, peak uint64) {
	if p.f == nil {
		return 0, 0
	}
	n, _ := p.f.ReadAt(p.buf[:], 0) // io.EOF is expected: the file is short
	b := p.buf[:n]
	return statusKB(b, "VmRSS:") * 1024, statusKB(b, "VmHWM:") * 1024
}

// statusKB finds "<field> <n> kB" in a /proc status file and returns n.
func statusKB(b []byte, field string) uint64 {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) < len(field) || string(line[:len(field)]) != field {
			continue
		}
		var v uint64
		for _, c := range line[len(field):] {
			if c >= '0' && c <= '9' {
				v = v*10 + uint64(c-'0')
			} else if v > 0 {
				break
			}
		}
		return v
	}
	return 0
}
