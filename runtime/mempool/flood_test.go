package mempool

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Flooding a pool bounded to 50 with 300 single-transaction senders paying
// distinct random tips leaves exactly the 50 best payers, and the pool
// never exceeds its bound on the way.
func TestFloodKeepsHighestPaying(t *testing.T) {
	const maxTxs, senders = 50, 300
	st := newState()
	ks := keys(t, st, senders)
	rng := rand.New(rand.NewPCG(3, 4))
	tips := rng.Perm(senders) // tips 1..300 in random order
	txs := make([]*types.Transaction, senders)
	for i, k := range ks {
		tp := uint64(tips[i] + 1)
		txs[i] = transferTx(t, k, 0, tip(tp, tp+1_000))
	}
	p := New(Config{ChainID: testChainID, MaxTxs: maxTxs}, st)
	full := 0
	for batch := range slices.Chunk(txs, 20) {
		for _, err := range p.Add(batch) {
			switch {
			case err == nil:
			case errors.Is(err, ErrPoolFull):
				full++
			default:
				t.Fatalf("unexpected rejection: %v", err)
			}
		}
		if p.Len() > maxTxs {
			t.Fatalf("Len %d over MaxTxs %d", p.Len(), maxTxs)
		}
		checkInvariants(t, p)
	}
	if p.Len() != maxTxs || p.Bytes() != maxTxs*151 {
		t.Fatalf("Len %d Bytes %d, want %d %d", p.Len(), p.Bytes(), maxTxs, maxTxs*151)
	}
	if full == 0 {
		t.Fatal("no transaction was refused as ErrPoolFull")
	}
	for i, tx := range txs {
		_, pooled := p.Get(hashOf(t, tx))
		if want := tips[i]+1 > senders-maxTxs; pooled != want {
			t.Fatalf("tip %d: pooled %v, want %v", tips[i]+1, pooled, want)
		}
	}
	// The block takes the best of the best.
	sel := p.Select(10, 1_000, 100)
	if len(sel) != 10 || sel[0].GasTipCap != 300 || sel[9].GasTipCap != 291 {
		t.Fatalf("Select = %v", describe(sel))
	}
}

// Senders with several nonces, random fees, pool bound 60: the bounds hold
// after every add, an eviction only ever takes a sender's highest nonce
// (never leaving a gap in front of a pooled transaction), and every pooled
// transaction outbids or ties the cheapest one refused.
func TestFloodMultiNonce(t *testing.T) {
	const maxTxs, senders, perSender = 60, 40, 5
	st := newState()
	ks := keys(t, st, senders)
	rng := rand.New(rand.NewPCG(5, 6))
	queue := make([][]*types.Transaction, senders)
	for i, k := range ks {
		for n := range perSender {
			tp := uint64(1 + rng.IntN(500))
			queue[i] = append(queue[i], transferTx(t, k, uint64(n), tip(tp, tp+uint64(rng.IntN(50)))))
		}
	}
	p := New(Config{ChainID: testChainID, MaxTxs: maxTxs}, st)
	pooledNonces := func(a types.Address) []uint64 {
		p.mu.RLock()
		defer p.mu.RUnlock()
		var out []uint64
		if s := p.senders[a]; s != nil {
			for _, e := range s.txs {
				out = append(out, e.tx.Nonce)
			}
		}
		return out
	}
	evictions := 0
	for left := senders * perSender; left > 0; left-- {
		// Next transaction: a random sender's next nonce.
		i := rng.IntN(senders)
		for len(queue[i]) == 0 {
			i = (i + 1) % senders
		}
		tx := queue[i][0]
		queue[i] = queue[i][1:]

		before := map[types.Address][]uint64{}
		for _, k := range ks {
			before[k.Address()] = pooledNonces(k.Address())
		}
		err := p.Add([]*types.Transaction{tx})[0]
		if err != nil && !errors.Is(err, ErrPoolFull) {
			t.Fatalf("unexpected rejection: %v", err)
		}
		for _, k := range ks {
			a := k.Address()
			after := pooledNonces(a)
			for _, n := range before[a] {
				if slices.Contains(after, n) {
					continue
				}
				evictions++
				// n was evicted: nothing of this sender above it remains.
				if len(after) > 0 && after[len(after)-1] > n {
					t.Fatalf("evicted nonce %d of a sender that still holds %v", n, after)
				}
			}
		}
		if p.Len() > maxTxs {
			t.Fatalf("Len %d over MaxTxs %d", p.Len(), maxTxs)
		}
		checkInvariants(t, p)
	}
	if p.Len() != maxTxs || evictions == 0 {
		t.Fatalf("Len %d, %d evictions", p.Len(), evictions)
	}
}

