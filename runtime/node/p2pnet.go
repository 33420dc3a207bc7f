package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
)

// StartP2P starts the node's libp2p host on listen, dials bootstrap, and
// attaches it as the node's Network. Close stops it. Call before Run.
func (n *Node) StartP2P(ctx context.Context, listen, bootstrap []string) (*p2p.Host, error) {
	vals := make([]types.Address, len(n.genesis.Validators))
	for i, v := range n.genesis.Validators {
		vals[i] = v.Address
	}
	h, err := p2p.New(ctx, p2p.Config{
		Key: n.key, ChainID: n.genesis.ChainID,
		Listen: listen, Bootstrap: bootstrap, Validators: vals,
		Logger: n.log.With("component", "p2p"), Validate: n.validateGossip, Server: n,
		// Straight into the node's one queue; Deliver never blocks.
		Deliver: func(m *p2p.Message) {
			n.Deliver(Incoming{Type: m.Type, Decoded: m.Decoded, From: m.From.String(), Sender: m.Sender, Envelope: m.Envelope})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("node: p2p: %w", err)
	}
	n.host = h
	// Validators' peer ids from genesis, for Reachable; a malformed or
	// missing one leaves that validator always reachable.
	ids := make(map[types.Address]peer.ID, len(n.genesis.Validators))
	for _, v := range n.genesis.Validators {
		if id, err := peer.Decode(v.PeerID); err == nil {
			ids[v.Address] = id
		}
	}
	n.AttachNetwork(p2pNet{h: h, sync: p2p.NewSyncClient(h), ids: ids})
	n.log.Info("p2p listening", "peer_id", h.ID().String(), "addrs", h.Addrs())
	return h, nil
}

// validateGossip admits gossiped transactions into the mempool before they
// are relayed: a transaction that cannot enter the pool is not passed on.
func (n *Node) validateGossip(m *p2p.Message) error {
	var txs []*types.Transaction
	switch p := m.Decoded.(type) {
	case *types.Transaction:
		txs = []*types.Transaction{p}
	case *types.TransactionBatch:
		txs = make([]*types.Transaction, len(p.Transactions))
		for i := range p.Transactions {
			txs[i] = &p.Transactions[i]
		}
	default:
		return nil
	}
	ignore, err := n.AdmitGossip(txs...)
	if err == nil {
		return nil
	}
	if ignore {
		return fmt.Errorf("%w: %w", p2p.ErrIgnore, err)
	}
	return err
}

// p2pNet adapts a p2p.Host to Network; sync, the host's one sync client,
// keeps the peers' records as sync servers.
type p2pNet struct {
	h    *p2p.Host
	sync *p2p.SyncClient
	ids  map[types.Address]peer.ID // validators' peer ids (read-only)
}

func (p p2pNet) Publish(ctx context.Context, mt types.MessageType, payload []byte) error {
	err := p.h.Publish(ctx, mt, payload)
	if errors.Is(err, p2p.ErrNoPeers) {
		return nil
	}
	return err
}

func (p p2pNet) FetchBlock(ctx context.Context, h types.Hash) (*types.Block, error) {
	return p.sync.FetchBlock(ctx, h)
}

func (p p2pNet) SyncRange(ctx context.Context, from uint64, max int, check func(*types.SyncResponse) error) (*types.SyncResponse, string, error) {
	r, id, err := p.sync.SyncRange(ctx, from, max, check)
	return r, id.String(), err
}

func (p p2pNet) Penalize(from, reason string) {
	if id, err := peer.Decode(from); err == nil {
		p.h.Penalize(id, reason)
	}
}

func (p p2pNet) PeerCount() int { return len(p.h.Peers()) }

// Reachable is false for a validator whose genesis peer id this host was
// connected to and is not now. A validator that runs its node under
// another peer id (p2p.Config.Identity) is never reported unreachable.
func (p p2pNet) Reachable(v types.Address) bool {
	id, ok := p.ids[v]
	if !ok {
		return true
	}
	connected, seen := p.h.PeerState(id)
	return connected || !seen
}
