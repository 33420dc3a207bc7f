// Package txrules holds the stateless transaction rules that admission
// (runtime/mempool) and block execution (runtime/exec) must apply
// identically: intrinsic gas, fee arithmetic, the EIP-1559 base fee, and the
// shape of each type's payload.
//
// Everything here is pure and deterministic integer arithmetic over
// generated types and params. It must never depend on state, storage,
// networking or consensus.
package txrules

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// Rule errors. Each maps to one types.TxStatus through Status.
var (
	ErrInvalidPayload     = errors.New("data is not the payload the type names")
	ErrUnsupportedType    = errors.New("transaction type is not active")
	ErrGasLimitTooLow     = errors.New("gas limit below the gas the transaction costs")
	ErrGasLimitAboveBlock = errors.New("gas limit above the block gas limit")
	ErrTipAboveFeeCap     = errors.New("gas tip cap above gas fee cap")
	ErrFeeCapBelowBaseFee = errors.New("gas fee cap below the base fee")
	ErrOverflow           = errors.New("amount overflow")
	ErrInvalidRecipient   = errors.New("recipient not valid for this type")
	ErrInvalidAmount      = errors.New("amount or asset set on a type that takes none")
	ErrUsernameInvalid    = errors.New("username breaks the format rules")
	ErrInvalidNamespace   = errors.New("namespace name or node count breaks the namespace rules")
)

// Status returns the receipt status for a rule error (Success for nil).
func Status(err error) types.TxStatus {
	switch {
	case err == nil:
		return types.TxStatusSuccess
	case errors.Is(err, ErrInvalidPayload):
		return types.TxStatusInvalidPayload
	case errors.Is(err, ErrUnsupportedType):
		return types.TxStatusUnsupportedType
	case errors.Is(err, ErrGasLimitTooLow):
		return types.TxStatusGasLimitTooLow
	case errors.Is(err, ErrGasLimitAboveBlock):
		return types.TxStatusBlockGasExceeded
	case errors.Is(err, ErrTipAboveFeeCap):
		return types.TxStatusTipAboveFeeCap
	case errors.Is(err, ErrFeeCapBelowBaseFee):
		return types.TxStatusFeeCapBelowBaseFee
	case errors.Is(err, ErrOverflow):
		return types.TxStatusAmountOverflow
	case errors.Is(err, ErrInvalidRecipient):
		return types.TxStatusInvalidRecipient
	case errors.Is(err, ErrInvalidAmount):
		return types.TxStatusInvalidAmount
	case errors.Is(err, ErrUsernameInvalid):
		return types.TxStatusUsernameInvalid
	case errors.Is(err, ErrInvalidNamespace):
		return types.TxStatusInvalidNamespace
	}
	return types.TxStatusInvalidPayload
}

// Active reports whether execution supports the type yet. The others are
// decodable (their numbers are fixed) but rejected with UnsupportedType
// until their modules ship.
func Active(t types.TxType) bool {
	switch t {
	case types.TxTypeTransfer, types.TxTypeClaimUsername, types.TxTypeNamespaceCreate, types.TxTypeNamespaceDelete:
		return true
	}
	return false
}

// baseGas is the gas of each type before data bytes (spec/params.yaml).
func baseGas(t types.TxType) uint64 {
	switch t {
	case types.TxTypeTransfer:
		return params.GasTransfer
	case types.TxTypeClaimUsername:
		return params.GasClaimUsername
	case types.TxTypeStake, types.TxTypeUnstake:
		return params.GasStake
	case types.TxTypeDEXOrder, types.TxTypeDEXCancel:
		return params.GasDEXTrade
	case types.TxTypeBridgeDeposit, types.TxTypeBridgeWithdraw:
		return params.GasBridge
	case types.TxTypeNamespaceCommit:
		return params.GasNamespaceCommit
	case types.TxTypeNamespaceCreate:
		return params.GasNamespaceCreate
	case types.TxTypeNamespaceDelete:
		return params.GasNamespaceDelete
	case types.TxTypeGovernancePropose, types.TxTypeGovernanceVote:
		return params.GasGovernance
	case types.TxTypeReportEquivocation:
		return params.GasReportEquivocation
	case types.TxTypeShield, types.TxTypeUnshield, types.TxTypePrivateTransfer:
		return params.GasTransfer * params.PrivateGasMultiplier
	}
	return 0
}

