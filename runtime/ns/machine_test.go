package ns

import (
	"context"
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
)

func TestTokenCallsAndVerify(t *testing.T) {
	for _, tier := range []types.NamespaceTier{types.NamespaceTierTier0, types.NamespaceTierTier1} {
		t.Run(tier.String(), func(t *testing.T) {
			n := newTestNS(t, tier)
			alice, bob := mustKey(t, 1), mustKey(t, 2)
			n.deposit(t, alice.Address(), 1_000)
			token := n.deploy(t, alice, module(t, "token"), "init")
			res := n.submit(t, alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 600, GasLimit: 10_000_000}, nil)
			if res.Entry.Outcome.Status != types.NsStatusOk || len(res.Entry.Outcome.Events) != 1 {
				t.Fatalf("deposit: %+v", res.Entry.Outcome)
			}
			res = n.submit(t, alice, &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(bob.Address(), 250), GasLimit: 10_000_000}, nil)
			if res.Entry.Outcome.Status != types.NsStatusOk || len(res.Entry.Outcome.Results) != 1 || res.Entry.Outcome.Results[0] != 0 {
				t.Fatalf("transfer: %+v", res.Entry.Outcome)
			}
			// A trap (bad input) uses the nonce and changes nothing else.
			before := n.Status()
			res = n.submit(t, alice, &types.NsCall{Contract: token, Function: "transfer", Input: []byte{1, 2, 3}, OramaValue: 5, GasLimit: 10_000_000}, nil)
			if res.Entry.Outcome.Status != types.NsStatusTrap {
				t.Fatalf("bad transfer: %+v", res.Entry.Outcome)
			}
			acc, _, _ := n.Account(alice.Address())
			if acc.Orama != 400 || acc.Nonce != 4 {
				t.Fatalf("alice after trap: %+v (the value sent returns)", acc)
			}
			if tier == types.NamespaceTierTier1 && n.Status().Root == before.Root {
				t.Fatal("a nonce use did not change the root")
			}
			// Out of gas.
			res = n.submit(t, alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 1, GasLimit: 10}, nil)
			if res.Entry.Outcome.Status != types.NsStatusOutOfGas {
				t.Fatalf("tiny gas: %+v", res.Entry.Outcome)
			}
			res = n.submit(t, alice, &types.NsCall{Contract: token, Function: "nope", GasLimit: 10_000_000}, nil)
			if res.Entry.Outcome.Status != types.NsStatusUnknownFunction {
				t.Fatalf("unknown function: %+v", res.Entry.Outcome)
			}
			res = n.submit(t, bob, &types.NsCall{Contract: alice.Address(), Function: "deposit", GasLimit: 10_000_000}, nil)
			if res.Entry.Outcome.Status != types.NsStatusUnknownContract {
				t.Fatalf("no contract: %+v", res.Entry.Outcome)
			}
			bobAddr := bob.Address()
			v, ok, _, err := n.ContractState(token, append([]byte("balance/"), bobAddr[:]...))
			if err != nil || !ok || len(v) != 8 || v[0] != 250 {
				t.Fatalf("bob's token balance: %x %v %v", v, ok, err)
			}
			ev, _, err := n.Events(EventFilter{Contract: &token})
			if err != nil || len(ev) != 2 || ev[1].Event.Topic != "transfer" {
				t.Fatalf("events: %+v %v", ev, err)
			}
			st := n.Status()
			rep, err := Verify(context.Background(), VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}, &SliceSource{Entries: n.entries(t)})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Entries != st.Position || rep.Head != st.Hash || rep.Root != st.Root {
				t.Fatalf("verify head %d %x %x, namespace %d %x %x", rep.Entries, rep.Head, rep.Root, st.Position, st.Hash, st.Root)
			}
		})
	}
}

