package mempool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

const testChainID = 7

// memState is an in-memory State.
type memState struct {
	mu    sync.RWMutex
	accts map[types.Address]types.Account
	names map[string]types.Address
	err   error // returned by every read when set
	reads int
}

func newState() *memState { return &memState{accts: make(map[types.Address]types.Account)} }

func (m *memState) Account(a types.Address) (types.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.err != nil {
		return types.Account{}, m.err
	}
	acct, ok := m.accts[a]
	if !ok {
		return types.Account{Address: a}, nil
	}
	return acct, nil
}

func (m *memState) UsernameOwner(name string) (types.Address, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return types.Address{}, false, m.err
	}
	a, ok := m.names[name]
	return a, ok, nil
}

// claim records name as a's username, as a committed ClaimUsername would.
func (m *memState) claim(a types.Address, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names == nil {
		m.names = make(map[string]types.Address)
	}
	m.names[name] = a
	acct := m.accts[a]
	acct.Address, acct.Username = a, name
	m.accts[a] = acct
}

func (m *memState) set(a types.Address, nonce, orama, btc uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accts[a] = types.Account{Address: a, Nonce: nonce, OramaBalance: orama, BTCBalance: btc}
}

func (m *memState) setErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// rich is a balance that pays for anything the tests send.
const rich = 1 << 50

// testKey returns the i-th deterministic test key.
func testKey(t testing.TB, i int) *crypto.PrivateKey {
	t.Helper()
	seed := sha256.Sum256(fmt.Appendf(nil, "mempool test key %d", i))
	k, err := crypto.PrivateKeyFromBytes(seed[:])
	if err != nil {
		t.Fatalf("key %d: %v", i, err)
	}
	return k
}

// keys returns n test keys, funded in st (when st is not nil).
func keys(t testing.TB, st *memState, n int) []*crypto.PrivateKey {
	t.Helper()
	ks := make([]*crypto.PrivateKey, n)
	for i := range ks {
		ks[i] = testKey(t, i)
		if st != nil {
			st.set(ks[i].Address(), 0, rich, rich)
		}
	}
	return ks
}

// txOpt adjusts a transaction before it is signed.
type txOpt func(*types.Transaction)

func tip(tipCap, feeCap uint64) txOpt {
	return func(tx *types.Transaction) { tx.GasTipCap, tx.GasFeeCap = tipCap, feeCap }
}

// transferTx returns a signed ORAMA transfer of 1 ray from k at nonce,
// tip 1 and fee cap 20 unless opts say otherwise.
func transferTx(t testing.TB, k *crypto.PrivateKey, nonce uint64, opts ...txOpt) *types.Transaction {
	t.Helper()
	tx := &types.Transaction{
		Type:      types.TxTypeTransfer,
		From:      k.Address(),
		To:        types.Address{0xee},
		Amount:    1,
		Asset:     types.AssetOrama,
		Nonce:     nonce,
		GasLimit:  params.GasTransfer,
		GasTipCap: 1,
		GasFeeCap: 20,
	}
	for _, o := range opts {
		o(tx)
	}
	return signTx(t, k, testChainID, tx)
}

