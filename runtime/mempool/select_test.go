package mempool

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// want compares a selection with the expected transactions, by identity.
func wantSelection(t *testing.T, got []*types.Transaction, want ...*types.Transaction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("selected %d transactions, want %d:\n got %v\nwant %v", len(got), len(want), describe(got), describe(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("selection differs at %d:\n got %v\nwant %v", i, describe(got), describe(want))
		}
	}
}

func describe(txs []*types.Transaction) []string {
	out := make([]string, len(txs))
	for i, tx := range txs {
		out[i] = fmt.Sprintf("%x/n%d/tip%d/cap%d", tx.From[:3], tx.Nonce, tx.GasTipCap, tx.GasFeeCap)
	}
	return out
}

func TestSelectNonceOrder(t *testing.T) {
	st := newState()
	ks := keys(t, st, 3)
	p := New(Config{ChainID: testChainID}, st)

	a0 := transferTx(t, ks[0], 0, tip(1, 100))
	a1 := transferTx(t, ks[0], 1, tip(9, 100))
	a2 := transferTx(t, ks[0], 2, tip(9, 100))
	a4 := transferTx(t, ks[0], 4, tip(50, 100)) // behind a gap at 3
	b1 := transferTx(t, ks[1], 1, tip(100, 200))
	c0 := transferTx(t, ks[2], 0, tip(5, 100))
	// Arrival order is irrelevant: send the later nonces first.
	mustAdd(t, p, a4, a2, b1, a1, c0, a0)

	// A's cheap head holds back its pricier successors; B (account nonce 0,
	// only nonce 1 pooled) and A's nonce 4 are not executable.
	wantSelection(t, p.Select(10, params.BlockGasLimit, 100), c0, a0, a1, a2)

	// Filling the gap makes the rest of A's run selectable.
	a3 := transferTx(t, ks[0], 3, tip(1, 100))
	mustAdd(t, p, a3)
	wantSelection(t, p.Select(10, params.BlockGasLimit, 100), c0, a0, a1, a2, a3, a4)

	// With a higher account nonce (after Update) the run starts there.
	st.set(ks[1].Address(), 1, rich, rich)
	if err := p.Update(nil, []types.Address{ks[1].Address()}); err != nil {
		t.Fatal(err)
	}
	wantSelection(t, p.Select(10, params.BlockGasLimit, 100), b1, c0, a0, a1, a2, a3, a4)
}

func TestSelectEffectiveTip(t *testing.T) {
	st := newState()
	ks := keys(t, st, 4)
	p := New(Config{ChainID: testChainID}, st)
	x := transferTx(t, ks[0], 0, tip(50, 60))
	y := transferTx(t, ks[1], 0, tip(20, 100))
	mustAdd(t, p, x, y)

	wantSelection(t, p.Select(10, params.BlockGasLimit, 10), x, y) // 50 vs 20
	wantSelection(t, p.Select(50, params.BlockGasLimit, 10), y, x) // min(50, 10) vs 20
	wantSelection(t, p.Select(60, params.BlockGasLimit, 10), y, x) // 0 vs 20: cap == base is still included
	wantSelection(t, p.Select(61, params.BlockGasLimit, 10), y)    // x's fee cap is below the base fee

	// A head whose fee cap is below the base fee holds back the sender's
	// later nonces, however well they pay.
	z0 := transferTx(t, ks[2], 0, tip(1, 15))
	z1 := transferTx(t, ks[2], 1, tip(90, 100))
	mustAdd(t, p, z0, z1)
	wantSelection(t, p.Select(20, params.BlockGasLimit, 10), x, y)
	wantSelection(t, p.Select(10, params.BlockGasLimit, 10), x, y, z0, z1)

	// A later nonce whose fee cap is below the base fee ends the run.
	w0 := transferTx(t, ks[3], 0, tip(5, 100))
	w1 := transferTx(t, ks[3], 1, tip(5, 15))
	mustAdd(t, p, w0, w1)
	wantSelection(t, p.Select(20, params.BlockGasLimit, 10), x, y, w0)
}

