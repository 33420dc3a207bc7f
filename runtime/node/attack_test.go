package node

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// signTx signs tx for chainID as a wallet does.
func signTx(t *testing.T, k *crypto.PrivateKey, chainID uint64, tx *types.Transaction) *types.Transaction {
	t.Helper()
	tx.From = k.Address()
	p, err := tx.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	if tx.Signature, err = crypto.SignDomain(k, crypto.DomainTransaction, chainID, p); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestBlockSpaceIsNeverFree replays the spam attack of issue 11 against a
// node's own block production, execution, commit and admission: 16
// accounts holding 0.64 ORAMA each send a claim of a taken username and
// then transfers of more than they hold, with a high tip. A proposer that
// ignores admission (as a Byzantine one may) includes them: every one pays
// at least its intrinsic gas at the base fee, the base fee rises while the
// blocks are full of failures, the attackers run out of money within a few
// blocks, and the included bytes cannot be sent again.
func TestBlockSpaceIsNeverFree(t *testing.T) {
	const attackers, perAttacker = 16, 128
	const stake = 640_000 // 0.64 ORAMA
	validator, owner := testKey(1), testKey(2)
	g := &types.Genesis{ChainID: 4242, Timestamp: 1_700_000_000}
	g.Allocations = append(g.Allocations,
		types.GenesisAllocation{Address: validator.Address(), OramaBalance: 1000 * params.RaysPerOrama},
		types.GenesisAllocation{Address: owner.Address(), OramaBalance: 1000 * params.RaysPerOrama, Username: "taken"})
	keys := make([]*crypto.PrivateKey, attackers)
	for i := range keys {
		keys[i] = testKey(100 + i)
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: keys[i].Address(), OramaBalance: stake})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	g.Validators = []types.Validator{{Address: validator.Address(), Stake: 1000 * params.RaysPerOrama}}
	n, err := New(Config{DataDir: t.TempDir(), NoSync: true}, g, validator)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	claimData, _ := (&types.ClaimUsernamePayload{Username: "taken"}).MarshalBorsh()
	var spam []*types.Transaction
	for nonce := range uint64(perAttacker) {
		for _, k := range keys {
			tx := &types.Transaction{Type: types.TxTypeTransfer, To: owner.Address(), Amount: params.RaysPerOrama,
				Nonce: nonce, GasLimit: params.GasTransfer, GasTipCap: 50, GasFeeCap: params.MaxBaseFee}
			if nonce == 0 {
				tx = &types.Transaction{Type: types.TxTypeClaimUsername, Data: claimData,
					Nonce: 0, GasLimit: params.GasClaimUsername + uint64(len(claimData)), GasTipCap: 50, GasFeeCap: params.MaxBaseFee}
			}
			spam = append(spam, signTx(t, k, g.ChainID, tx))
		}
	}
	// Admission refuses all of it: each would only fail.
	for _, c := range []struct {
		tx   *types.Transaction
		want error
	}{{spam[0], mempool.ErrUsernameTaken}, {spam[attackers], mempool.ErrInsufficientBalance}} {
		raw, _ := c.tx.MarshalBorsh()
		if _, err := n.Submit(raw); !errors.Is(err, c.want) {
			t.Fatalf("admission of a failing transaction: %v, want %v", err, c.want)
		}
	}

	balances := func() (sum uint64) {
		for _, k := range keys {
			a, _ := n.State().Account(k.Address())
			sum += a.OramaBalance
		}
		return sum
	}
	before := balances()
	var paid uint64
	var included []*types.Transaction
	prevBaseFee, full := uint64(0), 0
	for height := 1; ; height++ {
		// The Byzantine proposer offers everything not yet included;
		// fill leaves out what is not includable.
		left := spam[len(included):]
		b, err := n.commitLocal(left)
		if err != nil {
			t.Fatal(err)
		}
		rcpts, err := n.Store().Receipts(b.Header.Height)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Transactions) == 0 {
			break
		}
		if height > 10 {
			t.Fatal("the attackers are still filling blocks after 10")
		}
		var gas uint64
		for i, r := range rcpts {
			tx := &b.Transactions[i]
			if r.Status == types.TxStatusSuccess {
				t.Fatalf("block %d tx %d: an attacker's transaction succeeded", height, i)
			}
			ig := txrules.IntrinsicGas(tx)
			if r.GasUsed < ig || r.FeeBurned != r.GasUsed*b.Header.BaseFee || r.FeeTip == 0 {
				t.Fatalf("block %d tx %d: gas %d (intrinsic %d), burned %d at base fee %d, tip %d",
					height, i, r.GasUsed, ig, r.FeeBurned, b.Header.BaseFee, r.FeeTip)
			}
			gas += r.GasUsed
			paid += r.FeeBurned + r.FeeTip
			included = append(included, tx)
		}
		if gas != b.Header.GasUsed {
			t.Fatalf("block %d: header gas %d, receipts %d", height, b.Header.GasUsed, gas)
		}
		if b.Header.GasUsed > params.BlockGasTarget {
			full++
			if prevBaseFee != 0 && b.Header.BaseFee <= prevBaseFee {
				t.Fatalf("block %d: base fee %d after a full block at %d", height, b.Header.BaseFee, prevBaseFee)
			}
		}
		prevBaseFee = b.Header.BaseFee
		if next := txrules.NextBaseFee(b.Header.BaseFee, b.Header.GasUsed); b.Header.GasUsed > params.BlockGasTarget && next <= b.Header.BaseFee {
			t.Fatalf("block %d full of failures and the base fee does not rise: %d -> %d", height, b.Header.BaseFee, next)
		}
	}
	if full < 2 || len(included) < 1500 {
		t.Fatalf("the attack filled %d blocks with %d transactions; the test wants at least 2 full blocks", full, len(included))
	}
	if got := balances(); before-got != paid {
		t.Fatalf("attackers lost %d rays, receipts say they paid %d", before-got, paid)
	}
	// Nobody can afford another 100 x fee cap: the attack has stopped.
	for _, k := range keys {
		a, _ := n.State().Account(k.Address())
		if a.OramaBalance >= params.GasTransfer*params.MaxBaseFee {
			t.Fatalf("attacker %v still holds %d rays", k.Address(), a.OramaBalance)
		}
	}
	t.Logf("%d failing transactions in %d full blocks cost the attackers %d rays (%.2f ORAMA)",
		len(included), full, paid, float64(paid)/float64(params.RaysPerOrama))

	// The included bytes are known: sending them again is refused.
	for _, tx := range []*types.Transaction{included[0], included[len(included)-1]} {
		raw, _ := tx.MarshalBorsh()
		if _, err := n.Submit(raw); !errors.Is(err, mempool.ErrAlreadyKnown) {
			t.Fatalf("resending included bytes: %v, want already known", err)
		}
	}
}

