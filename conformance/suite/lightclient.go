package suite

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// A light client: what spec/openapi.yaml AccountProof says a client holding
// the validator set and the chain id must check before it believes an
// account, done by the suite itself.

// provenAccount is what a verified proof establishes.
type provenAccount struct {
	exists  bool
	account types.Account
	header  types.BlockHeader
	hash    types.Hash
	final   bool // the finality proof was present and verified
}

// verifyAccountProof checks ar as AccountProof's steps 1-3 say, for the
// account addr. With needFinality, a response without `finality` is
// refused, as a light client refuses it.
func verifyAccountProof(ar *api.AccountResponse, addr types.Address, set *consensus.ValidatorSet, chainID uint64, needFinality bool) (*provenAccount, error) {
	p := ar.Proof
	if p == nil {
		return nil, errors.New("no proof in the response")
	}
	// 1. The header hashes to block_hash and is at the response's height.
	hdr, hh, err := headerFromAPI(p.Header)
	if err != nil {
		return nil, fmt.Errorf("step 1 (header): %w", err)
	}
	if hashHex(hh) != string(p.BlockHash) {
		return nil, fmt.Errorf("step 1 (header): SHA-256 of the header is %s, block_hash %s", hashHex(hh), p.BlockHash)
	}
	if strconv.FormatUint(hdr.Height, 10) != ar.Height {
		return nil, fmt.Errorf("step 1 (header): header height %d, response height %s", hdr.Height, ar.Height)
	}
	out := &provenAccount{header: hdr, hash: hh}

	// 2. Finality: headers extend the header, the commit proof makes the
	// last one final.
	switch {
	case p.Finality != nil:
		if err := verifyFinality(set, chainID, &hdr, hh, p.Finality); err != nil {
			return nil, fmt.Errorf("step 2 (finality): %w", err)
		}
		out.final = true
	case needFinality:
		return nil, errors.New("step 2 (finality): no finality proof; a light client refuses the response")
	}

	// 3. State: the key is the address, the proof decodes strictly to
	// proof_fields and proves value (or absence) against the state root.
	key, err := parseHex(string(p.Key))
	if err != nil || !bytes.Equal(key, accountKey(addr)) {
		return nil, fmt.Errorf("step 3 (state): key %s is not the address %s", p.Key, crypto.FormatAddress(addr))
	}
	enc, err := parseHex(string(p.Proof))
	if err != nil {
		return nil, fmt.Errorf("step 3 (state): proof: %w", err)
	}
	var fields types.SMTProof
	if err := fields.UnmarshalBorsh(enc); err != nil {
		return nil, fmt.Errorf("step 3 (state): proof is not a strict Borsh SMTProof: %w", err)
	}
	var shown types.SMTProof
	if err := fromAPI(p.ProofFields, &shown); err != nil {
		return nil, fmt.Errorf("step 3 (state): proof_fields: %w", err)
	}
	if !deepEqual(&fields, &shown) {
		return nil, errors.New("step 3 (state): proof_fields are not the decoding of proof")
	}
	var proof smt.Proof
	if err := proof.UnmarshalBinary(enc); err != nil {
		return nil, fmt.Errorf("step 3 (state): proof: %w", err)
	}
	value, err := parseHex(string(p.Value))
	if err != nil {
		return nil, fmt.Errorf("step 3 (state): value: %w", err)
	}
	var shownAcc types.Account
	if err := fromAPI(ar.Account, &shownAcc); err != nil {
		return nil, fmt.Errorf("step 3 (state): account: %w", err)
	}
	if p.Exists {
		if err := smt.VerifyInclusion(hdr.StateRoot, key, value, proof); err != nil {
			return nil, fmt.Errorf("step 3 (state): inclusion of the account against state root %s: %w", hashHex(hdr.StateRoot), err)
		}
		if err := out.account.UnmarshalBorsh(value); err != nil {
			return nil, fmt.Errorf("step 3 (state): value is not a Borsh Account: %w", err)
		}
		if !deepEqual(&out.account, &shownAcc) {
			return nil, errors.New("step 3 (state): the proven Account is not the account shown")
		}
		out.exists = true
		return out, nil
	}
	if len(value) != 0 {
		return nil, fmt.Errorf("step 3 (state): absent account with value %s", p.Value)
	}
	if err := smt.VerifyNonExistence(hdr.StateRoot, key, proof); err != nil {
		return nil, fmt.Errorf("step 3 (state): non-existence against state root %s: %w", hashHex(hdr.StateRoot), err)
	}
	zero := types.Account{Address: addr}
	if !deepEqual(&zero, &shownAcc) {
		return nil, errors.New("step 3 (state): an absent account shown with a balance, nonce, username or root")
	}
	out.account = zero
	return out, nil
}

// verifyFinality is AccountProof step 2 for the header hdr (hash hh).
func verifyFinality(set *consensus.ValidatorSet, chainID uint64, hdr *types.BlockHeader, hh types.Hash, f *api.FinalityProof) error {
	last, lastHash := *hdr, hh
	for i, h := range f.Headers {
		next, nh, err := headerFromAPI(h)
		if err != nil {
			return fmt.Errorf("headers[%d]: %w", i, err)
		}
		if next.ParentHash != lastHash || next.Height != last.Height+1 {
			return fmt.Errorf("headers[%d] (height %d) does not extend height %d", i, next.Height, last.Height)
		}
		last, lastHash = next, nh
	}
	var cp types.CommitProof
	var err error
	if cp.Child, _, err = headerFromAPI(f.CommitProof.Child); err != nil {
		return fmt.Errorf("commit proof child: %w", err)
	}
	if cp.Grandchild, _, err = headerFromAPI(f.CommitProof.Grandchild); err != nil {
		return fmt.Errorf("commit proof grandchild: %w", err)
	}
	if err := fromAPI(f.CommitProof.Qc, &cp.QC); err != nil {
		return fmt.Errorf("commit proof qc: %w", err)
	}
	if err := consensus.VerifyCommitProof(set, consensus.CryptoVerifier{ChainID: chainID}, &last, &cp); err != nil {
		return err
	}
	return nil
}
