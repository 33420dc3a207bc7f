package smt

import (
	"bytes"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CachedStore keeps recently used tree nodes of an underlying Store in
// memory. Nodes are content addressed and never change once written, so a
// cached node is always the stored one; only node keys are cached (stale
// records are mutable and go straight through), and deletes (Prune) drop
// the entry. The cache is bounded by entry count; at about 300 bytes a page,
// the default of 1<<18 entries is roughly 80 MB.
//
// Reading an account costs one Badger transaction per page on its path;
// with the top pages of a busy tree in memory most reads never reach Badger.
type CachedStore struct {
	Store
	cache *lru.Cache[string, []byte]
	// readsOnly: written nodes are not cached (NewReadCachedStore).
	readsOnly bool
}

// NewReadCachedStore is NewCachedStore for a store whose writers keep what
// they write in caches of their own (the node: its heads' account cache and
// execution's PageCache): it caches what is read, not what is written, so a
// block's commit does not pay to fill an LRU for reads that never come.
func NewReadCachedStore(s Store, n int) *CachedStore {
	c := NewCachedStore(s, n)
	c.readsOnly = true
	return c
}

// DefaultCacheEntries is NewCachedStore's size when given 0.
const DefaultCacheEntries = 1 << 18

// NewCachedStore wraps s with a cache of n entries (0: DefaultCacheEntries).
func NewCachedStore(s Store, n int) *CachedStore {
	if n <= 0 {
		n = DefaultCacheEntries
	}
	c, err := lru.New[string, []byte](n)
	if err != nil {
		panic(err) // only for n <= 0, excluded above
	}
	return &CachedStore{Store: s, cache: c}
}

func cacheable(key []byte) bool { return len(key) > 0 && key[0] == prefixNode }

// Get returns the cached node or reads it through.
func (c *CachedStore) Get(key []byte) ([]byte, bool, error) {
	if !cacheable(key) {
		return c.Store.Get(key)
	}
	if v, ok := c.cache.Get(string(key)); ok {
		return v, true, nil
	}
	v, ok, err := c.Store.Get(key)
	if err == nil && ok {
		c.cache.Add(string(key), v)
	}
	return v, ok, err
}

// NewBatch returns a batch that also updates the cache once written.
func (c *CachedStore) NewBatch() Batch {
	return &cachedBatch{c: c, b: c.Store.NewBatch()}
}

type cachedBatch struct {
	c    *CachedStore
	b    Batch
	sets [][2][]byte
	dels [][]byte
}

func (b *cachedBatch) Set(key, value []byte) error {
	if cacheable(key) && !b.c.readsOnly {
		b.sets = append(b.sets, [2][]byte{key, value})
	}
	return b.b.Set(key, value)
}

func (b *cachedBatch) Delete(key []byte) error {
	if cacheable(key) {
		b.dels = append(b.dels, key)
	}
	return b.b.Delete(key)
}

// Write writes through, then caches the new nodes (so the next block's reads
// of what this block wrote hit memory) and forgets deleted ones. A failed
// write leaves the cache as it was: it only ever holds stored nodes.
func (b *cachedBatch) Write() error {
	if err := b.b.Write(); err != nil {
		return err
	}
	for _, kv := range b.sets { // empty when readsOnly (Set keeps none)
		// Copied: the writer owns the slice again once Write returns.
		b.c.cache.Add(string(kv[0]), bytes.Clone(kv[1]))
	}
	for _, k := range b.dels {
		b.c.cache.Remove(string(k))
	}
	return nil
}

func (b *cachedBatch) Discard() { b.b.Discard() }
