package mempool

import (
	"errors"
	"sync"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

func TestUpdate(t *testing.T) {
	st := newState()
	ks := keys(t, st, 4)
	a, b, c, d := ks[0], ks[1], ks[2], ks[3]
	st.set(c.Address(), 0, 3*2001, 0)
	p := New(Config{ChainID: testChainID}, st)

	a0, a1, a2 := transferTx(t, a, 0), transferTx(t, a, 1), transferTx(t, a, 2)
	b0, b1 := transferTx(t, b, 0), transferTx(t, b, 1)
	c0, c1, c2 := transferTx(t, c, 0), transferTx(t, c, 1), transferTx(t, c, 2)
	d0 := transferTx(t, d, 0)
	mustAdd(t, p, a0, a1, a2, b0, b1, c0, c1, c2, d0)
	if p.Len() != 9 {
		t.Fatalf("Len = %d, want 9", p.Len())
	}

	// The block included a0 and a1, a transaction of B's nonce 0 that this
	// pool never saw, and one of D's; C paid for something elsewhere and
	// now covers two of its transactions.
	st.set(a.Address(), 2, rich, rich)
	st.set(b.Address(), 1, rich, rich)
	st.set(c.Address(), 0, 2*2001+100, 0)
	st.set(d.Address(), 1, rich, rich)
	blockSenders := []types.Address{a.Address(), a.Address(), b.Address(), c.Address(), d.Address()}
	if err := p.Update([]types.Hash{hashOf(t, a0), hashOf(t, a1), {0xab}}, blockSenders); err != nil {
		t.Fatal(err)
	}

	for _, tx := range []*types.Transaction{a0, a1, b0, c2, d0} {
		if _, ok := p.Get(hashOf(t, tx)); ok {
			t.Errorf("%v still pooled", describe([]*types.Transaction{tx}))
		}
	}
	for _, tx := range []*types.Transaction{a2, b1, c0, c1} {
		if _, ok := p.Get(hashOf(t, tx)); !ok {
			t.Errorf("%v dropped", describe([]*types.Transaction{tx}))
		}
	}
	if p.Len() != 4 || p.Bytes() != 4*151 {
		t.Fatalf("Len %d Bytes %d, want 4 %d", p.Len(), p.Bytes(), 4*151)
	}
	p.mu.RLock()
	_, dPooled := p.senders[d.Address()]
	cCost := p.senders[c.Address()].cost
	p.mu.RUnlock()
	if dPooled || cCost != 2*2001 {
		t.Fatalf("D still a sender (%v) or C pending %d, want 4002", dPooled, cCost)
	}
	checkInvariants(t, p)

	// Every run now starts at the new account nonce.
	sel := p.Select(10, params.BlockGasLimit, 100)
	checkSelection(t, st, sel, 10, params.BlockGasLimit, 100)
	if len(sel) != 4 {
		t.Fatalf("Select = %v, want 4 transactions", describe(sel))
	}
	// Admission uses the new account: A's nonce 1 is now too low.
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, a, 1, tip(5, 50))})[0], ErrNonceTooLow)
	mustAdd(t, p, transferTx(t, a, 3))
	// And C's balance.
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, c, 2)})[0], ErrInsufficientBalance)

	// Including everything empties the pool.
	var all []types.Hash
	for _, tx := range []*types.Transaction{a2, b1, c0, c1} {
		all = append(all, hashOf(t, tx))
	}
	all = append(all, hashOf(t, transferTx(t, a, 3)))
	if err := p.Update(all, []types.Address{a.Address(), b.Address(), c.Address()}); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 || p.Bytes() != 0 {
		t.Fatalf("Len %d Bytes %d after including everything", p.Len(), p.Bytes())
	}
	checkInvariants(t, p)
}