func TestSelectTies(t *testing.T) {
	st := newState()
	ks := keys(t, st, 6)
	p := New(Config{ChainID: testChainID}, st)
	var txs []*types.Transaction
	for _, k := range ks {
		txs = append(txs, transferTx(t, k, 0, tip(3, 30)))
	}
	// Admitted one at a time, in an order unrelated to their hashes: equal
	// effective tips are selected first come, first served.
	slices.SortFunc(txs, func(a, b *types.Transaction) int {
		ha, hb := hashOf(t, a), hashOf(t, b)
		return -slices.Compare(ha[:], hb[:]) // highest hash first
	})
	for _, tx := range txs {
		mustAdd(t, p, tx)
	}
	wantSelection(t, p.Select(10, params.BlockGasLimit, 10), txs...)
}

func TestSelectLimits(t *testing.T) {
	st := newState()
	ks := keys(t, st, 12)
	p := New(Config{ChainID: testChainID}, st)
	byTip := make([]*types.Transaction, 11) // byTip[i] pays tip i
	for i := 1; i <= 10; i++ {
		byTip[i] = transferTx(t, ks[i], 0, tip(uint64(i), 100))
		mustAdd(t, p, byTip[i])
	}
	// 450 gas holds four 100-gas transfers.
	wantSelection(t, p.Select(10, 450, 100), byTip[10], byTip[9], byTip[8], byTip[7])
	wantSelection(t, p.Select(10, 400, 100), byTip[10], byTip[9], byTip[8], byTip[7])
	wantSelection(t, p.Select(10, 399, 100), byTip[10], byTip[9], byTip[8])
	wantSelection(t, p.Select(10, 99, 100))
	// maxTxs.
	wantSelection(t, p.Select(10, params.BlockGasLimit, 3), byTip[10], byTip[9], byTip[8])
	wantSelection(t, p.Select(10, params.BlockGasLimit, 1), byTip[10])
	if got := p.Select(10, params.BlockGasLimit, 0); got != nil {
		t.Fatalf("Select(maxTxs 0) = %v", got)
	}
	if got := p.Select(10, params.BlockGasLimit, -1); got != nil {
		t.Fatalf("Select(maxTxs -1) = %v", got)
	}

	// A transaction that does not fit is skipped with the rest of its
	// sender's run; smaller ones from other senders still fill the block.
	big := claimTx(t, ks[0], 0, "abcdefghijklmnopqrstuvwxyz012345", tip(99, 100)) // 136 gas
	after := transferTx(t, ks[0], 1, tip(99, 100))
	mustAdd(t, p, big, after)
	if big.GasLimit != 136 {
		t.Fatalf("claim gas %d, want 136", big.GasLimit)
	}
	wantSelection(t, p.Select(10, 135, 100), byTip[10])
	wantSelection(t, p.Select(10, 235, 100), big)
	wantSelection(t, p.Select(10, 236, 100), big, after)
	wantSelection(t, p.Select(10, 336, 100), big, after, byTip[10])
	// Select is read-only.
	if p.Len() != 12 {
		t.Fatalf("Len = %d after Select, want 12", p.Len())
	}
}

