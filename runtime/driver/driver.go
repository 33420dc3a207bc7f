package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// Chain is the final chain the driver extends: the node's store in
// production, memory in the simulator.
type Chain interface {
	// Head returns the last final block and its hash.
	Head() (*types.Block, types.Hash)
	// States holds the head's state tree; speculative execution reads
	// through it and a final block's overlay is flushed into it.
	States() smt.Store
	// HeadState is the head's state, read-only and safe for concurrent
	// readers: speculative execution reads the accounts the blocks above
	// the head did not write from it (and its cache).
	HeadState() *state.State
	// Commit makes b, whose state nodes are already in States, the head,
	// with proof when b is the last block of a commit.
	Commit(b *types.Block, receipts []types.Receipt, proof *types.CommitProof, written []types.Account) error
	// SaveSafety persists the core's safety data, synced, before any
	// message that depends on it is sent.
	SaveSafety(*types.SafetyRecord) error
	Safety() (*types.SafetyRecord, bool, error)
	// PutPending records a proposed block above the head; PendingBlocks
	// returns those above a height after a restart.
	PutPending(*types.Block) error
	PendingBlocks(above uint64) ([]*types.Block, error)
	// Block returns the final block at height (the leader schedule reads
	// recent committed headers after a restart).
	Block(height uint64) (*types.Block, error)
}

// CommitObserver is an elector whose schedule depends on committed
// history (consensus.ReputationElector): the driver tells it of every
// final block, in order.
type CommitObserver interface{ Committed(*types.BlockHeader) }

// SettledElector is an elector that can say whether its answer for a view
// is final here (consensus.ReputationElector.Settled); a wrong proposer is
// blamed only then. An elector without it is always final.
type SettledElector interface{ Settled(view uint64) bool }

// Pool is the mempool a proposer draws from (runtime/mempool.Pool).
type Pool interface {
	// SelectExcluding picks up to maxTxs transactions within gasLimit,
	// passing over those whose hashes are in exclude, and returns each
	// one's hash beside it (mempool.Pool.SelectExcluding).
	SelectExcluding(baseFee, gasLimit uint64, maxTxs int, exclude map[types.Hash]bool) ([]*types.Transaction, []types.Hash)
	Len() int
	// VerifyBlockSignatures checks a received block's transaction
	// signatures (execution does not) and returns the first bad index.
	VerifyBlockSignatures(txs []types.Transaction) (int, error)
}

// Network is what the driver needs from the peer-to-peer layer. None of
// its methods may call back into the driver synchronously.
type Network interface {
	Publish(ctx context.Context, mt types.MessageType, payload []byte) error
	// RequestBlock asks peers for the block with hash h and returns at
	// once; the answer, if any, comes back through Deliver (or Handle) as
	// an Incoming holding a *types.Block.
	RequestBlock(h types.Hash)
	// SyncRange asks peers for final blocks from height from on and
	// returns the first answer that passes check, which it calls on the
	// caller's goroutine and never after it returns; an answer without
	// blocks means no peer asked has any from there. peer names who
	// answered, for Penalize; the network itself penalises peers whose
	// answers fail check.
	SyncRange(ctx context.Context, from uint64, max int, check func(*types.SyncResponse) error) (resp *types.SyncResponse, peer string, err error)
	// Penalize lowers the score of the peer a rejected message came from.
	Penalize(from string, reason string)
	PeerCount() int
	// Reachable reports false only when the network knows validator's
	// peer, has been connected to it, and is not now: a crashed or
	// partitioned leader (spec/consensus.md, "Lost leader").
	// Unknown validators are reachable, so a network that cannot tell
	// never shortens a view.
	Reachable(validator types.Address) bool
}

// Clock is the only time the driver reads: proposal pacing, block
// timestamps and the vote-time check of a proposal's timestamp.
type Clock interface{ Now() time.Time }

// Incoming is a message for the driver: a gossip message that passed the
// network's envelope checks (*types.Proposal, *types.Vote, *types.NewView)
// or the answer to a RequestBlock (*types.Block).
type Incoming struct {
	Type    types.MessageType
	Decoded any
	From    string // the relaying peer, for Penalize; "" for none
	// Sender is the key that signed the gossip envelope (zero for a
	// fetched block): invalid content counts against it, not against
	// From (senders.go).
	Sender types.Address
	// Envelope is the signed envelope as received, kept as evidence if
	// its proposal conflicts with another of the same view; nil when the
	// network does not supply it.
	Envelope []byte
}

