package rpc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// TestAccountProofLightClient checks GET /v1/accounts/{id}?proof=true the
// way a light client would: from the JSON response alone, with runtime/smt's
// verifier, against the state root in the returned header. (A light client
// also checks the header's QC; that needs the validator set and is
// consensus's to test.)
func TestAccountProofLightClient(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	alice, bob := keys[aliceKey], keys[bobKey]
	for i := range uint64(3) {
		if r := c.send(encodeTx(t, transfer(alice, i, bob.Address(), params.RaysPerOrama))); r.status != 202 {
			t.Fatal(string(r.body))
		}
		produce(t, n)
	}

	// More leaves, so that some paths end at empty subtrees.
	for i := range uint64(12) {
		if r := c.send(encodeTx(t, transfer(bob, i, testKey(50+int(i)).Address(), 1))); r.status != 202 {
			t.Fatal(string(r.body))
		}
	}
	produce(t, n)

	t.Run("existing", func(t *testing.T) {
		for _, q := range []string{"?proof=true", "?proof=true&height=1", "?proof=true&height=0", "?height=2&proof=true"} {
			ar := getProof(t, c, "@alice"+q)
			if !lightVerify(t, ar) {
				t.Fatalf("%s: alice has no leaf", q)
			}
		}
		// The balance moves with the height and each proof shows its own.
		a1, a3 := getProof(t, c, "@alice?proof=true&height=1"), getProof(t, c, "@alice?proof=true")
		if a1.Account.Nonce != "1" || a3.Account.Nonce != "3" || a1.Proof.Header.StateRoot == a3.Proof.Header.StateRoot {
			t.Fatalf("nonces %s %s", a1.Account.Nonce, a3.Account.Nonce)
		}
		// The proof of one height does not verify against another's root.
		proof := decodeProof(t, a1.Proof.Proof)
		if err := smt.VerifyInclusion(mustHash(t, a3.Proof.Header.StateRoot), mustHex(t, a1.Proof.Key), mustHex(t, a1.Proof.Value), proof); err == nil {
			t.Fatal("height 1's proof verified against the head's root")
		}
		// A value changed by one byte fails.
		v := mustHex(t, a3.Proof.Value)
		v[len(v)-1] ^= 1
		if err := smt.VerifyInclusion(mustHash(t, a3.Proof.Header.StateRoot), mustHex(t, a3.Proof.Key), v, decodeProof(t, a3.Proof.Proof)); err == nil {
			t.Fatal("tampered value verified")
		}
	})

	t.Run("absent", func(t *testing.T) {
		var withLeaf, empty int
		// Deterministic addresses until both kinds have shown up.
		for i := 100; i < 2100 && (withLeaf < 5 || empty < 5); i++ {
			ar := getProof(t, c, crypto.FormatAddress(testKey(i).Address())+"?proof=true")
			if lightVerify(t, ar) {
				t.Fatalf("key %d has a leaf", i)
			}
			if ar.Proof.ProofFields.Leaf != nil {
				withLeaf++
			} else {
				empty++
			}
		}
		// Both kinds of non-existence proof: ending at another key's leaf
		// and at an empty subtree.
		if withLeaf == 0 || empty == 0 {
			t.Fatalf("non-existence proofs: %d end at a leaf, %d at an empty subtree", withLeaf, empty)
		}
		// A non-existence proof does not prove a present key absent.
		ar := getProof(t, c, crypto.FormatAddress(testKey(100).Address())+"?proof=true")
		aliceKey := alice.Address()
		if err := smt.VerifyNonExistence(mustHash(t, ar.Proof.Header.StateRoot), aliceKey[:], decodeProof(t, ar.Proof.Proof)); err == nil {
			t.Fatal("alice proven absent")
		}
	})
}

func getProof(t *testing.T, c *client, idAndQuery string) api.AccountResponse {
	t.Helper()
	var ar api.AccountResponse
	c.getJSON("/v1/accounts/"+idAndQuery, 200, &ar)
	if ar.Proof == nil {
		t.Fatalf("%s: no proof", idAndQuery)
	}
	return ar
}

