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

// The reasons VerifyEvidence rejects evidence for: one sentinel per stable
// reason name of spec/consensus.md ("Equivocation evidence"), so that the
// conformance vectors (conformance/vectors/evidence.json) can name the rule
// another implementation must have broken, not only that it rejected. Each
// wraps ErrBadEvidence; VerifyEvidence reports the first rule broken, in the
// order of EvidenceReasons.
var (
	ErrEvidenceMalformed        = &evidenceReason{"malformed_evidence"}
	ErrEvidenceUnknownValidator = &evidenceReason{"unknown_validator"}
	ErrEvidenceIdentical        = &evidenceReason{"identical_messages"}
	ErrEvidenceNotCanonical     = &evidenceReason{"not_canonical"}
	ErrEvidenceUndecodable      = &evidenceReason{"undecodable_message"}
	ErrEvidenceWrongMessageType = &evidenceReason{"wrong_message_type"}
	ErrEvidenceOtherValidator   = &evidenceReason{"other_validator"}
	ErrEvidenceWrongView        = &evidenceReason{"wrong_view"}
	ErrEvidenceBadSignature     = &evidenceReason{"bad_signature"}
	ErrEvidenceNoConflict       = &evidenceReason{"no_conflict"}
)

// EvidenceReasons returns the reason sentinels in the order VerifyEvidence
// checks them (the order of the table in spec/consensus.md).
func EvidenceReasons() []error {
	return []error{
		ErrEvidenceMalformed, ErrEvidenceUnknownValidator, ErrEvidenceIdentical, ErrEvidenceNotCanonical,
		ErrEvidenceUndecodable, ErrEvidenceWrongMessageType, ErrEvidenceOtherValidator, ErrEvidenceWrongView,
		ErrEvidenceBadSignature, ErrEvidenceNoConflict,
	}
}

// evidenceReason is a reason sentinel: its Error ends with the stable name,
// and it unwraps to ErrBadEvidence so that errors.Is(err, ErrBadEvidence) holds for
// every rejection.
type evidenceReason struct{ name string }

func (e *evidenceReason) Error() string { return ErrBadEvidence.Error() + ": " + e.name }
func (e *evidenceReason) Unwrap() error { return ErrBadEvidence }

// EvidenceReason returns the stable reason name (spec/consensus.md) of an
// error VerifyEvidence returned, or "" when err carries none.
func EvidenceReason(err error) string {
	var r *evidenceReason
	if errors.As(err, &r) {
		return r.name
	}
	return ""
}

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
// Equivocation evidence), rule by rule in this order, and reports the first
// rule broken with its reason sentinel:
//
//   - ErrEvidenceMalformed: ev.Kind is no EvidenceKind, or First or Second
//     is longer than MaxEvidenceMessageBytes (what strict Borsh decoding of
//     an Evidence already rejects; checked again for values built in memory);
//   - ErrEvidenceUnknownValidator: ev.Validator is not in set;
//   - ErrEvidenceIdentical, ErrEvidenceNotCanonical: First is not bytewise
//     below Second (the same bytes twice, or the larger first);
//   - then First and afterwards Second, each in full: it must decode strictly
//     as the message of ev.Kind (ErrEvidenceUndecodable; for a proposal an
//     Envelope of type Proposal, ErrEvidenceWrongMessageType, whose payload
//     decodes strictly as a Proposal), name ev.Validator as its signer (the
//     vote's voter, the timeout's sender, the envelope's sender and the
//     block's proposer: ErrEvidenceOtherValidator), be for ev.View
//     (ErrEvidenceWrongView) and carry a signature that verifies under v for
//     ev.Validator (a Vote under domain Vote, a Timeout under domain Timeout,
//     a proposal by its Envelope's signature under domain Envelope:
//     ErrEvidenceBadSignature);
//   - ErrEvidenceNoConflict: the two do not conflict. Two votes must name
//     different (height, block_hash), two timeouts different high_qc_view,
//     two proposals blocks with different header hashes: two encodings of the
//     same content (a second signature over the same vote) are no evidence.
//
// The order is part of the protocol: evidence breaking several rules is
// rejected for the same reason by every implementation.
//
// Whether ev.Validator was the leader of ev.View is not checked: that needs
// the leader schedule, and signing two blocks for one view is misbehaviour
// either way. Every error wraps ErrBadEvidence through its reason; an
// unknown validator's also wraps ErrUnknownValidator, a signature failure's
// ErrBadSignature.
func VerifyEvidence(set *ValidatorSet, v Verifier, ev *types.Evidence) error {
	if !ev.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %d", ErrEvidenceMalformed, uint8(ev.Kind))
	}
	if len(ev.First) > params.MaxEvidenceMessageBytes || len(ev.Second) > params.MaxEvidenceMessageBytes {
		return fmt.Errorf("%w: message longer than %d bytes", ErrEvidenceMalformed, params.MaxEvidenceMessageBytes)
	}
	if _, ok := set.Power(ev.Validator); !ok {
		return fmt.Errorf("%w: %w: %s", ErrEvidenceUnknownValidator, ErrUnknownValidator, ev.Validator)
	}
	switch bytes.Compare(ev.First, ev.Second) {
	case 0:
		return fmt.Errorf("%w: first and second are the same message", ErrEvidenceIdentical)
	case 1:
		return fmt.Errorf("%w: first is bytewise above second", ErrEvidenceNotCanonical)
	}
	var check func(which string, data []byte) (any, error)
	var conflict func(a, b any) bool
	switch ev.Kind {
	case types.EvidenceKindDoubleVote:
		check = func(which string, data []byte) (any, error) { return checkVote(v, ev, which, data) }
		conflict = func(a, b any) bool {
			x, y := a.(*types.Vote), b.(*types.Vote)
			return x.Height != y.Height || x.BlockHash != y.BlockHash
		}
	case types.EvidenceKindDoubleTimeout:
		check = func(which string, data []byte) (any, error) { return checkTimeout(v, ev, which, data) }
		conflict = func(a, b any) bool { return a.(*types.Timeout).HighQCView != b.(*types.Timeout).HighQCView }
	case types.EvidenceKindDoubleProposal:
		check = func(which string, data []byte) (any, error) { return checkProposal(v, ev, which, data) }
		conflict = func(a, b any) bool { return a.(types.Hash) != b.(types.Hash) }
	default: // a kind added to the spec but not to this switch
		return fmt.Errorf("%w: no rule for kind %s", ErrEvidenceMalformed, ev.Kind)
	}
	a, err := check("first", ev.First)
	if err != nil {
		return err
	}
	b, err := check("second", ev.Second)
	if err != nil {
		return err
	}
	if !conflict(a, b) {
		return fmt.Errorf("%w: the two %s messages have the same content", ErrEvidenceNoConflict, ev.Kind)
	}
	return nil
}

