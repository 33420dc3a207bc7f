package driver

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// Reasons a block is refused.
var (
	// ErrBadBlock reports an invalid block: a header rule, a transaction
	// that is not includable or badly signed, or roots that are not what
	// its body gives.
	ErrBadBlock = errors.New("driver: invalid block")
	// ErrNoBody reports a block (or its parent) the driver does not hold.
	ErrNoBody = errors.New("driver: block body unknown")
)

// maxBodies bounds the proposed blocks kept above the head.
const maxBodies = 4096

// speculative is a block executed on top of its parent's speculative
// state, not yet final: its state writes live in overlay.
type speculative struct {
	block    *types.Block
	hash     types.Hash
	overlay  *smt.Overlay
	receipts []types.Receipt
	written  []types.Account // what the block wrote, to seed the head state
	writes   state.Writes    // written by address, for its children's reads
	parent   *speculative    // nil: the parent is the head
}

// accounts answers for the accounts at sp's root: its writes and its
// uncommitted ancestors' over the head's state, when the lowest of them
// extends the head; nil otherwise (a fork the chain has left, whose
// execution then reads the tree at its own roots).
func (sp *speculative) accounts(head *state.State, headHash types.Hash) state.AccountSource {
	lowest := sp
	for lowest.parent != nil {
		lowest = lowest.parent
	}
	if lowest.block.Header.ParentHash != headHash {
		return nil
	}
	return sp.over(head)
}

// newSpeculative records b's execution on the state st opened by open.
func newSpeculative(b *types.Block, h types.Hash, ov *smt.Overlay, receipts []types.Receipt, st *state.State, parent *speculative) *speculative {
	return &speculative{block: b, hash: h, overlay: ov, receipts: receipts, written: st.Written(), writes: state.WritesOf(st.Written()), parent: parent}
}

func (sp *speculative) over(head state.AccountSource) state.AccountSource {
	below := head
	if sp.parent != nil {
		below = sp.parent.over(head)
	}
	return sp.writes.Over(below)
}

// blocks holds the proposed blocks above the head and their speculative
// execution, and commits final ones: the one path from a block body to
// the chain, for this node's proposals, the proposals it votes on, and
// blocks taken by range sync. bodies and seenAt are read by the sync
// server's goroutine too, under mu; execd is the loop's alone.
type blocks struct {
	chain Chain
	pool  Pool
	clock Clock
	// validators is the validator set blocks execute under (exec.Env).
	validators []types.Address

	mu     sync.Mutex
	bodies map[types.Hash]*types.Block
	seenAt map[types.Hash]time.Time // when each block was first seen, for pacing

	execd map[types.Hash]*speculative

	// committed, if set, is told of each block made final, in order.
	committed func(*types.BlockHeader)

	// pages keeps the tree pages execution's commits read and wrote,
	// decoded: the next block's commit walks mostly the same paths.
	pages *smt.PageCache
}

func newBlocks(chain Chain, pool Pool, clock Clock, validators []types.Address) *blocks {
	return &blocks{chain: chain, pool: pool, clock: clock, validators: validators, pages: smt.NewPageCache(0),
		bodies: map[types.Hash]*types.Block{}, seenAt: map[types.Hash]time.Time{}, execd: map[types.Hash]*speculative{}}
}

// env is the execution context of a block at height h.
func (s *blocks) env(h uint64, proposer types.Address, baseFee uint64) exec.Env {
	return exec.Env{Height: h, Proposer: proposer, BaseFee: baseFee, Validators: s.validators}
}

// add keeps a proposed or fetched block and records it in the chain's
// storage, so that a restart can hand it back to the core.
func (s *blocks) add(h types.Hash, b *types.Block) error {
	if s.put(h, b) {
		return s.chain.PutPending(b)
	}
	return nil
}

// put keeps b in memory; it reports whether b was new.
func (s *blocks) put(h types.Hash, b *types.Block) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bodies[h]; ok || len(s.bodies) >= maxBodies {
		return false
	}
	s.bodies[h] = b
	if _, ok := s.seenAt[h]; !ok {
		s.seenAt[h] = s.clock.Now()
	}
	return true
}

// drop forgets a block put in memory that turned out invalid.
func (s *blocks) drop(h types.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bodies, h)
	delete(s.seenAt, h)
}

func (s *blocks) body(h types.Hash) *types.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[h]
}

// seen returns when the block h was first seen; the head counts as seen
// when first asked about.
func (s *blocks) seen(h types.Hash) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.seenAt[h]
	if !ok {
		t = s.clock.Now()
		s.seenAt[h] = t
	}
	return t
}

// parentOf returns the header of the block with hash h: the head, or a
// block held above it.
func (s *blocks) parentOf(h types.Hash) (types.BlockHeader, bool) {
	if head, hh := s.chain.Head(); h == hh {
		return head.Header, true
	}
	if b := s.body(h); b != nil {
		return b.Header, true
	}
	return types.BlockHeader{}, false
}