func TestUpdateStateError(t *testing.T) {
	st := newState()
	ks := keys(t, st, 2)
	p := New(Config{ChainID: testChainID}, st)
	a0, b0 := transferTx(t, ks[0], 0), transferTx(t, ks[1], 0)
	mustAdd(t, p, a0, b0)

	boom := errors.New("disk on fire")
	st.setErr(boom)
	err := p.Update([]types.Hash{hashOf(t, a0)}, []types.Address{ks[0].Address(), ks[1].Address()})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	// The included transaction is gone; B keeps its transaction.
	if _, ok := p.Get(hashOf(t, a0)); ok || p.Len() != 1 {
		t.Fatalf("Len %d", p.Len())
	}
	// A new sender cannot be admitted while state fails.
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, ks[0], 1)})[0], boom)
	st.setErr(nil)
	if err := p.Update(nil, nil); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, p)
}

// Accounts read outside the lock before an Update are not trusted after it.
func TestAddAfterUpdateRereadsAccount(t *testing.T) {
	st := newState()
	ks := keys(t, st, 1)
	p := New(Config{ChainID: testChainID}, st)
	tx := transferTx(t, ks[0], 0)

	var c candidate
	if err := p.prepare(tx, nil, &c); err != nil {
		t.Fatal(err)
	}
	if !c.haveAcct || c.acct.Nonce != 0 {
		t.Fatalf("prepare did not read the account: %+v", c)
	}
	// A block commits (nonce 0 used by another transaction), then Update.
	st.set(ks[0].Address(), 1, rich, rich)
	if err := p.Update(nil, []types.Address{ks[0].Address()}); err != nil {
		t.Fatal(err)
	}
	errs := []error{nil}
	p.admitAll([]candidate{c}, errs)
	wantErr(t, errs[0], ErrNonceTooLow)
}

// Several goroutines add batches while others select, get and update:
// run with -race.
func TestConcurrentAdd(t *testing.T) {
	const goroutines, sendersEach, nonces = 8, 10, 4
	st := newState()
	ks := keys(t, st, goroutines*sendersEach)
	batches := make([][]*types.Transaction, goroutines)
	for g := range goroutines {
		for n := range nonces {
			for s := range sendersEach {
				batches[g] = append(batches[g], transferTx(t, ks[g*sendersEach+s], uint64(n)))
			}
		}
	}
	p := New(Config{ChainID: testChainID, Workers: 4}, st)

	var wg sync.WaitGroup
	done := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			txs := batches[g]
			for len(txs) > 0 {
				n := min(len(txs), 7)
				for i, err := range p.Add(txs[:n]) {
					if err != nil {
						t.Errorf("goroutine %d: %v: %v", g, describe(txs[i:i+1]), err)
					}
				}
				txs = txs[n:]
			}
		})
	}
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			sel := p.Select(10, params.BlockGasLimit, 50)
			for _, tx := range sel {
				if got, ok := p.Get(hashOf(t, tx)); ok && got != tx {
					t.Error("Get returned another transaction")
				}
			}
			_ = p.Len() + p.Bytes()
		}
	})
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := p.Update(nil, nil); err != nil {
				t.Error(err)
			}
			p.SetBaseFee(10)
		}
	})
	wg.Wait()
	close(done)
	readers.Wait()

	want := goroutines * sendersEach * nonces
	if p.Len() != want || p.Bytes() != want*151 {
		t.Fatalf("Len %d Bytes %d, want %d %d", p.Len(), p.Bytes(), want, want*151)
	}
	if sel := p.Select(10, uint64(want)*params.GasTransfer, want); len(sel) != want {
		t.Fatalf("selected %d of %d", len(sel), want)
	}
	checkInvariants(t, p)
}

// Update re-reads only the block's senders. A pooled sender that only
// received funds keeps a cached balance that is too low; admission reads
// the account again before refusing for balance.
func TestRecipientCreditSeenAtAdmission(t *testing.T) {
	st := newState()
	ks := keys(t, st, 2)
	a := ks[0]
	st.set(a.Address(), 0, 2001, 0) // covers exactly one transfer
	p := New(Config{ChainID: testChainID}, st)
	mustAdd(t, p, transferTx(t, a, 0))
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, a, 1)})[0], ErrInsufficientBalance)

	// A block in which a only received: it is not among the senders.
	st.set(a.Address(), 0, 2*2001, 0)
	if err := p.Update(nil, []types.Address{ks[1].Address()}); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, p, transferTx(t, a, 1))
	checkInvariants(t, p)
}
