package node

import (
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/exec"
)

// CommitLocalBlock is a test fixture, not a way to run a chain: it builds
// the next block from the mempool with the proposer's rules (driver.Fill,
// exec.NextHeader) and commits it at once with this validator's own vote
// as its parent's QC, without consensus. REST and CLI tests use it to lay
// down a known chain one block at a time. A node that runs a chain runs
// Run (consensus through runtime/driver), whatever the number of
// validators; the crash soak and the throughput bar go through Run.
func (n *Node) CommitLocalBlock() (*types.Block, error) {
	h := n.Head().Header
	return n.commitLocal(n.pool.Select(exec.NextHeader(&h, types.Hash{}, n.me, 0).BaseFee, params.BlockGasLimit, params.MaxBlockTransactions))
}

// commitLocal is CommitLocalBlock with the candidates given: the
// proposer's rules decide which of them the block holds.
func (n *Node) commitLocal(picked []*types.Transaction) (*types.Block, error) {
	parent, ph := n.headAndHash()
	hdr := exec.NextHeader(&parent.Header, ph, n.me, uint64(n.cfg.Now().Unix()))
	hdr.View = hdr.Height
	// The head state is the parent's: fork it so that execution reads the
	// accounts admission has just cached instead of walking the tree again.
	st, err := n.State().Fork()
	if err != nil {
		return nil, err
	}
	res, txs, err := driver.Fill(st, exec.Env{Height: hdr.Height, Proposer: n.me, BaseFee: hdr.BaseFee, Validators: exec.ValidatorAddresses(n.genesis.Validators)}, picked, nil, nil)
	if err != nil {
		return nil, err
	}
	res.Fill(&hdr)
	if hdr.QC, err = n.selfQC(parent, ph); err != nil {
		return nil, err
	}
	b := &types.Block{Header: hdr, Transactions: txs}
	if err := n.finish(b, res.Receipts, nil, st.Written()); err != nil {
		return nil, err
	}
	return b, nil
}

// selfQC certifies the parent with this validator's own vote: with one
// validator its vote is all of the power.
func (n *Node) selfQC(parent *types.Block, parentHash types.Hash) (types.QuorumCert, error) {
	v := types.Vote{View: parent.Header.View, Height: parent.Header.Height, BlockHash: parentHash, Voter: n.me}
	payload, err := v.SigningPayload()
	if err != nil {
		return types.QuorumCert{}, err
	}
	sig, err := crypto.SignDomain(n.key, crypto.DomainVote, n.genesis.ChainID, payload)
	if err != nil {
		return types.QuorumCert{}, err
	}
	return types.QuorumCert{
		View: v.View, Height: v.Height, BlockHash: parentHash,
		Votes: []types.ValidatorSignature{{Validator: n.me, Signature: sig}},
	}, nil
}
