package chainvectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// memChain is a final chain in memory: driver.Chain for the import check,
// and mempool.State for the pool whose signature check the driver uses.
type memChain struct {
	states   *smt.MemStore
	blocks   []*types.Block
	hashes   []types.Hash
	receipts [][]types.Receipt
	proofs   map[uint64]bool
}

var _ driver.Chain = (*memChain)(nil)

func newMemChain(g *types.Genesis) (*memChain, error) {
	c := &memChain{states: smt.NewMemStore(), proofs: map[uint64]bool{}}
	b0, err := exec.GenesisBlock(c.states, g)
	if err != nil {
		return nil, err
	}
	h, err := b0.Header.Hash()
	if err != nil {
		return nil, err
	}
	c.blocks, c.hashes, c.receipts = []*types.Block{b0}, []types.Hash{h}, [][]types.Receipt{nil}
	return c, nil
}

func (c *memChain) Head() (*types.Block, types.Hash) {
	return c.blocks[len(c.blocks)-1], c.hashes[len(c.hashes)-1]
}

func (c *memChain) States() smt.Store { return c.states }

func (c *memChain) Commit(b *types.Block, receipts []types.Receipt, proof *types.CommitProof, _ []types.Account) error {
	h, err := b.Header.Hash()
	if err != nil {
		return err
	}
	c.blocks, c.hashes, c.receipts = append(c.blocks, b), append(c.hashes, h), append(c.receipts, receipts)
	if proof != nil {
		c.proofs[b.Header.Height] = true
	}
	return nil
}

func (c *memChain) SaveSafety(*types.SafetyRecord) error         { return nil }
func (c *memChain) Safety() (*types.SafetyRecord, bool, error)   { return nil, false, nil }
func (c *memChain) PutPending(*types.Block) error                { return nil }
func (c *memChain) PendingBlocks(uint64) ([]*types.Block, error) { return nil, nil }
func (c *memChain) Block(height uint64) (*types.Block, error) {
	if height >= uint64(len(c.blocks)) {
		return nil, fmt.Errorf("no block %d", height)
	}
	return c.blocks[height], nil
}

func (c *memChain) headState() (*state.State, error) {
	head, _ := c.Head()
	return state.OpenReadOnly(c.states, head.Header.StateRoot)
}

// HeadState implements driver.Chain: a fresh read-only state at the head
// (nil if it cannot be opened: execution then reads the tree).
func (c *memChain) HeadState() *state.State {
	st, err := c.headState()
	if err != nil {
		return nil
	}
	return st
}

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

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// importCheck imports file into a fresh in-memory chain through
// chainfile.Import and the driver's importer (the path `orama import`
// takes), and checks the result against what the case states and what
// was built: the report, then every imported block, its receipts and the
// head's state root.
func (b *builder) importCheck(file []byte, chain []*built, want *expectSpec) (chainfile.Report, error) {
	mc, err := newMemChain(b.g)
	if err != nil {
		return chainfile.Report{}, err
	}
	if _, h := mc.Head(); h != b.b0hash {
		return chainfile.Report{}, errors.New("block 0 differs between the builder and the chain")
	}
	pool := mempool.New(mempool.Config{ChainID: b.g.ChainID}, mc)
	d, err := driver.New(driver.Config{
		Genesis:      mc.blocks[0].Header,
		Validators:   b.g.Validators,
		Signer:       consensus.CryptoSigner{Key: b.vkeys[0], ChainID: b.g.ChainID},
		Verifier:     consensus.CryptoVerifier{ChainID: b.g.ChainID},
		Seed:         b.gh,
		BlockTime:    time.Second,
		ViewTimeout:  time.Second,
		TickInterval: time.Second,
		Clock:        fixedClock{time.Unix(int64(b.g.Timestamp), 0)},
	}, mc, pool, nil)
	if err != nil {
		return chainfile.Report{}, err
	}
	rep, err := chainfile.Import(context.Background(), bytes.NewReader(file), d.Importer())
	if err != nil {
		return rep, fmt.Errorf("import: %w", err)
	}
	if want.ImportedHeight == nil {
		return rep, errors.New("expect: no imported_height")
	}
	switch {
	case rep.ImportedHeight != *want.ImportedHeight:
		return rep, fmt.Errorf("import reaches height %d (refused: %s %v), the case expects %d", rep.ImportedHeight, rep.Reason, rep.Err, *want.ImportedHeight)
	case want.Refused == nil && rep.Refused():
		return rep, fmt.Errorf("import refuses block %d for %s (%v), the case expects no refusal", *rep.RefusedHeight, rep.Reason, rep.Err)
	case want.Refused != nil && !rep.Refused():
		return rep, fmt.Errorf("import refuses nothing, the case expects block %d refused for %s", want.Refused.Height, want.Refused.Reason)
	case want.Refused != nil && (*rep.RefusedHeight != want.Refused.Height || rep.Reason != want.Refused.Reason):
		return rep, fmt.Errorf("import refuses block %d for %s (%v), the case expects block %d for %s",
			*rep.RefusedHeight, rep.Reason, rep.Err, want.Refused.Height, want.Refused.Reason)
	}
	if int(rep.ImportedHeight) >= len(chain) {
		return rep, fmt.Errorf("import reaches height %d above the chain built", rep.ImportedHeight)
	}
	for h := uint64(1); h <= rep.ImportedHeight; h++ {
		c := chain[h]
		if mc.hashes[h] != c.hash {
			return rep, fmt.Errorf("imported block %d has hash %v, built %v", h, mc.hashes[h], c.hash)
		}
		if len(mc.receipts[h]) != len(c.receipt) {
			return rep, fmt.Errorf("imported block %d: %d receipts, built %d", h, len(mc.receipts[h]), len(c.receipt))
		}
		for i := range c.receipt {
			x, _ := mc.receipts[h][i].Hash()
			y, _ := c.receipt[i].Hash()
			if x != y {
				return rep, fmt.Errorf("imported block %d: receipt %d differs", h, i)
			}
		}
	}
	head, _ := mc.Head()
	if head.Header.StateRoot != chain[rep.ImportedHeight].root {
		return rep, fmt.Errorf("state after the import %v, built %v", head.Header.StateRoot, chain[rep.ImportedHeight].root)
	}
	return rep, nil
}
