package consensus

import (
	"errors"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestBoundedCollectors: one key floods votes and NewViews for views from
// just above the current one to a million ahead. The core stores only
// those within ViewWindow, refuses the rest with ErrBeyondWindow (not a
// judgement of the sender) without checking their signatures, and holds
// at most ViewWindow+2 views in each collector.
func TestBoundedCollectors(t *testing.T) {
	c := newTestCore(t, testSet(t, 1, 1, 1, 1), 0, nil)
	var beyond int
	for i := range uint64(20_000) {
		view := 1 + i
		if i >= 10_000 {
			view = 1_000_000 + i
		}
		_, err := c.Step(VoteReceived{Vote: signedVote(3, view, types.Hash{byte(i)})})
		if err != nil && !errors.Is(err, ErrBeyondWindow) {
			t.Fatal(err)
		}
		if err != nil {
			beyond++
		}
		_, err = c.Step(NewViewReceived{Msg: newViewOf(3, view, types.QuorumCert{})})
		if err != nil && !errors.Is(err, ErrBeyondWindow) {
			t.Fatal(err)
		}
	}
	v, to := c.Held()
	if v > int(params.ViewWindow)+2 || to > int(params.ViewWindow)+2 {
		t.Fatalf("holds %d views of votes, %d of timeouts; bound %d", v, to, params.ViewWindow+2)
	}
	if beyond < 19_000 {
		t.Fatalf("only %d of 20,000 far votes refused as beyond the window", beyond)
	}
	// A bad signature beyond the window is not even checked: same answer.
	bad := signedVote(3, 5_000_000, types.Hash{1})
	bad.Signature[0] ^= 1
	if _, err := c.Step(VoteReceived{Vote: bad}); !errors.Is(err, ErrBeyondWindow) {
		t.Fatalf("far vote with a bad signature: %v", err)
	}
}

// TestNewViewCertificatesBeyondWindow: a NewView whose timeout is far
// ahead still moves the node on by the certificates it carries.
func TestNewViewCertificatesBeyondWindow(t *testing.T) {
	c := newTestCore(t, testSet(t, 1, 1, 1, 1), 1, nil)
	hq := types.QuorumCert{}
	tc := tcOf(500, hq, 0, 2, 3)
	nv := newViewOf(2, 500+params.ViewWindow+10, hq)
	nv.LastTC = tc
	if _, err := c.Step(NewViewReceived{Msg: nv}); !errors.Is(err, ErrBeyondWindow) {
		t.Fatalf("err %v, want ErrBeyondWindow", err)
	}
	if c.View() != 501 {
		t.Fatalf("view %d after a TC of view 500, want 501", c.View())
	}
}

// TestDoubleVoteAndTimeoutEvidence: a second, different vote or timeout
// of one validator for a view is not counted, is refused with
// ErrEquivocation, and is reported as evidence that verifies, once however
// often the conflict repeats; an identical re-send is none of these.
func TestDoubleVoteAndTimeoutEvidence(t *testing.T) {
	c := newTestCore(t, testSet(t, 1, 1, 1, 1), 0, nil)
	find := func(acts []Action) *types.Evidence {
		for _, a := range acts {
			if r, ok := a.(RecordEvidence); ok {
				return &r.Evidence
			}
		}
		return nil
	}
	step := func(ev Event) []Action {
		acts, err := c.Step(ev)
		if err != nil {
			t.Fatal(err)
		}
		return acts
	}
	conflicting := func(ev Event) []Action {
		acts, err := c.Step(ev)
		if !errors.Is(err, ErrEquivocation) {
			t.Fatalf("conflicting message: err %v, want ErrEquivocation", err)
		}
		return acts
	}
	if ev := find(step(VoteReceived{Vote: signedVote(2, 3, types.Hash{1})})); ev != nil {
		t.Fatal("evidence from a first vote")
	}
	if ev := find(step(VoteReceived{Vote: signedVote(2, 3, types.Hash{1})})); ev != nil {
		t.Fatal("evidence from a re-sent vote")
	}
	ev := find(conflicting(VoteReceived{Vote: signedVote(2, 3, types.Hash{2})}))
	if ev == nil || ev.Kind != types.EvidenceKindDoubleVote || ev.Validator != addr(2) || ev.View != 3 {
		t.Fatalf("double vote: %+v", ev)
	}
	if err := VerifyEvidence(c.cfg.Validators, fakeVerifier{}, ev); err != nil {
		t.Fatalf("double-vote evidence does not verify: %v", err)
	}
	if again := find(conflicting(VoteReceived{Vote: signedVote(2, 3, types.Hash{3})})); again != nil {
		t.Fatal("the same equivocation reported twice")
	}
	// The conflicting vote was not counted: two more votes for block 2
	// are not a quorum with it.
	step(VoteReceived{Vote: signedVote(3, 3, types.Hash{2})})
	if c.View() != 1 {
		t.Fatalf("a double vote counted toward a QC: view %d", c.View())
	}

	// Two timeouts of validator 2 for view 3 naming different high QCs.
	h1, hash1 := proposal(t, 1, types.QuorumCert{}, nil)
	qc1 := qcFor(&h1, hash1, 0, 1, 3)
	step(NewViewReceived{Msg: newViewOf(2, 3, types.QuorumCert{})})
	if find(step(NewViewReceived{Msg: newViewOf(2, 3, types.QuorumCert{})})) != nil {
		t.Fatal("evidence from a re-sent timeout")
	}
	ev = find(conflicting(NewViewReceived{Msg: newViewOf(2, 3, qc1)}))
	if ev == nil || ev.Kind != types.EvidenceKindDoubleTimeout || ev.Validator != addr(2) || ev.View != 3 {
		t.Fatalf("double timeout: %+v", ev)
	}
	if err := VerifyEvidence(c.cfg.Validators, fakeVerifier{}, ev); err != nil {
		t.Fatalf("double-timeout evidence does not verify: %v", err)
	}
}

// TestJoinTimeouts: timeouts of more than a third of the power for the
// current view make a validator time out at once; a third or less does not.
func TestJoinTimeouts(t *testing.T) {
	c := newTestCore(t, testSet(t, 1, 1, 1, 1), 0, nil)
	acts, err := c.Step(NewViewReceived{Msg: newViewOf(1, 1, types.QuorumCert{})})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(kinds(acts), "BroadcastNewView") {
		t.Fatal("joined the timeout of one validator in four (not more than a third)")
	}
	acts, err = c.Step(NewViewReceived{Msg: newViewOf(2, 1, types.QuorumCert{})})
	if err != nil {
		t.Fatal(err)
	}
	// Its own timeout completes the TC (three of four): it enters view 2,
	// which it leads.
	if got := kinds(acts); !slices.Equal(got, []string{"PersistSafety", "BroadcastNewView", "RequestProposal"}) {
		t.Fatalf("after timeouts of two in four: %v, want PersistSafety, BroadcastNewView, RequestProposal", got)
	}
	if c.View() != 2 {
		t.Fatalf("view %d after the TC of view 1", c.View())
	}
	if c.Safety().LastTimeoutView != 1 {
		t.Fatal("joined timeout not recorded in the safety data")
	}
}

// TestProposalMarker: a leader records its proposal's view and hash before
// broadcasting it; after a restart it may broadcast that block again for
// the view, never another block.
func TestProposalMarker(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	c := newTestCore(t, set, 0, nil)
	h, hash := proposal(t, 1, types.QuorumCert{}, nil)
	acts, err := c.Step(ProposalBuilt{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(acts); len(got) < 2 || got[0] != "PersistSafety" || got[1] != "BroadcastProposal" {
		t.Fatalf("actions %v: the marker must be persisted before the proposal leaves", got)
	}
	sd := c.Safety()
	if sd.LastProposedView != 1 || sd.LastProposal != hash {
		t.Fatalf("marker %d %x", sd.LastProposedView, sd.LastProposal)
	}
	// Restarted with that safety data: the same block goes out again...
	r := newTestCore(t, set, 0, &sd)
	acts, _ = r.Step(ProposalBuilt{Header: h})
	if !slices.Contains(kinds(acts), "BroadcastProposal") {
		t.Fatalf("the recorded block was not sent again: %v", kinds(acts))
	}
	// ...another block for the view does not.
	r = newTestCore(t, set, 0, &sd)
	h2 := h
	h2.Timestamp++
	acts, _ = r.Step(ProposalBuilt{Header: h2})
	if slices.Contains(kinds(acts), "BroadcastProposal") {
		t.Fatal("a restarted leader proposed a second block in the view")
	}
}
