package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// Chain is the final chain the driver extends: the node's store in
// production, memory in the simulator.
type Chain interface {
	// Head returns the last final block and its hash.
	Head() (*types.Block, types.Hash)
	// States holds the head's state tree; speculative execution reads
	// through it and a final block's overlay is flushed into it.
	States() smt.Store
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
}

// Pool is the mempool a proposer draws from (runtime/mempool.Pool).
type Pool interface {
	Select(baseFee, gasLimit uint64, maxTxs int) []*types.Transaction
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
	// SyncRange asks a peer for final blocks from height from on; peer
	// names who answered, for Penalize.
	SyncRange(ctx context.Context, from uint64, max int) (resp *types.SyncResponse, peer string, err error)
	// Penalize lowers the score of the peer a rejected message came from.
	Penalize(from string, reason string)
	PeerCount() int
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
}

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
	// Elector chooses leaders; nil means the EP-weighted elector seeded
	// with the genesis hash (Seed).
	Elector consensus.LeaderElector
	Seed    [32]byte

	BlockTime    time.Duration
	ViewTimeout  time.Duration
	TickInterval time.Duration
	// MaxBackoffExp caps the view-timeout backoff; 0 means 4.
	MaxBackoffExp uint64

	Clock  Clock
	Logger *slog.Logger
	// UnsafeNoViewCheck removes the consecutive-view condition from the
	// commit rule; negative-control tests only.
	UnsafeNoViewCheck bool
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
	cfg    Config
	log    *slog.Logger
	chain  Chain
	net    Network // nil: a node alone
	me     types.Address
	set    *consensus.ValidatorSet
	elect  consensus.LeaderElector
	ccfg   consensus.Config
	core   *consensus.Core
	blocks *blocks
	prod   *producer
	in     *inbound
	asked  map[types.Hash]time.Time // blocks requested from peers, not yet received: when last asked

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
		el = consensus.NewWeightedElector(set, cfg.Seed)
	}
	tick := cfg.TickInterval
	// The view timer runs from entering a view; the leader waits up to a
	// block time before proposing, so a silent leader is one that has not
	// proposed a view timeout after that (spec/consensus.md, "Pacing").
	base := uint64((cfg.BlockTime + cfg.ViewTimeout + tick - 1) / tick)
	d := &Driver{
		cfg: cfg, log: cfg.Logger, chain: chain, net: net, me: cfg.Signer.Address(), set: set, elect: el,
		in: newInbound(inboundLimit), asked: map[types.Hash]time.Time{},
	}
	d.blocks = newBlocks(chain, pool, cfg.Clock)
	d.prod = &producer{me: d.me, blockTime: cfg.BlockTime, pool: pool, blocks: d.blocks, clock: cfg.Clock}
	d.prod.fetch = d.request
	d.ccfg = consensus.Config{
		Validators: set, Elector: el, Signer: cfg.Signer, Verifier: cfg.Verifier,
		Genesis: cfg.Genesis, BaseTimeoutTicks: base, MaxBackoffExp: cfg.MaxBackoffExp,
		DisableConsecutiveViewCheck: cfg.UnsafeNoViewCheck,
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

// Safety is a copy of the core's safety data.
func (d *Driver) Safety() consensus.SafetyData { return d.core.Safety() }

// Start range-syncs from peers, then builds the core at the head with the
// persisted safety data and the recorded proposed blocks.
func (d *Driver) Start(ctx context.Context) error {
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
		if err := d.step(ctx, consensus.BlockFetched{Header: b.Header}, ""); err != nil {
			return err
		}
	}
	d.setStatus(false)
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
		LastTimeoutView: s.LastTimeoutView, LastTimeout: s.LastTimeout}
}

func fromRecord(r *types.SafetyRecord) consensus.SafetyData {
	return consensus.SafetyData{LastVotedView: r.LastVotedView, LockedQC: r.LockedQC, HighQC: r.HighQC,
		LastTimeoutView: r.LastTimeoutView, LastTimeout: r.LastTimeout}
}

// Tick advances the core's logical clock by one tick and lets the
// producer propose if pacing now allows.
func (d *Driver) Tick(ctx context.Context) error {
	if err := d.step(ctx, consensus.Tick{}, ""); err != nil {
		return err
	}
	d.retryRequests()
	err := d.propose(ctx)
	d.setStatus(false)
	return err
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
		err = d.step(ctx, ev, "")
	}
	return err
}

// Handle processes one incoming message.
func (d *Driver) Handle(ctx context.Context, m Incoming) error {
	switch msg := m.Decoded.(type) {
	case *types.Proposal:
		return d.onProposal(ctx, &msg.Block, m.From)
	case *types.Block: // the answer to a RequestBlock
		// Only a block this node asked for by hash: the core takes a
		// fetched header on trust (consensus/events.go, BlockFetched).
		h, err := msg.Header.Hash()
		if _, ok := d.asked[h]; err != nil || !ok {
			return nil
		}
		// Its body must be the one its header commits to: a body is kept,
		// served to peers and executed once final, so a wrong one would
		// stop this node at commit.
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
		return d.step(ctx, consensus.BlockFetched{Header: msg.Header}, m.From)
	case *types.Vote:
		return d.step(ctx, consensus.VoteReceived{Vote: *msg}, m.From)
	case *types.NewView:
		return d.step(ctx, consensus.NewViewReceived{Msg: *msg}, m.From)
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

func (d *Driver) onProposal(ctx context.Context, b *types.Block, from string) error {
	// What the envelope did not check, before anything is kept: the
	// proposer leads the view, and the body is the one the header
	// commits to. A block that passes is bounded in number by the views
	// and heights the core will accept.
	if b.Header.Proposer != d.elect.Leader(b.Header.View) {
		if from != "" && d.net != nil {
			d.net.Penalize(from, consensus.ErrWrongProposer.Error())
		}
		return nil
	}
	if err := checkBody(b); err != nil {
		if from != "" && d.net != nil {
			d.net.Penalize(from, err.Error())
		}
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
	h, err := b.Header.Hash()
	if err != nil {
		return nil
	}
	d.keep(h, b)
	return d.step(ctx, consensus.ProposalReceived{Header: b.Header}, from)
}

// step feeds the core ev, executes its actions in order, and feeds back
// the follow-up events they return, in order, until none is left. A
// rejected event penalises the peer it came from.
func (d *Driver) step(ctx context.Context, ev consensus.Event, from string) error {
	queue := []consensus.Event{ev}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		acts, err := d.core.Step(e)
		if err != nil {
			if from != "" && d.net != nil {
				d.net.Penalize(from, err.Error())
			}
			d.log.Debug("consensus rejected an event", "event", fmt.Sprintf("%T", e), "err", err)
		}
		for _, a := range acts {
			next, err := d.act(ctx, a)
			if err != nil {
				return err
			}
			if next != nil {
				queue = append(queue, next)
			}
		}
		from = "" // follow-up events are this node's own
	}
	return nil
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
		d.publish(ctx, types.MessageTypeNewView, &a.Msg)
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
