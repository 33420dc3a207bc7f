package consensus

import (
	"errors"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// SafetyData is everything a validator must persist so that, after a
// restart, it never signs two different messages for the same view.
type SafetyData struct {
	// LastVotedView: the highest view this node voted in.
	LastVotedView uint64
	// LockedQC: the QC of the highest two-chain head seen (the lock). A
	// proposal is voted for only if its QC's view is >= LockedQC.View.
	LockedQC types.QuorumCert
	// HighQC: the highest QC seen.
	HighQC types.QuorumCert
	// LastTimeoutView: the highest view this node signed a timeout for.
	LastTimeoutView uint64
	// LastTimeout: that signed timeout, rebroadcast unchanged (never re-signed).
	LastTimeout *types.Timeout
	// LastProposedView: the highest view this node proposed in, and
	// LastProposal the header hash of that proposal: after a restart the
	// same block may be broadcast again for that view, never another.
	LastProposedView uint64
	LastProposal     types.Hash
}

// Clone returns a deep copy.
func (s SafetyData) Clone() SafetyData {
	c := s
	c.LockedQC = cloneQC(s.LockedQC)
	c.HighQC = cloneQC(s.HighQC)
	if s.LastTimeout != nil {
		t := *s.LastTimeout
		c.LastTimeout = &t
	}
	return c
}

func cloneQC(q types.QuorumCert) types.QuorumCert {
	q.Votes = append([]types.ValidatorSignature(nil), q.Votes...)
	return q
}

// Reasons a safety rule refuses to sign, carried by a NoVoteError.
var (
	ErrNotValidator    = errors.New("consensus: this node is not in the validator set")
	ErrNotCurrentView  = errors.New("consensus: message is not for the current view")
	ErrAlreadyVoted    = errors.New("consensus: already voted in this or a later view")
	ErrTimedOutInView  = errors.New("consensus: already timed out in this view")
	ErrBelowLock       = errors.New("consensus: proposal's QC is below the locked QC")
	ErrAlreadyTimedOut = errors.New("consensus: already signed a timeout for this or a later view")
	ErrAlreadyProposed = errors.New("consensus: already proposed another block in this or a later view")
)

// NoVoteError is a refusal to sign a vote or a timeout; Reason is one of
// the errors above. It is the answer of the safety rules, not a fault of
// the event that asked: Step never returns it (the event was processed;
// this node just does not sign). Like flow-go's model.NoVoteError, it keeps
// "must not sign" apart from "failed to sign" inside the core.
type NoVoteError struct{ Reason error }

func (e *NoVoteError) Error() string { return "not signing: " + e.Reason.Error() }
func (e *NoVoteError) Unwrap() error { return e.Reason }

// safeToVote applies the voting rules to a proposal in view cur:
//   - only for the current view;
//   - only for a view above the last voted view (never twice in a view);
//   - never in a view the node has timed out in;
//   - only if the proposal's QC is at least as high as the locked QC. A QC of
//     the same view as the lock certifies the locked block itself (one block
//     per view can be certified), so this is "extends the locked block or
//     carries a higher QC".
//
// A refusal is a *NoVoteError.
func (s *SafetyData) safeToVote(h *types.BlockHeader, cur uint64) error {
	var why error
	switch {
	case h.View != cur:
		why = ErrNotCurrentView
	case h.View <= s.LastVotedView:
		why = ErrAlreadyVoted
	case h.View <= s.LastTimeoutView:
		why = ErrTimedOutInView
	case h.QC.View < s.LockedQC.View:
		why = ErrBelowLock
	default:
		return nil
	}
	return &NoVoteError{Reason: why}
}

// safeToTimeout allows a timeout only for the current view (views >= cur) and
// only once per view. A refusal is a *NoVoteError.
func (s *SafetyData) safeToTimeout(view, cur uint64) error {
	switch {
	case view < cur:
		return &NoVoteError{Reason: ErrNotCurrentView}
	case view <= s.LastTimeoutView:
		return &NoVoteError{Reason: ErrAlreadyTimedOut}
	}
	return nil
}

// safeToPropose allows broadcasting the block hash as this node's proposal
// for view only if it proposed nothing in view or later, or proposed this
// very block in view (a restarted leader sending its proposal again). A
// refusal is a *NoVoteError.
func (s *SafetyData) safeToPropose(view uint64, hash types.Hash) error {
	if view < s.LastProposedView || (view == s.LastProposedView && hash != s.LastProposal) {
		return &NoVoteError{Reason: ErrAlreadyProposed}
	}
	return nil
}

// updateLock raises the lock to qc if it is higher.
func (s *SafetyData) updateLock(qc types.QuorumCert) bool {
	if qc.View > s.LockedQC.View {
		s.LockedQC = qc
		return true
	}
	return false
}

// updateHighQC raises the high QC to qc if it is higher.
func (s *SafetyData) updateHighQC(qc types.QuorumCert) bool {
	if qc.View > s.HighQC.View {
		s.HighQC = qc
		return true
	}
	return false
}