// EvidenceSink keeps proof that a validator signed two conflicting
// messages for one view (spec/consensus.md, "Equivocation evidence").
// RecordEvidence is called from the driver's goroutine and must be quick.
type EvidenceSink interface{ RecordEvidence(*types.Evidence) }

// Status is what `orama status` shows of consensus.
type Status struct {
	View    uint64
	Leader  types.Address
	Peers   int
	Syncing bool
}

// Config configures a Driver. Durations are used as given: the node
// applies its defaults.
type Config struct {
	// Genesis is block 0's header; Validators the genesis validator set.
	Genesis    types.BlockHeader
	Validators []types.Validator
	Signer     consensus.Signer
	Verifier   consensus.Verifier
	// Elector chooses leaders; nil means the leader schedule of
	// spec/consensus.md (consensus.ReputationElector seeded with Seed,
	// the genesis hash). If it is a CommitObserver it is told of every
	// final block.
	Elector consensus.LeaderElector
	Seed    [32]byte

	BlockTime    time.Duration
	ViewTimeout  time.Duration
	TickInterval time.Duration
	// MaxBackoffExp caps the view-timeout backoff; 0 means 4.
	MaxBackoffExp uint64

	Clock  Clock
	Logger *slog.Logger
	// Evidence receives detected equivocations; nil discards them.
	Evidence EvidenceSink
	// UnsafeNoViewCheck removes the consecutive-view condition from the
	// commit rule; negative-control tests only.
	UnsafeNoViewCheck bool
	// UnsafeNoProposalMarker removes the persisted-proposal rule (a leader
	// never proposes two blocks in one view across restarts);
	// negative-control tests only.
	UnsafeNoProposalMarker bool
	// UnsafeNoLeaderLost never reports a lost leader (spec/consensus.md,
	// "Lost leader"): its views wait out the timer; negative-control
	// tests only.
	UnsafeNoLeaderLost bool
}

// Defaults of the driver.
const (
	// syncLag: a proposal this many heights above the head on an unknown
	// parent means the node fell behind; it range-syncs instead of
	// fetching block by block.
	syncLag = 8
	// maxFutureDrift is how far ahead of the local clock a proposal's
	// timestamp may be for this node to vote for it (a local vote check,
	// not a validity rule: spec/state.md "Block validity").
	maxFutureDrift = 15 * time.Second
)

// Driver runs one node's consensus. Its methods other than Deliver,
// Block and Status must be called from one goroutine (Run's, or the
// simulator's).
type Driver struct {
	cfg       Config
	log       *slog.Logger
	chain     Chain
	net       Network // nil: a node alone
	me        types.Address
	set       *consensus.ValidatorSet
	elect     consensus.LeaderElector
	ccfg      consensus.Config
	core      *consensus.Core
	blocks    *blocks
	prod      *producer
	in        *inbound
	asked     map[types.Hash]time.Time // blocks requested from peers, not yet received: when last asked
	keys      *senders                 // invalid content per signing key
	props     proposals                // first proposal seen per recent view
	nonce     uint64                   // last NewView nonce sent
	peers     int                      // peers at the last tick
	joined    time.Time                // when the peer count last rose, until the last PeerJoined is sent
	joinStage int                      // PeerJoined events sent since then
	viewSeen  uint64                   // the core's view at the last tick
	viewAt    time.Time                // when the driver first saw viewSeen
	lostSent  bool                     // LeaderLost sent for viewSeen
	// limitedAtEntry: viewSeen's leader's key was rate-limited when this
	// node entered the view.
	limitedAtEntry bool
	heard          map[types.Address]time.Time // when a message signed by each key last arrived
	gone           map[types.Address]time.Time // when each validator's peer was first seen disconnected
	started        time.Time                   // when Start ran: "heard" for keys not heard since

	mu     sync.Mutex
	status Status
}

// ErrFatal marks errors that must stop the node: storage failures, and a
// final block whose execution disagrees with its header. Every other
// error of an event only means the event was rejected.
var ErrFatal = errors.New("driver: fatal")

type fatal struct{ err error }

func (f fatal) Error() string   { return f.err.Error() }
func (f fatal) Unwrap() []error { return []error{ErrFatal, f.err} }

