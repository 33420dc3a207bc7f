package consensus

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Config configures a Core. All fields but the two tuning knobs are required.
type Config struct {
	Validators *ValidatorSet
	Elector    LeaderElector
	Signer     Signer
	Verifier   Verifier
	// Genesis is the height-0 header; the genesis QC certifies it.
	Genesis types.BlockHeader
	// Root, when set, is the last block the outer layer already holds as
	// final (a restarted or synced node). The core starts its block tree
	// there: nothing at or below Root's height is fetched or voted on again.
	// Nil means Genesis.
	Root *types.BlockHeader
	// BaseTimeoutTicks is the view timeout in ticks before backoff.
	BaseTimeoutTicks uint64
	// MaxBackoffExp caps the exponential backoff at BaseTimeoutTicks << MaxBackoffExp.
	MaxBackoffExp uint64
	// DisableConsecutiveViewCheck removes the consecutive-view condition from
	// the commit rule. UNSAFE: it exists only for negative-control tests.
	DisableConsecutiveViewCheck bool
	// DisableProposalMarker lets a leader propose a second block in a view
	// it already proposed in (after a restart). UNSAFE: negative-control
	// tests only.
	DisableProposalMarker bool
}

// Errors returned by Step for messages the core rejects.
var (
	ErrWrongProposer = errors.New("consensus: proposer is not the view's leader")
	ErrBadProposal   = errors.New("consensus: malformed proposal")
	// ErrBeyondWindow: a vote or timeout of a view more than ViewWindow
	// ahead of the current one. It is dropped, not judged: an honest
	// sender is simply ahead of this node.
	ErrBeyondWindow = errors.New("consensus: view beyond the window")
	// ErrEquivocation: a vote or timeout conflicting with one its signer
	// already sent for the view. It is never counted; the first is
	// reported as evidence (RecordEvidence).
	ErrEquivocation = errors.New("consensus: conflicting message for the view")
)

// Core is the consensus state machine of one node: a validator, or a
// follower whose key is not in the validator set (see CanSign). It is not
// safe for concurrent use; the outer layer serialises calls to Step.
type Core struct {
	cfg              Config
	self             types.Address
	power            uint64 // self's power; 0 for a follower
	member           bool   // self is in the validator set: it may sign
	genesisBlockHash types.Hash

	safety   SafetyData
	pm       pacemaker
	lastTC   *types.TimeoutCert
	proposed uint64 // highest view this node asked to propose in

	forks    *forks
	pending  map[types.Hash][]types.BlockHeader // children waiting for a parent
	fetching map[types.Hash]bool
	execReq  map[types.Hash]bool

	certs    *certVerifier
	votes    *voteCollector
	timeouts *timeoutCollector
	reported map[conflictKey]struct{} // equivocations reported, pruned with the collectors

	acts []Action
}

// NewCore returns a core. safety is the persisted SafetyData of a restarted
// node, or nil for a fresh one.
func NewCore(cfg Config, safety *SafetyData) (*Core, error) {
	if cfg.Validators == nil || cfg.Elector == nil || cfg.Signer == nil || cfg.Verifier == nil {
		return nil, errors.New("consensus: incomplete config")
	}
	gh, err := cfg.Genesis.Hash()
	if err != nil {
		return nil, err
	}
	root, rootHash := cfg.Genesis, gh
	if cfg.Root != nil && cfg.Root.Height > 0 {
		root = *cfg.Root
		if rootHash, err = root.Hash(); err != nil {
			return nil, err
		}
	}
	c := &Core{
		cfg: cfg, self: cfg.Signer.Address(), genesisBlockHash: gh,
		forks:   newForks(root, rootHash),
		pending: map[types.Hash][]types.BlockHeader{}, fetching: map[types.Hash]bool{}, execReq: map[types.Hash]bool{},
		certs:    newCertVerifier(cfg.Validators, cfg.Verifier),
		votes:    newVoteCollector(cfg.Validators),
		timeouts: newTimeoutCollector(cfg.Validators),
		reported: map[conflictKey]struct{}{},
	}
	c.power, c.member = cfg.Validators.Power(c.self)
	if safety != nil {
		c.safety = safety.Clone()
	}
	view := max(uint64(1), c.safety.HighQC.View+1, c.safety.LastVotedView, c.safety.LastTimeoutView)
	c.pm = newPacemaker(view, cfg.BaseTimeoutTicks, cfg.MaxBackoffExp)
	return c, nil
}

