package txrules_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// transfer is a valid ORAMA transfer: it passes CheckStatic.
func transfer() *types.Transaction {
	return &types.Transaction{
		Type:      types.TxTypeTransfer,
		From:      types.Address{1},
		To:        types.Address{2},
		Amount:    1_000,
		Asset:     types.AssetOrama,
		Nonce:     0,
		GasLimit:  params.GasTransfer,
		GasTipCap: 1,
		GasFeeCap: params.InitialBaseFee,
	}
}

// claimData is the Borsh encoding of a ClaimUsernamePayload.
func claimData(t testing.TB, name string) []byte {
	t.Helper()
	p := types.ClaimUsernamePayload{Username: name}
	b, err := p.MarshalBorsh()
	if err != nil {
		t.Fatalf("encode ClaimUsernamePayload(%q): %v", name, err)
	}
	return b
}

// claim is a valid ClaimUsername for name: no recipient, no amount, and a
// gas limit covering the data bytes.
func claim(t testing.TB, name string) *types.Transaction {
	tx := transfer()
	tx.Type = types.TxTypeClaimUsername
	tx.To = types.Address{}
	tx.Amount = 0
	tx.Data = claimData(t, name)
	tx.GasLimit = params.GasClaimUsername + uint64(len(tx.Data))*params.GasPerDataByte
	return tx
}

