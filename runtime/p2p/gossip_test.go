package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// TestGossipRelaysThroughLine: A - B - C connected by bootstrap lists
// only, so everything C gets from A was relayed (and validated) by B.
// Consensus messages reach Deliver; transactions reach only Validate.
func TestGossipRelaysThroughLine(t *testing.T) {
	bTxs, cTxs := make(chan *Message, 16), make(chan *Message, 16)
	b := newHost(t, 2, validated(bTxs))
	a := newHost(t, 1, bootstrapTo(b))
	c := newHost(t, 3, bootstrapTo(b), validated(cTxs))
	waitTopicPeers(t, b, a.ID(), c.ID())
	waitTopicPeers(t, a, b.ID())
	waitTopicPeers(t, c, b.ID())
	if c.connected(a.ID()) {
		t.Fatal("A and C are connected directly; the test needs a line")
	}

	ka := cryptotest.Key(1)
	sent := map[types.MessageType][]byte{
		types.MessageTypeProposal:    mustEncode(t, testProposal(ka)),
		types.MessageTypeVote:        mustEncode(t, testVote(ka)),
		types.MessageTypeTransaction: mustEncode(t, testTx(addr(20), 4)),
		types.MessageTypeNewView:     mustEncode(t, testNewView(ka)),
		types.MessageTypeTransactionBatch: mustEncode(t, &types.TransactionBatch{
			Transactions: []types.Transaction{*testTx(addr(21), 5), *testTx(addr(22), 6)}}),
	}
	ctx := context.Background()
	// Transactions first, so that one wrongly delivered would most likely
	// arrive before the consensus messages the loop below waits for.
	for _, tx := range []bool{true, false} {
		for _, mt := range messageTypes() {
			if IsTransactions(mt) != tx {
				continue
			}
			if err := a.Publish(ctx, mt, sent[mt]); err != nil {
				t.Fatalf("Publish %s: %v", mt, err)
			}
		}
	}
	for _, h := range []struct {
		host *testHost
		txs  chan *Message
		from peer.ID // the peer it hears A's messages from
	}{{c, cTxs, b.ID()}, {b, bTxs, a.ID()}} {
		check := func(m *Message) {
			t.Helper()
			if m.Sender != addr(1) {
				t.Fatalf("%s sender %s, want %s", m.Type, m.Sender, addr(1))
			}
			if !bytes.Equal(m.Payload, sent[m.Type]) {
				t.Fatalf("%s payload differs", m.Type)
			}
			if enc := mustEncode(t, m.Decoded.(interface{ MarshalBorsh() ([]byte, error) })); !bytes.Equal(enc, sent[m.Type]) {
				t.Fatalf("%s decoded payload differs", m.Type)
			}
			wantType := map[types.MessageType]string{
				types.MessageTypeProposal: "*types.Proposal", types.MessageTypeVote: "*types.Vote",
				types.MessageTypeTransaction: "*types.Transaction", types.MessageTypeNewView: "*types.NewView",
				types.MessageTypeTransactionBatch: "*types.TransactionBatch",
			}[m.Type]
			if got := fmt.Sprintf("%T", m.Decoded); got != wantType {
				t.Fatalf("%s decoded as %s", m.Type, got)
			}
			if m.From != h.from {
				t.Fatalf("%s relayed by %s, want %s", m.Type, m.From, h.from)
			}
		}
		got := map[types.MessageType]bool{}
		for len(got) < 3 {
			m := receive(t, h.host, func(*Message) bool { return true })
			if IsTransactions(m.Type) {
				t.Fatalf("%s delivered; transactions must stop at Validate", m.Type)
			}
			if got[m.Type] {
				t.Fatalf("%s delivered twice", m.Type)
			}
			got[m.Type] = true
			check(m)
		}
		clear(got)
		for len(got) < 2 {
			m := next(t, h.txs, nil, func(*Message) bool { return true })
			got[m.Type] = true
			check(m)
		}
	}
	// A's own messages would have been handed over before they left A, so
	// they would be here by now.
	if own := drain(t, a); len(own) != 0 {
		t.Fatalf("A received %d of its own messages", len(own))
	}
	for _, h := range []*testHost{b, c} {
		for _, m := range drain(t, h) {
			t.Fatalf("unexpected %s delivered", m.Type)
		}
	}
}

