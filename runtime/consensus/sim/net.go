package sim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/driver"
)

// simNet is node id's driver.Network: what it publishes reaches every
// other node after the simulated delay (as gossipsub on a connected mesh),
// a block request is answered by the node that published the block, and
// range sync by the peer with the highest head; requests and answers obey
// Network.Connected for the requester's current view, as gossip does.
type simNet struct {
	s  *Sim
	id int
}

var errNoPeer = errors.New("sim: no peer has it")

func decode(mt types.MessageType, payload []byte) (any, error) {
	v := mt.NewPayload()
	if v == nil {
		return nil, fmt.Errorf("sim: %v has no payload type", mt)
	}
	if err := v.UnmarshalBorsh(payload); err != nil {
		return nil, err
	}
	return v, nil
}

// viewOf is the view a consensus message belongs to, for Connected.
func viewOf(v any) uint64 {
	switch m := v.(type) {
	case *types.Proposal:
		return m.Block.Header.View
	case *types.Vote:
		return m.View
	case *types.NewView:
		return m.Timeout.View
	}
	return 0
}

func (n *simNet) Publish(_ context.Context, mt types.MessageType, payload []byte) error {
	s := n.s
	from := s.Nodes[n.id]
	if s.net.StripNonce && mt == types.MessageTypeNewView {
		// Negative control: every send of a timeout has the same bytes,
		// as before NewView had a nonce.
		var nv types.NewView
		if nv.UnmarshalBorsh(payload) == nil {
			nv.Nonce = 0
			if b, err := nv.MarshalBorsh(); err == nil {
				payload = b
			}
		}
	}
	if s.net.SeenTicks > 0 {
		// Gossipsub drops a publication whose message id (the hash of its
		// bytes) is in the publisher's own seen-cache: it never leaves.
		k := seenKey(mt, payload)
		if at, ok := from.seen[k]; ok && s.Now < at+s.net.SeenTicks {
			return nil
		}
		from.seen[k] = s.Now
	}
	v, err := decode(mt, payload)
	if err != nil {
		return err
	}
	from.Sent++
	from.SentBytes += uint64(len(payload))
	switch m := v.(type) {
	case *types.Proposal:
		h, err := m.Block.Header.Hash()
		if err != nil {
			return err
		}
		s.headers[h] = m.Block.Header
		var id types.Signature // the block's hash stands for the proposal
		copy(id[:], h[:])
		s.recordSigned(from, 'p', m.Block.Header.View, id)
		if _, ok := s.proposedAt[h]; !ok {
			s.proposedAt[h] = s.Now
		}
		if b, err := m.Block.MarshalBorsh(); err == nil {
			s.bodies[h] = b
			if _, ok := s.bodyFrom[h]; !ok {
				s.bodyFrom[h] = n.id
			}
		}
	case *types.Vote:
		s.recordSigned(from, 'v', m.View, m.Signature)
	case *types.NewView:
		s.recordSigned(from, 't', m.Timeout.View, m.Timeout.Signature)
	}
	view := viewOf(v)
	for _, to := range s.Nodes {
		if to.ID != n.id {
			s.send(n.id, to.ID, view, mt, payload)
		}
	}
	return nil
}

func (s *Sim) recordSigned(n *Node, kind byte, view uint64, sig types.Signature) {
	k := signKey{kind, view}
	if old, ok := n.Signed[k]; ok && old != sig {
		s.violate(n, fmt.Errorf("node %d signed two different %c messages in view %d", n.ID, kind, view))
	}
	n.Signed[k] = sig
}

// send schedules one copy (or two, or none) of a message from one node to
// another; each receiver decodes its own copy, as from the wire.
func (s *Sim) send(from, to int, view uint64, mt types.MessageType, payload []byte) {
	net := &s.net
	if net.Connected != nil && !net.Connected(from, to, view, s.Now) {
		return
	}
	if net.DropP > 0 && s.rng.Float64() < net.DropP {
		return
	}
	copies := 1
	if net.DupP > 0 && s.rng.Float64() < net.DupP {
		copies = 2
	}
	deliver := func(after uint64) {
		if net.SeenTicks > 0 {
			// Gossipsub's seen-cache: a receiver drops a message whose
			// bytes it took within SeenTicks.
			k := seenKey(mt, payload)
			rcv := s.Nodes[to]
			if at, ok := rcv.seen[k]; ok && s.Now < at+net.SeenTicks {
				return
			}
			rcv.seen[k] = s.Now
		}
		v, err := decode(mt, payload)
		if err != nil {
			return
		}
		s.Delivered++
		s.DeliveredBytes += uint64(len(payload))
		// The signer stands in for the envelope's sender, and the payload
		// for the envelope (the simulator signs no envelopes).
		s.push(&msg{to: to, from: from, m: driver.Incoming{Type: mt, Decoded: v, From: fmt.Sprint(from),
			Sender: signerOf(v), Envelope: payload}, at: s.Now + after})
	}
	for range copies {
		d := net.MinDelay
		if net.Delay != nil {
			d = max(1, net.Delay(s.rng, from, to))
		} else if net.MaxDelay > net.MinDelay {
			d += s.rng.Uint64N(net.MaxDelay - net.MinDelay + 1)
		}
		deliver(d)
	}
	if net.Replay != nil {
		for _, d := range net.Replay(from) {
			deliver(d)
		}
	}
}

