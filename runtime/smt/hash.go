package smt

import (
	"crypto/sha256"
	"math/bits"
)

// HashSize is the size in bytes of every hash, path and root.
const HashSize = 32

// Depth is the number of levels of the tree: a path has Depth bits.
const Depth = 256

// Domain-separation prefixes. Both preimages are exactly 65 bytes, so a leaf
// preimage can never be read as an internal one (the first byte differs) and
// neither can be confused with a value hash (a value is hashed without prefix,
// but a value hash is only ever used as the last 32 bytes of a leaf preimage).
const (
	leafPrefix     = 0x00
	internalPrefix = 0x01
)

// EmptyRoot is the root of the tree holding no keys, and the hash of every
// empty subtree at every height.
var EmptyRoot [HashSize]byte

// Path returns the position of key in the tree: SHA256(key). Bit i of the path
// (MSB-first within byte i/8) chooses the child at depth i: 0 left, 1 right.
func Path(key []byte) [HashSize]byte { return sha256.Sum256(key) }

// ValueHash returns SHA256(value), the value commitment stored in a leaf.
func ValueHash(value []byte) [HashSize]byte { return sha256.Sum256(value) }

// LeafHash returns SHA256(0x00 || path || valueHash).
func LeafHash(path, valueHash [HashSize]byte) [HashSize]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = leafPrefix
	copy(buf[1:], path[:])
	copy(buf[1+HashSize:], valueHash[:])
	return sha256.Sum256(buf[:])
}

// InternalHash returns SHA256(0x01 || left || right). An empty child is the
// all-zero hash.
func InternalHash(left, right [HashSize]byte) [HashSize]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = internalPrefix
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// bit returns bit i of p, MSB-first within each byte.
func bit(p *[HashSize]byte, i int) byte { return (p[i>>3] >> (7 - uint(i&7))) & 1 }

// setBit sets bit i of p, MSB-first within each byte.
func setBit(p *[HashSize]byte, i int) { p[i>>3] |= 0x80 >> uint(i&7) }

// commonPrefixLen returns the number of leading bits a and b share (Depth if
// they are equal).
func commonPrefixLen(a, b *[HashSize]byte) int {
	for i := range HashSize {
		if x := a[i] ^ b[i]; x != 0 {
			return i*8 + bits.LeadingZeros8(x)
		}
	}
	return Depth
}

// popcount returns the number of set bits in p.
func popcount(p *[HashSize]byte) int {
	n := 0
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return n
}

// lastSetBit returns the index of the last set bit of p, or -1 if none is set.
func lastSetBit(p *[HashSize]byte) int {
	for i := HashSize - 1; i >= 0; i-- {
		if p[i] != 0 {
			return i*8 + 7 - bits.TrailingZeros8(p[i])
		}
	}
	return -1
}
