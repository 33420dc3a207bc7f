// Package node wires the parts of an Orama node together and owns their
// lifecycles: storage, state, the index, the mempool, the peer-to-peer host
// and the consensus driver (runtime/driver), which it gives the node's chain
// (chain), mempool and network (driverNet) through the driver's small
// interfaces. Blocks reach the store only once final. It serves block sync
// (sync.go) from the store and the driver's proposed blocks.
//
// Goroutines: Run's (the driver's loop), the Badger value-log GC, the
// transaction gossip batcher, one per block fetch (driverNet), and the
// index's writer (runtime/index); the libp2p host runs its own. exec,
// state, smt, store and mempool start none.
//
// It must never be imported by the packages it wires.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/store"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Config is what a node needs beyond its genesis and key.
type Config struct {
	DataDir   string
	BlockTime time.Duration // default params.BlockTimeMillis
	// KeepVersions is how many recent state versions stay readable; older
	// SMT nodes are pruned. 0 keeps every version (an archive node).
	KeepVersions uint64
	GCInterval   time.Duration // Badger value-log GC; default 10 minutes
	NoSync       bool          // tests only: commits are not synced to disk
	Logger       *slog.Logger
	// Now is the clock for block timestamps; nil means time.Now. Only
	// timestamps use it: nothing in execution reads a clock.
	Now func() time.Time
	// ViewTimeout is how long after the expected proposal time a silent
	// leader is replaced; default params.ViewTimeoutMillis.
	ViewTimeout time.Duration
	// TickInterval is the consensus clock's resolution; default 50 ms.
	TickInterval time.Duration
	// SubmitBacklog is how many pooled transactions make the node refuse
	// a client's submission (pool_full): default DefaultPoolBlocks full
	// blocks. What it admits is then final within seconds instead of
	// queued behind a backlog the chain cannot clear soon. Gossip from
	// peers is not held to it (only to the pool's own bound), so that
	// every leader can include what one node admitted.
	SubmitBacklog int
}

// Node is an Orama node: a validator when its key is in the genesis
// validator set, a follower otherwise. One validator holding all the power
// runs the same Run as a devnet.
type Node struct {
	cfg     Config
	log     *slog.Logger
	genesis *types.Genesis
	key     *crypto.PrivateKey
	me      types.Address
	store   *store.Store
	smt     smt.Store
	pool    *mempool.Pool
	index   *index.Index

	mu       sync.Mutex // guards head and headHash against concurrent readers
	head     *types.Block
	headHash types.Hash
	headSt   atomic.Pointer[state.State]
	onBlock  []func(*types.Block, []types.Receipt)
	driver   atomic.Pointer[driver.Driver] // set by Run; read by the network's goroutines
	net      Network
	host     *p2p.Host // when StartP2P ran
	out      txBatcher // submitted transactions waiting to be gossiped
	evidence *EvidenceRecorder

	closeOnce sync.Once
	closeErr  error
}

