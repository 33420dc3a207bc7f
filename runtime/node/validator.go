package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Network is what the consensus driver needs from the peer-to-peer layer
// (runtime/p2p through an adapter, or an in-process network in tests).
// Incoming gossip reaches the node through Node.Deliver.
type Network interface {
	Publish(ctx context.Context, mt types.MessageType, payload []byte) error
	FetchBlock(ctx context.Context, h types.Hash) (*types.Block, error)
	SyncRange(ctx context.Context, from uint64, max int) (*types.SyncResponse, error)
	// Penalize lowers the score of the peer a rejected message came from.
	Penalize(from string, reason string)
	PeerCount() int
}

// Incoming is a gossip message that passed the network's envelope checks.
type Incoming struct {
	Type    types.MessageType
	Decoded any    // *types.Proposal, *types.Vote or *types.NewView
	From    string // the relaying peer, for Penalize
}

// ConsensusStatus is what `orama status` shows of consensus.
type ConsensusStatus struct {
	View    uint64
	Leader  types.Address
	Peers   int
	Syncing bool
}

// Driver defaults.
const (
	DefaultTickInterval = 50 * time.Millisecond
	// syncLag: a proposal this many heights above the head means the node
	// fell behind; it range-syncs instead of fetching block by block.
	syncLag = 8
	// maxBodies bounds the proposed blocks kept above the head.
	maxBodies = 4096
	// maxFutureDrift is how far ahead of the local clock a proposal's
	// timestamp may be for this node to vote for it.
	maxFutureDrift = 15 * time.Second
)

// speculative is a block executed on top of its parent's speculative state,
// not yet final: its state writes live in overlay.
type speculative struct {
	block    *types.Block
	hash     types.Hash
	overlay  *smt.Overlay
	receipts []types.Receipt
	written  []types.Account // what the block wrote, to seed the head state
	parent   *speculative    // nil: the parent is the head
}

// driver runs runtime/consensus for a node: it feeds the core events and
// executes the actions it returns. Its state is owned by the Run goroutine;
// bodies is shared with the sync server and guarded by mu.
type driver struct {
	n     *Node
	net   Network
	core  *consensus.Core
	set   *consensus.ValidatorSet
	elect consensus.LeaderElector
	ccfg  consensus.Config

	mu     sync.Mutex
	bodies map[types.Hash]*types.Block // proposed/fetched blocks above the head
	status ConsensusStatus

	execd   map[types.Hash]*speculative
	inbox   chan Incoming
	fetched chan *types.Block

	// pacing of this node's own proposals
	pending      *consensus.RequestProposal
	parentSeenAt map[types.Hash]time.Time // when each block was first seen
}

func newDriver(n *Node, net Network) (*driver, error) {
	set, err := consensus.NewValidatorSetFromValidators(n.genesis.Validators)
	if err != nil {
		return nil, err
	}
	gh, err := n.genesis.Hash()
	if err != nil {
		return nil, err
	}
	b0, err := n.store.Block(0)
	if err != nil {
		return nil, err
	}
	tick := n.cfg.TickInterval
	// The view timer runs from entering a view; the leader waits up to a
	// block time before proposing, so a silent leader is one that has not
	// proposed a view timeout after that (spec/consensus.md, "Pacing").
	base := uint64((n.cfg.BlockTime + n.cfg.ViewTimeout + tick - 1) / tick)
	d := &driver{
		n: n, net: net, set: set,
		elect:  consensus.NewWeightedElector(set, gh),
		bodies: map[types.Hash]*types.Block{}, execd: map[types.Hash]*speculative{},
		inbox: make(chan Incoming, 8192), fetched: make(chan *types.Block, 256),
		parentSeenAt: map[types.Hash]time.Time{},
	}
	d.ccfg = consensus.Config{
		Validators: set, Elector: d.elect,
		Signer:           consensus.CryptoSigner{Key: n.key, ChainID: n.genesis.ChainID},
		Verifier:         consensus.CryptoVerifier{ChainID: n.genesis.ChainID},
		Genesis:          b0.Header,
		BaseTimeoutTicks: base,
		MaxBackoffExp:    4,
	}
	return d, nil
}

// isValidator reports whether the node's key is in the validator set.
func (d *driver) isValidator() bool {
	_, ok := d.set.Power(d.n.me)
	return ok
}

