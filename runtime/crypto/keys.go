package crypto

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// Sizes of the fixed-length values handled by this package.
const (
	PrivateKeyLength = 32
	PublicKeyLength  = 65 // uncompressed: 0x04 || X || Y
	AddressLength    = 20
	HashLength       = 32
	SignatureLength  = 65 // R || S || V
)

// secp256k1 group order N and N/2 (rounded down), as 32-byte big-endian
// strings. They are constants rather than *big.Int values so the package has
// no mutable globals, and because comparing equal-length big-endian strings
// lexicographically is the same as comparing the numbers.
const (
	secp256k1N = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe" +
		"\xba\xae\xdc\xe6\xaf\x48\xa0\x3b\xbf\xd2\x5e\x8c\xd0\x36\x41\x41"
	secp256k1HalfN = "\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
		"\x5d\x57\x6e\x73\x57\xa4\x50\x1d\xdf\xe9\x2f\x46\x68\x1b\x20\xa0"
	zero32 = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
)

// validScalar reports whether the 32-byte big-endian value b is in [1, N-1],
// the range of valid private keys and signature R and S values.
func validScalar(b []byte) bool {
	s := string(b) // no allocation: used only in comparisons
	return len(b) == 32 && s != zero32 && s < secp256k1N
}

// PrivateKey is a secp256k1 private key. The public key and address are
// derived once at construction because they are needed on every signature.
// Obtain one with GenerateKey or PrivateKeyFromBytes; the zero value is not
// usable.
type PrivateKey struct {
	key  *ecdsa.PrivateKey
	pub  [PublicKeyLength]byte
	addr [AddressLength]byte
}

// GenerateKey returns a new private key drawn from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	var b [PrivateKeyLength]byte
	defer clear(b[:])
	// Rejection sampling: a uniformly random 32-byte value is a valid key
	// with probability about 1 - 2^-128, so this almost never loops.
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("crypto: generate key: %w", err)
		}
		if validScalar(b[:]) {
			return PrivateKeyFromBytes(b[:])
		}
	}
}

// PrivateKeyFromBytes parses a 32-byte big-endian private key. It returns
// ErrInvalidPrivateKey unless len(b) == 32 and 0 < k < N.
func PrivateKeyFromBytes(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeyLength {
		return nil, fmt.Errorf("crypto: private key is %d bytes, want %d: %w",
			len(b), PrivateKeyLength, ErrInvalidPrivateKey)
	}
	if !validScalar(b) {
		return nil, fmt.Errorf("crypto: private key out of range [1, N-1]: %w", ErrInvalidPrivateKey)
	}
	key, err := ethcrypto.ToECDSA(b)
	if err != nil {
		return nil, fmt.Errorf("crypto: private key: %v: %w", err, ErrInvalidPrivateKey)
	}
	return newPrivateKey(key)
}

func newPrivateKey(key *ecdsa.PrivateKey) (*PrivateKey, error) {
	pub := ethcrypto.FromECDSAPub(&key.PublicKey)
	if len(pub) != PublicKeyLength {
		return nil, fmt.Errorf("crypto: derive public key: %w", ErrInvalidPrivateKey)
	}
	k := &PrivateKey{key: key}
	copy(k.pub[:], pub)
	k.addr = addressFromPubkey(&k.pub)
	return k, nil
}

// Bytes returns the 32-byte big-endian encoding of the key. The caller owns
// the copy and should clear it when done.
func (k *PrivateKey) Bytes() [PrivateKeyLength]byte {
	var b [PrivateKeyLength]byte
	k.key.D.FillBytes(b[:])
	return b
}

// PublicKey returns the uncompressed public key, 0x04 || X || Y.
func (k *PrivateKey) PublicKey() [PublicKeyLength]byte { return k.pub }

// Address returns the account address controlled by the key.
func (k *PrivateKey) Address() [AddressLength]byte { return k.addr }

// ECDSA returns the underlying key, for interoperation with go-ethereum
// (keystore encryption, for example). The caller must not modify it.
func (k *PrivateKey) ECDSA() *ecdsa.PrivateKey { return k.key }

// String describes the key by its address only, so that logging a key with
// %v or %+v can never leak the secret.
func (k *PrivateKey) String() string {
	if k == nil || k.key == nil {
		return "crypto.PrivateKey(nil)"
	}
	return "crypto.PrivateKey(" + FormatAddress(k.addr) + ")"
}

// GoString is String, so %#v is redacted too.
func (k *PrivateKey) GoString() string { return k.String() }

// PubkeyToAddress derives the address of an uncompressed public key:
// the last 20 bytes of Keccak256(X || Y). It rejects a key that does not
// start with 0x04 or is not a point on the curve, since no signature could
// ever recover to it.
func PubkeyToAddress(pub [PublicKeyLength]byte) ([AddressLength]byte, error) {
	if _, err := ethcrypto.UnmarshalPubkey(pub[:]); err != nil {
		return [AddressLength]byte{}, fmt.Errorf("crypto: pubkey to address: %v: %w", err, ErrInvalidPublicKey)
	}
	return addressFromPubkey(&pub), nil
}

// addressFromPubkey hashes a public key already known to be valid.
func addressFromPubkey(pub *[PublicKeyLength]byte) [AddressLength]byte {
	h := Keccak256(pub[1:])
	var a [AddressLength]byte
	copy(a[:], h[12:])
	return a
}