func TestCheckStatic(t *testing.T) {
	// A 4-byte length prefix plus the name.
	aliceData := claimData(t, "alice")
	if len(aliceData) != 9 {
		t.Fatalf("ClaimUsernamePayload(alice) is %d bytes, want 9", len(aliceData))
	}
	tests := []struct {
		name   string
		tx     func() *types.Transaction
		want   error // nil: accepted
		status types.TxStatus
	}{
		{"transfer orama", transfer, nil, types.TxStatusSuccess},
		{"transfer btc", func() *types.Transaction {
			tx := transfer()
			tx.Asset = types.AssetBTC
			return tx
		}, nil, types.TxStatusSuccess},
		{"transfer tip equals fee cap", func() *types.Transaction {
			tx := transfer()
			tx.GasTipCap = tx.GasFeeCap
			return tx
		}, nil, types.TxStatusSuccess},
		{"transfer gas limit above intrinsic", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = params.BlockGasLimit
			return tx
		}, nil, types.TxStatusSuccess},
		{"gas limit above the block gas limit", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = params.BlockGasLimit + 1
			return tx
		}, txrules.ErrGasLimitAboveBlock, types.TxStatusBlockGasExceeded},
		{"gas limit max u64", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = math.MaxUint64
			return tx
		}, txrules.ErrGasLimitAboveBlock, types.TxStatusBlockGasExceeded},
		{"transfer with one data byte", func() *types.Transaction {
			tx := transfer()
			tx.Data = []byte{0}
			tx.GasLimit = params.GasTransfer + 1
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"transfer with a payload-shaped data", func() *types.Transaction {
			tx := transfer()
			tx.Data = aliceData
			tx.GasLimit = params.GasTransfer + uint64(len(aliceData))
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"transfer unknown asset", func() *types.Transaction {
			tx := transfer()
			tx.Asset = types.Asset(2)
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"transfer gas limit one below intrinsic", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = params.GasTransfer - 1
			return tx
		}, txrules.ErrGasLimitTooLow, types.TxStatusGasLimitTooLow},
		{"transfer zero gas limit", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = 0
			return tx
		}, txrules.ErrGasLimitTooLow, types.TxStatusGasLimitTooLow},
		{"transfer tip above fee cap", func() *types.Transaction {
			tx := transfer()
			tx.GasTipCap = tx.GasFeeCap + 1
			return tx
		}, txrules.ErrTipAboveFeeCap, types.TxStatusTipAboveFeeCap},

		{"claim username", func() *types.Transaction { return claim(t, "alice") }, nil, types.TxStatusSuccess},
		{"claim username longest name", func() *types.Transaction {
			return claim(t, "abcdefghijklmnopqrstuvwxyz012345")
		}, nil, types.TxStatusSuccess},
		{"claim username with recipient", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.To = types.Address{19: 1}
			return tx
		}, txrules.ErrInvalidRecipient, types.TxStatusInvalidRecipient},
		{"claim username bad format", func() *types.Transaction { return claim(t, "Alice") },
			txrules.ErrUsernameInvalid, types.TxStatusUsernameInvalid},
		{"claim username with asset", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Asset = types.AssetBTC
			return tx
		}, txrules.ErrInvalidAmount, types.TxStatusInvalidAmount},
		{"claim username with amount", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Amount = 1
			return tx
		}, txrules.ErrInvalidAmount, types.TxStatusInvalidAmount},
		{"claim username empty data", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Data = nil
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"claim username trailing byte", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Data = append(append([]byte{}, aliceData...), 0)
			tx.GasLimit++
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"claim username truncated", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Data = aliceData[:len(aliceData)-1]
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"claim username name over MaxUsernameBytes", func() *types.Transaction {
			tx := claim(t, "alice")
			// Hand-encode a 33-byte name: the encoder refuses it.
			tx.Data = append([]byte{33, 0, 0, 0}, []byte("abcdefghijklmnopqrstuvwxyz0123456")...)
			tx.GasLimit = params.GasClaimUsername + uint64(len(tx.Data))
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"claim username invalid utf-8", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.Data = []byte{3, 0, 0, 0, 0xff, 0xfe, 0xfd}
			tx.GasLimit = params.GasClaimUsername + uint64(len(tx.Data))
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{"claim username gas limit misses the data bytes", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.GasLimit = params.GasClaimUsername + uint64(len(tx.Data)) - 1
			return tx
		}, txrules.ErrGasLimitTooLow, types.TxStatusGasLimitTooLow},
		{"claim username tip above fee cap", func() *types.Transaction {
			tx := claim(t, "alice")
			tx.GasTipCap, tx.GasFeeCap = 5, 4
			return tx
		}, txrules.ErrTipAboveFeeCap, types.TxStatusTipAboveFeeCap},
		{"type outside the enum", func() *types.Transaction {
			tx := transfer()
			tx.Type = types.TxType(200)
			return tx
		}, txrules.ErrUnsupportedType, types.TxStatusUnsupportedType},
		// The payload check comes before the gas check: a bad payload is
		// reported as such even when the gas limit is also short.
		{"bad payload and low gas", func() *types.Transaction {
			tx := transfer()
			tx.Data = []byte{1, 2, 3}
			tx.GasLimit = 1
			return tx
		}, txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		// The gas check comes before the tip check.
		{"low gas and tip above cap", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = 1
			tx.GasTipCap = tx.GasFeeCap + 1
			return tx
		}, txrules.ErrGasLimitTooLow, types.TxStatusGasLimitTooLow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := tc.tx()
			payload, err := txrules.CheckStatic(tx)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckStatic = %v, want nil", err)
				}
			} else {
				if !errors.Is(err, tc.want) {
					t.Fatalf("CheckStatic = %v, want %v", err, tc.want)
				}
				if payload != nil {
					t.Errorf("CheckStatic returned payload %v with error", payload)
				}
			}
			if got := txrules.Status(err); got != tc.status {
				t.Errorf("Status(%v) = %v, want %v", err, got, tc.status)
			}
		})
	}
}

func TestCheckStaticPayload(t *testing.T) {
	payload, err := txrules.CheckStatic(transfer())
	if err != nil || payload != nil {
		t.Fatalf("transfer: CheckStatic = (%v, %v), want (nil, nil)", payload, err)
	}
	payload, err = txrules.CheckStatic(claim(t, "bob_2"))
	if err != nil {
		t.Fatalf("claim: CheckStatic = %v", err)
	}
	p, ok := payload.(*types.ClaimUsernamePayload)
	if !ok {
		t.Fatalf("claim: payload is %T, want *types.ClaimUsernamePayload", payload)
	}
	if p.Username != "bob_2" {
		t.Errorf("claim: username %q, want %q", p.Username, "bob_2")
	}
}

