package consensus

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// ErrBadEvidence is wrapped by every error VerifyEvidence returns.
var ErrBadEvidence = errors.New("consensus: invalid equivocation evidence")

// signatureLength is the Borsh size of a types.Signature, the last field of
// Vote, Timeout and Envelope: their signing payload is their encoding
// without these trailing bytes.
const signatureLength = len(types.Signature{})

// NewEvidence returns the evidence that validator signed both a and b (the
// Borsh encodings of two messages of kind for view: Votes, Timeouts, or
// Envelopes carrying Proposals; spec/evidence.yaml) in canonical order:
// First is the bytewise smaller encoding, so one pair has one encoding. The
// evidence keeps a and b; the caller must not modify them afterwards. It
// checks nothing: VerifyEvidence does.
func NewEvidence(kind types.EvidenceKind, validator types.Address, view uint64, a, b []byte) types.Evidence {
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	return types.Evidence{Kind: kind, Validator: validator, View: view, First: types.Bytes(a), Second: types.Bytes(b)}
}

// VerifyEvidence checks that ev proves an equivocation (spec/consensus.md,
// Equivocation evidence): ev.Validator is in set; First and Second are in
// canonical order (First < Second bytewise, hence also different); both
// decode strictly as the message type of ev.Kind; both are signed by
// ev.Validator, for ev.View, with signatures that verify under v (a Vote
// under domain Vote, a Timeout under domain Timeout, a proposal by its
// Envelope's signature under domain Envelope); and they conflict: two votes
// naming different (height, block_hash), two timeouts with different
// high_qc_view, two proposals whose blocks have different header hashes.
// Two encodings of the same content (a second signature over the same
// vote) are no evidence.
//
// Whether ev.Validator was the leader of ev.View is not checked: that needs
// the leader schedule, and signing two blocks for one view is misbehaviour
// either way. Every error wraps ErrBadEvidence; an unknown validator's also
// wraps ErrUnknownValidator, a signature failure's ErrBadSignature.
func VerifyEvidence(set *ValidatorSet, v Verifier, ev *types.Evidence) error {
	if _, ok := set.Power(ev.Validator); !ok {
		return fmt.Errorf("%w: %w: %s", ErrBadEvidence, ErrUnknownValidator, ev.Validator)
	}
	if len(ev.First) > params.MaxEvidenceMessageBytes || len(ev.Second) > params.MaxEvidenceMessageBytes {
		return fmt.Errorf("%w: message longer than %d bytes", ErrBadEvidence, params.MaxEvidenceMessageBytes)
	}
	if bytes.Compare(ev.First, ev.Second) >= 0 {
		return fmt.Errorf("%w: first is not bytewise below second (not canonical, or the same message)", ErrBadEvidence)
	}
	var check func(data []byte) (any, error)
	var conflict func(a, b any) bool
	switch ev.Kind {
	case types.EvidenceKindDoubleVote:
		check = func(data []byte) (any, error) { return checkVote(v, ev, data) }
		conflict = func(a, b any) bool {
			x, y := a.(*types.Vote), b.(*types.Vote)
			return x.Height != y.Height || x.BlockHash != y.BlockHash
		}
	case types.EvidenceKindDoubleTimeout:
		check = func(data []byte) (any, error) { return checkTimeout(v, ev, data) }
		conflict = func(a, b any) bool { return a.(*types.Timeout).HighQCView != b.(*types.Timeout).HighQCView }
	case types.EvidenceKindDoubleProposal:
		check = func(data []byte) (any, error) { return checkProposal(v, ev, data) }
		conflict = func(a, b any) bool { return a.(types.Hash) != b.(types.Hash) }
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrBadEvidence, uint8(ev.Kind))
	}
	a, err := check(ev.First)
	if err != nil {
		return fmt.Errorf("%w: first: %w", ErrBadEvidence, err)
	}
	b, err := check(ev.Second)
	if err != nil {
		return fmt.Errorf("%w: second: %w", ErrBadEvidence, err)
	}
	if !conflict(a, b) {
		return fmt.Errorf("%w: %s messages do not conflict", ErrBadEvidence, ev.Kind)
	}
	return nil
}

// checkVote decodes data strictly as a Vote of ev.Validator for ev.View and
// verifies its signature. Strict decoding makes data exactly the vote's
// encoding, so its signing payload is data without the signature.
func checkVote(v Verifier, ev *types.Evidence, data []byte) (*types.Vote, error) {
	var m types.Vote
	if err := m.UnmarshalBorsh(data); err != nil {
		return nil, fmt.Errorf("decode vote: %w", err)
	}
	if m.Voter != ev.Validator || m.View != ev.View {
		return nil, fmt.Errorf("vote of %s for view %d, want %s for view %d", m.Voter, m.View, ev.Validator, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(m.SigningDomain(), data[:n:n], m.Signature, m.Voter); err != nil {
		return nil, fmt.Errorf("vote: %w: %w", ErrBadSignature, err)
	}
	return &m, nil
}

// checkTimeout is checkVote for a Timeout.
func checkTimeout(v Verifier, ev *types.Evidence, data []byte) (*types.Timeout, error) {
	var m types.Timeout
	if err := m.UnmarshalBorsh(data); err != nil {
		return nil, fmt.Errorf("decode timeout: %w", err)
	}
	if m.Sender != ev.Validator || m.View != ev.View {
		return nil, fmt.Errorf("timeout of %s for view %d, want %s for view %d", m.Sender, m.View, ev.Validator, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(m.SigningDomain(), data[:n:n], m.Signature, m.Sender); err != nil {
		return nil, fmt.Errorf("timeout: %w: %w", ErrBadSignature, err)
	}
	return &m, nil
}

// checkProposal decodes data strictly as an Envelope of type Proposal sent
// by ev.Validator, verifies the envelope signature (the one that
// authenticates a proposal on the wire, as in runtime/p2p), decodes its
// payload strictly as a Proposal whose block was proposed by ev.Validator in
// ev.View, and returns the block's header hash.
func checkProposal(v Verifier, ev *types.Evidence, data []byte) (types.Hash, error) {
	var env types.Envelope
	if err := env.UnmarshalBorsh(data); err != nil {
		return types.Hash{}, fmt.Errorf("decode envelope: %w", err)
	}
	if env.Type != types.MessageTypeProposal {
		return types.Hash{}, fmt.Errorf("envelope carries %s, want Proposal", env.Type)
	}
	if env.Sender != ev.Validator {
		return types.Hash{}, fmt.Errorf("envelope sender %s, want %s", env.Sender, ev.Validator)
	}
	var p types.Proposal
	if err := p.UnmarshalBorsh(env.Payload); err != nil {
		return types.Hash{}, fmt.Errorf("decode proposal: %w", err)
	}
	h := &p.Block.Header
	if h.Proposer != ev.Validator || h.View != ev.View {
		return types.Hash{}, fmt.Errorf("block of %s for view %d, want %s for view %d", h.Proposer, h.View, ev.Validator, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(env.SigningDomain(), data[:n:n], env.Signature, env.Sender); err != nil {
		return types.Hash{}, fmt.Errorf("envelope: %w: %w", ErrBadSignature, err)
	}
	hash, err := h.Hash()
	if err != nil {
		return types.Hash{}, fmt.Errorf("hash header: %w", err)
	}
	return hash, nil
}