// New opens the node's storage in cfg.DataDir, creating block 0 from g on
// first start, and checks that the stored chain is g's.
func New(cfg Config, g *types.Genesis, key *crypto.PrivateKey) (*Node, error) {
	if cfg.BlockTime <= 0 {
		cfg.BlockTime = time.Duration(params.BlockTimeMillis) * time.Millisecond
	}
	if cfg.GCInterval <= 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ViewTimeout <= 0 {
		cfg.ViewTimeout = time.Duration(params.ViewTimeoutMillis) * time.Millisecond
	}
	if cfg.SubmitBacklog <= 0 {
		cfg.SubmitBacklog = DefaultPoolBlocks * params.MaxBlockTransactions
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = DefaultTickInterval
	}
	if err := exec.ValidateGenesis(g); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, genesis: g, key: key, me: key.Address()}
	st, err := store.Open(cfg.DataDir, store.Options{NoSync: cfg.NoSync, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	n.store = st
	n.evidence = NewEvidenceRecorder(st, cfg.Logger)
	n.smt = smt.NewReadCachedStore(smt.NewBadgerStore(st.State, nil), 0)
	if err := n.loadHead(); err != nil {
		st.Close()
		return nil, err
	}
	n.index = index.New(st.Index)
	n.pool = mempool.New(mempool.Config{
		ChainID:  g.ChainID,
		BaseFee:  txrules.NextBaseFee(n.head.Header.BaseFee, n.head.Header.GasUsed),
		Included: n.included,
	}, headState{n})
	if k, err := n.index.Sync(st, g, n.head.Header.Height); err != nil {
		st.Close()
		return nil, fmt.Errorf("node: index: %w", err)
	} else if k > 0 {
		n.log.Info("indexed blocks", "count", k, "height", n.head.Header.Height)
	}
	n.index.Start(st, g, n.log)
	return n, nil
}

// loadHead reads the head, or commits block 0 on an empty store.
func (n *Node) loadHead() error {
	gh, err := n.genesis.Hash()
	if err != nil {
		return err
	}
	h, ok, err := n.store.Head()
	if err != nil {
		return err
	}
	if !ok {
		b0, err := exec.GenesisBlock(n.smt, n.genesis)
		if err != nil {
			return err
		}
		if err := n.store.CommitBlock(b0, nil); err != nil {
			return err
		}
		n.log.Info("created block 0", "genesis", gh, "state_root", b0.Header.StateRoot)
		return n.setHead(b0, false, nil)
	}
	b0, err := n.store.Block(0)
	if err != nil {
		return err
	}
	if b0.Header.ParentHash != gh {
		return fmt.Errorf("node: data dir %s holds the chain of genesis %v, not %v", n.cfg.DataDir, b0.Header.ParentHash, gh)
	}
	// Stale-node records written by a state commit whose block never became
	// the head (a crash between the two) must go, or pruning would delete
	// nodes the real chain still uses.
	if _, err := smt.DropStaleAbove(n.smt, h.Height); err != nil {
		return fmt.Errorf("node: drop stale records above %d: %w", h.Height, err)
	}
	b, err := n.store.Block(h.Height)
	if err != nil {
		return err
	}
	n.log.Info("opened chain", "height", h.Height, "hash", h.Hash, "state_root", b.Header.StateRoot)
	return n.setHead(b, false, nil)
}

// setHead makes b the head. A block committed on the head (finish, next)
// passes what it wrote: the new head state starts with those and with the
// old head's cache for the rest (state.Next); when opening a data dir the
// head state starts cold.
func (n *Node) setHead(b *types.Block, next bool, written []types.Account) error {
	var st *state.State
	var err error
	if prev := n.headSt.Load(); prev != nil && next {
		st, err = prev.Next(b.Header.StateRoot, written)
	} else {
		st, err = state.OpenHead(n.smt, b.Header.StateRoot)
	}
	if err != nil {
		return fmt.Errorf("node: state at height %d: %w", b.Header.Height, err)
	}
	hash, err := b.Header.Hash()
	if err != nil {
		return fmt.Errorf("node: head hash at height %d: %w", b.Header.Height, err)
	}
	n.mu.Lock()
	n.head, n.headHash = b, hash
	n.mu.Unlock()
	n.headSt.Store(st)
	return nil
}

// Head returns the last committed block.
func (n *Node) Head() *types.Block {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.head
}

// headAndHash returns the last committed block and its hash, hashed once
// when it became the head.
func (n *Node) headAndHash() (*types.Block, types.Hash) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.head, n.headHash
}

// State returns a read-only view of the state at the head. Callers must not
// stage changes on it.
func (n *Node) State() *state.State { return n.headSt.Load() }

// ErrStatePruned reports a height whose state the node no longer keeps.
var ErrStatePruned = errors.New("node: state at that height was pruned")

// StateAt returns a read-only state at block height h and that block.
func (n *Node) StateAt(h uint64) (*state.State, *types.Block, error) {
	b, err := n.store.Block(h)
	if err != nil {
		return nil, nil, err
	}
	st, err := state.OpenReadOnly(n.smt, b.Header.StateRoot)
	if errors.Is(err, smt.ErrMissingNode) {
		return nil, nil, fmt.Errorf("%w: height %d", ErrStatePruned, h)
	}
	if err != nil {
		return nil, nil, err
	}
	return st, b, nil
}

// FinalizedHeight is the highest final block. Only final blocks are
// stored, so it is the head's height.
func (n *Node) FinalizedHeight() uint64 { return n.Head().Header.Height }

// Store returns the node's storage, for read-only queries.
func (n *Node) Store() *store.Store { return n.store }

// Close finishes pending index writes and closes the storage. Run calls it
// on return; a node used without Run (tests, tools) must call it.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		if n.host != nil {
			n.host.Close()
		}
		n.index.Stop()
		n.closeErr = n.store.Close()
	})
	return n.closeErr
}

// Index returns the node's query indexes.
func (n *Node) Index() *index.Index { return n.index }

// Mempool returns the node's transaction pool.
func (n *Node) Mempool() *mempool.Pool { return n.pool }

// Genesis returns the genesis the node runs.
func (n *Node) Genesis() *types.Genesis { return n.genesis }

