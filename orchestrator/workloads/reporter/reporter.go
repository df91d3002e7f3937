// Package reporter lets a Go program report its GC and heap statistics to
// gctune, in the JSON lines the built-in workload prints, so that gctune
// can compute windowed GC CPU, pause and heap metrics for the program.
//
// Typical use:
//
//	r := reporter.Start()
//	for work() {
//		r.AddOps(1)
//	}
//	r.Stop()
//
// Start writes a "start" line and then a "sample" line every interval;
// WindowStart and WindowEnd write the samples that bound the measurement
// window; Stop closes the window if it is still open and writes a
// "summary" line.
//
// Unless told otherwise, the reporter opens the window by itself: at Start,
// or once the warm-up given by GCTUNE_WARMUP (or WithWarmup) is over, and
// Stop closes it. A program that marks the window with WindowStart and
// WindowEnd should pass ManualWindow, so that the window does not open
// before its own WindowStart:
//
//	r := reporter.Start(reporter.ManualWindow())
//
// The environment, set by gctune for a trial, overrides the options,
// which are the program's defaults:
//
//	GCTUNE_SAMPLE_INTERVAL  time between samples (Go duration, >= 1ms; default 250ms)
//	GCTUNE_WARMUP           open the window this long after the program started (Go duration; default 0s)
//	GCTUNE_REPORT_FD        write the lines to this file descriptor instead of stdout
//	GCTUNE_PROFILE_DIR      write cpu.pprof (Start to Stop) and heap.pprof (at Stop) here
//
// Every line is written with a single Write while a mutex is held, so lines
// never interleave with each other, and with output the program writes to
// os.Stdout in whole lines (gctune skips lines that are not its records).
// Taking a sample does not allocate.
package reporter

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gctune.dev/reporter/internal/sample"
)

// Environment variables read by Start.
const (
	EnvSampleInterval = "GCTUNE_SAMPLE_INTERVAL"
	EnvWarmup         = "GCTUNE_WARMUP"
	EnvReportFD       = "GCTUNE_REPORT_FD"
	EnvProfileDir     = "GCTUNE_PROFILE_DIR"
)

// DefaultInterval is the time between samples unless set otherwise.
const DefaultInterval = 250 * time.Millisecond

// MinInterval is the shortest sample interval accepted.
const MinInterval = time.Millisecond

// Option changes a default of Start. The GCTUNE_* variables override them.
type Option func(*settings)

type settings struct {
	out      io.Writer
	interval time.Duration
	warmup   time.Duration // < 0: no automatic window (ManualWindow)
	manual   bool
	stderr   io.Writer // warnings; a field so tests can capture them
}

// WithInterval sets the time between samples (at least MinInterval).
// GCTUNE_SAMPLE_INTERVAL overrides it.
func WithInterval(d time.Duration) Option {
	return func(s *settings) { s.interval = d }
}

// WithOutput sends the lines to w instead of stdout. w receives one Write
// per line. GCTUNE_REPORT_FD overrides it.
func WithOutput(w io.Writer) Option {
	return func(s *settings) { s.out = w }
}

// WithWarmup sets when the window opens by itself: once d has passed since
// the program started (at Start if that is already past), unless the
// program calls WindowStart or WindowEnd first. The default is 0: the
// window opens at Start. GCTUNE_WARMUP overrides it.
func WithWarmup(d time.Duration) Option {
	return func(s *settings) { s.warmup = d }
}

// ManualWindow declares that the program marks the window itself with
// WindowStart and WindowEnd: the window does not open by itself, whatever
// GCTUNE_WARMUP says. Without it the window opens at Start or after the
// warm-up, and a WindowStart after that is a no-op (with a warning).
func ManualWindow() Option {
	return func(s *settings) { s.manual = true }
}

// withStderr sends the reporter's warnings to w instead of stderr (tests).
func withStderr(w io.Writer) Option {
	return func(s *settings) { s.stderr = w }
}

// Reporter samples the runtime's statistics until Stop. Its methods are
// safe for concurrent use, and do nothing on a nil *Reporter.
type Reporter struct {
	ops atomic.Uint64 // AddOps total since Start

	mu      sync.Mutex // serialises samples, lines and window changes
	out     io.Writer
	stderr  io.Writer
	line    sample.Line
	s       sample.Sampler
	phase   int  // phaseWarmup, phaseMeasure or phaseDone
	manual  bool // the program took charge of the window
	warned  bool // the WindowStart-after-auto-open warning was given
	stopped bool
	opened  bool // a window_start sample was written
	t0, t1  int64
	ops0    uint64
	ops1    uint64
	started int64

	interval time.Duration
	warmup   time.Duration
	stopLoop chan struct{}
	loopDone chan struct{}
	stopOnce sync.Once
	prof     profiler
}

