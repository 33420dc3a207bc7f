package exec_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

type rejectCase struct {
	name   string
	g      func() *types.Genesis // nil: baseGenesis
	prefix []types.Transaction   // run before the rejected transaction
	bad    types.Transaction
	suffix []types.Transaction // run after it; all must succeed
	want   types.TxStatus
}

func with(tx types.Transaction, f func(*types.Transaction)) types.Transaction {
	f(&tx)
	return tx
}

func rejectCases() []rejectCase {
	longName := strings.Repeat("a", params.MaxUsernameBytes+1)
	overLong := binary.LittleEndian.AppendUint32(nil, uint32(len(longName)))
	overLong = append(overLong, longName...)

	fill999 := make([]types.Transaction, 999)
	for i := range fill999 {
		fill999[i] = transfer(alice, bob, 1, types.AssetOrama, uint64(i))
	}
	bigClaim := claim(alice, "alice-the-first", 999)

	return []rejectCase{
		{name: "BadNonce/ahead", bad: transfer(alice, bob, 1, types.AssetOrama, 5),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusBadNonce},
		{name: "BadNonce/replay", prefix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)},
			bad:    transfer(alice, bob, 1, types.AssetOrama, 0),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 1)}, want: types.TxStatusBadNonce},
		{name: "InsufficientBalance/orama amount", bad: transfer(alice, bob, aliceRays, types.AssetOrama, 0),
			suffix: []types.Transaction{transfer(alice, bob, aliceRays-transferGas*defaultCap, types.AssetOrama, 0)}, want: types.TxStatusInsufficientBalance},
		// dave holds 1,000 rays: gas_limit x fee_cap = 2,000 is too much even
		// for a zero amount, 100 x 10 = 1,000 is exactly enough.
		{name: "InsufficientBalance/orama max fee", bad: transfer(dave, bob, 0, types.AssetOrama, 0),
			suffix: []types.Transaction{with(transfer(dave, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 })},
			want:   types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/btc", bad: transfer(alice, bob, aliceSats+1, types.AssetBTC, 0),
			suffix: []types.Transaction{transfer(alice, bob, aliceSats, types.AssetBTC, 0)}, want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/absent sender", bad: transfer(carol, bob, 0, types.AssetOrama, 0), want: types.TxStatusInsufficientBalance},
		{name: "FeeCapBelowBaseFee", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase-1, 0 }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusFeeCapBelowBaseFee},
		{name: "TipAboveFeeCap", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasTipCap = defaultCap + 1 }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusTipAboveFeeCap},
		{name: "GasLimitTooLow/transfer", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasLimit = transferGas - 1 }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusGasLimitTooLow},
		{name: "GasLimitTooLow/claim data bytes", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.GasLimit = params.GasClaimUsername }),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusGasLimitTooLow},
		{name: "InvalidPayload/transfer with data", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.Data, tx.GasLimit = []byte{0}, 1000 }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusInvalidPayload},
		{name: "InvalidPayload/claim garbage", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.Data = []byte{0xff} }),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusInvalidPayload},
		{name: "InvalidPayload/claim over max length", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.Data, tx.GasLimit = overLong, 1000 }),
			want: types.TxStatusInvalidPayload},
		{name: "InvalidRecipient/claim with to", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.To = bob }),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusInvalidRecipient},
		{name: "InvalidAmount/claim with amount", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.Amount = 1 }),
			want: types.TxStatusInvalidAmount},
		{name: "InvalidAmount/claim with asset", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.Asset = types.AssetBTC }),
			want: types.TxStatusInvalidAmount},
		{name: "UsernameTaken/genesis", bad: claim(alice, "bob", 0),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusUsernameTaken},
		{name: "UsernameTaken/same block", prefix: []types.Transaction{claim(alice, "zed", 0)}, bad: claim(whale, "zed", 0),
			want: types.TxStatusUsernameTaken},
		{name: "UsernameInvalid/uppercase", bad: claim(alice, "Alice", 0),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusUsernameInvalid},
		{name: "UsernameInvalid/too short", bad: claim(alice, "al", 0), want: types.TxStatusUsernameInvalid},
		{name: "UsernameInvalid/space", bad: claim(alice, "al ice", 0), want: types.TxStatusUsernameInvalid},
		{name: "UsernameAlreadySet/genesis", bad: claim(bob, "bobby", 0), want: types.TxStatusUsernameAlreadySet},
		{name: "UsernameAlreadySet/same block", prefix: []types.Transaction{claim(alice, "alice", 0)}, bad: claim(alice, "alice2", 1),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 1)}, want: types.TxStatusUsernameAlreadySet},
		{name: "UnsupportedType/stake", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.Type = types.TxTypeStake }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusUnsupportedType},
		{name: "UnsupportedType/shield", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.Type, tx.GasLimit = types.TxTypeShield, 10_000 }),
			want: types.TxStatusUnsupportedType},
		// whale holds 2^64 - 11 sats: 11 more would wrap (10 fit, see
		// TestBTCBalanceAtMax).
		{name: "AmountOverflow/btc recipient", bad: transfer(alice, whale, 11, types.AssetBTC, 0),
			suffix: []types.Transaction{transfer(alice, whale, 10, types.AssetBTC, 0)}, want: types.TxStatusAmountOverflow},
		{name: "AmountOverflow/max fee", bad: with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = 1<<62, 0 }),
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 0)}, want: types.TxStatusAmountOverflow},
		{name: "AmountOverflow/amount plus fee", bad: transfer(alice, bob, ^uint64(0), types.AssetOrama, 0),
			want: types.TxStatusAmountOverflow},
		// 999 transfers leave 100 gas: a 119-gas claim does not fit, a
		// 100-gas transfer after it still does.
		{name: "BlockGasExceeded", prefix: fill999, bad: bigClaim,
			suffix: []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, 999)}, want: types.TxStatusBlockGasExceeded},
	}
}