// claimTx returns a signed ClaimUsername of name.
func claimTx(t testing.TB, k *crypto.PrivateKey, nonce uint64, name string, opts ...txOpt) *types.Transaction {
	t.Helper()
	p := types.ClaimUsernamePayload{Username: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	tx := &types.Transaction{
		Type:      types.TxTypeClaimUsername,
		From:      k.Address(),
		Nonce:     nonce,
		GasLimit:  params.GasClaimUsername + uint64(len(data)),
		GasTipCap: 1,
		GasFeeCap: 20,
		Data:      data,
	}
	for _, o := range opts {
		o(tx)
	}
	return signTx(t, k, testChainID, tx)
}

// signTx signs tx (From set to k's address) for chainID, exactly as a
// wallet does: SigningPayload, SigningHash, Sign.
func signTx(t testing.TB, k *crypto.PrivateKey, chainID uint64, tx *types.Transaction) *types.Transaction {
	t.Helper()
	tx.From = k.Address()
	payload, err := tx.SigningPayload()
	if err != nil {
		t.Fatalf("signing payload: %v", err)
	}
	h, err := crypto.SigningHash(crypto.DomainTransaction, chainID, payload)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Signature, err = crypto.Sign(k, h); err != nil {
		t.Fatal(err)
	}
	return tx
}

func hashOf(t testing.TB, tx *types.Transaction) types.Hash {
	t.Helper()
	h, err := tx.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func encode(t testing.TB, tx *types.Transaction) []byte {
	t.Helper()
	b, err := tx.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustAdd admits txs one batch and fails on any rejection.
func mustAdd(t testing.TB, p *Pool, txs ...*types.Transaction) {
	t.Helper()
	for i, err := range p.Add(txs) {
		if err != nil {
			t.Fatalf("Add tx %d (nonce %d): %v", i, txs[i].Nonce, err)
		}
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// checkInvariants verifies the pool's internal consistency and bounds.
func checkInvariants(t testing.TB, p *Pool) {
	t.Helper()
	p.mu.RLock()
	defer p.mu.RUnlock()
	if len(p.all) > p.cfg.MaxTxs {
		t.Fatalf("%d transactions, MaxTxs %d", len(p.all), p.cfg.MaxTxs)
	}
	if p.bytes > p.cfg.MaxBytes {
		t.Fatalf("%d bytes, MaxBytes %d", p.bytes, p.cfg.MaxBytes)
	}
	if p.tails.Len() != len(p.senders) {
		t.Fatalf("%d senders in the heap, %d in the map", p.tails.Len(), len(p.senders))
	}
	n, size := 0, 0
	for addr, s := range p.senders {
		if s.addr != addr || s.index < 0 || p.tails.senders[s.index] != s {
			t.Fatalf("sender %v: bad index %d", addr, s.index)
		}
		if len(s.txs) == 0 || len(s.txs) > p.cfg.MaxTxsPerSender {
			t.Fatalf("sender %v holds %d transactions", addr, len(s.txs))
		}
		var cost, btc uint64
		for i, e := range s.txs {
			if e.tx.From != addr {
				t.Fatalf("sender %v holds a transaction from %v", addr, e.tx.From)
			}
			if i > 0 && e.tx.Nonce <= s.txs[i-1].tx.Nonce {
				t.Fatalf("sender %v: nonces out of order", addr)
			}
			if e.tx.Nonce < s.acct.Nonce || e.tx.Nonce-s.acct.Nonce >= uint64(p.cfg.MaxTxsPerSender) {
				t.Fatalf("sender %v: nonce %d outside window of account nonce %d", addr, e.tx.Nonce, s.acct.Nonce)
			}
			if p.all[e.hash] != e {
				t.Fatalf("sender %v: nonce %d missing from the hash index", addr, e.tx.Nonce)
			}
			if h := hashOf(t, e.tx); h != e.hash || len(encode(t, e.tx)) != e.size {
				t.Fatalf("sender %v: stale hash or size", addr)
			}
			cost += e.cost
			btc += e.btc
			size += e.size
			n++
		}
		if cost != s.cost || btc != s.btc {
			t.Fatalf("sender %v: sums %d/%d, want %d/%d", addr, s.cost, s.btc, cost, btc)
		}
		if cost > s.acct.OramaBalance || btc > s.acct.BTCBalance {
			t.Fatalf("sender %v: pending %d/%d over balance %d/%d", addr, cost, btc, s.acct.OramaBalance, s.acct.BTCBalance)
		}
	}
	if n != len(p.all) || size != p.bytes {
		t.Fatalf("index holds %d txs / %d bytes, senders %d / %d", len(p.all), p.bytes, n, size)
	}
	// Pending claims: exactly the pooled ClaimUsernames, one per name.
	claims := 0
	for _, e := range p.all {
		if e.claim != "" {
			claims++
			if p.claims[e.claim] != e {
				t.Fatalf("pooled claim of %q missing from the claims index", e.claim)
			}
		}
	}
	if claims != len(p.claims) {
		t.Fatalf("claims index holds %d names, pool %d claims", len(p.claims), claims)
	}
	// Heap property.
	for i := 1; i < p.tails.Len(); i++ {
		if p.tails.Less(i, (i-1)/2) {
			t.Fatalf("tail heap violated at %d", i)
		}
	}
}

// hashes returns the hashes of txs, in order.
func hashes(t testing.TB, txs []*types.Transaction) []types.Hash {
	out := make([]types.Hash, len(txs))
	for i, tx := range txs {
		out[i] = hashOf(t, tx)
	}
	return out
}

func sameTxs(a, b []*types.Transaction) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ea, _ := a[i].MarshalBorsh()
		eb, _ := b[i].MarshalBorsh()
		if !bytes.Equal(ea, eb) {
			return false
		}
	}
	return true
}