// TestNonValidatorConsensusMessageRejected: a node that believes it is a
// validator publishes a vote; its peer, which knows better, rejects it and
// scores the node down, but still takes its transactions.
func TestNonValidatorConsensusMessageRejected(t *testing.T) {
	txs := make(chan *Message, 16)
	r := newHost(t, 1, validated(txs))
	n := newHost(t, 9, bootstrapTo(r), func(c *Config) { c.Validators = addrs(1, 2, 3, 9) })
	waitTopicPeers(t, r, n.ID())
	waitTopicPeers(t, n, r.ID())
	ctx := context.Background()
	if err := n.Publish(ctx, types.MessageTypeVote, mustEncode(t, testVote(cryptotest.Key(9)))); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, types.MessageTypeTransaction, mustEncode(t, testTx(addr(9), 1))); err != nil {
		t.Fatal(err)
	}
	next(t, txs, nil, func(m *Message) bool { return m.Type == types.MessageTypeTransaction })
	waitFor(t, "a negative score for the non-validator", func() bool {
		s, _ := score(r, n.ID())
		return s < 0
	})
	for _, m := range drain(t, r) {
		t.Fatalf("unexpected %s delivered", m.Type)
	}
}

// TestPublishChecksLocally: Publish refuses what peers would reject.
func TestPublishChecksLocally(t *testing.T) {
	h := newHost(t, 9, nil)
	err := h.Publish(context.Background(), types.MessageTypeVote, mustEncode(t, testVote(cryptotest.Key(9))))
	if !errors.Is(err, ErrUnknownSender) {
		t.Fatalf("non-validator vote: %v", err)
	}
	err = h.Publish(context.Background(), types.MessageTypeTransaction, []byte{1})
	if !errors.Is(err, ErrBadPayload) {
		t.Fatalf("malformed transaction: %v", err)
	}
	err = h.Publish(context.Background(), types.MessageType(0), nil)
	if !errors.Is(err, ErrWrongTopic) {
		t.Fatalf("unknown type: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	err = h.Publish(context.Background(), types.MessageTypeTransaction, mustEncode(t, testTx(addr(9), 1)))
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestInvalidEnvelopesPenalised: a misbehaving peer injects raw messages
// that fail each envelope check; none is delivered and each takes the
// peer's score, as seen by the receiver, below zero.
func TestInvalidEnvelopesPenalised(t *testing.T) {
	r := newHost(t, 1, nil)
	val := cryptotest.Key(2) // a validator whose messages the bad peer forges or mangles
	vote := mustEncode(t, testVote(val))
	tampered := envelopeBytes(t, val, types.MessageTypeVote, vote)
	tampered[len(tampered)-3] ^= 0xff
	cases := []struct {
		name string
		mt   types.MessageType // the topic it is published on
		data []byte
	}{
		{"garbage", types.MessageTypeVote, []byte("not an envelope")},
		{"wrong type for topic", types.MessageTypeProposal, envelopeBytes(t, val, types.MessageTypeVote, vote)},
		{"malformed payload", types.MessageTypeVote, envelopeBytes(t, val, types.MessageTypeVote, vote[:10])},
		{"tampered signature", types.MessageTypeVote, tampered},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := newHost(t, 30+i, bootstrapTo(r))
			waitTopicPeers(t, r, bad.ID())
			waitTopicPeers(t, bad, r.ID())
			if err := bad.publishRaw(context.Background(), c.mt, c.data); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "a negative score for the bad peer", func() bool {
				s, _ := score(r, bad.ID())
				return s < 0
			})
			for _, m := range drain(t, r) {
				t.Fatalf("invalid message delivered: %s from %s", m.Type, m.From)
			}
			_ = bad.Close()
		})
	}
}

// TestValidateHook: Config.Validate can accept (the message is relayed),
// ignore (not relayed, no penalty) or reject (not relayed, penalty). S
// publishes to R, which relays to W.
func TestValidateHook(t *testing.T) {
	var ignored atomic.Int32
	r := newHost(t, 1, func(c *Config) {
		c.Validate = func(m *Message) error {
			tx, ok := m.Decoded.(*types.Transaction)
			if !ok {
				return nil
			}
			switch tx.Nonce {
			case 1:
				ignored.Add(1)
				return fmt.Errorf("already pooled: %w", ErrIgnore)
			case 2:
				return errors.New("cannot pay")
			}
			return nil
		}
	})
	s := newHost(t, 8, bootstrapTo(r))
	relayed := make(chan *Message, 16)
	w := newHost(t, 9, bootstrapTo(r), validated(relayed))
	waitTopicPeers(t, r, s.ID(), w.ID())
	waitTopicPeers(t, s, r.ID())
	waitTopicPeers(t, w, r.ID())
	if s.connected(w.ID()) {
		t.Fatal("S and W are connected directly; the test needs a line")
	}
	ctx := context.Background()
	publish := func(nonce uint64) {
		t.Helper()
		if err := s.Publish(ctx, types.MessageTypeTransaction, mustEncode(t, testTx(addr(8), nonce))); err != nil {
			t.Fatal(err)
		}
	}
	isNonce := func(n uint64) func(*Message) bool {
		return func(m *Message) bool { return m.Decoded.(*types.Transaction).Nonce == n }
	}

	publish(1)
	waitFor(t, "Validate to see the ignored transaction", func() bool { return ignored.Load() > 0 })
	waitSamples(t, r, 2)
	if sc, ok := score(r, s.ID()); !ok || sc < 0 {
		t.Fatalf("after an ignored message: score %v (connected %v), want >= 0", sc, ok)
	}

	publish(3)
	if m := next(t, relayed, nil, func(*Message) bool { return true }); !isNonce(3)(m) {
		t.Fatalf("W got nonce %d, want the accepted 3", m.Decoded.(*types.Transaction).Nonce)
	}

	publish(2)
	waitFor(t, "a negative score after a rejected message", func() bool {
		sc, _ := score(r, s.ID())
		return sc < 0
	})
	for _, m := range drain(t, r) {
		t.Fatalf("unexpected delivery of %s", m.Type)
	}
	select {
	case m := <-relayed:
		t.Fatalf("W got nonce %d, which R did not accept", m.Decoded.(*types.Transaction).Nonce)
	default:
	}
}

