package exec_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// The rules of spec/state.md "Block execution" (DECISIONS.md D15): a
// transaction is either not includable at its place (the block is invalid
// and nothing changes) or included (it pays gas_used x (base_fee + tip) and
// uses its nonce), and an included one may then fail with a receipt status
// that voids only its type's effects.

func with(tx types.Transaction, f func(*types.Transaction)) types.Transaction {
	f(&tx)
	return tx
}

// watched are every address the tests here can touch, so "every account is
// unchanged" can be checked field by field.
var watched = []types.Address{alice, bob, carol, dave, whale, proposer, fill(0x17), exec.CurveAddress()}

// world is every watched account (and whether it has a leaf, when read
// from a committed state) plus the supply record.
type world struct {
	accounts map[types.Address]types.Account
	supply   types.ChainSupply
}

func readWorld(t *testing.T, st *state.State) world {
	t.Helper()
	w := world{accounts: map[types.Address]types.Account{}}
	for _, a := range watched {
		acc, err := st.Account(a)
		if err != nil {
			t.Fatal(err)
		}
		w.accounts[a] = acc
	}
	var err error
	if w.supply, err = st.Supply(); err != nil {
		t.Fatal(err)
	}
	return w
}

func sameWorld(t *testing.T, what string, got, want world) {
	t.Helper()
	for _, a := range watched {
		if got.accounts[a] != want.accounts[a] {
			t.Errorf("%s: account %v\n got %+v\nwant %+v", what, a, got.accounts[a], want.accounts[a])
		}
	}
	if got.supply != want.supply {
		t.Errorf("%s: supply %+v, want %+v", what, got.supply, want.supply)
	}
}

// leaves reports which watched addresses have a leaf in c's committed state.
func (c *chain) leaves() map[types.Address]bool {
	c.t.Helper()
	m := map[types.Address]bool{}
	for _, a := range watched {
		m[a] = c.exists(a)
	}
	return m
}

// sameResult compares two executions of what must be the same block.
func sameResult(t *testing.T, what string, got, want *exec.Result) {
	t.Helper()
	if got.StateRoot != want.StateRoot || got.TransactionsRoot != want.TransactionsRoot ||
		got.ReceiptsRoot != want.ReceiptsRoot || got.GasUsed != want.GasUsed {
		t.Errorf("%s: roots/gas (%v %v %v %d), want (%v %v %v %d)", what,
			got.StateRoot, got.TransactionsRoot, got.ReceiptsRoot, got.GasUsed,
			want.StateRoot, want.TransactionsRoot, want.ReceiptsRoot, want.GasUsed)
	}
	if len(got.Receipts) != len(want.Receipts) {
		t.Fatalf("%s: %d receipts, want %d", what, len(got.Receipts), len(want.Receipts))
	}
	for i := range got.Receipts {
		if !sameReceipt(got.Receipts[i], want.Receipts[i]) {
			t.Errorf("%s: receipt %d %+v, want %+v", what, i, got.Receipts[i], want.Receipts[i])
		}
	}
}

// notIncludableStatus checks that err is a refusal (ErrNotIncludable and a
// *NotIncludableError) and returns its reason.
func notIncludableStatus(t *testing.T, err error) types.TxStatus {
	t.Helper()
	if err == nil {
		t.Fatal("accepted, want ErrNotIncludable")
	}
	if !errors.Is(err, exec.ErrNotIncludable) {
		t.Fatalf("error %v does not wrap ErrNotIncludable", err)
	}
	var ne *exec.NotIncludableError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v is not a *NotIncludableError", err)
	}
	return ne.Status
}

// ---------------------------------------------------------------------------
// (a) Not includable: the block is invalid.

type refusalCase struct {
	name   string
	prefix []types.Transaction // included before the refused transaction
	bad    types.Transaction
	suffix []types.Transaction // included after it; all must succeed
	want   types.TxStatus
}

