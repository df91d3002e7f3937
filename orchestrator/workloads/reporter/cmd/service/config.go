package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"gctune.dev/reporter/internal/sample"
)

// config is the parsed and validated command line. The string-valued
// choices are kept as given (for the "start" line) and also decoded into
// booleans so the hot paths do not compare strings.
type config struct {
	liveHeap       int64
	pointers       string
	churn          float64
	workers        int
	allocSizes     string
	allocsPerOp    int
	mapKeys        string
	pool           bool
	strings        string
	rate           float64
	warmup         time.Duration
	duration       time.Duration
	sampleInterval time.Duration
	seed           int64

	dense   bool    // -pointers dense
	intKeys bool    // -map-keys int
	concat  bool    // -strings concat
	mix     sizeMix // parsed -alloc-sizes
}

// Limits that keep a typo from turning into an absurd run.
const (
	maxLiveHeap    = 1 << 40
	maxWorkers     = 4096
	maxAllocSize   = 1 << 30
	maxAllocsPerOp = 1 << 20
	maxMixEntries  = 64
	minInterval    = time.Millisecond
)

// errUsage wraps every invalid-value error so main can exit with status 2.
var errUsage = errors.New("invalid usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

func newFlagSet(c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	fs.Int64Var(&c.liveHeap, "live-heap", 64<<20, "long-lived live heap size in bytes")
	fs.StringVar(&c.pointers, "pointers", "dense", "live heap shape: dense (pointer-rich) or free (pointer-free blocks)")
	fs.Float64Var(&c.churn, "churn", 0.1, "fraction of the live heap replaced per second")
	fs.IntVar(&c.workers, "workers", 2, "worker goroutines doing operations")
	fs.StringVar(&c.allocSizes, "alloc-sizes", "64:60,512:30,4096:9,32768:1", `short-lived allocation size mix, "size:weight,..." in bytes`)
	fs.IntVar(&c.allocsPerOp, "allocs-per-op", 16, "short-lived allocations per operation")
	fs.StringVar(&c.mapKeys, "map-keys", "string", "key type of the live-heap maps: string or int")
	fs.BoolVar(&c.pool, "pool", false, "reuse per-op scratch buffers through sync.Pool")
	fs.StringVar(&c.strings, "strings", "builder", "build per-op strings with concat (+) or builder (strings.Builder)")
	fs.Float64Var(&c.rate, "rate", 0, "target ops/s (open loop); 0 = closed loop")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "warm-up length, counted from process start")
	fs.DurationVar(&c.duration, "duration", 8*time.Second, "measurement window length")
	fs.DurationVar(&c.sampleInterval, "sample-interval", 250*time.Millisecond, "interval between samples")
	fs.Int64Var(&c.seed, "seed", 1, "random seed")
	return fs
}

