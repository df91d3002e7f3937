package reporter

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"time"
)

// metricNames are the runtime/metrics read at every sample, the same as
// the built-in workload's (orchestrator/workloads/service/report.go).
// Names the running Go version does not know are left out.
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

// sampler holds everything one sample needs, allocated once, so taking a
// sample adds no garbage to the heap being measured.
type sampler struct {
	line    jsonLine
	mem     runtime.MemStats
	samples []metrics.Sample
	usage   rusage
	status  procStatus
}

func (s *sampler) init() {
	s.line.b = make([]byte, 0, 4096)
	known := make(map[string]bool)
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	for _, name := range metricNames {
		if known[name] {
			s.samples = append(s.samples, metrics.Sample{Name: name})
		}
	}
	s.status.open()
}

// appendSample builds one "sample" line in s.line taken at now (ns since
// procStart). The caller writes it out.
func (s *sampler) appendSample(now int64, event, phase string, ops uint64) {
	runtime.ReadMemStats(&s.mem)
	metrics.Read(s.samples)
	cpu := s.usage.cpuNs()
	rss, peak := s.status.read()

	j := &s.line
	j.begin()
	j.str("type", "sample")
	j.f64("t", seconds(now))
	j.str("event", event)
	j.str("phase", phase)
	j.u64("ops", ops)
	s.appendMemStats(j)
	s.appendMetrics(j)
	j.f64("rusage_cpu_s", seconds(cpu))
	j.u64("rss_bytes", rss)
	j.u64("peak_rss_bytes", peak)
}

func (s *sampler) appendMemStats(j *jsonLine) {
	m := &s.mem
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

func (s *sampler) appendMetrics(j *jsonLine) {
	j.object("metrics")
	for _, m := range s.samples {
		switch m.Value.Kind() {
		case metrics.KindUint64:
			j.u64(m.Name, m.Value.Uint64())
		case metrics.KindFloat64:
			j.f64(m.Name, m.Value.Float64())
		}
	}
	j.end()
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

func (p *procStatus) close() {
	if p.f != nil {
		_ = p.f.Close()
		p.f = nil
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
