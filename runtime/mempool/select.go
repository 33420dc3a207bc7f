package mempool

import (
	"bytes"
	"container/heap"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Select returns the transactions for the next block at baseFee, in block
// order, without removing them. Each sender contributes a run of
// consecutive nonces starting at its account nonce (nothing after a gap);
// across senders the next transaction is the one with the highest effective
// tip at baseFee, ties broken by the earlier admission (then the lower
// hash): among equal prices the pool is first come, first served, so under
// a backlog no sender waits longer than the backlog takes to clear. (With
// the hash as the tie-break, a sender whose next transaction hashed high
// lost every block while the backlog lasted: the p99 latency of a devnet
// at 2,000 tx/s was four times its p50.) A sender's run stops at a
// transaction whose fee cap is below baseFee or whose intrinsic gas does
// not fit in what is left of gasLimit (a transaction reserves its gas
// limit, spec/state.md); other senders go on. Select stops
// after maxTxs transactions.
//
// The result depends only on the pooled transactions, the order the pool
// admitted them in, and the accounts. It is not consensus: each proposer
// orders its own pool.
func (p *Pool) Select(baseFee, gasLimit uint64, maxTxs int) []*types.Transaction {
	txs, _ := p.SelectExcluding(baseFee, gasLimit, maxTxs, nil)
	return txs
}

// SelectExcluding is Select for a proposer building on uncommitted
// ancestors: it passes over the transactions whose hashes are in exclude
// (those the ancestors include) as if they had left the pool, so they take
// neither block gas nor a place, and it returns each selected
// transaction's hash beside it.
func (p *Pool) SelectExcluding(baseFee, gasLimit uint64, maxTxs int, exclude map[types.Hash]bool) ([]*types.Transaction, []types.Hash) {
	if maxTxs <= 0 {
		return nil, nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()

	h := runHeap{baseFee: baseFee, runs: make([]run, 0, len(p.senders))}
	for _, s := range p.senders {
		if head := s.txs[0].tx; head.Nonce == s.acct.Nonce && head.GasFeeCap >= baseFee {
			h.runs = append(h.runs, run{s: s})
		}
	}
	heap.Init(&h)

	out := make([]*types.Transaction, 0, min(maxTxs, len(p.all)))
	hashes := make([]types.Hash, 0, cap(out))
	gasLeft := gasLimit
	for h.Len() > 0 && len(out) < maxTxs {
		r := &h.runs[0]
		e := r.s.txs[r.i]
		switch {
		case exclude[e.hash]:
		case e.gas > gasLeft:
			heap.Pop(&h)
			continue
		default:
			out = append(out, e.tx)
			hashes = append(hashes, e.hash)
			gasLeft -= e.gas
		}
		if r.i+1 < len(r.s.txs) {
			if next := r.s.txs[r.i+1].tx; next.Nonce == e.tx.Nonce+1 && next.GasFeeCap >= baseFee {
				r.i++
				heap.Fix(&h, 0)
				continue
			}
		}
		heap.Pop(&h)
	}
	return out, hashes
}

// run is a sender's position in Select.
type run struct {
	s *sender
	i int // index in s.txs of the next transaction
}

// runHeap orders runs by their next transaction: highest effective tip
// first, then earliest admitted, then lowest hash.
type runHeap struct {
	runs    []run
	baseFee uint64
}

func (h *runHeap) Len() int { return len(h.runs) }

func (h *runHeap) Less(i, j int) bool {
	a, b := h.runs[i].s.txs[h.runs[i].i], h.runs[j].s.txs[h.runs[j].i]
	// Every run's next transaction has a fee cap >= baseFee.
	ta, _ := txrules.EffectiveTip(a.tx, h.baseFee)
	tb, _ := txrules.EffectiveTip(b.tx, h.baseFee)
	if ta != tb {
		return ta > tb
	}
	if a.seq != b.seq {
		return a.seq < b.seq
	}
	return bytes.Compare(a.hash[:], b.hash[:]) < 0
}

func (h *runHeap) Swap(i, j int) { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *runHeap) Push(x any)    { h.runs = append(h.runs, x.(run)) }
func (h *runHeap) Pop() any {
	n := len(h.runs) - 1
	r := h.runs[n]
	h.runs = h.runs[:n]
	return r
}
