package exec_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// The namespace transactions (spec/namespaces.md 3.1 and 9): placement by
// load then SHA-256(name || address), the lowest free slot, the record and
// node leaves, delete by the owner only.

// nodes are four validators of a pool; their order as addresses is
// irrelevant to placement.
var nodes = []types.Address{fill(0x11), fill(0x22), fill(0x33), fill(0x44)}

func poolEnv(h uint64, pool ...types.Address) exec.Env {
	return exec.Env{Height: h, Proposer: proposer, BaseFee: defaultBase, Validators: pool}
}

func (c *chain) namespace(name string) (types.NamespaceRecord, bool) {
	c.t.Helper()
	r, ok, err := c.state().Namespace(name)
	if err != nil {
		c.t.Fatal(err)
	}
	return r, ok
}

func (c *chain) slots(a types.Address) []types.NamespaceSlot {
	c.t.Helper()
	n, err := c.state().NodeNamespaces(a)
	if err != nil {
		c.t.Fatal(err)
	}
	return n.Slots
}

// leaf reads a raw leaf of the committed state; nil when absent.
func (c *chain) leaf(key []byte) []byte {
	c.t.Helper()
	tr, err := smt.Open(c.store, c.root)
	if err != nil {
		c.t.Fatal(err)
	}
	v, err := tr.Get(key)
	if errors.Is(err, smt.ErrNotFound) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return v
}

// byKey sorts pool by SHA-256(name || address): the placement order among
// nodes of equal load.
func byKey(name string, pool []types.Address) []types.Address {
	out := slices.Clone(pool)
	slices.SortFunc(out, func(a, b types.Address) int {
		ka, kb := exec.PlacementKey(name, a), exec.PlacementKey(name, b)
		return bytes.Compare(ka[:], kb[:])
	})
	return out
}

func status(t *testing.T, res *exec.Result, i int, want types.TxStatus) {
	t.Helper()
	if got := res.Receipts[i].Status; got != want {
		t.Fatalf("transaction %d: %v, want %v", i, got, want)
	}
}

func TestPlacementKey(t *testing.T) {
	a := nodes[0]
	want := sha256Of(append([]byte("demo"), a[:]...))
	if got := exec.PlacementKey("demo", a); got != want {
		t.Errorf("PlacementKey = %x, want SHA-256(name || address) %x", got, want)
	}
}

func TestNamespaceCreateDefault(t *testing.T) {
	c := newChain(t, baseGenesis())
	tx := nsCreate(alice, "demo", types.NamespaceTierTier0, 0, 0)
	res := c.exec(poolEnv(7, nodes...), tx)
	r := res.Receipts[0]
	gas := params.GasNamespaceCreate + 10 // 4-byte length, "demo", tier, nodes
	if r.Status != types.TxStatusSuccess || r.GasUsed != gas || r.FeeBurned != gas*defaultBase || r.FeeTip != gas*defaultTip {
		t.Fatalf("receipt %+v", r)
	}
	order := byKey("demo", nodes)
	want := types.NamespaceRecord{Name: "demo", Tier: types.NamespaceTierTier0, Owner: alice, CreatedHeight: 7, Nodes: []types.NamespaceNode{
		{Node: order[0], Slot: 0}, {Node: order[1], Slot: 0}, {Node: order[2], Slot: 0}}}
	got, ok := c.namespace("demo")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("record %+v %v\nwant %+v", got, ok, want)
	}
	// The leaf is the Borsh record at SHA-256("orama/ns/" + name).
	wb, _ := want.MarshalBorsh()
	if v := c.leaf(state.NamespaceKey("demo")); !bytes.Equal(v, wb) {
		t.Errorf("record leaf %x, want %x", v, wb)
	}
	if k := state.NamespaceKey("demo"); !bytes.Equal(k, sha256Slice([]byte("orama/ns/demo"))) {
		t.Errorf("NamespaceKey %x", k)
	}
	for i, a := range order {
		wantSlots := []types.NamespaceSlot{}
		if i < 3 {
			wantSlots = []types.NamespaceSlot{{Slot: 0, Name: "demo"}}
		}
		if got := c.slots(a); !reflect.DeepEqual(got, wantSlots) {
			t.Errorf("node %d (%v): slots %+v, want %+v", i, a, got, wantSlots)
		}
		key := state.NodeNamespacesKey(a)
		if !bytes.Equal(key, sha256Slice(append([]byte("orama/nsnode/"), a[:]...))) {
			t.Errorf("NodeNamespacesKey %x", key)
		}
		if v := c.leaf(key); (v != nil) != (i < 3) {
			t.Errorf("node %d: leaf %x", i, v)
		}
	}
	// The event.
	if len(r.Events) != 1 || r.Events[0].Topic != "namespace_created" || r.Events[0].Emitter != alice {
		t.Fatalf("events %+v", r.Events)
	}
	var ev types.NamespaceCreatedEvent
	if err := ev.UnmarshalBorsh(r.Events[0].Data); err != nil || !reflect.DeepEqual(ev, types.NamespaceCreatedEvent{Name: "demo", Tier: want.Tier, Owner: alice, Nodes: want.Nodes}) {
		t.Errorf("event %+v %v", ev, err)
	}
	wantAccount(t, c.account(alice), types.Account{Address: alice, Nonce: 1, OramaBalance: aliceRays - gas*(defaultBase+defaultTip), BTCBalance: aliceSats})

	// A pool of two: the default is both nodes.
	c2, res2 := runBlock(t, baseGenesis(), poolEnv(1, nodes[:2]...), tx)
	status(t, res2, 0, types.TxStatusSuccess)
	if r, _ := c2.namespace("demo"); len(r.Nodes) != 2 {
		t.Errorf("pool of 2: placed on %+v", r.Nodes)
	}
}