// checkVote decodes data strictly as a Vote of ev.Validator for ev.View and
// verifies its signature. Strict decoding makes data exactly the vote's
// encoding, so its signing payload is data without the signature.
func checkVote(v Verifier, ev *types.Evidence, which string, data []byte) (*types.Vote, error) {
	var m types.Vote
	if err := m.UnmarshalBorsh(data); err != nil {
		return nil, fmt.Errorf("%w: %s: decode vote: %w", ErrEvidenceUndecodable, which, err)
	}
	if m.Voter != ev.Validator {
		return nil, fmt.Errorf("%w: %s: vote of %s, want %s", ErrEvidenceOtherValidator, which, m.Voter, ev.Validator)
	}
	if m.View != ev.View {
		return nil, fmt.Errorf("%w: %s: vote for view %d, want %d", ErrEvidenceWrongView, which, m.View, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(m.SigningDomain(), data[:n:n], m.Signature, m.Voter); err != nil {
		return nil, fmt.Errorf("%w: %s: vote: %w: %w", ErrEvidenceBadSignature, which, ErrBadSignature, err)
	}
	return &m, nil
}

// checkTimeout is checkVote for a Timeout.
func checkTimeout(v Verifier, ev *types.Evidence, which string, data []byte) (*types.Timeout, error) {
	var m types.Timeout
	if err := m.UnmarshalBorsh(data); err != nil {
		return nil, fmt.Errorf("%w: %s: decode timeout: %w", ErrEvidenceUndecodable, which, err)
	}
	if m.Sender != ev.Validator {
		return nil, fmt.Errorf("%w: %s: timeout of %s, want %s", ErrEvidenceOtherValidator, which, m.Sender, ev.Validator)
	}
	if m.View != ev.View {
		return nil, fmt.Errorf("%w: %s: timeout for view %d, want %d", ErrEvidenceWrongView, which, m.View, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(m.SigningDomain(), data[:n:n], m.Signature, m.Sender); err != nil {
		return nil, fmt.Errorf("%w: %s: timeout: %w: %w", ErrEvidenceBadSignature, which, ErrBadSignature, err)
	}
	return &m, nil
}

// checkProposal decodes data strictly as an Envelope of type Proposal whose
// payload decodes strictly as a Proposal, requires ev.Validator as both the
// envelope's sender and the block's proposer and ev.View as the block's
// view, verifies the envelope signature (the one that authenticates a
// proposal on the wire, as in runtime/p2p), and returns the block's header
// hash.
func checkProposal(v Verifier, ev *types.Evidence, which string, data []byte) (types.Hash, error) {
	var env types.Envelope
	if err := env.UnmarshalBorsh(data); err != nil {
		return types.Hash{}, fmt.Errorf("%w: %s: decode envelope: %w", ErrEvidenceUndecodable, which, err)
	}
	if env.Type != types.MessageTypeProposal {
		return types.Hash{}, fmt.Errorf("%w: %s: envelope carries %s, want Proposal", ErrEvidenceWrongMessageType, which, env.Type)
	}
	var p types.Proposal
	if err := p.UnmarshalBorsh(env.Payload); err != nil {
		return types.Hash{}, fmt.Errorf("%w: %s: decode proposal: %w", ErrEvidenceUndecodable, which, err)
	}
	h := &p.Block.Header
	if env.Sender != ev.Validator || h.Proposer != ev.Validator {
		return types.Hash{}, fmt.Errorf("%w: %s: envelope of %s, block of %s, want %s", ErrEvidenceOtherValidator, which, env.Sender, h.Proposer, ev.Validator)
	}
	if h.View != ev.View {
		return types.Hash{}, fmt.Errorf("%w: %s: block for view %d, want %d", ErrEvidenceWrongView, which, h.View, ev.View)
	}
	n := len(data) - signatureLength
	if err := v.Verify(env.SigningDomain(), data[:n:n], env.Signature, env.Sender); err != nil {
		return types.Hash{}, fmt.Errorf("%w: %s: envelope: %w: %w", ErrEvidenceBadSignature, which, ErrBadSignature, err)
	}
	hash, err := h.Hash()
	if err != nil {
		// A header that decoded strictly re-encodes; this guards the invariant.
		return types.Hash{}, fmt.Errorf("%w: %s: hash header: %w", ErrEvidenceUndecodable, which, err)
	}
	return hash, nil
}