// Held returns how many views of votes and of timeouts the core holds:
// at most ViewWindow+2 each (spec/consensus.md, "Bounded state"), each
// view at most one entry per validator.
func (c *Core) Held() (voteViews, timeoutViews int) {
	return c.votes.views(), c.timeouts.views()
}

// View returns the current view.
func (c *Core) View() uint64 { return c.pm.view }

// Safety returns a copy of the safety data.
func (c *Core) Safety() SafetyData { return c.safety.Clone() }

// Committed returns the last committed header.
func (c *Core) Committed() types.BlockHeader { return c.forks.committed.header }

// CanSign reports whether this node's key is in the validator set. A core
// that cannot sign is a follower (a learner): it verifies proposals,
// certificates and votes, asks for execution and fetches, and commits the
// chain like a validator, but it never votes, times out or proposes, so
// Step never returns PersistSafety, SendVote, BroadcastNewView,
// BroadcastProposal or RequestProposal. Its signature would count for
// nothing, and a follower that signed would still have to persist and
// never equivocate for no benefit.
func (c *Core) CanSign() bool { return c.member }

// Step processes one event and returns the actions to execute, in order.
// An error means the event was rejected (e.g. a bad signature); actions
// returned alongside it must still be executed. A refusal to sign (a
// *NoVoteError: a safety rule, or a follower) is not a rejection: Step
// returns no error for it.
func (c *Core) Step(ev Event) ([]Action, error) {
	c.acts = nil
	var err error
	switch e := ev.(type) {
	case Tick:
		if c.pm.tick() {
			err = c.onLocalTimeout()
		} else {
			// A node that starts (or restarts) in a view it leads has not
			// entered it through advance: propose now if it can.
			c.lead(c.pm.view)
		}
	case ProposalReceived:
		err = c.onProposal(&e.Header, true)
	case BlockFetched:
		err = c.onProposal(&e.Header, false)
	case ProposalBuilt:
		err = c.onBuilt(&e.Header)
	case BlockExecuted:
		if e.Valid {
			err = c.tryVote(e.Hash)
		}
	case VoteReceived:
		err = c.onVote(&e.Vote)
	case NewViewReceived:
		err = c.onNewView(&e.Msg)
	case PeerJoined:
		c.onPeerJoined()
	case LeaderLost:
		err = c.onLeaderLost(e.View)
	default:
		err = fmt.Errorf("consensus: unknown event %T", ev)
	}
	if refused := (*NoVoteError)(nil); errors.As(err, &refused) {
		err = nil // the rules' answer, not a rejected event
	}
	acts := c.acts
	c.acts = nil
	return acts, err
}

func (c *Core) emit(a Action) { c.acts = append(c.acts, a) }

func (c *Core) leader(view uint64) types.Address { return c.cfg.Elector.Leader(view) }

// verifyHeader checks a proposal's consensus fields and certificates, and
// with leader its proposer against this node's schedule. A fetched block
// is not checked against the schedule: a quorum certified it, so it is the
// chain's whatever this node's schedule says, and the schedule of a node
// that committed more or less history than the voters had when they voted
// may differ (spec/consensus.md "Leader selection"); refusing it would
// leave this node unable to follow the chain built on it.
func (c *Core) verifyHeader(h *types.BlockHeader, leader bool) error {
	if leader && h.Proposer != c.leader(h.View) {
		return ErrWrongProposer
	}
	if h.View <= h.QC.View || h.Height != h.QC.Height+1 {
		return fmt.Errorf("%w: view %d height %d over QC view %d height %d", ErrBadProposal, h.View, h.Height, h.QC.View, h.QC.Height)
	}
	parent := h.QC.BlockHash
	if IsGenesisQC(&h.QC) {
		parent = c.genesisBlockHash
	}
	if h.ParentHash != parent {
		return fmt.Errorf("%w: parent hash is not the QC's block", ErrBadProposal)
	}
	if err := c.certs.verifyQC(&h.QC); err != nil {
		return err
	}
	if tc := h.TimeoutCert; tc != nil {
		if err := c.certs.verifyTC(tc); err != nil {
			return err
		}
	}
	if h.View != h.QC.View+1 {
		tc := h.TimeoutCert
		if tc == nil || tc.View+1 != h.View || h.QC.View < maxHighQCView(tc) {
			return fmt.Errorf("%w: view gap without a matching TC", ErrBadProposal)
		}
	}
	return nil
}

