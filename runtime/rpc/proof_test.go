package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// TestAccountProofLightClient checks GET /v1/accounts/{id}?proof=true the
// way a light client would: from the JSON response alone, with runtime/smt's
// verifier, against the state root in the returned header, and the header's
// finality with consensus.VerifyCommitProof against the validator set.
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
	// Three empty blocks make block 4 provably final (its child and
	// grandchild in consecutive views, and the next header's QC for the
	// grandchild): the default proof is against it.
	for range 3 {
		produce(t, n)
	}

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
	if ar.Proof.Finality != nil {
		if err := verifyFinality(testSet(t), testChainID, ar.Proof); err != nil {
			t.Fatalf("%s: finality: %v", idAndQuery, err)
		}
	}
	return ar
}

// testSet is the validator set of testGenesis.
func testSet(t testing.TB) *consensus.ValidatorSet {
	t.Helper()
	g, _ := testGenesis()
	set, err := consensus.NewValidatorSetFromValidators(g.Validators)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// verifyFinality checks that p's header is final the way a light client
// holding set does (AccountProof in spec/openapi.yaml): every header from
// its JSON fields, which must be its Borsh encoding, the headers chained by
// parent hash up to the block the commit proof is for, and the proof with
// consensus.VerifyCommitProof and real signatures.
func verifyFinality(set *consensus.ValidatorSet, chainID uint64, p *api.AccountProof) error {
	if p.Finality == nil {
		return errors.New("no finality")
	}
	last, lastHash, err := headerFromAPI(p.Header)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if hash32(lastHash) != p.BlockHash {
		return fmt.Errorf("header hash %x is not block_hash %s", lastHash, p.BlockHash)
	}
	for i, h := range p.Finality.Headers {
		hd, hh, err := headerFromAPI(h)
		if err != nil {
			return fmt.Errorf("headers[%d]: %w", i, err)
		}
		if hd.ParentHash != lastHash || hd.Height != last.Height+1 {
			return fmt.Errorf("headers[%d] does not extend height %d", i, last.Height)
		}
		last, lastHash = hd, hh
	}
	cp := p.Finality.CommitProof
	var proof types.CommitProof
	if proof.Child, _, err = headerFromAPI(cp.Child); err != nil {
		return fmt.Errorf("child: %w", err)
	}
	if proof.Grandchild, _, err = headerFromAPI(cp.Grandchild); err != nil {
		return fmt.Errorf("grandchild: %w", err)
	}
	if proof.QC, err = qcFromAPI(cp.Qc); err != nil {
		return fmt.Errorf("qc: %w", err)
	}
	return consensus.VerifyCommitProof(set, consensus.CryptoVerifier{ChainID: chainID}, &last, &proof)
}

// headerFromAPI decodes a header's Borsh encoding, requires its JSON fields
// to be that header's, and returns it with its hash.
func headerFromAPI(h api.BlockHeader) (types.BlockHeader, types.Hash, error) {
	var hd types.BlockHeader
	if h.Borsh == nil {
		return hd, types.Hash{}, errors.New("no borsh")
	}
	raw, ok := strings.CutPrefix(*h.Borsh, "0x")
	enc, err := hex.DecodeString(raw)
	if !ok || err != nil {
		return hd, types.Hash{}, fmt.Errorf("borsh %q is not 0x hex", *h.Borsh)
	}
	if err := hd.UnmarshalBorsh(enc); err != nil {
		return hd, types.Hash{}, err
	}
	shown := h
	shown.Borsh = nil
	if !reflect.DeepEqual(api.FromBlockHeader(&hd), shown) {
		return hd, types.Hash{}, fmt.Errorf("JSON fields of height %s disagree with the encoding", h.Height)
	}
	return hd, sha256.Sum256(enc), nil
}

// qcFromAPI parses a QC's JSON form; the result must convert back to it.
func qcFromAPI(q api.QuorumCert) (types.QuorumCert, error) {
	var qc types.QuorumCert
	var err error
	if qc.View, err = strconv.ParseUint(q.View, 10, 64); err != nil {
		return qc, err
	}
	if qc.Height, err = strconv.ParseUint(q.Height, 10, 64); err != nil {
		return qc, err
	}
	if err := hexInto(qc.BlockHash[:], q.BlockHash); err != nil {
		return qc, err
	}
	for _, v := range q.Votes {
		var vs types.ValidatorSignature
		if vs.Validator, err = crypto.ParseAddress(v.Validator); err != nil {
			return qc, err
		}
		if err := hexInto(vs.Signature[:], v.Signature); err != nil {
			return qc, err
		}
		qc.Votes = append(qc.Votes, vs)
	}
	if !reflect.DeepEqual(api.FromQuorumCert(&qc), q) {
		return qc, errors.New("QC does not round-trip")
	}
	return qc, nil
}

func hexInto(dst []byte, s string) error {
	raw, ok := strings.CutPrefix(s, "0x")
	b, err := hex.DecodeString(raw)
	if !ok || err != nil || len(b) != len(dst) {
		return fmt.Errorf("%q is not %d bytes of 0x hex", s, len(dst))
	}
	copy(dst, b)
	return nil
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

// TestAccountProofFinality checks which block a proof is against and the
// finality it carries, on a chain laid down without consensus (no recorded
// commit proofs): the node builds each proof from the stored blocks, and a
// light client's check accepts exactly what it should.
func TestAccountProofFinality(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	alice, bob := keys[aliceKey], keys[bobKey]
	for i := range uint64(6) {
		if r := c.send(encodeTx(t, transfer(alice, i, bob.Address(), params.RaysPerOrama))); r.status != 202 {
			t.Fatal(string(r.body))
		}
		produce(t, n)
	}
	head := n.Head().Header.Height // 6

	// Default: the highest provable block, three below the head.
	ar := getProof(t, c, "@alice?proof=true")
	if ar.Height != u64(head-3) || ar.Account.Nonce != u64(head-3) || ar.Proof.Finality == nil || len(ar.Proof.Finality.Headers) != 0 {
		t.Fatalf("default proof at height %s nonce %s, finality %+v; want height %d with its own commit proof",
			ar.Height, ar.Account.Nonce, ar.Proof.Finality, head-3)
	}
	if !lightVerify(t, ar) {
		t.Fatal("alice has no leaf")
	}

	for h := uint64(0); h <= head; h++ {
		ar := getProof(t, c, fmt.Sprintf("@alice?proof=true&height=%d", h))
		lightVerify(t, ar)
		fin := ar.Proof.Finality
		switch {
		case h+3 > head:
			// The node still answers; a light client refuses it.
			if fin != nil {
				t.Errorf("height %d: finality without a grandchild's QC", h)
			}
		case h == 0:
			// Block 1 carries the genesis QC, so block 0 is proven
			// through block 1.
			if fin == nil || len(fin.Headers) != 1 || fin.Headers[0].Height != "1" {
				t.Errorf("height 0: finality %+v, want the proof of block 1 and its header", fin)
			}
		default:
			if fin == nil || len(fin.Headers) != 0 {
				t.Errorf("height %d: finality %+v, want its own commit proof", h, fin)
			}
		}
	}

	// The check above is a real one: each single change is refused.
	set := testSet(t)
	good := getProof(t, c, "@alice?proof=true&height=0").Proof
	if err := verifyFinality(set, testChainID, good); err != nil {
		t.Fatal(err)
	}
	other, err := consensus.NewValidatorSet([]consensus.Member{{Address: testKey(99).Address(), Power: validatorStake}})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyFinality(other, testChainID, good); !errors.Is(err, consensus.ErrUnknownValidator) {
		t.Errorf("another validator set: %v", err)
	}
	if err := verifyFinality(set, testChainID+1, good); !errors.Is(err, consensus.ErrBadSignature) {
		t.Errorf("another chain id: %v", err)
	}
	for name, mut := range map[string]func(p *api.AccountProof){
		"no headers": func(p *api.AccountProof) { p.Finality.Headers = nil },
		"state root": func(p *api.AccountProof) { p.Header.StateRoot = p.Finality.CommitProof.Child.StateRoot },
		"block hash": func(p *api.AccountProof) { p.BlockHash = p.Header.StateRoot },
		"vote signature": func(p *api.AccountProof) {
			v := &p.Finality.CommitProof.Qc.Votes[0]
			v.Signature = flipHex(v.Signature)
		},
		"proof QC view":   func(p *api.AccountProof) { p.Finality.CommitProof.Qc.View = "99" },
		"no votes":        func(p *api.AccountProof) { p.Finality.CommitProof.Qc.Votes = nil },
		"child for other": func(p *api.AccountProof) { p.Finality.CommitProof.Child = p.Finality.CommitProof.Grandchild },
		"no finality":     func(p *api.AccountProof) { p.Finality = nil },
	} {
		p := cloneProof(t, good)
		mut(p)
		if err := verifyFinality(set, testChainID, p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAccountProofConsensus runs the node's consensus (one validator), which
// records a commit proof with every commit: the default proof is against
// a recent block with that very proof, and every height verifies.
func TestAccountProofConsensus(t *testing.T) {
	n, keys := newTestNode(t, node.Config{BlockTime: 20 * time.Millisecond, TickInterval: 5 * time.Millisecond})
	c := newServer(t, n, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	if r := c.send(encodeTx(t, transfer(keys[aliceKey], 0, keys[bobKey].Address(), params.RaysPerOrama))); r.status != 202 {
		t.Fatal(string(r.body))
	}
	deadline := time.Now().Add(20 * time.Second)
	for n.Head().Header.Height < 6 || n.State() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("head %d after 20 s", n.Head().Header.Height)
		}
		time.Sleep(10 * time.Millisecond)
	}

	ar := getProof(t, c, "@alice?proof=true")
	fin := ar.Proof.Finality
	if fin == nil || len(fin.Headers) != 0 || ar.Account.Nonce != "1" {
		t.Fatalf("default proof at %s: nonce %s, finality %+v", ar.Height, ar.Account.Nonce, fin)
	}
	h, err := strconv.ParseUint(ar.Height, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := n.Store().CommitProof(h)
	if err != nil {
		t.Fatalf("height %d has no recorded proof: %v", h, err)
	}
	if got := api.FromCommitProof(recorded); got.Qc.BlockHash != fin.CommitProof.Qc.BlockHash || got.Child.StateRoot != fin.CommitProof.Child.StateRoot {
		t.Fatalf("the answer's commit proof is not the recorded one")
	}
	for k := uint64(0); k <= h; k++ {
		ar := getProof(t, c, fmt.Sprintf("%s?proof=true&height=%d", crypto.FormatAddress(keys[bobKey].Address()), k))
		if ar.Proof.Finality == nil {
			t.Errorf("height %d: no finality", k)
		}
		lightVerify(t, ar)
	}
}

func flipHex(s string) string {
	b := []byte(s)
	if b[len(b)-3] == '0' {
		b[len(b)-3] = '1'
	} else {
		b[len(b)-3] = '0'
	}
	return string(b)
}

// cloneProof deep-copies p through its JSON.
func cloneProof(t *testing.T, p *api.AccountProof) *api.AccountProof {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out api.AccountProof
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}
