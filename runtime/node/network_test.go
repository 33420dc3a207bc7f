package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/p2p"
)

// memHub is an in-process network of nodes: every Publish reaches every
// other node that is up, as gossipsub does on a connected mesh.
type memHub struct {
	mu    sync.Mutex
	nodes map[int]*Node
}

type memNet struct {
	hub *memHub
	id  int
}

var errNoPeer = errors.New("memnet: no peer has it")

func (m *memNet) peers() []*Node {
	m.hub.mu.Lock()
	defer m.hub.mu.Unlock()
	var out []*Node
	ids := make([]int, 0, len(m.hub.nodes))
	for id := range m.hub.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id != m.id {
			out = append(out, m.hub.nodes[id])
		}
	}
	return out
}

func (m *memNet) Publish(_ context.Context, mt types.MessageType, payload []byte) error {
	for _, n := range m.peers() {
		// Decode afresh for each node, as the wire would.
		decoded := mt.NewPayload()
		if decoded == nil {
			return fmt.Errorf("memnet: %v has no payload type", mt)
		}
		if err := decoded.UnmarshalBorsh(payload); err != nil {
			return err
		}
		// The same admission as runtime/p2p's validator hook.
		if err := n.validateGossip(&p2p.Message{Type: mt, Decoded: decoded}); err != nil {
			continue
		}
		if p2p.IsTransactions(mt) {
			continue
		}
		n.Deliver(Incoming{Type: mt, Decoded: decoded, From: fmt.Sprint(m.id)})
	}
	return nil
}

func (m *memNet) FetchBlock(_ context.Context, h types.Hash) (*types.Block, error) {
	for _, n := range m.peers() {
		if b, ok := n.BlockByHash(h); ok {
			return b, nil
		}
	}
	return nil, errNoPeer
}

func (m *memNet) SyncRange(_ context.Context, from uint64, max int, check func(*types.SyncResponse) error) (*types.SyncResponse, string, error) {
	var best *types.SyncResponse
	for _, n := range m.peers() {
		r, err := n.SyncRange(from, max)
		if err == nil && (best == nil || r.HeadHeight > best.HeadHeight) {
			best = r
		}
	}
	if best == nil {
		return nil, "", errNoPeer
	}
	if len(best.Blocks) > 0 {
		if err := check(best); err != nil {
			return nil, "", err
		}
	}
	return best, "", nil
}

func (m *memNet) Penalize(string, string)      {}
func (m *memNet) PeerCount() int               { return len(m.peers()) }
func (m *memNet) Reachable(types.Address) bool { return true }

// cluster runs validators in one process over a memHub.
type cluster struct {
	t       *testing.T
	g       *types.Genesis
	keys    []*crypto.PrivateKey
	dirs    []string
	hub     *memHub
	cancels map[int]context.CancelFunc
	done    map[int]chan error
	nodes   map[int]*Node
}

func newCluster(t *testing.T, validators int) *cluster {
	g, keys := testGenesis(validators + 2)
	g.Validators = nil
	for i := range validators {
		g.Validators = append(g.Validators, types.Validator{Address: keys[i].Address(), Stake: 1000 * 1_000_000_000})
	}
	slices.SortFunc(g.Validators, func(x, y types.Validator) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	c := &cluster{t: t, g: g, keys: keys, hub: &memHub{nodes: map[int]*Node{}},
		cancels: map[int]context.CancelFunc{}, done: map[int]chan error{}, nodes: map[int]*Node{}}
	for range validators {
		c.dirs = append(c.dirs, t.TempDir())
	}
	return c
}

func (c *cluster) start(i int) {
	c.t.Helper()
	cfg := Config{DataDir: c.dirs[i], NoSync: true, BlockTime: 100 * time.Millisecond,
		ViewTimeout: 600 * time.Millisecond, TickInterval: 10 * time.Millisecond}
	if os.Getenv("NODE_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", i)
	}
	n, err := New(cfg, c.g, c.keys[i])
	if err != nil {
		c.t.Fatal(err)
	}
	n.AttachNetwork(&memNet{hub: c.hub, id: i})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	c.hub.mu.Lock()
	c.hub.nodes[i] = n
	c.hub.mu.Unlock()
	c.nodes[i], c.cancels[i], c.done[i] = n, cancel, done
	go func() { done <- n.Run(ctx) }()
}

func (c *cluster) stop(i int) {
	c.t.Helper()
	c.hub.mu.Lock()
	delete(c.hub.nodes, i)
	c.hub.mu.Unlock()
	c.cancels[i]()
	if err := <-c.done[i]; err != nil {
		c.t.Fatalf("node %d: %v", i, err)
	}
	delete(c.nodes, i)
}

func (c *cluster) stopAll() {
	for i := range c.nodes {
		c.stop(i)
	}
}

