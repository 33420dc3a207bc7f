package consensus

import (
	"errors"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// signing lists the actions that carry or depend on this node's signature.
var signing = []string{"PersistSafety", "SendVote", "BroadcastNewView", "BroadcastProposal", "RequestProposal"}

// followRun feeds c a run of validators addr(0..3) (addr(0) leads): views
// 1-5 certified in turn, view 6 ending in a TC, then views 7-10, of which
// c misses the proposal of view 8 and must fetch it. Ticks that fire
// timeouts (4 ticks a view) come between all events. Every RequestExecute
// is answered with a valid BlockExecuted. It returns every action, and the
// header c must have committed last.
func followRun(t *testing.T, c *Core) ([]Action, types.BlockHeader) {
	t.Helper()
	var all []Action
	var step func(ev Event)
	step = func(ev Event) {
		t.Helper()
		acts, err := c.Step(ev)
		if err != nil {
			t.Fatalf("%T: %v", ev, err)
		}
		all = append(all, acts...)
		for _, a := range acts {
			if r, ok := a.(RequestExecute); ok {
				step(BlockExecuted{Hash: mustHash(t, &r.Header), Valid: true})
			}
		}
	}
	ticks := func(n int) {
		for range n {
			step(Tick{})
		}
	}
	votes := func(h *types.BlockHeader, hash types.Hash) {
		for i := range 4 {
			step(VoteReceived{Vote: voteFor(i, h, hash)})
			ticks(3)
		}
	}

	qc := types.QuorumCert{} // genesis
	var tc *types.TimeoutCert
	blocks := map[uint64]types.BlockHeader{}
	for view := uint64(1); view <= 10; view++ {
		if view == 6 { // the leader is silent: validators time out
			ticks(10)
			for i := range 3 {
				nv := newViewOf(i, 6, qc)
				step(NewViewReceived{Msg: nv})
				ticks(3)
			}
			tc = tcOf(6, qc, 0, 1, 2)
			continue
		}
		h, hash := proposal(t, view, qc, tc)
		blocks[view] = h
		tc = nil
		if view != 8 {
			step(ProposalReceived{Header: h})
		}
		if view == 9 { // carries QC(8): b8 is fetched
			fetched := false
			for _, a := range all {
				if f, ok := a.(FetchBlock); ok && f.Hash == h.QC.BlockHash {
					fetched = true
				}
			}
			if !fetched {
				t.Fatalf("no FetchBlock for the missed block of view 8")
			}
			step(BlockFetched{Header: blocks[8]})
		}
		ticks(5)
		votes(&h, hash)
		qc = qcFor(&h, hash, 0, 1, 2)
	}
	ticks(200) // a stall: timeouts with backoff, again and again
	// QC(10) over b8, b9, b10 in consecutive views makes b8 final.
	return all, blocks[8]
}

// TestFollowerNeverSigns: a core whose key is not in the validator set
// follows a whole run (proposals, votes, a TC, a fetched block, timeouts
// firing throughout) to the same commits as a validator, and never emits
// an action that needs its signature. The same run makes a validator
// sign, so the run does exercise every signing path.
func TestFollowerNeverSigns(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	f := newTestCore(t, set, 9, nil)
	if f.CanSign() {
		t.Fatal("a non-member can sign")
	}
	acts, last := followRun(t, f)
	counts := map[string]int{}
	for _, k := range kinds(acts) {
		counts[k]++
	}
	for _, k := range signing {
		if counts[k] > 0 {
			t.Errorf("follower emitted %d %s", counts[k], k)
		}
	}
	for _, k := range []string{"RequestExecute", "FetchBlock", "CommitBlocks"} {
		if counts[k] == 0 {
			t.Errorf("follower emitted no %s: %v", k, counts)
		}
	}
	// The commits are the chain, in order, up to the last final block.
	var next uint64 = 1
	for _, a := range acts {
		if cb, ok := a.(CommitBlocks); ok {
			for _, h := range cb.Headers {
				if h.Height != next {
					t.Fatalf("committed height %d, want %d", h.Height, next)
				}
				next++
			}
		}
	}
	if got := f.Committed(); mustHash(t, &got) != mustHash(t, &last) {
		t.Fatalf("follower committed height %d view %d, want view 8 (height %d)", got.Height, got.View, last.Height)
	}
	if sd := f.Safety(); sd.LastVotedView != 0 || sd.LastTimeoutView != 0 || sd.LastTimeout != nil {
		t.Fatalf("follower's safety data records signatures: %+v", sd)
	}

	// Positive control: a validator fed the same run votes and times out,
	// and commits the same block.
	v := newTestCore(t, set, 1, nil)
	if !v.CanSign() {
		t.Fatal("a member cannot sign")
	}
	vacts, _ := followRun(t, v)
	for _, k := range []string{"PersistSafety", "SendVote", "BroadcastNewView"} {
		if !slices.Contains(kinds(vacts), k) {
			t.Errorf("validator emitted no %s: the run does not exercise it", k)
		}
	}
	if got := v.Committed(); mustHash(t, &got) != mustHash(t, &last) {
		t.Fatalf("validator committed height %d, want %d", got.Height, last.Height)
	}
}

// TestFollowerRefusals: the refusals inside the core are a *NoVoteError
// whose reason is ErrNotValidator, made before anything is emitted; Step
// reports none of them (the events were processed), but refuses a
// ProposalBuilt, which a follower never asked for.
func TestFollowerRefusals(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	c := newTestCore(t, set, 9, nil)
	h, hash := proposal(t, 1, types.QuorumCert{}, nil)
	acts, err := c.Step(ProposalReceived{Header: h})
	if err != nil || !slices.Equal(kinds(acts), []string{"RequestExecute"}) {
		t.Fatalf("proposal: %v, %v", kinds(acts), err)
	}
	for name, refuse := range map[string]func() error{
		"vote":    func() error { return c.tryVote(hash) },
		"timeout": c.onLocalTimeout,
	} {
		c.acts = nil
		err := refuse()
		var nv *NoVoteError
		if !errors.As(err, &nv) || !errors.Is(err, ErrNotValidator) {
			t.Errorf("%s: %v, want a NoVoteError for ErrNotValidator", name, err)
		}
		if len(c.acts) != 0 {
			t.Errorf("%s: emitted %v before refusing", name, kinds(c.acts))
		}
	}
	if acts, err := c.Step(BlockExecuted{Hash: hash, Valid: true}); err != nil || len(acts) != 0 {
		t.Fatalf("BlockExecuted: %v, %v; want no actions and no error", kinds(acts), err)
	}
	built := h
	built.Proposer = addr(9)
	if acts, err := c.Step(ProposalBuilt{Header: built}); !errors.Is(err, ErrNotValidator) || len(acts) != 0 {
		t.Fatalf("ProposalBuilt: %v, %v; want ErrNotValidator and no actions", kinds(acts), err)
	}

	// A validator's refusals are NoVoteErrors too, with the rule's reason,
	// and Step does not report them either.
	v := newTestCore(t, set, 1, nil)
	if _, err := v.Step(ProposalReceived{Header: h}); err != nil {
		t.Fatal(err)
	}
	if err := v.tryVote(hash); err != nil {
		t.Fatal(err)
	}
	v.acts = nil
	if err := v.tryVote(hash); !errors.Is(err, ErrAlreadyVoted) {
		t.Fatalf("second vote: %v, want ErrAlreadyVoted", err)
	}
	if acts, err := v.Step(BlockExecuted{Hash: hash, Valid: true}); err != nil || len(acts) != 0 {
		t.Fatalf("second BlockExecuted: %v, %v", kinds(acts), err)
	}
}
