package exec_test

import (
	"bytes"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

func owner(t *testing.T, c *chain, name string) (types.Address, bool) {
	t.Helper()
	a, ok, err := c.state().UsernameOwner(name)
	if err != nil {
		t.Fatal(err)
	}
	return a, ok
}

func TestClaimUsername(t *testing.T) {
	c := newChain(t, baseGenesis())
	tx := claim(alice, "alice", 0)
	res := c.exec(defaultEnv(), tx)
	r := res.Receipts[0]

	gas := params.GasClaimUsername + uint64(len(tx.Data)) // 100 + 4-byte length + 5 bytes
	if gas != 109 {
		t.Fatalf("claim gas %d, want 109", gas)
	}
	burned, tip := gas*defaultBase, gas*defaultTip
	if r.Status != types.TxStatusSuccess || r.GasUsed != gas || r.FeeBurned != burned || r.FeeTip != tip || r.TxHash != txHash(t, tx) {
		t.Fatalf("receipt %+v", r)
	}
	if len(r.Events) != 1 || r.Events[0].Topic != "username" || r.Events[0].Emitter != alice {
		t.Fatalf("events %+v", r.Events)
	}
	var ev types.UsernameClaimedEvent
	if err := ev.UnmarshalBorsh(r.Events[0].Data); err != nil || ev != (types.UsernameClaimedEvent{Address: alice, Username: "alice"}) {
		t.Errorf("event %+v %v", ev, err)
	}

	wantAccount(t, c.account(alice), types.Account{Address: alice, Username: "alice", Nonce: 1, OramaBalance: aliceRays - burned - tip, BTCBalance: aliceSats})
	if a, ok := owner(t, c, "alice"); !ok || a != alice {
		t.Errorf("UsernameOwner(alice) = %v %v", a, ok)
	}
	// The reverse record is the Borsh UsernameRecord at UsernameKey.
	tr, err := smt.Open(c.store, c.root)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.Get(state.UsernameKey("alice"))
	if err != nil {
		t.Fatal(err)
	}
	rec := types.UsernameRecord{Address: alice}
	want, _ := rec.MarshalBorsh()
	if !bytes.Equal(v, want) {
		t.Errorf("username leaf %x, want %x", v, want)
	}
	if _, ok := owner(t, c, "carol"); ok {
		t.Error("an unclaimed name has an owner")
	}

	// Block 2: another address cannot take the name; the failed claim pays
	// its fee and uses its nonce, and records nothing. It can still claim
	// another name at its next nonce.
	before := c.root
	res = c.exec(exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase}, claim(whale, "alice", 0))
	if s := res.Receipts[0].Status; s != types.TxStatusUsernameTaken {
		t.Fatalf("second claim: %v, want UsernameTaken", s)
	}
	if a, _ := owner(t, c, "alice"); a != alice {
		t.Errorf("owner changed to %v", a)
	}
	if r := res.Receipts[0]; r.GasUsed != gas || r.FeeBurned != burned || r.FeeTip != tip || len(r.Events) != 0 {
		t.Errorf("failed claim receipt %+v", r)
	}
	wantAccount(t, c.account(whale), types.Account{Address: whale, Nonce: 1, OramaBalance: orama - burned - tip, BTCBalance: whaleSats})
	if c.root == before {
		t.Error("block 2 changed nothing")
	}
	res = c.exec(exec.Env{Height: 3, Proposer: proposer, BaseFee: defaultBase}, claim(whale, "whale", 1))
	if s := res.Receipts[0].Status; s != types.TxStatusSuccess {
		t.Fatalf("whale's own claim: %v", s)
	}
	if a, ok := owner(t, c, "whale"); !ok || a != whale {
		t.Errorf("owner(whale) = %v %v", a, ok)
	}
}

// Genesis usernames are registered both ways.
func TestGenesisUsername(t *testing.T) {
	c := newChain(t, baseGenesis())
	if a, ok := owner(t, c, "bob"); !ok || a != bob {
		t.Errorf("owner(bob) = %v %v", a, ok)
	}
	if got := c.account(bob).Username; got != "bob" {
		t.Errorf("bob's username %q", got)
	}
}
