package crypto

import (
	"crypto/sha256"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// Keccak256 returns the legacy Keccak-256 hash (as used by Ethereum, not
// FIPS SHA3-256) of the concatenation of data. Addresses and EIP-55
// checksums are defined in terms of it.
func Keccak256(data ...[]byte) [32]byte {
	var out [32]byte
	h := ethcrypto.NewKeccakState()
	for _, b := range data {
		h.Write(b)
	}
	h.Read(out[:])
	return out
}

// SHA256 returns the SHA-256 hash of data. Signing hashes use SHA-256.
func SHA256(data []byte) [32]byte {
	return sha256.Sum256(data)
}
