//go:build wasip1

package orama

import (
	"encoding/binary"
	"unsafe"
)

// blocks keeps every block handed to the host alive until the wrapper that
// asked for the result takes it: the host holds only its address, which the
// garbage collector does not see. Go's collector does not move objects, so
// the address stays valid.
var blocks = map[uint32][]byte{}

// oramaAlloc is the allocator the host writes results through
// (spec/contracts.md): a fresh block of size bytes, never 0.
//
//go:wasmexport orama_alloc
func oramaAlloc(size uint32) uint32 {
	b := make([]byte, size+1) // +1: a 0-byte block still has an address
	p := uint32(uintptr(unsafe.Pointer(&b[0])))
	blocks[p] = b
	return p
}

// takeResult reads the result at p (a u32 length, then the bytes) and
// releases the block; 0 is no result (nil).
func takeResult(p uint32) []byte {
	if p == 0 {
		return nil
	}
	b, ok := blocks[p]
	if !ok {
		panic("orama: the host returned a block orama_alloc did not give")
	}
	delete(blocks, p)
	n := binary.LittleEndian.Uint32(b[:4])
	return b[4 : 4+n : 4+n]
}

// bytesPtr is the address of b's first byte; empty slices read nothing, so
// any address will do.
func bytesPtr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

// stringPtr is the address of s's first byte.
func stringPtr(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s))))
}