func refusalCases() []refusalCase {
	fill999 := make([]types.Transaction, 999)
	for i := range fill999 {
		fill999[i] = transfer(alice, bob, 1, types.AssetOrama, uint64(i))
	}
	next := func(nonce uint64) []types.Transaction {
		return []types.Transaction{transfer(alice, bob, 1, types.AssetOrama, nonce)}
	}
	t0 := transfer(alice, bob, 1, types.AssetOrama, 0)

	return []refusalCase{
		{name: "GasLimitTooLow/transfer", bad: with(t0, func(tx *types.Transaction) { tx.GasLimit = transferGas - 1 }),
			suffix: next(0), want: types.TxStatusGasLimitTooLow},
		{name: "GasLimitTooLow/zero", bad: with(t0, func(tx *types.Transaction) { tx.GasLimit = 0 }),
			suffix: next(0), want: types.TxStatusGasLimitTooLow},
		// 100 covers the type's gas but not the 9 data bytes.
		{name: "GasLimitTooLow/claim data bytes", bad: with(claim(alice, "alice", 0), func(tx *types.Transaction) { tx.GasLimit = params.GasClaimUsername + 8 }),
			suffix: []types.Transaction{claim(alice, "alice", 0)}, want: types.TxStatusGasLimitTooLow},
		// Inactive types have an intrinsic gas too: a Shield is 4 transfers.
		{name: "GasLimitTooLow/inactive type", bad: with(t0, func(tx *types.Transaction) { tx.Type, tx.GasLimit = types.TxTypeShield, 4*transferGas-1 }),
			suffix: next(0), want: types.TxStatusGasLimitTooLow},
		// 999 transfers leave 100 gas: a 109-gas claim does not fit, a
		// 100-gas transfer after it still does.
		{name: "BlockGasExceeded/claim", prefix: fill999, bad: claim(alice, "alice", 999),
			suffix: next(999), want: types.TxStatusBlockGasExceeded},
		// The whole gas limit is reserved: this transfer would only use 100
		// gas, which is left, but it asks for 101.
		{name: "BlockGasExceeded/limit above gas left", prefix: fill999,
			bad:    with(transfer(alice, bob, 1, types.AssetOrama, 999), func(tx *types.Transaction) { tx.GasLimit = transferGas + 1 }),
			suffix: next(999), want: types.TxStatusBlockGasExceeded},
		{name: "BlockGasExceeded/above block limit", bad: with(t0, func(tx *types.Transaction) { tx.GasLimit = params.BlockGasLimit + 1 }),
			suffix: next(0), want: types.TxStatusBlockGasExceeded},
		{name: "TipAboveFeeCap", bad: with(t0, func(tx *types.Transaction) { tx.GasTipCap = defaultCap + 1 }),
			suffix: next(0), want: types.TxStatusTipAboveFeeCap},
		{name: "FeeCapBelowBaseFee", bad: with(t0, func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase-1, 0 }),
			suffix: next(0), want: types.TxStatusFeeCapBelowBaseFee},
		{name: "BadNonce/ahead", bad: transfer(alice, bob, 1, types.AssetOrama, 5),
			suffix: next(0), want: types.TxStatusBadNonce},
		{name: "BadNonce/replay", prefix: next(0), bad: transfer(alice, bob, 2, types.AssetOrama, 0),
			suffix: next(1), want: types.TxStatusBadNonce},
		{name: "BadNonce/same bytes twice", prefix: []types.Transaction{t0}, bad: t0,
			suffix: next(1), want: types.TxStatusBadNonce},
		// A failed transaction used its nonce too.
		{name: "BadNonce/after a failure", prefix: []types.Transaction{claim(alice, "bob", 0)}, bad: claim(alice, "alice", 0),
			suffix: []types.Transaction{claim(alice, "alice", 1)}, want: types.TxStatusBadNonce},
		{name: "BadNonce/absent sender ahead", bad: transfer(carol, bob, 0, types.AssetOrama, 1), want: types.TxStatusBadNonce},
		// 100 x 2^62 wraps.
		{name: "AmountOverflow/max fee", bad: with(t0, func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = 1<<62, 0 }),
			suffix: next(0), want: types.TxStatusAmountOverflow},
		// dave holds 1,000 rays: gas_limit x fee_cap = 100 x 20 = 2,000 is too
		// much even for a zero amount; 100 x 10 = 1,000 is exactly enough.
		{name: "InsufficientBalance/max fee", bad: transfer(dave, bob, 0, types.AssetOrama, 0),
			suffix: []types.Transaction{with(transfer(dave, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 })},
			want:   types.TxStatusInsufficientBalance},
		// The gas limit is reserved, not the gas used: 200 x 10 = 2,000 > 1,000
		// although the transfer would only pay 100 x 10.
		{name: "InsufficientBalance/reserved gas limit", bad: with(transfer(dave, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) {
			tx.GasFeeCap, tx.GasTipCap, tx.GasLimit = defaultBase, 0, 2*transferGas
		}), want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/absent sender", bad: transfer(carol, bob, 0, types.AssetOrama, 0), want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/absent sender zero fee tip", bad: with(transfer(carol, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 }),
			want: types.TxStatusInsufficientBalance},
		// A sender that spent its ORAMA earlier in the block.
		{name: "InsufficientBalance/spent in the block", prefix: []types.Transaction{with(transfer(dave, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 })},
			bad: with(transfer(dave, bob, 0, types.AssetOrama, 1), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 }), want: types.TxStatusInsufficientBalance},

		// The order of the rules: the first that fails is the reason.
		{name: "order/GasLimitTooLow first", bad: with(transfer(carol, bob, 0, types.AssetOrama, 9), func(tx *types.Transaction) {
			tx.GasLimit, tx.GasTipCap, tx.GasFeeCap = 1, 5, 1
		}), want: types.TxStatusGasLimitTooLow},
		{name: "order/BlockGasExceeded before TipAboveFeeCap", bad: with(transfer(carol, bob, 0, types.AssetOrama, 9), func(tx *types.Transaction) {
			tx.GasLimit, tx.GasTipCap, tx.GasFeeCap = params.BlockGasLimit+1, 5, 1
		}), want: types.TxStatusBlockGasExceeded},
		{name: "order/TipAboveFeeCap before FeeCapBelowBaseFee", bad: with(transfer(carol, bob, 0, types.AssetOrama, 9), func(tx *types.Transaction) {
			tx.GasTipCap, tx.GasFeeCap = 5, 1
		}), want: types.TxStatusTipAboveFeeCap},
		{name: "order/FeeCapBelowBaseFee before BadNonce", bad: with(transfer(carol, bob, 0, types.AssetOrama, 9), func(tx *types.Transaction) {
			tx.GasTipCap, tx.GasFeeCap = 0, defaultBase-1
		}), want: types.TxStatusFeeCapBelowBaseFee},
		{name: "order/BadNonce before AmountOverflow", bad: with(transfer(carol, bob, 0, types.AssetOrama, 9), func(tx *types.Transaction) {
			tx.GasTipCap, tx.GasFeeCap = 0, 1<<62
		}), want: types.TxStatusBadNonce},
		{name: "order/AmountOverflow before InsufficientBalance", bad: with(transfer(carol, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) {
			tx.GasTipCap, tx.GasFeeCap = 0, 1<<62
		}), want: types.TxStatusAmountOverflow},
		// The type's rules are not includability rules: an inactive type
		// with a bad nonce is refused for the nonce.
		{name: "order/BadNonce before the type", bad: with(transfer(alice, bob, 1, types.AssetOrama, 3), func(tx *types.Transaction) { tx.Type = types.TxTypeStake }),
			suffix: next(0), want: types.TxStatusBadNonce},
	}
}