// TestFillSkipsSenderAfterGap: once a sender's transaction is left out of
// a block as not includable, its later nonces are left out too (they
// would no longer follow), while other senders go on.
func TestFillSkipsSenderAfterGap(t *testing.T) {
	g, keys := testGenesis(4)
	n, err := New(Config{DataDir: t.TempDir(), NoSync: true}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	alice, bob, carol := keys[1], keys[2], keys[3]
	cheap := signTx(t, alice, g.ChainID, &types.Transaction{Type: types.TxTypeTransfer, To: bob.Address(), Nonce: 0,
		GasLimit: params.GasTransfer, GasFeeCap: params.MinBaseFee}) // below the base fee of 10
	picked := []*types.Transaction{
		signedTransfer(carol, g.ChainID, 0, bob.Address(), 1),
		cheap,
		signedTransfer(alice, g.ChainID, 1, bob.Address(), 1),
		signedTransfer(carol, g.ChainID, 1, bob.Address(), 1),
		signedTransfer(alice, g.ChainID, 0, bob.Address(), 1), // would fill the gap, but comes after it
	}
	b, err := n.commitLocal(picked)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Transactions) != 2 || b.Transactions[0].From != carol.Address() || b.Transactions[1].From != carol.Address() {
		t.Fatalf("block holds %d transactions; want carol's two only", len(b.Transactions))
	}
	if a, _ := n.State().Account(alice.Address()); a.Nonce != 0 {
		t.Fatalf("alice's nonce %d: a left-out transaction was applied", a.Nonce)
	}
}