// OnBlock registers fn to run after each block commits, on the producer
// goroutine (keep it short). Call before Run.
func (n *Node) OnBlock(fn func(*types.Block, []types.Receipt)) { n.onBlock = append(n.onBlock, fn) }

// included reports whether a committed block holds the transaction h.
func (n *Node) included(h types.Hash) (bool, error) {
	_, err := n.index.Lookup(h)
	if errors.Is(err, index.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// headState adapts the node's head state to mempool.State.
type headState struct{ n *Node }

func (h headState) Account(a types.Address) (types.Account, error) { return h.n.State().Account(a) }

func (h headState) UsernameOwner(name string) (types.Address, bool, error) {
	return h.n.State().UsernameOwner(name)
}

// AttachNetwork connects the node to its peers; call it before Run. A node
// without a network runs consensus alone, which makes progress only when
// its key holds more than 2/3 of the power (a single-validator devnet).
func (n *Node) AttachNetwork(net Network) { n.net = net }

// Run runs consensus until ctx ends, then closes the store. It returns the
// first storage error, which stops the node: a node that cannot write its
// chain must not keep serving.
func (n *Node) Run(ctx context.Context) error {
	defer n.Close()
	gcCtx, stopGC := context.WithCancel(ctx)
	defer stopGC()
	go n.store.RunGC(gcCtx, n.cfg.GCInterval)

	d, err := n.newDriver(ctx)
	if err != nil {
		return err
	}
	n.driver.Store(d)
	if n.net != nil {
		go n.out.run(ctx, n.net, n.log)
	}
	n.log.Info("starting consensus", "address", crypto.FormatAddress(n.me), "block_time", n.cfg.BlockTime.String(),
		"view_timeout", n.cfg.ViewTimeout.String())
	if err := d.Run(ctx); err != nil {
		n.log.Error("consensus stopped", "err", err)
		return err
	}
	n.log.Info("stopped", "height", n.Head().Header.Height)
	return nil
}

// Submit admits a signed transaction from a client and queues it for
// gossip to the other nodes' mempools.
func (n *Node) Submit(raw []byte) (types.Hash, error) {
	if k := n.pool.Len(); k >= n.cfg.SubmitBacklog {
		return types.Hash{}, fmt.Errorf("node: %d transactions wait for blocks: %w", k, mempool.ErrPoolFull)
	}
	h, err := n.pool.AddRaw(raw)
	if err != nil {
		return h, err
	}
	if n.net != nil {
		n.out.add(raw)
	}
	return h, nil
}

// finish makes b, whose state nodes are in n.smt, the new head: it syncs
// the state, commits the block (with its commit proof, if any), then
// updates the index, the mempool and the hooks, and prunes.
// written, when known, are the accounts the block wrote (state.Written):
// they seed the new head state's cache.
func (n *Node) finish(b *types.Block, receipts []types.Receipt, proof *types.CommitProof, written []types.Account) error {
	height := b.Header.Height
	txs := b.Transactions
	if !n.cfg.NoSync {
		if err := n.store.SyncState(); err != nil {
			return err
		}
	}
	if err := n.store.CommitFinal(b, receipts, proof); err != nil {
		return err
	}
	if err := n.setHead(b, true, written); err != nil {
		return err
	}
	hashes := make([]types.Hash, len(receipts))
	senders := make([]types.Address, len(txs))
	for i := range receipts {
		hashes[i] = receipts[i].TxHash
		senders[i] = txs[i].From
	}
	n.log.Info("committed block", "height", height, "view", b.Header.View, "txs", len(txs), "gas", b.Header.GasUsed, "state_root", b.Header.StateRoot)
	// The index is not consensus data and is written off the commit path;
	// its reads wait for what was enqueued before them.
	n.index.Enqueue(b, receipts)
	// Enqueued before the pool drops the block's transactions: a status
	// lookup that misses the pool then finds them in the (settled) index.
	// The pool drops what the block included and re-checks nonces and
	// balances; a read failure only delays that to the next block.
	if err := n.pool.Update(hashes, senders); err != nil {
		n.log.Warn("mempool update", "height", height, "err", err)
	}
	n.pool.SetBaseFee(txrules.NextBaseFee(b.Header.BaseFee, b.Header.GasUsed))
	for _, fn := range n.onBlock {
		fn(b, receipts)
	}
	if k := n.cfg.KeepVersions; k > 0 && height >= k && height%64 == 0 {
		if _, err := smt.Prune(n.smt, height-k+1); err != nil {
			return fmt.Errorf("node: prune: %w", err)
		}
	}
	return nil
}
