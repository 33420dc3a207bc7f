package state_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

func addr(b byte) types.Address {
	var a types.Address
	for i := range a {
		a[i] = b
	}
	return a
}

var (
	alice = addr(0xa1)
	bob   = addr(0xb2)
	carol = addr(0xc3) // never written
)

func open(t *testing.T, store smt.Store, root types.Hash) *state.State {
	t.Helper()
	st, err := state.Open(store, root)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func borshOf(t *testing.T, v interface{ MarshalBorsh() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture commits two accounts, a username and a supply record as version 1.
func fixture(t *testing.T) (*smt.MemStore, types.Hash, types.Account, types.Account) {
	t.Helper()
	store := smt.NewMemStore()
	st := open(t, store, smt.EmptyRoot)
	a := types.Account{Address: alice, Username: "alice", Nonce: 3, OramaBalance: 1_000_000, BTCBalance: 42}
	b := types.Account{Address: bob, OramaBalance: 7, StorageRoot: types.Hash{1, 2, 3}}
	st.SetAccount(a)
	st.SetAccount(b)
	st.SetUsername("alice", alice)
	st.SetSupply(types.ChainSupply{MintedRays: 1_000_007, BurnedRays: 5, CurveReceivedRays: 1})
	root, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	if root != st.Root() || root == smt.EmptyRoot {
		t.Fatalf("Commit returned %v, Root %v", root, st.Root())
	}
	return store, root, a, b
}

func TestProveAccountInclusion(t *testing.T) {
	store, root, a, b := fixture(t)
	st := open(t, store, root)
	for _, want := range []types.Account{a, b} {
		got, ok, proof, err := st.ProveAccount(want.Address)
		if err != nil || !ok {
			t.Fatalf("ProveAccount(%v) = %v, %v", want.Address, ok, err)
		}
		if got != want {
			t.Errorf("proved account %+v, want %+v", got, want)
		}
		value := borshOf(t, &want)
		if err := smt.VerifyInclusion(root, state.AccountKey(want.Address), value, proof); err != nil {
			t.Errorf("inclusion proof of %v does not verify: %v", want.Address, err)
		}
		// Through the wire form, too.
		enc, err := proof.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var dec smt.Proof
		if err := dec.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		if err := smt.VerifyInclusion(root, state.AccountKey(want.Address), value, dec); err != nil {
			t.Errorf("decoded proof does not verify: %v", err)
		}
		// A different value, key or root must not verify.
		other := want
		other.Nonce++
		if err := smt.VerifyInclusion(root, state.AccountKey(want.Address), borshOf(t, &other), proof); !errors.Is(err, smt.ErrInvalidProof) {
			t.Errorf("proof verifies a changed account: %v", err)
		}
		if err := smt.VerifyInclusion(root, state.AccountKey(carol), value, proof); err == nil {
			t.Error("proof verifies for another address")
		}
		if err := smt.VerifyInclusion(smt.EmptyRoot, state.AccountKey(want.Address), value, proof); err == nil {
			t.Error("proof verifies against another root")
		}
		if err := smt.VerifyNonExistence(root, state.AccountKey(want.Address), proof); err == nil {
			t.Error("an inclusion proof passes as non-existence")
		}
	}
}

func TestProveAccountNonExistence(t *testing.T) {
	store, root, _, _ := fixture(t)
	st := open(t, store, root)
	got, ok, proof, err := st.ProveAccount(carol)
	if err != nil {
		t.Fatal(err)
	}
	if ok || got != (types.Account{Address: carol}) {
		t.Fatalf("absent account: ok=%v %+v", ok, got)
	}
	if err := smt.VerifyNonExistence(root, state.AccountKey(carol), proof); err != nil {
		t.Errorf("non-existence proof does not verify: %v", err)
	}
	if err := smt.VerifyInclusion(root, state.AccountKey(carol), borshOf(t, &got), proof); err == nil {
		t.Error("a non-existence proof verifies inclusion of the zero account")
	}
	// Non-existence in the empty state.
	empty := open(t, smt.NewMemStore(), smt.EmptyRoot)
	_, ok, proof, err = empty.ProveAccount(alice)
	if err != nil || ok {
		t.Fatalf("empty state: %v %v", ok, err)
	}
	if err := smt.VerifyNonExistence(smt.EmptyRoot, state.AccountKey(alice), proof); err != nil {
		t.Errorf("non-existence in the empty tree: %v", err)
	}
	// The same proof does not show carol absent from the populated state.
	if err := smt.VerifyNonExistence(root, state.AccountKey(carol), proof); err == nil {
		t.Error("empty-tree proof verifies against a populated root")
	}
}

// Proofs are of the committed root: staged changes are not in them.
func TestProveAccountIgnoresStaged(t *testing.T) {
	store, root, a, _ := fixture(t)
	st := open(t, store, root)
	changed := a
	changed.OramaBalance = 1
	st.SetAccount(changed)
	st.SetAccount(types.Account{Address: carol, OramaBalance: 9})
	got, ok, proof, err := st.ProveAccount(alice)
	if err != nil || !ok || got != a {
		t.Fatalf("ProveAccount saw a staged change: %+v %v %v", got, ok, err)
	}
	if err := smt.VerifyInclusion(st.Root(), state.AccountKey(alice), borshOf(t, &a), proof); err != nil {
		t.Error(err)
	}
	if _, ok, _, _ := st.ProveAccount(carol); ok {
		t.Error("a staged account is proved present before Commit")
	}
	// But reads see staged changes.
	if acc, _ := st.Account(alice); acc != changed {
		t.Errorf("Account does not see the staged change: %+v", acc)
	}
	if st.Root() != root {
		t.Error("Root moved before Commit")
	}
}

func TestLeavesAndKeys(t *testing.T) {
	store, root, a, _ := fixture(t)
	tr, err := smt.Open(store, root)
	if err != nil {
		t.Fatal(err)
	}
	get := func(key []byte) []byte {
		v, err := tr.Get(key)
		if err != nil {
			t.Fatalf("leaf %x: %v", key, err)
		}
		return v
	}
	if k := state.AccountKey(alice); !bytes.Equal(k, alice[:]) {
		t.Errorf("AccountKey %x", k)
	}
	if v := get(state.AccountKey(alice)); !bytes.Equal(v, borshOf(t, &a)) {
		t.Errorf("account leaf %x", v)
	}
	uk := sha256.Sum256([]byte("orama/username/alice"))
	if !bytes.Equal(state.UsernameKey("alice"), uk[:]) {
		t.Errorf("UsernameKey %x", state.UsernameKey("alice"))
	}
	rec := types.UsernameRecord{Address: alice}
	if v := get(uk[:]); !bytes.Equal(v, borshOf(t, &rec)) {
		t.Errorf("username leaf %x", v)
	}
	sk := sha256.Sum256([]byte("orama/supply"))
	if !bytes.Equal(state.SupplyKey(), sk[:]) {
		t.Errorf("SupplyKey %x", state.SupplyKey())
	}
	// SupplyKey returns a copy.
	k := state.SupplyKey()
	k[0] ^= 0xff
	if !bytes.Equal(state.SupplyKey(), sk[:]) {
		t.Error("SupplyKey exposes its backing array")
	}
	sup := types.ChainSupply{MintedRays: 1_000_007, BurnedRays: 5, CurveReceivedRays: 1}
	if v := get(sk[:]); !bytes.Equal(v, borshOf(t, &sup)) {
		t.Errorf("supply leaf %x", v)
	}
}

func TestReads(t *testing.T) {
	store, root, a, _ := fixture(t)
	st := open(t, store, root)
	if got, err := st.Account(alice); err != nil || got != a {
		t.Errorf("Account(alice) = %+v %v", got, err)
	}
	if got, err := st.Account(carol); err != nil || got != (types.Account{Address: carol}) {
		t.Errorf("absent Account = %+v %v", got, err)
	}
	if o, ok, err := st.UsernameOwner("alice"); err != nil || !ok || o != alice {
		t.Errorf("UsernameOwner(alice) = %v %v %v", o, ok, err)
	}
	if o, ok, err := st.UsernameOwner("nobody"); err != nil || ok || o != (types.Address{}) {
		t.Errorf("UsernameOwner(nobody) = %v %v %v", o, ok, err)
	}
	if s, err := st.Supply(); err != nil || s != (types.ChainSupply{MintedRays: 1_000_007, BurnedRays: 5, CurveReceivedRays: 1}) {
		t.Errorf("Supply = %+v %v", s, err)
	}
	if s, err := open(t, smt.NewMemStore(), smt.EmptyRoot).Supply(); err != nil || s != (types.ChainSupply{}) {
		t.Errorf("empty Supply = %+v %v", s, err)
	}
	// Staged username and supply are seen before Commit.
	st.SetUsername("bobby", bob)
	st.SetSupply(types.ChainSupply{MintedRays: 9})
	if o, ok, _ := st.UsernameOwner("bobby"); !ok || o != bob {
		t.Error("staged username not seen")
	}
	if s, _ := st.Supply(); s.MintedRays != 9 {
		t.Error("staged supply not seen")
	}
}

// The root depends on the changes, not the order they were staged in.
func TestCommitOrderIndependent(t *testing.T) {
	accs := []types.Account{
		{Address: addr(1), OramaBalance: 1}, {Address: addr(2), BTCBalance: 2}, {Address: addr(3), Nonce: 3},
		{Address: addr(4), Username: "four"}, {Address: addr(5), OramaBalance: 5},
	}
	names := []string{"four", "five", "six"}
	commit := func(order []int) types.Hash {
		st := open(t, smt.NewMemStore(), smt.EmptyRoot)
		for _, i := range order {
			st.SetAccount(accs[i])
			if i < len(names) {
				st.SetUsername(names[i], accs[i].Address)
			}
		}
		st.SetSupply(types.ChainSupply{MintedRays: 6})
		root, err := st.Commit(1)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	r1 := commit([]int{0, 1, 2, 3, 4})
	r2 := commit([]int{4, 2, 0, 3, 1})
	if r1 != r2 {
		t.Errorf("staging order changed the root: %v vs %v", r1, r2)
	}
	// The last SetAccount for an address wins.
	store := smt.NewMemStore()
	st := open(t, store, smt.EmptyRoot)
	st.SetAccount(types.Account{Address: alice, OramaBalance: 1})
	st.SetAccount(types.Account{Address: alice, OramaBalance: 2})
	root, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := open(t, store, root).Account(alice); acc.OramaBalance != 2 {
		t.Errorf("last write lost: %+v", acc)
	}
}

func TestDiscard(t *testing.T) {
	store, root, a, _ := fixture(t)
	st := open(t, store, root)
	st.SetAccount(types.Account{Address: alice, OramaBalance: 1})
	st.SetUsername("zzz", carol)
	st.SetSupply(types.ChainSupply{})
	st.Discard()
	if acc, _ := st.Account(alice); acc != a {
		t.Errorf("Discard kept an account change: %+v", acc)
	}
	if _, ok, _ := st.UsernameOwner("zzz"); ok {
		t.Error("Discard kept a username")
	}
	got, err := st.Commit(2)
	if err != nil || got != root {
		t.Errorf("Commit after Discard moved the root: %v %v", got, err)
	}
}

// Successive commits each start from the last one.
func TestCommitSequence(t *testing.T) {
	store := smt.NewMemStore()
	st := open(t, store, smt.EmptyRoot)
	st.SetAccount(types.Account{Address: alice, OramaBalance: 1})
	r1, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	st.SetAccount(types.Account{Address: bob, OramaBalance: 2})
	r2, err := st.Commit(2)
	if err != nil {
		t.Fatal(err)
	}
	if r1 == r2 {
		t.Fatal("second commit did not change the root")
	}
	// The old root still reads the old state.
	old := open(t, store, r1)
	if _, ok, _, _ := old.ProveAccount(bob); ok {
		t.Error("bob present at the first root")
	}
	now := open(t, store, r2)
	if acc, _ := now.Account(alice); acc.OramaBalance != 1 {
		t.Error("alice lost at the second root")
	}
	if _, err := state.Open(store, types.Hash{0xde, 0xad}); !errors.Is(err, smt.ErrMissingNode) {
		t.Errorf("Open at an unknown root: %v", err)
	}
}

// TestHeadsAnswerAsTheTree: a chain of heads (OpenHead, then Next with
// each block's Written) and layers of uncommitted blocks over them answer
// every read exactly as the tree at their root does, for old heads still
// being read after newer ones exist, for accounts read before and after
// they were written, and with a cache small enough to be dropped again and
// again. A wrong entry would serve a balance that is not at the root.
func TestHeadsAnswerAsTheTree(t *testing.T) {
	for _, max := range []int{0, 7} {
		store := smt.NewMemStore()
		rng := rand.New(rand.NewPCG(1, uint64(max)))
		addrs := make([]types.Address, 24)
		for i := range addrs {
			addrs[i] = types.Address{byte(i), 0xA}
		}
		st := open(t, store, smt.EmptyRoot)
		st.SetAccount(types.Account{Address: addrs[0], OramaBalance: 1})
		root, err := st.Commit(1)
		if err != nil {
			t.Fatal(err)
		}
		head, err := state.OpenHead(store, root)
		if err != nil {
			t.Fatal(err)
		}
		if max > 0 {
			state.SetHeadCacheMax(head, max)
		}
		heads := []*state.State{head}
		roots := []types.Hash{root}
		check := func(src state.AccountSource, root types.Hash, what string) {
			t.Helper()
			plain, err := state.OpenReadOnly(store, root)
			if err != nil {
				t.Fatal(err)
			}
			for range 6 {
				a := addrs[rng.IntN(len(addrs))]
				got, err1 := src.Account(a)
				want, err2 := plain.Account(a)
				if err1 != nil || err2 != nil || got != want {
					t.Fatalf("max %d, %s, %x: %+v (%v), tree %+v (%v)", max, what, a[:1], got, err1, want, err2)
				}
			}
		}
		for v := 2; v < 120; v++ {
			// A block on the newest head, and one on it, not yet final:
			// each reads through the layers below it.
			var below state.AccountSource = heads[len(heads)-1]
			parentRoot := roots[len(roots)-1]
			var pending []state.Writes
			var pendingRoots []types.Hash
			for range 2 {
				b, err := state.OpenOn(store, parentRoot, below)
				if err != nil {
					t.Fatal(err)
				}
				check(b, parentRoot, "block")
				for range rng.IntN(5) {
					a := addrs[rng.IntN(len(addrs))]
					acc, err := b.Account(a)
					if err != nil {
						t.Fatal(err)
					}
					acc.OramaBalance += 1 + rng.Uint64N(9)
					acc.Nonce++
					b.SetAccount(acc)
				}
				r, err := b.Commit(uint64(v))
				if err != nil {
					t.Fatal(err)
				}
				w := state.WritesOf(b.Written())
				below, parentRoot = w.Over(below), r
				pending, pendingRoots = append(pending, w), append(pendingRoots, r)
				check(below, r, "layer")
			}
			// The first becomes final: the next head; old heads are still read.
			var written []types.Account
			for _, acc := range pending[0] {
				written = append(written, acc)
			}
			next, err := heads[len(heads)-1].Next(pendingRoots[0], written)
			if err != nil {
				t.Fatal(err)
			}
			heads, roots = append(heads, next), append(roots, pendingRoots[0])
			for range 3 {
				i := rng.IntN(len(heads))
				check(heads[i], roots[i], "head")
			}
			check(next, pendingRoots[0], "newest head")
			// Bounded whatever is read: an API client reading every
			// address it likes cannot grow it past max.
			if limit := max; limit > 0 && state.HeadCacheLen(next) > limit {
				t.Fatalf("head cache holds %d accounts, bound %d", state.HeadCacheLen(next), limit)
			}
		}
	}
}

// Namespace records and node slot lists: staged reads, committed leaves at
// their keys, deletion back to the root without them, and Discard.
func TestNamespaceLeaves(t *testing.T) {
	store := smt.NewMemStore()
	st := open(t, store, smt.EmptyRoot)
	st.SetAccount(types.Account{Address: alice, OramaBalance: 1})
	base, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	if k := state.NamespaceKey("demo"); !bytes.Equal(k, sum([]byte("orama/ns/demo"))) {
		t.Errorf("NamespaceKey %x", k)
	}
	if k := state.NodeNamespacesKey(bob); !bytes.Equal(k, sum(append([]byte("orama/nsnode/"), bob[:]...))) {
		t.Errorf("NodeNamespacesKey %x", k)
	}

	st = open(t, store, base)
	if _, ok, err := st.Namespace("demo"); ok || err != nil {
		t.Fatalf("absent namespace: %v %v", ok, err)
	}
	if n, err := st.NodeNamespaces(bob); err != nil || n.Slots == nil || len(n.Slots) != 0 {
		t.Fatalf("absent node: %+v %v", n, err)
	}
	rec := types.NamespaceRecord{Name: "demo", Owner: alice, CreatedHeight: 2, Nodes: []types.NamespaceNode{{Node: bob, Slot: 3}}}
	st.SetNamespace(rec)
	slots := types.NodeNamespaces{Slots: []types.NamespaceSlot{{Slot: 3, Name: "demo"}}}
	st.SetNodeNamespaces(bob, slots)
	rec.Nodes[0].Slot = 9 // the State keeps its own copy
	if got, ok, _ := st.Namespace("demo"); !ok || got.Nodes[0].Slot != 3 {
		t.Fatalf("staged read %+v %v", got, ok)
	}
	root, err := st.Commit(2)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := smt.Open(store, root)
	rec.Nodes[0].Slot = 3
	if v, err := tr.Get(state.NamespaceKey("demo")); err != nil || !bytes.Equal(v, borshOf(t, &rec)) {
		t.Errorf("record leaf %x %v", v, err)
	}
	if v, err := tr.Get(state.NodeNamespacesKey(bob)); err != nil || !bytes.Equal(v, borshOf(t, &slots)) {
		t.Errorf("node leaf %x %v", v, err)
	}
	ro, err := state.OpenReadOnly(store, root)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := ro.Namespace("demo"); !ok || got.Owner != alice {
		t.Errorf("read-only read %+v %v", got, ok)
	}
	if n, _ := ro.NodeNamespaces(bob); len(n.Slots) != 1 {
		t.Errorf("read-only node %+v", n)
	}

	// Discard drops staged namespace changes.
	st = open(t, store, root)
	st.DeleteNamespace("demo")
	st.SetNodeNamespaces(bob, types.NodeNamespaces{})
	if _, ok, _ := st.Namespace("demo"); ok {
		t.Error("a staged delete is not seen")
	}
	st.Discard()
	if _, ok, _ := st.Namespace("demo"); !ok {
		t.Error("Discard kept a staged delete")
	}
	// Deleting both leaves gives back the root without them.
	st.DeleteNamespace("demo")
	st.SetNodeNamespaces(bob, types.NodeNamespaces{Slots: []types.NamespaceSlot{}})
	after, err := st.Commit(3)
	if err != nil {
		t.Fatal(err)
	}
	if after != base {
		t.Errorf("root after deleting the namespace leaves %v, want %v", after, base)
	}
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
