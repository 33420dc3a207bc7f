package p2p

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// Message is a validated gossip message.
type Message struct {
	Type types.MessageType
	// Sender is the envelope's sender, whose signature was verified.
	Sender types.Address
	// Payload is the Borsh payload, already checked to decode strictly as
	// Type's payload type.
	Payload []byte
	// From is the peer that relayed it to us (not necessarily its author).
	From peer.ID
	// Decoded is the decoded payload: *types.Proposal, *types.Vote,
	// *types.NewView, *types.Transaction or *types.TransactionBatch.
	Decoded any
	// Envelope is the signed envelope as received (nil for the host's own
	// messages): proof of what Sender signed, e.g. as equivocation
	// evidence. It must not be modified.
	Envelope []byte
}

// messageTypes lists the gossip message types, one per topic.
func messageTypes() []types.MessageType {
	return []types.MessageType{
		types.MessageTypeProposal, types.MessageTypeVote,
		types.MessageTypeTransaction, types.MessageTypeNewView,
		types.MessageTypeTransactionBatch,
	}
}

// TopicOf returns the gossip topic that carries messages of type mt.
func TopicOf(mt types.MessageType) (string, bool) {
	switch mt {
	case types.MessageTypeProposal:
		return params.TopicBlocks, true
	case types.MessageTypeVote:
		return params.TopicVotes, true
	case types.MessageTypeTransaction, types.MessageTypeTransactionBatch:
		return params.TopicTxs, true
	case types.MessageTypeNewView:
		return params.TopicNewView, true
	}
	return "", false
}

// validatorOnly reports whether only validators may send messages of type
// mt.
func validatorOnly(mt types.MessageType) bool {
	return !IsTransactions(mt)
}

// IsTransactions reports whether mt carries mempool gossip.
func IsTransactions(mt types.MessageType) bool {
	return mt == types.MessageTypeTransaction || mt == types.MessageTypeTransactionBatch
}

// validatorSet is an immutable set of validator addresses.
type validatorSet map[types.Address]struct{}

func newValidatorSet(addrs []types.Address) validatorSet {
	s := make(validatorSet, len(addrs))
	for _, a := range addrs {
		s[a] = struct{}{}
	}
	return s
}

// envelopeOverhead is the Borsh size of an Envelope minus its payload:
// type (1), payload length (4), sender (20), signature (65).
const envelopeOverhead = 1 + 4 + crypto.AddressLength + crypto.SignatureLength

// maxEnvelopeBytes is the largest encoded Envelope.
const maxEnvelopeBytes = params.MaxEnvelopePayloadBytes + envelopeOverhead

// checkEnvelope runs every check that needs no chain state on a gossip
// message: the bytes must be exactly the Borsh encoding of an Envelope
// that passes checkContents for topic and validators and whose signature
// verifies under domain Envelope and chainID. It returns the message with
// From unset. It is pure and safe for concurrent use.
func checkEnvelope(data []byte, topic string, chainID uint64, validators validatorSet) (*Message, error) {
	if len(data) > maxEnvelopeBytes {
		return nil, fmt.Errorf("p2p: envelope is %d bytes, max %d: %w", len(data), maxEnvelopeBytes, ErrBadEnvelope)
	}
	var env types.Envelope
	if err := env.UnmarshalBorsh(data); err != nil {
		return nil, fmt.Errorf("p2p: decode envelope: %w: %w", ErrBadEnvelope, err)
	}
	decoded, err := checkContents(&env, topic, validators)
	if err != nil {
		return nil, err
	}
	// Decoding is strict, so data is exactly env's encoding, and the
	// signing payload (the encoding of every field but the signature,
	// which comes last) is data without its last SignatureLength bytes:
	// no need to encode env again. The capacity is capped so that nothing
	// downstream can write into the signature.
	n := len(data) - crypto.SignatureLength
	if err := crypto.VerifyDomain(crypto.Domain(env.SigningDomain()), chainID, data[:n:n], env.Signature, env.Sender); err != nil {
		return nil, fmt.Errorf("p2p: %s from %s: %w: %w", env.Type, env.Sender, ErrBadSignature, err)
	}
	return &Message{Type: env.Type, Sender: env.Sender, Payload: env.Payload, Decoded: decoded, Envelope: data}, nil
}

// checkContents runs the checks of checkEnvelope that need neither the
// encoding nor the signature: env's type must belong to topic, its sender
// must be in validators when the type is validator-only, and its payload
// must decode strictly with the signer it names equal to the sender. It
// returns the decoded payload. Publish runs it alone on the host's own
// messages; it is pure and safe for concurrent use.
func checkContents(env *types.Envelope, topic string, validators validatorSet) (any, error) {
	if want, ok := TopicOf(env.Type); !ok || want != topic {
		return nil, fmt.Errorf("p2p: %s message on topic %q: %w", env.Type, topic, ErrWrongTopic)
	}
	if validatorOnly(env.Type) {
		if _, ok := validators[env.Sender]; !ok {
			return nil, fmt.Errorf("p2p: %s from %s: %w", env.Type, env.Sender, ErrUnknownSender)
		}
	}
	decoded := env.Type.NewPayload()
	if decoded == nil {
		return nil, fmt.Errorf("p2p: %s has no payload type: %w", env.Type, ErrBadEnvelope)
	}
	if err := decoded.UnmarshalBorsh(env.Payload); err != nil {
		return nil, fmt.Errorf("p2p: decode %s payload: %w: %w", env.Type, ErrBadPayload, err)
	}
	var signer types.Address
	switch p := decoded.(type) {
	case *types.Proposal:
		signer = p.Block.Header.Proposer
	case *types.Vote:
		signer = p.Voter
	case *types.NewView:
		signer = p.Timeout.Sender
	case *types.Transaction, *types.TransactionBatch:
		// Anyone may relay anyone's transaction; its own signature is the
		// mempool's business.
		signer = env.Sender
	default:
		return nil, fmt.Errorf("p2p: %s payload %T: %w", env.Type, decoded, ErrBadPayload)
	}
	if signer != env.Sender {
		return nil, fmt.Errorf("p2p: %s signed inside by %s, envelope sender %s: %w",
			env.Type, signer, env.Sender, ErrBadPayload)
	}
	return decoded, nil
}

// signEnvelope returns the encoded Envelope of payload, signed by key. It
// encodes once, with a zero signature: the signing payload is the encoding
// without the signature, which comes last, so the signature is then
// written over those trailing zeros.
func signEnvelope(key *crypto.PrivateKey, chainID uint64, mt types.MessageType, payload []byte) ([]byte, error) {
	env := types.Envelope{Type: mt, Payload: payload, Sender: key.Address()}
	data, err := env.MarshalBorsh()
	if err != nil {
		return nil, fmt.Errorf("p2p: encode envelope: %w", err)
	}
	n := len(data) - crypto.SignatureLength
	sig, err := crypto.SignDomain(key, crypto.Domain(env.SigningDomain()), chainID, data[:n:n])
	if err != nil {
		return nil, fmt.Errorf("p2p: sign envelope: %w", err)
	}
	copy(data[n:], sig[:])
	return data, nil
}
