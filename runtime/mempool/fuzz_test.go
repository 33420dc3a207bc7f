package mempool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// FuzzAddRaw feeds arbitrary bytes to AddRaw on a small pool that already
// holds transactions. It must never panic; every rejection must be one of
// the typed errors; an admitted transaction must be exactly the input
// bytes; and the pool must stay consistent and within its bounds.
func FuzzAddRaw(f *testing.F) {
	st := newState()
	ks := keys(f, st, 3)
	pooled := []*types.Transaction{
		transferTx(f, ks[0], 0, tip(5, 50)),
		transferTx(f, ks[0], 1, tip(5, 50)),
		claimTx(f, ks[1], 0, "alice", tip(2, 30)),
	}
	seeds := []*types.Transaction{
		transferTx(f, ks[0], 2),                  // next nonce
		transferTx(f, ks[0], 1, tip(10, 100)),    // replacement
		transferTx(f, ks[0], 1, tip(5, 51)),      // underpriced replacement
		transferTx(f, ks[2], 0, tip(9, 90)),      // new sender, evicts
		transferTx(f, ks[2], 0, tip(0, 1)),       // new sender, pool full
		transferTx(f, ks[2], 70),                 // nonce gap
		claimTx(f, ks[2], 0, "bob", tip(20, 40)), // claim
		signTx(f, ks[2], testChainID+1, &types.Transaction{Nonce: 0, GasLimit: 100, GasFeeCap: 10}), // wrong chain
	}
	for _, tx := range append(pooled, seeds...) {
		f.Add(encode(f, tx))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add(bytes.Repeat([]byte{1}, 151))

	sentinels := []error{
		ErrMalformed, ErrTooLarge, ErrInvalidSignature, ErrFeeCapTooLow, ErrAlreadyKnown,
		ErrNonceTooLow, ErrNonceGap, ErrInsufficientBalance, ErrReplacementUnderpriced, ErrPoolFull,
		ErrUsernameTaken, ErrUsernameAlreadySet, txrules.ErrGasLimitAboveBlock,
		txrules.ErrInvalidPayload, txrules.ErrUnsupportedType, txrules.ErrGasLimitTooLow,
		txrules.ErrTipAboveFeeCap, txrules.ErrInvalidRecipient, txrules.ErrInvalidAmount,
		txrules.ErrUsernameInvalid, txrules.ErrOverflow, txrules.ErrFeeCapBelowBaseFee,
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p := New(Config{ChainID: testChainID, MaxTxs: 4, MaxBytes: 4 * 200, Workers: 1}, st)
		mustAdd(t, p, pooled...)
		before := p.Len()
		h, err := p.AddRaw(raw)
		if err != nil {
			typed := false
			for _, s := range sentinels {
				typed = typed || errors.Is(err, s)
			}
			if !typed {
				t.Fatalf("untyped error: %v", err)
			}
			if p.Len() != before {
				t.Fatalf("rejected input changed Len %d -> %d", before, p.Len())
			}
		} else {
			if h != types.Hash(sha256.Sum256(raw)) {
				t.Fatalf("hash %v is not SHA-256 of the input", h)
			}
			tx, ok := p.Get(h)
			if !ok {
				t.Fatal("admitted transaction not found")
			}
			if enc, err := tx.MarshalBorsh(); err != nil || !bytes.Equal(enc, raw) {
				t.Fatalf("pooled transaction re-encodes differently: %v", err)
			}
			if _, err := p.AddRaw(raw); !errors.Is(err, ErrAlreadyKnown) {
				t.Fatalf("second AddRaw = %v, want ErrAlreadyKnown", err)
			}
		}
		checkInvariants(t, p)
		_ = p.Select(10, 1_000, 10)
	})
}
