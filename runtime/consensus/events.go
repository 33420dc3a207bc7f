package consensus

import "github.com/oramanetwork/orama-chain/generated/types"

// Event is an input to Core.Step.
type Event interface{ isEvent() }

// ProposalReceived: a leader's proposal (block header carrying the QC for its
// parent and, after a timeout, the TC of the previous view).
type ProposalReceived struct{ Header types.BlockHeader }

// ProposalBuilt: the outer layer built the block this core asked for with
// RequestProposal. The core broadcasts and processes it.
type ProposalBuilt struct{ Header types.BlockHeader }

// BlockExecuted: the outer layer validated/executed the block the core asked
// about with RequestExecute. Only a valid block is voted for.
type BlockExecuted struct {
	Hash  types.Hash
	Valid bool
}

// BlockFetched: a block header the core asked for with FetchBlock.
type BlockFetched struct{ Header types.BlockHeader }

// VoteReceived: a vote. The next leader aggregates it to propose; every
// other node aggregates it to learn of commits early.
type VoteReceived struct{ Vote types.Vote }

// NewViewReceived: a NewView (signed timeout, high QC, last TC).
type NewViewReceived struct{ Msg types.NewView }

// Tick: one unit of logical time.
type Tick struct{}

func (ProposalReceived) isEvent() {}
func (ProposalBuilt) isEvent()    {}
func (BlockExecuted) isEvent()    {}
func (BlockFetched) isEvent()     {}
func (VoteReceived) isEvent()     {}
func (NewViewReceived) isEvent()  {}
func (Tick) isEvent()             {}

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

func (PersistSafety) isAction()     {}
func (BroadcastProposal) isAction() {}
func (SendVote) isAction()          {}
func (BroadcastNewView) isAction()  {}
func (RequestProposal) isAction()   {}
func (RequestExecute) isAction()    {}
func (FetchBlock) isAction()        {}
func (CommitBlocks) isAction()      {}
