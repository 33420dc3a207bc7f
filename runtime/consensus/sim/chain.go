package sim

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// memChain is a simulated node's final chain and its "disk": the state
// tree in memory, the final blocks and their commit proofs, the persisted
// safety data and the recorded proposed blocks. It implements
// driver.Chain, and mempool.State for the node's pool. What a restart
// keeps is exactly what is here; the driver's memory is lost.
type memChain struct {
	s    *Sim
	node *Node

	states  *smt.MemStore
	blocks  []*types.Block // by height
	hashes  []types.Hash
	proofs  map[uint64]*types.CommitProof
	safety  *types.SafetyRecord
	pending map[types.Hash]*types.Block
	pool    *mempool.Pool
	head    *state.State // read-only, at the head's root; nil until asked for
}

func newMemChain(s *Sim, g *types.Genesis) (*memChain, error) {
	c := &memChain{s: s, states: smt.NewMemStore(), proofs: map[uint64]*types.CommitProof{}, pending: map[types.Hash]*types.Block{}}
	b0, err := exec.GenesisBlock(c.states, g)
	if err != nil {
		return nil, err
	}
	h, err := b0.Header.Hash()
	if err != nil {
		return nil, err
	}
	c.blocks, c.hashes = []*types.Block{b0}, []types.Hash{h}
	return c, nil
}

func (c *memChain) Head() (*types.Block, types.Hash) {
	return c.blocks[len(c.blocks)-1], c.hashes[len(c.hashes)-1]
}

func (c *memChain) States() smt.Store { return c.states }

// Commit appends a final block, checking what the simulator checks of
// every commit: it extends this node's chain, its proof proves it final,
// and no honest node finalized another block at its height.
func (c *memChain) Commit(b *types.Block, receipts []types.Receipt, proof *types.CommitProof, written []types.Account) error {
	head, hh := c.Head()
	h, err := b.Header.Hash()
	if err != nil {
		return err
	}
	if b.Header.Height != head.Header.Height+1 || b.Header.ParentHash != hh {
		c.s.violate(c.node, fmt.Errorf("node %d committed height %d not extending its height %d", c.node.ID, b.Header.Height, head.Header.Height))
	}
	if proof != nil && !c.s.opts.UnsafeNoViewCheck {
		if err := consensus.VerifyCommitProof(c.s.set, FakeVerifier{}, &b.Header, proof); err != nil {
			c.s.violate(c.node, fmt.Errorf("node %d: %w", c.node.ID, err))
		}
	}
	if proof != nil {
		c.proofs[b.Header.Height] = proof
	}
	c.blocks, c.hashes = append(c.blocks, b), append(c.hashes, h)
	// The next head state as a node's: the block's writes over the cache
	// of the last, so the simulator runs what production reads through.
	if c.head != nil {
		if c.head, err = c.head.Next(b.Header.StateRoot, written); err != nil {
			return err
		}
	}
	for k, p := range c.pending {
		if p.Header.Height <= b.Header.Height {
			delete(c.pending, k)
		}
	}
	c.node.Commits = append(c.node.Commits, b.Header)
	if at, ok := c.s.proposedAt[h]; ok && c.node.Honest {
		c.s.Finality = append(c.s.Finality, Finality{Ticks: c.s.Now - at, Views: c.node.Driver.View() - b.Header.View})
	}
	c.s.committed(c.node, b.Header.Height, h)
	hashes := make([]types.Hash, len(receipts))
	senders := make([]types.Address, len(receipts))
	for i := range receipts {
		hashes[i], senders[i] = receipts[i].TxHash, b.Transactions[i].From
	}
	if err := c.pool.Update(hashes, senders); err != nil {
		return err
	}
	c.pool.SetBaseFee(exec.NextHeader(&b.Header, h, types.Address{}, 0).BaseFee)
	return nil
}

func (c *memChain) SaveSafety(r *types.SafetyRecord) error {
	cp := *r
	c.safety = &cp
	return nil
}

func (c *memChain) Safety() (*types.SafetyRecord, bool, error) {
	if c.safety == nil {
		return nil, false, nil
	}
	cp := *c.safety
	return &cp, true, nil
}

func (c *memChain) PutPending(b *types.Block) error {
	h, err := b.Header.Hash()
	if err != nil {
		return err
	}
	c.pending[h] = b
	return nil
}

// PendingBlocks returns the recorded proposals above a height, by height
// then hash, so that a restart replays them in one order.
// Block returns the final block at height.
func (c *memChain) Block(height uint64) (*types.Block, error) {
	if height >= uint64(len(c.blocks)) {
		return nil, errors.New("sim: no final block at that height")
	}
	return c.blocks[height], nil
}

func (c *memChain) PendingBlocks(above uint64) ([]*types.Block, error) {
	if c.s.opts.LosePending {
		return nil, nil
	}
	var out []*types.Block
	for _, b := range c.pending {
		if b.Header.Height > above {
			out = append(out, b)
		}
	}
	sortBlocks(out)
	return out, nil
}

func (c *memChain) headState() (*state.State, error) {
	if c.head == nil {
		head, _ := c.Head()
		st, err := state.OpenHead(c.states, head.Header.StateRoot)
		if err != nil {
			return nil, err
		}
		c.head = st
	}
	return c.head, nil
}

// HeadState implements driver.Chain.
func (c *memChain) HeadState() *state.State {
	st, err := c.headState()
	if err != nil {
		return nil // execution then reads the tree
	}
	return st
}

// Account and UsernameOwner make memChain the pool's mempool.State.
func (c *memChain) Account(a types.Address) (types.Account, error) {
	st, err := c.headState()
	if err != nil {
		return types.Account{}, err
	}
	return st.Account(a)
}

func (c *memChain) UsernameOwner(name string) (types.Address, bool, error) {
	st, err := c.headState()
	if err != nil {
		return types.Address{}, false, err
	}
	return st.UsernameOwner(name)
}

// syncRange serves block sync as runtime/node does: final blocks from
// from on, up to the highest one within max that has a commit proof, and
// that proof; or max blocks without one.
func (c *memChain) syncRange(from uint64, max int) *types.SyncResponse {
	head, _ := c.Head()
	resp := &types.SyncResponse{HeadHeight: head.Header.Height}
	if from == 0 || from > head.Header.Height || max <= 0 {
		return resp
	}
	end := min(from+uint64(max)-1, head.Header.Height)
	for h := end; h >= from; h-- {
		if p, ok := c.proofs[h]; ok {
			end, resp.Proof = h, p
			break
		}
	}
	for h := from; h <= end; h++ {
		resp.Blocks = append(resp.Blocks, *c.blocks[h])
	}
	return resp
}
