package node

import (
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

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
		if b := d.Block(h); b != nil {
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
