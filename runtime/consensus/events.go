package consensus

import "github.com/oramanetwork/orama-chain/generated/types"

// Event is an input to Core.Step.
//
// # Trust boundary
//
// The core checks by itself everything that carries a signature inside the
// message: every QC and TC (each signer a validator, strictly ascending, its
// signature valid, a quorum of power), the signature of a VoteReceived vote
// by its Voter, and the signed timeout of a NewViewReceived by its Sender.
// Those events may come from anyone.
//
// A block header carries no signature of its own. For a ProposalReceived
// or BlockFetched header the core checks only that it is well formed:
// Proposer is the leader of View (a proposal's only: a fetched block is
// certified, so it is the chain's whatever this node's schedule says),
// Height and ParentHash follow from its QC,
// the QC (and TC) verify, and a view gap is justified by the TC. That its
// claimed proposer actually proposed it, the core cannot tell; see each
// event for what the outer layer must guarantee instead. Whatever it
// delivers, no two conflicting blocks become final: a header takes part in
// a commit only as a block a verified QC certifies (by hash, view and
// height), and a validator votes once per view. What a forged header can
// do is win votes, and so finality, for a block its claimed proposer never
// made.
type Event interface{ isEvent() }

// ProposalReceived: a leader's proposal (block header carrying the QC for its
// parent and, after a timeout, the TC of the previous view).
//
// The core votes for a proposal of the current view, so the header must be
// authentic: the outer layer delivers only proposals whose sender signed
// them, and that sender is Header.Proposer (runtime/p2p checks that the
// Envelope signature verifies for its Sender and that Sender ==
// Block.Header.Proposer). Otherwise anyone could make validators vote for
// a block the leader never proposed, or make an honest leader look like an
// equivocator.
type ProposalReceived struct{ Header types.BlockHeader }

// ProposalBuilt: the outer layer built the block this core asked for with
// RequestProposal. The core records it as its proposal for the view
// (PersistSafety), broadcasts and processes it; a block other than the one
// already recorded for the view (a restarted leader) is not broadcast.
type ProposalBuilt struct{ Header types.BlockHeader }

// BlockExecuted: the outer layer validated/executed the block the core asked
// about with RequestExecute. Only a valid block is voted for.
type BlockExecuted struct {
	Hash  types.Hash
	Valid bool
}

// BlockFetched: a block header the core asked for with FetchBlock.
//
// It comes from any peer and is unauthenticated: the core asks only for
// the block hash a verified QC certifies, so such a header is authentic by
// its hash (a quorum voted for it), and it is then in a view below the
// current one: it is inserted into the tree but never voted for. The core
// does not check that it asked for the hash; it processes BlockFetched
// like ProposalReceived, less the proposer check. So the outer layer must deliver only a
// header whose hash is one it was asked for (runtime/p2p's FetchBlock
// refuses a block whose header hash differs), or one it received
// authenticated earlier (the proposals a restarted node hands back).
type BlockFetched struct{ Header types.BlockHeader }

// VoteReceived: a vote. The next leader aggregates it to propose; every
// other node aggregates it to learn of commits early. The core checks the
// voter's signature and membership itself.
type VoteReceived struct{ Vote types.Vote }

// NewViewReceived: a NewView (signed timeout, high QC, last TC). The core
// checks the timeout's signature and the certificates itself.
type NewViewReceived struct{ Msg types.NewView }

// Tick: one unit of logical time.
type Tick struct{}

// LeaderLost: the outer layer has lost the leader of View, which has
// lasted a block time and a quarter of a view timeout: this node was
// connected to the leader's peer and is not now, or nothing signed by the
// leader's key has arrived for a view timeout, or that key is rate-limited
// for sending invalid content. A validator that has neither voted nor
// timed out in View times out at once (spec/consensus.md, "Lost leader"):
// a crashed, stopped or misbehaving leader then costs about a block time
// instead of a backed-off view timeout. It is a local liveness hint, like
// the timer it replaces; safety never depends on it. The core ignores it
// for any view other than the current one, and for a view this node leads.
type LeaderLost struct{ View uint64 }

// PeerJoined: a peer connected or reconnected. A validator that has timed
// out in the current view sends its NewView again (a distinct message: the
// outer layer stamps NewView.Nonce), so a restarted peer catches up at once.
type PeerJoined struct{}

func (ProposalReceived) isEvent() {}
func (ProposalBuilt) isEvent()    {}
func (BlockExecuted) isEvent()    {}
func (BlockFetched) isEvent()     {}
func (VoteReceived) isEvent()     {}
func (NewViewReceived) isEvent()  {}
func (Tick) isEvent()             {}
func (LeaderLost) isEvent()       {}
func (PeerJoined) isEvent()       {}

// Action is an output of Core.Step. Actions must be executed in order; see
// the package documentation for the persistence contract.
type Action interface{ isAction() }

// PersistSafety: write Data to stable storage before executing any later
// action of the same batch.
type PersistSafety struct{ Data SafetyData }

// BroadcastProposal: send the proposal to all validators.
type BroadcastProposal struct{ Header types.BlockHeader }

// SendVote: send the vote to the leader of the next view.
type SendVote struct {
	To   types.Address
	Vote types.Vote
}

// BroadcastNewView: send the NewView to all validators (the first time after
// a timeout and again on every further timeout of the same view).
type BroadcastNewView struct{ Msg types.NewView }

// RequestProposal: this node leads View; build a block whose parent is the
// block QC certifies, carrying QC and, when non-nil, TC, and hand it back
// with ProposalBuilt.
type RequestProposal struct {
	View uint64
	QC   types.QuorumCert
	TC   *types.TimeoutCert
}

// RequestExecute: validate/execute the block and answer with BlockExecuted.
type RequestExecute struct{ Header types.BlockHeader }

// FetchBlock: obtain the header with this hash and answer with BlockFetched.
type FetchBlock struct{ Hash types.Hash }

// CommitBlocks: the blocks are final, oldest first, each the parent of the
// next. Proof shows the last one final to a node that does not run this
// core (block sync serves it).
type CommitBlocks struct {
	Headers []types.BlockHeader
	Proof   types.CommitProof
}

// RecordEvidence: a validator signed two conflicting votes or timeouts
// for one view; keep the evidence (spec/consensus.md, "Equivocation
// evidence"). Conflicting proposals are detected by the outer layer,
// which holds their signed envelopes.
type RecordEvidence struct{ Evidence types.Evidence }

func (PersistSafety) isAction()     {}
func (RecordEvidence) isAction()    {}
func (BroadcastProposal) isAction() {}
func (SendVote) isAction()          {}
func (BroadcastNewView) isAction()  {}
func (RequestProposal) isAction()   {}
func (RequestExecute) isAction()    {}
func (FetchBlock) isAction()        {}
func (CommitBlocks) isAction()      {}
