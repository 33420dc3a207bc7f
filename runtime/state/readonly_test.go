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