func (c *Core) onBuilt(h *types.BlockHeader) error {
	if !c.member {
		return fmt.Errorf("%w: it never asked to propose", ErrNotValidator)
	}
	if h.Proposer != c.self || h.View != c.pm.view {
		return fmt.Errorf("%w: built block is not ours for the current view", ErrBadProposal)
	}
	hash, err := h.Hash()
	if err != nil {
		return err
	}
	if !c.cfg.DisableProposalMarker {
		if err := c.safety.safeToPropose(h.View, hash); err != nil {
			return err
		}
	}
	if h.View > c.safety.LastProposedView {
		// Persisted before the proposal leaves, as a vote is: a leader
		// restarted in this view may send this block again, never another.
		c.safety.LastProposedView, c.safety.LastProposal = h.View, hash
		c.emit(PersistSafety{Data: c.safety.Clone()})
	}
	c.emit(BroadcastProposal{Header: *h})
	return c.onHashedProposal(h, hash, true)
}

// onPeerJoined sends again this node's timeout of the current view, if it
// signed one: a peer that just connected (a restarted validator) then
// learns the view, the high QC and the last TC at once instead of at the
// next timeout, which backoff may put many seconds away.
func (c *Core) onPeerJoined() {
	if c.member && c.safety.LastTimeout != nil && c.safety.LastTimeout.View == c.pm.view {
		c.emit(BroadcastNewView{Msg: c.newView(*c.safety.LastTimeout)})
	}
}

// onLeaderLost times out the current view at once when the outer
// layer has lost its leader (see LeaderLost); a view already timed
// out here is left to its timer, which rebroadcasts.
func (c *Core) onLeaderLost(view uint64) error {
	if view != c.pm.view || c.leader(view) == c.self {
		return nil
	}
	// Its proposal arrived (this node voted): the view can still end in
	// a QC, which a timeout here would only work against.
	if c.safety.LastVotedView >= view {
		return nil
	}
	c.pm.lost = view
	if c.safety.LastTimeout != nil && c.safety.LastTimeout.View == view {
		return nil
	}
	return c.onLocalTimeout()
}

// beyondWindow reports whether view is too far ahead of the current view
// for a vote or timeout of it to be stored (spec/consensus.md, "Bounded
// state"): the collectors then hold at most ViewWindow+2 views.
func (c *Core) beyondWindow(view uint64) bool {
	return view > c.pm.view+params.ViewWindow
}

// onProposal handles a proposal (leader: checked against the schedule) or
// a fetched block (not: a quorum certified it).
func (c *Core) onProposal(h *types.BlockHeader, leader bool) error {
	hash, err := h.Hash()
	if err != nil {
		return err
	}
	return c.onHashedProposal(h, hash, leader)
}

// onHashedProposal is onProposal for a header whose hash is known.
func (c *Core) onHashedProposal(h *types.BlockHeader, hash types.Hash, leader bool) error {
	if _, known := c.forks.blocks[hash]; known {
		return nil
	}
	if h.Height <= c.forks.committed.header.Height {
		return nil // at or below the final block: too late to matter
	}
	if err := c.verifyHeader(h, leader); err != nil {
		return err
	}
	c.processQC(h.QC)
	if h.TimeoutCert != nil {
		c.processTC(h.TimeoutCert)
	}
	return c.insert(*h, hash)
}

