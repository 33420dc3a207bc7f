package mempool

import (
	"crypto/sha256"
	"errors"
	"math"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

func TestConfigDefaults(t *testing.T) {
	c := New(Config{ChainID: 3}, newState()).Config()
	if c.ChainID != 3 || c.MaxTxs != 100_000 || c.MaxBytes != 64<<20 || c.PriceBumpPercent != 10 ||
		c.MaxTxsPerSender != 64 || c.Workers < 1 || c.BaseFee != params.InitialBaseFee {
		t.Fatalf("defaults: %+v", c)
	}
	c = New(Config{MaxTxs: 5, MaxBytes: 6, PriceBumpPercent: 7, Workers: 8, MaxTxsPerSender: 9, BaseFee: 11}, newState()).Config()
	if c.MaxTxs != 5 || c.MaxBytes != 6 || c.PriceBumpPercent != 7 || c.Workers != 8 || c.MaxTxsPerSender != 9 || c.BaseFee != 11 {
		t.Fatalf("explicit config changed: %+v", c)
	}
}

func TestAddValid(t *testing.T) {
	st := newState()
	ks := keys(t, st, 2)
	p := New(Config{ChainID: testChainID}, st)

	a0 := transferTx(t, ks[0], 0)
	a1 := transferTx(t, ks[0], 1)
	b0 := transferTx(t, ks[1], 0, tip(3, 30))
	errs := p.Add([]*types.Transaction{a0, a1, b0})
	if len(errs) != 3 {
		t.Fatalf("%d errors for 3 transactions", len(errs))
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	if got := p.Len(); got != 3 {
		t.Fatalf("Len = %d, want 3", got)
	}
	if got := p.Bytes(); got != 3*151 {
		t.Fatalf("Bytes = %d, want %d", got, 3*151)
	}
	for _, tx := range []*types.Transaction{a0, a1, b0} {
		got, ok := p.Get(hashOf(t, tx))
		if !ok || got != tx {
			t.Fatalf("Get(%v) = %v, %v", hashOf(t, tx), got, ok)
		}
	}
	if _, ok := p.Get(types.Hash{1}); ok {
		t.Fatal("Get of an unknown hash succeeded")
	}

	// A ClaimUsername through AddRaw: 151 + 4 + 5 bytes.
	claim := claimTx(t, ks[1], 1, "alice")
	raw := encode(t, claim)
	h, err := p.AddRaw(raw)
	if err != nil {
		t.Fatalf("AddRaw: %v", err)
	}
	if h != hashOf(t, claim) || h != types.Hash(sha256.Sum256(raw)) {
		t.Fatalf("AddRaw hash %v, want %v", h, hashOf(t, claim))
	}
	got, ok := p.Get(h)
	if !ok || got.Type != types.TxTypeClaimUsername || got.Nonce != 1 || string(encode(t, got)) != string(raw) {
		t.Fatalf("Get after AddRaw = %+v, %v", got, ok)
	}
	if p.Len() != 4 || p.Bytes() != 3*151+160 {
		t.Fatalf("Len, Bytes = %d, %d; want 4, %d", p.Len(), p.Bytes(), 3*151+160)
	}
	// The sender's pending cost is tracked: B spent 100*30+1 and 109*20.
	p.mu.RLock()
	sb := p.senders[ks[1].Address()]
	p.mu.RUnlock()
	if sb.cost != 3001+2180 || sb.btc != 0 {
		t.Fatalf("B pending cost %d/%d, want %d/0", sb.cost, sb.btc, 3001+2180)
	}
	checkInvariants(t, p)
}

func TestAddRejections(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		setup func(t *testing.T, st *memState, p *Pool, ks []*crypto.PrivateKey)
		tx    func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction
		want  []error // every one must match
	}{
		{
			name: "signed by another key",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[1], 0)
				tx.From = ks[0].Address()
				return tx
			},
			want: []error{ErrInvalidSignature, crypto.ErrSignerMismatch},
		},
		{
			name: "field changed after signing",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				tx.Amount++
				return tx
			},
			want: []error{ErrInvalidSignature},
		},
		{
			name: "zero signature",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				tx.Signature = types.Signature{}
				return tx
			},
			want: []error{ErrInvalidSignature, crypto.ErrInvalidSignatureValues},
		},
		{
			name: "recovery id 27",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				tx.Signature[64] += 27
				return tx
			},
			want: []error{ErrInvalidSignature, crypto.ErrInvalidRecoveryID},
		},
		{
			name: "signed for another chain id",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				return signTx(t, ks[0], testChainID+1, tx)
			},
			want: []error{ErrInvalidSignature, crypto.ErrSignerMismatch},
		},
		{
			name: "nonce below the account nonce",
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 5, rich, rich)
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 4) },
			want: []error{ErrNonceTooLow},
		},
		{
			name: "nonce MaxTxsPerSender ahead",
			cfg:  Config{MaxTxsPerSender: 4},
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 5, rich, rich)
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 9) },
			want: []error{ErrNonceGap},
		},
		{
			name: "ORAMA balance one ray short of max cost",
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 0, 2000, 0) // needs 100*20 + 1
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 0) },
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "absent account",
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.mu.Lock()
				delete(st.accts, ks[0].Address())
				st.mu.Unlock()
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 0) },
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "BTC balance below the amount",
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 0, rich, 499)
			},
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) {
					tx.Asset = types.AssetBTC
					tx.Amount = 500
				})
			},
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "BTC transfer fee needs ORAMA",
			setup: func(t *testing.T, st *memState, _ *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 0, 1999, rich)
			},
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.Asset = types.AssetBTC })
			},
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "pending transactions count against the balance",
			setup: func(t *testing.T, st *memState, p *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 0, 4001, 0)
				mustAdd(t, p, transferTx(t, ks[0], 0)) // 2001 of 4001
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 1) },
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "pending BTC transfers count against the BTC balance",
			setup: func(t *testing.T, st *memState, p *Pool, ks []*crypto.PrivateKey) {
				st.set(ks[0].Address(), 0, rich, 900)
				mustAdd(t, p, transferTx(t, ks[0], 0, func(tx *types.Transaction) {
					tx.Asset, tx.Amount = types.AssetBTC, 500
				}))
			},
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 1, func(tx *types.Transaction) { tx.Asset, tx.Amount = types.AssetBTC, 401 })
			},
			want: []error{ErrInsufficientBalance},
		},
		{
			name: "max cost overflows",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.GasFeeCap, tx.GasTipCap = math.MaxUint64, 0 })
			},
			want: []error{ErrInsufficientBalance, txrules.ErrOverflow},
		},
		{
			name: "gas limit above the block gas limit",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.GasLimit = params.BlockGasLimit + 1 })
			},
			want: []error{txrules.ErrGasLimitAboveBlock},
		},
		{
			name: "fee cap below MinBaseFee",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, tip(0, 0))
			},
			want: []error{ErrFeeCapTooLow, txrules.ErrFeeCapBelowBaseFee},
		},
		{
			name: "transfer carrying data",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.Data, tx.GasLimit = []byte{1}, 101 })
			},
			want: []error{txrules.ErrInvalidPayload},
		},
		{
			name: "claim username with a bad payload",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return claimTx(t, ks[0], 0, "alice", func(tx *types.Transaction) { tx.Data = tx.Data[:len(tx.Data)-1] })
			},
			want: []error{txrules.ErrInvalidPayload},
		},
		{
			name: "claim username with a recipient",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return claimTx(t, ks[0], 0, "alice", func(tx *types.Transaction) { tx.To = types.Address{1} })
			},
			want: []error{txrules.ErrInvalidRecipient},
		},
		{
			name: "inactive type",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.Type = types.TxTypeStake })
			},
			want: []error{txrules.ErrUnsupportedType},
		},
		{
			name: "gas limit below intrinsic gas",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, func(tx *types.Transaction) { tx.GasLimit = 99 })
			},
			want: []error{txrules.ErrGasLimitTooLow},
		},
		{
			name: "tip above fee cap",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, tip(21, 20))
			},
			want: []error{txrules.ErrTipAboveFeeCap},
		},
		{
			name: "already known",
			setup: func(t *testing.T, _ *memState, p *Pool, ks []*crypto.PrivateKey) {
				mustAdd(t, p, transferTx(t, ks[0], 0))
			},
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return transferTx(t, ks[0], 0) },
			want: []error{ErrAlreadyKnown},
		},
		{
			name: "replacement underpriced",
			setup: func(t *testing.T, _ *memState, p *Pool, ks []*crypto.PrivateKey) {
				mustAdd(t, p, transferTx(t, ks[0], 0, tip(10, 100)))
			},
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, tip(10, 200))
			},
			want: []error{ErrReplacementUnderpriced},
		},
		{
			name: "pool full",
			cfg:  Config{MaxTxs: 1},
			setup: func(t *testing.T, _ *memState, p *Pool, ks []*crypto.PrivateKey) {
				mustAdd(t, p, transferTx(t, ks[1], 0, tip(5, 20)))
			},
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				return transferTx(t, ks[0], 0, tip(5, 20))
			},
			want: []error{ErrPoolFull},
		},
		{
			name: "too large",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				tx.Data = make([]byte, MaxTxBytes) // over MaxTxDataBytes too: not even encodable
				return tx
			},
			want: []error{ErrTooLarge},
		},
		{
			name: "nil",
			tx:   func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction { return nil },
			want: []error{ErrMalformed},
		},
		{
			name: "unknown type",
			tx: func(t *testing.T, ks []*crypto.PrivateKey) *types.Transaction {
				tx := transferTx(t, ks[0], 0)
				tx.Type = types.TxType(200) // not a variant: rejected before encoding
				return tx
			},
			want: []error{txrules.ErrUnsupportedType},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newState()
			ks := keys(t, st, 2)
			cfg := tc.cfg
			cfg.ChainID = testChainID
			p := New(cfg, st)
			if tc.setup != nil {
				tc.setup(t, st, p, ks)
			}
			before, beforeBytes := p.Len(), p.Bytes()
			tx := tc.tx(t, ks)
			errs := p.Add([]*types.Transaction{tx})
			if len(errs) != 1 {
				t.Fatalf("%d errors", len(errs))
			}
			for _, want := range tc.want {
				wantErr(t, errs[0], want)
			}
			if p.Len() != before || p.Bytes() != beforeBytes {
				t.Fatalf("rejected transaction changed the pool: %d/%d -> %d/%d", before, beforeBytes, p.Len(), p.Bytes())
			}
			if tx != nil && tx.Type.Valid() && tx.Asset.Valid() && len(tx.Data) <= params.MaxTxDataBytes {
				if got, ok := p.Get(hashOf(t, tx)); ok && !errors.Is(errs[0], ErrAlreadyKnown) {
					t.Fatalf("rejected transaction is pooled: %v", got)
				}
			}
			checkInvariants(t, p)
		})
	}
}

