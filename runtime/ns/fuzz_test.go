package ns

import (
	"context"
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// FuzzSubmission: any bytes posted as a submission are decoded strictly and
// checked without a panic; whatever is accepted re-encodes to the same
// bytes (one encoding per value).
func FuzzSubmission(f *testing.F) {
	k := mustKey(f, 1)
	for _, p := range []any{
		&types.NsCall{Function: "transfer", Input: []byte{1, 2}, GasLimit: 100},
		&types.NsWithdraw{Amount: 5},
		&types.NsDeposit{Amount: 5},
	} {
		sub, err := NewSubmission("demo", k, testChainID, 3, p, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := sub.MarshalBorsh()
		f.Add(b)
	}
	sub, _ := NewSubmission("demo", k, testChainID, 0, &types.NsDeploy{GasLimit: 9}, []byte("\x00asm\x01\x00\x00\x00"))
	b, _ := sub.MarshalBorsh()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		sub, err := DecodeSubmission(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("decode error %v is not invalid_request", err)
			}
			return
		}
		again, err := sub.MarshalBorsh()
		if err != nil || string(again) != string(b) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", again, b, err)
		}
		if _, err := CheckSubmission(sub, "demo", testChainID, k.Address()); err != nil {
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("check error %v is not a Refusal", err)
			}
		}
	})
}

// FuzzReplay: after a logged first entry, arbitrary bytes as the second
// are replayed (Verify's per-position step) without a panic; anything but the
// logged entry is a mismatch at position 2, and nothing of it stays.
func FuzzReplay(f *testing.F) {
	n := newTestNS(f, types.NamespaceTierTier1)
	alice := mustKey(f, 1)
	n.deposit(f, alice.Address(), 100)
	n.submit(f, alice, &types.NsWithdraw{Asset: types.AssetOrama, Amount: 7, To: alice.Address()}, nil)
	entries := n.entries(f)
	cfg := VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(f)}
	// A machine at position 1, built once.
	db, err := MemReplica()
	if err != nil {
		f.Fatal(err)
	}
	m, err := NewMachine(MachineConfig{Meta: n.meta, ChainID: testChainID, Authority: cfg.Authority, VM: cfg.VM,
		KV: smt.NewMemStore(), DB: db, Storage: newMemBlobs()})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	var h, ts uint64
	first := check(entries[0], cfg)
	e1, err := replayOne(ctx, m, cfg, 1, m.head.Hash, &h, &ts, &first)
	if err != nil {
		f.Fatal(err)
	}
	if err := m.Commit(ctx); err != nil {
		f.Fatal(err)
	}
	f.Add(entries[1])
	f.Add(entries[0])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		defer m.Rollback()
		hh, tts := h, ts
		c := check(b, cfg)
		_, err := replayOne(ctx, m, cfg, 2, e1.Hash, &hh, &tts, &c)
		if err == nil {
			if string(b) != string(entries[1]) && !sameButInputs(t, b, entries[1]) {
				t.Fatalf("an entry other than the logged one replayed: %x", b)
			}
			return
		}
		var mm *Mismatch
		if !errors.As(err, &mm) || mm.Position != 2 {
			t.Fatalf("replay: %v", err)
		}
		if pos, _, _ := m.Head(); pos != 1 || m.Pending() > 1 {
			t.Fatalf("head %d, pending %d", pos, m.Pending())
		}
	})
}

// sameButInputs says whether entry a is the logged entry b but for the
// global chain's height and timestamp it records: the executor's inputs,
// which replay takes from the entry (namespaces.md 8 checks only that they
// do not decrease), so a log recording other values is another valid log.
func sameButInputs(t *testing.T, a, b []byte) bool {
	var x, y types.TxLogEntry
	if err := x.UnmarshalBorsh(a); err != nil {
		t.Fatalf("a replayed entry does not decode: %v", err)
	}
	if err := y.UnmarshalBorsh(b); err != nil {
		t.Fatal(err)
	}
	x.ChainHeight, x.ChainTimestamp = y.ChainHeight, y.ChainTimestamp
	enc, err := x.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return string(enc) == string(b)
}
