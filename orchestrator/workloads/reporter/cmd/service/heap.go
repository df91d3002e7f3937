package main

import (
	"encoding/binary"
	"math/rand"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The live heap models a service's long-lived state: a cache of records
// in sharded, mutex-protected maps. Records have consecutive ids; the
// live ones are [lo, hi). Churn retires the oldest record and adds a new
// one, like a FIFO cache, so the live size stays constant while old
// memory becomes garbage.

const (
	numShards = 64
	keyPrefix = "entry:"

	// Dense records are a small graph of nodes; free records are one
	// pointer-free block (noscan: the GC never looks inside it).
	minNodes  = 4
	maxNodes  = 12
	blockSize = 32 << 10

	churnStep = 10 * time.Millisecond
	heapSalt  = 0x6763_7475_6e65 // separates the heap's random stream from the workers'
)

// node is 128 bytes (a size class of its own) and 7 of its 16 words are
// pointers, so dense heaps give the GC plenty to trace.
type node struct {
	next  *node
	owner *entry
	label string
	refs  [4]*node // random edges inside the record
	vals  [8]uint64
}

type entry struct {
	id    int64
	key   string
	head  *node  // dense records
	block []byte // free records
}

// Approximate bytes a record costs, including its map slot. Used only to
// decide how many records make up -live-heap bytes.
const (
	entryBytes    = 64 // unsafe.Sizeof(entry{}) rounded up to its size class
	keyBytes      = 16 // "entry:SS/NNNNNNN" fits its size class
	strSlotBytes  = 64 // map[string]*entry slot, with tables sized in powers of two
	intSlotBytes  = 48 // map[int64]*entry slot, likewise
	avgNodesBytes = (minNodes + maxNodes) / 2 * int64(unsafe.Sizeof(node{}))
)

// entryKey is the string key of record id. The shard number in it makes
// keys look namespaced, as real cache keys often are.
func entryKey(id int64) string {
	return keyPrefix + strconv.FormatInt(id%numShards, 10) + "/" + strconv.FormatInt(id, 10)
}

// shard pads its lock so that neighbouring shards' locks do not share a
// cache line.
type shard[K comparable] struct {
	mu sync.RWMutex
	m  map[K]*entry
	_  [64]byte
}

// index is a sharded map; the shard is chosen by record id so that string
// and int keys spread the same way.
type index[K comparable] struct {
	shards [numShards]shard[K]
}

func newIndex[K comparable](entries int64) *index[K] {
	ix := &index[K]{}
	perShard := int(entries/numShards + entries/numShards/8 + 1)
	for i := range ix.shards {
		ix.shards[i].m = make(map[K]*entry, perShard)
	}
	return ix
}

func (ix *index[K]) shard(id int64) *shard[K] { return &ix.shards[uint64(id)%numShards] }

func (ix *index[K]) get(id int64, k K) *entry {
	s := ix.shard(id)
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	return e
}

func (ix *index[K]) put(id int64, k K, e *entry) {
	s := ix.shard(id)
	s.mu.Lock()
	s.m[k] = e
	s.mu.Unlock()
}

func (ix *index[K]) del(id int64, k K) {
	s := ix.shard(id)
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

type liveHeap struct {
	dense     bool
	entries   int64 // records kept live
	blockLen  int
	churnRate float64 // records replaced per second

	lo, hi atomic.Int64 // live ids are [lo, hi)
	byStr  *index[string]
	byInt  *index[int64]

	// Used by one goroutine at a time: build, then the churn loop.
	rng   *rand.Rand
	nodes []*node
}

func newLiveHeap(c *config) *liveHeap {
	h := &liveHeap{
		dense: c.dense,
		rng:   rand.New(rand.NewSource(c.seed ^ heapSalt)),
		nodes: make([]*node, 0, maxNodes),
	}
	per := int64(entryBytes + keyBytes + strSlotBytes)
	if c.intKeys {
		per = entryBytes + keyBytes + intSlotBytes
	}
	if h.dense {
		per += avgNodesBytes
	} else {
		h.blockLen = blockSize
		if c.liveHeap < blockSize {
			h.blockLen = int(c.liveHeap)
		}
		per += int64(h.blockLen)
	}
	h.entries = c.liveHeap / per
	if h.entries == 0 && c.liveHeap > 0 {
		h.entries = 1
	}
	h.churnRate = c.churn * float64(h.entries)
	if c.intKeys {
		h.byInt = newIndex[int64](h.entries)
	} else {
		h.byStr = newIndex[string](h.entries)
	}
	return h
}

// build inserts the initial records.
func (h *liveHeap) build() {
	for id := int64(0); id < h.entries; id++ {
		h.insert(id)
	}
	h.hi.Store(h.entries)
}

func (h *liveHeap) insert(id int64) {
	e := h.newEntry(id)
	if h.byInt != nil {
		h.byInt.put(id, id, e)
	} else {
		h.byStr.put(id, e.key, e)
	}
}

func (h *liveHeap) remove(id int64) {
	if h.byInt != nil {
		h.byInt.del(id, id)
	} else {
		h.byStr.del(id, entryKey(id))
	}
}

// lookup finds a live record by id (int keys) or key (string keys).
func (h *liveHeap) lookup(id int64, key string) *entry {
	if h.byInt != nil {
		return h.byInt.get(id, id)
	}
	return h.byStr.get(id, key)
}

// pick returns a random live id (or a random small number if the heap is
// empty, so operations still have a key to build).
func (h *liveHeap) pick(r *rand.Rand) int64 {
	lo, hi := h.lo.Load(), h.hi.Load()
	if hi <= lo {
		return r.Int63n(1 << 20)
	}
	return lo + r.Int63n(hi-lo)
}

func (h *liveHeap) newEntry(id int64) *entry {
	e := &entry{id: id, key: entryKey(id)}
	if h.dense {
		e.head = h.newNodes(e)
	} else {
		e.block = h.newBlock()
	}
	return e
}

// newNodes builds a linked list of nodes with extra random edges.
func (h *liveHeap) newNodes(e *entry) *node {
	n := minNodes + h.rng.Intn(maxNodes-minNodes+1)
	var head *node
	for i := 0; i < n; i++ {
		nd := &node{next: head, owner: e, label: e.key}
		v := h.rng.Uint64()
		for j := range nd.vals {
			nd.vals[j] = v + uint64(j)
		}
		head = nd
		h.nodes = append(h.nodes, nd)
	}
	for _, nd := range h.nodes {
		for j := range nd.refs {
			nd.refs[j] = h.nodes[h.rng.Intn(len(h.nodes))]
		}
	}
	for i := range h.nodes {
		h.nodes[i] = nil // do not keep retired records reachable
	}
	h.nodes = h.nodes[:0]
	return head
}

// newBlock returns a block with every page written, so it is resident.
func (h *liveHeap) newBlock() []byte {
	b := make([]byte, h.blockLen)
	v := h.rng.Uint64()
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], v+uint64(i))
	}
	return b
}

