package crypto

import (
	"fmt"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// Sign signs a 32-byte hash, normally one returned by SigningHash, and
// returns R || S || V with V in {0, 1}. Signatures are deterministic
// (RFC 6979) and always low-S, so signing the same hash twice gives the
// same bytes.
//
// The hash must not be chosen by an adversary; sign SigningHash output, not
// raw input.
func Sign(k *PrivateKey, hash [HashLength]byte) ([SignatureLength]byte, error) {
	var sig [SignatureLength]byte
	if k == nil || k.key == nil {
		return sig, fmt.Errorf("crypto: sign: nil key: %w", ErrInvalidPrivateKey)
	}
	raw, err := ethcrypto.Sign(hash[:], k.key)
	if err != nil {
		return sig, fmt.Errorf("crypto: sign: %w", err)
	}
	if len(raw) != SignatureLength {
		return sig, fmt.Errorf("crypto: sign: got %d-byte signature, want %d", len(raw), SignatureLength)
	}
	copy(sig[:], raw)
	// libsecp256k1 already normalises to low-S with V in {0, 1}. Checking
	// here means a change in that dependency fails loudly at signing time
	// instead of producing signatures every node rejects.
	if err := checkSignature(&sig); err != nil {
		return [SignatureLength]byte{}, fmt.Errorf("crypto: sign: produced non-canonical signature: %w", err)
	}
	return sig, nil
}

// checkSignature enforces the canonical encoding: V in {0, 1},
// 1 <= R, S <= N-1 and S <= N/2. It runs before any curve arithmetic so
// that malformed input is rejected cheaply and with a precise error.
func checkSignature(sig *[SignatureLength]byte) error {
	if v := sig[64]; v > 1 {
		return fmt.Errorf("crypto: signature V = %d, want 0 or 1: %w", v, ErrInvalidRecoveryID)
	}
	if !validScalar(sig[0:32]) {
		return fmt.Errorf("crypto: signature R not in [1, N-1]: %w", ErrInvalidSignatureValues)
	}
	if !validScalar(sig[32:64]) {
		return fmt.Errorf("crypto: signature S not in [1, N-1]: %w", ErrInvalidSignatureValues)
	}
	if string(sig[32:64]) > secp256k1HalfN {
		return fmt.Errorf("crypto: signature S > N/2: %w", ErrHighS)
	}
	return nil
}

// Recover returns the address of the key that produced sig over hash. It
// accepts only canonical signatures: V in {0, 1}, R and S in [1, N-1] and
// S <= N/2, so every signed message has exactly one valid signature per key.
// Malformed signatures are rejected with ErrInvalidRecoveryID,
// ErrInvalidSignatureValues or ErrHighS before any curve arithmetic.
func Recover(hash [HashLength]byte, sig [SignatureLength]byte) ([AddressLength]byte, error) {
	if err := checkSignature(&sig); err != nil {
		return [AddressLength]byte{}, err
	}
	raw, err := ethcrypto.Ecrecover(hash[:], sig[:])
	if err != nil {
		return [AddressLength]byte{}, fmt.Errorf("crypto: recover: %v: %w", err, ErrRecoveryFailed)
	}
	if len(raw) != PublicKeyLength || raw[0] != 0x04 {
		return [AddressLength]byte{}, fmt.Errorf("crypto: recover: malformed public key: %w", ErrRecoveryFailed)
	}
	var pub [PublicKeyLength]byte
	copy(pub[:], raw)
	return addressFromPubkey(&pub), nil
}

// Verify checks that sig is a canonical signature over hash by the key
// controlling addr. It returns ErrSignerMismatch if the signature is valid
// but was made by a different key.
func Verify(hash [HashLength]byte, sig [SignatureLength]byte, addr [AddressLength]byte) error {
	got, err := Recover(hash, sig)
	if err != nil {
		return err
	}
	if got != addr {
		return fmt.Errorf("crypto: signed by %s, want %s: %w",
			FormatAddress(got), FormatAddress(addr), ErrSignerMismatch)
	}
	return nil
}

// VerifyDomain verifies sig over SigningHash(d, chainID, payload).
func VerifyDomain(d Domain, chainID uint64, payload []byte, sig [SignatureLength]byte, addr [AddressLength]byte) error {
	hash, err := SigningHash(d, chainID, payload)
	if err != nil {
		return err
	}
	return Verify(hash, sig, addr)
}

// SignDomain signs SigningHash(d, chainID, payload) with k.
func SignDomain(k *PrivateKey, d Domain, chainID uint64, payload []byte) ([SignatureLength]byte, error) {
	hash, err := SigningHash(d, chainID, payload)
	if err != nil {
		return [SignatureLength]byte{}, err
	}
	return Sign(k, hash)
}
