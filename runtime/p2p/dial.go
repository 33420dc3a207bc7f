package p2p

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// connected reports whether the host has a live connection to id.
func (h *Host) connected(id peer.ID) bool {
	return h.host.Network().Connectedness(id) == network.Connected
}

// maxSeenPeers bounds the record of peers ever connected (PeerState).
const maxSeenPeers = 4096

// noteConnected records that the host has been connected to id.
func (h *Host) noteConnected(id peer.ID) {
	h.seenMu.Lock()
	defer h.seenMu.Unlock()
	if len(h.seen) < maxSeenPeers {
		h.seen[id] = struct{}{}
	}
}

// PeerState reports whether the host is connected to id now, and whether
// it has ever been since it started (the first maxSeenPeers peers are
// remembered). A validator's peer that was connected and is not now has
// crashed or been cut off; one never connected may be reachable through
// others (the node uses this for "Lost leader", spec/consensus.md).
func (h *Host) PeerState(id peer.ID) (connected, seen bool) {
	if h.connected(id) {
		return true, true
	}
	h.seenMu.Lock()
	defer h.seenMu.Unlock()
	_, seen = h.seen[id]
	return false, seen
}

// dial connects to a bootstrap peer. The host keeps its own backoff, so the
// swarm's per-address dial backoff is cleared first: otherwise a peer that
// restarts is not re-dialled until the swarm's backoff expires.
func (h *Host) dial(ai peer.AddrInfo) error {
	h.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
	if sw, ok := h.host.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(ai.ID)
	}
	ctx, cancel := context.WithTimeout(h.ctx, dialTimeout)
	defer cancel()
	return h.host.Connect(ctx, ai)
}

// jitter returns d plus up to a quarter of d, so that nodes restarted
// together do not re-dial in lockstep.
func jitter(d time.Duration) time.Duration {
	return d + rand.N(d/4+1)
}
