package ns

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// StateProof proves a contract's orama.state value (or its absence) against
// a namespace root (spec/namespaces.md 5.1): the contract's NsAccount leaf
// in the top tree under its address, then the key's leaf in the tree whose
// root is that account's storage_root, with value Borsh bytes.
type StateProof struct {
	Position     uint64
	Root         types.Hash
	Account      types.NsAccount
	AccountProof smt.Proof
	Found        bool
	Value        []byte
	StorageProof smt.Proof
}

// ErrNoRoot: a Tier 0 namespace has no root to prove against.
var ErrNoRoot = errors.New("ns: a Tier 0 namespace has no state root")

// ProveState proves a contract's state key at the committed head.
func (n *Namespace) ProveState(contract types.Address, key []byte) (*StateProof, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.m
	if !m.tier1() {
		return nil, ErrNoRoot
	}
	p := &StateProof{Position: m.head.Position, Root: m.head.Root}
	top, err := smt.Open(m.nodes, m.head.Root, smt.WithNamespace(treeTop))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	enc, err := top.Get(contract[:])
	if err != nil {
		return nil, fmt.Errorf("%w: no account %x under the root: %w", ErrNotFound, contract, err)
	}
	if err := p.Account.UnmarshalBorsh(enc); err != nil {
		return nil, fmt.Errorf("ns: account leaf: %w", err)
	}
	if p.AccountProof, err = top.Prove(contract[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	st, err := smt.Open(m.nodes, p.Account.StorageRoot, smt.WithNamespace(treeStorage(contract)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if v, err := st.Get(key); err == nil {
		p.Found = true
		if len(v) < 4 {
			return nil, fmt.Errorf("ns: storage leaf of %d bytes", len(v))
		}
		p.Value = v[4:]
	} else if !errors.Is(err, smt.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if p.StorageProof, err = st.Prove(key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	return p, nil
}

// VerifyStateProof checks p for (contract, key) against root: what a client
// holding a trusted namespace root runs.
func VerifyStateProof(root types.Hash, contract types.Address, key []byte, p *StateProof) error {
	acc, err := p.Account.MarshalBorsh()
	if err != nil {
		return err
	}
	if err := smt.VerifyInclusion(root, contract[:], acc, p.AccountProof); err != nil {
		return fmt.Errorf("ns: account proof: %w", err)
	}
	if p.Found {
		return smt.VerifyInclusion(p.Account.StorageRoot, key, borshBytes(p.Value), p.StorageProof)
	}
	return smt.VerifyNonExistence(p.Account.StorageRoot, key, p.StorageProof)
}
