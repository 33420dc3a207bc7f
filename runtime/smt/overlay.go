package smt

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Overlay is a Store that keeps its writes in memory over a base Store it
// never writes to until Flush. A validator executes a proposed block, which
// may never become final, into an Overlay over its parent's: the tree nodes
// and stale records of a block that loses a fork are dropped with the
// Overlay, so they neither fill the disk nor make pruning delete nodes the
// winning chain still uses. When the block is final, Flush writes its
// entries to the base in one batch.
//
// An Overlay is safe for concurrent readers and one writer.
type Overlay struct {
	mu   sync.RWMutex
	base Store
	m    map[string][]byte // value nil: deleted here
}

var _ Store = (*Overlay)(nil)

// NewOverlay returns an empty overlay over base.
func NewOverlay(base Store) *Overlay { return &Overlay{base: base, m: map[string][]byte{}} }

// Get returns the overlay's value for key, or the base's.
func (o *Overlay) Get(key []byte) ([]byte, bool, error) {
	o.mu.RLock()
	v, ok := o.m[string(key)]
	base := o.base
	o.mu.RUnlock()
	if ok {
		return v, v != nil, nil
	}
	return base.Get(key)
}

// Scan merges the overlay's entries into the base's, in key order.
func (o *Overlay) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	o.mu.RLock()
	merged := map[string][]byte{}
	base := o.base
	for k, v := range o.m {
		if strings.HasPrefix(k, string(prefix)) {
			merged[k] = v
		}
	}
	o.mu.RUnlock()
	err := base.Scan(prefix, func(k, v []byte) (bool, error) {
		if _, ok := merged[string(k)]; !ok {
			merged[string(k)] = bytes.Clone(v)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(merged))
	for k, v := range merged {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		more, err := fn([]byte(k), merged[k])
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// NewBatch returns a batch whose Write lands in the overlay.
func (o *Overlay) NewBatch() Batch { return &overlayBatch{o: o} }

// Len is the number of entries written to the overlay.
func (o *Overlay) Len() int {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return len(o.m)
}

// Flush writes the overlay's entries to its base in one batch, in key order
// (so the base sees the same writes in the same order on every node). The
// entries stay readable here; call Rebase on overlays stacked on this one
// once the base holds them, so this one can be dropped.
func (o *Overlay) Flush() error {
	// Readers may share the lock; the one writer is not writing while its
	// overlay is flushed.
	o.mu.RLock()
	defer o.mu.RUnlock()
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := o.base.NewBatch()
	for _, k := range keys {
		v := o.m[k]
		var err error
		if v == nil {
			err = b.Delete([]byte(k))
		} else {
			err = b.Set([]byte(k), v)
		}
		if err != nil {
			b.Discard()
			return fmt.Errorf("smt: overlay flush: %w", err)
		}
	}
	if err := b.Write(); err != nil {
		return fmt.Errorf("smt: overlay flush: %w", err)
	}
	return nil
}

// Rebase makes base the store under o. The caller guarantees that base
// holds everything the old base did (the old base was an Overlay flushed
// into base).
func (o *Overlay) Rebase(base Store) {
	o.mu.Lock()
	o.base = base
	o.mu.Unlock()
}

type overlayBatch struct {
	o   *Overlay
	ops []memOp
}

func (b *overlayBatch) Set(key, value []byte) error {
	b.ops = append(b.ops, memOp{bytes.Clone(key), bytes.Clone(value)})
	return nil
}

func (b *overlayBatch) Delete(key []byte) error {
	b.ops = append(b.ops, memOp{key: bytes.Clone(key)})
	return nil
}

func (b *overlayBatch) Write() error {
	b.o.mu.Lock()
	defer b.o.mu.Unlock()
	for _, op := range b.ops {
		b.o.m[string(op.key)] = op.value
	}
	b.ops = nil
	return nil
}

func (b *overlayBatch) Discard() { b.ops = nil }