// The byte bound: a larger transaction evicts as many cheaper ones as it
// needs, or, when it cannot outbid them all, nothing at all.
func TestFloodBytes(t *testing.T) {
	st := newState()
	ks := keys(t, st, 12)
	const maxBytes = 10 * 151
	p := New(Config{ChainID: testChainID, MaxBytes: maxBytes}, st)
	var transfers []*types.Transaction
	for i := range 10 {
		tp := uint64(i + 1)
		transfers = append(transfers, transferTx(t, ks[i], 0, tip(tp, 100)))
	}
	mustAdd(t, p, transfers...)
	if p.Bytes() != maxBytes {
		t.Fatalf("Bytes %d, want %d", p.Bytes(), maxBytes)
	}
	// 160 bytes need 160 free: one 151-byte eviction leaves 151, so two go.
	claim := claimTx(t, ks[10], 0, "alice", tip(5, 100))
	mustAdd(t, p, claim)
	if p.Len() != 9 || p.Bytes() != 8*151+160 {
		t.Fatalf("Len %d Bytes %d, want 9 %d", p.Len(), p.Bytes(), 8*151+160)
	}
	for i, tx := range transfers {
		if _, ok := p.Get(hashOf(t, tx)); ok != (i >= 2) {
			t.Fatalf("tip %d: pooled %v", i+1, ok)
		}
	}
	checkInvariants(t, p)

	// Rollback: the first victim (tip 1) is outbid but the second (tip 100)
	// is not, so the pool is left exactly as it was.
	p2 := New(Config{ChainID: testChainID, MaxBytes: maxBytes}, st)
	cheap := transferTx(t, ks[0], 0, tip(1, 200))
	mustAdd(t, p2, cheap)
	for i := 1; i < 10; i++ {
		mustAdd(t, p2, transferTx(t, ks[i], 0, tip(100, 200)))
	}
	wantErr(t, p2.Add([]*types.Transaction{claimTx(t, ks[10], 0, "alice", tip(50, 200))})[0], ErrPoolFull)
	if _, ok := p2.Get(hashOf(t, cheap)); !ok || p2.Len() != 10 || p2.Bytes() != maxBytes {
		t.Fatalf("failed eviction not rolled back: Len %d Bytes %d", p2.Len(), p2.Bytes())
	}
	checkInvariants(t, p2)
}

func TestEvictionTailOnly(t *testing.T) {
	st := newState()
	ks := keys(t, st, 6)
	p := New(Config{ChainID: testChainID, MaxTxs: 3}, st)
	a0 := transferTx(t, ks[0], 0, tip(1, 200)) // the cheapest, but a head
	a1 := transferTx(t, ks[0], 1, tip(100, 200))
	b0 := transferTx(t, ks[1], 0, tip(50, 200))
	mustAdd(t, p, a0, a1, b0)

	// Tails: A's is 100, B's 50. C outbids B.
	c0 := transferTx(t, ks[2], 0, tip(60, 200))
	mustAdd(t, p, c0)
	if _, ok := p.Get(hashOf(t, b0)); ok {
		t.Fatal("B not evicted")
	}
	// Tails: A 100, C 60. D outbids C.
	d0 := transferTx(t, ks[3], 0, tip(70, 200))
	mustAdd(t, p, d0)
	// Tails: A 100, D 70. E does not outbid D; A's cheap head is never a
	// candidate.
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, ks[4], 0, tip(65, 200))})[0], ErrPoolFull)
	for _, tx := range []*types.Transaction{a0, a1, d0} {
		if _, ok := p.Get(hashOf(t, tx)); !ok {
			t.Fatalf("nonce %d tip %d evicted", tx.Nonce, tx.GasTipCap)
		}
	}
	checkInvariants(t, p)
}

