// Package consensus is the consensus core of the Orama chain: pipelined,
// chained HotStuff with a Jolteon-style (DiemBFT v4) timeout certificate view
// change and the three-chain commit rule with consecutive views.
//
// # Contract
//
// The core is a pure, deterministic state machine in the style of
// go.etcd.io/raft. It never performs I/O, never touches the network, storage
// or a clock, and never starts goroutines. The outer layer (runtime/node)
// feeds it events through Core.Step and executes the actions Step returns,
// in order:
//
//	acts, err := core.Step(consensus.VoteReceived{Vote: v})
//	for _, a := range acts { ... }
//
// Time is logical: the outer layer calls Step(Tick{}) at a fixed rate and the
// pacemaker counts ticks.
//
// A node whose key is not in the validator set runs the same core as a
// follower (Core.CanSign): it follows and commits the chain but never signs,
// so none of its actions needs persisting or sending.
//
// Which events the core authenticates itself and which it trusts the outer
// layer to have authenticated is stated on Event.
//
// # Ordering of actions (the Ready contract)
//
// Actions must be executed in the order returned. In particular a
// PersistSafety action always precedes the SendVote, BroadcastNewView or
// BroadcastProposal (a new view's first proposal: LastProposedView) that
// depends on it, and the outer layer MUST write the SafetyData to stable
// storage (fsync) BEFORE sending any later message in the same batch. A node
// that crashes between the two simply has not sent the message; a node that
// sends first and crashes before persisting could sign a second, different
// message for the same view after restart, which is equivocation.
//
// Messages the core addresses to itself (a vote to itself as next leader, its
// own proposal, its own NewView) have already been processed locally when Step
// returns; delivering them back is harmless (duplicates are ignored).
//
// # Files
//
//	core.go        Core, Step, event routing
//	events.go      events in, actions out
//	safety.go      SafetyData and the voting/timeout safety rules
//	forks.go       the block tree and the commit rule
//	pacemaker.go   views, tick-based timeouts, exponential backoff
//	certs.go       QC/TC verification, vote and timeout collectors
//	proof.go       QC-for-a-block and commit proof verification (block sync)
//	validators.go  validator set, Effective Power, quorum arithmetic
//	leader.go      deterministic EP-weighted leader election
//	signer.go      Signer/Verifier interfaces and crypto-backed implementations
//
// The protocol, the persisted safety data and the leader election are
// specified in spec/consensus.md.
package consensus
