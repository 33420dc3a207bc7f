package node

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
var ErrBadSync = errors.New("node: invalid sync response")

// maxSyncBuffer bounds the verified-but-unproven blocks a syncing node holds
// while it waits for a commit proof further along the chain.
const maxSyncBuffer = 1024

// SyncRange serves block sync (runtime/p2p's Server): final blocks from
// from on, up to and including the highest height within max blocks that
// has a recorded commit proof, with that proof; or max blocks without a
// proof when none of them has one (the client asks on).
func (n *Node) SyncRange(from uint64, max int) (*types.SyncResponse, error) {
	head := n.Head().Header.Height
	resp := &types.SyncResponse{HeadHeight: head}
	if from > head || from == 0 || max <= 0 {
		return resp, nil
	}
	end := min(from+uint64(max)-1, head)
	ph, ok, err := n.store.LastProofHeight(end)
	if err != nil {
		return nil, err
	}
	withProof := ok && ph >= from
	if withProof {
		end = ph
	}
	size := 0
	for h := from; h <= end; h++ {
		b, err := n.store.Block(h)
		if err != nil {
			return nil, err
		}
		size += b.BorshSize()
		if size > params.MaxSyncResponseBytes-(1<<20) && len(resp.Blocks) > 0 {
			withProof = false
			break
		}
		resp.Blocks = append(resp.Blocks, *b)
	}
	if withProof {
		if resp.Proof, err = n.store.CommitProof(end); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// BlockByHash serves block fetches: a proposed block the node holds, or a
// final one.
func (n *Node) BlockByHash(h types.Hash) (*types.Block, bool) {
	if d := n.driver.Load(); d != nil {
		if b := d.body(h); b != nil {
			return b, true
		}
	}
	height, err := n.store.HeightOf(h)
	if err != nil {
		return nil, false
	}
	b, err := n.store.Block(height)
	if err != nil {
		return nil, false
	}
	return b, true
}

// syncRange fetches final blocks from peers until they have none above the
// head, checking every certificate and the commit proof before executing
// and committing them. Peers that answer with a bad chain are skipped (the
// network rotates peers per request).
func (d *driver) syncRange(ctx context.Context) error {
	d.setStatus(true)
	defer d.setStatus(false)
	var buf []types.Block
	failures := 0
	for ctx.Err() == nil {
		head := d.n.Head()
		next := head.Header.Height + 1 + uint64(len(buf))
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		resp, err := d.net.SyncRange(rctx, next, params.MaxSyncBlocks)
		cancel()
		if err != nil {
			failures++
			if failures >= 3 {
				return nil // no peer can help now; consensus fetches what it needs
			}
			continue
		}
		if len(resp.Blocks) == 0 {
			return nil
		}
		prev := head.Header
		if len(buf) > 0 {
			prev = buf[len(buf)-1].Header
		}
		if err := d.checkChain(prev, resp); err != nil {
			d.n.log.Warn("sync: response refused", "from", next, "err", err)
			failures++
			if failures >= 3 {
				return nil
			}
			continue
		}
		buf = append(buf, resp.Blocks...)
		if resp.Proof == nil {
			if len(buf) > maxSyncBuffer {
				buf = nil // no proof within reach: start again
			}
			continue
		}
		for i := range buf {
			var proof *types.CommitProof
			if i == len(buf)-1 {
				proof = resp.Proof
			}
			if err := d.applyFinal(&buf[i], proof); err != nil {
				return err
			}
		}
		d.n.log.Info("synced", "height", d.n.Head().Header.Height, "peer_head", resp.HeadHeight)
		buf = nil
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
			return fmt.Errorf("%w: height %d transaction %d: %w", ErrBadSync, b.Header.Height, i, err)
		}
		hashes[i] = h
	}
	if exec.MerkleRoot(hashes) != b.Header.TransactionsRoot {
		return fmt.Errorf("%w: height %d: the transactions are not the ones its header commits to", ErrBadSync, b.Header.Height)
	}
	return nil
}

// checkChain verifies that resp's blocks extend prev, each certified by
// the next one's QC (signatures checked), and that its proof, if any,
// proves the last one final.
func (d *driver) checkChain(prev types.BlockHeader, resp *types.SyncResponse) error {
	// certifies checks that qc certifies the header h whose hash is hash.
	certifies := func(qc *types.QuorumCert, h *types.BlockHeader, hash types.Hash) error {
		if qc.BlockHash != hash || qc.View != h.View || qc.Height != h.Height {
			return fmt.Errorf("%w: QC does not certify height %d", ErrBadSync, h.Height)
		}
		return consensus.VerifyQC(d.set, d.ccfg.Verifier, qc)
	}
	ph, err := prev.Hash()
	if err != nil {
		return err
	}
	for i := range resp.Blocks {
		h := &resp.Blocks[i].Header
		if h.ParentHash != ph || h.Height != prev.Height+1 {
			return fmt.Errorf("%w: height %d does not extend %d", ErrBadSync, h.Height, prev.Height)
		}
		// The body must be the one the certified header commits to: a
		// peer that serves another would otherwise make this node's
		// execution disagree with a final block, which stops the node.
		if err := checkBody(&resp.Blocks[i]); err != nil {
			return err
		}
		if prev.Height > 0 || !consensus.IsGenesisQC(&h.QC) {
			if err := certifies(&h.QC, &prev, ph); err != nil {
				return err
			}
		}
		prev = *h
		if ph, err = h.Hash(); err != nil {
			return err
		}
	}
	if p := resp.Proof; p != nil {
		// prev and ph are now the last block's header and hash.
		ch, err := p.Child.Hash()
		if err != nil {
			return err
		}
		gh, err := p.Grandchild.Hash()
		if err != nil {
			return err
		}
		if p.Child.ParentHash != ph || p.Grandchild.ParentHash != ch {
			return fmt.Errorf("%w: commit proof does not extend the last block", ErrBadSync)
		}
		if !consensus.ConsecutiveViews(&prev, &p.Child, &p.Grandchild) {
			return fmt.Errorf("%w: commit proof views are not consecutive", ErrBadSync)
		}
		for _, c := range []struct {
			qc   *types.QuorumCert
			h    *types.BlockHeader
			hash types.Hash
		}{{&p.Child.QC, &prev, ph}, {&p.Grandchild.QC, &p.Child, ch}, {&p.QC, &p.Grandchild, gh}} {
			if err := certifies(c.qc, c.h, c.hash); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyFinal executes a block proven final on the head state and commits it.
func (d *driver) applyFinal(b *types.Block, proof *types.CommitProof) error {
	if err := d.n.verifyTxSignatures(b.Transactions); err != nil {
		return err
	}
	st, err := d.n.State().Fork()
	if err != nil {
		return err
	}
	res, err := exec.Execute(st, exec.Env{Height: b.Header.Height, Proposer: b.Header.Proposer, BaseFee: b.Header.BaseFee}, b.Transactions)
	if errors.Is(err, exec.ErrNotIncludable) {
		// An invalid block, whatever certifies it: refused like any bad
		// sync response, and the node stays on its own chain.
		return fmt.Errorf("%w: height %d: %w", ErrBadBlock, b.Header.Height, err)
	}
	if err != nil {
		return fatal{err}
	}
	if err := checkResult(&b.Header, res); err != nil {
		// A final block (its body checked against its header by
		// checkChain) our execution disagrees with: continuing would fork
		// this node off the chain.
		return fatal{fmt.Errorf("node: final block: %w", err)}
	}
	if err := d.n.finish(b, res.Receipts, proof, st.Written()); err != nil {
		return fatal{err}
	}
	return nil
}