// Every type that is defined but not active is rejected with
// UnsupportedType, whatever its data and gas.
func TestCheckStaticUnsupportedTypes(t *testing.T) {
	active := 0
	for v := 0; v < 256; v++ {
		typ := types.TxType(v)
		if txrules.Active(typ) {
			active++
			switch typ {
			case types.TxTypeTransfer, types.TxTypeClaimUsername, types.TxTypeNamespaceCreate, types.TxTypeNamespaceDelete:
			default:
				t.Errorf("Active(%v) = true", typ)
			}
			continue
		}
		tx := transfer()
		tx.Type = typ
		tx.GasLimit = math.MaxUint64
		_, err := txrules.CheckStatic(tx)
		if !errors.Is(err, txrules.ErrUnsupportedType) {
			t.Errorf("CheckStatic(%v) = %v, want ErrUnsupportedType", typ, err)
		}
		if got := txrules.Status(err); got != types.TxStatusUnsupportedType {
			t.Errorf("Status(CheckStatic(%v)) = %v", typ, got)
		}
	}
	if active != 4 {
		t.Errorf("%d active types, want 4 (Transfer, ClaimUsername, NamespaceCreate, NamespaceDelete)", active)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		err  error
		want types.TxStatus
	}{
		{nil, types.TxStatusSuccess},
		{txrules.ErrInvalidPayload, types.TxStatusInvalidPayload},
		{txrules.ErrUnsupportedType, types.TxStatusUnsupportedType},
		{txrules.ErrGasLimitTooLow, types.TxStatusGasLimitTooLow},
		{txrules.ErrTipAboveFeeCap, types.TxStatusTipAboveFeeCap},
		{txrules.ErrFeeCapBelowBaseFee, types.TxStatusFeeCapBelowBaseFee},
		{txrules.ErrOverflow, types.TxStatusAmountOverflow},
		{txrules.ErrInvalidRecipient, types.TxStatusInvalidRecipient},
		{txrules.ErrInvalidNamespace, types.TxStatusInvalidNamespace},
		{txrules.ValidNamespaceName("A"), types.TxStatusInvalidNamespace},
		{errors.Join(errors.New("context"), txrules.ErrOverflow), types.TxStatusAmountOverflow},
		// An error that is no rule's maps to InvalidPayload, never Success.
		{errors.New("something else"), types.TxStatusInvalidPayload},
	}
	for _, tc := range tests {
		if got := txrules.Status(tc.err); got != tc.want {
			t.Errorf("Status(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestIntrinsicGas(t *testing.T) {
	tests := []struct {
		typ  types.TxType
		data int
		want uint64
	}{
		{types.TxTypeTransfer, 0, 100},
		{types.TxTypeClaimUsername, 0, 100},
		{types.TxTypeClaimUsername, 9, 109},
		{types.TxTypeStake, 0, 100},
		{types.TxTypeUnstake, 0, 100},
		{types.TxTypeDEXOrder, 18, 118},
		{types.TxTypeDEXCancel, 32, 132},
		{types.TxTypeBridgeDeposit, 0, 100},
		{types.TxTypeBridgeWithdraw, 0, 100},
		{types.TxTypeNamespaceCommit, 0, 200},
		{types.TxTypeNamespaceCreate, 0, 500},
		{types.TxTypeNamespaceCreate, 10, 510},
		{types.TxTypeNamespaceDelete, 8, 108},
		{types.TxTypeGovernancePropose, 0, 100},
		{types.TxTypeGovernanceVote, 0, 100},
		{types.TxTypeReportEquivocation, 0, 100},
		{types.TxTypeShield, 0, 400},
		{types.TxTypeUnshield, 0, 400},
		{types.TxTypePrivateTransfer, 10, 410},
		{types.TxTypeTransfer, params.MaxTxDataBytes, 100 + params.MaxTxDataBytes},
		// An unknown type has no base gas; only its data costs.
		{types.TxType(99), 5, 5},
	}
	for _, tc := range tests {
		tx := &types.Transaction{Type: tc.typ, Data: make([]byte, tc.data)}
		if got := txrules.IntrinsicGas(tx); got != tc.want {
			t.Errorf("IntrinsicGas(%v, %d data bytes) = %d, want %d", tc.typ, tc.data, got, tc.want)
		}
	}
}

// Each data byte adds GasPerDataByte, whatever the type.
func TestIntrinsicGasDataBytes(t *testing.T) {
	for _, typ := range []types.TxType{types.TxTypeTransfer, types.TxTypeClaimUsername, types.TxTypeNamespaceCommit, types.TxTypeShield} {
		base := txrules.IntrinsicGas(&types.Transaction{Type: typ})
		for _, n := range []int{1, 2, 31, 1000, params.MaxTxDataBytes} {
			got := txrules.IntrinsicGas(&types.Transaction{Type: typ, Data: make([]byte, n)})
			if want := base + uint64(n)*params.GasPerDataByte; got != want {
				t.Errorf("IntrinsicGas(%v, %d bytes) = %d, want %d", typ, n, got, want)
			}
		}
	}
}

func TestEffectiveTip(t *testing.T) {
	tests := []struct {
		tip, cap, base uint64
		want           uint64
		err            error
	}{
		{tip: 2, cap: 20, base: 10, want: 2},   // the tip cap binds
		{tip: 15, cap: 20, base: 10, want: 10}, // cap - base binds
		{tip: 10, cap: 20, base: 10, want: 10}, // both equal
		{tip: 5, cap: 10, base: 10, want: 0},   // cap exactly at base
		{tip: 0, cap: 10, base: 1, want: 0},    // no tip
		{tip: 7, cap: 7, base: 0, want: 7},     // no base fee
		{tip: 50, cap: 10, base: 1, want: 9},   // tip above cap is capped (CheckStatic rejects it)
		{tip: 1, cap: 9, base: 10, err: txrules.ErrFeeCapBelowBaseFee},
		{tip: 0, cap: 0, base: 1, err: txrules.ErrFeeCapBelowBaseFee},
		{tip: math.MaxUint64, cap: math.MaxUint64, base: 0, want: math.MaxUint64},
		{tip: math.MaxUint64, cap: math.MaxUint64, base: math.MaxUint64, want: 0},
	}
	for _, tc := range tests {
		tx := transfer()
		tx.GasTipCap, tx.GasFeeCap = tc.tip, tc.cap
		got, err := txrules.EffectiveTip(tx, tc.base)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("EffectiveTip(tip %d, cap %d, base %d) = (%d, %v), want %v", tc.tip, tc.cap, tc.base, got, err, tc.err)
			}
			if got := txrules.Status(err); got != types.TxStatusFeeCapBelowBaseFee {
				t.Errorf("Status = %v, want FeeCapBelowBaseFee", got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("EffectiveTip(tip %d, cap %d, base %d) = (%d, %v), want %d", tc.tip, tc.cap, tc.base, got, err, tc.want)
		}
	}
}

func TestMaxCost(t *testing.T) {
	tests := []struct {
		name string
		tx   func() *types.Transaction
		want uint64
		err  error
	}{
		{"orama transfer adds the amount", func() *types.Transaction {
			tx := transfer() // 100 gas x 10 + 1,000
			return tx
		}, 2_000, nil},
		{"btc transfer leaves the amount out", func() *types.Transaction {
			tx := transfer()
			tx.Asset = types.AssetBTC
			tx.Amount = 123_456
			return tx
		}, 1_000, nil},
		{"claim username is the fee only", func() *types.Transaction { return claim(t, "alice") }, 109 * 10, nil},
		{"fee uses the gas limit, not the intrinsic gas", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit = 1_000
			tx.Amount = 0
			return tx
		}, 10_000, nil},
		{"zero fee cap", func() *types.Transaction {
			tx := transfer()
			tx.GasFeeCap, tx.GasTipCap = 0, 0
			return tx
		}, 1_000, nil},
		{"exactly MaxUint64", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit, tx.GasFeeCap = 1, 1
			tx.Amount = math.MaxUint64 - 1
			return tx
		}, math.MaxUint64, nil},
		{"fee product overflows", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit, tx.GasFeeCap = math.MaxUint64, 2
			return tx
		}, 0, txrules.ErrOverflow},
		{"fee product overflows by one", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit, tx.GasFeeCap = 1<<32, 1<<32
			tx.Amount = 0
			return tx
		}, 0, txrules.ErrOverflow},
		{"fee plus amount overflows", func() *types.Transaction {
			tx := transfer()
			tx.GasLimit, tx.GasFeeCap = 1, 1
			tx.Amount = math.MaxUint64
			return tx
		}, 0, txrules.ErrOverflow},
		{"btc amount never overflows the ORAMA cost", func() *types.Transaction {
			tx := transfer()
			tx.Asset = types.AssetBTC
			tx.GasLimit, tx.GasFeeCap = 1, 1
			tx.Amount = math.MaxUint64
			return tx
		}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := txrules.MaxCost(tc.tx())
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("MaxCost = (%d, %v), want %v", got, err, tc.err)
				}
				if s := txrules.Status(err); s != types.TxStatusAmountOverflow {
					t.Errorf("Status = %v, want AmountOverflow", s)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("MaxCost = (%d, %v), want %d", got, err, tc.want)
			}
		})
	}
}