// TestPenalize: Penalize lowers the score Peers reports.
func TestPenalize(t *testing.T) {
	a := newHost(t, 1, nil)
	b := newHost(t, 2, bootstrapTo(a))
	waitTopicPeers(t, a, b.ID())
	waitSamples(t, a, 1)
	before, ok := score(a, b.ID())
	if !ok {
		t.Fatal("b is not a peer of a")
	}
	a.Penalize(b.ID(), "test")
	a.Penalize(b.ID(), "test")
	waitFor(t, "the penalty to show in Peers", func() bool {
		s, _ := score(a, b.ID())
		return s <= before-1.5*penaltyStep
	})
	var pi PeerInfo
	for _, p := range a.Peers() {
		if p.ID == b.ID() {
			pi = p
		}
	}
	if pi.Addr == "" {
		t.Fatalf("no address for the peer: %+v", pi)
	}
}

// TestBootstrapRedial: when a bootstrap peer restarts on the same address,
// the host dials it again.
func TestBootstrapRedial(t *testing.T) {
	b := newHost(t, 2, nil)
	a := newHost(t, 1, bootstrapTo(b))
	waitFor(t, "a to connect to b", func() bool { return a.connected(b.ID()) })

	full := b.Addrs()[0]
	listen := full[:len(full)-len("/p2p/"+b.ID().String())]
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to see b gone", func() bool { return !a.connected(b.ID()) })

	var b2 *Host
	waitFor(t, "b to restart on its address", func() bool {
		h, err := New(context.Background(), Config{
			Key: cryptotest.Key(2), ChainID: testChainID, Listen: []string{listen},
			Logger: testLogger(), HeartbeatInterval: testHeartbeat,
		})
		if err != nil {
			return false // the port may take a moment to free
		}
		b2 = h
		return true
	})
	t.Cleanup(func() { _ = b2.Close() })
	start := time.Now()
	waitFor(t, "a to reconnect to b", func() bool { return a.connected(b2.ID()) })
	t.Logf("reconnected after %v", time.Since(start).Round(time.Millisecond))
	waitFor(t, "b to list a as a peer", func() bool { return containsPeer(b2.Peers(), a.ID()) })
}

func containsPeer(ps []PeerInfo, id peer.ID) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

// TestIdentitySeparateFromKey: two hosts signing with validator 2's key
// but with their own libp2p identities are two peers, and a message one
// of them publishes arrives as validator 2's (a Byzantine twin holding a
// validator key is a peer of its own, judged by its messages).
func TestIdentitySeparateFromKey(t *testing.T) {
	r := newHost(t, 1)
	twin := func(id int) func(*Config) {
		return func(c *Config) { c.Identity = cryptotest.Key(id) }
	}
	a := newHost(t, 2, twin(20), bootstrapTo(r))
	b := newHost(t, 2, twin(21), bootstrapTo(r))
	if a.ID() == b.ID() {
		t.Fatal("two identities gave one peer id")
	}
	if want, _ := PeerIDFromKey(cryptotest.Key(20)); a.ID() != want {
		t.Fatalf("peer id %s, want the identity key's %s", a.ID(), want)
	}
	if keyID, _ := PeerIDFromKey(cryptotest.Key(2)); a.ID() == keyID {
		t.Fatal("peer id is the signing key's, not the identity's")
	}
	waitTopicPeers(t, r, a.ID(), b.ID())
	waitTopicPeers(t, b, r.ID())
	if err := b.Publish(context.Background(), types.MessageTypeVote, mustEncode(t, testVote(cryptotest.Key(2)))); err != nil {
		t.Fatal(err)
	}
	m := receive(t, r, func(m *Message) bool { return m.Type == types.MessageTypeVote })
	if m.Sender != addr(2) || m.From != b.ID() {
		t.Fatalf("vote from %s (peer %s), want sender %s from peer %s", m.Sender, m.From, addr(2), b.ID())
	}
	if _, err := New(context.Background(), Config{Identity: cryptotest.Key(3), ChainID: testChainID}); err == nil {
		t.Fatal("a host without a signing key started")
	}
}
