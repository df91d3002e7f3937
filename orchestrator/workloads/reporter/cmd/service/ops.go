package main

import (
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// scratchSize is the per-operation scratch buffer, the kind of buffer a
// handler uses to encode a response. With -pool it is recycled through
// sync.Pool; otherwise every operation allocates a fresh one.
const scratchSize = 4096

type scratch struct{ buf [scratchSize]byte }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// worker runs operations. Everything except ops is owned by the worker's
// goroutine; the histogram is read only after the goroutine has exited.
type worker struct {
	ops atomic.Uint64 // measured operations completed, read by the sampler

	cfg  *config
	heap *liveHeap
	rng  *rand.Rand
	tmp  [][]byte // the current operation's short-lived objects
	sink uint64
	hist histogram
}

func newWorker(c *config, h *liveHeap, i int) *worker {
	return &worker{
		cfg:  c,
		heap: h,
		rng:  rand.New(rand.NewSource(c.seed + int64(i))),
		tmp:  make([][]byte, c.allocsPerOp),
	}
}

// op is one request: allocate short-lived objects (all live until the
// operation ends), build a key, read a record of the live heap, use a
// scratch buffer, and fold everything into a checksum so the compiler
// cannot drop any of the work.
func (w *worker) op() {
	var sum uint64
	for i := range w.tmp {
		b := make([]byte, w.cfg.mix.draw(w.rng.Float64()))
		touch(b, byte(i))
		w.tmp[i] = b
	}
	id := w.heap.pick(w.rng)
	key := w.key(id)
	if e := w.heap.lookup(id, key); e != nil {
		sum += e.digest(w.rng.Uint64())
	}
	sum += w.useScratch(key)
	for i, b := range w.tmp {
		sum += uint64(b[len(b)-1])
		w.tmp[i] = nil // let the objects die with the operation
	}
	w.sink += sum
}

// touch writes one byte per cache line, as code filling a buffer would.
func touch(b []byte, v byte) {
	for i := 0; i < len(b); i += 64 {
		b[i] = v
	}
	b[len(b)-1] = v
}

// key builds the record key the way the -strings flag asks. The concat
// form appends segment by segment, as code written with + usually does,
// and every intermediate string is an allocation of its own; the builder
// writes all segments into a single allocation. Both yield entryKey(id).
func (w *worker) key(id int64) string {
	if w.cfg.concat {
		k := keyPrefix + strconv.FormatInt(id%numShards, 10)
		k += "/"
		k += strconv.FormatInt(id, 10)
		return k
	}
	var digits [20]byte
	var b strings.Builder
	b.Grow(len(keyPrefix) + 3 + len(digits))
	b.WriteString(keyPrefix)
	b.Write(strconv.AppendInt(digits[:0], id%numShards, 10))
	b.WriteByte('/')
	b.Write(strconv.AppendInt(digits[:0], id, 10))
	return b.String()
}

// useScratch fills a scratch buffer with the key repeated (a stand-in for
// encoding a response) and hashes it.
func (w *worker) useScratch(key string) uint64 {
	s := w.getScratch()
	n := 0
	for n+len(key) <= len(s.buf)/4 {
		n += copy(s.buf[n:], key)
	}
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range s.buf[:n] {
		h = (h ^ uint64(c)) * 1099511628211
	}
	w.putScratch(s)
	return h
}

func (w *worker) getScratch() *scratch {
	if w.cfg.pool {
		return scratchPool.Get().(*scratch)
	}
	return newScratch()
}

func (w *worker) putScratch(s *scratch) {
	if w.cfg.pool {
		scratchPool.Put(s)
	}
}

// newScratch is kept out of line so the buffer is heap-allocated, as it
// would be in a real handler, rather than placed on the stack.
//
//go:noinline
func newScratch() *scratch { return new(scratch) }

// runClosed does operations back to back. An operation is measured if the
// window was open when it started; its latency is its duration.
func (w *worker) runClosed(win *window) {
	for {
		ph := win.phase.Load()
		if ph == phaseDone {
			return
		}
		start := time.Now()
		w.op()
		if ph == phaseMeasure {
			w.hist.record(time.Since(start))
			w.ops.Add(1)
		}
	}
}

// runOpen does the operations the dispatcher hands out until the queue is
// closed. Latency runs from the intended start, so time spent waiting in
// the queue counts (no coordinated omission).
func (w *worker) runOpen(q <-chan ticket) {
	for t := range q {
		w.op()
		if t.measured {
			w.hist.record(time.Duration(sinceStart() - t.intended))
			w.ops.Add(1)
		}
	}
}

// ticket is one scheduled operation of the open loop.
type ticket struct {
	intended int64 // ns since process start
	measured bool  // intended start lies inside the measurement window
}

// dispatcher issues tickets at the target rate. Intended start times
// follow a fixed schedule whatever happens, and latency is measured from
// them, so queueing delay shows up in latency instead of lowering the rate.
// The queue is bounded like a server's accept queue: a ticket that finds
// it full is shed and, if it was in the window, counted as dropped.
type dispatcher struct {
	period  float64 // ns between intended starts
	q       chan ticket
	dropped int64 // measured tickets shed or never issued before the window closed
}

func newDispatcher(rate float64, workers int) *dispatcher {
	// Room for ~100ms of arrivals: enough to ride out a GC pause at any
	// sensible rate, small enough to bound queueing delay and the drain
	// at the end of the window.
	capacity := int(rate / 10)
	if capacity < 4*workers {
		capacity = 4 * workers
	}
	if capacity > 1<<16 {
		capacity = 1 << 16
	}
	return &dispatcher{period: 1e9 / rate, q: make(chan ticket, capacity)}
}

func (d *dispatcher) run(win *window, stop <-chan struct{}) {
	defer close(d.q)
	timer := time.NewTimer(time.Hour)
	timer.Stop() // armed only while waiting for the next intended start
	base := sinceStart()
	for i := int64(0); ; i++ {
		due := base + int64(float64(i)*d.period)
		if !d.waitUntil(due, timer, stop) {
			d.countDropped(win, base, i)
			return
		}
		t := ticket{intended: due, measured: win.contains(due)}
		select {
		case d.q <- t:
		default:
			if t.measured {
				d.dropped++
			}
		}
	}
}

// waitUntil sleeps until due (ns since process start). It returns false if
// stop is closed first. When behind schedule it does not sleep, but still
// notices stop.
func (d *dispatcher) waitUntil(due int64, timer *time.Timer, stop <-chan struct{}) bool {
	wait := due - sinceStart()
	if wait <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	timer.Reset(time.Duration(wait))
	select {
	case <-timer.C:
		return true
	case <-stop:
		timer.Stop()
		return false
	}
}

// countDropped counts the tickets from index i on whose intended start
// lies inside the (now closed) window.
func (d *dispatcher) countDropped(win *window, base, i int64) {
	for ; ; i++ {
		due := base + int64(float64(i)*d.period)
		if due >= win.end.Load() {
			return
		}
		if win.contains(due) {
			d.dropped++
		}
	}
}

// load runs the workers (and, in open loop, the dispatcher).
type load struct {
	workers []*worker
	disp    *dispatcher // nil in closed loop
	stop    chan struct{}
	wg      sync.WaitGroup
}

func newLoad(c *config, h *liveHeap) *load {
	l := &load{stop: make(chan struct{})}
	for i := 0; i < c.workers; i++ {
		l.workers = append(l.workers, newWorker(c, h, i))
	}
	if c.rate > 0 {
		l.disp = newDispatcher(c.rate, c.workers)
	}
	return l
}

func (l *load) start(win *window) {
	for _, w := range l.workers {
		l.wg.Add(1)
		go func(w *worker) {
			defer l.wg.Done()
			if l.disp != nil {
				w.runOpen(l.disp.q)
			} else {
				w.runClosed(win)
			}
		}(w)
	}
	if l.disp != nil {
		go l.disp.run(win, l.stop)
	}
}

// finish stops issuing work and waits for operations in flight (and, in
// open loop, those already queued) to complete. The window must already
// be closed.
func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// opsDone returns the measured operations completed so far.
func (l *load) opsDone() uint64 {
	var n uint64
	for _, w := range l.workers {
		n += w.ops.Load()
	}
	return n
}

// dropped is valid after finish.
func (l *load) dropped() int64 {
	if l.disp == nil {
		return 0
	}
	return l.disp.dropped
}

// results merges the workers' histograms and checksums; valid after finish.
func (l *load) results() (*histogram, uint64) {
	h := &histogram{}
	var sink uint64
	for _, w := range l.workers {
		h.merge(&w.hist)
		sink += w.sink
	}
	return h, sink
}
