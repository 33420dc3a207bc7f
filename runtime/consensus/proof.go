package consensus

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Errors of VerifyQCFor and VerifyCommitProof. A refused proof's error
// wraps ErrBadCommitProof and, when a certificate failed, that
// certificate's error too (ErrQCNotForBlock, ErrBadSignature, ErrNoQuorum,
// ErrUnsortedSigner, ErrUnknownValidator), or ErrNonConsecutiveViews.
var (
	ErrQCNotForBlock       = errors.New("consensus: QC does not certify the block")
	ErrBadCommitProof      = errors.New("consensus: invalid commit proof")
	ErrNonConsecutiveViews = errors.New("consensus: views are not consecutive")
)

// VerifyQCFor checks that qc certifies the header h whose hash is hash (same
// block hash, view and height) with valid signatures of more than 2/3 of
// set's power. The genesis QC names no block hash and so certifies no
// header here: a caller that holds block 0 accepts it by itself.
func VerifyQCFor(set *ValidatorSet, v Verifier, qc *types.QuorumCert, h *types.BlockHeader, hash types.Hash) error {
	return newCertVerifier(set, v).verifyQCFor(qc, h, hash)
}

// VerifyCommitProof checks that p proves last final under the commit rule,
// for a node that did not run the core which made it final (block sync, the
// simulator's checker). last must be a header the caller already trusts
// (its hash is what p is checked against); block 0 needs no proof and
// has none.
//
// p.Child must extend last and p.Grandchild p.Child (parent hashes); each
// QC must certify the block below it (p.Child.QC last, p.Grandchild.QC
// p.Child, p.QC p.Grandchild) with valid signatures of a quorum; and the
// three views must be consecutive. The view condition is checked last, so
// an error that wraps ErrNonConsecutiveViews means everything else held:
// the chain is certified but the proof does not make last final.
func VerifyCommitProof(set *ValidatorSet, v Verifier, last *types.BlockHeader, p *types.CommitProof) error {
	lh, err := last.Hash()
	if err != nil {
		return fmt.Errorf("%w: hash of the final block: %w", ErrBadCommitProof, err)
	}
	ch, err := p.Child.Hash()
	if err != nil {
		return fmt.Errorf("%w: hash of the child: %w", ErrBadCommitProof, err)
	}
	gh, err := p.Grandchild.Hash()
	if err != nil {
		return fmt.Errorf("%w: hash of the grandchild: %w", ErrBadCommitProof, err)
	}
	if p.Child.ParentHash != lh {
		return fmt.Errorf("%w: child does not extend height %d", ErrBadCommitProof, last.Height)
	}
	if p.Grandchild.ParentHash != ch {
		return fmt.Errorf("%w: grandchild does not extend the child", ErrBadCommitProof)
	}
	certs := newCertVerifier(set, v)
	for _, c := range []struct {
		what string
		qc   *types.QuorumCert
		h    *types.BlockHeader
		hash types.Hash
	}{
		{"child's QC", &p.Child.QC, last, lh},
		{"grandchild's QC", &p.Grandchild.QC, &p.Child, ch},
		{"proof QC", &p.QC, &p.Grandchild, gh},
	} {
		if err := certs.verifyQCFor(c.qc, c.h, c.hash); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadCommitProof, c.what, err)
		}
	}
	if !ConsecutiveViews(last, &p.Child, &p.Grandchild) {
		return fmt.Errorf("%w: %w: %d, %d, %d", ErrBadCommitProof, ErrNonConsecutiveViews, last.View, p.Child.View, p.Grandchild.View)
	}
	return nil
}

// verifyQCFor checks that qc names h (hash, view, height), then its
// signatures; the cheap comparison first, so a QC for another block costs
// no signature check.
func (c *certVerifier) verifyQCFor(qc *types.QuorumCert, h *types.BlockHeader, hash types.Hash) error {
	if IsGenesisQC(qc) {
		// Checked apart: with a zero hash it would pass with no votes.
		return fmt.Errorf("%w: the genesis QC", ErrQCNotForBlock)
	}
	if qc.BlockHash != hash || qc.View != h.View || qc.Height != h.Height {
		return fmt.Errorf("%w: QC for view %d height %d hash %x, block of view %d height %d hash %x",
			ErrQCNotForBlock, qc.View, qc.Height, qc.BlockHash, h.View, h.Height, hash)
	}
	return c.verifyQC(qc)
}