// waitHeight waits until every running node's head is at least h.
func (c *cluster) waitHeight(h uint64, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ok := true
		for _, n := range c.nodes {
			if n.Head().Header.Height < h {
				ok = false
			}
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, n := range c.nodes {
		c.t.Logf("node %d at height %d, view %d", i, n.Head().Header.Height, n.Consensus().View)
	}
	c.t.Fatalf("not every node reached height %d within %v", h, within)
}

// checkAgreement asserts that all nodes hold the same block (and so the same
// state root) at every height they share.
func (c *cluster) checkAgreement() {
	c.t.Helper()
	var ref *Node
	for _, n := range c.nodes {
		if ref == nil || n.Head().Header.Height < ref.Head().Header.Height {
			ref = n
		}
	}
	for h := uint64(1); h <= ref.Head().Header.Height; h++ {
		want, err := ref.store.Block(h)
		if err != nil {
			c.t.Fatal(err)
		}
		for i, n := range c.nodes {
			got, err := n.store.Block(h)
			if err != nil {
				c.t.Fatalf("node %d height %d: %v", i, h, err)
			}
			if mustHash(&got.Header) != mustHash(&want.Header) {
				c.t.Fatalf("node %d height %d: state root %v, another node has %v", i, h, got.Header.StateRoot, want.Header.StateRoot)
			}
		}
	}
}

// leaderNow returns the running node that leads the current view of node ref.
func (c *cluster) leaderNow() int {
	for _, n := range c.nodes {
		l := n.Consensus().Leader
		for i := range c.nodes {
			if c.keys[i].Address() == l {
				return i
			}
		}
	}
	return -1
}

// TestValidatorsFinalizeTogether runs four validators over an in-process
// network: they finalize the same blocks with the transactions sent to any
// of them; the current leader is killed and the others go on; it restarts
// from its store and catches up; every node has the same block and state
// root at every height.
func TestValidatorsFinalizeTogether(t *testing.T) {
	c := newCluster(t, 4)
	defer c.stopAll()
	for i := range 4 {
		c.start(i)
	}
	c.waitHeight(3, 20*time.Second)

	// Transfers from the two non-validator keys, sent to different nodes.
	for k := 0; k < 20; k++ {
		from := c.keys[4+k%2]
		tx := signedTransfer(from, c.g.ChainID, uint64(k/2), c.keys[0].Address(), 1000)
		raw, _ := tx.MarshalBorsh()
		if _, err := c.nodes[k%4].Submit(raw); err != nil {
			t.Fatalf("submit %d: %v", k, err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		acc, err := c.nodes[0].State().Account(c.keys[4].Address())
		if err != nil {
			t.Fatal(err)
		}
		acc2, _ := c.nodes[0].State().Account(c.keys[5].Address())
		if acc.Nonce == 10 && acc2.Nonce == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfers not final: nonces %d, %d", acc.Nonce, acc2.Nonce)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Kill the leader of the current view; the other three keep finalizing.
	victim := c.leaderNow()
	if victim < 0 {
		t.Fatal("no leader among the nodes")
	}
	c.stop(victim)
	h := c.nodes[(victim+1)%4].Head().Header.Height
	c.waitHeight(h+10, 30*time.Second)

	// Restart it: it syncs what it missed and rejoins.
	c.start(victim)
	top := uint64(0)
	for _, n := range c.nodes {
		top = max(top, n.Head().Header.Height)
	}
	c.waitHeight(top+5, 30*time.Second)
	c.checkAgreement()
	t.Logf("heights: %v", func() (s []uint64) {
		for i := range 4 {
			s = append(s, c.nodes[i].Head().Header.Height)
		}
		return
	}())
}

// TestSyncVerification checks what a syncing node accepts: a real range
// with its commit proof passes; a forged vote signature, a missing block, a
// proof whose views are not consecutive or whose QC lacks a quorum do not.
func TestSyncVerification(t *testing.T) {
	c := newCluster(t, 4)
	defer c.stopAll()
	for i := range 4 {
		c.start(i)
	}
	c.waitHeight(8, 30*time.Second)
	var resp *types.SyncResponse
	for try := 0; ; try++ {
		r, err := c.nodes[0].SyncRange(1, 6)
		if err != nil {
			t.Fatal(err)
		}
		if r.Proof != nil && len(r.Blocks) >= 3 {
			resp = r
			break
		}
		if try > 100 {
			t.Fatalf("no proven range: %d blocks, proof %v", len(r.Blocks), r.Proof != nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := c.nodes[1].driver.Load()
	b0, err := c.nodes[1].store.Block(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CheckSync(b0.Header, resp); err != nil {
		t.Fatalf("a genuine range refused: %v", err)
	}
	clone := func() *types.SyncResponse {
		raw, _ := resp.MarshalBorsh()
		var r types.SyncResponse
		if err := r.UnmarshalBorsh(raw); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	for _, m := range []struct {
		name   string
		mutate func(r *types.SyncResponse)
	}{
		{"forged vote signature", func(r *types.SyncResponse) { r.Blocks[2].Header.QC.Votes[0].Signature[10] ^= 1 }},
		{"missing block", func(r *types.SyncResponse) { r.Blocks = append(r.Blocks[:1], r.Blocks[2:]...) }},
		{"wrong start", func(r *types.SyncResponse) { r.Blocks = r.Blocks[1:] }},
		{"proof views not consecutive", func(r *types.SyncResponse) { r.Proof.Grandchild.View++ }},
		{"proof QC without quorum", func(r *types.SyncResponse) { r.Proof.QC.Votes = r.Proof.QC.Votes[:2] }},
		{"proof QC for another block", func(r *types.SyncResponse) { r.Proof.QC.BlockHash[0] ^= 1 }},
		{"proof detached", func(r *types.SyncResponse) { r.Proof.Child.ParentHash[0] ^= 1 }},
		// A body its certified header does not commit to.
		{"transaction added to a body", func(r *types.SyncResponse) {
			r.Blocks[1].Transactions = append(r.Blocks[1].Transactions, *signedTransfer(testKey(1), 1, 0, types.Address{1}, 1))
		}},
	} {
		r := clone()
		m.mutate(r)
		if err := d.CheckSync(b0.Header, r); !errors.Is(err, driver.ErrBadSync) {
			t.Errorf("%s: %v, want driver.ErrBadSync", m.name, err)
		}
	}
}
