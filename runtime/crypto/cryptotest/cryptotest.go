// Package cryptotest gives tests deterministic keys. It is test support:
// the node must never import it.
package cryptotest

import "github.com/oramanetwork/orama-chain/runtime/crypto"

// Key returns the private key whose scalar is i (1 <= i < 2^16), the same in
// every run: key 1 is the well-known address 0x7E5F...5Bdf.
func Key(i int) *crypto.PrivateKey {
	var b [32]byte
	b[31] = byte(i)
	b[30] = byte(i >> 8)
	k, err := crypto.PrivateKeyFromBytes(b[:])
	if err != nil {
		panic(err) // only i == 0 (mod 2^16) is invalid
	}
	return k
}
