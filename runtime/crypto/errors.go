package crypto

import "errors"

// Sentinel errors. Functions wrap them with context, so compare with
// errors.Is.
var (
	// ErrInvalidPrivateKey reports a private key that is not 32 bytes or not
	// in the range [1, N-1].
	ErrInvalidPrivateKey = errors.New("invalid private key")
	// ErrInvalidPublicKey reports a public key that is not an uncompressed
	// secp256k1 point.
	ErrInvalidPublicKey = errors.New("invalid public key")
	// ErrInvalidDomain reports a signing domain outside the defined set.
	ErrInvalidDomain = errors.New("invalid signing domain")
	// ErrPayloadTooLarge reports a signing payload above MaxSigningPayload.
	ErrPayloadTooLarge = errors.New("signing payload too large")
	// ErrInvalidRecoveryID reports a signature whose V byte is not 0 or 1.
	ErrInvalidRecoveryID = errors.New("invalid signature recovery id")
	// ErrInvalidSignatureValues reports R or S equal to zero or not below
	// the curve order N.
	ErrInvalidSignatureValues = errors.New("invalid signature values")
	// ErrHighS reports a signature with S > N/2. Only the low-S form is
	// accepted so that signatures are not malleable.
	ErrHighS = errors.New("signature S value is not canonical (high-S)")
	// ErrSignerMismatch reports a valid signature made by a different key.
	ErrSignerMismatch = errors.New("signature signer mismatch")
	// ErrRecoveryFailed reports a well-formed signature from which no
	// public key could be recovered.
	ErrRecoveryFailed = errors.New("public key recovery failed")

	// ErrInvalidAddress reports an address string with a bad prefix,
	// length or non-hex characters.
	ErrInvalidAddress = errors.New("invalid address")
	// ErrBadChecksum reports a mixed-case address that does not match its
	// EIP-55 checksum.
	ErrBadChecksum = errors.New("address checksum mismatch")

	// ErrUsernameTooShort reports a username under MinUsernameLength bytes.
	ErrUsernameTooShort = errors.New("username too short")
	// ErrUsernameTooLong reports a username over MaxUsernameLength bytes.
	ErrUsernameTooLong = errors.New("username too long")
	// ErrUsernameInvalidChar reports a byte outside [a-z0-9_-].
	ErrUsernameInvalidChar = errors.New("username contains invalid character")
)