// IntrinsicGas is the gas a transaction uses: its type's gas plus one per
// byte of data. Execution charges exactly this; gas_limit must cover it.
func IntrinsicGas(tx *types.Transaction) uint64 {
	return baseGas(tx.Type) + uint64(len(tx.Data))*params.GasPerDataByte
}

// CheckStatic applies every rule that needs neither state nor the base
// fee: the envelope rules a transaction must meet to be includable at all
// (gas limit covers the intrinsic gas and is within BlockGasLimit, tip cap
// <= fee cap) and the type's own stateless rules (CheckType). Admission
// applies all of them; a block may hold a transaction that breaks only the
// type's rules, which then fails and pays (spec/state.md). It returns the
// decoded payload (nil for types without one).
func CheckStatic(tx *types.Transaction) (any, error) {
	payload, err := CheckType(tx)
	if err != nil {
		return nil, err
	}
	if g := IntrinsicGas(tx); tx.GasLimit < g {
		return nil, fmt.Errorf("txrules: gas limit %d, needs %d: %w", tx.GasLimit, g, ErrGasLimitTooLow)
	}
	if tx.GasLimit > params.BlockGasLimit {
		return nil, fmt.Errorf("txrules: gas limit %d above the block gas limit %d: %w", tx.GasLimit, params.BlockGasLimit, ErrGasLimitAboveBlock)
	}
	if tx.GasTipCap > tx.GasFeeCap {
		return nil, fmt.Errorf("txrules: tip cap %d above fee cap %d: %w", tx.GasTipCap, tx.GasFeeCap, ErrTipAboveFeeCap)
	}
	return payload, nil
}

// CheckType applies the type's stateless rules, in the order of
// spec/state.md: the type is active, the data is the type's payload, the
// recipient and the amount fit the type, and a claimed username or a
// namespace name is well formed (and a NamespaceCreate's node count at most
// MaxNamespaceNodes). Breaking one is an execution failure, not a validity
// failure.
func CheckType(tx *types.Transaction) (any, error) {
	if !Active(tx.Type) {
		return nil, fmt.Errorf("txrules: %v: %w", tx.Type, ErrUnsupportedType)
	}
	var payload any
	if p := tx.Type.NewPayload(); p != nil {
		if err := p.UnmarshalBorsh(tx.Data); err != nil {
			return nil, fmt.Errorf("txrules: %v payload: %v: %w", tx.Type, err, ErrInvalidPayload)
		}
		payload = p
	} else if len(tx.Data) != 0 {
		return nil, fmt.Errorf("txrules: %v carries no payload, got %d bytes: %w", tx.Type, len(tx.Data), ErrInvalidPayload)
	}
	switch tx.Type {
	case types.TxTypeClaimUsername:
		if !tx.To.IsZero() {
			return nil, fmt.Errorf("txrules: ClaimUsername has no recipient: %w", ErrInvalidRecipient)
		}
		if tx.Amount != 0 || tx.Asset != types.AssetOrama {
			return nil, fmt.Errorf("txrules: ClaimUsername has no amount or asset: %w", ErrInvalidAmount)
		}
		if err := crypto.ValidateUsername(payload.(*types.ClaimUsernamePayload).Username); err != nil {
			return nil, fmt.Errorf("txrules: %v: %w", err, ErrUsernameInvalid)
		}
	case types.TxTypeNamespaceCreate, types.TxTypeNamespaceDelete:
		if !tx.To.IsZero() {
			return nil, fmt.Errorf("txrules: %v has no recipient: %w", tx.Type, ErrInvalidRecipient)
		}
		if tx.Amount != 0 || tx.Asset != types.AssetOrama {
			return nil, fmt.Errorf("txrules: %v has no amount or asset: %w", tx.Type, ErrInvalidAmount)
		}
		if p, ok := payload.(*types.NamespaceCreatePayload); ok {
			if err := ValidNamespaceName(p.Name); err != nil {
				return nil, err
			}
			if p.Nodes > params.MaxNamespaceNodes {
				return nil, fmt.Errorf("txrules: %d nodes, at most %d: %w", p.Nodes, params.MaxNamespaceNodes, ErrInvalidNamespace)
			}
		} else if err := ValidNamespaceName(payload.(*types.NamespaceDeletePayload).Name); err != nil {
			return nil, err
		}
	case types.TxTypeTransfer:
		if !tx.Asset.Valid() {
			return nil, fmt.Errorf("txrules: asset %v: %w", tx.Asset, ErrInvalidPayload)
		}
	}
	return payload, nil
}