// Start begins reporting: it writes the "start" line and a first sample,
// then samples every interval in a goroutine of its own until Stop. When
// GCTUNE_PROFILE_DIR is set it also starts a CPU profile. Start does not
// fail; bad settings are reported on stderr and replaced by defaults.
func Start(opts ...Option) *Reporter {
	cfg := settings{out: os.Stdout, interval: DefaultInterval, stderr: os.Stderr}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.applyEnv(os.Getenv)
	if cfg.out == nil {
		cfg.out = os.Stdout
	}
	if cfg.interval < MinInterval {
		cfg.warn("sample interval %v is below %v; using %v", cfg.interval, MinInterval, DefaultInterval)
		cfg.interval = DefaultInterval
	}
	if cfg.warmup < 0 {
		cfg.warn("warm-up %v is negative; using 0s", cfg.warmup)
		cfg.warmup = 0
	}
	if cfg.manual {
		cfg.warmup = -1
	}

	r := &Reporter{
		out: cfg.out, stderr: cfg.stderr, manual: cfg.manual,
		interval: cfg.interval, warmup: cfg.warmup,
		stopLoop: make(chan struct{}), loopDone: make(chan struct{}),
	}
	r.line.Grow(4096)
	r.s.Init()
	r.prof.stderr = cfg.stderr
	r.prof.start(os.Getenv(EnvProfileDir))

	r.mu.Lock()
	r.started = sinceStart()
	r.writeStart()
	r.sampleLocked(evTick)
	autoOpen := r.warmup >= 0
	if autoOpen && r.started >= int64(r.warmup) {
		r.openLocked()
		autoOpen = false
	}
	r.mu.Unlock()

	go r.loop(autoOpen)
	return r
}

// applyEnv lets the GCTUNE_* variables override the options. Unset or
// empty variables leave them alone; bad values are reported and ignored.
func (s *settings) applyEnv(getenv func(string) string) {
	if v := getenv(EnvSampleInterval); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < MinInterval {
			s.warn("%s=%q: want a duration of at least %v such as 250ms; ignored", EnvSampleInterval, v, MinInterval)
		} else {
			s.interval = d
		}
	}
	if v := getenv(EnvWarmup); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			s.warn("%s=%q: want a duration such as 2s; ignored", EnvWarmup, v)
		} else {
			s.warmup = d
		}
	}
	if v := getenv(EnvReportFD); v != "" {
		if w, err := fdWriter(v); err != nil {
			s.warn("%s=%q: %v; writing to stdout", EnvReportFD, v, err)
			s.out = os.Stdout
		} else {
			s.out = w
		}
	}
}

func (s *settings) warn(format string, args ...any) {
	fmt.Fprintf(s.stderr, "gctune reporter: "+format+"\n", args...)
}

var (
	fdMu    sync.Mutex
	fdFiles = map[int]*os.File{} // kept for the life of the process: a collected *os.File would close its fd
)

// fdWriter returns an *os.File for an inherited, open file descriptor.
func fdWriter(v string) (io.Writer, error) {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("not a file descriptor number")
	}
	switch fd {
	case 1:
		return os.Stdout, nil
	case 2:
		return os.Stderr, nil
	}
	fdMu.Lock()
	defer fdMu.Unlock()
	if f := fdFiles[fd]; f != nil {
		return f, nil
	}
	f := os.NewFile(uintptr(fd), "gctune-report")
	if f == nil {
		return nil, fmt.Errorf("not a file descriptor number")
	}
	if _, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("file descriptor %d is not open", fd)
	}
	fdFiles[fd] = f
	return f, nil
}

// writeStart writes the first line: what runs, and how it is sampled.
func (r *Reporter) writeStart() {
	j := &r.line
	j.Begin()
	j.Str("type", "start")
	j.F64("t", seconds(r.started))
	j.Str("go_version", runtime.Version())
	j.I64("gomaxprocs", int64(runtime.GOMAXPROCS(0)))
	j.I64("num_cpu", int64(runtime.NumCPU()))
	j.Object("config")
	j.Bool("reporter", true)
	j.Str("sample-interval", r.interval.String())
	if r.warmup >= 0 {
		j.Str("warmup", r.warmup.String())
	}
	j.End()
	r.emit()
}

// emit writes the finished line with a single Write. A failed write (a
// closed pipe) is not worth stopping the program for: the reader is gone.
func (r *Reporter) emit() {
	_, _ = r.out.Write(r.line.Finish())
}

