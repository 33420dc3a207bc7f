package node

import (
	"errors"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// fill builds a block body on st from picked, the pool's selection in
// block order, executing each transaction as it goes. It leaves out a
// transaction already in an uncommitted ancestor (exclude), one that is
// not includable at its place (spec/state.md: a block holding it would be
// invalid), and every later transaction of a sender once one of its own
// was left out, since their nonces no longer follow. Proposers therefore
// never build an invalid block, whatever the pool holds.
func fill(st *state.State, env exec.Env, picked []*types.Transaction, exclude map[types.Hash]bool) (*exec.Result, []types.Transaction, error) {
	n := min(len(picked), params.MaxBlockTransactions)
	blk := exec.Begin(st, env, n)
	txs := make([]types.Transaction, 0, n)
	var skipped map[types.Address]bool
	skip := func(a types.Address) {
		if skipped == nil {
			skipped = make(map[types.Address]bool)
		}
		skipped[a] = true
	}
	for _, tx := range picked {
		if blk.Len() == params.MaxBlockTransactions {
			break
		}
		if skipped[tx.From] {
			continue
		}
		if len(exclude) > 0 {
			// Pooled transactions were encoded on admission: Hash cannot fail.
			if th, err := tx.Hash(); err != nil || exclude[th] {
				continue
			}
		}
		if _, err := blk.Apply(tx); err != nil {
			if errors.Is(err, exec.ErrNotIncludable) {
				skip(tx.From)
				continue
			}
			blk.Abort()
			return nil, nil, err
		}
		txs = append(txs, *tx)
	}
	res, err := blk.Finish()
	if err != nil {
		return nil, nil, err
	}
	return res, txs, nil
}