// seenKey is a message's id in the seen-cache model.
func seenKey(mt types.MessageType, payload []byte) [32]byte {
	return sha256.Sum256(append([]byte{byte(mt)}, payload...))
}

// signerOf is who signed a decoded consensus message.
func signerOf(v any) types.Address {
	switch m := v.(type) {
	case *types.Proposal:
		return m.Block.Header.Proposer
	case *types.Vote:
		return m.Voter
	case *types.NewView:
		return m.Timeout.Sender
	}
	return types.Address{}
}

// linked reports whether peer's answers reach node n now: the network's
// Connected for the requester's current view (a request carries no view of
// its own; a partition of that view cuts it, as it cuts gossip).
func (n *simNet) linked(peer int) bool {
	s := n.s
	if s.net.Connected == nil {
		return true
	}
	view := uint64(0)
	if d := s.Nodes[n.id].Driver; d != nil {
		view = d.View()
	}
	return s.net.Connected(peer, n.id, view, s.Now) && s.net.Connected(n.id, peer, view, s.Now)
}

// RequestBlock answers from the node that published the block, when it is
// up and linked to the requester; otherwise the request is lost.
func (n *simNet) RequestBlock(h types.Hash) {
	s := n.s
	enc, ok := s.bodies[h]
	if !ok {
		return
	}
	if from, ok := s.bodyFrom[h]; ok && from != n.id && (s.Nodes[from].Down || !n.linked(from)) {
		return
	}
	var b types.Block
	if err := b.UnmarshalBorsh(enc); err != nil {
		return
	}
	s.push(&msg{to: n.id, from: n.id, m: driver.Incoming{Type: types.MessageTypeProposal, Decoded: &b}, at: s.Now + s.net.MinDelay})
}

func (n *simNet) SyncRange(_ context.Context, from uint64, max int, check func(*types.SyncResponse) error) (*types.SyncResponse, string, error) {
	var best *types.SyncResponse
	peer := ""
	for _, p := range n.s.Nodes {
		if p.ID == n.id || p.Stopped != nil || p.Down || !n.linked(p.ID) {
			continue
		}
		if r := p.Chain.syncRange(from, max); best == nil || r.HeadHeight > best.HeadHeight {
			best, peer = r, fmt.Sprint(p.ID)
		}
	}
	if best == nil {
		return nil, "", errNoPeer
	}
	// The receiver decodes its own copy.
	enc, err := best.MarshalBorsh()
	if err != nil {
		return nil, "", err
	}
	var out types.SyncResponse
	if err := out.UnmarshalBorsh(enc); err != nil {
		return nil, "", err
	}
	if len(out.Blocks) > 0 {
		if err := check(&out); err != nil {
			return nil, "", fmt.Errorf("sync from %s: %w", peer, err)
		}
	}
	return &out, peer, nil
}

func (n *simNet) Penalize(string, string) {}

// Reachable is false for a validator all of whose nodes are crashed: a
// real node loses its connection to a crashed peer at once (unless
// Options.Stopped: a stopped process keeps them). A partition is not
// reported: connections may survive one.
func (n *simNet) Reachable(v types.Address) bool {
	if n.s.opts.Stopped {
		return true
	}
	for _, p := range n.s.Nodes {
		if p.Addr == v && !p.Down {
			return true
		}
	}
	return false
}

// PeerCount counts the other nodes that are up, so a restarted node shows
// as a peer that joined.
func (n *simNet) PeerCount() int {
	c := 0
	for _, p := range n.s.Nodes {
		if p.ID != n.id && !p.Down {
			c++
		}
	}
	return c
}
