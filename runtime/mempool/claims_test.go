package mempool

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestAdmissionUsernameRules: claims that could only fail in a block (and
// pay for nothing) are refused at admission, from state and from the pool.
func TestAdmissionUsernameRules(t *testing.T) {
	st := newState()
	ks := keys(t, st, 4)
	st.claim(ks[3].Address(), "taken")
	p := New(Config{ChainID: testChainID}, st)

	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[0], 0, "taken")})[0], ErrUsernameTaken)
	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[3], 0, "another")})[0], ErrUsernameAlreadySet)

	first := claimTx(t, ks[0], 0, "alice")
	mustAdd(t, p, first)
	// Another sender claiming the pending name.
	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[1], 0, "alice")})[0], ErrUsernameTaken)
	// The same sender claiming a second name at its next nonce.
	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[0], 1, "alice2")})[0], ErrUsernameAlreadySet)
	// A replacement of the pending claim (same nonce, 10% more) may rename it.
	repl := claimTx(t, ks[0], 0, "alice3", tip(2, 30))
	mustAdd(t, p, repl)
	if _, ok := p.Get(hashOf(t, first)); ok {
		t.Fatal("the replaced claim is still pooled")
	}
	// The replaced claim's name is free again; the new one is not.
	mustAdd(t, p, claimTx(t, ks[1], 0, "alice"))
	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[2], 0, "alice3")})[0], ErrUsernameTaken)
	checkInvariants(t, p)

	// Once the claim is included the name is free in the pool's index, and
	// the state now answers for it.
	if err := p.Update([]types.Hash{hashOf(t, repl)}, []types.Address{ks[0].Address()}); err != nil {
		t.Fatal(err)
	}
	st.claim(ks[0].Address(), "alice3")
	if len(p.claims) != 1 || p.claims["alice"] == nil {
		t.Fatalf("pending claims %v, want only alice", p.claims)
	}
	wantErr(t, p.Add([]*types.Transaction{claimTx(t, ks[2], 0, "alice3")})[0], ErrUsernameTaken)
}

// TestAdmissionClaimsForgottenOnEviction: a claim that leaves the pool by
// revalidation frees its name.
func TestAdmissionClaimsForgottenOnRevalidation(t *testing.T) {
	st := newState()
	ks := keys(t, st, 2)
	p := New(Config{ChainID: testChainID}, st)
	c := claimTx(t, ks[0], 0, "bob")
	mustAdd(t, p, c)
	// The sender's nonce moves past the claim without it (another node's
	// block held a transaction at that nonce): revalidation drops it.
	st.set(ks[0].Address(), 1, rich, rich)
	if err := p.Update(nil, []types.Address{ks[0].Address()}); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 || len(p.claims) != 0 {
		t.Fatalf("pool %d, claims %v after revalidation", p.Len(), p.claims)
	}
	mustAdd(t, p, claimTx(t, ks[1], 0, "bob"))
}

// TestAlreadyKnownInChain: the bytes of an included transaction are
// answered ErrAlreadyKnown (Config.Included), a different transaction at a
// used nonce ErrNonceTooLow.
func TestAlreadyKnownInChain(t *testing.T) {
	st := newState()
	ks := keys(t, st, 1)
	included := map[types.Hash]bool{}
	lookups := 0
	p := New(Config{ChainID: testChainID, Included: func(h types.Hash) (bool, error) {
		lookups++
		return included[h], nil
	}}, st)
	tx := transferTx(t, ks[0], 0)
	mustAdd(t, p, tx)
	wantErr(t, p.Add([]*types.Transaction{tx})[0], ErrAlreadyKnown) // pooled
	if err := p.Update([]types.Hash{hashOf(t, tx)}, []types.Address{ks[0].Address()}); err != nil {
		t.Fatal(err)
	}
	included[hashOf(t, tx)] = true
	st.set(ks[0].Address(), 1, rich, rich)
	if lookups != 0 {
		t.Fatalf("%d index look-ups for admissible transactions", lookups)
	}
	wantErr(t, p.Add([]*types.Transaction{tx})[0], ErrAlreadyKnown)
	if _, err := p.AddRaw(encode(t, tx)); !errors.Is(err, ErrAlreadyKnown) {
		t.Fatalf("AddRaw of included bytes: %v, want ErrAlreadyKnown", err)
	}
	other := transferTx(t, ks[0], 0, tip(2, 30))
	err := p.Add([]*types.Transaction{other})[0]
	wantErr(t, err, ErrNonceTooLow)
	if errors.Is(err, ErrAlreadyKnown) {
		t.Fatal("a new transaction at a used nonce reported as known")
	}
	// Junk refused before its signature is checked, or for it, never
	// reaches the index: an attacker cannot make it read for free.
	before := lookups
	forged := transferTx(t, ks[0], 0)
	forged.Signature[5] ^= 1
	wantErr(t, p.Add([]*types.Transaction{forged})[0], ErrInvalidSignature)
	wantErr(t, p.Add([]*types.Transaction{transferTx(t, ks[0], 0, tip(0, 0))})[0], ErrFeeCapTooLow)
	if lookups != before {
		t.Fatalf("%d index look-ups for junk", lookups-before)
	}
}
