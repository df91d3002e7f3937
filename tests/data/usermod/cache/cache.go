// Package cache is a tiny bounded map, used by gctune's tests as "the user's code".
package cache

// Cache keeps at most a fixed number of entries, evicting the oldest key it still tracks.
type Cache struct {
	max   int
	items map[int]*entry
	order []int
}

type entry struct {
	value []byte
	next  *entry
}

// New returns a cache of at most max entries.
func New(max int) *Cache {
	return &Cache{max: max, items: make(map[int]*entry, max)}
}

// Put stores value under key, evicting the oldest entry when the cache is full.
func (c *Cache) Put(key int, value []byte) {
	if _, ok := c.items[key]; !ok {
		c.order = append(c.order, key)
	}
	c.items[key] = &entry{value: value}
	for len(c.items) > c.max && len(c.order) > 0 {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
}

// Get returns the value stored under key.
func (c *Cache) Get(key int) ([]byte, bool) {
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	return e.value, true
}

// Len is the number of entries held.
func (c *Cache) Len() int { return len(c.items) }
