package driver

import (
	"errors"
	"fmt"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// producer builds this node's proposals: it holds the core's last
// RequestProposal until pacing allows, then builds and executes the block
// and hands it back as a ProposalBuilt event.
type producer struct {
	me        types.Address
	blockTime time.Duration
	pool      Pool
	blocks    *blocks
	clock     Clock

	// fetch asks peers for a block (Network.RequestBlock); nil alone.
	fetch func(types.Hash)

	pending *consensus.RequestProposal
	asked   bool // the pending request's parent was asked for

	// last is this node's own proposal of the highest view, recorded
	// before it was broadcast: after a restart the core asks again for a
	// view it already proposed in, and building a second block for it
	// would be equivocation. The recorded block is proposed again instead.
	last *types.Block
}

// built records a proposal of this node's.
func (p *producer) built(b *types.Block) {
	if p.last == nil || b.Header.View > p.last.Header.View {
		p.last = b
	}
}

// request records what the core asked for.
func (p *producer) request(r consensus.RequestProposal) { p.pending, p.asked = &r, false }

// due reports when the pending request may be built, if one waits on
// pacing alone: the loop sets a timer for it instead of waiting for a tick.
func (p *producer) due() (time.Time, bool) {
	r := p.pending
	if r == nil {
		return time.Time{}, false
	}
	parentHash, ok := p.parentHash(r)
	if !ok {
		return time.Time{}, false // ready drops it
	}
	if _, ok := p.blocks.parentOf(parentHash); !ok {
		return time.Time{}, false
	}
	return p.dueOn(parentHash), true
}

// parentHash is the block r asks to build on; false when r carries the
// genesis QC but the chain has left genesis (nothing to build on).
func (p *producer) parentHash(r *consensus.RequestProposal) (types.Hash, bool) {
	if !consensus.IsGenesisQC(&r.QC) {
		return r.QC.BlockHash, true
	}
	head, hh := p.blocks.chain.Head()
	return hh, head.Header.Height == 0
}

// dueOn is when a proposal on parentHash may be built: a block time after
// the parent was first seen, half of one when the mempool holds a full
// block of transactions the uncommitted ancestors do not (the pool keeps
// those until they are final: counting them would pace blocks that have
// nothing to carry as a backlog).
func (p *producer) dueOn(parentHash types.Hash) time.Time {
	wait := p.blockTime
	if p.pool.Len()-p.blocks.ancestorTxCount(parentHash) >= params.MaxBlockTransactions {
		wait /= 2
	}
	return p.blocks.seen(parentHash).Add(wait)
}

// ready builds the requested block once pacing allows: a block time after
// the parent was first seen, or half of one when the mempool holds a full
// block (spec/consensus.md, "Pacing"). It returns nil while it waits.
func (p *producer) ready(view uint64) (consensus.Event, error) {
	r := p.pending
	if r == nil {
		return nil, nil
	}
	if r.View < view {
		p.pending = nil // the core moved on
		return nil, nil
	}
	if p.last != nil && r.View <= p.last.Header.View {
		p.pending = nil
		if r.View == p.last.Header.View {
			return consensus.ProposalBuilt{Header: p.last.Header}, nil
		}
		return nil, nil
	}
	parentHash, ok := p.parentHash(r)
	if !ok {
		p.pending = nil
		return nil, nil
	}
	parent, ok := p.blocks.parentOf(parentHash)
	if !ok {
		// The QC came from votes for a block whose proposal never reached
		// this node: ask peers for it, once per request.
		if !p.asked && p.fetch != nil {
			p.asked = true
			p.fetch(parentHash)
		}
		return nil, nil
	}
	if p.clock.Now().Before(p.dueOn(parentHash)) {
		return nil, nil
	}
	p.pending = nil
	b, err := p.build(r, parentHash, &parent)
	if errors.Is(err, ErrNoBody) || errors.Is(err, ErrBadBlock) {
		// The QC certifies a block this node cannot build on: a fork the
		// chain has left behind (a high QC older than what range sync
		// brought), or one whose ancestors never arrived. Nothing is
		// proposed; the view times out like a silent leader's.
		return nil, nil
	}
	if err != nil {
		return nil, fatal{fmt.Errorf("driver: build block for view %d: %w", r.View, err)}
	}
	return consensus.ProposalBuilt{Header: b.Header}, nil
}

// build assembles and executes this node's proposal on its parent.
func (p *producer) build(r *consensus.RequestProposal, parentHash types.Hash, parent *types.BlockHeader) (*types.Block, error) {
	// Transactions already in the uncommitted ancestors must not repeat.
	exclude := p.blocks.ancestorTxs(parentHash)
	hdr := exec.NextHeader(parent, parentHash, p.me, uint64(p.clock.Now().Unix()))
	hdr.View, hdr.QC, hdr.TimeoutCert = r.View, r.QC, r.TC
	picked, hashes := p.pool.SelectExcluding(hdr.BaseFee, params.BlockGasLimit, params.MaxBlockTransactions, exclude)
	ov, st, pspec, err := p.blocks.open(parentHash, parent)
	if err != nil {
		return nil, err
	}
	res, txs, err := Fill(st, p.blocks.env(hdr.Height, p.me, hdr.BaseFee), picked, hashes, exclude)
	if err != nil {
		return nil, err
	}
	res.Fill(&hdr)
	b := &types.Block{Header: hdr, Transactions: txs}
	h, err := hdr.Hash()
	if err != nil {
		return nil, err
	}
	// Recorded (synced) before the core broadcasts it: after a restart
	// this node proposes it again rather than a second block (built).
	if err := p.blocks.add(h, b); err != nil {
		return nil, err
	}
	p.built(b)
	p.blocks.record(newSpeculative(b, h, ov, res.Receipts, st, pspec))
	return b, nil
}

// Fill builds a block body on st from picked, the pool's selection in
// block order, executing each transaction as it goes. It leaves out a
// transaction already in an uncommitted ancestor (exclude), one that is
// not includable at its place (spec/state.md: a block holding it would be
// invalid), and every later transaction of a sender once one of its own
// was left out, since their nonces no longer follow. Proposers therefore
// never build an invalid block, whatever the pool holds. hashes, when not
// nil, holds each picked transaction's hash (the pool's); nil: Fill hashes.
func Fill(st *state.State, env exec.Env, picked []*types.Transaction, hashes []types.Hash, exclude map[types.Hash]bool) (*exec.Result, []types.Transaction, error) {
	n := min(len(picked), params.MaxBlockTransactions)
	blk := exec.Begin(st, env, n)
	txs := make([]types.Transaction, 0, n)
	var skipped map[types.Address]bool
	for i, tx := range picked {
		if blk.Len() == params.MaxBlockTransactions {
			break
		}
		if skipped[tx.From] {
			continue
		}
		var th types.Hash
		var err error
		if hashes != nil {
			th = hashes[i]
		} else {
			// Pooled transactions were encoded on admission, so Hash cannot
			// fail; one that did would not be includable (Apply says so).
			th, err = tx.Hash()
			if err != nil {
				err = exec.ErrNotIncludable
			}
		}
		if err == nil && exclude[th] {
			continue
		}
		if err == nil {
			_, err = blk.ApplyHashed(tx, th)
		}
		if err != nil {
			if errors.Is(err, exec.ErrNotIncludable) {
				if skipped == nil {
					skipped = make(map[types.Address]bool)
				}
				skipped[tx.From] = true
				continue
			}
			blk.Abort()
			return nil, nil, err
		}
		txs = append(txs, *tx)
	}
	res, err := blk.Finish()
	if err != nil {
		return nil, nil, err
	}
	return res, txs, nil
}
