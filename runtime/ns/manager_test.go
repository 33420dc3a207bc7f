package ns

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// fakePlacement is a global state holding namespace records.
type fakePlacement struct {
	recs  map[string]types.NamespaceRecord
	slots map[types.Address][]types.NamespaceSlot
}

func (p *fakePlacement) Namespace(name string) (types.NamespaceRecord, bool, error) {
	r, ok := p.recs[name]
	return r, ok, nil
}

func (p *fakePlacement) NodeNamespaces(a types.Address) (types.NodeNamespaces, error) {
	return types.NodeNamespaces{Slots: p.slots[a]}, nil
}

func (p *fakePlacement) place(name string, tier types.NamespaceTier, owner types.Address, nodes ...types.Address) {
	rec := types.NamespaceRecord{Name: name, Tier: tier, Owner: owner, CreatedHeight: 5}
	for _, n := range nodes {
		slot := uint8(len(p.slots[n]))
		rec.Nodes = append(rec.Nodes, types.NamespaceNode{Node: n, Slot: slot})
		p.slots[n] = append(p.slots[n], types.NamespaceSlot{Slot: slot, Name: name})
	}
	p.recs[name] = rec
}

func newManager(t *testing.T, dir string, auth types.Address, chain Chain) *Manager {
	t.Helper()
	m, err := NewManager(context.Background(), ManagerConfig{Dir: dir, ChainID: testChainID, Authority: auth, Chain: chain})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestManagerLifecycle: a namespace placed on this node is opened on files,
// keeps its state across a restart of the node, answers read-only queries,
// and leaves (its data moved aside) when it is no longer placed.
func TestManagerLifecycle(t *testing.T) {
	dir := t.TempDir()
	self := mustKey(t, 50).Address()
	auth := mustKey(t, 200)
	alice := mustKey(t, 1)
	chain := &fixedChain{height: 10, ts: 1_000_000}
	pl := &fakePlacement{recs: map[string]types.NamespaceRecord{}, slots: map[types.Address][]types.NamespaceSlot{}}
	pl.place("demo", types.NamespaceTierTier1, alice.Address(), self)
	pl.place("elsewhere", types.NamespaceTierTier0, alice.Address(), mustKey(t, 51).Address())
	pl.place("multi", types.NamespaceTierTier1, alice.Address(), self, mustKey(t, 52).Address())

	m := newManager(t, filepath.Join(dir, "ns"), auth.Address(), chain)
	if err := m.Sync(self, pl, 10); !errors.Is(err, ErrNeedsCluster) {
		t.Fatalf("sync without a provisioner: %v", err)
	}
	if got := m.Names(); len(got) != 1 || got[0] != "demo" {
		t.Fatalf("open namespaces %v", got)
	}
	n, _ := m.Namespace("demo")
	tn := &testNS{Namespace: n, chain: chain, authority: auth, meta: n.Status().Meta, nonces: map[types.Address]uint64{}}
	gb := tn.deploy(t, alice, module(t, "guestbook"), "init")
	res := tn.submit(t, alice, &types.NsCall{Contract: gb, Function: "sign_text", Input: []byte("hello, namespace"), GasLimit: 10_000_000}, nil)
	if res.Entry.Outcome.Status != types.NsStatusOk {
		t.Fatalf("sign_text: %+v", res.Entry.Outcome)
	}
	ctx := context.Background()
	q, err := n.Query(ctx, "SELECT message FROM guestbook", nil)
	if err != nil || len(q.Rows) != 1 || string(q.Rows[0][0].Bytes) != "hello, namespace" || q.Position != 2 {
		t.Fatalf("query: %+v %v", q, err)
	}
	if _, err := n.Query(ctx, "DELETE FROM guestbook", nil); !errors.Is(err, hostabi.ErrSQLReadOnly) {
		t.Fatalf("a write through the query endpoint: %v", err)
	}
	before := n.Status()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// The node restarts: the same state, and calls go on.
	m = newManager(t, filepath.Join(dir, "ns"), auth.Address(), chain)
	defer m.Close()
	m.Sync(self, pl, 11)
	n, ok := m.Namespace("demo")
	if !ok || n.Status() != before {
		t.Fatalf("after a restart: %+v, before %+v", n.Status(), before)
	}
	tn.Namespace = n
	tn.nonces[alice.Address()] = 2
	chain.advance(1, 1)
	if res := tn.submit(t, alice, &types.NsCall{Contract: gb, Function: "sign_text", Input: []byte("again"), GasLimit: 10_000_000}, nil); res.Position != 3 {
		t.Fatalf("after a restart the next entry is at %d", res.Position)
	}
	// Deleted: no longer placed; its data is kept aside, never in the way.
	delete(pl.recs, "demo")
	pl.slots[self] = nil
	if err := m.Sync(self, pl, 20); err != nil {
		t.Fatal(err)
	}
	if len(m.Names()) != 0 {
		t.Fatalf("still open: %v", m.Names())
	}
	if _, err := os.Stat(filepath.Join(dir, "ns-deleted", "demo-20", "sql.db")); err != nil {
		t.Fatalf("deleted namespace's data: %v", err)
	}
	_ = abi.Null
	_ = crypto.DomainNamespaceRequest
}

// TestManagerRebuildsLostState: a node whose StateDB is lost (or left
// behind its replica by a crash) rebuilds both by replaying the log its
// replica holds, and reaches the same head and root.
func TestManagerRebuildsLostState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ns")
	self := mustKey(t, 50).Address()
	auth := mustKey(t, 200)
	alice, bob := mustKey(t, 1), mustKey(t, 2)
	chain := &fixedChain{height: 10, ts: 1_000_000}
	pl := &fakePlacement{recs: map[string]types.NamespaceRecord{}, slots: map[types.Address][]types.NamespaceSlot{}}
	pl.place("demo", types.NamespaceTierTier1, alice.Address(), self)
	m := newManager(t, dir, auth.Address(), chain)
	if err := m.Sync(self, pl, 10); err != nil {
		t.Fatal(err)
	}
	n, _ := m.Namespace("demo")
	tn := &testNS{Namespace: n, chain: chain, authority: auth, meta: n.Status().Meta, nonces: map[types.Address]uint64{}}
	tn.deposit(t, alice.Address(), 10_000)
	token := tn.deploy(t, alice, module(t, "token"), "init")
	tn.submit(t, alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 5000, GasLimit: 10_000_000}, nil)
	for i := 0; i < 30; i++ {
		tn.submit(t, alice, &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(bob.Address(), 7), GasLimit: 10_000_000}, nil)
	}
	before := n.Status()
	m.Close()
	if err := os.RemoveAll(filepath.Join(dir, "demo", "state")); err != nil {
		t.Fatal(err)
	}
	m = newManager(t, dir, auth.Address(), chain)
	defer m.Close()
	if err := m.Sync(self, pl, 11); err != nil {
		t.Fatal(err)
	}
	n, _ = m.Namespace("demo")
	if n.Status() != before {
		t.Fatalf("rebuilt %+v, before %+v", n.Status(), before)
	}
	if q, err := n.Query(context.Background(), "SELECT count(*) FROM transfers", nil); err != nil || q.Rows[0][0].Int != 30 {
		t.Fatalf("rebuilt replica: %+v %v", q, err)
	}
}
