package consensus

import (
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// Signer signs consensus messages for one validator.
type Signer interface {
	Address() types.Address
	Sign(d types.SigningDomain, payload []byte) (types.Signature, error)
}

// Verifier checks a signature made by addr.
type Verifier interface {
	Verify(d types.SigningDomain, payload []byte, sig types.Signature, addr types.Address) error
}

// CryptoSigner signs with a secp256k1 key under crypto.SignDomain.
type CryptoSigner struct {
	Key     *crypto.PrivateKey
	ChainID uint64
}

// CryptoVerifier verifies with crypto.VerifyDomain.
type CryptoVerifier struct{ ChainID uint64 }

var (
	_ Signer   = CryptoSigner{}
	_ Verifier = CryptoVerifier{}
)

// Address returns the key's address.
func (s CryptoSigner) Address() types.Address { return types.Address(s.Key.Address()) }

// Sign signs payload under domain d.
func (s CryptoSigner) Sign(d types.SigningDomain, payload []byte) (types.Signature, error) {
	sig, err := crypto.SignDomain(s.Key, crypto.Domain(d), s.ChainID, payload)
	return types.Signature(sig), err
}

// Verify checks sig over payload under domain d.
func (v CryptoVerifier) Verify(d types.SigningDomain, payload []byte, sig types.Signature, addr types.Address) error {
	return crypto.VerifyDomain(crypto.Domain(d), v.ChainID, payload, sig, addr)
}