// restartCore builds the core at the head with the persisted safety data.
func (d *driver) restartCore() error {
	rec, ok, err := d.n.store.Safety()
	if err != nil {
		return err
	}
	var sd *consensus.SafetyData
	if ok {
		s := fromRecord(rec)
		sd = &s
	}
	head := d.n.Head().Header
	cfg := d.ccfg
	cfg.Root = &head
	c, err := consensus.NewCore(cfg, sd)
	if err != nil {
		return err
	}
	d.core = c
	d.pending = nil
	// Give the core back the proposed blocks recorded before a restart:
	// its high QC may certify one that no peer holds.
	pend, err := d.n.store.PendingBlocks(head.Height)
	if err != nil {
		return err
	}
	for _, b := range pend {
		h, err := b.Header.Hash()
		if err != nil {
			continue
		}
		d.remember(h, b) // already on disk
		if err := d.step(context.Background(), consensus.BlockFetched{Header: b.Header}, ""); err != nil {
			return err
		}
	}
	d.setStatus(false)
	return nil
}

func (d *driver) setStatus(syncing bool) {
	st := ConsensusStatus{Syncing: syncing}
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

func toRecord(s consensus.SafetyData) *types.SafetyRecord {
	return &types.SafetyRecord{LastVotedView: s.LastVotedView, LockedQC: s.LockedQC, HighQC: s.HighQC,
		LastTimeoutView: s.LastTimeoutView, LastTimeout: s.LastTimeout}
}

func fromRecord(r *types.SafetyRecord) consensus.SafetyData {
	return consensus.SafetyData{LastVotedView: r.LastVotedView, LockedQC: r.LockedQC, HighQC: r.HighQC,
		LastTimeoutView: r.LastTimeoutView, LastTimeout: r.LastTimeout}
}

// run is the consensus loop: it owns the core until ctx ends.
func (d *driver) run(ctx context.Context) error {
	if d.net != nil {
		if err := d.syncRange(ctx); err != nil {
			return err
		}
	}
	if err := d.restartCore(); err != nil {
		return err
	}
	t := time.NewTicker(d.n.cfg.TickInterval)
	defer t.Stop()
	followEvery := time.NewTicker(max(d.n.cfg.BlockTime, time.Second))
	defer followEvery.Stop()
	d.n.log.Info("consensus running", "validator", d.isValidator(), "view", d.core.View(),
		"height", d.n.Head().Header.Height, "validators", len(d.set.Members()))
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			err = d.step(ctx, consensus.Tick{}, "")
			if err == nil {
				err = d.maybePropose(ctx)
			}
			d.setStatus(false)
		case <-followEvery.C:
			if !d.isValidator() && d.net != nil {
				err = d.syncRange(ctx) // a follower takes final blocks from peers
			}
		case m := <-d.inbox:
			err = d.onMessage(ctx, m)
		case b := <-d.fetched:
			h, _ := b.Header.Hash()
			d.keepBody(h, b)
			err = d.step(ctx, consensus.BlockFetched{Header: b.Header}, "")
		}
		if err != nil {
			return err
		}
	}
}

// fatal marks errors that must stop the node (storage, a final block whose
// execution disagrees with its header); every other error of an event only
// means the event was rejected.
type fatal struct{ err error }

func (f fatal) Error() string { return f.err.Error() }
func (f fatal) Unwrap() error { return f.err }

func (d *driver) onMessage(ctx context.Context, m Incoming) error {
	switch msg := m.Decoded.(type) {
	case *types.Proposal:
		b := &msg.Block
		// Far above the head on a parent this node has never seen: it fell
		// behind (a restart, a partition). Range sync is much faster than
		// fetching the chain back block by block. A long uncommitted chain
		// whose blocks are all here is not a reason to sync.
		if head := d.n.Head().Header.Height; b.Header.Height > head+syncLag && d.net != nil && d.body(b.Header.QC.BlockHash) == nil {
			if err := d.syncRange(ctx); err != nil {
				return err
			}
			if d.n.Head().Header.Height > head {
				if err := d.restartCore(); err != nil {
					return err
				}
			}
		}
		if b.Header.Height <= d.n.Head().Header.Height {
			return nil
		}
		h, err := b.Header.Hash()
		if err != nil {
			return nil
		}
		d.keepBody(h, b)
		return d.step(ctx, consensus.ProposalReceived{Header: b.Header}, m.From)
	case *types.Vote:
		return d.step(ctx, consensus.VoteReceived{Vote: *msg}, m.From)
	case *types.NewView:
		return d.step(ctx, consensus.NewViewReceived{Msg: *msg}, m.From)
	}
	return nil
}