// Two pools that admitted the same transactions in the same order select
// the same blocks, whatever the batching and the number of signature
// workers; and a pool that admitted them in another order still selects
// a valid block order (each sender's nonces in order, tips never rising
// between senders' heads) of the same size.
func TestSelectDeterministic(t *testing.T) {
	st := newState()
	ks := keys(t, st, 30)
	rng := rand.New(rand.NewPCG(1, 2))
	var all []*types.Transaction
	for _, k := range ks {
		n := 1 + rng.IntN(4)
		for nonce := range n {
			tipCap := uint64(1 + rng.IntN(3)) // many ties
			feeCap := tipCap + uint64(5+rng.IntN(20))
			all = append(all, transferTx(t, k, uint64(nonce), tip(tipCap, feeCap)))
		}
	}
	p1 := New(Config{ChainID: testChainID}, st)
	mustAdd(t, p1, all...)

	p2 := New(Config{ChainID: testChainID, Workers: 3}, st)
	for rest := all; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(7))
		mustAdd(t, p2, rest[:n]...)
		rest = rest[n:]
	}
	shuffled := slices.Clone(all)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	p3 := New(Config{ChainID: testChainID}, st)
	for _, tx := range shuffled {
		p3.Add([]*types.Transaction{tx}) // a nonce ahead of a gap waits: fine
	}
	if p1.Len() != len(all) || p2.Len() != len(all) || p1.Bytes() != p2.Bytes() {
		t.Fatalf("pools hold %d and %d of %d", p1.Len(), p2.Len(), len(all))
	}
	for _, c := range []struct {
		base, gas uint64
		max       int
	}{
		{1, params.BlockGasLimit, 1000},
		{10, params.BlockGasLimit, 1000},
		{10, 2_000, 1000},
		{15, params.BlockGasLimit, 7},
		{22, params.BlockGasLimit, 1000},
	} {
		s1 := p1.Select(c.base, c.gas, c.max)
		s2 := p2.Select(c.base, c.gas, c.max)
		if !sameTxs(s1, s2) {
			t.Fatalf("Select(%d, %d, %d) differs:\n%v\n%v", c.base, c.gas, c.max, describe(s1), describe(s2))
		}
		if again := p1.Select(c.base, c.gas, c.max); !sameTxs(s1, again) {
			t.Fatalf("Select(%d, %d, %d) differs between calls", c.base, c.gas, c.max)
		}
		checkSelection(t, st, s1, c.base, c.gas, c.max)
		s3 := p3.Select(c.base, c.gas, c.max)
		checkSelection(t, st, s3, c.base, c.gas, c.max)
		if len(s3) != len(s1) && c.gas == params.BlockGasLimit {
			t.Fatalf("Select(%d, %d, %d): %d transactions after another admission order, %d before", c.base, c.gas, c.max, len(s3), len(s1))
		}
	}
	if p3.Len() != len(all) {
		t.Fatalf("the shuffled pool holds %d of %d", p3.Len(), len(all))
	}
	if n := len(p1.Select(1, params.BlockGasLimit, 1000)); n != len(all) {
		t.Fatalf("selected %d of %d at base fee 1", n, len(all))
	}
}

// checkSelection verifies a selection's rules independently of Select:
// bounds, fee caps, and per-sender consecutive nonces from the account nonce.
func checkSelection(t *testing.T, st *memState, sel []*types.Transaction, base, gasLimit uint64, maxTxs int) {
	t.Helper()
	if len(sel) > maxTxs {
		t.Fatalf("%d transactions over maxTxs %d", len(sel), maxTxs)
	}
	var gas uint64
	next := map[types.Address]uint64{}
	for _, tx := range sel {
		gas += tx.GasLimit
		if tx.GasFeeCap < base {
			t.Fatalf("fee cap %d below base fee %d", tx.GasFeeCap, base)
		}
		n, ok := next[tx.From]
		if !ok {
			acct, _ := st.Account(tx.From)
			n = acct.Nonce
		}
		if tx.Nonce != n {
			t.Fatalf("sender %v: nonce %d selected, want %d", tx.From, tx.Nonce, n)
		}
		next[tx.From] = n + 1
	}
	if gas > gasLimit {
		t.Fatalf("%d gas over the limit %d", gas, gasLimit)
	}
}

// SelectExcluding passes over the excluded transactions (a proposer's
// uncommitted ancestors carry them) as if they were gone: they take no
// block gas and no place, their senders' next nonces follow, and each
// selected transaction comes with its own hash.
func TestSelectExcluding(t *testing.T) {
	st := newState()
	ks := keys(t, st, 3)
	p := New(Config{ChainID: testChainID}, st)
	a0 := transferTx(t, ks[0], 0, tip(9, 100))
	a1 := transferTx(t, ks[0], 1, tip(9, 100))
	b0 := transferTx(t, ks[1], 0, tip(5, 100))
	c0 := transferTx(t, ks[2], 0, tip(1, 100))
	mustAdd(t, p, a0, a1, b0, c0)
	hash := func(tx *types.Transaction) types.Hash {
		h, err := tx.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	exclude := map[types.Hash]bool{hash(a0): true, hash(b0): true}
	// Two 100-gas places: a0 and b0 would have taken both.
	got, hashes := p.SelectExcluding(10, 200, 2, exclude)
	wantSelection(t, got, a1, c0)
	if len(hashes) != 2 || hashes[0] != hash(a1) || hashes[1] != hash(c0) {
		t.Fatalf("hashes %x, want those of a1 and c0", hashes)
	}
	got, _ = p.SelectExcluding(10, 100, 10, exclude)
	wantSelection(t, got, a1)
	wantSelection(t, p.Select(10, 200, 10), a0, a1) // Select excludes nothing
}