func TestAddMul(t *testing.T) {
	const max = math.MaxUint64
	adds := []struct {
		a, b, want uint64
		overflow   bool
	}{
		{0, 0, 0, false},
		{1, 2, 3, false},
		{max - 1, 1, max, false},
		{max, 0, max, false},
		{max, 1, 0, true},
		{max, max, 0, true},
		{1 << 63, 1 << 63, 0, true},
	}
	for _, tc := range adds {
		got, err := txrules.Add(tc.a, tc.b)
		if tc.overflow != errors.Is(err, txrules.ErrOverflow) || (!tc.overflow && got != tc.want) {
			t.Errorf("Add(%d, %d) = (%d, %v), want %d overflow=%v", tc.a, tc.b, got, err, tc.want, tc.overflow)
		}
	}
	muls := []struct {
		a, b, want uint64
		overflow   bool
	}{
		{0, max, 0, false},
		{1, max, max, false},
		{3, 5, 15, false},
		{1 << 32, 1<<32 - 1, 1<<64 - 1<<32, false},
		{1 << 32, 1 << 32, 0, true},
		{max, 2, 0, true},
		{max, max, 0, true},
	}
	for _, tc := range muls {
		got, err := txrules.Mul(tc.a, tc.b)
		if tc.overflow != errors.Is(err, txrules.ErrOverflow) || (!tc.overflow && got != tc.want) {
			t.Errorf("Mul(%d, %d) = (%d, %v), want %d overflow=%v", tc.a, tc.b, got, err, tc.want, tc.overflow)
		}
	}
}

