package node

import (
	"context"
	"errors"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// Network is what the node needs from the peer-to-peer layer
// (runtime/p2p through p2pNet, or an in-process network in tests).
// Incoming gossip reaches the node through Node.Deliver.
type Network interface {
	Publish(ctx context.Context, mt types.MessageType, payload []byte) error
	FetchBlock(ctx context.Context, h types.Hash) (*types.Block, error)
	// SyncRange asks peers for final blocks and returns the first answer
	// that passes check (driver.Network); peer names who answered.
	SyncRange(ctx context.Context, from uint64, max int, check func(*types.SyncResponse) error) (resp *types.SyncResponse, peer string, err error)
	// Penalize lowers the score of the peer a rejected message came from.
	Penalize(from string, reason string)
	PeerCount() int
	// Reachable is driver.Network's: false only for a validator whose
	// peer was connected and is not now.
	Reachable(validator types.Address) bool
}

// Incoming is a gossip message that passed the network's envelope checks.
type Incoming = driver.Incoming

// ConsensusStatus is what `orama status` shows of consensus.
type ConsensusStatus = driver.Status

// Node defaults.
const (
	// DefaultTickInterval is the consensus clock's default resolution.
	DefaultTickInterval = 50 * time.Millisecond
	// DefaultPoolBlocks is how many full blocks the mempool holds: at the
	// rate a backlog makes blocks (pacing halves the block time) that is
	// a few seconds of queue, so what is admitted is final within seconds
	// and the rest is refused with a typed error the client can retry.
	DefaultPoolBlocks = 8
)

// fetchTimeout bounds one block fetch from peers.
const fetchTimeout = 10 * time.Second

// newDriver builds the consensus driver over the node's chain, mempool
// and network.
func (n *Node) newDriver(ctx context.Context) (*driver.Driver, error) {
	gh, err := n.genesis.Hash()
	if err != nil {
		return nil, err
	}
	b0, err := n.store.Block(0)
	if err != nil {
		return nil, err
	}
	var net driver.Network
	if n.net != nil {
		net = &driverNet{Network: n.net, ctx: ctx, n: n}
	}
	return driver.New(driver.Config{
		Genesis:      b0.Header,
		Validators:   n.genesis.Validators,
		Signer:       consensus.CryptoSigner{Key: n.key, ChainID: n.genesis.ChainID},
		Verifier:     consensus.CryptoVerifier{ChainID: n.genesis.ChainID},
		Seed:         gh,
		BlockTime:    n.cfg.BlockTime,
		ViewTimeout:  n.cfg.ViewTimeout,
		TickInterval: n.cfg.TickInterval,
		Clock:        clockFunc(n.cfg.Now),
		Logger:       n.log,
		Evidence:     n.evidence,
	}, chain{n}, n.pool, net)
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// chain adapts the node's storage and head to driver.Chain.
type chain struct{ n *Node }

func (c chain) Head() (*types.Block, types.Hash) { return c.n.headAndHash() }
func (c chain) States() smt.Store                { return c.n.smt }
func (c chain) HeadState() *state.State          { return c.n.State() }
func (c chain) Commit(b *types.Block, receipts []types.Receipt, proof *types.CommitProof, written []types.Account) error {
	return c.n.finish(b, receipts, proof, written)
}
func (c chain) SaveSafety(r *types.SafetyRecord) error     { return c.n.store.SaveSafety(r) }
func (c chain) Safety() (*types.SafetyRecord, bool, error) { return c.n.store.Safety() }
func (c chain) PutPending(b *types.Block) error            { return c.n.store.PutPending(b) }
func (c chain) PendingBlocks(above uint64) ([]*types.Block, error) {
	return c.n.store.PendingBlocks(above)
}
func (c chain) Block(height uint64) (*types.Block, error) { return c.n.store.Block(height) }

// driverNet adapts the node's Network to driver.Network: a block request
// is fetched on its own goroutine, and the answer queued for the loop.
type driverNet struct {
	Network
	ctx context.Context
	n   *Node
}

func (d *driverNet) RequestBlock(h types.Hash) {
	go func() {
		ctx, cancel := context.WithTimeout(d.ctx, fetchTimeout)
		defer cancel()
		b, err := d.FetchBlock(ctx, h)
		if err != nil {
			d.n.log.Debug("fetch block", "hash", h, "err", err)
			return
		}
		d.n.Deliver(Incoming{Type: types.MessageTypeProposal, Decoded: b})
	}()
}

// Consensus returns the consensus status (zero before Run).
func (n *Node) Consensus() ConsensusStatus {
	d := n.driver.Load()
	if d == nil {
		return ConsensusStatus{}
	}
	return d.Status()
}

// Deliver hands the node a gossip message; the network calls it. It never
// blocks: the driver's inbound queue holds it or drops it by its rule
// (runtime/driver/inbound.go). HotStuff tolerates lost messages: NewView
// rebroadcasts and block fetches recover.
func (n *Node) Deliver(m Incoming) {
	if d := n.driver.Load(); d != nil {
		d.Deliver(m)
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