// New returns a driver over chain, pool and net (nil: no peers, so the
// node makes progress only if its key holds more than 2/3 of the power).
func New(cfg Config, chain Chain, pool Pool, net Network) (*Driver, error) {
	if cfg.Clock == nil || cfg.Signer == nil || cfg.Verifier == nil {
		return nil, errors.New("driver: incomplete config")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TickInterval <= 0 {
		return nil, errors.New("driver: tick interval must be positive")
	}
	if cfg.MaxBackoffExp == 0 {
		cfg.MaxBackoffExp = 4
	}
	set, err := consensus.NewValidatorSetFromValidators(cfg.Validators)
	if err != nil {
		return nil, err
	}
	el := cfg.Elector
	if el == nil {
		el = consensus.NewReputationElector(set, cfg.Seed)
	}
	tick := cfg.TickInterval
	// The view timer runs from entering a view; the leader waits up to a
	// block time before proposing, so a silent leader is one that has not
	// proposed a view timeout after that (spec/consensus.md, "Pacing").
	base := uint64((cfg.BlockTime + cfg.ViewTimeout + tick - 1) / tick)
	d := &Driver{
		cfg: cfg, log: cfg.Logger, chain: chain, net: net, me: cfg.Signer.Address(), set: set, elect: el,
		in: newInbound(inboundLimit), asked: map[types.Hash]time.Time{},
		keys: newSenders(cfg.Clock), props: proposals{}, heard: map[types.Address]time.Time{}, gone: map[types.Address]time.Time{},
	}
	d.blocks = newBlocks(chain, pool, cfg.Clock, exec.ValidatorAddresses(cfg.Validators))
	if obs, ok := el.(CommitObserver); ok {
		d.blocks.committed = obs.Committed
	}
	d.prod = &producer{me: d.me, blockTime: cfg.BlockTime, pool: pool, blocks: d.blocks, clock: cfg.Clock}
	d.prod.fetch = d.request
	d.ccfg = consensus.Config{
		Validators: set, Elector: el, Signer: cfg.Signer, Verifier: cfg.Verifier,
		Genesis: cfg.Genesis, BaseTimeoutTicks: base, MaxBackoffExp: cfg.MaxBackoffExp,
		DisableConsecutiveViewCheck: cfg.UnsafeNoViewCheck, DisableProposalMarker: cfg.UnsafeNoProposalMarker,
	}
	return d, nil
}

// IsValidator reports whether the node's key is in the validator set.
func (d *Driver) IsValidator() bool {
	_, ok := d.set.Power(d.me)
	return ok
}

// View is the core's current view (0 before Start).
func (d *Driver) View() uint64 {
	if d.core == nil {
		return 0
	}
	return d.core.View()
}

// Held is the core's Held: the views of votes and timeouts it holds.
func (d *Driver) Held() (voteViews, timeoutViews int) { return d.core.Held() }

// Safety is a copy of the core's safety data.
func (d *Driver) Safety() consensus.SafetyData { return d.core.Safety() }

// Start range-syncs from peers, then builds the core at the head with the
// persisted safety data and the recorded proposed blocks.
func (d *Driver) Start(ctx context.Context) error {
	d.started = d.cfg.Clock.Now()
	// Once per process: later commits (range sync included) reach the
	// leader schedule as they happen.
	head, _ := d.chain.Head()
	if err := d.loadHistory(&head.Header); err != nil {
		return err
	}
	if d.net != nil {
		if err := d.syncRange(ctx); err != nil {
			return err
		}
	}
	return d.restartCore(ctx)
}

// restartCore builds the core at the head with the persisted safety data.
func (d *Driver) restartCore(ctx context.Context) error {
	rec, ok, err := d.chain.Safety()
	if err != nil {
		return err
	}
	var sd *consensus.SafetyData
	if ok {
		s := fromRecord(rec)
		sd = &s
	}
	head, _ := d.chain.Head()
	cfg := d.ccfg
	hdr := head.Header
	cfg.Root = &hdr
	c, err := consensus.NewCore(cfg, sd)
	if err != nil {
		return err
	}
	d.core = c
	d.prod.pending = nil
	// Give the core back the proposed blocks recorded before a restart:
	// its high QC may certify one that no peer holds.
	pend, err := d.chain.PendingBlocks(hdr.Height)
	if err != nil {
		return err
	}
	for _, b := range pend {
		h, err := b.Header.Hash()
		if err != nil {
			continue
		}
		d.blocks.put(h, b)
		if b.Header.Proposer == d.me {
			d.prod.built(b)
		}
		if err := d.step(ctx, consensus.BlockFetched{Header: b.Header}); err != nil {
			return err
		}
	}
	d.setStatus(false)
	return nil
}

// maxScheduleHistory bounds the final blocks loadHistory reads: the
// elector keeps at most twice as many (consensus.ReputationElector).
const maxScheduleHistory = 512

// loadHistory tells a CommitObserver elector of the final blocks it needs
// for any view after head's, oldest first: those of the last
// LeaderReputationLag + LeaderReputationWindow views and, for each that
// shows a failed view u (consensus.FailedView), those of the same span
// below u, from which u's leader, the validator that failed, was drawn;
// and so on down. So the schedule is the one a node that never stopped
// computes, unless failures chain, each within the span of the next, over
// more than maxScheduleHistory blocks. Start calls it once.
func (d *Driver) loadHistory(head *types.BlockHeader) error {
	obs, ok := d.elect.(CommitObserver)
	if !ok {
		return nil
	}
	span := params.LeaderReputationLag + params.LeaderReputationWindow
	low := head.View - min(head.View, span) // views from low on are needed
	var hs []types.BlockHeader
	for h := head.Height; h > 0 && len(hs) < maxScheduleHistory; h-- {
		b, err := d.chain.Block(h)
		if err != nil {
			return fmt.Errorf("driver: leader schedule history at height %d: %w", h, err)
		}
		if b.Header.View < low {
			break
		}
		hs = append(hs, b.Header)
		if u, ok := consensus.FailedView(&b.Header); ok {
			low = min(low, u-min(u, span))
		}
	}
	for i := len(hs) - 1; i >= 0; i-- {
		obs.Committed(&hs[i])
	}
	return nil
}

func (d *Driver) setStatus(syncing bool) {
	st := Status{Syncing: syncing}
	if d.core != nil {
		st.View = d.core.View()
		st.Leader = d.elect.Leader(st.View)
	}
	if d.net != nil {
		st.Peers = d.net.PeerCount()
	}
	d.mu.Lock()
	d.status = st
	d.mu.Unlock()
}

// Status returns the consensus status; safe from any goroutine.
func (d *Driver) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// Block returns a proposed block above the head that the driver holds;
// safe from any goroutine (the sync server calls it).
func (d *Driver) Block(h types.Hash) *types.Block { return d.blocks.body(h) }

func toRecord(s consensus.SafetyData) *types.SafetyRecord {
	return &types.SafetyRecord{LastVotedView: s.LastVotedView, LockedQC: s.LockedQC, HighQC: s.HighQC,
		LastTimeoutView: s.LastTimeoutView, LastTimeout: s.LastTimeout,
		LastProposedView: s.LastProposedView, LastProposal: s.LastProposal}
}

func fromRecord(r *types.SafetyRecord) consensus.SafetyData {
	return consensus.SafetyData{LastVotedView: r.LastVotedView, LockedQC: r.LockedQC, HighQC: r.HighQC,
		LastTimeoutView: r.LastTimeoutView, LastTimeout: r.LastTimeout,
		LastProposedView: r.LastProposedView, LastProposal: r.LastProposal}
}

// Tick advances the core's logical clock by one tick and lets the
// producer propose if pacing now allows.
func (d *Driver) Tick(ctx context.Context) error {
	if err := d.step(ctx, consensus.Tick{}); err != nil {
		return err
	}
	if err := d.peersChanged(ctx); err != nil {
		return err
	}
	if err := d.leaderLost(ctx); err != nil {
		return err
	}
	d.props.prune(d.core.View() - 1)
	d.retryRequests()
	err := d.propose(ctx)
	d.setStatus(false)
	return err
}

// leaderLost tells the core, once per view, when the current view has
// lasted a block time and the network has lost its leader: the leader
// should have proposed by then, and it cannot be heard from, so waiting
// out the view timeout (backed off when dead leaders come in a row) only
// delays the view change.
func (d *Driver) leaderLost(ctx context.Context) error {
	if d.net == nil || !d.core.CanSign() || d.cfg.UnsafeNoLeaderLost {
		return nil
	}
	now := d.cfg.Clock.Now()
	// When each validator's peer was first seen disconnected (kept for
	// all of them, so a leader already gone when its view began is known).
	for _, m := range d.set.Members() {
		if m.Address == d.me {
			continue
		}
		if d.net.Reachable(m.Address) {
			delete(d.gone, m.Address)
		} else if _, ok := d.gone[m.Address]; !ok {
			d.gone[m.Address] = now
		}
	}
	v := d.core.View()
	leader := d.elect.Leader(v)
	if v != d.viewSeen {
		d.viewSeen, d.viewAt, d.lostSent = v, now, false
		d.limitedAtEntry = d.keys.limited(leader)
	}
	if d.lostSent || leader == d.me {
		return nil
	}
	// A leader disconnected before the view began cannot have proposed in
	// it, and one whose key was already rate-limited for junk will almost
	// never have its proposal let through (one message per limitedEvery,
	// among the junk its key sends): no grace. Otherwise its proposal may
	// be on its way.
	if since, gone := d.gone[leader]; (!gone || since.After(d.viewAt)) && !d.limitedAtEntry {
		if now.Sub(d.viewAt) < lostGrace(d.cfg.BlockTime, d.cfg.ViewTimeout) {
			return nil
		}
	}
	heard, ok := d.heard[leader]
	if !ok {
		heard = d.started
	}
	why := ""
	switch {
	case !d.net.Reachable(leader):
		why = "disconnected"
	case now.Sub(heard) >= d.cfg.ViewTimeout:
		why = "silent"
	case d.keys.limited(leader):
		why = "sending invalid content"
	default:
		return nil
	}
	d.lostSent = true
	d.log.Debug("leader lost: timing out", "view", d.viewSeen, "leader", leader.String(), "why", why)
	return d.step(ctx, consensus.LeaderLost{View: d.viewSeen})
}

// peerJoinDelays are when, after the peer count rises, the driver sends
// PeerJoined: the first once the new peer's gossip subscriptions have
// likely arrived, the others in case they had not (a restarted node may
// still be range-syncing, or its mesh forming). Each send is distinct (its
// nonce) and cheap; a timed-out view may otherwise wait for a backed-off
// timer of up to 16 view timeouts.
var peerJoinDelays = [...]time.Duration{500 * time.Millisecond, 2 * time.Second, 5 * time.Second}

// peersChanged tells the core, at each of peerJoinDelays after a new peer
// connected (a restarted validator), so it re-sends what lets the peer
// catch up.
func (d *Driver) peersChanged(ctx context.Context) error {
	if d.net == nil {
		return nil
	}
	now := d.cfg.Clock.Now()
	if n := d.net.PeerCount(); n > d.peers {
		d.joined, d.joinStage = now, 0
		d.peers = n
	} else {
		d.peers = n
	}
	if d.joined.IsZero() || now.Sub(d.joined) < peerJoinDelays[d.joinStage] {
		return nil
	}
	if d.joinStage++; d.joinStage == len(peerJoinDelays) {
		d.joined = time.Time{}
	}
	return d.step(ctx, consensus.PeerJoined{})
}

// ProposalDue reports when this node's pending proposal may be built, if
// one waits on pacing alone; Run sets its proposal timer for it, and the
// simulator calls Propose at that instant.
func (d *Driver) ProposalDue() (time.Time, bool) { return d.prod.due() }

// Propose builds this node's pending proposal if pacing now allows.
func (d *Driver) Propose(ctx context.Context) error { return d.propose(ctx) }

// propose builds this node's pending proposal if pacing now allows.
func (d *Driver) propose(ctx context.Context) error {
	ev, err := d.prod.ready(d.core.View())
	if err == nil && ev != nil {
		err = d.step(ctx, ev)
	}
	return err
}

// Handle processes one incoming message.
func (d *Driver) Handle(ctx context.Context, m Incoming) error {
	if _, fetched := m.Decoded.(*types.Block); !fetched && m.Sender != (types.Address{}) {
		// The envelope signature was checked: the key is alive, whatever
		// it sent. Only validators sign consensus messages, so this holds
		// one entry per validator.
		if _, member := d.set.Power(m.Sender); member {
			d.heard[m.Sender] = d.cfg.Clock.Now()
		}
		if !d.keys.allow(m.Sender) {
			return nil // a key that keeps sending invalid content: rate-limited
		}
	}
	switch msg := m.Decoded.(type) {
	case *types.Proposal:
		return d.onProposal(ctx, &msg.Block, m)
	case *types.Block: // the answer to a RequestBlock
		// Only a block this node asked for by hash: the core takes a
		// fetched header on trust (consensus/events.go, BlockFetched).
		h, err := msg.Header.Hash()
		if _, ok := d.asked[h]; err != nil || !ok {
			return nil
		}
		// Its body must be the one its header commits to: a body is kept,
		// served to peers and executed once final, so a wrong one would
		// stop this node at commit. The peer that answered (point to
		// point, not a relay) sent it.
		if err := checkBody(msg); err != nil {
			if m.From != "" && d.net != nil {
				d.net.Penalize(m.From, err.Error())
			}
			return nil
		}
		delete(d.asked, h)
		if msg.Header.Height <= d.headHeight() {
			return nil
		}
		d.keep(h, msg)
		return d.step(ctx, consensus.BlockFetched{Header: msg.Header})
	case *types.Vote:
		return d.stepFrom(ctx, consensus.VoteReceived{Vote: *msg}, m.Sender)
	case *types.NewView:
		return d.stepFrom(ctx, consensus.NewViewReceived{Msg: *msg}, m.Sender)
	}
	return nil
}

// keep holds a received block; a failed record on disk only costs a
// fetch after a restart.
func (d *Driver) keep(h types.Hash, b *types.Block) {
	if err := d.blocks.add(h, b); err != nil {
		d.log.Warn("record proposed block", "height", b.Header.Height, "err", err)
	}
}

func (d *Driver) headHeight() uint64 {
	b, _ := d.chain.Head()
	return b.Header.Height
}

// maxAhead bounds how far above the head a proposal is kept: farther
// means this node is behind, and range sync, not the proposal, catches up.
const maxAhead = 256

// judged counts an invalid message against the key that signed it (never
// against the peer that relayed it: senders.go) and logs once when the
// key becomes rate-limited.
func (d *Driver) judged(sender types.Address, why error) {
	if sender == (types.Address{}) {
		return
	}
	if d.keys.invalid(sender) {
		d.log.Warn("validator key sends invalid messages: rate-limited", "validator", sender, "last", why)
	}
}

func (d *Driver) onProposal(ctx context.Context, b *types.Block, m Incoming) error {
	// What the envelope did not check, before anything is kept: the
	// proposer leads the view, and the body is the one the header
	// commits to. Both are the signer's fault, not the relay's.
	if b.Header.Proposer != d.elect.Leader(b.Header.View) {
		// Blamed only when this node's schedule for the view is final: one
		// that has committed less than the proposer had cannot tell who
		// leads. Either way it is not voted for; if a quorum certifies it,
		// the core fetches it and takes it as the chain's.
		if s, ok := d.elect.(SettledElector); !ok || s.Settled(b.Header.View) {
			d.judged(m.Sender, consensus.ErrWrongProposer)
		}
		return nil
	}
	if err := checkBody(b); err != nil {
		d.judged(m.Sender, err)
		return nil
	}
	h, err := b.Header.Hash()
	if err != nil {
		return nil
	}
	// One proposal per view and leader: a second, different one is
	// equivocation, kept as evidence and dropped before its body is.
	if seen, ok := d.props[b.Header.View]; ok && seen.hash != h {
		d.equivocated(b, m)
		return nil
	}
	// Far above the head on a parent this node has never seen: it fell
	// behind (a restart, a partition). Range sync is much faster than
	// fetching the chain back block by block. A long uncommitted chain
	// whose blocks are all here is not a reason to sync.
	if head := d.headHeight(); b.Header.Height > head+syncLag && d.net != nil && d.blocks.body(b.Header.QC.BlockHash) == nil {
		if err := d.syncRange(ctx); err != nil {
			return err
		}
		if d.headHeight() > head {
			if err := d.restartCore(ctx); err != nil {
				return err
			}
		}
	}
	if head := d.headHeight(); b.Header.Height <= head || b.Header.Height > head+maxAhead {
		return nil
	}
	// Held in memory while the core checks the header's certificates,
	// and recorded on disk only if it passes: junk signed by a leader key
	// costs no disk and no body slot.
	fresh := d.blocks.put(h, b)
	rejected, err := d.stepJudged(ctx, consensus.ProposalReceived{Header: b.Header})
	if err != nil {
		return err
	}
	if rejected != nil {
		if fresh {
			d.blocks.drop(h)
		}
		d.judged(m.Sender, rejected)
		return nil
	}
	if _, ok := d.props[b.Header.View]; !ok {
		d.props[b.Header.View] = proposalSeen{hash: h, envelope: m.Envelope}
	}
	if fresh {
		if err := d.chain.PutPending(b); err != nil {
			d.log.Warn("record proposed block", "height", b.Header.Height, "err", err)
		}
	}
	return nil
}

// equivocated handles a second proposal of a view's leader that differs
// from the first: it counts against the signing key, like a conflicting
// vote in the core, and is reported as evidence once per view, when both
// signed envelopes are at hand.
func (d *Driver) equivocated(b *types.Block, m Incoming) {
	view := b.Header.View
	d.judged(m.Sender, consensus.ErrEquivocation)
	first := d.props[view]
	if first.reported || d.cfg.Evidence == nil || first.envelope == nil || m.Envelope == nil {
		return
	}
	first.reported = true
	d.props[view] = first
	ev := consensus.NewEvidence(types.EvidenceKindDoubleProposal, b.Header.Proposer, view, first.envelope, m.Envelope)
	d.cfg.Evidence.RecordEvidence(&ev)
}

// step feeds the core one of this node's own events (a tick, a built
// proposal, a fetched block) and executes what follows.
func (d *Driver) step(ctx context.Context, ev consensus.Event) error {
	_, err := d.stepJudged(ctx, ev)
	return err
}

// stepFrom feeds the core a message signed by sender; a message the core
// rejects counts against sender.
func (d *Driver) stepFrom(ctx context.Context, ev consensus.Event, sender types.Address) error {
	rejected, err := d.stepJudged(ctx, ev)
	if rejected != nil {
		d.judged(sender, rejected)
	}
	return err
}

// stepJudged feeds the core ev, executes its actions in order, and feeds
// back the follow-up events they return, in order, until none is left.
// rejected is the core's refusal of ev itself (not of a follow-up); a
// message beyond the view window is not a refusal (its sender is ahead,
// not wrong). err is fatal.
func (d *Driver) stepJudged(ctx context.Context, ev consensus.Event) (rejected, err error) {
	queue := []consensus.Event{ev}
	first := true
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		acts, rerr := d.core.Step(e)
		if rerr != nil {
			d.log.Debug("consensus rejected an event", "event", fmt.Sprintf("%T", e), "err", rerr)
			if first && !errors.Is(rerr, consensus.ErrBeyondWindow) {
				rejected = rerr
			}
		}
		first = false
		for _, a := range acts {
			next, err := d.act(ctx, a)
			if err != nil {
				return rejected, err
			}
			if next != nil {
				queue = append(queue, next)
			}
		}
	}
	return rejected, nil
}

