package ns

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestStateProof: a contract's state value and a missing key are proven
// against the namespace root; a changed value or another root fails.
func TestStateProof(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice, bob := mustKey(t, 1), mustKey(t, 2)
	n.deposit(t, alice.Address(), 1_000)
	token := n.deploy(t, alice, module(t, "token"), "init")
	n.submit(t, alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 600, GasLimit: 10_000_000}, nil)
	n.submit(t, alice, &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(bob.Address(), 250), GasLimit: 10_000_000}, nil)
	root := n.Status().Root
	bobAddr := bob.Address()
	key := append([]byte("balance/"), bobAddr[:]...)
	p, err := n.ProveState(token, key)
	if err != nil || !p.Found || p.Value[0] != 250 || p.Root != root {
		t.Fatalf("proof %+v %v", p, err)
	}
	if err := VerifyStateProof(root, token, key, p); err != nil {
		t.Fatal(err)
	}
	bad := *p
	bad.Value = append([]byte{}, p.Value...)
	bad.Value[0]++
	if VerifyStateProof(root, token, key, &bad) == nil {
		t.Fatal("a changed value verified")
	}
	if VerifyStateProof(types.Hash{1}, token, key, p) == nil {
		t.Fatal("another root verified")
	}
	absent, err := n.ProveState(token, []byte("no such key"))
	if err != nil || absent.Found {
		t.Fatalf("absent: %+v %v", absent, err)
	}
	if err := VerifyStateProof(root, token, []byte("no such key"), absent); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ProveState(bob.Address(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an account with no leaf: %v", err)
	}
	t0 := newTestNS(t, types.NamespaceTierTier0)
	if _, err := t0.ProveState(token, key); !errors.Is(err, ErrNoRoot) {
		t.Fatalf("tier 0: %v", err)
	}
}