// The boundaries of the rejections above are admitted.
func TestAddBoundaries(t *testing.T) {
	st := newState()
	ks := keys(t, st, 4)
	p := New(Config{ChainID: testChainID, MaxTxsPerSender: 4}, st)

	st.set(ks[0].Address(), 5, rich, 0)
	mustAdd(t, p, transferTx(t, ks[0], 8)) // account nonce 5, window 5..8; gaps are allowed
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, ks[0], 9)})[0], ErrNonceGap)

	st.set(ks[1].Address(), 0, 2001, 0) // exactly the max cost
	mustAdd(t, p, transferTx(t, ks[1], 0))

	st.set(ks[2].Address(), 0, 2000, 500) // BTC transfer: fee in ORAMA, amount in BTC
	mustAdd(t, p, transferTx(t, ks[2], 0, func(tx *types.Transaction) { tx.Asset, tx.Amount = types.AssetBTC, 500 }))

	mustAdd(t, p, transferTx(t, ks[3], 0, tip(0, params.MinBaseFee)))

	if p.Len() != 4 {
		t.Fatalf("Len = %d, want 4", p.Len())
	}
	checkInvariants(t, p)
}

func TestAddRaw(t *testing.T) {
	st := newState()
	ks := keys(t, st, 1)
	p := New(Config{ChainID: testChainID}, st)
	tx := transferTx(t, ks[0], 0)
	raw := encode(t, tx)

	for _, bad := range [][]byte{
		nil,
		{0},
		raw[:len(raw)-1],
		append(append([]byte{}, raw...), 0), // trailing byte
		func() []byte { b := append([]byte{}, raw...); b[0] = 200; return b }(), // unknown type
		func() []byte { b := append([]byte{}, raw...); b[49] = 2; return b }(),  // unknown asset
	} {
		if _, err := p.AddRaw(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("AddRaw(%x...) = %v, want ErrMalformed", bad[:min(len(bad), 8)], err)
		}
	}
	if _, err := p.AddRaw(make([]byte, MaxTxBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AddRaw of %d bytes = %v, want ErrTooLarge", MaxTxBytes+1, err)
	}
	if p.Len() != 0 {
		t.Fatalf("Len = %d after bad input", p.Len())
	}

	h, err := p.AddRaw(raw)
	if err != nil || h != hashOf(t, tx) {
		t.Fatalf("AddRaw = %v, %v; want %v", h, err, hashOf(t, tx))
	}
	h2, err := p.AddRaw(raw)
	if !errors.Is(err, ErrAlreadyKnown) || h2 != h {
		t.Fatalf("second AddRaw = %v, %v; want %v, ErrAlreadyKnown", h2, err, h)
	}
	// A valid encoding with a bad signature returns its hash and the error.
	bad := append([]byte{}, raw...)
	bad[len(bad)-2] ^= 1
	h3, err := p.AddRaw(bad)
	if !errors.Is(err, ErrInvalidSignature) || h3 != types.Hash(sha256.Sum256(bad)) {
		t.Fatalf("AddRaw(bad signature) = %v, %v", h3, err)
	}
	if p.Len() != 1 {
		t.Fatalf("Len = %d, want 1", p.Len())
	}
}

// Within one batch, each transaction sees the ones before it.
func TestAddBatchInOrder(t *testing.T) {
	st := newState()
	ks := keys(t, st, 1)
	st.set(ks[0].Address(), 0, 2*2001, 0)
	p := New(Config{ChainID: testChainID}, st)
	t0 := transferTx(t, ks[0], 0)
	errs := p.Add([]*types.Transaction{
		t0,
		t0,                                  // duplicate in the same batch
		transferTx(t, ks[0], 1),             // fits: 4002 of 4002
		transferTx(t, ks[0], 2),             // does not
		transferTx(t, ks[0], 1, tip(1, 21)), // replacement bump too small
	})
	want := []error{nil, ErrAlreadyKnown, nil, ErrInsufficientBalance, ErrReplacementUnderpriced}
	for i := range want {
		if want[i] == nil && errs[i] != nil || want[i] != nil && !errors.Is(errs[i], want[i]) {
			t.Errorf("tx %d: %v, want %v", i, errs[i], want[i])
		}
	}
	if p.Len() != 2 {
		t.Fatalf("Len = %d, want 2", p.Len())
	}
}

func TestReplacement(t *testing.T) {
	st := newState()
	ks := keys(t, st, 1)
	a := ks[0].Address()
	p := New(Config{ChainID: testChainID}, st)

	old := transferTx(t, ks[0], 0, tip(10, 100))
	mustAdd(t, p, old)
	for _, c := range []struct{ tip, cap uint64 }{
		{11, 109}, // fee cap 9% higher
		{10, 200}, // tip not raised
		{20, 100}, // fee cap not raised
		{10, 100}, // same prices, other contents
		{9, 150},
	} {
		tx := transferTx(t, ks[0], 0, tip(c.tip, c.cap), func(tx *types.Transaction) { tx.Amount = 2 })
		wantErr(t, p.Add([]*types.Transaction{tx})[0], ErrReplacementUnderpriced)
	}
	if got, ok := p.Get(hashOf(t, old)); !ok || got != old || p.Len() != 1 {
		t.Fatal("underpriced replacement disturbed the original")
	}

	// Exactly 10% higher on both: replaces.
	repl := transferTx(t, ks[0], 0, tip(11, 110))
	mustAdd(t, p, repl)
	if _, ok := p.Get(hashOf(t, old)); ok {
		t.Fatal("replaced transaction still pooled")
	}
	if got, ok := p.Get(hashOf(t, repl)); !ok || got != repl || p.Len() != 1 || p.Bytes() != 151 {
		t.Fatalf("after replacement: Len %d Bytes %d", p.Len(), p.Bytes())
	}
	if sel := p.Select(10, params.BlockGasLimit, 10); len(sel) != 1 || sel[0] != repl {
		t.Fatalf("Select after replacement = %v", sel)
	}

	// The replaced transaction's cost is released: the balance covers the
	// new one alone, not both.
	st.set(a, 0, 100*200+1, 0)
	p2 := New(Config{ChainID: testChainID}, st)
	mustAdd(t, p2, transferTx(t, ks[0], 0, tip(10, 100))) // 10,001
	mustAdd(t, p2, transferTx(t, ks[0], 0, tip(20, 200))) // 20,001
	p2.mu.RLock()
	cost := p2.senders[a].cost
	p2.mu.RUnlock()
	if cost != 20_001 || p2.Len() != 1 {
		t.Fatalf("pending cost %d, Len %d; want 20001, 1", cost, p2.Len())
	}
	checkInvariants(t, p2)

	// A zero tip can be bumped to any positive tip.
	st.set(a, 0, rich, 0)
	p3 := New(Config{ChainID: testChainID}, st)
	mustAdd(t, p3, transferTx(t, ks[0], 0, tip(0, 5)))
	wantErr(t, p3.Add([]*types.Transaction{transferTx(t, ks[0], 0, tip(1, 5))})[0], ErrReplacementUnderpriced)
	mustAdd(t, p3, transferTx(t, ks[0], 0, tip(1, 6))) // 5 * 1.1 = 5.5 <= 6

	// A custom bump.
	p4 := New(Config{ChainID: testChainID, PriceBumpPercent: 50}, st)
	mustAdd(t, p4, transferTx(t, ks[0], 0, tip(10, 100)))
	wantErr(t, p4.Add([]*types.Transaction{transferTx(t, ks[0], 0, tip(14, 150))})[0], ErrReplacementUnderpriced)
	wantErr(t, p4.Add([]*types.Transaction{transferTx(t, ks[0], 0, tip(15, 149))})[0], ErrReplacementUnderpriced)
	mustAdd(t, p4, transferTx(t, ks[0], 0, tip(15, 150)))
}

func TestBumped(t *testing.T) {
	tests := []struct {
		v, old, pct uint64
		want        bool
	}{
		{11, 10, 10, true},
		{10, 10, 10, false},
		{10, 10, 0, false}, // never equal
		{1, 0, 10, true},
		{0, 0, 10, false},
		{math.MaxUint64, math.MaxUint64 / 2, 10, true},
		{math.MaxUint64, math.MaxUint64 - 1, 10, false}, // no wrap in old*(100+pct)
		{2, 1, math.MaxUint64, false},
	}
	for _, tc := range tests {
		if got := bumped(tc.v, tc.old, tc.pct); got != tc.want {
			t.Errorf("bumped(%d, %d, %d) = %v", tc.v, tc.old, tc.pct, got)
		}
	}
}

func TestVerifyBlockSignatures(t *testing.T) {
	st := newState()
	ks := keys(t, st, 3)
	p := New(Config{ChainID: testChainID, Workers: 2}, st)
	pooled := transferTx(t, ks[0], 0)
	mustAdd(t, p, pooled)
	block := []types.Transaction{*pooled, *transferTx(t, ks[1], 0), *transferTx(t, ks[2], 0)}
	if i, err := p.VerifyBlockSignatures(block); err != nil {
		t.Fatalf("valid block: %d, %v", i, err)
	}
	bad := append([]types.Transaction(nil), block...)
	bad[2].Signature[5] ^= 1
	if i, err := p.VerifyBlockSignatures(bad); i != 2 || !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("tampered signature: %d, %v", i, err)
	}
	// Another signer than From: the signature is valid, but not From's.
	forged := append([]types.Transaction(nil), block...)
	forged[1].From = ks[2].Address()
	if i, err := p.VerifyBlockSignatures(forged); i != 1 || !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("wrong signer: %d, %v", i, err)
	}
}