func TestNextBaseFee(t *testing.T) {
	target := params.BlockGasTarget
	full := params.BlockGasLimit
	if full != 2*target {
		t.Fatalf("BlockGasLimit %d is not twice BlockGasTarget %d; fix the expectations below", full, target)
	}
	tests := []struct {
		name      string
		base, gas uint64
		want      uint64
	}{
		// Exactly at target: unchanged.
		{"at target, initial", params.InitialBaseFee, target, params.InitialBaseFee},
		{"at target, min", params.MinBaseFee, target, params.MinBaseFee},
		{"at target, max", params.MaxBaseFee, target, params.MaxBaseFee},
		{"at target, 57", 57, target, 57},

		// A full block raises by base * (used-target)/target / 8 = base/8.
		{"full block from 80", 80, full, 90},
		{"full block from 16", 16, full, 18},
		{"full block from 64", 64, full, 72},
		{"full block from initial (10/8 rounds to 1)", params.InitialBaseFee, full, 11},
		{"three-quarter block from 80", 80, target + target/2, 85},
		// Above target, the rise is at least one ray.
		{"one gas above target", params.InitialBaseFee, target + 1, 11},
		{"full block from 7 (7/8 rounds to 0, raised to 1)", 7, full, 8},
		{"full block from min", params.MinBaseFee, full, 2},

		// An empty block lowers by base/8.
		{"empty block from 80", 80, 0, 70},
		{"empty block from 16", 16, 0, 14},
		{"empty block from max", params.MaxBaseFee, 0, 88},
		{"empty block from initial", params.InitialBaseFee, 0, 9},
		{"quarter block from 80", 80, target / 2, 75},
		// Below target there is no minimum step: 7/8 rounds to 0.
		{"empty block from 7 (minimum step 1)", 7, 0, 6},

		// Clamps.
		{"full block at max stays at max", params.MaxBaseFee, full, params.MaxBaseFee},
		{"full block from 95 clamps to max", 95, full, params.MaxBaseFee},
		{"empty block at min stays at min", params.MinBaseFee, 0, params.MinBaseFee},
		{"zero parent is raised to min", 0, target, params.MinBaseFee},
		{"zero parent empty block", 0, 0, params.MinBaseFee},
		{"parent above max is lowered to max", 1_000, target, params.MaxBaseFee},
		{"parent far above max, empty block (read as max)", 1_000, 0, params.MaxBaseFee - params.MaxBaseFee/8},
	}
	for _, tc := range tests {
		if got := txrules.NextBaseFee(tc.base, tc.gas); got != tc.want {
			t.Errorf("%s: NextBaseFee(%d, %d) = %d, want %d", tc.name, tc.base, tc.gas, got, tc.want)
		}
	}
}