// insert adds a verified header to the tree, or parks it until its parent
// arrives, then applies the lock and commit rules.
func (c *Core) insert(h types.BlockHeader, hash types.Hash) error {
	parent := c.forks.certified(&h.QC)
	if parent == nil && h.QC.Height <= c.forks.committed.header.Height {
		return nil // extends a block that is final (not the root) or lost to it
	}
	if parent == nil {
		c.pending[h.QC.BlockHash] = append(c.pending[h.QC.BlockHash], h)
		if !c.fetching[h.QC.BlockHash] {
			c.fetching[h.QC.BlockHash] = true
			c.emit(FetchBlock{Hash: h.QC.BlockHash})
		}
		return nil
	}
	if parent.header.View != h.QC.View || parent.header.Height != h.QC.Height {
		return fmt.Errorf("%w: QC view/height do not match the parent", ErrBadProposal)
	}
	b := &block{hash: hash, header: h, parent: parent}
	c.forks.blocks[hash] = b
	delete(c.fetching, hash)
	c.onCertified(parent, &h.QC)
	if h.View == c.pm.view && !c.execReq[hash] {
		c.execReq[hash] = true
		c.emit(RequestExecute{Header: h})
	}
	children := c.pending[hash]
	delete(c.pending, hash)
	for _, ch := range children {
		chHash, err := ch.Hash()
		if err != nil {
			return err
		}
		if _, known := c.forks.blocks[chHash]; known {
			continue
		}
		if err := c.insert(ch, chHash); err != nil {
			return err
		}
	}
	return nil
}

// tryVote votes for an executed block, or returns a *NoVoteError when this
// node may not: it is not a validator (checked first, before anything is
// signed or emitted), or a safety rule refuses. Any other error is a
// failure to sign. A block no longer in the tree (pruned) is silently not
// voted for.
func (c *Core) tryVote(hash types.Hash) error {
	if !c.member {
		return &NoVoteError{Reason: ErrNotValidator}
	}
	b := c.forks.blocks[hash]
	if b == nil {
		return nil
	}
	if err := c.safety.safeToVote(&b.header, c.pm.view); err != nil {
		return err
	}
	v := types.Vote{View: b.header.View, Height: b.header.Height, BlockHash: hash, Voter: c.self}
	payload, err := v.SigningPayload()
	if err != nil {
		return err
	}
	if v.Signature, err = c.cfg.Signer.Sign(types.SigningDomainVote, payload); err != nil {
		return err
	}
	c.safety.LastVotedView = v.View
	c.emit(PersistSafety{Data: c.safety.Clone()})
	c.emit(SendVote{To: c.leader(v.View + 1), Vote: v})
	// Counted here too, whoever leads next: every node aggregates votes,
	// so the QC forms even when the next leader is down, and the view after
	// it then times out on its own instead of taking this block with it.
	// Its own signature, just made, is not checked again.
	_ = c.countVote(&v, c.power) // its own vote: never a conflict
	return nil
}

// onVote aggregates a vote. Every node aggregates, not only the next leader:
// votes travel on a gossip topic that reaches all validators, and a node
// that forms the QC for a block learns of the commit it implies one message
// delay after the votes, instead of a block time later when the next
// proposal carries the QC (spec/consensus.md, "Votes").
func (c *Core) onVote(v *types.Vote) error {
	power, ok := c.cfg.Validators.Power(v.Voter)
	if !ok {
		return fmt.Errorf("%w: voter %x", ErrUnknownValidator, v.Voter)
	}
	if v.View < c.safety.HighQC.View {
		return nil // stale: a higher QC exists
	}
	if c.beyondWindow(v.View) {
		return fmt.Errorf("%w: vote of view %d at view %d", ErrBeyondWindow, v.View, c.pm.view)
	}
	payload, err := v.SigningPayload()
	if err != nil {
		return err
	}
	if err := c.cfg.Verifier.Verify(types.SigningDomainVote, payload, v.Signature, v.Voter); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return c.countVote(v, power)
}

// countVote adds a verified vote of a validator with power, forming and
// processing the QC when it completes one.
func (c *Core) countVote(v *types.Vote, power uint64) error {
	if v.View < c.safety.HighQC.View {
		return nil // stale: a higher QC exists
	}
	c.certs.remember(voteKey(v)) // verified on arrival, or signed here
	qc, conflict := c.votes.add(v, power)
	if conflict != nil {
		return c.reportConflict(types.EvidenceKindDoubleVote, v.Voter, v.View, conflict, v)
	}
	if qc != nil {
		c.processQC(*qc)
	}
	return nil
}