// sampleLocked writes one sample and returns its time and ops count.
// r.mu must be held. The phase is the window's state after the event.
func (r *Reporter) sampleLocked(event string) (int64, uint64) {
	now := sinceStart()
	ops := r.ops.Load()
	phase := r.phase
	switch event {
	case evWindowStart:
		phase = phaseMeasure
	case evWindowEnd:
		phase = phaseDone
	}
	r.s.AppendSample(&r.line, now, event, phaseNames[phase], ops)
	r.emit()
	return now, ops
}

// sample takes a periodic sample; it does not allocate.
func (r *Reporter) sample() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped {
		r.sampleLocked(evTick)
	}
}

// loop samples every interval until Stop and, when autoOpen is set, opens
// the window once the warm-up is over.
func (r *Reporter) loop(autoOpen bool) {
	defer close(r.loopDone)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	var warm <-chan time.Time
	if autoOpen {
		timer := time.NewTimer(time.Duration(int64(r.warmup) - sinceStart()))
		defer timer.Stop()
		warm = timer.C
	}
	for {
		select {
		case <-r.stopLoop:
			return
		case <-tick.C:
			r.sample()
		case <-warm:
			warm = nil
			r.mu.Lock()
			if !r.manual {
				r.openLocked()
			}
			r.mu.Unlock()
		}
	}
}

// openLocked writes window_start and opens the window, if it has not
// been opened (or given up) yet. r.mu must be held.
func (r *Reporter) openLocked() {
	if r.phase != phaseWarmup || r.stopped {
		return
	}
	r.t0, r.ops0 = r.sampleLocked(evWindowStart)
	r.phase = phaseMeasure
	r.opened = true
}

// closeLocked writes window_end if the window is open. r.mu must be held.
func (r *Reporter) closeLocked() {
	if r.phase == phaseMeasure {
		r.t1, r.ops1 = r.sampleLocked(evWindowEnd)
	}
	r.phase = phaseDone
}

// WindowStart opens the measurement window: it writes the window_start
// sample, from which gctune measures. There is one window per run: a
// second call, or one after WindowEnd, does nothing. Calling it cancels
// the automatic window of GCTUNE_WARMUP if that has not opened yet.
func (r *Reporter) WindowStart() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.manual && r.phase == phaseMeasure && !r.warned {
		r.warned = true
		fmt.Fprintf(r.stderr, "gctune reporter: WindowStart: the window already opened by itself after a "+
			"warm-up of %v; pass reporter.ManualWindow() to Start to mark it yourself\n", r.warmup)
	}
	r.manual = true
	r.openLocked()
}

// WindowEnd closes the measurement window, writing the window_end sample.
// Called before the window opened, it gives up the window for this run.
func (r *Reporter) WindowEnd() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.manual = true
	r.closeLocked()
}

// AddOps counts n completed operations (n <= 0 is ignored). The summary's
// ops are those counted between window_start and window_end, and each
// sample's ops the total since Start. It does not allocate or lock.
func (r *Reporter) AddOps(n int) {
	if r == nil || n <= 0 {
		return
	}
	r.ops.Add(uint64(n))
}

// Stop ends reporting: it stops the sampling goroutine, writes window_end
// if the window is open (otherwise a last tick sample), stops the CPU
// profile and writes the heap profile if GCTUNE_PROFILE_DIR is set, and
// writes the "summary" line last. Later calls do nothing.
func (r *Reporter) Stop() {
	if r == nil {
		return
	}
	r.stopOnce.Do(r.stop)
}

func (r *Reporter) stop() {
	close(r.stopLoop)
	<-r.loopDone

	r.mu.Lock()
	if r.phase == phaseMeasure {
		r.closeLocked()
	} else {
		r.phase = phaseDone
		r.sampleLocked(evTick)
	}
	end := sinceStart()
	r.stopped = true
	r.mu.Unlock()

	r.prof.stop()

	r.mu.Lock()
	defer r.mu.Unlock()
	ops, ns := r.ops.Load(), end-r.started
	if r.opened {
		ops, ns = r.ops1-r.ops0, r.t1-r.t0
	} else {
		fmt.Fprintf(r.stderr, "gctune reporter: no measurement window was opened (with ManualWindow, "+
			"call WindowStart); the summary covers Start to Stop\n")
	}
	j := &r.line
	j.Begin()
	j.Str("type", "summary")
	j.U64("ops", ops)
	j.F64("seconds", seconds(ns))
	opsPerS := 0.0
	if ns > 0 {
		opsPerS = float64(ops) / seconds(ns)
	}
	j.F64("ops_per_s", opsPerS)
	j.Bool("windowed", r.opened)
	r.emit()
	r.s.Close()
}
