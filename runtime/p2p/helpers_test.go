package p2p

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

const (
	testChainID = 7
	// waitTimeout bounds every wait in these tests; generous for a loaded
	// machine.
	waitTimeout = 20 * time.Second
	// testHeartbeat makes gossipsub meshes form quickly.
	testHeartbeat = 100 * time.Millisecond
	// testDeliverCap is far more messages than any test sends.
	testDeliverCap = 1024
)

func addr(i int) types.Address { return types.Address(cryptotest.Key(i).Address()) }

func addrs(is ...int) []types.Address {
	out := make([]types.Address, len(is))
	for k, i := range is {
		out[k] = addr(i)
	}
	return out
}

func testLogger() *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testHost is a Host whose Config.Deliver feeds a channel the tests read.
type testHost struct {
	*Host
	delivered chan *Message
	overflow  atomic.Bool
}

// deliver is the test hosts' Config.Deliver. Like the node's, it never
// blocks; a full channel is recorded and fails the next receive or drain.
func (th *testHost) deliver(m *Message) {
	select {
	case th.delivered <- m:
	default:
		th.overflow.Store(true)
	}
}

// newHost starts a host on 127.0.0.1 with key i and closes it when the
// test ends. mods, the nil ones skipped, adjust the config first.
func newHost(t *testing.T, i int, mods ...func(*Config)) *testHost {
	t.Helper()
	th := &testHost{delivered: make(chan *Message, testDeliverCap)}
	cfg := Config{
		Key:               cryptotest.Key(i),
		ChainID:           testChainID,
		Listen:            []string{"/ip4/127.0.0.1/tcp/0"},
		Validators:        addrs(1, 2, 3),
		Logger:            testLogger(),
		Deliver:           th.deliver,
		HeartbeatInterval: testHeartbeat,
	}
	for _, mod := range mods {
		if mod != nil {
			mod(&cfg)
		}
	}
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New(key %d): %v", i, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	th.Host = h
	return th
}

// validated returns a config modifier whose Validate accepts everything
// and copies each transaction message it sees to ch without blocking:
// transactions are never delivered, so tests watch them here.
func validated(ch chan<- *Message) func(*Config) {
	return func(c *Config) {
		c.Validate = func(m *Message) error {
			if IsTransactions(m.Type) {
				select {
				case ch <- m:
				default:
				}
			}
			return nil
		}
	}
}

// bootstrapTo returns a config modifier that bootstraps to the hosts.
func bootstrapTo(hs ...*testHost) func(*Config) {
	return func(c *Config) {
		for _, h := range hs {
			c.Bootstrap = append(c.Bootstrap, h.Addrs()[0])
		}
	}
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitTopicPeers waits until each of ids is in h's gossipsub mesh of
// every topic: only then does h forward what it receives to them.
func waitTopicPeers(t *testing.T, h *testHost, ids ...peer.ID) {
	t.Helper()
	waitFor(t, "mesh peers", func() bool {
		for _, mt := range messageTypes() {
			name, _ := TopicOf(mt)
			ps := h.mesh.peers(name)
			for _, id := range ids {
				if !slices.Contains(ps, id) {
					return false
				}
			}
		}
		return true
	})
}

// score returns h's last sampled score of p and whether p is connected.
func score(h *testHost, p peer.ID) (float64, bool) {
	for _, pi := range h.Peers() {
		if pi.ID == p {
			return pi.Score, true
		}
	}
	return 0, false
}

// waitSamples waits until h has taken n more score samples.
func waitSamples(t *testing.T, h *testHost, n uint64) {
	t.Helper()
	start := h.samples.Load()
	waitFor(t, "score samples", func() bool { return h.samples.Load() >= start+n })
}

// receive returns the next message delivered to h matching match, failing
// the test after waitTimeout. Messages that do not match are discarded.
func receive(t *testing.T, h *testHost, match func(*Message) bool) *Message {
	t.Helper()
	return next(t, h.delivered, &h.overflow, match)
}

// next returns the next message on ch matching match, failing the test
// after waitTimeout or if ch overflowed.
func next(t *testing.T, ch <-chan *Message, overflow *atomic.Bool, match func(*Message) bool) *Message {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		if overflow != nil && overflow.Load() {
			t.Fatal("the test's delivery channel overflowed")
		}
		select {
		case m := <-ch:
			if match(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for a message", waitTimeout)
		}
	}
}

// drain returns the messages delivered to h and not yet received.
func drain(t *testing.T, h *testHost) []*Message {
	t.Helper()
	if h.overflow.Load() {
		t.Fatal("the test's delivery channel overflowed")
	}
	var out []*Message
	for {
		select {
		case m := <-h.delivered:
			out = append(out, m)
		default:
			return out
		}
	}
}

func mustEncode(t testing.TB, v interface{ MarshalBorsh() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testBlock(proposer types.Address, height uint64, parent types.Hash) types.Block {
	return types.Block{
		Header: types.BlockHeader{Height: height, ParentHash: parent, Proposer: proposer, View: height, Timestamp: 1000 + height},
		Transactions: []types.Transaction{
			{Type: types.TxTypeTransfer, From: proposer, Amount: height, Nonce: height, GasLimit: 100, Data: types.Bytes{1, 2}},
		},
	}
}

func testProposal(k *crypto.PrivateKey) *types.Proposal {
	return &types.Proposal{Block: testBlock(k.Address(), 5, types.Hash{9})}
}

func testVote(k *crypto.PrivateKey) *types.Vote {
	return &types.Vote{View: 3, Height: 4, BlockHash: types.Hash{1, 2, 3}, Voter: k.Address(), Signature: types.Signature{7}}
}

func testNewView(k *crypto.PrivateKey) *types.NewView {
	return &types.NewView{
		Timeout: types.Timeout{View: 8, HighQCView: 6, Sender: k.Address()},
		HighQC:  types.QuorumCert{View: 6, Height: 6, BlockHash: types.Hash{6}},
	}
}

func testTx(from types.Address, nonce uint64) *types.Transaction {
	return &types.Transaction{Type: types.TxTypeTransfer, From: from, To: addr(50), Amount: 10, Nonce: nonce, GasLimit: 100, GasFeeCap: 10}
}

// envelopeBytes returns an envelope of payload signed by k, for tests that
// forge messages.
func envelopeBytes(t testing.TB, k *crypto.PrivateKey, mt types.MessageType, payload []byte) []byte {
	t.Helper()
	b, err := signEnvelope(k, testChainID, mt, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