// TestNotIncludable checks, for every includability rule, that:
//   - Execute refuses the block with ErrNotIncludable, the rule's status and
//     the transaction's index;
//   - the State it was given is back at the parent: same root, every account
//     and the supply as before, and executing the block without the
//     refused transaction on it gives the same result as on a fresh state;
//   - Block.Apply refuses the transaction without changing the block (Len,
//     GasLeft) or the staged state, and the block it then builds is the
//     block without the refused transaction.
func TestNotIncludable(t *testing.T) {
	for _, tc := range refusalCases() {
		t.Run(tc.name, func(t *testing.T) {
			g := baseGenesis()
			env := defaultEnv()
			withBad := append(append(append([]types.Transaction{}, tc.prefix...), tc.bad), tc.suffix...)
			without := append(append([]types.Transaction{}, tc.prefix...), tc.suffix...)
			i := len(tc.prefix)

			// The block without the refused transaction, on a fresh chain.
			_, want := runBlock(t, g, env, without...)
			for j, r := range want.Receipts {
				if j >= i && r.Status != types.TxStatusSuccess {
					t.Fatalf("suffix tx %d: %v, want Success", j-i, r.Status)
				}
			}

			// Execute refuses the block with the bad transaction.
			c := newChain(t, g)
			parent := readWorld(t, c.state())
			st := c.state()
			res, err := exec.Execute(st, env, withBad)
			if res != nil {
				t.Errorf("Execute returned a result with its error: %+v", res)
			}
			if got := notIncludableStatus(t, err); got != tc.want {
				t.Errorf("status %v, want %v (%v)", got, tc.want, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("transaction %d:", i)) {
				t.Errorf("error %q does not name transaction %d", err, i)
			}
			if st.Root() != c.root {
				t.Errorf("state root moved to %v", st.Root())
			}
			sameWorld(t, "the State after the refusal", readWorld(t, st), parent)
			sameWorld(t, "the committed state after the refusal", readWorld(t, c.state()), parent)
			// The same State is still usable: nothing staged is left over.
			again, err := exec.Execute(st, env, without)
			if err != nil {
				t.Fatalf("Execute after the refusal: %v", err)
			}
			sameResult(t, "Execute on the State that refused", again, want)

			// Block.Apply: a proposer building the same block.
			cb := newChain(t, g)
			stb := cb.state()
			b := exec.Begin(stb, env, len(withBad))
			for j := range tc.prefix {
				if _, err := b.Apply(&tc.prefix[j]); err != nil {
					t.Fatalf("prefix tx %d: %v", j, err)
				}
			}
			staged, left := readWorld(t, stb), b.GasLeft()
			bad := tc.bad
			rcpt, err := b.Apply(&bad)
			if got := notIncludableStatus(t, err); got != tc.want {
				t.Errorf("Apply: status %v, want %v", got, tc.want)
			}
			if !sameReceipt(rcpt, types.Receipt{}) {
				t.Errorf("Apply returned receipt %+v with its refusal", rcpt)
			}
			if b.Len() != i || b.GasLeft() != left {
				t.Errorf("after the refusal Len %d GasLeft %d, want %d %d", b.Len(), b.GasLeft(), i, left)
			}
			sameWorld(t, "staged state after the refused Apply", readWorld(t, stb), staged)
			for j := range tc.suffix {
				if _, err := b.Apply(&tc.suffix[j]); err != nil {
					t.Fatalf("suffix tx %d: %v", j, err)
				}
			}
			built, err := b.Finish()
			if err != nil {
				t.Fatal(err)
			}
			sameResult(t, "block built around the refusal", built, want)
		})
	}
}

// A transaction, included or failed, can never be included again: its
// nonce is spent, so the same bytes are refused in a later block too.
func TestSameTransactionInTwoBlocks(t *testing.T) {
	ok := transfer(alice, bob, 1, types.AssetOrama, 0)
	failing := claim(alice, "bob", 1)
	c := newChain(t, baseGenesis())
	res := c.exec(defaultEnv(), ok, failing)
	if res.Receipts[0].Status != types.TxStatusSuccess || res.Receipts[1].Status != types.TxStatusUsernameTaken {
		t.Fatalf("statuses %v %v", res.Receipts[0].Status, res.Receipts[1].Status)
	}
	for _, tx := range []types.Transaction{ok, failing} {
		_, err := exec.Execute(c.state(), exec.Env{Height: 2, Proposer: proposer, BaseFee: defaultBase}, []types.Transaction{tx})
		if got := notIncludableStatus(t, err); got != types.TxStatusBadNonce {
			t.Errorf("%v again: %v, want BadNonce", txHash(t, tx), got)
		}
	}
}

// The edges of the includability rules are includable: a gas limit equal
// to the gas left (the gas left counts gas used, not limits reserved), a
// fee cap equal to the base fee, a tip cap equal to the fee cap, and a
// balance equal to gas_limit x fee_cap.
func TestIncludableBoundaries(t *testing.T) {
	whole := with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasLimit = params.BlockGasLimit })
	rest := with(transfer(alice, bob, 1, types.AssetOrama, 1), func(tx *types.Transaction) { tx.GasLimit = params.BlockGasLimit - transferGas })
	atBase := with(transfer(alice, bob, 1, types.AssetOrama, 2), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 })
	tipIsCap := with(transfer(alice, bob, 1, types.AssetOrama, 3), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = 15, 15 })
	daveAll := with(transfer(dave, bob, 0, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = defaultBase, 0 })

	env := defaultEnv()
	st := newChain(t, baseGenesis()).state()
	b := exec.Begin(st, env, 5)
	for i, tx := range []types.Transaction{whole, rest, atBase, tipIsCap, daveAll} {
		r, err := b.Apply(&tx)
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
		if r.Status != types.TxStatusSuccess || r.GasUsed != transferGas {
			t.Errorf("tx %d: %v gas %d", i, r.Status, r.GasUsed)
		}
	}
	// tipIsCap pays min(15, 15 - 10) = 5 per gas of tip.
	res, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Receipts[3]; r.FeeBurned != transferGas*defaultBase || r.FeeTip != transferGas*5 {
		t.Errorf("tip-is-cap receipt burned %d tip %d", r.FeeBurned, r.FeeTip)
	}
	if res.GasUsed != 5*transferGas {
		t.Errorf("gas used %d", res.GasUsed)
	}
	// One more gas than is left is refused.
	b = exec.Begin(newChain(t, baseGenesis()).state(), env, 2)
	if _, err := b.Apply(&whole); err != nil {
		t.Fatal(err)
	}
	over := with(rest, func(tx *types.Transaction) { tx.GasLimit++ })
	if _, err := b.Apply(&over); notIncludableStatus(t, err) != types.TxStatusBlockGasExceeded {
		t.Errorf("gas limit one above the gas left: %v", err)
	}
}

