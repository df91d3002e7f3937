package reporter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clearEnv unsets the GCTUNE_* variables for one test (empty = unset).
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{EnvSampleInterval, EnvWarmup, EnvReportFD, EnvProfileDir} {
		t.Setenv(name, "")
	}
}

// lineWriter records each Write and fails the test unless every Write is
// exactly one whole JSON line.
type lineWriter struct {
	t     *testing.T
	mu    sync.Mutex
	lines []map[string]any
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) == 0 || p[len(p)-1] != '\n' || bytes.IndexByte(p, '\n') != len(p)-1 {
		w.t.Errorf("write is not one whole line: %q", p)
	}
	var v map[string]any
	if err := json.Unmarshal(p, &v); err != nil {
		w.t.Errorf("line is not a JSON object: %v: %q", err, p)
	}
	w.lines = append(w.lines, v)
	return len(p), nil
}

func (w *lineWriter) ofType(typ string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, l := range w.lines {
		if l["type"] == typ {
			out = append(out, l)
		}
	}
	return out
}

func (w *lineWriter) events(name string) []map[string]any {
	var out []map[string]any
	for _, s := range w.ofType("sample") {
		if s["event"] == name {
			out = append(out, s)
		}
	}
	return out
}

func TestSampleDoesNotAllocate(t *testing.T) {
	clearEnv(t)
	r := Start(WithOutput(io.Discard), WithInterval(time.Hour), withStderr(io.Discard))
	defer r.Stop()
	r.sample() // first use may size buffers
	if n := testing.AllocsPerRun(50, r.sample); n != 0 {
		t.Errorf("sample allocates %v times", n)
	}
	if n := testing.AllocsPerRun(50, func() { r.AddOps(3) }); n != 0 {
		t.Errorf("AddOps allocates %v times", n)
	}
}

