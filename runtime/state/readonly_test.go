package state

import (
	"sync"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// A read-only State serves repeated reads from its cache, is safe for
// concurrent readers, and refuses changes.
func TestReadOnlyState(t *testing.T) {
	store := smt.NewMemStore()
	st, _ := Open(store, smt.EmptyRoot)
	a := types.Address{7}
	st.SetAccount(types.Account{Address: a, Nonce: 3, OramaBalance: 99})
	root, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(store, root)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				acc, err := ro.Account(a)
				if err != nil || acc.Nonce != 3 || acc.OramaBalance != 99 {
					t.Errorf("read %+v %v", acc, err)
					return
				}
				if absent, _ := ro.Account(types.Address{8}); absent.Address != (types.Address{8}) || absent.Nonce != 0 {
					t.Errorf("absent account %+v", absent)
					return
				}
			}
		})
	}
	wg.Wait()
	if ro.cached.Load() != 2 {
		t.Fatalf("%d accounts cached, want 2", ro.cached.Load())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("SetAccount on a read-only state did not panic")
		}
	}()
	ro.SetAccount(types.Account{Address: a})
}

// A fork reads through its base's cache, stages and commits on its own
// tree, and leaves the base (and its readers) at the old root.
func TestForkLeavesBaseUntouched(t *testing.T) {
	store := smt.NewMemStore()
	st, _ := Open(store, smt.EmptyRoot)
	a, b := types.Address{1}, types.Address{2}
	st.SetAccount(types.Account{Address: a, OramaBalance: 10})
	root1, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := OpenReadOnly(store, root1)
	if acc, _ := base.Account(a); acc.OramaBalance != 10 {
		t.Fatal("base read")
	}
	f, err := base.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := f.Account(a); acc.OramaBalance != 10 {
		t.Fatal("fork does not read through the base")
	}
	f.SetAccount(types.Account{Address: a, OramaBalance: 3})
	f.SetAccount(types.Account{Address: b, OramaBalance: 7})
	root2, err := f.Commit(2)
	if err != nil || root2 == root1 {
		t.Fatalf("fork commit %v %v", root2, err)
	}
	if base.Root() != root1 {
		t.Fatal("the fork moved the base's root")
	}
	if acc, _ := base.Account(b); acc.OramaBalance != 0 {
		t.Fatal("the base sees the fork's change")
	}
	// After its commit the fork reads its own new state, not the base.
	if acc, _ := f.Account(a); acc.OramaBalance != 3 {
		t.Fatalf("fork after commit reads %d", acc.OramaBalance)
	}
	// The same changes on a fresh Open give the same root.
	fresh, _ := Open(store, root1)
	fresh.SetAccount(types.Account{Address: a, OramaBalance: 3})
	fresh.SetAccount(types.Account{Address: b, OramaBalance: 7})
	if r, _ := fresh.Commit(2); r != root2 {
		t.Fatal("fork and fresh state disagree")
	}
}
