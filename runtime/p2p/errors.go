package p2p

import "errors"

// Sentinel errors. Functions return them wrapped with detail; test with
// errors.Is.
var (
	// ErrIgnore, wrapped in an error returned by Config.Validate, drops a
	// message without penalising the peer that sent it (a duplicate
	// transaction, say, or one that is stale only because of local state).
	ErrIgnore = errors.New("p2p: ignore message")
	// ErrBadEnvelope: the bytes are not exactly the Borsh encoding of an
	// Envelope (short, trailing bytes, unknown type, oversized payload).
	ErrBadEnvelope = errors.New("p2p: bad envelope")
	// ErrWrongTopic: the envelope's type does not belong to the topic it
	// arrived on.
	ErrWrongTopic = errors.New("p2p: message type not allowed on topic")
	// ErrUnknownSender: a consensus message (proposal, vote, new view) from
	// an address that is not a validator.
	ErrUnknownSender = errors.New("p2p: sender is not a validator")
	// ErrBadPayload: the payload does not decode strictly as its type, or
	// the signer it names is not the envelope sender.
	ErrBadPayload = errors.New("p2p: bad payload")
	// ErrBadSignature: the envelope signature is malformed or was not made
	// by the sender over the envelope under this chain id.
	ErrBadSignature = errors.New("p2p: bad envelope signature")
	// ErrNoPeers: there is no connected peer to ask.
	ErrNoPeers = errors.New("p2p: no connected peers")
	// ErrNotFound: no peer returned the requested block.
	ErrNotFound = errors.New("p2p: not found")
	// ErrBadResponse: a sync response was oversized, badly framed, did not
	// decode strictly, or did not match the request.
	ErrBadResponse = errors.New("p2p: bad sync response")
	// ErrClosed: the host has been closed.
	ErrClosed = errors.New("p2p: host closed")
)
