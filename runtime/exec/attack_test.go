package exec_test

import (
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// TestFailingFloodPaysAndRaisesBaseFee is the attack of DECISIONS.md D15:
// 16 accounts with 0.64 ORAMA each fill whole blocks with transactions that
// fail (a claim of a taken username, then transfers of more than they
// hold), with a high tip so a proposer picks them. Under the old rule they
// paid nothing, kept their nonces and the base fee fell while blocks were
// full. Now, block after block:
//
//   - every failed transaction is included and pays its intrinsic gas at
//     the base fee plus its tip, and uses its nonce;
//   - the block's gas_used is the sum of its receipts, failures included,
//     above BlockGasTarget, so the next base fee is higher: the base fee
//     rises every block;
//   - what the attackers lost is exactly the sum of their receipts' fees,
//     which is exactly what was burned plus what the proposer was tipped
//     (with the honest transaction's fee);
//   - a validator executing the proposer's block on its own copy of the
//     parent state gets the same roots, receipts and gas;
//   - the failures had no effect: bob keeps his username and receives only
//     the honest transfer.
func TestFailingFloodPaysAndRaisesBaseFee(t *testing.T) {
	const (
		nAttackers   = 16
		attackerRays = 640_000 // 0.64 ORAMA
		perBlock     = 64      // a claim, then 63 transfers
		attackTip    = 10
		attackCap    = params.MaxBaseFee
		blocks       = 4
		honestAmount = 1_000
	)
	var attackers []types.Address
	g := baseGenesis()
	var allocs []types.GenesisAllocation
	for i := range nAttackers {
		a := fill(0x20 + byte(i)) // below alice's 0xa1: allocations stay sorted
		attackers = append(attackers, a)
		allocs = append(allocs, types.GenesisAllocation{Address: a, OramaBalance: attackerRays})
	}
	g.Allocations = append(allocs, g.Allocations...)
	isAttacker := map[types.Address]bool{}
	for _, a := range attackers {
		isAttacker[a] = true
	}

	attackTx := func(from types.Address, nonce uint64, first bool) types.Transaction {
		var tx types.Transaction
		if first {
			tx = claim(from, "bob", nonce) // taken at genesis
		} else {
			tx = transfer(from, bob, orama, types.AssetOrama, nonce) // more than it holds
		}
		tx.GasTipCap, tx.GasFeeCap = attackTip, attackCap
		return tx
	}

	proposerChain := newChain(t, g) // builds the blocks
	validator := newChain(t, g)     // checks them
	baseFee := uint64(defaultBase)
	for h := uint64(1); h <= blocks; h++ {
		env := exec.Env{Height: h, Proposer: proposer, BaseFee: baseFee}
		st := proposerChain.state()
		before := map[types.Address]types.Account{}
		for _, a := range append([]types.Address{bob, proposer}, attackers...) {
			acc, err := st.Account(a)
			if err != nil {
				t.Fatal(err)
			}
			before[a] = acc
		}
		supBefore := proposerChain.supply()

		// The honest transfer, with a higher tip, goes first; then the
		// attackers, round-robin by nonce. The proposer leaves out what
		// does not fit.
		honest := transfer(alice, bob, honestAmount, types.AssetOrama, h-1)
		honest.GasTipCap, honest.GasFeeCap = 2*attackTip, attackCap
		candidates := []types.Transaction{honest}
		for k := range uint64(perBlock) {
			for _, a := range attackers {
				candidates = append(candidates, attackTx(a, before[a].Nonce+k, k == 0))
			}
		}
		b := exec.Begin(st, env, len(candidates))
		var included []types.Transaction
		for i := range candidates {
			if _, err := b.Apply(&candidates[i]); err != nil {
				if notIncludableStatus(t, err) != types.TxStatusBlockGasExceeded {
					t.Fatalf("height %d candidate %d refused: %v", h, i, err)
				}
				continue
			}
			included = append(included, candidates[i])
		}
		res, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		proposerChain.root = res.StateRoot
		if len(included) < 990 || b.GasLeft() >= transferGas {
			t.Fatalf("height %d: %d transactions included, %d gas left: the block is not full", h, len(included), b.GasLeft())
		}
		sameResult(t, "validator", validator.exec(env, included...), res)

		// Every receipt pays; the block gas is the sum, failures included.
		var gas, burned, tips uint64
		paid := map[types.Address]uint64{}
		count := map[types.Address]uint64{}
		for i, r := range res.Receipts {
			tx := included[i]
			ig := txrules.IntrinsicGas(&tx)
			tip := min(tx.GasTipCap, tx.GasFeeCap-baseFee)
			if r.GasUsed != ig || r.FeeBurned != ig*baseFee || r.FeeTip != ig*tip || r.FeeBurned+r.FeeTip < ig*baseFee {
				t.Fatalf("height %d tx %d: %+v, want gas %d burned %d tip %d", h, i, r, ig, ig*baseFee, ig*tip)
			}
			wantStatus := types.TxStatusInsufficientBalance
			switch {
			case i == 0:
				wantStatus = types.TxStatusSuccess
			case tx.Type == types.TxTypeClaimUsername:
				wantStatus = types.TxStatusUsernameTaken
			}
			if r.Status != wantStatus {
				t.Fatalf("height %d tx %d: %v, want %v", h, i, r.Status, wantStatus)
			}
			gas += r.GasUsed
			burned += r.FeeBurned
			tips += r.FeeTip
			if isAttacker[tx.From] {
				paid[tx.From] += r.FeeBurned + r.FeeTip
				count[tx.From]++
			}
		}
		if gas != res.GasUsed || gas <= params.BlockGasTarget {
			t.Fatalf("height %d: block gas %d, receipts sum %d, target %d", h, res.GasUsed, gas, params.BlockGasTarget)
		}

		// The attackers paid exactly their receipts' fees and used their
		// nonces; together with the honest fee that is exactly what was
		// burned plus what the proposer was tipped.
		var lost, charged uint64
		for _, a := range attackers {
			acc := proposerChain.account(a)
			if acc.OramaBalance+paid[a] != before[a].OramaBalance || acc.Nonce != before[a].Nonce+count[a] || acc.Username != "" {
				t.Errorf("height %d attacker %v: %+v, before %+v, paid %d for %d txs", h, a, acc, before[a], paid[a], count[a])
			}
			lost += before[a].OramaBalance - acc.OramaBalance
			charged += paid[a]
		}
		hr := res.Receipts[0]
		if lost != charged || charged+hr.FeeBurned+hr.FeeTip != burned+tips {
			t.Errorf("height %d: attackers lost %d, charged %d; honest fee %d; burned %d + tips %d",
				h, lost, charged, hr.FeeBurned+hr.FeeTip, burned, tips)
		}
		if got := proposerChain.supply().BurnedRays - supBefore.BurnedRays; got != burned {
			t.Errorf("height %d: burned_rays grew by %d, receipts burned %d", h, got, burned)
		}
		if got := proposerChain.account(proposer).OramaBalance - before[proposer].OramaBalance; got != tips+proposerPart {
			t.Errorf("height %d: proposer got %d, want tips %d + reward %d", h, got, tips, proposerPart)
		}
		if got := proposerChain.account(bob); got.OramaBalance != before[bob].OramaBalance+honestAmount || got.Username != "bob" {
			t.Errorf("height %d: bob %+v, before %+v", h, got, before[bob])
		}
		if a, ok := owner(t, proposerChain, "bob"); !ok || a != bob {
			t.Errorf("height %d: @bob owned by %v", h, a)
		}

		next := txrules.NextBaseFee(baseFee, res.GasUsed)
		if next <= baseFee {
			t.Fatalf("height %d: full block of failures (gas %d) moves the base fee %d -> %d, want a rise", h, res.GasUsed, baseFee, next)
		}
		t.Logf("height %d: %d txs, gas %d, burned %d, tips %d, base fee %d -> %d", h, len(included), res.GasUsed, burned, tips, baseFee, next)
		baseFee = next
	}
}
