package exec

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestCheckResultNamesTheField: a header that disagrees with execution is
// ErrWrongResult and names the first field that differs, in header order,
// so a chain import can report it (spec/consensus.md, "Importing a chain").
func TestCheckResultNamesTheField(t *testing.T) {
	res := &Result{StateRoot: types.Hash{1}, TransactionsRoot: types.Hash{2}, ReceiptsRoot: types.Hash{3}, GasUsed: 400}
	good := types.BlockHeader{Height: 7}
	res.Fill(&good)
	if err := CheckResult(&good, res); err != nil {
		t.Fatalf("a matching header: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*types.BlockHeader)
		want   error
	}{
		{"state root", func(h *types.BlockHeader) { h.StateRoot[5] ^= 1 }, ErrWrongStateRoot},
		{"transactions root", func(h *types.BlockHeader) { h.TransactionsRoot[5] ^= 1 }, ErrWrongTransactionsRoot},
		{"receipts root", func(h *types.BlockHeader) { h.ReceiptsRoot[5] ^= 1 }, ErrWrongReceiptsRoot},
		{"gas used", func(h *types.BlockHeader) { h.GasUsed++ }, ErrWrongGasUsed},
		{"state root and gas", func(h *types.BlockHeader) { h.StateRoot[0] ^= 1; h.GasUsed-- }, ErrWrongStateRoot},
		{"receipts root and gas", func(h *types.BlockHeader) { h.ReceiptsRoot[0] ^= 1; h.GasUsed-- }, ErrWrongReceiptsRoot},
	} {
		h := good
		c.mutate(&h)
		err := CheckResult(&h, res)
		if !errors.Is(err, ErrWrongResult) || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		for _, other := range []error{ErrWrongStateRoot, ErrWrongTransactionsRoot, ErrWrongReceiptsRoot, ErrWrongGasUsed} {
			if other != c.want && errors.Is(err, other) {
				t.Errorf("%s: also names %v", c.name, other)
			}
		}
	}
}
