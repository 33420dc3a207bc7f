package node

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
)

func TestProduceBlocksAndRestart(t *testing.T) {
	dir := t.TempDir()
	g, keys := testGenesis(3)
	n, err := New(Config{DataDir: dir, NoSync: true}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := keys[1], keys[2]
	tx := signedTransfer(alice, g.ChainID, 0, bob.Address(), 5*params.RaysPerOrama)
	if errs := n.Mempool().Add([]*types.Transaction{tx}); errs[0] != nil {
		t.Fatalf("admit: %v", errs[0])
	}
	b, err := n.CommitLocalBlock()
	if err != nil {
		t.Fatal(err)
	}
	if b.Header.Height != 1 || len(b.Transactions) != 1 {
		t.Fatalf("block %d with %d txs", b.Header.Height, len(b.Transactions))
	}
	rcpts, err := n.Store().Receipts(1)
	if err != nil || len(rcpts) != 1 || rcpts[0].Status != types.TxStatusSuccess {
		t.Fatalf("receipts %+v %v", rcpts, err)
	}
	fee := rcpts[0].FeeBurned + rcpts[0].FeeTip
	wantBob := 1_000_000*params.RaysPerOrama + 5*params.RaysPerOrama
	wantAlice := 1_000_000*params.RaysPerOrama - 5*params.RaysPerOrama - fee
	check := func(n *Node) {
		t.Helper()
		a, _ := n.State().Account(alice.Address())
		bb, _ := n.State().Account(bob.Address())
		if a.OramaBalance != wantAlice || a.Nonce != 1 || bb.OramaBalance != wantBob {
			t.Fatalf("alice %d/%d bob %d; want %d/1 %d", a.OramaBalance, a.Nonce, bb.OramaBalance, wantAlice, wantBob)
		}
	}
	check(n)
	if n.Mempool().Len() != 0 {
		t.Fatalf("included tx still pooled")
	}
	// Empty blocks still advance and mint.
	for i := 0; i < 3; i++ {
		if _, err := n.CommitLocalBlock(); err != nil {
			t.Fatal(err)
		}
	}
	head := n.Head()
	n.Close()

	// Restart: same head, same balances.
	n2, err := New(Config{DataDir: dir, NoSync: true}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if h := n2.Head(); h.Header.Height != 4 || h.Header.StateRoot != head.Header.StateRoot {
		t.Fatalf("after restart head %d %v, want 4 %v", h.Header.Height, h.Header.StateRoot, head.Header.StateRoot)
	}
	check(n2)
	// The validator got 4 rewards' 80% plus the tip.
	v, _ := n2.State().Account(keys[0].Address())
	want := 1_000_000*params.RaysPerOrama + 4*exec.BlockReward(1)*params.ProposerRewardPercent/100 + rcpts[0].FeeTip
	if v.OramaBalance != want {
		t.Fatalf("validator %d, want %d", v.OramaBalance, want)
	}
	// The chain continues from the restored head.
	b5, err := n2.CommitLocalBlock()
	if err != nil || b5.Header.Height != 5 {
		t.Fatalf("block after restart: %v %v", b5, err)
	}
}

func TestRefusesOtherGenesis(t *testing.T) {
	dir := t.TempDir()
	g, keys := testGenesis(2)
	n, err := New(Config{DataDir: dir, NoSync: true}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	g.ChainID++
	if _, err := New(Config{DataDir: dir, NoSync: true}, g, keys[0]); err == nil {
		t.Fatal("opened a data dir of another genesis")
	}
}

func TestRejectsForgedTransaction(t *testing.T) {
	g, keys := testGenesis(2)
	n, err := New(Config{DataDir: t.TempDir(), NoSync: true}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	tx := signedTransfer(keys[1], g.ChainID, 0, keys[0].Address(), 1)
	tx.Amount = 2 // breaks the signature
	errs := n.Mempool().Add([]*types.Transaction{tx})
	if !errors.Is(errs[0], mempool.ErrInvalidSignature) {
		t.Fatalf("forged tx: %v", errs[0])
	}
	wrongChain := signedTransfer(keys[1], g.ChainID+1, 0, keys[0].Address(), 1)
	if errs := n.Mempool().Add([]*types.Transaction{wrongChain}); !errors.Is(errs[0], mempool.ErrInvalidSignature) {
		t.Fatalf("other chain's tx: %v", errs[0])
	}
	b, err := n.CommitLocalBlock()
	if err != nil || len(b.Transactions) != 0 {
		t.Fatalf("a rejected tx reached a block (%v)", err)
	}
	if n.Mempool().Len() != 0 {
		t.Fatal("a rejected tx is pooled")
	}
}