// keepBody remembers a proposed block and records it on disk (outside the
// lock: the sync server reads bodies concurrently).
func (d *driver) keepBody(h types.Hash, b *types.Block) {
	if !d.remember(h, b) {
		return
	}
	if err := d.n.store.PutPending(b); err != nil {
		d.n.log.Warn("record proposed block", "height", b.Header.Height, "err", err)
	}
}

// remember keeps b in memory; it reports whether b was new.
func (d *driver) remember(h types.Hash, b *types.Block) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.bodies[h]; ok || len(d.bodies) >= maxBodies {
		return false
	}
	d.bodies[h] = b
	if _, ok := d.parentSeenAt[h]; !ok {
		d.parentSeenAt[h] = time.Now()
	}
	return true
}

func (d *driver) body(h types.Hash) *types.Block {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bodies[h]
}

// step feeds the core one event and executes its actions in order. A
// rejected event penalises the peer it came from.
func (d *driver) step(ctx context.Context, ev consensus.Event, from string) error {
	queue := []consensus.Event{ev}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		acts, err := d.core.Step(e)
		if err != nil && from != "" && d.net != nil {
			d.net.Penalize(from, err.Error())
		}
		if err != nil {
			d.n.log.Debug("consensus rejected an event", "event", fmt.Sprintf("%T", e), "err", err)
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
	}
	return nil
}

// act executes one action; it may return an event to feed back.
func (d *driver) act(ctx context.Context, a consensus.Action) (consensus.Event, error) {
	switch a := a.(type) {
	case consensus.PersistSafety:
		// Synced before any later action of the batch sends a message.
		if err := d.n.store.SaveSafety(toRecord(a.Data)); err != nil {
			return nil, fatal{err}
		}
	case consensus.BroadcastProposal:
		d.n.log.Debug("proposing", "view", a.Header.View, "height", a.Header.Height)
		h, _ := a.Header.Hash()
		if b := d.body(h); b != nil {
			d.publish(ctx, types.MessageTypeProposal, &types.Proposal{Block: *b})
		}
	case consensus.SendVote:
		d.n.log.Debug("voting", "view", a.Vote.View, "height", a.Vote.Height)
		// Published on the votes topic, which every validator reads: the
		// next leader aggregates it, the others learn commits from it.
		d.publish(ctx, types.MessageTypeVote, &a.Vote)
	case consensus.BroadcastNewView:
		d.n.log.Debug("view timed out", "view", a.Msg.Timeout.View, "high_qc", a.Msg.HighQC.View)
		d.publish(ctx, types.MessageTypeNewView, &a.Msg)
	case consensus.RequestProposal:
		d.n.log.Debug("leading", "view", a.View, "qc", a.QC.View, "tc", a.TC != nil)
		r := a
		d.pending = &r
		return nil, d.maybePropose(ctx)
	case consensus.RequestExecute:
		h, _ := a.Header.Hash()
		_, err := d.execute(h, true)
		var f fatal
		if errors.As(err, &f) {
			return nil, err
		}
		if err != nil {
			d.n.log.Warn("proposal refused", "height", a.Header.Height, "view", a.Header.View, "err", err)
		}
		return consensus.BlockExecuted{Hash: h, Valid: err == nil}, nil
	case consensus.FetchBlock:
		if b := d.body(a.Hash); b != nil {
			return consensus.BlockFetched{Header: b.Header}, nil
		}
		if d.net != nil {
			go func(h types.Hash) {
				fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				b, err := d.net.FetchBlock(fctx, h)
				if err != nil {
					d.n.log.Debug("fetch block", "hash", h, "err", err)
					return
				}
				select {
				case d.fetched <- b:
				case <-ctx.Done():
				}
			}(a.Hash)
		}
	case consensus.CommitBlocks:
		if err := d.commit(a); err != nil {
			return nil, fatal{err}
		}
	}
	return nil, nil
}

type borshMarshaler interface{ MarshalBorsh() ([]byte, error) }

