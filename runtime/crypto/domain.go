package crypto

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Domain separates the kinds of message a key signs. The domain byte is
// part of every signing hash, so a signature made for one kind of message
// can never be replayed as another.
type Domain uint8

// Signing domains. The zero value is deliberately invalid so that a
// forgotten field can never produce a usable signature. Values are part of
// the consensus rules: never renumber them.
const (
	DomainTransaction         Domain = 1
	DomainVote                Domain = 2
	DomainTimeout             Domain = 3
	DomainEnvelope            Domain = 4
	DomainProposal            Domain = 5
	DomainBridgeAttestation   Domain = 6
	DomainNamespaceCommitment Domain = 7
	DomainNamespaceRequest    Domain = 8
)

// MaxSigningPayload is the largest payload SigningPreimage accepts. It bounds
// the work an unauthenticated message can cause and keeps the Borsh length
// prefix far from the u32 limit.
// It is params.MaxSigningPayloadBytes (a conformance test keeps them equal):
// an envelope holding the largest payload plus its header fits.
const MaxSigningPayload = 1<<20 + 1024

// signingHeaderLength is domain (1) + chain id (8) + payload length (4).
const signingHeaderLength = 1 + 8 + 4

// Valid reports whether d is one of the defined domains.
func (d Domain) Valid() bool {
	return d >= DomainTransaction && d <= DomainNamespaceRequest
}

// String returns the domain's name, for logs and error messages.
func (d Domain) String() string {
	switch d {
	case DomainTransaction:
		return "transaction"
	case DomainVote:
		return "vote"
	case DomainTimeout:
		return "timeout"
	case DomainEnvelope:
		return "envelope"
	case DomainProposal:
		return "proposal"
	case DomainBridgeAttestation:
		return "bridge-attestation"
	case DomainNamespaceCommitment:
		return "namespace-commitment"
	case DomainNamespaceRequest:
		return "namespace-request"
	}
	return "Domain(" + strconv.Itoa(int(d)) + ")"
}

// signingHeader validates the inputs and returns the Borsh header that
// precedes the payload.
func signingHeader(d Domain, chainID uint64, payloadLen int) ([signingHeaderLength]byte, error) {
	var h [signingHeaderLength]byte
	if !d.Valid() {
		return h, fmt.Errorf("crypto: signing domain %d: %w", uint8(d), ErrInvalidDomain)
	}
	if payloadLen > MaxSigningPayload {
		return h, fmt.Errorf("crypto: signing payload is %d bytes, max %d: %w",
			payloadLen, MaxSigningPayload, ErrPayloadTooLarge)
	}
	h[0] = byte(d)
	binary.LittleEndian.PutUint64(h[1:9], chainID)
	binary.LittleEndian.PutUint32(h[9:13], uint32(payloadLen))
	return h, nil
}

// SigningPreimage returns the bytes whose SHA-256 hash is signed: the Borsh
// encoding of struct { domain: u8, chain_id: u64, payload: Vec<u8> }, i.e.
//
//	domain (1 byte) || chain_id (8 bytes LE) || len(payload) (4 bytes LE) || payload
//
// It is exposed so that other implementations, such as wallets
// in other languages, can be checked against it byte for byte.
func SigningPreimage(d Domain, chainID uint64, payload []byte) ([]byte, error) {
	h, err := signingHeader(d, chainID, len(payload))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, signingHeaderLength+len(payload))
	out = append(out, h[:]...)
	return append(out, payload...), nil
}

// SigningHash returns SHA-256(SigningPreimage(d, chainID, payload)), the
// digest that Sign and Verify operate on. It streams the header and payload
// into the hasher instead of building the preimage.
func SigningHash(d Domain, chainID uint64, payload []byte) ([HashLength]byte, error) {
	var out [HashLength]byte
	h, err := signingHeader(d, chainID, len(payload))
	if err != nil {
		return out, err
	}
	hasher := sha256.New()
	hasher.Write(h[:])
	hasher.Write(payload)
	hasher.Sum(out[:0])
	return out, nil
}