// parseConfig parses args. It returns flag.ErrHelp for -h/-help and an
// error wrapping errUsage (or a flag package error) for anything invalid.
func parseConfig(args []string) (*config, error) {
	c := &config{}
	fs := newFlagSet(c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageErr("unexpected argument %q", fs.Arg(0))
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// printUsage writes the flag list to w (used for -h only).
func printUsage(w io.Writer) {
	fs := newFlagSet(&config{})
	fs.SetOutput(w)
	fmt.Fprintln(w, "usage: service [flags]")
	fs.PrintDefaults()
}

func (c *config) validate() error {
	var err error
	switch {
	case c.liveHeap < 0 || c.liveHeap > maxLiveHeap:
		return usageErr("-live-heap %d out of range [0, %d]", c.liveHeap, int64(maxLiveHeap))
	case !finite(c.churn) || c.churn < 0:
		return usageErr("-churn %v must be a finite number >= 0", c.churn)
	case c.workers < 1 || c.workers > maxWorkers:
		return usageErr("-workers %d out of range [1, %d]", c.workers, maxWorkers)
	case c.allocsPerOp < 0 || c.allocsPerOp > maxAllocsPerOp:
		return usageErr("-allocs-per-op %d out of range [0, %d]", c.allocsPerOp, maxAllocsPerOp)
	case !finite(c.rate) || c.rate < 0:
		return usageErr("-rate %v must be a finite number >= 0", c.rate)
	case c.warmup < 0:
		return usageErr("-warmup %v must be >= 0", c.warmup)
	case c.duration <= 0:
		return usageErr("-duration %v must be > 0", c.duration)
	case c.sampleInterval < minInterval:
		return usageErr("-sample-interval %v must be >= %v", c.sampleInterval, minInterval)
	}
	if c.dense, err = choice("pointers", c.pointers, "dense", "free"); err != nil {
		return err
	}
	if c.intKeys, err = choice("map-keys", c.mapKeys, "int", "string"); err != nil {
		return err
	}
	if c.concat, err = choice("strings", c.strings, "concat", "builder"); err != nil {
		return err
	}
	if c.mix, err = parseSizeMix(c.allocSizes); err != nil {
		return err
	}
	c.allocSizes = c.mix.String()
	return nil
}

// choice checks that v is one of two allowed values and reports whether it
// is the first one.
func choice(name, v, first, second string) (bool, error) {
	if v != first && v != second {
		return false, usageErr("-%s %q: want %s or %s", name, v, first, second)
	}
	return v == first, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// sizeMix is a weighted choice of allocation sizes.
type sizeMix struct {
	sizes   []int
	weights []float64
	cum     []float64 // running sum of weights, for drawing
}

// parseSizeMix parses "size:weight,size:weight,...".
func parseSizeMix(s string) (sizeMix, error) {
	var m sizeMix
	parts := strings.Split(s, ",")
	if len(parts) > maxMixEntries {
		return m, usageErr("-alloc-sizes: more than %d entries", maxMixEntries)
	}
	total := 0.0
	for _, p := range parts {
		sz, wt, ok := strings.Cut(strings.TrimSpace(p), ":")
		size, err1 := strconv.Atoi(sz)
		weight, err2 := strconv.ParseFloat(wt, 64)
		if !ok || err1 != nil || err2 != nil || size < 1 || size > maxAllocSize || !finite(weight) || weight < 0 {
			return m, usageErr("-alloc-sizes entry %q: want size:weight with 1 <= size <= %d and weight >= 0", p, maxAllocSize)
		}
		total += weight
		m.sizes = append(m.sizes, size)
		m.weights = append(m.weights, weight)
		m.cum = append(m.cum, total)
	}
	if total <= 0 || !finite(total) {
		return m, usageErr("-alloc-sizes %q: weights must add up to a positive number", s)
	}
	return m, nil
}

// draw picks a size with probability proportional to its weight.
// Zero-weight sizes are never picked because x < cum is strict.
func (m *sizeMix) draw(x float64) int {
	x *= m.cum[len(m.cum)-1]
	for i, c := range m.cum {
		if x < c {
			return m.sizes[i]
		}
	}
	return m.sizes[len(m.sizes)-1]
}

// String renders the mix in the flag's syntax, normalised.
func (m *sizeMix) String() string {
	var b strings.Builder
	for i, size := range m.sizes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(size))
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(m.weights[i], 'f', -1, 64))
	}
	return b.String()
}

// appendJSON writes the configuration as a JSON object whose keys are the
// flag names, so a run can be reproduced from its "start" line.
func (c *config) appendJSON(j *sample.Line) {
	j.Object("config")
	j.I64("live-heap", c.liveHeap)
	j.Str("pointers", c.pointers)
	j.F64("churn", c.churn)
	j.I64("workers", int64(c.workers))
	j.Str("alloc-sizes", c.allocSizes)
	j.I64("allocs-per-op", int64(c.allocsPerOp))
	j.Str("map-keys", c.mapKeys)
	j.Bool("pool", c.pool)
	j.Str("strings", c.strings)
	j.F64("rate", c.rate)
	j.Str("warmup", c.warmup.String())
	j.Str("duration", c.duration.String())
	j.Str("sample-interval", c.sampleInterval.String())
	j.I64("seed", c.seed)
	j.End()
}