// TestRejectionsChangeNothing executes each block with and without the
// rejected transaction: the state roots must be equal, the rejected
// transaction's receipt must carry only its hash and status, and every
// other receipt must be the same in both.
func TestRejectionsChangeNothing(t *testing.T) {
	for _, tc := range rejectCases() {
		t.Run(tc.name, func(t *testing.T) {
			g := baseGenesis()
			if tc.g != nil {
				g = tc.g()
			}
			with := append(append(append([]types.Transaction{}, tc.prefix...), tc.bad), tc.suffix...)
			without := append(append([]types.Transaction{}, tc.prefix...), tc.suffix...)
			cw, rw := runBlock(t, g, defaultEnv(), with...)
			_, ro := runBlock(t, g, defaultEnv(), without...)

			i := len(tc.prefix)
			got := rw.Receipts[i]
			want := types.Receipt{TxHash: txHash(t, tc.bad), Status: tc.want}
			if !sameReceipt(got, want) {
				t.Fatalf("receipt %+v, want %+v", got, want)
			}
			if rw.StateRoot != ro.StateRoot {
				t.Errorf("state root %v with the rejected tx, %v without", rw.StateRoot, ro.StateRoot)
			}
			if rw.GasUsed != ro.GasUsed {
				t.Errorf("block gas %d with, %d without", rw.GasUsed, ro.GasUsed)
			}
			others := append(append([]types.Receipt{}, rw.Receipts[:i]...), rw.Receipts[i+1:]...)
			for j := range others {
				if !sameReceipt(others[j], ro.Receipts[j]) {
					t.Errorf("receipt %d differs with the rejected tx", j)
				}
			}
			for j, r := range rw.Receipts[i+1:] {
				if r.Status != types.TxStatusSuccess {
					t.Errorf("suffix tx %d: %v, want Success", j, r.Status)
				}
			}
			if tc.bad.From == carol && cw.exists(carol) {
				t.Error("a rejected transaction created its sender's leaf")
			}
		})
	}
}

// TestEveryReachableStatusCovered fails when a TxStatus that execution can
// return has no rejection case. InvalidSignature and WrongChain are checked
// before execution (signatures are verified outside runtime/exec).
func TestEveryReachableStatusCovered(t *testing.T) {
	covered := map[types.TxStatus]bool{}
	for _, tc := range rejectCases() {
		covered[tc.want] = true
	}
	for s := types.TxStatus(0); s.Valid(); s++ {
		switch s {
		case types.TxStatusSuccess, types.TxStatusInvalidSignature, types.TxStatusWrongChain:
			continue
		}
		if !covered[s] {
			t.Errorf("no rejection case for %v", s)
		}
	}
}

func TestBTCBalanceAtMax(t *testing.T) {
	c, res := runBlock(t, baseGenesis(), defaultEnv(), transfer(alice, whale, 10, types.AssetBTC, 0))
	if res.Receipts[0].Status != types.TxStatusSuccess {
		t.Fatalf("status %v", res.Receipts[0].Status)
	}
	if got := c.account(whale).BTCBalance; got != ^uint64(0) {
		t.Errorf("whale BTC %d, want 2^64-1", got)
	}
}

// A block of rejected transactions only mints the reward: its root equals
// the empty block's.
func TestAllRejectedBlockEqualsEmptyBlock(t *testing.T) {
	var bad []types.Transaction
	for _, tc := range rejectCases() {
		if len(tc.prefix) == 0 && tc.g == nil {
			bad = append(bad, tc.bad)
		}
	}
	_, rBad := runBlock(t, baseGenesis(), defaultEnv(), bad...)
	_, rEmpty := runBlock(t, baseGenesis(), defaultEnv())
	if rBad.StateRoot != rEmpty.StateRoot || rBad.GasUsed != 0 {
		t.Errorf("root %v gas %d, empty block root %v", rBad.StateRoot, rBad.GasUsed, rEmpty.StateRoot)
	}
	for i, r := range rBad.Receipts {
		if r.Status == types.TxStatusSuccess || r.GasUsed != 0 || r.FeeBurned != 0 || r.FeeTip != 0 || len(r.Events) != 0 {
			t.Errorf("receipt %d: %+v", i, r)
		}
	}
}