// act executes one action; it may return one event to feed back.
func (d *Driver) act(ctx context.Context, a consensus.Action) (consensus.Event, error) {
	switch a := a.(type) {
	case consensus.PersistSafety:
		// Synced before any later action of the batch sends a message.
		if err := d.chain.SaveSafety(toRecord(a.Data)); err != nil {
			return nil, fatal{err}
		}
	case consensus.BroadcastProposal:
		d.log.Debug("proposing", "view", a.Header.View, "height", a.Header.Height)
		h, _ := a.Header.Hash()
		if b := d.blocks.body(h); b != nil {
			d.publish(ctx, types.MessageTypeProposal, &types.Proposal{Block: *b})
		}
	case consensus.SendVote:
		d.log.Debug("voting", "view", a.Vote.View, "height", a.Vote.Height)
		// Published on the votes topic, which every validator reads: the
		// next leader aggregates it, the others learn commits from it.
		d.publish(ctx, types.MessageTypeVote, &a.Vote)
	case consensus.BroadcastNewView:
		d.log.Debug("view timed out", "view", a.Msg.Timeout.View, "high_qc", a.Msg.HighQC.View)
		// Each send is a distinct message (its nonce), so gossip never
		// drops a re-send as one it has seen (spec/consensus.md).
		nv := a.Msg
		d.nonce = max(d.nonce+1, uint64(max(d.cfg.Clock.Now().UnixMilli(), 0)))
		nv.Nonce = d.nonce
		d.publish(ctx, types.MessageTypeNewView, &nv)
	case consensus.RecordEvidence:
		d.log.Debug("validator signed twice in one view", "kind", a.Evidence.Kind, "validator", a.Evidence.Validator, "view", a.Evidence.View)
		if d.cfg.Evidence != nil {
			d.cfg.Evidence.RecordEvidence(&a.Evidence)
		}
	case consensus.RequestProposal:
		d.log.Debug("leading", "view", a.View, "qc", a.QC.View, "tc", a.TC != nil)
		// Recorded only: the loop builds it when pacing allows (its
		// proposal timer, or a tick), so one loop turn never runs on into
		// the next block and ctx, ticks and messages are always heard.
		d.prod.request(a)
	case consensus.RequestExecute:
		return d.vote(a.Header)
	case consensus.FetchBlock:
		if b := d.blocks.body(a.Hash); b != nil {
			return consensus.BlockFetched{Header: b.Header}, nil
		}
		d.request(a.Hash)
	case consensus.CommitBlocks:
		head := d.headHeight()
		for i := range a.Headers {
			if a.Headers[i].Height <= head {
				continue // already final here: range sync took it
			}
			var proof *types.CommitProof
			if i == len(a.Headers)-1 {
				proof = &a.Proof
			}
			if err := d.blocks.commit(&a.Headers[i], proof); err != nil {
				return nil, fatal{err}
			}
		}
		d.setStatus(false)
	}
	return nil, nil
}