func TestRequestRefusals(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice := mustKey(t, 1)
	ctx := context.Background()
	try := func(nonce uint64, p any, mod []byte, mutate func(*types.NamespaceSubmission)) error {
		sub, err := NewSubmission("demo", alice, testChainID, nonce, p, mod)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(sub)
		}
		_, err = n.Submit(ctx, sub)
		return err
	}
	call := &types.NsCall{Function: "f", GasLimit: 1000}
	cases := []struct {
		name   string
		err    error
		nonce  uint64
		p      any
		mod    []byte
		mutate func(*types.NamespaceSubmission)
	}{
		{"nonce gap", ErrNonceGap, 1, call, nil, nil},
		{"other namespace", ErrWrongNamespace, 0, call, nil, func(s *types.NamespaceSubmission) { s.Request.Namespace = "other" }},
		{"bad signature", ErrInvalidSignature, 0, call, nil, func(s *types.NamespaceSubmission) { s.Request.Signature[5] ^= 1 }},
		{"zero gas", ErrInvalidRequest, 0, &types.NsCall{Function: "f"}, nil, nil},
		{"reserved function", ErrInvalidRequest, 0, &types.NsCall{Function: "__orama_gas", GasLimit: 1}, nil, nil},
		{"module on a call", ErrInvalidRequest, 0, call, []byte{1}, nil},
		{"deploy without module", ErrInvalidRequest, 0, &types.NsDeploy{GasLimit: 1}, nil, nil},
		{"module not code_hash", ErrInvalidRequest, 0, &types.NsDeploy{GasLimit: 1}, []byte("\x00asm"), func(s *types.NamespaceSubmission) { s.Module = []byte("other") }},
		{"deposit by a user", ErrNotAuthority, 0, &types.NsDeposit{Amount: 1}, nil, nil},
		{"zero withdraw", ErrInvalidRequest, 0, &types.NsWithdraw{}, nil, nil},
		{"payload trailing bytes", ErrInvalidRequest, 0, call, nil, func(s *types.NamespaceSubmission) { s.Request.Payload = append(s.Request.Payload, 0) }},
	}
	for _, c := range cases {
		if err := try(c.nonce, c.p, c.mod, c.mutate); !errors.Is(err, c.err) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.err)
		}
	}
	if st := n.Status(); st.Position != 0 {
		t.Fatalf("refused requests were logged: head %d", st.Position)
	}
	// Idempotent retry: the same signed request again returns its entry.
	sub, _ := NewSubmission("demo", alice, testChainID, 0, &types.NsWithdraw{Asset: types.AssetOrama, Amount: 1}, nil)
	r1, err := n.Submit(ctx, sub)
	if err != nil || r1.Entry.Outcome.Status != types.NsStatusInsufficientBalance {
		t.Fatalf("withdraw: %+v %v", r1, err)
	}
	r2, err := n.Submit(ctx, sub)
	if err != nil || r2.Position != r1.Position || r2.Hash != r1.Hash {
		t.Fatalf("retry: %+v %v, first %+v", r2, err, r1)
	}
	other, _ := NewSubmission("demo", alice, testChainID, 0, &types.NsWithdraw{Asset: types.AssetOrama, Amount: 2}, nil)
	if _, err := n.Submit(ctx, other); !errors.Is(err, ErrNonceTooLow) {
		t.Fatalf("another request with a used nonce: %v", err)
	}
}

func TestGuestbookSQLInRoot(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice := mustKey(t, 1)
	gb := n.deploy(t, alice, module(t, "guestbook"), "init")
	r0 := n.Status().Root
	res := n.submit(t, alice, &types.NsCall{Contract: gb, Function: "sign", Args: []uint64{2, 0x6968, 0, 0, 0}, GasLimit: 10_000_000}, nil)
	if res.Entry.Outcome.Status != types.NsStatusOk {
		t.Fatalf("sign: %+v", res.Entry.Outcome)
	}
	if len(res.Entry.Writes.Sql) != 1 || len(res.Entry.Writes.Sql[0].Rows) != 1 || !res.Entry.Writes.Sql[0].Rows[0].Present {
		t.Fatalf("sign's SQL write set: %+v", res.Entry.Writes.Sql)
	}
	if n.Status().Root == r0 {
		t.Fatal("a SQL row did not change the root")
	}
	rows, err := n.Read2(func(db Replica) (abi.Rows, error) { return db.HostQuery("SELECT message FROM guestbook") })
	if err != nil || len(rows.Rows) != 1 || string(rows.Rows[0][0].Bytes) != "hi" {
		t.Fatalf("guestbook rows: %+v %v", rows, err)
	}
	if _, err := Verify(context.Background(), VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}, &SliceSource{Entries: n.entries(t)}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyNamesTamperedPosition(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice, bob := mustKey(t, 1), mustKey(t, 2)
	n.deposit(t, alice.Address(), 1_000)
	token := n.deploy(t, alice, module(t, "token"), "init")
	n.submit(t, alice, &types.NsCall{Contract: token, Function: "deposit", OramaValue: 600, GasLimit: 10_000_000}, nil)
	for i := 0; i < 5; i++ {
		n.submit(t, alice, &types.NsCall{Contract: token, Function: "transfer", Input: transferInput(bob.Address(), 10), GasLimit: 10_000_000}, nil)
	}
	entries := n.entries(t)
	cfg := VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}
	for _, k := range []int{0, 3, len(entries) - 1} {
		tampered := append([][]byte{}, entries...)
		var e types.TxLogEntry
		if err := e.UnmarshalBorsh(entries[k]); err != nil {
			t.Fatal(err)
		}
		e.Outcome.GasUsed++ // a false claim about what the call did
		b, err := e.MarshalBorsh()
		if err != nil {
			t.Fatal(err)
		}
		tampered[k] = b
		_, err = Verify(context.Background(), cfg, &SliceSource{Entries: tampered})
		var mm *Mismatch
		if !errors.As(err, &mm) || mm.Position != uint64(k+1) {
			t.Fatalf("tampered entry %d: %v", k+1, err)
		}
	}
	// One flipped byte anywhere in an entry is found at that position too.
	tampered := append([][]byte{}, entries...)
	tampered[4] = append([]byte{}, entries[4]...)
	tampered[4][len(tampered[4])-1] ^= 0xff
	_, err := Verify(context.Background(), cfg, &SliceSource{Entries: tampered})
	var mm *Mismatch
	if !errors.As(err, &mm) || mm.Position != 5 {
		t.Fatalf("flipped byte: %v", err)
	}
}
