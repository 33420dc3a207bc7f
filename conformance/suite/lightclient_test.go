package suite

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

const lcChain = 99

// lcFixture builds an account proof the way a node serves it: the account
// in a state tree, the header holding its root at height 5 (view 5), and a
// commit proof of child and grandchild in views 6 and 7 with QCs signed by
// the only validator.
func lcFixture(t *testing.T, withAccount bool) (*api.AccountResponse, types.Address, *consensus.ValidatorSet) {
	t.Helper()
	val := testKey(keyValidator)
	set, err := consensus.NewValidatorSetFromValidators([]types.Validator{{Address: val.Address(), Stake: 1}})
	if err != nil {
		t.Fatal(err)
	}
	addr := testKey(keyFunded).Address()
	acc := types.Account{Address: addr, OramaBalance: 12345, Nonce: 3, Username: "someone"}
	value, _ := acc.MarshalBorsh()
	tree, err := smt.Open(smt.NewMemStore(), smt.EmptyRoot)
	if err != nil {
		t.Fatal(err)
	}
	other := testKey(keyTransfer).Address()
	tree.Update(other[:], []byte{1, 2, 3})
	if withAccount {
		tree.Update(addr[:], value)
	}
	root, err := tree.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := tree.Prove(addr[:])
	if err != nil {
		t.Fatal(err)
	}
	enc, err := proof.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var fields types.SMTProof
	if err := fields.UnmarshalBorsh(enc); err != nil {
		t.Fatal(err)
	}

	qc := func(h *types.BlockHeader) types.QuorumCert {
		hh, _ := h.Hash()
		v := types.Vote{View: h.View, Height: h.Height, BlockHash: hh, Voter: val.Address()}
		payload, _ := v.SigningPayload()
		sig, err := crypto.SignDomain(val, crypto.DomainVote, lcChain, payload)
		if err != nil {
			t.Fatal(err)
		}
		return types.QuorumCert{View: h.View, Height: h.Height, BlockHash: hh,
			Votes: []types.ValidatorSignature{{Validator: val.Address(), Signature: sig}}}
	}
	hdr := types.BlockHeader{Height: 5, View: 5, StateRoot: root, Proposer: val.Address(), BaseFee: 7}
	hh, _ := hdr.Hash()
	child := types.BlockHeader{Height: 6, View: 6, ParentHash: hh, Proposer: val.Address(), BaseFee: 6, QC: qc(&hdr)}
	ch, _ := child.Hash()
	grand := types.BlockHeader{Height: 7, View: 7, ParentHash: ch, Proposer: val.Address(), BaseFee: 5, QC: qc(&child)}
	cp := types.CommitProof{Child: child, Grandchild: grand, QC: qc(&grand)}

	shown := acc
	val0 := "0x" + hex.EncodeToString(value)
	if !withAccount {
		shown = types.Account{Address: addr}
		val0 = "0x"
	}
	ar := &api.AccountResponse{Account: api.FromAccount(&shown), Height: "5", Proof: &api.AccountProof{
		Exists: withAccount, Key: "0x" + hex.EncodeToString(addr[:]), Value: val0,
		Proof: "0x" + hex.EncodeToString(enc), ProofFields: api.FromSMTProof(&fields),
		Header: apiHeader(&hdr), BlockHash: hashHex(hh),
		Finality: &api.FinalityProof{Headers: []api.BlockHeader{},
			CommitProof: api.CommitProof{Child: apiHeader(&child), Grandchild: apiHeader(&grand), Qc: api.FromQuorumCert(&cp.QC)}},
	}}
	return ar, addr, set
}

func apiHeader(h *types.BlockHeader) api.BlockHeader {
	out := api.FromBlockHeader(h)
	enc, _ := h.MarshalBorsh()
	b := "0x" + hex.EncodeToString(enc)
	out.Borsh = &b
	return out
}