// Exhaustively over every base fee in range and every gas used up to the
// block limit: the result stays in [MinBaseFee, MaxBaseFee], moves in the
// direction of the load by at most max(base/8, 1), and is monotone
// (non-decreasing) in gas used and in the parent base fee.
func TestNextBaseFeeProperties(t *testing.T) {
	target := params.BlockGasTarget
	step := uint64(1)
	if testing.Short() {
		step = 7
	}
	for base := uint64(0); base <= params.MaxBaseFee+10; base++ {
		prev := txrules.NextBaseFee(base, 0)
		for gas := uint64(0); gas <= params.BlockGasLimit; gas += step {
			got := txrules.NextBaseFee(base, gas)
			if got < params.MinBaseFee || got > params.MaxBaseFee {
				t.Fatalf("NextBaseFee(%d, %d) = %d outside [%d, %d]", base, gas, got, params.MinBaseFee, params.MaxBaseFee)
			}
			if got < prev {
				t.Fatalf("not monotone in gas used: NextBaseFee(%d, %d) = %d < %d at %d gas", base, gas, got, prev, gas-step)
			}
			prev = got
			if base < params.MinBaseFee || base > params.MaxBaseFee {
				continue // clamped parents: only range and monotonicity apply
			}
			maxStep := max(base/params.BaseFeeChangeDenominator, 1)
			switch {
			case gas > target && (got < base || got-base > maxStep):
				t.Fatalf("NextBaseFee(%d, %d) = %d: above target must rise by 1..%d", base, gas, got, maxStep)
			case gas < target && (got > base || base-got > maxStep):
				t.Fatalf("NextBaseFee(%d, %d) = %d: below target must fall by 0..%d", base, gas, got, maxStep)
			case gas == target && got != base:
				t.Fatalf("NextBaseFee(%d, target) = %d, want %d", base, got, base)
			}
			if gas > target && base < params.MaxBaseFee && got == base {
				t.Fatalf("NextBaseFee(%d, %d) = %d: above target must rise", base, gas, got)
			}
			if base > 0 {
				if lower := txrules.NextBaseFee(base-1, gas); lower > got {
					t.Fatalf("not monotone in base fee: NextBaseFee(%d, %d) = %d > NextBaseFee(%d, %d) = %d", base-1, gas, lower, base, gas, got)
				}
			}
		}
	}
}

