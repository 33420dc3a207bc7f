package vm

import (
	"bytes"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/vm/internal/wasmgen"
)

// i32Const appends the instruction i32.const v.
func i32Const(b []byte, v int32) []byte { return wasmgen.S64(append(b, 0x41), int64(v)) }

// TestRecycledMemoryStartsZero: every call is a fresh instance, so a call
// must never see what an earlier call left in memory, also in a page it
// grows into, though its buffer is the earlier call's, recycled.
func TestRecycledMemoryStartsZero(t *testing.T) {
	const i32 = 0x7f
	store := func(b []byte, addr, v int32) []byte {
		b = i32Const(i32Const(b, addr), v)
		return append(b, 0x36, 0x02, 0x00) // i32.store align=4 offset=0
	}
	load := func(b []byte, addr int32) []byte {
		return append(i32Const(b, addr), 0x28, 0x02, 0x00) // i32.load
	}
	grow := func(b []byte) []byte { return append(i32Const(b, 1), 0x40, 0x00, 0x1a) } // memory.grow 1; drop
	var dirty []byte
	dirty = store(dirty, 100, 0x5a5a5a5a)
	dirty = grow(dirty)
	dirty = store(dirty, 65536+100, 0x3c3c3c3c)
	var probe []byte
	probe = append(probe, 0x3f, 0x00) // memory.size: 1 page, as declared
	probe = append(load(probe, 100), 0x6a)
	probe = grow(probe)
	probe = append(load(probe, 65536+100), 0x6a)
	wasm := (&wasmgen.Module{MemoryMin: 1, MemoryMax: 4, Funcs: []wasmgen.Func{
		{Body: dirty, Export: "dirty"},
		{Results: []byte{i32}, Body: probe, Export: "probe"},
	}}).Encode()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			v := newVM(t, e.e)
			c, err := v.Deploy(t.Context(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, _, err := run(v, c, "dirty", bigGas); err != nil {
					t.Fatal(err)
				}
				if n := len(v.mems.free); n != 1 {
					t.Fatalf("round %d: %d memories pooled after a call, want 1 (the test needs reuse)", i, n)
				}
				res, _, err := run(v, c, "probe", bigGas)
				if err != nil {
					t.Fatal(err)
				}
				if res.Values[0] != 1 {
					t.Fatalf("round %d: probe = %#x, want 1 (one page, zero bytes): a call saw an earlier call's memory", i, res.Values[0])
				}
			}
		})
	}
}

func TestLinearMemoryGrowth(t *testing.T) {
	p := &memories{}
	m := p.Allocate(0, 3<<16)
	b := m.Reallocate(1 << 16)
	if len(b) != 1<<16 {
		t.Fatalf("len %d", len(b))
	}
	b[0], b[len(b)-1] = 1, 2
	b = m.Reallocate(2 << 16)
	if len(b) != 2<<16 || b[0] != 1 || b[1<<16-1] != 2 || !bytes.Equal(b[1<<16:], make([]byte, 1<<16)) {
		t.Fatal("growing lost old bytes or added non-zero ones")
	}
	if m.Reallocate(4<<16) != nil {
		t.Fatal("grew past max")
	}
	m.Free()
	if len(p.free) != 1 || !bytes.Equal(p.free[0][:cap(p.free[0])], make([]byte, cap(p.free[0]))) {
		t.Fatal("a pooled buffer is not all zeros")
	}
	m2 := p.Allocate(0, 3<<16)
	if b := m2.Reallocate(3 << 16); len(b) != 3<<16 || !bytes.Equal(b, make([]byte, 3<<16)) || len(p.free) != 0 {
		t.Fatal("reuse did not start from zeros")
	}
	p = &memories{}
	big := p.Allocate(0, 2*maxPooledBytes)
	big.Reallocate(maxPooledBytes + 1)
	big.Free()
	if len(p.free) != 0 {
		t.Fatal("a memory over maxPooledBytes was kept")
	}
}
