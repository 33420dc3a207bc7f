// Package p2p is the node's network layer: a libp2p host that gossips
// signed envelopes on the four topics of Appendix G section 5 and serves
// and requests blocks over two request/response protocols for block sync.
//
// It moves bytes between nodes and checks what can be checked without
// chain state: encodings, envelope signatures, validator membership and
// topic rules. Everything that needs state (is this proposal valid, is
// this transaction payable) belongs to the caller, which plugs in through
// Config.Validate, Config.Deliver, Server and Penalize. The package must
// never import runtime/node, runtime/consensus, runtime/exec, runtime/state
// or runtime/mempool: those layers use it, not the other way round. It
// keeps no global mutable state; every Host is independent.
//
// # Transport
//
// TCP only, with Noise security and the yamux multiplexer; QUIC,
// WebTransport, WebRTC, relays, NAT port mapping, hole punching, mDNS and
// libp2p's Prometheus registration are all off. The node's secp256k1 key is
// also its libp2p identity, so PeerIDFromKey gives a node's peer id before
// it starts. Bootstrap peers are dialled at start and re-dialled while
// disconnected: a check every second, a first retry after two seconds,
// doubling up to thirty seconds (with jitter) while dials keep failing.
//
// # Gossip
//
// Every gossip message is the Borsh encoding of a types.Envelope published
// on the topic of its MessageType (params.TopicBlocks, TopicVotes, TopicTxs,
// TopicNewView). Pubsub's own message signing is off (StrictNoSign): the
// envelope signature authenticates the sender, and the message id is the
// SHA-256 of the message bytes, so identical envelopes deduplicate whoever
// relays them. Before a message is delivered or relayed, a topic validator
// checks, cheapest first:
//
//   - the bytes decode strictly as an Envelope, with no trailing bytes;
//   - its Type belongs to the topic;
//   - on the blocks, votes and newview topics, the sender is a validator;
//   - the payload decodes strictly as the Type's payload, and the signer
//     named inside it (Block.Header.Proposer, Vote.Voter, Timeout.Sender)
//     is the envelope sender;
//   - the signature verifies for the sender under signing domain Envelope
//     and the chain id;
//   - then Config.Validate, if set.
//
// A failed check rejects the message, which gossipsub scores against the
// peer that sent it; Config.Validate can instead ignore a message
// (ErrIgnore) with no penalty. The host's own messages go through the same
// checks when published, and are never handed back to the host's owner.
//
// A proposal, vote or new view from another node that passes the checks
// goes straight from the topic's subscription reader to Config.Deliver:
// the package holds no queue of its own. Deliver must not block; the node
// pushes into its one bounded queue between the network and the consensus
// loop (runtime/driver's inbound.go), whose doc gives the bound and the rule for
// what is dropped when the loop falls behind. Transactions are never
// delivered: Config.Validate admits them to the mempool before they are
// relayed, and that is all the node does with them.
//
// # Peer scoring
//
// Gossipsub peer scoring is on. The numbers, and why:
//
//   - Topic weights: blocks, votes and newview 1, txs 0.5 (a bad
//     transaction is less harmful than a bad consensus message).
//   - P1 time in mesh: +0.01 a second, capped at 600 s (+6): a small,
//     slow reward so long-lived peers are preferred when the mesh prunes.
//   - P2 first deliveries: +1 each, capped at 10, decaying to zero over
//     10 minutes: rewards peers that forward useful messages first.
//   - The positive total is capped at 30 (TopicScoreCap), so good
//     behaviour never buys room for much bad behaviour.
//   - P3/P3b mesh delivery rates: off. Consensus traffic is a few messages
//     a view from a small validator set; a rate threshold would punish
//     honest peers in quiet periods.
//   - P4 invalid messages: weight -100, on the square of a counter that
//     decays to zero over an hour. One invalid consensus message (-100)
//     takes a peer below the gossip and publish thresholds at once; two on
//     one topic (-400) graylist it. The squared penalty halves in about
//     4.5 minutes.
//   - P5 application score: -10 per Penalize call, halving every 10
//     minutes, floored at -1,000: five recent penalties stop gossip with
//     the peer, thirty graylist it.
//   - P6 IP colocation: off. Devnets and tests run many nodes on one
//     address, and validators are admitted by the validator set, not by IP
//     diversity.
//   - P7 behaviour penalty (broken GRAFT backoff, unanswered IWANT):
//     weight -10 on the square of the excess over 6, decaying over 10
//     minutes.
//   - Thresholds: gossip -50, publish -100, graylist -300; PX is off
//     (accept-PX threshold 100 would apply if it were on), opportunistic
//     grafting at a median mesh score below 5.
//   - Counters decay every second (to zero below 0.01) and are retained
//     for an hour after a peer disconnects, so reconnecting does not wash
//     a penalty away.
//
// Peers reports the scores gossipsub's inspector last sampled (every
// second).
//
// # Sync protocols
//
// Two request/response protocols carry block sync: params.ProtocolSyncRange
// (a types.SyncRequest in, a types.SyncResponse out) and
// params.ProtocolSyncBlock (a types.BlockRequest in, a types.BlockResponse
// out). One request and one response per stream. Both directions use the
// same framing:
//
//	frame = length (u32, little-endian) || Borsh encoding (length bytes)
//
// The client writes the request frame and closes its write side; the
// server writes the response frame and closes the stream, so the response
// frame is followed by end of stream. A request frame longer than 64 bytes,
// a response frame longer than params.MaxSyncResponseBytes (range) or
// params.MaxEnvelopePayloadBytes+1 (block), bytes after the frame, or a
// body that does not decode strictly is an error. A server that cannot
// answer (its Server returned an error) resets the stream. The client also
// checks fields that need no hashing: a range response holds at most the
// blocks asked for, at consecutive heights from the requested one, none
// above the head height it reports. Hashes, parent links, certificates and
// bodies of a range are checked once, by the caller's check function,
// which needs chain state for the certificates anyway. A fetched block is
// checked here: its header must hash to the hash asked for, the one check
// that ties it to the request. Which peers are asked (several at once, the
// first verified answer wins), the deadlines, and what costs a peer sync
// standing and gossip score are SyncClient's (spec/consensus.md, "Choosing
// sync peers").
package p2p
