package smt

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// Store is the key-value storage under a Tree. The tree owns the key layout
// (see nodeKey and staleKey); a store only maps bytes to bytes.
//
// Get and Scan must be safe to call concurrently with each other and with one
// Batch being written: readers of a committed root never block each other.
type Store interface {
	// Get returns the value stored under key, or ok == false if there is none.
	// The caller may keep the returned slice but must not modify it.
	Get(key []byte) (value []byte, ok bool, err error)
	// NewBatch starts a set of writes that Write applies.
	NewBatch() Batch
	// Scan calls fn for each key that starts with prefix, in ascending byte
	// order, until fn returns false or an error. fn must not keep key or value
	// after it returns and must not write to the store.
	Scan(prefix []byte, fn func(key, value []byte) (more bool, err error)) error
}

// Batch collects writes. The batch owns the slices passed to Set and Delete
// until Write or Discard returns.
type Batch interface {
	Set(key, value []byte) error
	Delete(key []byte) error
	// Write applies the batch. A store may apply a large batch in several
	// steps: the tree's writes are content addressed and idempotent, so a
	// partly applied batch leaves only unreferenced nodes behind.
	Write() error
	// Discard drops the batch without writing.
	Discard()
}

// Storage key layout (storage only: no hash depends on it).
//
//	node:  'n' | len(ns) | ns | hash[32]                          -> encoded node
//	stale: 's' | version (8 bytes, big endian) | len(ns) | ns |
//	       oldRoot[32] | newRoot[32]                              -> hash[32]...
//
// A stale record lists the nodes of namespace ns that the commit from oldRoot
// to newRoot at version removed from the tree. Big-endian versions make a
// prefix scan of 's' visit records in version order.
const (
	prefixNode  = 'n'
	prefixStale = 's'
)

func nodeKey(ns []byte, h *[HashSize]byte) []byte {
	k := make([]byte, 0, 2+len(ns)+HashSize)
	k = append(k, prefixNode, byte(len(ns)))
	k = append(k, ns...)
	return append(k, h[:]...)
}

func staleKey(version uint64, ns []byte, oldRoot, newRoot *[HashSize]byte) []byte {
	k := make([]byte, 0, 10+len(ns)+2*HashSize)
	k = append(k, prefixStale)
	k = binary.BigEndian.AppendUint64(k, version)
	k = append(k, byte(len(ns)))
	k = append(k, ns...)
	k = append(k, oldRoot[:]...)
	return append(k, newRoot[:]...)
}

// parseStaleKey returns the version and namespace of a stale record key.
func parseStaleKey(k []byte) (version uint64, ns []byte, ok bool) {
	if len(k) < 10+2*HashSize || k[0] != prefixStale {
		return 0, nil, false
	}
	n := int(k[9])
	if len(k) != 10+n+2*HashSize {
		return 0, nil, false
	}
	return binary.BigEndian.Uint64(k[1:9]), k[10 : 10+n], true
}

// MemStore is an in-memory Store for tests and tools. The zero value is not
// usable; call NewMemStore.
type MemStore struct {
	mu sync.RWMutex
	m  map[string][]byte
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore { return &MemStore{m: make(map[string][]byte)} }

// Get implements Store.
func (s *MemStore) Get(key []byte) ([]byte, bool, error) {
	s.mu.RLock()
	v, ok := s.m[string(key)]
	s.mu.RUnlock()
	return v, ok, nil // values are never modified in place, so sharing is safe
}

// Len returns the number of stored keys.
func (s *MemStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Scan implements Store. It works on a snapshot of the matching keys, so fn
// may read the store.
func (s *MemStore) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	s.mu.RLock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	s.mu.RUnlock()
	slices.Sort(keys)
	for _, k := range keys {
		v, ok, _ := s.Get([]byte(k))
		if !ok {
			continue
		}
		more, err := fn([]byte(k), bytes.Clone(v))
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// NewBatch implements Store.
func (s *MemStore) NewBatch() Batch { return &memBatch{s: s} }

type memOp struct {
	key, value []byte // value nil: delete
}

type memBatch struct {
	s   *MemStore
	ops []memOp
}

func (b *memBatch) Set(key, value []byte) error {
	b.ops = append(b.ops, memOp{key, bytes.Clone(value)})
	return nil
}

func (b *memBatch) Delete(key []byte) error {
	b.ops = append(b.ops, memOp{key: key})
	return nil
}

func (b *memBatch) Write() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	for _, op := range b.ops {
		if op.value == nil {
			delete(b.s.m, string(op.key))
		} else {
			b.s.m[string(op.key)] = op.value
		}
	}
	b.ops = nil
	return nil
}

func (b *memBatch) Discard() { b.ops = nil }
