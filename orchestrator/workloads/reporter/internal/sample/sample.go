// Package sample takes the runtime statistics of a "sample" line, the
// JSON-lines record that gctune reads from the built-in workload and from
// programs that use the reporter package, and writes such lines without
// allocating.
package sample

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
)

// MetricNames are the runtime/metrics read at every sample. Names the
// running Go version does not know are left out.
var MetricNames = []string{
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
	// All memory the runtime has mapped read-write, and the part of the heap it
	// has returned to the OS: their difference is what the runtime holds. Both
	// exist since Go 1.16, so in every release gctune builds (1.21+).
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
}

// Sampler holds everything a sample reads, allocated once by Init, so
// taking a sample adds no garbage to the heap being measured. It is not
// safe for concurrent use.
type Sampler struct {
	mem     runtime.MemStats
	samples []metrics.Sample
	usage   rusage
	status  procStatus
}

// Init prepares s: it picks the MetricNames this Go version knows and
// opens /proc/self/status.
func (s *Sampler) Init() {
	known := make(map[string]bool)
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	for _, name := range MetricNames {
		if known[name] {
			s.samples = append(s.samples, metrics.Sample{Name: name})
		}
	}
	s.status.open()
}

// Close releases what Init opened.
func (s *Sampler) Close() { s.status.close() }

// NumMetrics returns how many runtime/metrics a sample holds.
func (s *Sampler) NumMetrics() int { return len(s.samples) }

// AppendSample builds one "sample" line in j, taken at now (nanoseconds
// since the process started), with the given event, phase and operation
// count. It reads the runtime's statistics at the call. The caller writes
// the line out.
func (s *Sampler) AppendSample(j *Line, now int64, event, phase string, ops uint64) {
	runtime.ReadMemStats(&s.mem)
	metrics.Read(s.samples)
	cpu := s.usage.cpuNs()
	rss, peak := s.status.read()

	j.Begin()
	j.Str("type", "sample")
	j.F64("t", seconds(now))
	j.Str("event", event)
	j.Str("phase", phase)
	j.U64("ops", ops)
	s.appendMemStats(j)
	s.appendMetrics(j)
	j.F64("rusage_cpu_s", seconds(cpu))
	j.U64("rss_bytes", rss)
	j.U64("peak_rss_bytes", peak)
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

func (s *Sampler) appendMemStats(j *Line) {
	m := &s.mem
	j.Object("memstats")
	j.U64("Sys", m.Sys)
	j.U64("HeapAlloc", m.HeapAlloc)
	j.U64("HeapIdle", m.HeapIdle)
	j.U64("HeapInuse", m.HeapInuse)
	j.U64("HeapObjects", m.HeapObjects)
	j.U64("HeapReleased", m.HeapReleased)
	j.U64("NumGC", uint64(m.NumGC))
	j.U64("PauseTotalNs", m.PauseTotalNs)
	j.F64("GCCPUFraction", m.GCCPUFraction)
	j.End()
}

func (s *Sampler) appendMetrics(j *Line) {
	j.Object("metrics")
	for _, m := range s.samples {
		switch m.Value.Kind() {
		case metrics.KindUint64:
			j.U64(m.Name, m.Value.Uint64())
		case metrics.KindFloat64:
			j.F64(m.Name, m.Value.Float64())
		}
	}
	j.End()
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
