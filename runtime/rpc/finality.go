package rpc

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// maxFinalityHeaders bounds how far above a block the node looks for a
// commit proof, and so the headers a FinalityProof carries: the block-sync
// bound, which already caps how many final blocks may go without one.
const maxFinalityHeaders = params.MaxSyncBlocks

// finalityFinder finds commit proofs for the final blocks of one request,
// reading each stored block at most once. The head is fixed when it is made,
// so a block committed meanwhile is not seen.
type finalityFinder struct {
	st     *store.Store
	head   uint64
	blocks map[uint64]*types.Block
	proofs map[uint64]*types.CommitProof // nil: the height has none
}

func newFinalityFinder(st *store.Store, head *types.Block) *finalityFinder {
	return &finalityFinder{st: st, head: head.Header.Height,
		blocks: map[uint64]*types.Block{head.Header.Height: head}, proofs: map[uint64]*types.CommitProof{}}
}

func (f *finalityFinder) block(h uint64) (*types.Block, error) {
	if b, ok := f.blocks[h]; ok {
		return b, nil
	}
	b, err := f.st.Block(h)
	if err != nil {
		return nil, fmt.Errorf("finality: block %d: %w", h, err)
	}
	f.blocks[h] = b
	return b, nil
}

// proofAt returns a commit proof of the final block at h, or nil when the
// node holds none: the one recorded at commit, else one built from the
// stored blocks above it when h, h+1 and h+2 have consecutive views (the
// commit rule's chain; block h+3's header carries the QC for h+2). Block 0
// has none: block 1 carries the genesis QC, which certifies no header.
func (f *finalityFinder) proofAt(h uint64) (*types.CommitProof, error) {
	if p, ok := f.proofs[h]; ok {
		return p, nil
	}
	p, err := f.findProof(h)
	if err == nil {
		f.proofs[h] = p
	}
	return p, err
}

func (f *finalityFinder) findProof(h uint64) (*types.CommitProof, error) {
	if h == 0 || h > f.head {
		return nil, nil
	}
	p, err := f.st.CommitProof(h)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if f.head-h < 3 {
		return nil, nil
	}
	var bs [4]*types.Block
	for i := range bs {
		if bs[i], err = f.block(h + uint64(i)); err != nil {
			return nil, err
		}
	}
	if !consensus.ConsecutiveViews(&bs[0].Header, &bs[1].Header, &bs[2].Header) {
		return nil, nil
	}
	return &types.CommitProof{Child: bs[1].Header, Grandchild: bs[2].Header, QC: bs[3].Header.QC}, nil
}

// latestProven returns the highest height at most maxFinalityHeaders below
// the head that has a commit proof, or ok == false.
func (f *finalityFinder) latestProven() (uint64, bool, error) {
	for h := f.head; h > 0 && f.head-h <= maxFinalityHeaders; h-- {
		p, err := f.proofAt(h)
		if err != nil {
			return 0, false, err
		}
		if p != nil {
			return h, true, nil
		}
	}
	return 0, false, nil
}

// finality returns why the final block at h is final: the commit proof of
// the lowest block at or at most maxFinalityHeaders above h that has one,
// and the headers from h+1 up to that block; nil when there is none.
func (f *finalityFinder) finality(h uint64) (*api.FinalityProof, error) {
	for p := h; p <= f.head && p-h <= maxFinalityHeaders; p++ {
		proof, err := f.proofAt(p)
		if err != nil {
			return nil, err
		}
		if proof == nil {
			continue
		}
		out := &api.FinalityProof{Headers: make([]api.BlockHeader, 0, p-h)}
		for k := h + 1; k <= p; k++ {
			b, err := f.block(k)
			if err != nil {
				return nil, err
			}
			hdr, _, err := toHeader(&b.Header)
			if err != nil {
				return nil, err
			}
			out.Headers = append(out.Headers, hdr)
		}
		out.CommitProof = api.FromCommitProof(proof)
		// The headers inside carry their encodings too, as everywhere.
		if out.CommitProof.Child, _, err = toHeader(&proof.Child); err != nil {
			return nil, err
		}
		if out.CommitProof.Grandchild, _, err = toHeader(&proof.Grandchild); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, nil
}