// Full blocks from the initial base fee reach MaxBaseFee and stay there.
func TestNextBaseFeeRisesToMax(t *testing.T) {
	fee := params.InitialBaseFee
	path := []uint64{fee}
	for fee < params.MaxBaseFee && len(path) < 1000 {
		next := txrules.NextBaseFee(fee, params.BlockGasLimit)
		if next <= fee {
			t.Fatalf("full block from %d gave %d", fee, next)
		}
		fee = next
		path = append(path, fee)
	}
	// Each step is max(fee/8, 1), the last one clamped.
	want := []uint64{10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 27, 30, 33, 37, 41, 46, 51, 57, 64, 72, 81, 91, 100}
	if !slices.Equal(path, want) {
		t.Fatalf("full-block path = %v, want %v", path, want)
	}
	if got := txrules.NextBaseFee(fee, params.BlockGasLimit); got != params.MaxBaseFee {
		t.Errorf("full block at max = %d", got)
	}
}

// Empty blocks lower the base fee by max(fee/8, 1) a block down to
// MinBaseFee: the minimum step of one ray keeps small fees from stalling
// (with a plain integer 1/8 step they would stop at 7, never reaching the
// 0.1x floor of DECISIONS.md D9).
func TestNextBaseFeeEmptyBlocksFallToMin(t *testing.T) {
	fee := params.InitialBaseFee
	var path []uint64
	for range 100 {
		fee = txrules.NextBaseFee(fee, 0)
		if len(path) == 0 || path[len(path)-1] != fee {
			path = append(path, fee)
		}
	}
	want := []uint64{9, 8, 7, 6, 5, 4, 3, 2, 1}
	if !slices.Equal(path, want) {
		t.Fatalf("empty-block path from %d = %v, want %v", params.InitialBaseFee, path, want)
	}
	if fee != params.MinBaseFee {
		t.Fatalf("after 100 empty blocks the base fee is %d, want MinBaseFee %d", fee, params.MinBaseFee)
	}
}

// Inputs no valid header carries are clamped: a base fee above the range
// counts as MaxBaseFee, gas used above the limit as the limit. So the result
// stays in range and monotone, and the products never overflow.
func TestNextBaseFeeLargeInputs(t *testing.T) {
	for _, gas := range []uint64{0, params.BlockGasTarget, params.BlockGasLimit} {
		if got, want := txrules.NextBaseFee(math.MaxUint64/2, gas), txrules.NextBaseFee(params.MaxBaseFee, gas); got != want {
			t.Errorf("NextBaseFee(MaxUint64/2, %d) = %d, want %d (as at MaxBaseFee)", gas, got, want)
		}
	}
	atLimit := txrules.NextBaseFee(80, params.BlockGasLimit)
	for _, gas := range []uint64{params.BlockGasLimit + 1, 1 << 50, 368934881474241033, math.MaxUint64} {
		if got := txrules.NextBaseFee(80, gas); got != atLimit {
			t.Errorf("NextBaseFee(80, %d) = %d, want %d (as at the gas limit)", gas, got, atLimit)
		}
	}
}

// nsCreate is a valid NamespaceCreate: no recipient, no amount, and a gas
// limit covering the data bytes.
func nsCreate(t testing.TB, name string, tier types.NamespaceTier, nodes uint8) *types.Transaction {
	t.Helper()
	p := types.NamespaceCreatePayload{Name: name, Tier: tier, Nodes: nodes}
	data, err := p.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	tx := transfer()
	tx.Type, tx.To, tx.Amount, tx.Data = types.TxTypeNamespaceCreate, types.Address{}, 0, data
	tx.GasLimit = params.GasNamespaceCreate + uint64(len(data))
	return tx
}