func TestProtocol(t *testing.T) {
	clearEnv(t)
	w := &lineWriter{t: t}
	r := Start(WithOutput(w), WithInterval(5*time.Millisecond), ManualWindow())
	r.AddOps(5) // before the window: in the samples' totals, not in the summary
	time.Sleep(20 * time.Millisecond)
	r.WindowStart()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ { // counted from several goroutines while samples are taken
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				r.AddOps(1)
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	time.Sleep(30 * time.Millisecond)
	r.WindowEnd()
	r.AddOps(11) // after the window
	time.Sleep(20 * time.Millisecond)
	r.Stop()
	r.Stop() // idempotent
	r.WindowStart()
	r.WindowEnd()

	if first := w.lines[0]; first["type"] != "start" || first["go_version"] == "" ||
		first["config"].(map[string]any)["reporter"] != true {
		t.Errorf("first line = %v", first)
	}
	if last := w.lines[len(w.lines)-1]; last["type"] != "summary" {
		t.Errorf("last line = %v", last)
	}
	starts, ends := w.events(evWindowStart), w.events(evWindowEnd)
	if len(starts) != 1 || len(ends) != 1 {
		t.Fatalf("%d window_start and %d window_end samples", len(starts), len(ends))
	}
	samples := w.ofType("sample")
	if len(samples) < 5 {
		t.Errorf("only %d samples in at least 70ms at 5ms", len(samples))
	}
	prev := -1.0
	phases := map[string]string{}
	for _, s := range samples {
		tm := s["t"].(float64)
		if tm <= prev {
			t.Errorf("t went from %v to %v", prev, tm)
		}
		prev = tm
		phases[s["event"].(string)+"/"+s["phase"].(string)] = ""
		for _, k := range []string{"Sys", "HeapAlloc", "HeapIdle", "HeapInuse", "HeapObjects", "HeapReleased",
			"NumGC", "PauseTotalNs", "GCCPUFraction"} {
			if _, ok := s["memstats"].(map[string]any)[k]; !ok {
				t.Errorf("memstats has no %s", k)
			}
		}
		m := s["metrics"].(map[string]any)
		for _, k := range []string{"/cpu/classes/total:cpu-seconds", "/cpu/classes/idle:cpu-seconds",
			"/cpu/classes/gc/total:cpu-seconds", "/sched/gomaxprocs:threads", "/gc/heap/live:bytes"} {
			if _, ok := m[k]; !ok {
				t.Errorf("metrics has no %s", k)
			}
		}
		if len(m) != r.s.NumMetrics() {
			t.Errorf("%d metrics, want %d", len(m), r.s.NumMetrics())
		}
		for _, k := range []string{"rusage_cpu_s", "rss_bytes", "peak_rss_bytes", "ops"} {
			if _, ok := s[k]; !ok {
				t.Errorf("sample has no %s", k)
			}
		}
	}
	for _, want := range []string{"tick/warmup", "window_start/measure", "tick/measure", "window_end/done", "tick/done"} {
		if _, ok := phases[want]; !ok {
			t.Errorf("no %s sample among %v", want, phases)
		}
	}
	sum := w.ofType("summary")[0]
	ops := ends[0]["ops"].(float64) - starts[0]["ops"].(float64)
	if sum["ops"].(float64) != 400 || ops != 400 || starts[0]["ops"].(float64) != 5 {
		t.Errorf("summary ops %v, window ops %v, want 400 (5 before)", sum["ops"], ops)
	}
	secs := ends[0]["t"].(float64) - starts[0]["t"].(float64)
	if d := sum["seconds"].(float64) - secs; d < -1e-6 || d > 1e-6 || secs < 0.03 {
		t.Errorf("summary seconds %v, window %v", sum["seconds"], secs)
	}
	if sum["windowed"] != true {
		t.Errorf("summary = %v", sum)
	}
}

// sinceStartArg is a warm-up ending d from now, as a GCTUNE_WARMUP value.
func sinceStartArg(d time.Duration) string {
	return (time.Duration(sinceStart()) + d).String()
}

func TestWarmupOpensWindowAndStopClosesIt(t *testing.T) {
	clearEnv(t)
	warmup := time.Duration(sinceStart()) + 50*time.Millisecond
	t.Setenv(EnvWarmup, warmup.String())
	w := &lineWriter{t: t}
	r := Start(WithOutput(w), WithInterval(10*time.Millisecond), WithWarmup(time.Hour)) // the variable wins
	for deadline := time.Now().Add(10 * time.Second); len(w.events(evWindowStart)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the window did not open after the warm-up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	r.Stop()
	starts, ends := w.events(evWindowStart), w.events(evWindowEnd)
	if len(starts) != 1 || len(ends) != 1 {
		t.Fatalf("%d window_start and %d window_end samples", len(starts), len(ends))
	}
	if start := starts[0]["t"].(float64); start < warmup.Seconds() {
		t.Errorf("window opened at %v s, before the warm-up ended at %v", start, warmup.Seconds())
	}
	samples := w.ofType("sample")
	if last := samples[len(samples)-1]; last["event"] != evWindowEnd {
		t.Errorf("last sample is %v", last["event"])
	}
	for _, s := range samples {
		if s["t"].(float64) < starts[0]["t"].(float64) && s["phase"] != "warmup" {
			t.Errorf("sample before the window in phase %v", s["phase"])
		}
	}
	if sum := w.ofType("summary")[0]; sum["seconds"].(float64) < 0.03 {
		t.Errorf("window of %v s", sum["seconds"])
	}
}

func TestWarmupAlreadyOverOpensAtStart(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvWarmup, "0s")
	w := &lineWriter{t: t}
	r := Start(WithOutput(w), WithInterval(time.Hour))
	if n := len(w.events(evWindowStart)); n != 1 {
		t.Errorf("%d window_start samples at Start", n)
	}
	r.Stop()
}

func TestWindowOpensAtStartByDefault(t *testing.T) {
	clearEnv(t)
	w := &lineWriter{t: t}
	var stderr bytes.Buffer
	r := Start(WithOutput(w), WithInterval(time.Hour), withStderr(&stderr))
	r.AddOps(2)
	r.Stop()
	var events []string
	for _, s := range w.ofType("sample") {
		events = append(events, s["event"].(string))
	}
	if strings.Join(events, " ") != "tick window_start window_end" {
		t.Errorf("events %v", events)
	}
	if sum := w.ofType("summary")[0]; sum["ops"] != 2.0 || sum["windowed"] != true {
		t.Errorf("summary = %v", sum)
	}
	if cfg := w.ofType("start")[0]["config"].(map[string]any); cfg["warmup"] != "0s" {
		t.Errorf("config = %v", cfg)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestManualWindowIgnoresWarmup(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvWarmup, "0s")
	w := &lineWriter{t: t}
	var stderr bytes.Buffer
	r := Start(WithOutput(w), WithInterval(time.Hour), ManualWindow(), withStderr(&stderr))
	if n := len(w.events(evWindowStart)); n != 0 {
		t.Errorf("window opened despite ManualWindow")
	}
	r.Stop()
	if sum := w.ofType("summary")[0]; sum["windowed"] != false {
		t.Errorf("summary = %v", sum)
	}
	if !strings.Contains(stderr.String(), "no measurement window") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestWindowStartAfterAutomaticOpenWarns(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvWarmup, "1ms")
	w := &lineWriter{t: t}
	var stderr bytes.Buffer
	r := Start(WithOutput(w), WithInterval(time.Hour), withStderr(&stderr))
	r.WindowStart()
	r.WindowStart()
	r.Stop()
	if n := len(w.events(evWindowStart)); n != 1 {
		t.Errorf("%d window_start samples", n)
	}
	if n := strings.Count(stderr.String(), "ManualWindow"); n != 1 {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestBadEnvironmentIsReported(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvSampleInterval, "10us")
	t.Setenv(EnvWarmup, "soon")
	t.Setenv(EnvReportFD, "987")
	s := settings{interval: 7 * time.Millisecond, warmup: -1}
	var stderr bytes.Buffer
	s.stderr = &stderr
	s.applyEnv(os.Getenv)
	if s.interval != 7*time.Millisecond || s.warmup != -1 || s.out != os.Stdout {
		t.Errorf("settings after bad variables: %+v", s)
	}
	for _, want := range []string{EnvSampleInterval, EnvWarmup, "file descriptor 987 is not open"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr has no %q: %s", want, stderr.String())
		}
	}
}

func TestReportFD(t *testing.T) {
	clearEnv(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	t.Setenv(EnvReportFD, strconv.Itoa(int(pw.Fd())))
	t.Setenv(EnvSampleInterval, "1h")
	var buf bytes.Buffer
	r := Start(WithOutput(&buf), withStderr(io.Discard))
	r.Stop()
	pw.Close()
	got, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	// start, tick, window_start (at Start: no warm-up), window_end, summary
	if buf.Len() != 0 || !bytes.HasPrefix(got, []byte(`{"type":"start"`)) ||
		!bytes.Contains(got, []byte(`"sample-interval":"1h0m0s"`)) || bytes.Count(got, []byte("\n")) != 5 {
		t.Errorf("option writer got %q; fd got %q", buf.String(), got)
	}
}

func TestProfiles(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "profiles")
	t.Setenv(EnvProfileDir, dir)
	r := Start(WithOutput(io.Discard), withStderr(io.Discard))
	var keep [][]byte
	for i := 0; i < 1000; i++ {
		keep = append(keep, make([]byte, 1024))
	}
	r.Stop()
	_ = keep
	for _, name := range []string{CPUProfileFile, HeapProfileFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %v, starts %q", name, err, b[:min(len(b), 2)])
		}
	}
}

func TestProfileErrorReportedOnce(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvProfileDir, filepath.Join(file, "sub")) // a directory under a file: cannot exist
	var stderr bytes.Buffer
	r := Start(WithOutput(io.Discard), withStderr(&stderr), ManualWindow())
	r.WindowStart()
	r.Stop()
	if n := strings.Count(stderr.String(), "\n"); n != 1 || !strings.Contains(stderr.String(), "profile") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestNilReporter(t *testing.T) {
	var r *Reporter
	r.WindowStart()
	r.AddOps(1)
	r.WindowEnd()
	r.Stop()
}

func ExampleStart() {
	r := Start(WithOutput(io.Discard), ManualWindow())
	defer r.Stop()
	r.WindowStart()
	for i := 0; i < 3; i++ {
		r.AddOps(1)
	}
	r.WindowEnd()
	fmt.Println("done")
	// Output: done
}
