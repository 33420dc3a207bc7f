package exec

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Header rules of spec/state.md "Block validity": the proposer builds a
// header with NextHeader, and the voter and block sync check one with
// CheckHeader and, after executing the body, CheckResult. Each rule has
// this one home.
var (
	// ErrBadHeader reports a header that breaks a rule against its parent.
	ErrBadHeader = errors.New("exec: invalid header")
	// ErrWrongResult reports a header whose roots or gas are not what
	// executing its body gives. CheckResult's error also wraps the one of
	// the four below naming the first field that differs, in header order,
	// so a chain import can say which (spec/consensus.md, "Importing a
	// chain").
	ErrWrongResult = errors.New("exec: header disagrees with execution")

	// Which result differs: the header's state_root, transactions_root,
	// receipts_root or gas_used.
	ErrWrongStateRoot        = errors.New("exec: wrong state root")
	ErrWrongTransactionsRoot = errors.New("exec: wrong transactions root")
	ErrWrongReceiptsRoot     = errors.New("exec: wrong receipts root")
	ErrWrongGasUsed          = errors.New("exec: wrong gas used")
)

// NextHeader returns the header of the block a proposer builds at unix
// time now on parent, whose hash is parentHash: height, parent hash,
// epoch, base fee and a timestamp no earlier than the parent's. Execution
// fills the roots and gas; consensus the view and certificates.
func NextHeader(parent *types.BlockHeader, parentHash types.Hash, proposer types.Address, now uint64) types.BlockHeader {
	height := parent.Height + 1
	return types.BlockHeader{
		Height:     height,
		ParentHash: parentHash,
		Timestamp:  max(now, parent.Timestamp),
		Proposer:   proposer,
		Epoch:      height / params.EpochLength,
		BaseFee:    txrules.NextBaseFee(parent.BaseFee, parent.GasUsed),
	}
}

// CheckHeader applies the header rules against the parent header, whose
// hash is parentHash: height, parent hash, epoch, base fee, and a
// timestamp not before the parent's. The consensus fields (proposer, view,
// certificates) are runtime/consensus's.
func CheckHeader(parent *types.BlockHeader, parentHash types.Hash, h *types.BlockHeader) error {
	switch {
	case h.Height != parent.Height+1:
		return fmt.Errorf("%w: height %d on parent %d", ErrBadHeader, h.Height, parent.Height)
	case h.ParentHash != parentHash:
		return fmt.Errorf("%w: parent hash %v, parent is %v", ErrBadHeader, h.ParentHash, parentHash)
	case h.Epoch != h.Height/params.EpochLength:
		return fmt.Errorf("%w: epoch %d at height %d", ErrBadHeader, h.Epoch, h.Height)
	case h.BaseFee != txrules.NextBaseFee(parent.BaseFee, parent.GasUsed):
		return fmt.Errorf("%w: base fee %d, want %d", ErrBadHeader, h.BaseFee, txrules.NextBaseFee(parent.BaseFee, parent.GasUsed))
	case h.Timestamp < parent.Timestamp:
		return fmt.Errorf("%w: timestamp %d before the parent's %d", ErrBadHeader, h.Timestamp, parent.Timestamp)
	}
	return nil
}

// CheckResult reports whether the header's state, transactions and
// receipts roots and gas used are what executing its body gave.
func CheckResult(h *types.BlockHeader, res *Result) error {
	var which error
	switch {
	case res.StateRoot != h.StateRoot:
		which = ErrWrongStateRoot
	case res.TransactionsRoot != h.TransactionsRoot:
		which = ErrWrongTransactionsRoot
	case res.ReceiptsRoot != h.ReceiptsRoot:
		which = ErrWrongReceiptsRoot
	case res.GasUsed != h.GasUsed:
		which = ErrWrongGasUsed
	default:
		return nil
	}
	return fmt.Errorf("%w: %w: height %d: execution gives state root %v, gas %d; header says %v, %d",
		ErrWrongResult, which, h.Height, res.StateRoot, res.GasUsed, h.StateRoot, h.GasUsed)
}

// Fill sets the header fields execution decides from res.
func (res *Result) Fill(h *types.BlockHeader) {
	h.StateRoot, h.TransactionsRoot, h.ReceiptsRoot, h.GasUsed = res.StateRoot, res.TransactionsRoot, res.ReceiptsRoot, res.GasUsed
}
