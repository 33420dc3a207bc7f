package exec_test

import (
	"math"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
)

const halving = params.HalvingIntervalBlocks

func TestBlockReward(t *testing.T) {
	if halving != 10_512_000 || blockReward != 100_000_000 {
		t.Fatalf("spec constants changed: halving %d, reward %d", halving, blockReward)
	}
	for _, tc := range []struct {
		h    uint64
		want uint64
	}{
		{0, 0}, // genesis mints nothing
		{1, 100 * orama},
		{2, 100 * orama},
		{10_512_000, 100 * orama},
		{10_512_001, 50 * orama},
		{2 * halving, 50 * orama},
		{2*halving + 1, 25 * orama},
		{3*halving + 1, 12_500_000},
		{26*halving + 1, 1}, // 100,000,000 >> 26
		{27*halving + 1, 0}, // 100,000,000 >> 27
		{63*halving + 1, 0},
		{64 * halving, 0},
		{64*halving + 1, 0}, // 64 halvings: a shift by 64 must not wrap to the full reward
		{100*halving + 1, 0},
		{math.MaxUint64, 0},
	} {
		if got := exec.BlockReward(tc.h); got != tc.want {
			t.Errorf("BlockReward(%d) = %d, want %d", tc.h, got, tc.want)
		}
	}
}

func TestRewardSplit(t *testing.T) {
	g := baseGenesis()
	c, res := runBlock(t, g, defaultEnv())
	if len(res.Receipts) != 0 || res.GasUsed != 0 {
		t.Fatalf("empty block: %+v", res)
	}
	if curveShare != 20*orama || proposerPart != 80*orama {
		t.Fatalf("split constants %d/%d", proposerPart, curveShare)
	}
	wantAccount(t, c.account(proposer), types.Account{Address: proposer, OramaBalance: 80 * orama})
	wantAccount(t, c.account(exec.CurveAddress()), types.Account{Address: exec.CurveAddress(), OramaBalance: 20 * orama})
	want := types.ChainSupply{MintedRays: genesisTotal(g) + 100*orama, CurveReceivedRays: 20 * orama}
	if got := c.supply(); got != want {
		t.Errorf("supply %+v, want %+v", got, want)
	}
	if res.TransactionsRoot != exec.MerkleRoot(nil) || res.ReceiptsRoot != exec.MerkleRoot(nil) {
		t.Error("an empty block's roots are not MerkleRoot(nil)")
	}

	// A second block adds to both.
	c.exec(exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase})
	if got := c.account(proposer).OramaBalance; got != 160*orama {
		t.Errorf("proposer after two blocks %d", got)
	}
	if got := c.supply().CurveReceivedRays; got != 40*orama {
		t.Errorf("curve after two blocks %d", got)
	}
}

func TestCurveAddress(t *testing.T) {
	var want types.Address
	want[19] = 1
	if exec.CurveAddress() != want {
		t.Errorf("CurveAddress %v, want 0x00..01", exec.CurveAddress())
	}
}

func TestRewardAtHalvingBoundary(t *testing.T) {
	for _, tc := range []struct {
		h               uint64
		proposer, curve uint64
	}{
		{10_512_000, 80 * orama, 20 * orama},
		{10_512_001, 40 * orama, 10 * orama},
	} {
		c, _ := runBlock(t, baseGenesis(), exec.Env{Height: tc.h, Proposer: proposer, BaseFee: defaultBase})
		if got := c.account(proposer).OramaBalance; got != tc.proposer {
			t.Errorf("height %d: proposer %d, want %d", tc.h, got, tc.proposer)
		}
		if got := c.account(exec.CurveAddress()).OramaBalance; got != tc.curve {
			t.Errorf("height %d: curve %d, want %d", tc.h, got, tc.curve)
		}
	}
}

// setSupply commits a supply record as version 1 on top of genesis, so the
// next block (height 2) starts from it.
func setSupply(t *testing.T, c *chain, sup types.ChainSupply) {
	t.Helper()
	st := c.state()
	st.SetSupply(sup)
	root, err := st.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	c.root = root
}

