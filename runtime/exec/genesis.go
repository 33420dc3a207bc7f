package exec

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// ErrInvalidGenesis reports a genesis file that breaks a rule.
var ErrInvalidGenesis = errors.New("invalid genesis")

// ValidateGenesis checks the rules of the Genesis type: allocations and
// validators sorted by address without repeats, valid unique usernames, and
// allocations within the supply cap.
func ValidateGenesis(g *types.Genesis) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("exec: %w: %s", ErrInvalidGenesis, fmt.Sprintf(format, a...))
	}
	if g.ChainID == 0 {
		return bad("chain_id 0")
	}
	var total uint64
	names := map[string]bool{}
	for i, a := range g.Allocations {
		if i > 0 && bytes.Compare(g.Allocations[i-1].Address[:], a.Address[:]) >= 0 {
			return bad("allocations not sorted by address or repeated at %v", a.Address)
		}
		if a.Username != "" {
			if err := crypto.ValidateUsername(a.Username); err != nil {
				return bad("allocation %v: %v", a.Address, err)
			}
			if names[a.Username] {
				return bad("username %q allocated twice", a.Username)
			}
			names[a.Username] = true
		}
		if total+a.OramaBalance < total || total+a.OramaBalance > params.SupplyCapRays {
			return bad("allocations exceed the supply cap")
		}
		total += a.OramaBalance
	}
	if len(g.Validators) == 0 {
		return bad("no validators")
	}
	for i, v := range g.Validators {
		if i > 0 && bytes.Compare(g.Validators[i-1].Address[:], v.Address[:]) >= 0 {
			return bad("validators not sorted by address or repeated at %v", v.Address)
		}
		if v.Stake == 0 {
			return bad("validator %v has no stake", v.Address)
		}
	}
	return nil
}

// GenesisBlock builds block 0 from g, committing its state as version 0 in
// store. Block 0's parent_hash is the genesis file's hash, binding the chain
// to the exact file it started from.
func GenesisBlock(store smt.Store, g *types.Genesis) (*types.Block, error) {
	if err := ValidateGenesis(g); err != nil {
		return nil, err
	}
	st, err := state.Open(store, smt.EmptyRoot)
	if err != nil {
		return nil, err
	}
	var sup types.ChainSupply
	for _, a := range g.Allocations {
		st.SetAccount(types.Account{Address: a.Address, Username: a.Username, OramaBalance: a.OramaBalance, BTCBalance: a.BTCBalance})
		if a.Username != "" {
			st.SetUsername(a.Username, a.Address)
		}
		sup.MintedRays += a.OramaBalance
	}
	st.SetSupply(sup)
	root, err := st.Commit(0)
	if err != nil {
		return nil, err
	}
	gh, err := g.Hash()
	if err != nil {
		return nil, err
	}
	return &types.Block{Header: types.BlockHeader{
		Height:           0,
		ParentHash:       gh,
		StateRoot:        root,
		TransactionsRoot: MerkleRoot(nil),
		ReceiptsRoot:     MerkleRoot(nil),
		Timestamp:        g.Timestamp,
		BaseFee:          params.InitialBaseFee,
		// The genesis QC: all zero, no votes (an empty list, never nil, so
		// its JSON form is [] like every other empty list).
		QC: types.QuorumCert{Votes: []types.ValidatorSignature{}},
	}}, nil
}