// open opens a new overlay and state on the state after the block with
// hash parentHash: the head's, or a speculatively executed ancestor's.
func (s *blocks) open(parentHash types.Hash, parent *types.BlockHeader) (*smt.Overlay, *state.State, *speculative, error) {
	var base = s.chain.States()
	var pspec *speculative
	var accounts state.AccountSource
	headState := s.chain.HeadState()
	if headState != nil {
		accounts = headState
	}
	if _, hh := s.chain.Head(); parentHash != hh {
		p, err := s.execute(parentHash)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parent %v: %w", parentHash, err)
		}
		base, pspec, accounts = p.overlay, p, nil
		if headState != nil {
			accounts = p.accounts(headState, hh)
		}
	}
	ov := smt.NewOverlay(base)
	st, err := state.OpenOn(ov, parent.StateRoot, accounts, smt.WithPageCache(s.pages))
	if err != nil {
		return nil, nil, nil, fatal{err}
	}
	return ov, st, pspec, nil
}

// record keeps the speculative result of a block this node built.
func (s *blocks) record(sp *speculative) { s.execd[sp.hash] = sp }

// execute validates the block with hash h and executes it on its parent's
// speculative state, once: the header rules, the transaction signatures,
// includability, and the roots its header claims.
func (s *blocks) execute(h types.Hash) (*speculative, error) {
	if sp, ok := s.execd[h]; ok {
		return sp, nil
	}
	b := s.body(h)
	if b == nil {
		return nil, fmt.Errorf("%w: %v", ErrNoBody, h)
	}
	hdr := &b.Header
	parent, ok := s.parentOf(hdr.ParentHash)
	if !ok {
		return nil, fmt.Errorf("%w: parent %v", ErrNoBody, hdr.ParentHash)
	}
	if err := exec.CheckHeader(&parent, hdr.ParentHash, hdr); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	if i, err := s.pool.VerifyBlockSignatures(b.Transactions); err != nil {
		return nil, fmt.Errorf("%w: transaction %d: %w", ErrBadBlock, i, err)
	}
	ov, st, pspec, err := s.open(hdr.ParentHash, &parent)
	if err != nil {
		return nil, err
	}
	res, err := exec.Execute(st, s.env(hdr.Height, hdr.Proposer, hdr.BaseFee), b.Transactions)
	if errors.Is(err, exec.ErrNotIncludable) {
		return nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	if err != nil {
		return nil, fatal{err}
	}
	if err := exec.CheckResult(hdr, res); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBlock, err)
	}
	sp := newSpeculative(b, h, ov, res.Receipts, st, pspec)
	s.execd[h] = sp
	return sp, nil
}

// commit makes the final block hdr the head: executed (once) on its
// parent, its overlay flushed into the chain's state, then committed with
// proof. Every final block takes this path, from consensus or from sync.
func (s *blocks) commit(hdr *types.BlockHeader, proof *types.CommitProof) error {
	h, err := hdr.Hash()
	if err != nil {
		return err
	}
	sp, err := s.execute(h)
	if err != nil {
		return fmt.Errorf("driver: final block %d: %w", hdr.Height, err)
	}
	if err := sp.overlay.Flush(); err != nil {
		return err
	}
	if err := s.chain.Commit(sp.block, sp.receipts, proof, sp.written); err != nil {
		return err
	}
	if s.committed != nil {
		s.committed(&sp.block.Header)
	}
	s.forget(sp)
	return nil
}

// forget drops what the new head makes useless: its speculative record
// (children now read the flushed store directly), and every block at or
// below its height (the chain deleted their recorded copies when it
// committed the head).
func (s *blocks) forget(final *speculative) {
	height := final.block.Header.Height
	for h, sp := range s.execd {
		if sp.parent == final {
			sp.overlay.Rebase(s.chain.States())
			sp.parent = nil
		}
		if sp.block.Header.Height <= height {
			delete(s.execd, h)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, b := range s.bodies {
		if b.Header.Height <= height {
			delete(s.bodies, h)
		}
	}
	// Keep the head's own arrival time for pacing the next proposal.
	for h := range s.seenAt {
		if _, ok := s.bodies[h]; !ok && h != final.hash {
			delete(s.seenAt, h)
		}
	}
}

// ancestors calls fn with each block above the head from h down, and its
// hash.
func (s *blocks) ancestors(h types.Hash, fn func(types.Hash, *types.Block)) {
	head, _ := s.chain.Head()
	for {
		b := s.body(h)
		if b == nil || b.Header.Height <= head.Header.Height {
			return
		}
		fn(h, b)
		h = b.Header.ParentHash
	}
}

// ancestorTxCount is how many transactions the blocks above the head from
// h down hold.
func (s *blocks) ancestorTxCount(h types.Hash) int {
	n := 0
	s.ancestors(h, func(_ types.Hash, b *types.Block) { n += len(b.Transactions) })
	return n
}

// ancestorTxs returns the hashes of the transactions in the blocks above
// the head from h down: a proposal on h must not repeat them.
func (s *blocks) ancestorTxs(h types.Hash) map[types.Hash]bool {
	exclude := map[types.Hash]bool{}
	s.ancestors(h, func(h types.Hash, b *types.Block) {
		if sp, ok := s.execd[h]; ok && len(sp.receipts) == len(b.Transactions) {
			for i := range sp.receipts {
				exclude[sp.receipts[i].TxHash] = true
			}
			return
		}
		for i := range b.Transactions {
			if th, err := b.Transactions[i].Hash(); err == nil {
				exclude[th] = true
			}
		}
	})
	return exclude
}