// vote validates and executes a proposal the core would vote for, and
// answers whether it is valid. On top of validity, a voter refuses a
// timestamp too far ahead of its own clock.
func (d *Driver) vote(hdr types.BlockHeader) (consensus.Event, error) {
	h, err := hdr.Hash()
	if err != nil {
		return nil, nil
	}
	if ts := time.Unix(int64(min(hdr.Timestamp, 1<<62)), 0); ts.After(d.cfg.Clock.Now().Add(maxFutureDrift)) {
		d.log.Warn("proposal refused", "height", hdr.Height, "view", hdr.View, "err", "timestamp in the future")
		return consensus.BlockExecuted{Hash: h, Valid: false}, nil
	}
	_, err = d.blocks.execute(h)
	if errors.Is(err, ErrFatal) {
		return nil, err
	}
	if err != nil {
		d.log.Warn("proposal refused", "height", hdr.Height, "view", hdr.View, "err", err)
	}
	return consensus.BlockExecuted{Hash: h, Valid: err == nil}, nil
}

// Block requests: at most maxAsked outstanding; one unanswered for
// askRetry is asked again (the core asks once per block), and one
// unanswered for askGiveUp is forgotten (range sync takes over).
const (
	maxAsked  = 1024
	askRetry  = 2 * time.Second
	askGiveUp = 60 * time.Second
)