func TestNamespaceCreateExplicitNodes(t *testing.T) {
	for n := 1; n <= 4; n++ {
		c, res := runBlock(t, baseGenesis(), poolEnv(1, nodes...), nsCreate(alice, "demo", types.NamespaceTierTier0, uint8(n), 0))
		status(t, res, 0, types.TxStatusSuccess)
		r, _ := c.namespace("demo")
		order := byKey("demo", nodes)
		if len(r.Nodes) != n {
			t.Fatalf("nodes %d: placed on %d", n, len(r.Nodes))
		}
		for i, p := range r.Nodes {
			if p.Node != order[i] || p.Slot != 0 {
				t.Errorf("nodes %d: %d-th node %+v, want %v slot 0", n, i, p, order[i])
			}
		}
	}
	for _, n := range []uint8{5, 7} {
		_, res := runBlock(t, baseGenesis(), poolEnv(1, nodes...), nsCreate(alice, "demo", types.NamespaceTierTier0, n, 0))
		status(t, res, 0, types.TxStatusNamespacePoolFull)
	}
}

// Load comes first: a node with fewer slots used is chosen before one
// whose hash is lower; among equal loads the hash decides.
func TestNamespacePlacementByLoadThenHash(t *testing.T) {
	c := newChain(t, baseGenesis())
	res := c.exec(poolEnv(1, nodes...),
		nsCreate(alice, "first", types.NamespaceTierTier0, 3, 0),
		nsCreate(alice, "second", types.NamespaceTierTier0, 1, 1),
		nsCreate(alice, "third", types.NamespaceTierTier0, 2, 2),
	)
	for i := range 3 {
		status(t, res, i, types.TxStatusSuccess)
	}
	first, _ := c.namespace("first")
	used := map[types.Address]bool{}
	for _, p := range first.Nodes {
		used[p.Node] = true
	}
	var idle types.Address
	for _, a := range nodes {
		if !used[a] {
			idle = a
		}
	}
	// "second" goes to the one idle node, whatever its hash.
	second, _ := c.namespace("second")
	if len(second.Nodes) != 1 || second.Nodes[0] != (types.NamespaceNode{Node: idle, Slot: 0}) {
		t.Errorf("second placed on %+v, want the idle node %v", second.Nodes, idle)
	}
	// Now every node holds one: "third" takes the two lowest hashes, slot 1.
	order := byKey("third", nodes)
	third, _ := c.namespace("third")
	want := []types.NamespaceNode{{Node: order[0], Slot: 1}, {Node: order[1], Slot: 1}}
	if !reflect.DeepEqual(third.Nodes, want) {
		t.Errorf("third placed on %+v, want %+v", third.Nodes, want)
	}
	// The hash really decides here: the order of "third" is not the pool's.
	if slices.Equal(order, nodes) {
		t.Log("note: the hash order of \"third\" happens to be the pool order")
	}
}

