package sim

import (
	"crypto/sha256"
	"errors"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// FakeSigner "signs" with SHA-256(domain || address || payload): cheap,
// deterministic and checkable by FakeVerifier. Not cryptographically secure:
// the simulator only models validators that cannot forge each other.
type FakeSigner struct{ Addr types.Address }

// FakeVerifier checks FakeSigner signatures.
type FakeVerifier struct{}

var (
	_ consensus.Signer   = FakeSigner{}
	_ consensus.Verifier = FakeVerifier{}
)

func fakeSig(d types.SigningDomain, addr types.Address, payload []byte) types.Signature {
	h := sha256.New()
	h.Write([]byte{byte(d)})
	h.Write(addr[:])
	h.Write(payload)
	var s types.Signature
	h.Sum(s[:0])
	return s
}

// Address returns the signer's address.
func (s FakeSigner) Address() types.Address { return s.Addr }

// Sign returns the fake signature.
func (s FakeSigner) Sign(d types.SigningDomain, payload []byte) (types.Signature, error) {
	return fakeSig(d, s.Addr, payload), nil
}

// ErrFakeSignature is returned for a signature FakeSigner did not make.
var ErrFakeSignature = errors.New("sim: bad fake signature")

// Verify checks the fake signature.
func (FakeVerifier) Verify(d types.SigningDomain, payload []byte, sig types.Signature, addr types.Address) error {
	if fakeSig(d, addr, payload) != sig {
		return ErrFakeSignature
	}
	return nil
}