// request asks peers for the block h.
func (d *Driver) request(h types.Hash) {
	if d.net == nil {
		return
	}
	if _, ok := d.asked[h]; !ok && len(d.asked) >= maxAsked {
		d.log.Warn("too many block requests outstanding: not asking", "hash", h)
		return
	}
	d.asked[h] = d.cfg.Clock.Now()
	d.net.RequestBlock(h)
}

// retryRequests asks again for blocks whose answer has not come.
func (d *Driver) retryRequests() {
	now := d.cfg.Clock.Now()
	for h, at := range d.asked {
		switch age := now.Sub(at); {
		case age >= askGiveUp:
			delete(d.asked, h)
		case age >= askRetry && d.blocks.body(h) == nil:
			d.asked[h] = now
			d.net.RequestBlock(h)
		}
	}
}

type borshMarshaler interface{ MarshalBorsh() ([]byte, error) }

func (d *Driver) publish(ctx context.Context, mt types.MessageType, m borshMarshaler) {
	if d.net == nil {
		return
	}
	b, err := m.MarshalBorsh()
	if err == nil {
		err = d.net.Publish(ctx, mt, b)
	}
	if err != nil {
		d.log.Warn("publish", "type", mt, "err", err)
	}
}

// lostGrace is how long a view must have lasted before an unreachable
// leader times it out: a block time, when the leader proposes, and a
// quarter of the view timeout for a proposal it sent just before it was
// lost to arrive (timing the view out first would refuse that proposal
// a vote, and break the chain of consecutive views a commit needs).
func lostGrace(blockTime, viewTimeout time.Duration) time.Duration {
	return blockTime + viewTimeout/4
}