func (d *driver) publish(ctx context.Context, mt types.MessageType, m borshMarshaler) {
	if d.net == nil {
		return
	}
	b, err := m.MarshalBorsh()
	if err == nil {
		err = d.net.Publish(ctx, mt, b)
	}
	if err != nil {
		d.n.log.Warn("publish", "type", mt, "err", err)
	}
}

// maybePropose builds the block the core asked for once pacing allows: a
// block time after the parent was seen, or half of one when the mempool
// holds a full block (spec/consensus.md, "Pacing").
func (d *driver) maybePropose(ctx context.Context) error {
	r := d.pending
	if r == nil {
		return nil
	}
	if r.View < d.core.View() {
		d.pending = nil
		return nil
	}
	parentHash, parentHeader, ok := d.parentOf(r.QC)
	if !ok {
		d.n.log.Debug("proposal waits for its parent", "view", r.View, "parent", r.QC.BlockHash)
		return nil // the parent's body is not here yet
	}
	wait := d.n.cfg.BlockTime
	if d.n.pool.Len() >= params.MaxBlockTransactions {
		wait /= 2
	}
	d.mu.Lock()
	seen, ok := d.parentSeenAt[parentHash]
	d.mu.Unlock()
	if ok && time.Since(seen) < wait {
		return nil
	}
	d.pending = nil
	b, err := d.build(r, parentHash, parentHeader)
	if err != nil {
		return fatal{fmt.Errorf("node: build block for view %d: %w", r.View, err)}
	}
	h, _ := b.Header.Hash()
	d.keepBody(h, b)
	return d.step(ctx, consensus.ProposalBuilt{Header: b.Header}, "")
}

// parentOf returns the block qc certifies (genesis for the genesis QC).
func (d *driver) parentOf(qc types.QuorumCert) (types.Hash, types.BlockHeader, bool) {
	head, hh := d.n.headAndHash()
	if qc.BlockHash == hh || (consensus.IsGenesisQC(&qc) && head.Header.Height == 0) {
		d.mu.Lock()
		if _, ok := d.parentSeenAt[hh]; !ok {
			d.parentSeenAt[hh] = time.Now()
		}
		d.mu.Unlock()
		return hh, head.Header, true
	}
	if b := d.body(qc.BlockHash); b != nil {
		return qc.BlockHash, b.Header, true
	}
	return types.Hash{}, types.BlockHeader{}, false
}

// build assembles and executes this node's proposal on its parent.
func (d *driver) build(r *consensus.RequestProposal, parentHash types.Hash, parent types.BlockHeader) (*types.Block, error) {
	// Transactions already in the uncommitted ancestors must not repeat.
	// Their hashes are in their receipts when they were executed here.
	exclude := map[types.Hash]bool{}
	ancestors := 0
	headHeight := d.n.Head().Header.Height
	for h := parentHash; ; {
		b := d.body(h)
		if b == nil || b.Header.Height <= headHeight {
			break
		}
		ancestors++
		if sp, ok := d.execd[h]; ok && len(sp.receipts) == len(b.Transactions) {
			for i := range sp.receipts {
				exclude[sp.receipts[i].TxHash] = true
			}
		} else {
			for i := range b.Transactions {
				if th, err := b.Transactions[i].Hash(); err == nil {
					exclude[th] = true
				}
			}
		}
		h = b.Header.ParentHash
	}
	baseFee := txrules.NextBaseFee(parent.BaseFee, parent.GasUsed)
	picked := d.n.pool.Select(baseFee, params.BlockGasLimit*uint64(ancestors+1), params.MaxBlockTransactions*(ancestors+1))
	height := parent.Height + 1
	b := &types.Block{
		Header: types.BlockHeader{
			Height:      height,
			ParentHash:  parentHash,
			Timestamp:   max(uint64(d.n.cfg.Now().Unix()), parent.Timestamp),
			Proposer:    d.n.me,
			Epoch:       height / params.EpochLength,
			View:        r.View,
			BaseFee:     baseFee,
			QC:          r.QC,
			TimeoutCert: r.TC,
		},
	}
	ov, st, pspec, err := d.openOn(parentHash, parent)
	if err != nil {
		return nil, err
	}
	res, txs, err := fill(st, exec.Env{Height: height, Proposer: d.n.me, BaseFee: baseFee}, picked, exclude)
	if err != nil {
		return nil, err
	}
	b.Transactions = txs
	sp := &speculative{block: b, overlay: ov, receipts: res.Receipts, written: st.Written(), parent: pspec}
	b.Header.StateRoot, b.Header.TransactionsRoot, b.Header.ReceiptsRoot, b.Header.GasUsed =
		res.StateRoot, res.TransactionsRoot, res.ReceiptsRoot, res.GasUsed
	h, err := b.Header.Hash()
	if err != nil {
		return nil, err
	}
	sp.hash = h
	d.execd[h] = sp
	return b, nil
}