// ValidNamespaceName checks the namespace name rules (spec/namespaces.md
// 1): a DNS label of MinNamespaceNameBytes to MaxNamespaceNameBytes bytes
// of [a-z0-9-], starting with a letter, not ending with '-', without "--".
// The error wraps ErrInvalidNamespace. Every place that takes a namespace
// name (execution, admission, the REST API) uses this one function.
func ValidNamespaceName(name string) error {
	bad := func(why string) error {
		if len(name) > params.MaxNamespaceNameBytes {
			return fmt.Errorf("txrules: namespace name of %d bytes: %s: %w", len(name), why, ErrInvalidNamespace)
		}
		return fmt.Errorf("txrules: namespace name %q: %s: %w", name, why, ErrInvalidNamespace)
	}
	switch {
	case len(name) < params.MinNamespaceNameBytes:
		return bad(fmt.Sprintf("shorter than %d bytes", params.MinNamespaceNameBytes))
	case len(name) > params.MaxNamespaceNameBytes:
		return bad(fmt.Sprintf("longer than %d bytes", params.MaxNamespaceNameBytes))
	case name[0] < 'a' || name[0] > 'z':
		return bad("does not start with a letter a-z")
	case name[len(name)-1] == '-':
		return bad("ends with '-'")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			if name[i-1] == '-' { // i >= 1: name[0] is a letter
				return bad("holds \"--\"")
			}
		default:
			return bad(fmt.Sprintf("byte 0x%02x at %d is not in [a-z0-9-]", c, i))
		}
	}
	return nil
}

// EffectiveTip is the tip per gas the proposer receives at baseFee:
// min(tip cap, fee cap - base fee). It fails when the fee cap is below the
// base fee.
func EffectiveTip(tx *types.Transaction, baseFee uint64) (uint64, error) {
	if tx.GasFeeCap < baseFee {
		return 0, fmt.Errorf("txrules: fee cap %d below base fee %d: %w", tx.GasFeeCap, baseFee, ErrFeeCapBelowBaseFee)
	}
	return min(tx.GasTipCap, tx.GasFeeCap-baseFee), nil
}

// Mul and Add are checked u64 arithmetic: amounts never wrap.
func Mul(a, b uint64) (uint64, error) {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return 0, ErrOverflow
	}
	return lo, nil
}

func Add(a, b uint64) (uint64, error) {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return 0, ErrOverflow
	}
	return s, nil
}

// MaxCost is what the sender must hold in rays before execution: gas limit
// times fee cap, plus the amount when it is ORAMA. (A BTC amount is checked
// against the BTC balance separately.)
func MaxCost(tx *types.Transaction) (uint64, error) {
	fee, err := Mul(tx.GasLimit, tx.GasFeeCap)
	if err != nil {
		return 0, fmt.Errorf("txrules: max fee: %w", err)
	}
	if tx.Type == types.TxTypeTransfer && tx.Asset == types.AssetOrama {
		if fee, err = Add(fee, tx.Amount); err != nil {
			return 0, fmt.Errorf("txrules: max cost: %w", err)
		}
	}
	return fee, nil
}

// NextBaseFee is the EIP-1559 controller with the spec's numbers: the base
// fee moves toward the gas target by (gas used - target) / target /
// BaseFeeChangeDenominator of itself per block, at least 1 ray in either
// direction (whole rays would otherwise stall small fees), within
// [MinBaseFee, MaxBaseFee]. Gas used above BlockGasLimit (an invalid header)
// counts as the limit, which keeps the products far from overflow.
func NextBaseFee(parentBaseFee, parentGasUsed uint64) uint64 {
	target := params.BlockGasTarget
	used := min(parentGasUsed, params.BlockGasLimit)
	base := min(max(parentBaseFee, params.MinBaseFee), params.MaxBaseFee)
	next := base
	switch {
	case used > target:
		next = base + max(baseFeeStep(base, used-target, target), 1)
	case used < target:
		next = base - min(max(baseFeeStep(base, target-used, target), 1), base)
	}
	return min(max(next, params.MinBaseFee), params.MaxBaseFee)
}

// baseFeeStep is base * diff / target / BaseFeeChangeDenominator, each
// division rounding down (spec/state.md "The base fee").
func baseFeeStep(base, diff, target uint64) uint64 {
	if deviationBaseFeeRoundUp { // a conformance negative control only: deviation_basefee.go
		d := target * params.BaseFeeChangeDenominator
		return (base*diff + d - 1) / d
	}
	return base * diff / target / params.BaseFeeChangeDenominator
}
