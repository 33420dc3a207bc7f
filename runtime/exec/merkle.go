package exec

import (
	"crypto/sha256"
	"math/bits"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// MerkleRoot is the RFC 6962-shaped root over hashes in order (spec/state.md):
// SHA-256("") for none, SHA-256(0x00 || h) for a leaf, SHA-256(0x01 || l || r)
// for an interior node, splitting n leaves at the largest power of two below n.
// Leaf and node inputs differ in their first byte, so a leaf can never pass
// as a subtree.
func MerkleRoot(hashes []types.Hash) types.Hash {
	if len(hashes) == 0 {
		return sha256.Sum256(nil)
	}
	return merkle(hashes)
}

func merkle(hs []types.Hash) types.Hash {
	if len(hs) == 1 {
		var buf [33]byte
		copy(buf[1:], hs[0][:])
		return sha256.Sum256(buf[:])
	}
	k := 1 << (bits.Len(uint(len(hs)-1)) - 1) // largest power of two < n
	l, r := merkle(hs[:k]), merkle(hs[k:])
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:], l[:])
	copy(buf[33:], r[:])
	return sha256.Sum256(buf[:])
}
