// Package crypto holds the Orama node's cryptographic primitives: secp256k1
// keys, Ethereum-compatible 20-byte addresses, domain-separated signing
// hashes, strict recoverable ECDSA signatures, the "orama:" address display
// form and "@username" account references.
//
// Everything that decides whether a signature is valid lives here, so that
// the transaction pool, block execution, consensus and the bridge all apply
// exactly the same rules. Every signature is made over
// SHA-256(Borsh(domain, chain_id, payload)); the domain byte keeps a vote
// from being replayed as a transaction, and the chain id keeps a testnet
// transaction from being replayed on mainnet.
//
// Signatures are 65 bytes, R || S || V with V in {0, 1}. Recover is strict:
// it rejects any recovery id other than 0 or 1, R or S outside [1, N-1], and
// high-S values, so each (key, hash) pair has exactly one valid encoding and
// signatures are not malleable.
//
// The API uses plain arrays ([20]byte addresses, [32]byte hashes, [65]byte
// signatures) so callers can convert to their own named types without
// copying through slices. The package keeps no mutable global state.
//
// This package is a leaf of the node's dependency graph. It must never
// depend on storage, networking, consensus or generated code; those layers
// depend on it, not the other way round.
package crypto