// TestLightClient: the suite's verifier accepts a proof built as the spec
// says, and refuses every tampering a lying node could try.
func TestLightClient(t *testing.T) {
	for _, exists := range []bool{true, false} {
		ar, addr, set := lcFixture(t, exists)
		pa, err := verifyAccountProof(ar, addr, set, lcChain, true)
		if err != nil {
			t.Fatalf("exists=%v: a good proof refused: %v", exists, err)
		}
		if pa.exists != exists || !pa.final || pa.header.Height != 5 {
			t.Fatalf("exists=%v: proven %+v", exists, pa)
		}
	}

	tamper := []struct {
		name, want string
		edit       func(ar *api.AccountResponse)
	}{
		{"value", "step 3", func(ar *api.AccountResponse) { ar.Proof.Value = flipHexByte(ar.Proof.Value) }},
		{"balance shown", "not the account shown", func(ar *api.AccountResponse) { ar.Account.OramaBalance = "99999" }},
		{"a sibling", "step 3", func(ar *api.AccountResponse) {
			ar.Proof.Proof = flipHexByte(ar.Proof.Proof)
		}},
		{"proof_fields", "proof_fields", func(ar *api.AccountResponse) { ar.Proof.ProofFields.Siblings[0] = hashHex(types.Hash{9}) }},
		{"key", "key", func(ar *api.AccountResponse) { ar.Proof.Key = "0x" + strings.Repeat("11", 20) }},
		{"block_hash", "step 1", func(ar *api.AccountResponse) { ar.Proof.BlockHash = hashHex(types.Hash{1}) }},
		{"header field", "step 1", func(ar *api.AccountResponse) { ar.Proof.Header.BaseFee = "8" }},
		{"height", "step 1", func(ar *api.AccountResponse) { ar.Height = "6" }},
		{"exists flag", "step 3", func(ar *api.AccountResponse) { ar.Proof.Exists = false; ar.Proof.Value = "0x" }},
		{"no finality", "step 2", func(ar *api.AccountResponse) { ar.Proof.Finality = nil }},
		{"QC block", "step 2", func(ar *api.AccountResponse) {
			ar.Proof.Finality.CommitProof.Qc.BlockHash = hashHex(types.Hash{2})
		}},
		{"QC signature", "step 2", func(ar *api.AccountResponse) {
			// The same R||S with the other recovery id: it recovers another key.
			v := &ar.Proof.Finality.CommitProof.Qc.Votes[0]
			if strings.HasSuffix(v.Signature, "00") {
				v.Signature = v.Signature[:len(v.Signature)-2] + "01"
			} else {
				v.Signature = v.Signature[:len(v.Signature)-2] + "00"
			}
		}},
		{"unknown voter", "step 2", func(ar *api.AccountResponse) {
			ar.Proof.Finality.CommitProof.Qc.Votes[0].Validator = crypto.FormatAddress(testKey(keyTransfer).Address())
		}},
		{"non-consecutive views", "step 2", func(ar *api.AccountResponse) {
			g := &ar.Proof.Finality.CommitProof.Grandchild
			g.View = "9"
			g.Borsh = nil
		}},
		{"headers that do not extend", "step 2", func(ar *api.AccountResponse) {
			ar.Proof.Finality.Headers = []api.BlockHeader{ar.Proof.Finality.CommitProof.Grandchild}
		}},
	}
	for _, tc := range tamper {
		ar, addr, set := lcFixture(t, true)
		tc.edit(ar)
		_, err := verifyAccountProof(ar, addr, set, lcChain, true)
		if err == nil {
			t.Errorf("%s: a tampered proof verified", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: refused as %q, want it to name %q", tc.name, err, tc.want)
		}
	}

	// Another chain id: every signature is for chain 99.
	ar, addr, set := lcFixture(t, true)
	if _, err := verifyAccountProof(ar, addr, set, lcChain+1, true); err == nil {
		t.Error("a proof signed for another chain verified")
	}
	// Without finality a light client may read, but only when it does not
	// insist on it.
	ar.Proof.Finality = nil
	if pa, err := verifyAccountProof(ar, addr, set, lcChain, false); err != nil || pa.final {
		t.Errorf("no finality, not required: %v %+v", err, pa)
	}
	if ar.Height != strconv.Itoa(5) {
		t.Fatal("fixture height")
	}
}