func TestCurveShareStopsAtCap(t *testing.T) {
	g := baseGenesis()
	c := newChain(t, g)
	const left = 5 * orama // the curve may still receive 5 ORAMA
	setSupply(t, c, types.ChainSupply{MintedRays: genesisTotal(g), CurveReceivedRays: params.CurveInventoryCapRays - left})

	env := exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase}
	c.exec(env)
	if got := c.account(exec.CurveAddress()).OramaBalance; got != left {
		t.Errorf("curve got %d, want the %d left under its cap", got, left)
	}
	if got := c.account(proposer).OramaBalance; got != blockReward-left {
		t.Errorf("proposer got %d, want %d", got, blockReward-left)
	}
	want := types.ChainSupply{MintedRays: genesisTotal(g) + blockReward, CurveReceivedRays: params.CurveInventoryCapRays}
	if got := c.supply(); got != want {
		t.Errorf("supply %+v, want %+v", got, want)
	}

	// Once the curve is full, 100% goes to the proposer.
	env.Height = 3
	c.exec(env)
	if got := c.account(exec.CurveAddress()).OramaBalance; got != left {
		t.Errorf("curve received more after its cap: %d", got)
	}
	if got := c.account(proposer).OramaBalance; got != 2*blockReward-left {
		t.Errorf("proposer %d, want %d", got, 2*blockReward-left)
	}
	if got := c.supply().CurveReceivedRays; got != params.CurveInventoryCapRays {
		t.Errorf("curve_received %d above cap", got)
	}
}

func TestMintingClampsAtSupplyCap(t *testing.T) {
	const left = 30 * orama // less than one reward
	check := func(t *testing.T, c *chain, env exec.Env, g *types.Genesis) {
		t.Helper()
		c.exec(env)
		// 30 ORAMA minted: 20% (6) to the curve, 24 to the proposer.
		if got := c.account(exec.CurveAddress()).OramaBalance; got != 6*orama {
			t.Errorf("curve %d, want %d", got, 6*orama)
		}
		if got := c.account(proposer).OramaBalance; got != 24*orama {
			t.Errorf("proposer %d, want %d", got, 24*orama)
		}
		if got := c.supply().MintedRays; got != params.SupplyCapRays {
			t.Errorf("minted %d, want the cap %d", got, params.SupplyCapRays)
		}
		// At the cap an empty block mints nothing and changes nothing.
		before := c.root
		env.Height++
		c.exec(env)
		if c.root != before {
			t.Error("an empty block at the supply cap changed the state")
		}
		if got := c.supply().MintedRays; got != params.SupplyCapRays {
			t.Errorf("minted %d after the cap", got)
		}
	}
	t.Run("genesis near cap", func(t *testing.T) {
		g := baseGenesis()
		g.Allocations[0].OramaBalance = params.SupplyCapRays - left - (genesisTotal(g) - aliceRays)
		if genesisTotal(g) != params.SupplyCapRays-left {
			t.Fatal("fixture arithmetic")
		}
		check(t, newChain(t, g), defaultEnv(), g)
	})
	t.Run("supply record near cap", func(t *testing.T) {
		g := baseGenesis()
		c := newChain(t, g)
		setSupply(t, c, types.ChainSupply{MintedRays: params.SupplyCapRays - left})
		check(t, c, exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase}, g)
	})
	t.Run("genesis at cap", func(t *testing.T) {
		g := baseGenesis()
		g.Allocations[0].OramaBalance = params.SupplyCapRays - (genesisTotal(g) - aliceRays)
		c := newChain(t, g)
		before := c.root
		c.exec(defaultEnv())
		if c.root != before {
			t.Error("an empty block with the supply at the cap changed the state")
		}
	})
}

// Minted supply above the cap cannot arise; Execute reports it as corrupt
// state instead of minting.
func TestMintedAboveCapIsAnError(t *testing.T) {
	c := newChain(t, baseGenesis())
	setSupply(t, c, types.ChainSupply{MintedRays: params.SupplyCapRays + 1})
	if _, err := exec.Execute(c.state(), exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase}, nil); err == nil {
		t.Error("Execute minted on top of a supply above the cap")
	}
}