type ran struct {
	spec   *speculative
	result *exec.Result
}

// openOn opens a new overlay and state on the parent's state: the head's,
// or a speculatively executed ancestor's.
func (d *driver) openOn(parentHash types.Hash, parent types.BlockHeader) (*smt.Overlay, *state.State, *speculative, error) {
	var base smt.Store = d.n.smt
	var pspec *speculative
	if _, hh := d.n.headAndHash(); parentHash != hh {
		p, err := d.execute(parentHash, false)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parent %v: %w", parentHash, err)
		}
		base, pspec = p.overlay, p
	}
	ov := smt.NewOverlay(base)
	st, err := state.Open(ov, parent.StateRoot)
	if err != nil {
		return nil, nil, nil, err
	}
	return ov, st, pspec, nil
}

// run1 executes b on its parent's state into a new overlay.
func (d *driver) run1(b *types.Block, parentHash types.Hash, parent types.BlockHeader) (*ran, error) {
	ov, st, pspec, err := d.openOn(parentHash, parent)
	if err != nil {
		return nil, err
	}
	res, err := exec.Execute(st, exec.Env{Height: b.Header.Height, Proposer: b.Header.Proposer, BaseFee: b.Header.BaseFee}, b.Transactions)
	if err != nil {
		if errors.Is(err, exec.ErrNotIncludable) {
			return nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
		}
		return nil, err
	}
	return &ran{spec: &speculative{block: b, overlay: ov, receipts: res.Receipts, written: st.Written(), parent: pspec}, result: res}, nil
}

// Reasons a proposal is refused.
var (
	ErrBadBlock = errors.New("node: invalid block")
	ErrNoBody   = errors.New("node: block body unknown")
)

// execute validates and executes the block with hash h on its parent's
// speculative state, once; vote says the block is checked for a vote
// (its timestamp against the local clock).
func (d *driver) execute(h types.Hash, vote bool) (*speculative, error) {
	if sp, ok := d.execd[h]; ok {
		return sp, nil
	}
	b := d.body(h)
	if b == nil {
		return nil, fmt.Errorf("%w: %v", ErrNoBody, h)
	}
	hdr := &b.Header
	var parent types.BlockHeader
	if head, hh := d.n.headAndHash(); hdr.ParentHash == hh {
		parent = head.Header
	} else if p := d.body(hdr.ParentHash); p != nil {
		parent = p.Header
	} else {
		return nil, fmt.Errorf("%w: parent %v", ErrNoBody, hdr.ParentHash)
	}
	switch {
	case hdr.Height != parent.Height+1:
		return nil, fmt.Errorf("%w: height %d on parent %d", ErrBadBlock, hdr.Height, parent.Height)
	case hdr.BaseFee != txrules.NextBaseFee(parent.BaseFee, parent.GasUsed):
		return nil, fmt.Errorf("%w: base fee %d", ErrBadBlock, hdr.BaseFee)
	case hdr.Epoch != hdr.Height/params.EpochLength:
		return nil, fmt.Errorf("%w: epoch %d", ErrBadBlock, hdr.Epoch)
	case hdr.Timestamp < parent.Timestamp:
		return nil, fmt.Errorf("%w: timestamp %d before the parent's %d", ErrBadBlock, hdr.Timestamp, parent.Timestamp)
	case vote && time.Unix(int64(min(hdr.Timestamp, 1<<62)), 0).After(d.n.cfg.Now().Add(maxFutureDrift)):
		return nil, fmt.Errorf("%w: timestamp %d is in the future", ErrBadBlock, hdr.Timestamp)
	}
	if err := d.n.verifyTxSignatures(b.Transactions); err != nil {
		return nil, err
	}
	r, err := d.run1(b, hdr.ParentHash, parent)
	if err != nil {
		return nil, err
	}
	if err := checkResult(hdr, r.result); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	r.spec.hash = h
	d.execd[h] = r.spec
	return r.spec, nil
}

