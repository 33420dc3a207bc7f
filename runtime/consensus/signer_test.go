package consensus_test

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

func testKey(t *testing.T, b byte) *crypto.PrivateKey {
	t.Helper()
	var raw [32]byte
	raw[31] = b // small non-zero scalar: a valid, deterministic secp256k1 key
	k, err := crypto.PrivateKeyFromBytes(raw[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCryptoSignerVerifier checks the crypto-backed Signer/Verifier pair
// against runtime/crypto: a vote and a timeout signed with a real key verify;
// verification fails under another chain id, for another signer's address,
// and across domains (a vote signature is not a timeout signature).
func TestCryptoSignerVerifier(t *testing.T) {
	const chainID = 7
	key, other := testKey(t, 1), testKey(t, 2)
	signer := consensus.CryptoSigner{Key: key, ChainID: chainID}
	verifier := consensus.CryptoVerifier{ChainID: chainID}
	me := types.Address(key.Address())
	if signer.Address() != me {
		t.Fatalf("Address() = %x, want %x", signer.Address(), me)
	}
	otherAddr := types.Address(other.Address())
	if otherAddr == me {
		t.Fatal("test keys share an address")
	}

	vote := types.Vote{View: 9, Height: 4, BlockHash: types.Hash{0xB1}, Voter: me}
	votePayload, err := vote.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	timeout := types.Timeout{View: 9, HighQCView: 7, Sender: me}
	timeoutPayload, err := timeout.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		domain  types.SigningDomain
		payload []byte
	}{
		{"vote", types.SigningDomainVote, votePayload},
		{"timeout", types.SigningDomainTimeout, timeoutPayload},
	}
	sigs := map[string]types.Signature{}
	for _, c := range cases {
		sig, err := signer.Sign(c.domain, c.payload)
		if err != nil {
			t.Fatalf("%s: sign: %v", c.name, err)
		}
		sigs[c.name] = sig
		if err := verifier.Verify(c.domain, c.payload, sig, me); err != nil {
			t.Errorf("%s: valid signature rejected: %v", c.name, err)
		}
		// Agrees with runtime/crypto directly (same domain byte and preimage).
		if err := crypto.VerifyDomain(crypto.Domain(c.domain), chainID, c.payload, sig, me); err != nil {
			t.Errorf("%s: crypto.VerifyDomain rejects the signature: %v", c.name, err)
		}
		if err := (consensus.CryptoVerifier{ChainID: chainID + 1}).Verify(c.domain, c.payload, sig, me); err == nil {
			t.Errorf("%s: signature verified under another chain id", c.name)
		}
		if err := verifier.Verify(c.domain, c.payload, sig, otherAddr); err == nil {
			t.Errorf("%s: signature verified for another signer", c.name)
		} else if !errors.Is(err, crypto.ErrSignerMismatch) {
			t.Logf("%s: wrong-signer error: %v", c.name, err)
		}
		// The other key's signature over the same message is not ours.
		osig, err := (consensus.CryptoSigner{Key: other, ChainID: chainID}).Sign(c.domain, c.payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := verifier.Verify(c.domain, c.payload, osig, me); err == nil {
			t.Errorf("%s: another key's signature verified as ours", c.name)
		}
		if err := verifier.Verify(c.domain, c.payload, osig, otherAddr); err != nil {
			t.Errorf("%s: other key's signature rejected for its own address: %v", c.name, err)
		}
		// A tampered payload fails.
		bad := append([]byte(nil), c.payload...)
		bad[len(bad)-1] ^= 1
		if err := verifier.Verify(c.domain, bad, sig, me); err == nil {
			t.Errorf("%s: signature verified over a modified payload", c.name)
		}
	}

	// Domain separation: a vote signature does not verify as a timeout, even
	// over the very same bytes, and vice versa.
	if err := verifier.Verify(types.SigningDomainTimeout, votePayload, sigs["vote"], me); err == nil {
		t.Error("vote signature verified as a timeout")
	}
	if err := verifier.Verify(types.SigningDomainVote, timeoutPayload, sigs["timeout"], me); err == nil {
		t.Error("timeout signature verified as a vote")
	}
	// The signature is bound to the domain, not only to the payload: the
	// same payload signed under both domains gives different signatures.
	asTimeout, err := signer.Sign(types.SigningDomainTimeout, votePayload)
	if err != nil {
		t.Fatal(err)
	}
	if asTimeout == sigs["vote"] {
		t.Error("same signature under the vote and timeout domains")
	}
}