// A freed slot is reused (the lowest free one), and the node's slots stay
// sorted; a node left with none loses its leaf.
func TestNamespaceSlotsReused(t *testing.T) {
	one := nodes[:1]
	c := newChain(t, baseGenesis())
	res := c.exec(poolEnv(1, one...),
		nsCreate(alice, "aaa", types.NamespaceTierTier0, 0, 0),
		nsCreate(alice, "bbb", types.NamespaceTierTier0, 0, 1),
		nsCreate(alice, "ccc", types.NamespaceTierTier0, 0, 2),
		nsDelete(alice, "bbb", 3),
		nsCreate(alice, "ddd", types.NamespaceTierTier0, 0, 4),
	)
	for i := range 5 {
		status(t, res, i, types.TxStatusSuccess)
	}
	want := []types.NamespaceSlot{{Slot: 0, Name: "aaa"}, {Slot: 1, Name: "ddd"}, {Slot: 2, Name: "ccc"}}
	if got := c.slots(one[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("slots %+v, want %+v", got, want)
	}
	if r, _ := c.namespace("ddd"); !reflect.DeepEqual(r.Nodes, []types.NamespaceNode{{Node: one[0], Slot: 1}}) {
		t.Errorf("ddd on %+v", r.Nodes)
	}
	if _, ok := c.namespace("bbb"); ok {
		t.Error("bbb still has a record")
	}
	res = c.exec(poolEnv(2, one...), nsDelete(alice, "aaa", 5), nsDelete(alice, "ccc", 6), nsDelete(alice, "ddd", 7))
	for i := range 3 {
		status(t, res, i, types.TxStatusSuccess)
	}
	if v := c.leaf(state.NodeNamespacesKey(one[0])); v != nil {
		t.Errorf("a node hosting nothing keeps leaf %x", v)
	}
	for _, n := range []string{"aaa", "bbb", "ccc", "ddd"} {
		if v := c.leaf(state.NamespaceKey(n)); v != nil {
			t.Errorf("deleted %s keeps leaf %x", n, v)
		}
	}
}

// A node holds MaxNamespacesPerNode namespaces: the 21st on a one-node pool
// fails, and goes to another node once the pool has one with a free slot.
func TestNamespaceNodeFull(t *testing.T) {
	one := nodes[:1]
	c := newChain(t, baseGenesis())
	var txs []types.Transaction
	for i := range params.MaxNamespacesPerNode {
		txs = append(txs, nsCreate(alice, fmt.Sprintf("ns%02d", i), types.NamespaceTierTier0, 0, uint64(i)))
	}
	res := c.exec(poolEnv(1, one...), txs...)
	for i := range txs {
		status(t, res, i, types.TxStatusSuccess)
	}
	slots := c.slots(one[0])
	if len(slots) != params.MaxNamespacesPerNode || slots[19].Slot != 19 || slots[19].Name != "ns19" {
		t.Fatalf("slots %+v", slots)
	}
	const n = params.MaxNamespacesPerNode
	res = c.exec(poolEnv(2, one...), nsCreate(alice, "ns20", types.NamespaceTierTier0, 0, n))
	status(t, res, 0, types.TxStatusNamespacePoolFull)
	// With a second node the full one is skipped; the default (both nodes
	// of a pool of two) and two nodes ask for more than has a free slot.
	res = c.exec(poolEnv(3, nodes[:2]...),
		nsCreate(alice, "ns20", types.NamespaceTierTier0, 0, n+1),
		nsCreate(alice, "ns20", types.NamespaceTierTier0, 1, n+2),
		nsCreate(alice, "ns21", types.NamespaceTierTier0, 2, n+3))
	status(t, res, 0, types.TxStatusNamespacePoolFull)
	status(t, res, 1, types.TxStatusSuccess)
	status(t, res, 2, types.TxStatusNamespacePoolFull)
	if r, _ := c.namespace("ns20"); !reflect.DeepEqual(r.Nodes, []types.NamespaceNode{{Node: nodes[1], Slot: 0}}) {
		t.Errorf("ns20 on %+v", r.Nodes)
	}
}

func TestNamespaceDelete(t *testing.T) {
	c := newChain(t, baseGenesis())
	before := c.root
	res := c.exec(poolEnv(1, nodes...), nsCreate(alice, "demo", types.NamespaceTierTier0, 0, 0))
	status(t, res, 0, types.TxStatusSuccess)
	res = c.exec(poolEnv(2, nodes...), nsDelete(bob, "demo", 0), nsDelete(alice, "demo", 1), nsDelete(alice, "demo", 2))
	status(t, res, 0, types.TxStatusNotOwner)
	status(t, res, 1, types.TxStatusSuccess)
	status(t, res, 2, types.TxStatusUnknownNamespace)
	r := res.Receipts[1]
	if gas := params.GasNamespaceDelete + 8; r.GasUsed != gas {
		t.Errorf("delete gas %d, want %d", r.GasUsed, gas)
	}
	var ev types.NamespaceDeletedEvent
	if len(r.Events) != 1 || r.Events[0].Topic != "namespace_deleted" || r.Events[0].Emitter != alice ||
		ev.UnmarshalBorsh(r.Events[0].Data) != nil || ev.Name != "demo" {
		t.Errorf("events %+v", r.Events)
	}
	if _, ok := c.namespace("demo"); ok {
		t.Error("the record survives its delete")
	}
	for _, a := range nodes {
		if s := c.slots(a); len(s) != 0 || c.leaf(state.NodeNamespacesKey(a)) != nil {
			t.Errorf("node %v keeps %+v", a, s)
		}
	}
	// Only accounts differ from before the create: the namespace leaves
	// are gone as if never written.
	tr, err := smt.Open(c.store, before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Get(state.NamespaceKey("demo")); !errors.Is(err, smt.ErrNotFound) {
		t.Errorf("before: %v", err)
	}
	// The name is free again, for anyone.
	res = c.exec(poolEnv(3, nodes...), nsCreate(bob, "demo", types.NamespaceTierTier1, 3, 1))
	status(t, res, 0, types.TxStatusSuccess)
	if r, _ := c.namespace("demo"); r.Owner != bob || r.CreatedHeight != 3 || r.Tier != types.NamespaceTierTier1 {
		t.Errorf("re-created %+v", r)
	}
	// A Tier 1 namespace is not deleted, even by its owner.
	res = c.exec(poolEnv(4, nodes...), nsDelete(bob, "demo", 2))
	status(t, res, 0, types.TxStatusNamespaceNotEmpty)
	if _, ok := c.namespace("demo"); !ok {
		t.Error("a Tier 1 namespace was deleted")
	}
}

// Tier 1 wants MinNamespaceValidators nodes unless the pool is smaller.
func TestNamespaceTier1Nodes(t *testing.T) {
	for _, tc := range []struct {
		pool  int
		nodes uint8
		want  types.TxStatus
	}{
		{1, 0, types.TxStatusSuccess},
		{1, 1, types.TxStatusSuccess},
		{2, 1, types.TxStatusSuccess},
		{2, 2, types.TxStatusSuccess},
		{3, 0, types.TxStatusSuccess},
		{3, 2, types.TxStatusInvalidNamespace},
		{4, 1, types.TxStatusInvalidNamespace},
		{4, 3, types.TxStatusSuccess},
		{2, 3, types.TxStatusNamespacePoolFull},
	} {
		_, res := runBlock(t, baseGenesis(), poolEnv(1, nodes[:tc.pool]...), nsCreate(alice, "vault", types.NamespaceTierTier1, tc.nodes, 0))
		if got := res.Receipts[0].Status; got != tc.want {
			t.Errorf("pool %d, nodes %d: %v, want %v", tc.pool, tc.nodes, got, tc.want)
		}
	}
}

func sha256Of(b []byte) [32]byte  { return sha256.Sum256(b) }
func sha256Slice(b []byte) []byte { h := sha256Of(b); return h[:] }
