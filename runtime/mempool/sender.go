package mempool

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// sender is one account's pooled transactions.
type sender struct {
	addr types.Address
	acct types.Account // as last read from State
	txs  []*entry      // ascending nonce, no repeats; never empty while pooled
	cost uint64        // sum of txs' cost (rays)
	btc  uint64        // sum of txs' btc (satoshis)
	// index is s's position in Pool.tails, -1 while s is not in the pool.
	index int
}

// find returns the position of nonce in s.txs and whether it is there.
func (s *sender) find(nonce uint64) (int, bool) {
	return slices.BinarySearchFunc(s.txs, nonce, func(e *entry, n uint64) int {
		return cmp.Compare(e.tx.Nonce, n)
	})
}

func (s *sender) tail() *entry { return s.txs[len(s.txs)-1] }

// insert adds e, whose nonce s does not hold.
func (s *sender) insert(e *entry) {
	i, _ := s.find(e.tx.Nonce)
	s.txs = slices.Insert(s.txs, i, e)
	s.cost += e.cost
	s.btc += e.btc
}

// delete removes e, which s holds.
func (s *sender) delete(e *entry) {
	i, ok := s.find(e.tx.Nonce)
	if !ok || s.txs[i] != e {
		panic("mempool: delete of a transaction the sender does not hold")
	}
	s.txs = slices.Delete(s.txs, i, i+1)
	s.cost -= e.cost
	s.btc -= e.btc
}

// cmpPrice orders transactions by what they pay at baseFee: a transaction
// whose fee cap covers the base fee above one whose does not; then by
// effective tip; then by fee cap (which survives a rising base fee).
func cmpPrice(a, b *types.Transaction, baseFee uint64) int {
	aOK, bOK := a.GasFeeCap >= baseFee, b.GasFeeCap >= baseFee
	switch {
	case aOK && !bOK:
		return 1
	case !aOK && bOK:
		return -1
	case aOK:
		ta, _ := txrules.EffectiveTip(a, baseFee)
		tb, _ := txrules.EffectiveTip(b, baseFee)
		if c := cmp.Compare(ta, tb); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.GasFeeCap, b.GasFeeCap)
}

// tailHeap orders pooled senders by their highest-nonce transaction, the
// only one of theirs that may be evicted: cheapest first, ties broken by
// hash so the order is total. It prices at pool.baseFee through the
// baseFee pointer set by the pool.
type tailHeap struct {
	senders []*sender
	baseFee *uint64
}

func (h *tailHeap) Len() int { return len(h.senders) }

func (h *tailHeap) Less(i, j int) bool {
	a, b := h.senders[i].tail(), h.senders[j].tail()
	if c := cmpPrice(a.tx, b.tx, *h.baseFee); c != 0 {
		return c < 0
	}
	return bytes.Compare(a.hash[:], b.hash[:]) > 0
}

func (h *tailHeap) Swap(i, j int) {
	h.senders[i], h.senders[j] = h.senders[j], h.senders[i]
	h.senders[i].index = i
	h.senders[j].index = j
}

func (h *tailHeap) Push(x any) {
	s := x.(*sender)
	s.index = len(h.senders)
	h.senders = append(h.senders, s)
}

func (h *tailHeap) Pop() any {
	n := len(h.senders) - 1
	s := h.senders[n]
	h.senders[n] = nil
	h.senders = h.senders[:n]
	s.index = -1
	return s
}

// cheapest returns the sender whose tail is the cheapest.
func (h *tailHeap) cheapest() *sender { return h.senders[0] }