// reportConflict emits, once per (kind, view, signer), the evidence that
// signer signed both a and b (two verified messages) for view, and
// rejects b with ErrEquivocation: the outer layer counts it against the
// key, so a key repeating conflicting messages is rate-limited like one
// sending invalid ones, and the evidence is stored once. Both messages were
// verified, so encoding cannot fail; if it did, nothing is emitted.
func (c *Core) reportConflict(kind types.EvidenceKind, signer types.Address, view uint64, a, b interface{ MarshalBorsh() ([]byte, error) }) error {
	err := fmt.Errorf("%w: %s by %x in view %d", ErrEquivocation, kind, signer, view)
	k := conflictKey{kind, view, signer}
	if _, done := c.reported[k]; done {
		return err
	}
	ea, aerr := a.MarshalBorsh()
	eb, berr := b.MarshalBorsh()
	if aerr != nil || berr != nil {
		return err
	}
	c.reported[k] = struct{}{}
	c.emit(RecordEvidence{Evidence: NewEvidence(kind, signer, view, ea, eb)})
	return err
}

// conflictKey identifies one reported equivocation.
type conflictKey struct {
	kind   types.EvidenceKind
	view   uint64
	signer types.Address
}

func (c *Core) onNewView(nv *types.NewView) error {
	t := &nv.Timeout
	power, ok := c.cfg.Validators.Power(t.Sender)
	if !ok {
		return fmt.Errorf("%w: sender %x", ErrUnknownValidator, t.Sender)
	}
	if t.HighQCView >= t.View || nv.HighQC.View < t.HighQCView {
		return fmt.Errorf("%w: inconsistent NewView", ErrBadTC)
	}
	if err := c.certs.verifyQC(&nv.HighQC); err != nil {
		return err
	}
	if nv.LastTC != nil {
		if err := c.certs.verifyTC(nv.LastTC); err != nil {
			return err
		}
	}
	if c.beyondWindow(t.View) {
		// The certificates are verified and may move this node on; the
		// timeout itself is not stored, and its signature not checked,
		// unless that brings its view within the window.
		c.processQC(nv.HighQC)
		if nv.LastTC != nil {
			c.processTC(nv.LastTC)
		}
		if c.beyondWindow(t.View) {
			return fmt.Errorf("%w: timeout of view %d at view %d", ErrBeyondWindow, t.View, c.pm.view)
		}
	}
	payload, err := t.SigningPayload()
	if err != nil {
		return err
	}
	if err := c.cfg.Verifier.Verify(types.SigningDomainTimeout, payload, t.Signature, t.Sender); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	c.processQC(nv.HighQC)
	if nv.LastTC != nil {
		c.processTC(nv.LastTC)
	}
	return c.addTimeout(t, power)
}

func (c *Core) addTimeout(t *types.Timeout, power uint64) error {
	if t.View < c.pm.view {
		return nil
	}
	c.certs.remember(timeoutKey(t)) // verified on arrival, or signed here
	tc, conflict := c.timeouts.add(t, power)
	if conflict != nil {
		return c.reportConflict(types.EvidenceKindDoubleTimeout, t.Sender, t.View, conflict, t)
	}
	if tc != nil {
		c.processTC(tc)
		return nil
	}
	// Timeouts of more than a third of the power for the current view
	// mean at least one honest validator gave up on it: join them now
	// rather than wait out a backed-off timer (DiemBFT v4's timeout
	// aggregation), so a view whose TC lacks only this node's timeout
	// ends one message delay after the others timed out.
	if t.View == c.pm.view && c.member && c.safety.LastTimeoutView < t.View &&
		c.cfg.Validators.ExceedsFaulty(c.timeouts.power[t.View]) {
		return c.onLocalTimeout()
	}
	return nil
}

// onLocalTimeout signs a timeout for the current view (once), or
// rebroadcasts the one already signed so a lost NewView cannot stall. It
// returns a *NoVoteError when this node may not: it is not a validator
// (not even a timeout it signed while it was one is rebroadcast: it no
// longer counts), or the safety rule refuses.
func (c *Core) onLocalTimeout() error {
	if !c.member {
		return &NoVoteError{Reason: ErrNotValidator}
	}
	view := c.pm.view
	if c.safety.LastTimeout != nil && c.safety.LastTimeout.View == view {
		c.emit(BroadcastNewView{Msg: c.newView(*c.safety.LastTimeout)})
		return nil
	}
	if err := c.safety.safeToTimeout(view, c.pm.view); err != nil {
		return err
	}
	t := types.Timeout{View: view, HighQCView: c.safety.HighQC.View, Sender: c.self}
	payload, err := t.SigningPayload()
	if err != nil {
		return err
	}
	if t.Signature, err = c.cfg.Signer.Sign(types.SigningDomainTimeout, payload); err != nil {
		return err
	}
	c.safety.LastTimeoutView = view
	c.safety.LastTimeout = &t
	c.emit(PersistSafety{Data: c.safety.Clone()})
	c.emit(BroadcastNewView{Msg: c.newView(t)})
	return c.addTimeout(&t, c.power)
}

