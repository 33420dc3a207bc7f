package vm

import (
	"reflect"
	"sync"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// memoryOf returns m's memory, or nil if it has none: wazero then returns a
// non-nil api.Memory holding a nil pointer, whose methods panic.
func memoryOf(m api.Module) api.Memory {
	mem := m.Memory()
	if mem == nil {
		return nil
	}
	if v := reflect.ValueOf(mem); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return mem
}

// memories recycles the linear memories of closed instances. Every call
// runs in a fresh instance (spec/vm.md), and a fresh memory is a large Go
// allocation (64 KiB a page) that must be zeroed, copied whenever the guest
// grows it, and later collected. A recycled buffer keeps its capacity, so
// growth within it is in place, and the collector never sees it.
//
// The guest must not be able to tell: a buffer goes back to the pool only
// after the bytes it handed out are cleared, so every pooled buffer is all
// zeros and an instance starts from the memory its module declares, as with
// a fresh allocation. Nothing keeps a view of guest memory past the call
// (Read and readOutput copy), so reuse after Free cannot alias a result.
type memories struct {
	mu   sync.Mutex
	free [][]byte // zeroed buffers, len 0
}

// maxPooledMemories bounds what an idle VM keeps: one buffer per call that
// can run at once is enough; more would only hold memory.
const maxPooledMemories = 32

// maxPooledBytes keeps exceptional memories out of the pool (a contract that
// grew to tens of MiB gives them back to the runtime), so an idle VM holds
// at most 128 MiB of them.
const maxPooledBytes = 4 << 20

// Allocate implements experimental.MemoryAllocator.
func (p *memories) Allocate(_, max uint64) experimental.LinearMemory {
	return &linearMemory{pool: p, max: max}
}

func (p *memories) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return b
	}
	return nil
}

func (p *memories) put(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBytes {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxPooledMemories {
		p.free = append(p.free, b[:0])
	}
}

// linearMemory is one instance's memory.
type linearMemory struct {
	pool *memories
	buf  []byte
	max  uint64
}

// Reallocate implements experimental.LinearMemory: the bytes beyond the old
// length are zero, as the WebAssembly spec requires of new pages.
func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if m.buf == nil {
		m.buf = m.pool.get()
	}
	if size <= uint64(cap(m.buf)) {
		// Pooled bytes past len are zero (see memories), and so are the
		// bytes of a fresh make: growing in place needs no clearing.
		m.buf = m.buf[:size]
		return m.buf
	}
	// Double, so a memory grown a page at a time is copied O(log n) times.
	c := max(size, 2*uint64(cap(m.buf)), 1<<16)
	c = min(c, m.max) // size <= m.max (checked above)
	nb := make([]byte, size, c)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

// Free implements experimental.LinearMemory: it clears what the instance
// used and returns the buffer to the pool.
func (m *linearMemory) Free() {
	if m.buf == nil {
		return
	}
	clear(m.buf)
	m.pool.put(m.buf)
	m.buf = nil
}
