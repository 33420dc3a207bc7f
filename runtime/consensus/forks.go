package consensus

import "github.com/oramanetwork/orama-chain/generated/types"

// block is a header in the tree with its hash.
type block struct {
	hash   types.Hash
	header types.BlockHeader
	parent *block
}

// forks is the tree of known blocks. Invariant: a block is inserted only
// after its parent, so every block's ancestry reaches the root (genesis,
// or the final block a restarted node started from; field genesis).
type forks struct {
	genesis   *block
	blocks    map[types.Hash]*block
	committed *block
}

func newForks(genesis types.BlockHeader, hash types.Hash) *forks {
	g := &block{hash: hash, header: genesis}
	return &forks{genesis: g, blocks: map[types.Hash]*block{hash: g}, committed: g}
}

// certified returns the block qc certifies, or nil when unknown.
func (f *forks) certified(qc *types.QuorumCert) *block {
	if IsGenesisQC(qc) {
		if f.genesis.header.Height != 0 {
			return nil // the tree starts at a later root
		}
		return f.genesis
	}
	return f.blocks[qc.BlockHash]
}

// ConsecutiveViews is the consecutive-view condition of the commit rule:
// b1 was proposed in the view right after b0, and b2 right after b1.
func ConsecutiveViews(b0, b1, b2 *types.BlockHeader) bool {
	return b1.View == b0.View+1 && b2.View == b1.View+1
}

// commitCandidate applies the locking and commit rules to b2, a block a QC
// has just certified. b2.QC certifies b1 (its parent), b1.QC certifies b0.
// The lock rises to b2.QC (the QC of the two-chain head b1). If b0, b1, b2
// have consecutive views (checkViews), b0 is returned: it and all its
// ancestors are final. Disabling checkViews is unsafe and exists only so the
// negative-control tests can show the harness detects it.
func commitCandidate(b2 *block, s *SafetyData, checkViews bool) *block {
	if b2 == nil || b2.parent == nil {
		return nil
	}
	b1 := b2.parent
	s.updateLock(b2.header.QC)
	b0 := b1.parent
	if b0 == nil {
		return nil
	}
	if checkViews && !ConsecutiveViews(&b0.header, &b1.header, &b2.header) {
		return nil
	}
	return b0
}

// commit marks b final and returns the newly final headers, oldest first.
func (f *forks) commit(b *block) []types.BlockHeader {
	if b.header.Height <= f.committed.header.Height {
		return nil
	}
	var out []types.BlockHeader
	for x := b; x != nil && x.header.Height > f.committed.header.Height; x = x.parent {
		out = append(out, x.header)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	f.committed = b
	return out
}