func (c *Core) newView(t types.Timeout) types.NewView {
	nv := types.NewView{Timeout: t, HighQC: cloneQC(c.safety.HighQC)}
	if c.lastTC != nil {
		tc := *c.lastTC
		nv.LastTC = &tc
	}
	return nv
}

// processQC records a verified QC, applies the lock and commit rules to the
// block it certifies if that block is known, and enters the view after it.
func (c *Core) processQC(qc types.QuorumCert) {
	c.safety.updateHighQC(qc)
	if !IsGenesisQC(&qc) {
		if b := c.forks.blocks[qc.BlockHash]; b != nil && b.header.View == qc.View && b.header.Height == qc.Height {
			c.onCertified(b, &qc)
		}
	}
	c.advance(qc.View+1, false)
}

// onCertified applies the lock and commit rules to b2, which qc certifies:
// when b2's parent b1 and grandparent b0 were proposed in consecutive views,
// b0 and its ancestors are final. The CommitBlocks action carries the
// CommitProof (b1, b2, qc) a syncing node checks.
func (c *Core) onCertified(b2 *block, qc *types.QuorumCert) {
	b0 := commitCandidate(b2, &c.safety, !c.cfg.DisableConsecutiveViewCheck)
	if b0 == nil {
		return
	}
	b1 := b2.parent
	hs := c.forks.commit(b0)
	if len(hs) == 0 {
		return
	}
	c.emit(CommitBlocks{Headers: hs, Proof: types.CommitProof{Child: b1.header, Grandchild: b2.header, QC: cloneQC(*qc)}})
	c.pruneBelow(b0.header.Height, b0.header.View)
}

// pruneBelow drops what a final block at height and view makes useless:
// tree blocks below it, parked children of such blocks, and certificates of
// earlier views. The final block's parent link is cut so its ancestors can
// be garbage collected.
func (c *Core) pruneBelow(height, view uint64) {
	for h, b := range c.forks.blocks {
		if b.header.Height < height {
			delete(c.forks.blocks, h)
			delete(c.execReq, h)
		}
	}
	c.forks.committed.parent = nil
	for h, hs := range c.pending {
		kept := hs[:0]
		for _, x := range hs {
			if x.Height > height {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(c.pending, h)
			delete(c.fetching, h)
		} else {
			c.pending[h] = kept
		}
	}
	c.certs.prune(view)
}

// processTC records a verified TC and enters the view after it.
func (c *Core) processTC(tc *types.TimeoutCert) {
	if c.lastTC == nil || tc.View > c.lastTC.View {
		c.lastTC = tc
	}
	c.advance(tc.View+1, true)
}

// advance enters view v and, if this node leads it, asks for a proposal.
func (c *Core) advance(v uint64, byTC bool) {
	if !c.pm.advance(v, byTC) {
		return
	}
	c.votes.prune(v - 1)
	c.timeouts.prune(v)
	for k := range c.reported {
		if k.view+1 < v {
			delete(c.reported, k)
		}
	}
	c.lead(v)
}

// lead asks for a proposal if this node leads view v, has not asked yet,
// and can justify a block in v (a QC of v-1, or a TC of v-1 with a QC at
// least as high as the TC's highest). A follower never leads, whatever
// the elector says.
func (c *Core) lead(v uint64) {
	if !c.member || c.leader(v) != c.self || c.proposed >= v {
		return
	}
	req := RequestProposal{View: v, QC: cloneQC(c.safety.HighQC)}
	if c.safety.HighQC.View+1 != v {
		tc := c.lastTC
		if tc == nil || tc.View+1 != v || c.safety.HighQC.View < maxHighQCView(tc) {
			return // cannot justify a proposal; the view will time out
		}
		req.TC = tc
	}
	c.proposed = v
	c.emit(req)
}