func TestEvictionOwnSender(t *testing.T) {
	st := newState()
	ks := keys(t, st, 2)

	// A's tail is the cheapest: A cannot evict it to queue its next nonce.
	p := New(Config{ChainID: testChainID, MaxTxs: 2}, st)
	mustAdd(t, p, transferTx(t, ks[0], 0, tip(1, 20)), transferTx(t, ks[1], 0, tip(50, 100)))
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, ks[0], 1, tip(100, 200))})[0], ErrPoolFull)
	// Replacing it needs no room.
	mustAdd(t, p, transferTx(t, ks[0], 0, tip(2, 22)))
	checkInvariants(t, p)

	// A fills the gap below its own cheap tail: the tail goes.
	p2 := New(Config{ChainID: testChainID, MaxTxs: 2}, st)
	a0 := transferTx(t, ks[0], 0, tip(50, 100))
	a2 := transferTx(t, ks[0], 2, tip(1, 100))
	mustAdd(t, p2, a0, a2)
	a1 := transferTx(t, ks[0], 1, tip(40, 100))
	mustAdd(t, p2, a1)
	if _, ok := p2.Get(hashOf(t, a2)); ok || p2.Len() != 2 {
		t.Fatal("A's nonce 2 not evicted")
	}
	wantSelection(t, p2.Select(10, 1_000, 10), a0, a1)
	checkInvariants(t, p2)
}

// Eviction prices at the pool's base fee.
func TestEvictionBaseFee(t *testing.T) {
	st := newState()
	ks := keys(t, st, 3)
	x := transferTx(t, ks[0], 0, tip(5, 12))  // pays 2 at base fee 10, 5 at 1
	y := transferTx(t, ks[1], 0, tip(3, 100)) // pays 3
	z := transferTx(t, ks[2], 0, tip(3, 200)) // pays 3, higher fee cap than y

	// At the initial base fee (10) x is the cheapest.
	p := New(Config{ChainID: testChainID, MaxTxs: 2}, st)
	mustAdd(t, p, x, y)
	mustAdd(t, p, z)
	if _, ok := p.Get(hashOf(t, x)); ok {
		t.Fatal("base fee 10: x not evicted")
	}

	// At base fee 1, y is: z ties it on tip and wins on fee cap.
	p2 := New(Config{ChainID: testChainID, MaxTxs: 2}, st)
	mustAdd(t, p2, x, y)
	p2.SetBaseFee(1)
	mustAdd(t, p2, z)
	if _, ok := p2.Get(hashOf(t, y)); ok {
		t.Fatal("base fee 1: y not evicted")
	}
	checkInvariants(t, p2)

	// At base fee 15 x is under water, so the cheapest whatever its tip.
	p3 := New(Config{ChainID: testChainID, MaxTxs: 2, BaseFee: 15}, st)
	mustAdd(t, p3, x, y)
	if p3.Add([]*types.Transaction{transferTx(t, ks[2], 0, tip(1, 16))})[0] != nil {
		t.Fatal("a transaction paying 1 did not outbid one under water")
	}
	if _, ok := p3.Get(hashOf(t, x)); ok {
		t.Fatal("base fee 15: x not evicted")
	}
}

func TestCmpPrice(t *testing.T) {
	mk := func(tipCap, feeCap uint64) *types.Transaction {
		return &types.Transaction{GasTipCap: tipCap, GasFeeCap: feeCap}
	}
	tests := []struct {
		a, b *types.Transaction
		base uint64
		want int
	}{
		{mk(5, 20), mk(4, 20), 10, 1},
		{mk(5, 12), mk(3, 100), 10, -1}, // effective 2 vs 3
		{mk(5, 12), mk(3, 100), 1, 1},   // effective 5 vs 3
		{mk(3, 100), mk(3, 200), 1, -1}, // tie on tip: fee cap
		{mk(3, 100), mk(3, 100), 1, 0},
		{mk(0, 10), mk(100, 9), 10, 1}, // 9 is under water
		{mk(0, 8), mk(100, 9), 10, -1}, // both under water: fee cap
	}
	for _, tc := range tests {
		if got := cmpPrice(tc.a, tc.b, tc.base); got != tc.want {
			t.Errorf("cmpPrice(%d/%d, %d/%d, %d) = %d, want %d", tc.a.GasTipCap, tc.a.GasFeeCap, tc.b.GasTipCap, tc.b.GasFeeCap, tc.base, got, tc.want)
		}
		if got := cmpPrice(tc.b, tc.a, tc.base); got != -tc.want {
			t.Errorf("cmpPrice not antisymmetric")
		}
	}
}
