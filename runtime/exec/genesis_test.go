package exec_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

func TestValidateGenesis(t *testing.T) {
	if err := exec.ValidateGenesis(baseGenesis()); err != nil {
		t.Fatalf("base genesis rejected: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(g *types.Genesis)
	}{
		{"chain id 0", func(g *types.Genesis) { g.ChainID = 0 }},
		{"allocations unsorted", func(g *types.Genesis) {
			g.Allocations[0], g.Allocations[1] = g.Allocations[1], g.Allocations[0]
		}},
		{"allocation repeated", func(g *types.Genesis) {
			g.Allocations = append(g.Allocations[:2:2], g.Allocations[1:]...)
		}},
		{"allocation repeated with other balances", func(g *types.Genesis) {
			dup := g.Allocations[3]
			dup.OramaBalance, dup.BTCBalance = 1, 0
			g.Allocations = append(g.Allocations, dup)
		}},
		{"username too short", func(g *types.Genesis) { g.Allocations[0].Username = "ab" }},
		{"username uppercase", func(g *types.Genesis) { g.Allocations[0].Username = "Alice" }},
		{"username with @", func(g *types.Genesis) { g.Allocations[0].Username = "@alice" }},
		{"username duplicate", func(g *types.Genesis) { g.Allocations[0].Username = "bob" }},
		{"over the supply cap", func(g *types.Genesis) {
			g.Allocations[0].OramaBalance = params.SupplyCapRays - (genesisTotal(g) - aliceRays) + 1
		}},
		{"one allocation over the cap", func(g *types.Genesis) { g.Allocations[0].OramaBalance = params.SupplyCapRays + 1 }},
		{"total wraps u64", func(g *types.Genesis) {
			g.Allocations[0].OramaBalance = 1 << 63
			g.Allocations[1].OramaBalance = 1 << 63
		}},
		{"no validators", func(g *types.Genesis) { g.Validators = nil }},
		{"validators unsorted", func(g *types.Genesis) {
			g.Validators = []types.Validator{{Address: bob, Stake: 1}, {Address: alice, Stake: 1}}
		}},
		{"validator repeated", func(g *types.Genesis) {
			g.Validators = []types.Validator{{Address: bob, Stake: 1}, {Address: bob, Stake: 2}}
		}},
		{"validator without stake", func(g *types.Genesis) { g.Validators[0].Stake = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := baseGenesis()
			tc.mutate(g)
			err := exec.ValidateGenesis(g)
			if !errors.Is(err, exec.ErrInvalidGenesis) {
				t.Fatalf("ValidateGenesis = %v, want ErrInvalidGenesis", err)
			}
			if _, err := exec.GenesisBlock(smt.NewMemStore(), g); !errors.Is(err, exec.ErrInvalidGenesis) {
				t.Errorf("GenesisBlock = %v, want ErrInvalidGenesis", err)
			}
		})
	}
	// Exactly at the cap is allowed.
	g := baseGenesis()
	g.Allocations[0].OramaBalance = params.SupplyCapRays - (genesisTotal(g) - aliceRays)
	if err := exec.ValidateGenesis(g); err != nil {
		t.Errorf("genesis at exactly the cap: %v", err)
	}
	// No allocations at all is allowed (a chain that only mints).
	g = baseGenesis()
	g.Allocations = nil
	if err := exec.ValidateGenesis(g); err != nil {
		t.Errorf("genesis without allocations: %v", err)
	}
}

func TestGenesisBlock(t *testing.T) {
	g := baseGenesis()
	b1, err := exec.GenesisBlock(smt.NewMemStore(), g)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := exec.GenesisBlock(smt.NewMemStore(), baseGenesis())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b1, b2) {
		t.Errorf("GenesisBlock is not deterministic:\n%+v\n%+v", b1, b2)
	}
	h1, _ := b1.Header.Hash()
	h2, _ := b2.Header.Hash()
	if h1 != h2 {
		t.Error("block 0 hashes differ")
	}
	gh, err := g.Hash()
	if err != nil {
		t.Fatal(err)
	}
	hd := b1.Header
	if hd.ParentHash != gh {
		t.Errorf("block 0 parent_hash %v, want the genesis hash %v", hd.ParentHash, gh)
	}
	if hd.Height != 0 || hd.Timestamp != g.Timestamp || hd.BaseFee != params.InitialBaseFee ||
		hd.TransactionsRoot != exec.MerkleRoot(nil) || hd.ReceiptsRoot != exec.MerkleRoot(nil) || hd.GasUsed != 0 {
		t.Errorf("block 0 header %+v", hd)
	}
	if len(b1.Transactions) != 0 {
		t.Error("block 0 has transactions")
	}

	// A different genesis (one more ray) gives a different state and hash.
	g2 := baseGenesis()
	g2.Allocations[0].OramaBalance++
	b3, err := exec.GenesisBlock(smt.NewMemStore(), g2)
	if err != nil {
		t.Fatal(err)
	}
	if b3.Header.StateRoot == hd.StateRoot || b3.Header.ParentHash == hd.ParentHash {
		t.Error("genesis change not reflected in block 0")
	}
	// Validators are not state but are in the genesis hash.
	g3 := baseGenesis()
	g3.Validators[0].Stake++
	b4, err := exec.GenesisBlock(smt.NewMemStore(), g3)
	if err != nil {
		t.Fatal(err)
	}
	if b4.Header.StateRoot != hd.StateRoot || b4.Header.ParentHash == hd.ParentHash {
		t.Error("a validator change must change the genesis hash and nothing else")
	}
}

func TestGenesisState(t *testing.T) {
	g := baseGenesis()
	c := newChain(t, g)
	for _, a := range g.Allocations {
		wantAccount(t, c.account(a.Address), types.Account{Address: a.Address, Username: a.Username, OramaBalance: a.OramaBalance, BTCBalance: a.BTCBalance})
		if !c.exists(a.Address) {
			t.Errorf("%v has no leaf", a.Address)
		}
	}
	if c.exists(carol) || c.exists(proposer) {
		t.Error("unallocated accounts exist at genesis")
	}
	if got := c.supply(); got != (types.ChainSupply{MintedRays: genesisTotal(g)}) {
		t.Errorf("genesis supply %+v", got)
	}
}
