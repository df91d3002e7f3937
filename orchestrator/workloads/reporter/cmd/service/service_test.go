package main

import (
	"io"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"
)

func TestHistogramRelativeError(t *testing.T) {
	for v := uint64(1); v < 60e9; v = v*11/10 + 1 {
		mid := bucketMid(bucketOf(v))
		if rel := math.Abs(mid-float64(v)) / float64(v); rel > 0.005 {
			t.Fatalf("value %d: bucket midpoint %.0f is %.2f%% off", v, mid, rel*100)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 500e3}, {0.99, 990e3}, {1, 1000e3}} {
		if got := h.quantile(c.q); math.Abs(got-c.want)/c.want > 0.005 {
			t.Errorf("quantile(%v) = %.0f, want about %.0f", c.q, got, c.want)
		}
	}
	if h.quantile(1) > float64(h.max) {
		t.Errorf("quantile above max")
	}
}

func TestSizeMix(t *testing.T) {
	m, err := parseSizeMix("64:3,128:0,4096:1")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	counts := map[int]int{}
	for i := 0; i < 40000; i++ {
		counts[m.draw(r.Float64())]++
	}
	if counts[128] != 0 || counts[64] < 29000 || counts[64] > 31000 {
		t.Errorf("unexpected draw counts %v", counts)
	}
	for _, bad := range []string{"", "64", "0:1", "64:-1", "64:0", "x:1", "64:NaN"} {
		if _, err := parseSizeMix(bad); err == nil {
			t.Errorf("parseSizeMix(%q) accepted", bad)
		}
	}
}

func testConfig(t *testing.T, args ...string) *config {
	t.Helper()
	c, err := parseConfig(append([]string{"-live-heap", "1048576"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Sampling must not allocate, or it would perturb the heap it measures.
func TestSampleDoesNotAllocate(t *testing.T) {
	c := testConfig(t)
	l := newLoad(c, newLiveHeap(c))
	r := newReporter(io.Discard, l, newWindow())
	r.sample(evTick, "") // first use may size buffers
	if n := testing.AllocsPerRun(20, func() { r.sample(evTick, "") }); n != 0 {
		t.Errorf("sample allocates %v times", n)
	}
}

// An operation allocates exactly what the flags say it should.
func TestOpAllocations(t *testing.T) {
	for _, c := range []struct {
		args []string
		want float64
	}{
		{nil, 16 + 1 + 1},                            // objects, key, scratch
		{[]string{"-pool"}, 16 + 1},                  // scratch reused
		{[]string{"-strings", "concat"}, 16 + 3 + 1}, // one per segment
		{[]string{"-allocs-per-op", "0", "-pool"}, 1},
	} {
		cfg := testConfig(t, c.args...)
		h := newLiveHeap(cfg)
		h.build()
		w := newWorker(cfg, h, 0)
		for _, id := range []int64{0, 7, 123, 99999} {
			if got := w.key(id); got != entryKey(id) {
				t.Errorf("%v: key(%d) = %q, want %q", c.args, id, got, entryKey(id))
			}
		}
		w.op() // warm the pool
		if got := testing.AllocsPerRun(200, w.op); got != c.want {
			t.Errorf("%v: %v allocations per op, want %v", c.args, got, c.want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-pointers", "some"}, {"-map-keys", "float"}, {"-strings", "fmt"},
		{"-workers", "0"}, {"-churn", "-1"}, {"-rate", "Inf"}, {"-duration", "0s"},
		{"-live-heap", "64MiB"}, {"-sample-interval", "10us"}, {"extra"},
	} {
		if _, err := parseConfig(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// The records built for -live-heap N should occupy about N bytes.
func TestLiveHeapSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several 32 MiB heaps")
	}
	const target = 32 << 20
	for _, args := range [][]string{
		{"-pointers", "dense"}, {"-pointers", "dense", "-map-keys", "int"},
		{"-pointers", "free"}, {"-pointers", "free", "-map-keys", "int"},
	} {
		c := testConfig(t, append([]string{"-live-heap", "33554432"}, args...)...)
		before := heapAfterGC()
		h := newLiveHeap(c)
		h.build()
		got := float64(heapAfterGC() - before)
		t.Logf("%v: %d records, %.1f MiB live", args, h.entries, got/(1<<20))
		if got < 0.9*target || got > 1.1*target {
			t.Errorf("%v: live heap %.1f MiB, want %d MiB ± 10%%", args, got/(1<<20), target>>20)
		}
		runtime.KeepAlive(h)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Churn replaces about churn × records per second and keeps the live
// count constant.
func TestChurnRate(t *testing.T) {
	c := testConfig(t, "-live-heap", "4194304", "-churn", "2")
	h := newLiveHeap(c)
	h.build()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); h.churn(stop) }()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	replaced, want := float64(h.lo.Load()), 2*0.5*float64(h.entries)
	if replaced < 0.8*want || replaced > 1.1*want {
		t.Errorf("replaced %.0f records in 0.5s, want about %.0f", replaced, want)
	}
	if live := h.hi.Load() - h.lo.Load(); live != h.entries {
		t.Errorf("%d live records, want %d", live, h.entries)
	}
	n := 0
	for i := range h.byStr.shards {
		n += len(h.byStr.shards[i].m)
	}
	if int64(n) != h.entries {
		t.Errorf("%d records in the maps, want %d", n, h.entries)
	}
}