// ---------------------------------------------------------------------------
// (b) Included but failed: the fee is paid and the nonce used, nothing else.

type failCase struct {
	name   string
	env    func(*exec.Env) // nil: defaultEnv
	prefix []types.Transaction
	tx     types.Transaction
	gas    uint64 // its intrinsic gas, written out
	want   types.TxStatus
}

func failCases() []failCase {
	longName := strings.Repeat("a", params.MaxUsernameBytes+1)
	overLong := binary.LittleEndian.AppendUint32(nil, uint32(len(longName)))
	overLong = append(overLong, longName...)
	t0 := transfer(alice, bob, 1, types.AssetOrama, 0)
	c0 := claim(alice, "alice", 0)
	n0 := nsCreate(alice, "demo", types.NamespaceTierTier0, 0, 0)
	fee := transferGas * (defaultBase + defaultTip) // what a default transfer pays

	return []failCase{
		{name: "UnsupportedType/stake", tx: with(t0, func(tx *types.Transaction) { tx.Type = types.TxTypeStake }),
			gas: params.GasStake, want: types.TxStatusUnsupportedType},
		{name: "UnsupportedType/shield", tx: with(t0, func(tx *types.Transaction) { tx.Type, tx.GasLimit = types.TxTypeShield, 10_000 }),
			gas: 4 * transferGas, want: types.TxStatusUnsupportedType},
		// Pays the intrinsic gas (101), not the gas limit (1,000).
		{name: "InvalidPayload/transfer with data", tx: with(t0, func(tx *types.Transaction) { tx.Data, tx.GasLimit = []byte{0}, 1000 }),
			gas: transferGas + 1, want: types.TxStatusInvalidPayload},
		{name: "InvalidPayload/claim garbage", tx: with(c0, func(tx *types.Transaction) { tx.Data = []byte{0xff} }),
			gas: params.GasClaimUsername + 1, want: types.TxStatusInvalidPayload},
		{name: "InvalidPayload/claim over max length", tx: with(c0, func(tx *types.Transaction) { tx.Data, tx.GasLimit = overLong, 1000 }),
			gas: params.GasClaimUsername + uint64(len(overLong)), want: types.TxStatusInvalidPayload},
		{name: "InvalidRecipient/claim with to", tx: with(c0, func(tx *types.Transaction) { tx.To = bob }),
			gas: 109, want: types.TxStatusInvalidRecipient},
		{name: "InvalidRecipient/claim to absent account", tx: with(c0, func(tx *types.Transaction) { tx.To = carol }),
			gas: 109, want: types.TxStatusInvalidRecipient},
		{name: "InvalidAmount/claim with amount", tx: with(c0, func(tx *types.Transaction) { tx.Amount = 1 }),
			gas: 109, want: types.TxStatusInvalidAmount},
		{name: "InvalidAmount/claim with asset", tx: with(c0, func(tx *types.Transaction) { tx.Asset = types.AssetBTC }),
			gas: 109, want: types.TxStatusInvalidAmount},
		{name: "UsernameInvalid/uppercase", tx: claim(alice, "Alice", 0), gas: 109, want: types.TxStatusUsernameInvalid},
		{name: "UsernameInvalid/too short", tx: claim(alice, "al", 0), gas: 106, want: types.TxStatusUsernameInvalid},
		{name: "UsernameInvalid/space", tx: claim(alice, "al ice", 0), gas: 110, want: types.TxStatusUsernameInvalid},
		{name: "UsernameAlreadySet/genesis", tx: claim(bob, "bobby", 0), gas: 109, want: types.TxStatusUsernameAlreadySet},
		{name: "UsernameAlreadySet/same block", prefix: []types.Transaction{c0}, tx: claim(alice, "alice2", 1),
			gas: 110, want: types.TxStatusUsernameAlreadySet},
		// Already set is checked before taken.
		{name: "UsernameAlreadySet/name taken too", tx: claim(bob, "bob", 0), gas: 107, want: types.TxStatusUsernameAlreadySet},
		{name: "UsernameTaken/genesis", tx: claim(alice, "bob", 0), gas: 107, want: types.TxStatusUsernameTaken},
		{name: "UsernameTaken/same block", prefix: []types.Transaction{claim(alice, "zed", 0)}, tx: claim(whale, "zed", 0),
			gas: 107, want: types.TxStatusUsernameTaken},
		// The amount is checked against the balance after the fee: alice can
		// send aliceRays - fee (TestAmountAfterFee), not one ray more.
		{name: "InsufficientBalance/orama after the fee", tx: transfer(alice, bob, aliceRays-fee+1, types.AssetOrama, 0),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/orama whole balance", tx: transfer(alice, bob, aliceRays, types.AssetOrama, 0),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		// No overflow of amount + fee: the amount is compared after the fee.
		{name: "InsufficientBalance/orama max amount", tx: transfer(alice, bob, ^uint64(0), types.AssetOrama, 0),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		// The recipient's leaf is not written, so it is not created.
		{name: "InsufficientBalance/to absent account", tx: transfer(alice, carol, aliceRays, types.AssetOrama, 0),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		// The proposer as recipient gets the tip and not the amount.
		{name: "InsufficientBalance/to the proposer", env: func(e *exec.Env) { e.Proposer = bob },
			tx: transfer(alice, bob, aliceRays, types.AssetOrama, 0), gas: transferGas, want: types.TxStatusInsufficientBalance},
		// The proposer as sender gets its own tip back.
		{name: "InsufficientBalance/sender is the proposer", env: func(e *exec.Env) { e.Proposer = alice },
			tx: transfer(alice, bob, aliceRays, types.AssetOrama, 0), gas: transferGas, want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/no tip", tx: with(transfer(alice, bob, aliceRays, types.AssetOrama, 0), func(tx *types.Transaction) { tx.GasTipCap = 0 }),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		{name: "InsufficientBalance/btc", tx: transfer(alice, bob, aliceSats+1, types.AssetBTC, 0),
			gas: transferGas, want: types.TxStatusInsufficientBalance},
		// dave holds no BTC and 1,000 rays, exactly 100 x 10 of reserve.
		{name: "InsufficientBalance/btc none", tx: with(transfer(dave, bob, 1, types.AssetBTC, 0), func(tx *types.Transaction) { tx.GasFeeCap = 10 }),
			env: func(e *exec.Env) { e.BaseFee = 1 }, gas: transferGas, want: types.TxStatusInsufficientBalance},
		// whale holds 2^64 - 11 sats: 11 more would wrap (10 fit, see
		// TestBTCBalanceAtMax).
		{name: "AmountOverflow/btc recipient", tx: transfer(alice, whale, 11, types.AssetBTC, 0),
			gas: transferGas, want: types.TxStatusAmountOverflow},

		// Namespaces (spec/namespaces.md 3.1): a create's data is 4 + len(name) + 2 bytes.
		{name: "InvalidRecipient/namespace create with to", tx: with(n0, func(tx *types.Transaction) { tx.To = bob }),
			gas: 510, want: types.TxStatusInvalidRecipient},
		{name: "InvalidRecipient/namespace delete with to", tx: with(nsDelete(alice, "demo", 0), func(tx *types.Transaction) { tx.To = bob }),
			gas: 108, want: types.TxStatusInvalidRecipient},
		{name: "InvalidAmount/namespace create with amount", tx: with(n0, func(tx *types.Transaction) { tx.Amount = 1 }),
			gas: 510, want: types.TxStatusInvalidAmount},
		{name: "InvalidAmount/namespace delete with asset", tx: with(nsDelete(alice, "demo", 0), func(tx *types.Transaction) { tx.Asset = types.AssetBTC }),
			gas: 108, want: types.TxStatusInvalidAmount},
		// Tier 2 is no NamespaceTier: the data is not the payload.
		{name: "InvalidPayload/namespace tier 2", tx: with(n0, func(tx *types.Transaction) { tx.Data = append(tx.Data[:len(tx.Data)-2:len(tx.Data)-2], 2, 0) }),
			gas: 510, want: types.TxStatusInvalidPayload},
		{name: "InvalidNamespace/short name", tx: nsCreate(alice, "ab", types.NamespaceTierTier0, 0, 0), gas: 508, want: types.TxStatusInvalidNamespace},
		{name: "InvalidNamespace/uppercase", tx: nsCreate(alice, "Demo", types.NamespaceTierTier0, 0, 0), gas: 510, want: types.TxStatusInvalidNamespace},
		{name: "InvalidNamespace/eight nodes", tx: nsCreate(alice, "demo", types.NamespaceTierTier0, 8, 0), gas: 510, want: types.TxStatusInvalidNamespace},
		{name: "InvalidNamespace/delete of a bad name", tx: nsDelete(alice, "-demo", 0), gas: 109, want: types.TxStatusInvalidNamespace},
		// A Tier 1 namespace on one node while the pool has three.
		{name: "InvalidNamespace/tier 1 on one node", env: func(e *exec.Env) { e.Validators = []types.Address{proposer, bob, dave} },
			tx: nsCreate(alice, "demo", types.NamespaceTierTier1, 1, 0), gas: 510, want: types.TxStatusInvalidNamespace},
		{name: "NamespaceExists/same block", prefix: []types.Transaction{n0}, tx: nsCreate(whale, "demo", types.NamespaceTierTier0, 0, 0),
			gas: 510, want: types.TxStatusNamespaceExists},
		{name: "NamespacePoolFull/two nodes of one", tx: nsCreate(alice, "demo", types.NamespaceTierTier0, 2, 0), gas: 510, want: types.TxStatusNamespacePoolFull},
		{name: "NamespacePoolFull/no pool", env: func(e *exec.Env) { e.Validators = nil }, tx: n0, gas: 510, want: types.TxStatusNamespacePoolFull},
		{name: "UnknownNamespace/never created", tx: nsDelete(alice, "demo", 0), gas: 108, want: types.TxStatusUnknownNamespace},
		{name: "UnknownNamespace/deleted in the block", prefix: []types.Transaction{n0, nsDelete(alice, "demo", 1)},
			tx: nsDelete(alice, "demo", 2), gas: 108, want: types.TxStatusUnknownNamespace},
		{name: "NotOwner/another sender", prefix: []types.Transaction{n0}, tx: nsDelete(whale, "demo", 0), gas: 108, want: types.TxStatusNotOwner},
		{name: "NamespaceNotEmpty/tier 1", prefix: []types.Transaction{nsCreate(alice, "vault", types.NamespaceTierTier1, 0, 0)},
			tx: nsDelete(alice, "vault", 1), gas: 109, want: types.TxStatusNamespaceNotEmpty},
	}
}

// TestFailuresPayAndChangeNothingElse executes each failing transaction
// after its prefix and compares with the block of the prefix alone: the
// receipt has the failure's status, gas_used = the intrinsic gas, the fee
// burned and tipped at the block's base fee, and no events; the block's
// gas_used counts it; the sender paid exactly that fee and its nonce moved
// by one; the proposer got exactly the tip; burned_rays grew by exactly the
// burned fee; every other account (the recipient in particular, and
// whether it has a leaf) and every username are as without it; and the
// sender's next nonce is the one after.
func TestFailuresPayAndChangeNothingElse(t *testing.T) {
	for _, tc := range failCases() {
		t.Run(tc.name, func(t *testing.T) {
			env := defaultEnv()
			if tc.env != nil {
				tc.env(&env)
			}
			if g := txrules.IntrinsicGas(&tc.tx); g != tc.gas {
				t.Fatalf("intrinsic gas %d, the case says %d", g, tc.gas)
			}
			tip := min(tc.tx.GasTipCap, tc.tx.GasFeeCap-env.BaseFee)
			burned, tipped := tc.gas*env.BaseFee, tc.gas*tip

			cw := newChain(t, baseGenesis())
			rw := cw.exec(env, append(append([]types.Transaction{}, tc.prefix...), tc.tx)...)
			co := newChain(t, baseGenesis())
			ro := co.exec(env, tc.prefix...)

			i := len(tc.prefix)
			want := types.Receipt{TxHash: txHash(t, tc.tx), Status: tc.want, GasUsed: tc.gas, FeeBurned: burned, FeeTip: tipped}
			if got := rw.Receipts[i]; !sameReceipt(got, want) {
				t.Fatalf("receipt %+v, want %+v", got, want)
			}
			if rw.GasUsed != ro.GasUsed+tc.gas {
				t.Errorf("block gas %d, want %d + %d", rw.GasUsed, ro.GasUsed, tc.gas)
			}
			for j := range ro.Receipts {
				if !sameReceipt(rw.Receipts[j], ro.Receipts[j]) {
					t.Errorf("prefix receipt %d differs", j)
				}
			}

			// Expected: the prefix-only world, plus the fee and the nonce.
			exp := readWorld(t, co.state())
			s := exp.accounts[tc.tx.From]
			s.Nonce++
			s.OramaBalance -= burned + tipped
			exp.accounts[tc.tx.From] = s
			p := exp.accounts[env.Proposer]
			p.OramaBalance += tipped
			exp.accounts[env.Proposer] = p
			exp.supply.BurnedRays += burned
			sameWorld(t, "after the failed transaction", readWorld(t, cw.state()), exp)

			// The only leaves written are the sender's and the proposer's
			// (which had one already): no recipient leaf appears.
			lw, lo := cw.leaves(), co.leaves()
			for _, a := range watched {
				if lw[a] != lo[a] && a != tc.tx.From {
					t.Errorf("leaf of %v: %v with the failure, %v without", a, lw[a], lo[a])
				}
			}
			// No username moved.
			for _, name := range []string{"alice", "alice2", "bob", "bobby", "zed", "Alice", "al", "al ice"} {
				aw, okw := owner(t, cw, name)
				ao, oko := owner(t, co, name)
				if aw != ao || okw != oko {
					t.Errorf("username %q: owner %v %v with the failure, %v %v without", name, aw, okw, ao, oko)
				}
			}

			// No namespace or node slot moved.
			for _, name := range []string{"demo", "vault", "ab", "Demo", "-demo"} {
				rw, okw, err1 := cw.state().Namespace(name)
				ro, oko, err2 := co.state().Namespace(name)
				if err1 != nil || err2 != nil || okw != oko || !reflect.DeepEqual(rw, ro) {
					t.Errorf("namespace %q: %+v %v with the failure, %+v %v without (%v %v)", name, rw, okw, ro, oko, err1, err2)
				}
			}
			for _, a := range watched {
				nw, err1 := cw.state().NodeNamespaces(a)
				no, err2 := co.state().NodeNamespaces(a)
				if err1 != nil || err2 != nil || !reflect.DeepEqual(nw, no) {
					t.Errorf("node %v: slots %+v with the failure, %+v without", a, nw, no)
				}
			}

			// The nonce is spent: the next transaction of the sender follows it.
			nextTx := transfer(tc.tx.From, bob, 0, types.AssetOrama, tc.tx.Nonce+1)
			nextTx.GasFeeCap, nextTx.GasTipCap = env.BaseFee, 0
			rn := cw.exec(exec.Env{Height: 2, Proposer: env.Proposer, BaseFee: env.BaseFee}, nextTx)
			if rn.Receipts[0].Status != types.TxStatusSuccess {
				t.Errorf("next nonce: %v", rn.Receipts[0].Status)
			}
		})
	}
}

// A transaction that has no encoding (an unknown asset) has no hash and
// cannot be in a block: Apply refuses it and Execute rejects the block.
func TestUnencodableNotIncludable(t *testing.T) {
	tx := with(transfer(alice, bob, 1, types.AssetOrama, 0), func(tx *types.Transaction) { tx.Asset = types.Asset(7) })
	c := newChain(t, baseGenesis())
	_, err := exec.Execute(c.state(), defaultEnv(), []types.Transaction{tx})
	notIncludableStatus(t, err)
	b := exec.Begin(c.state(), defaultEnv(), 1)
	if _, err := b.Apply(&tx); notIncludableStatus(t, err) != types.TxStatusInvalidPayload || b.Len() != 0 || b.GasLeft() != params.BlockGasLimit {
		t.Errorf("Apply: %v, Len %d", err, b.Len())
	}
}

// A sender can spend everything the fee leaves: the failure boundary of
// "InsufficientBalance/orama after the fee".
func TestAmountAfterFee(t *testing.T) {
	fee := transferGas * (defaultBase + defaultTip)
	c, res := runBlock(t, baseGenesis(), defaultEnv(), transfer(alice, bob, aliceRays-fee, types.AssetOrama, 0))
	if res.Receipts[0].Status != types.TxStatusSuccess {
		t.Fatalf("status %v", res.Receipts[0].Status)
	}
	if got := c.account(alice).OramaBalance; got != 0 {
		t.Errorf("alice keeps %d", got)
	}
}

// The failure's state root does not depend on why it failed: two failures
// with the same sender, nonce, gas and caps leave the same state.
func TestFailureRootIndependentOfReason(t *testing.T) {
	a := transfer(alice, bob, aliceRays, types.AssetOrama, 0)                 // InsufficientBalance
	b := transfer(alice, carol, aliceSats+1, types.AssetBTC, 0)               // InsufficientBalance (BTC), absent recipient
	s := with(a, func(tx *types.Transaction) { tx.Type = types.TxTypeStake }) // UnsupportedType, 100 gas too
	_, ra := runBlock(t, baseGenesis(), defaultEnv(), a)
	for _, tx := range []types.Transaction{b, s} {
		_, r := runBlock(t, baseGenesis(), defaultEnv(), tx)
		if r.StateRoot != ra.StateRoot || r.Receipts[0].Status == types.TxStatusSuccess {
			t.Errorf("%v: root %v status %v, want root %v", tx.Type, r.StateRoot, r.Receipts[0].Status, ra.StateRoot)
		}
	}
}

// TestEveryReachableStatusCovered fails when a TxStatus that execution can
// return, as a refusal or a failure, has no case. InvalidSignature and
// WrongChain are checked before execution (signatures are verified outside
// runtime/exec).
func TestEveryReachableStatusCovered(t *testing.T) {
	covered := map[types.TxStatus]bool{}
	for _, tc := range refusalCases() {
		covered[tc.want] = true
	}
	for _, tc := range failCases() {
		covered[tc.want] = true
	}
	for s := types.TxStatus(0); s.Valid(); s++ {
		switch s {
		case types.TxStatusSuccess, types.TxStatusInvalidSignature, types.TxStatusWrongChain:
			continue
		}
		if !covered[s] {
			t.Errorf("no refusal or failure case for %v", s)
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
