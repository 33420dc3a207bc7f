package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/exec"
)

// ErrBadSync reports a sync response that does not prove what it claims.
// CheckSync's errors wrap it, and ErrNotExtending or ErrWrongBody when the
// chain itself is broken, or the failed certificate's or commit proof's
// error (runtime/consensus).
var (
	ErrBadSync = errors.New("driver: invalid sync response")
	// ErrNotExtending: a block's height or parent hash does not follow
	// the block before it.
	ErrNotExtending = errors.New("driver: block does not extend its predecessor")
	// ErrWrongBody: a block's transactions are not the ones its header's
	// transactions_root commits to.
	ErrWrongBody = errors.New("driver: transactions not the ones the header commits to")
)

// maxSyncBuffer bounds the verified-but-unproven blocks a syncing node
// holds while it waits for a commit proof further along the chain.
const maxSyncBuffer = 1024

// syncRange fetches final blocks from peers until they have none above the
// head, checking every certificate and the commit proof before executing
// and committing them. The network checks each answer with CheckSync
// before taking it, so a peer that answers with a bad chain is penalised
// there and another peer's answer is taken instead.
func (d *Driver) syncRange(ctx context.Context) error {
	d.setStatus(true)
	defer d.setStatus(false)
	var buf []types.Block
	failures := 0
	for ctx.Err() == nil {
		head, _ := d.chain.Head()
		next := head.Header.Height + 1 + uint64(len(buf))
		prev := head.Header
		if len(buf) > 0 {
			prev = buf[len(buf)-1].Header
		}
		check := func(r *types.SyncResponse) error { return d.CheckSync(prev, r) }
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		resp, peer, err := d.net.SyncRange(rctx, next, params.MaxSyncBlocks, check)
		cancel()
		if err != nil {
			d.log.Debug("sync: no range", "from", next, "err", err)
			failures++
			if failures >= 3 {
				return nil // no peer can help now; consensus fetches what it needs
			}
			continue
		}
		if len(resp.Blocks) == 0 {
			return nil
		}
		buf = append(buf, resp.Blocks...)
		if resp.Proof == nil {
			// Nothing in the answer certifies its last block (each block
			// is certified by the next one's QC, the last by a proof): keep
			// the others and ask again from it, so that a forged last block
			// never becomes the header later answers must extend.
			buf = buf[:len(buf)-1]
			if len(buf) > maxSyncBuffer {
				// No proof within reach: the answer was no help.
				if peer != "" {
					d.net.Penalize(peer, "sync: no commit proof within reach")
				}
				buf = nil
			}
			if len(resp.Blocks) < 2 || buf == nil {
				// No progress: a round that does not count as one would let
				// a peer hold this loop (and consensus) forever.
				failures++
				if failures >= 3 {
					return nil
				}
			}
			continue
		}
		for i := range buf {
			var proof *types.CommitProof
			if i == len(buf)-1 {
				proof = resp.Proof
			}
			if err := d.applyFinal(&buf[i], proof); err != nil {
				if errors.Is(err, ErrFatal) {
					return err
				}
				d.log.Warn("sync: block refused", "height", buf[i].Header.Height, "peer", peer, "err", err)
				if peer != "" {
					d.net.Penalize(peer, err.Error())
				}
				failures++
				break
			}
		}
		head, _ = d.chain.Head()
		d.log.Info("synced", "height", head.Header.Height, "peer_head", resp.HeadHeight)
		buf = nil
		if failures >= 3 {
			return nil
		}
	}
	return nil
}

// CheckSync is the one check of a sync response (prev is the header it
// must extend): its blocks extend prev,
// each body is the one its header commits to, each block is certified by
// the next one's QC (signatures checked), and its proof, if any, proves
// the last one final.
func (d *Driver) CheckSync(prev types.BlockHeader, resp *types.SyncResponse) error {
	ph, err := prev.Hash()
	if err != nil {
		return err
	}
	for i := range resp.Blocks {
		b := &resp.Blocks[i]
		h := &b.Header
		if h.ParentHash != ph || h.Height != prev.Height+1 {
			return fmt.Errorf("%w: %w: height %d does not extend %d", ErrBadSync, ErrNotExtending, h.Height, prev.Height)
		}
		// The body must be the one the certified header commits to: a
		// peer that serves another would otherwise make this node's
		// execution disagree with a final block, which stops the node.
		if err := checkBody(b); err != nil {
			return err
		}
		if prev.Height > 0 || !consensus.IsGenesisQC(&h.QC) {
			if err := consensus.VerifyQCFor(d.set, d.cfg.Verifier, &h.QC, &prev, ph); err != nil {
				return fmt.Errorf("%w: height %d: %w", ErrBadSync, prev.Height, err)
			}
		}
		prev = *h
		if ph, err = h.Hash(); err != nil {
			return err
		}
	}
	if p := resp.Proof; p != nil {
		if err := consensus.VerifyCommitProof(d.set, d.cfg.Verifier, &prev, p); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSync, err)
		}
	}
	return nil
}

// checkBody checks that b's transactions are the ones its header's
// TransactionsRoot commits to.
func checkBody(b *types.Block) error {
	hashes := make([]types.Hash, len(b.Transactions))
	for i := range b.Transactions {
		h, err := b.Transactions[i].Hash()
		if err != nil {
			return fmt.Errorf("%w: %w: height %d transaction %d: %w", ErrBadSync, ErrWrongBody, b.Header.Height, i, err)
		}
		hashes[i] = h
	}
	if exec.MerkleRoot(hashes) != b.Header.TransactionsRoot {
		return fmt.Errorf("%w: %w: height %d", ErrBadSync, ErrWrongBody, b.Header.Height)
	}
	return nil
}

// applyFinal commits a block proven final through the same path as a
// block consensus finalized. An invalid block, whatever certifies it, is
// refused like a bad sync response and the node stays on its own chain;
// a valid one whose roots disagree with its header stops the node
// (continuing would fork it off the chain).
func (d *Driver) applyFinal(b *types.Block, proof *types.CommitProof) error {
	h, err := b.Header.Hash()
	if err != nil {
		return err
	}
	// A body already held for h is the same block: every body is checked
	// against its header before it is kept (a proposal, a fetched block,
	// this one), so its speculative execution, and its children's built on
	// it, stay valid.
	d.blocks.put(h, b)
	err = d.blocks.commit(&b.Header, proof)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exec.ErrWrongResult), errors.Is(err, ErrFatal):
		return fatal{err}
	}
	return err
}
