package ns

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// TestNamespaceValueConserved is namespaces.md 6's invariant: after every
// entry of random sequences of deposits, withdrawals, deploys and calls
// (values, gas limits, traps, out of gas, failed requests), for each asset
// the sum of the namespace's balances is what entered minus what left, and
// what left never exceeds what entered; the log replays to the same root.
func TestNamespaceValueConserved(t *testing.T) {
	sequences, steps := 200, 50
	if testing.Short() {
		sequences = 40
	}
	token := module(t, "token")
	for seq := 0; seq < sequences; seq++ {
		rng := rand.New(rand.NewPCG(uint64(seq), 7))
		n := newTestNS(t, types.NamespaceTierTier1)
		users := []*crypto.PrivateKey{mustKey(t, 1), mustKey(t, 2), mustKey(t, 3)}
		addrs := []types.Address{n.authority.Address()}
		for _, u := range users {
			addrs = append(addrs, u.Address())
		}
		var contracts []types.Address
		for step := 0; step < steps; step++ {
			u := users[rng.IntN(len(users))]
			asset := types.Asset(rng.IntN(2))
			amount := uint64(rng.IntN(1000)) + 1
			gas := uint64(10_000_000)
			if rng.IntN(5) == 0 {
				gas = uint64(rng.IntN(20000)) + 1 // often out of gas
			}
			switch op := rng.IntN(6); {
			case op == 0 || len(contracts) == 0 && op >= 3:
				var src types.Hash
				binary.BigEndian.PutUint64(src[:], uint64(step)+1)
				if rng.IntN(10) == 0 && step > 0 {
					binary.BigEndian.PutUint64(src[:], 1) // a duplicate source
				}
				n.submit(t, n.authority, &types.NsDeposit{Asset: asset, Amount: amount, To: u.Address(), Source: src}, nil)
			case op == 1:
				n.submit(t, u, &types.NsWithdraw{Asset: asset, Amount: amount, To: u.Address()}, nil)
			case op == 2:
				res := n.submit(t, u, &types.NsDeploy{Init: "init", GasLimit: gas * 10}, token)
				if res.Entry.Outcome.Contract != nil {
					contracts = append(contracts, *res.Entry.Outcome.Contract)
					addrs = append(addrs, *res.Entry.Outcome.Contract)
				}
			default:
				c := contracts[rng.IntN(len(contracts))]
				call := &types.NsCall{Contract: c, GasLimit: gas}
				switch rng.IntN(4) {
				case 0:
					call.Function, call.OramaValue = "deposit", amount
				case 1:
					call.Function, call.Args = "withdraw", []uint64{amount}
				case 2:
					to := users[rng.IntN(len(users))].Address()
					call.Function, call.Input = "transfer", transferInput(to, amount)
				default:
					call.Function, call.Input, call.BTCValue = "transfer", []byte{1}, amount // traps
				}
				n.submit(t, u, call, nil)
			}
			checkConserved(t, n, addrs, seq, step)
		}
		if seq%50 == 0 {
			st := n.Status()
			rep, err := Verify(context.Background(), VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}, &SliceSource{Entries: n.entries(t)})
			if err != nil || rep.Root != st.Root {
				t.Fatalf("sequence %d: replay %v, root %x want %x", seq, err, rep.Root, st.Root)
			}
		}
	}
}

func checkConserved(t *testing.T, n *testNS, addrs []types.Address, seq, step int) {
	t.Helper()
	var orama, btc uint64
	for _, a := range addrs {
		acc, _, err := n.Account(a)
		if err != nil {
			t.Fatal(err)
		}
		orama += acc.Orama
		btc += acc.BTC
	}
	var sup types.NsSupply
	if err := n.Read(func(m *Machine, _ Replica) error {
		var err error
		sup, err = m.Reader().Supply()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if sup.OramaOut > sup.OramaIn || sup.BTCOut > sup.BTCIn || orama != sup.OramaIn-sup.OramaOut || btc != sup.BTCIn-sup.BTCOut {
		t.Fatalf("sequence %d step %d: balances %d rays %d sats, supply %+v", seq, step, orama, btc, sup)
	}
}