// checkResult compares what executing a block gave with what its header
// says.
func checkResult(hdr *types.BlockHeader, res *exec.Result) error {
	if res.StateRoot != hdr.StateRoot || res.TransactionsRoot != hdr.TransactionsRoot ||
		res.ReceiptsRoot != hdr.ReceiptsRoot || res.GasUsed != hdr.GasUsed {
		return fmt.Errorf("height %d: execution gives state root %v, gas %d; header says %v, %d",
			hdr.Height, res.StateRoot, res.GasUsed, hdr.StateRoot, hdr.GasUsed)
	}
	return nil
}

// verifyTxSignatures checks a received block's transaction signatures
// (execution does not).
func (n *Node) verifyTxSignatures(txs []types.Transaction) error {
	if i, err := n.pool.VerifyBlockSignatures(txs); err != nil {
		return fmt.Errorf("%w: transaction %d: %w", ErrBadBlock, i, err)
	}
	return nil
}

// commit makes the final blocks the new head, oldest first.
func (d *driver) commit(a consensus.CommitBlocks) error {
	for i := range a.Headers {
		h, err := a.Headers[i].Hash()
		if err != nil {
			return err
		}
		sp, err := d.execute(h, false)
		if err != nil {
			return fmt.Errorf("node: final block %d: %w", a.Headers[i].Height, err)
		}
		if err := sp.overlay.Flush(); err != nil {
			return err
		}
		var proof *types.CommitProof
		if i == len(a.Headers)-1 {
			proof = &a.Proof
		}
		if err := d.n.finish(sp.block, sp.receipts, proof, sp.written); err != nil {
			return err
		}
		d.forget(sp)
	}
	d.setStatus(false)
	return nil
}

// forget drops what the new head makes useless: its speculative record
// (children now read the flushed store directly), and every block at or
// below its height (the store deleted their recorded copies when it
// committed the head).
func (d *driver) forget(final *speculative) {
	height := final.block.Header.Height
	for h, sp := range d.execd {
		if sp.parent == final {
			sp.overlay.Rebase(d.n.smt)
			sp.parent = nil
		}
		if sp.block.Header.Height <= height {
			delete(d.execd, h)
		}
	}
	d.mu.Lock()
	for h, b := range d.bodies {
		if b.Header.Height <= height {
			delete(d.bodies, h)
			delete(d.parentSeenAt, h)
		}
	}
	// Keep the head's own arrival time for pacing the next proposal.
	for h := range d.parentSeenAt {
		if _, ok := d.bodies[h]; !ok && h != final.hash {
			delete(d.parentSeenAt, h)
		}
	}
	d.mu.Unlock()
}

// Status returns the consensus status (zero for a node without a driver).
func (n *Node) Consensus() ConsensusStatus {
	d := n.driver.Load()
	if d == nil {
		return ConsensusStatus{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// Deliver hands the node a gossip message; the network calls it. It never
// blocks: when the consensus loop is far behind, the message is dropped
// (HotStuff tolerates lost messages: NewView rebroadcasts and block fetches
// recover).
func (n *Node) Deliver(m Incoming) {
	d := n.driver.Load()
	if d == nil {
		return
	}
	select {
	case d.inbox <- m:
	default:
		n.log.Warn("consensus inbox full: message dropped", "type", m.Type)
	}
}

// AdmitGossip admits transactions received by gossip. It returns nil when
// at least one entered the pool (relay the message), ignore with an error
// when none did for benign reasons (already known, nonce used, pool full:
// drop the message quietly), and an error without ignore when one is
// invalid in itself (bad signature, malformed: the sender is penalised).
func (n *Node) AdmitGossip(txs ...*types.Transaction) (ignore bool, err error) {
	errs := n.pool.Add(txs)
	admitted := 0
	var benign error
	for _, e := range errs {
		switch {
		case e == nil:
			admitted++
		case errors.Is(e, mempool.ErrInvalidSignature), errors.Is(e, mempool.ErrMalformed), errors.Is(e, mempool.ErrTooLarge):
			return false, e
		default:
			benign = e
		}
	}
	if admitted > 0 || benign == nil {
		return false, nil
	}
	return true, benign
}