// replaceOldest retires the oldest record and adds a new one. The new one
// is published before the old one goes so the live count never dips.
func (h *liveHeap) replaceOldest() {
	id := h.hi.Load()
	h.insert(id)
	h.hi.Store(id + 1)
	old := h.lo.Load()
	h.lo.Store(old + 1)
	h.remove(old)
}

// churn replaces records at churnRate until stop is closed. The number
// due is derived from elapsed time, not tick count, so late ticks do not
// lower the rate.
func (h *liveHeap) churn(stop <-chan struct{}) {
	if h.churnRate <= 0 || h.entries == 0 {
		<-stop
		return
	}
	t := time.NewTicker(churnStep)
	defer t.Stop()
	start := time.Now()
	var done int64
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			due := int64(h.churnRate * now.Sub(start).Seconds())
			for ; done < due; done++ {
				h.replaceOldest()
			}
		}
	}
}

// digest reads part of the record: the whole node graph for dense
// records, 64 bytes at a random offset for free ones.
func (e *entry) digest(r uint64) uint64 {
	if e.head == nil {
		return digestBlock(e.block, r)
	}
	var s uint64
	for n := e.head; n != nil; n = n.next {
		s = s*31 + n.vals[r%8] + uint64(len(n.label))
		s ^= n.refs[r%4].vals[0]
	}
	return s
}

func digestBlock(b []byte, r uint64) uint64 {
	if len(b) < 8 {
		return uint64(len(b))
	}
	off := int(r % uint64(len(b)-7))
	end := off + 64
	if end > len(b) {
		end = len(b)
	}
	var s uint64
	for ; off+8 <= end; off += 8 {
		s = s*31 + binary.LittleEndian.Uint64(b[off:])
	}
	return s
}