func nsDelete(t testing.TB, name string) *types.Transaction {
	t.Helper()
	p := types.NamespaceDeletePayload{Name: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	tx := transfer()
	tx.Type, tx.To, tx.Amount, tx.Data = types.TxTypeNamespaceDelete, types.Address{}, 0, data
	tx.GasLimit = params.GasNamespaceDelete + uint64(len(data))
	return tx
}

// The namespace name rules of spec/namespaces.md 1.
func TestValidNamespaceName(t *testing.T) {
	good := []string{"abc", "demo", "a-b", "a12", "a1b", "x9-9", "my-app-2", strings.Repeat("a", 63), "a" + strings.Repeat("0", 62)}
	bad := []string{
		"", "a", "ab", // too short
		strings.Repeat("a", 64),    // too long
		"1abc", "-abc", "9", "0ab", // not starting with a letter
		"abc-", "ab-", // ending with '-'
		"a--b", "ab--", "a---b", // "--"
		"Abc", "aBc", "ab_c", "a.b", "a b", "ab\x00", "abc\u00e9", "ab/c", // outside [a-z0-9-]
	}
	for _, n := range good {
		if err := txrules.ValidNamespaceName(n); err != nil {
			t.Errorf("ValidNamespaceName(%q) = %v", n, err)
		}
		if _, err := txrules.CheckStatic(nsCreate(t, n, types.NamespaceTierTier0, 0)); err != nil {
			t.Errorf("create %q: %v", n, err)
		}
	}
	for _, n := range bad {
		err := txrules.ValidNamespaceName(n)
		if !errors.Is(err, txrules.ErrInvalidNamespace) {
			t.Errorf("ValidNamespaceName(%q) = %v, want ErrInvalidNamespace", n, err)
		}
		if len(n) <= params.MaxNamespaceNameBytes {
			if _, err := txrules.CheckType(nsCreate(t, n, types.NamespaceTierTier0, 0)); txrules.Status(err) != types.TxStatusInvalidNamespace {
				t.Errorf("create %q: %v", n, err)
			}
			if _, err := txrules.CheckType(nsDelete(t, n)); txrules.Status(err) != types.TxStatusInvalidNamespace {
				t.Errorf("delete %q: %v", n, err)
			}
		}
	}
	// The error message stays short for any input.
	if err := txrules.ValidNamespaceName(strings.Repeat("x", 10_000)); err == nil || len(err.Error()) > 200 {
		t.Errorf("long name: %v", err)
	}
}

// The stateless rules of the namespace types, in spec/state.md's order.
func TestCheckTypeNamespaces(t *testing.T) {
	tests := []struct {
		name string
		tx   *types.Transaction
		want types.TxStatus
	}{
		{"create", nsCreate(t, "demo", types.NamespaceTierTier1, 7), types.TxStatusSuccess},
		{"delete", nsDelete(t, "demo"), types.TxStatusSuccess},
		{"eight nodes", nsCreate(t, "demo", types.NamespaceTierTier0, 8), types.TxStatusInvalidNamespace},
		{"255 nodes", nsCreate(t, "demo", types.NamespaceTierTier0, 255), types.TxStatusInvalidNamespace},
		{"recipient", func() *types.Transaction { tx := nsCreate(t, "demo", 0, 0); tx.To[0] = 1; return tx }(), types.TxStatusInvalidRecipient},
		{"recipient before name", func() *types.Transaction { tx := nsDelete(t, "D"); tx.To[0] = 1; return tx }(), types.TxStatusInvalidRecipient},
		{"amount", func() *types.Transaction { tx := nsDelete(t, "demo"); tx.Amount = 1; return tx }(), types.TxStatusInvalidAmount},
		{"asset", func() *types.Transaction { tx := nsCreate(t, "demo", 0, 0); tx.Asset = types.AssetBTC; return tx }(), types.TxStatusInvalidAmount},
		{"amount before name", func() *types.Transaction { tx := nsCreate(t, "D", 0, 0); tx.Amount = 1; return tx }(), types.TxStatusInvalidAmount},
		{"tier 2", func() *types.Transaction { tx := nsCreate(t, "demo", 0, 0); tx.Data[len(tx.Data)-2] = 2; return tx }(), types.TxStatusInvalidPayload},
		{"trailing byte", func() *types.Transaction { tx := nsDelete(t, "demo"); tx.Data = append(tx.Data, 0); return tx }(), types.TxStatusInvalidPayload},
		{"delete with create payload", func() *types.Transaction {
			tx := nsCreate(t, "demo", 0, 0)
			tx.Type = types.TxTypeNamespaceDelete
			return tx
		}(), types.TxStatusInvalidPayload},
	}
	for _, tc := range tests {
		_, err := txrules.CheckStatic(tc.tx)
		if got := txrules.Status(err); got != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
}
