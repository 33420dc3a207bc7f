package nsengine

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// Limits of the cache (spec/hostfuncs.yaml MaxCacheKeyBytes and
// MaxCacheValueBytes). Every Cache refuses larger keys and values with
// ErrTooLarge, so the embedded and the cluster engine behave alike.
const (
	MaxCacheKeyBytes   = 256
	MaxCacheValueBytes = 65536
)

// CacheValue is a cache entry (spec/namespaces.yaml CacheValue): Expires is a
// block timestamp in ms (0 = never), enforced by the executor, never by the
// engine; Value may be empty, and an empty value is present.
type CacheValue struct {
	Expires uint64
	Value   []byte
}

// Equal reports whether two values are the same entry (nil and empty values
// are equal).
func (v CacheValue) Equal(o CacheValue) bool {
	return v.Expires == o.Expires && bytes.Equal(v.Value, o.Value)
}

// Cache is a namespace's key-value cache. Keys and values are arbitrary bytes;
// a Get returns a copy the caller owns, and Set copies its argument. Delete
// of an absent key is not an error.
type Cache interface {
	// Get returns the entry under key; false when there is none.
	Get(ctx context.Context, key []byte) (CacheValue, bool, error)
	// Set stores v under key, replacing any entry.
	Set(ctx context.Context, key []byte, v CacheValue) error
	// Delete removes the entry under key.
	Delete(ctx context.Context, key []byte) error
	// Close releases the engine; later calls fail with ErrClosed.
	Close() error
}

// EncodeCacheValue returns the Borsh encoding of v (u64le expires, u32le
// length, value bytes): what the Olric engine stores.
func EncodeCacheValue(v CacheValue) ([]byte, error) {
	if len(v.Value) > MaxCacheValueBytes {
		return nil, fmt.Errorf("%w: cache value of %d bytes (max %d)", ErrTooLarge, len(v.Value), MaxCacheValueBytes)
	}
	b := make([]byte, 0, 12+len(v.Value))
	b = borsh.AppendU64(b, v.Expires)
	b = borsh.AppendU32(b, uint32(len(v.Value)))
	return append(b, v.Value...), nil
}

// DecodeCacheValue decodes what EncodeCacheValue wrote, strictly (no trailing
// bytes, value at most MaxCacheValueBytes); errors wrap ErrMalformed. The
// returned Value is never nil and never aliases b.
func DecodeCacheValue(b []byte) (CacheValue, error) {
	r := borsh.NewReader(b)
	var v CacheValue
	v.Expires = r.U64("CacheValue.expires")
	v.Value = r.Bytes(MaxCacheValueBytes, "CacheValue.value")
	if err := r.Finish("CacheValue"); err != nil {
		return CacheValue{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if v.Value == nil {
		v.Value = []byte{}
	}
	return v, nil
}

func checkCacheKey(key []byte) error {
	if len(key) > MaxCacheKeyBytes {
		return fmt.Errorf("%w: cache key of %d bytes (max %d)", ErrTooLarge, len(key), MaxCacheKeyBytes)
	}
	return nil
}

func checkCacheEntry(key []byte, v CacheValue) error {
	if err := checkCacheKey(key); err != nil {
		return err
	}
	if len(v.Value) > MaxCacheValueBytes {
		return fmt.Errorf("%w: cache value of %d bytes (max %d)", ErrTooLarge, len(v.Value), MaxCacheValueBytes)
	}
	return nil
}

// MemoryCache is the embedded Cache: a map guarded by a mutex, one per
// namespace, local to the node.
type MemoryCache struct {
	mu     sync.RWMutex
	m      map[string]CacheValue
	closed bool
}

// NewMemoryCache returns an empty in-process cache.
func NewMemoryCache() *MemoryCache {
	return &MemoryCache{m: make(map[string]CacheValue)}
}

var _ Cache = (*MemoryCache)(nil)

// Get implements Cache.
func (c *MemoryCache) Get(ctx context.Context, key []byte) (CacheValue, bool, error) {
	if err := ctx.Err(); err != nil {
		return CacheValue{}, false, fmt.Errorf("cache get: %w", err)
	}
	if err := checkCacheKey(key); err != nil {
		return CacheValue{}, false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return CacheValue{}, false, fmt.Errorf("cache get: %w", ErrClosed)
	}
	v, ok := c.m[string(key)]
	if !ok {
		return CacheValue{}, false, nil
	}
	return CacheValue{Expires: v.Expires, Value: bytes.Clone(v.Value)}, true, nil
}

// Set implements Cache.
func (c *MemoryCache) Set(ctx context.Context, key []byte, v CacheValue) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cache set: %w", err)
	}
	if err := checkCacheEntry(key, v); err != nil {
		return err
	}
	val := make([]byte, len(v.Value))
	copy(val, v.Value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("cache set: %w", ErrClosed)
	}
	c.m[string(key)] = CacheValue{Expires: v.Expires, Value: val}
	return nil
}

// Delete implements Cache.
func (c *MemoryCache) Delete(ctx context.Context, key []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cache delete: %w", err)
	}
	if err := checkCacheKey(key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("cache delete: %w", ErrClosed)
	}
	delete(c.m, string(key))
	return nil
}

// Close implements Cache; it drops the entries.
func (c *MemoryCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.m = nil
	return nil
}