// lightVerify checks a proof response from its JSON alone and reports
// whether the account exists.
func lightVerify(t *testing.T, ar api.AccountResponse) bool {
	t.Helper()
	p := ar.Proof

	// The header: its Borsh encoding hashes to block_hash and carries the
	// state root and height the JSON shows.
	if p.Header.Borsh == nil {
		t.Fatal("header without borsh")
	}
	enc := mustHex(t, *p.Header.Borsh)
	if got := sha256.Sum256(enc); hexBytes(got[:]) != p.BlockHash {
		t.Fatalf("SHA-256(header.borsh) %x != block_hash %s", got, p.BlockHash)
	}
	var hdr types.BlockHeader
	if err := hdr.UnmarshalBorsh(enc); err != nil {
		t.Fatal(err)
	}
	root := mustHash(t, p.Header.StateRoot)
	if hdr.StateRoot != root || u64(hdr.Height) != p.Header.Height || p.Header.Height != ar.Height {
		t.Fatalf("header fields disagree with its encoding")
	}

	// The proof: the compressed form decodes strictly to the fields shown.
	proof := decodeProof(t, p.Proof)
	f := p.ProofFields
	if f.Bitmap != hexBytes(proof.Bitmap[:]) || len(f.Siblings) != len(proof.Siblings) {
		t.Fatalf("proof_fields disagree with proof")
	}
	for i, s := range f.Siblings {
		if s != hexBytes(proof.Siblings[i][:]) {
			t.Fatalf("sibling %d disagrees", i)
		}
	}
	if (f.Leaf == nil) != (proof.Leaf == nil) ||
		f.Leaf != nil && (f.Leaf.Path != hexBytes(proof.Leaf.Path[:]) || f.Leaf.ValueHash != hexBytes(proof.Leaf.ValueHash[:])) {
		t.Fatalf("leaf disagrees")
	}

	// The key is the account's address (spec/state.md).
	key := mustHex(t, p.Key)
	addr, err := crypto.ParseAddress(ar.Account.Address)
	if err != nil || !bytes.Equal(key, addr[:]) {
		t.Fatalf("key %s is not the address %s", p.Key, ar.Account.Address)
	}

	if !p.Exists {
		if p.Value != "0x" {
			t.Fatalf("absent account with value %s", p.Value)
		}
		if err := smt.VerifyNonExistence(root, key, proof); err != nil {
			t.Fatalf("non-existence proof of %s: %v", ar.Account.Address, err)
		}
		zero := types.Account{Address: addr}
		if ar.Account != api.FromAccount(&zero) {
			t.Fatalf("absent account not zero: %+v", ar.Account)
		}
		return false
	}
	value := mustHex(t, p.Value)
	if err := smt.VerifyInclusion(root, key, value, proof); err != nil {
		t.Fatalf("inclusion proof of %s: %v", ar.Account.Address, err)
	}
	// The proven value is the account the JSON shows.
	var acc types.Account
	if err := acc.UnmarshalBorsh(value); err != nil {
		t.Fatal(err)
	}
	if acc.Address != addr || u64(acc.OramaBalance) != ar.Account.OramaBalance || u64(acc.BTCBalance) != ar.Account.BtcBalance ||
		u64(acc.Nonce) != ar.Account.Nonce || acc.Username != ar.Account.Username {
		t.Fatalf("proven account %+v != shown %+v", acc, ar.Account)
	}
	return true
}

func decodeProof(t *testing.T, s string) smt.Proof {
	t.Helper()
	var p smt.Proof
	if err := p.UnmarshalBinary(mustHex(t, s)); err != nil {
		t.Fatalf("proof %s: %v", s, err)
	}
	return p
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	raw, ok := strings.CutPrefix(s, "0x")
	b, err := hex.DecodeString(raw)
	if !ok || err != nil {
		t.Fatalf("not 0x hex: %q", s)
	}
	return b
}

func mustHash(t testing.TB, s string) [32]byte {
	t.Helper()
	var h [32]byte
	if b := mustHex(t, s); len(b) == 32 {
		copy(h[:], b)
		return h
	}
	t.Fatalf("not a hash: %q", s)
	return h
}
