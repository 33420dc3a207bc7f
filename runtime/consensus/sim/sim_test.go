package sim

import "testing"

func TestHappyPathCommits(t *testing.T) {
	s, err := New(Options{Seed: 1, Validators: 4, Powers: []uint64{10, 20, 30, 40}, BaseTimeoutTicks: 20, MaxBackoffExp: 3})
	if err != nil {
		t.Fatal(err)
	}
	s.Run(300)
	if s.Violation != nil {
		t.Fatal(s.Violation)
	}
	if got := s.MinHonestCommitted(); got < 50 {
		t.Fatalf("only %d blocks committed by every node in 300 ticks (views %d)", got, s.MaxHonestView())
	}
	// Pipelining: with one tick of delay a view takes 2 ticks and a block
	// is final three views after it is proposed.
	t.Logf("committed %d, view %d", s.MinHonestCommitted(), s.MaxHonestView())
}

// TestPartitionHealsLiveness: lossy, duplicating, reordering network; a
// partition with no quorum on either side for ticks 300..900; after healing,
// every honest node must finalize new blocks within a bounded number of views.
func TestPartitionHealsLiveness(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		const healAt = 900
		s, err := New(Options{Seed: seed, Validators: 4, BaseTimeoutTicks: 12, MaxBackoffExp: 3,
			Network: Network{MinDelay: 1, MaxDelay: 4, DropP: 0.05, DupP: 0.05,
				Connected: func(from, to int, _, now uint64) bool {
					if now >= 300 && now < healAt {
						return (from < 2) == (to < 2)
					}
					return true
				}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Run(healAt)
		before, viewAtHeal := s.MinHonestCommitted(), s.MaxHonestView()
		if before < 10 {
			t.Fatalf("seed %d: only %d committed before the partition", seed, before)
		}
		const maxViews = 30
		for s.Violation == nil && s.MaxHonestView() < viewAtHeal+maxViews && s.MinHonestCommitted() <= before+3 {
			s.Run(1)
		}
		if s.Violation != nil {
			t.Fatalf("seed %d: %v", seed, s.Violation)
		}
		if s.MinHonestCommitted() <= before+3 {
			t.Fatalf("seed %d: no progress within %d views after heal (committed %d, before %d)", seed, maxViews, s.MinHonestCommitted(), before)
		}
		t.Logf("seed %d: committed %d before heal, %d at view %d (heal view %d)", seed, before, s.MinHonestCommitted(), s.MaxHonestView(), viewAtHeal)
	}
}

// TestRestartFromRoot restarts a validator from its persisted safety data
// and last committed block, again and again: it must rejoin (fetching what
// it missed above its root), keep committing, and never break safety.
func TestRestartFromRoot(t *testing.T) {
	s, err := New(Options{Seed: 7, Validators: 4, BaseTimeoutTicks: 12, MaxBackoffExp: 3,
		Network: Network{MinDelay: 1, MaxDelay: 3, DropP: 0.02}})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 8 {
		s.Run(150)
		before := len(s.Nodes[2].Commits)
		if err := s.Restart(2); err != nil {
			t.Fatal(err)
		}
		if round > 0 && before == 0 {
			t.Fatalf("round %d: restarted node has committed nothing", round)
		}
	}
	s.Run(400)
	if s.Violation != nil {
		t.Fatal(s.Violation)
	}
	n := s.Nodes[2]
	if len(n.Commits) == 0 {
		t.Fatal("no commits")
	}
	top := n.Commits[len(n.Commits)-1].Height
	best := uint64(0)
	for _, m := range s.Nodes {
		if len(m.Commits) > 0 {
			best = max(best, m.Commits[len(m.Commits)-1].Height)
		}
	}
	if top+5 < best {
		t.Fatalf("restarted node at height %d, the others at %d", top, best)
	}
	t.Logf("restarted node final height %d, best %d", top, best)
}

// TestRestartsNeverEquivocate restarts every node in turn, often, so that
// leaders restart between proposing and the end of their view: a
// restarted leader must propose its recorded block again, never a second
// one, and must never sign two different votes or timeouts in a view
// (the simulator checks all three on every publication).
func TestRestartsNeverEquivocate(t *testing.T) {
	s, err := New(Options{Seed: 11, Validators: 4, BaseTimeoutTicks: 12, MaxBackoffExp: 3, BlockTimeTicks: 2,
		Network: Network{MinDelay: 1, MaxDelay: 3}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		s.Run(3)
		if err := s.Restart(i % 4); err != nil {
			t.Fatal(err)
		}
	}
	s.Run(300)
	if s.Violation != nil {
		t.Fatal(s.Violation)
	}
	if got := s.MinHonestCommitted(); got < 20 {
		t.Fatalf("only height %d final at every node", got)
	}
	t.Logf("final height %d after 200 restarts", s.MinHonestCommitted())
}

// TestFollowers: nodes whose keys are outside the validator set follow the
// chain (proposals, QCs and range sync), stay within a few blocks of the
// validators, agree with them at every height, and never publish anything:
// no vote, timeout or proposal is ever signed by a follower.
func TestFollowers(t *testing.T) {
	s, err := New(Options{Seed: 3, Validators: 4, Followers: 2, BaseTimeoutTicks: 12, MaxBackoffExp: 3,
		Network: Network{MinDelay: 1, MaxDelay: 3, DropP: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	s.Run(800)
	if s.Violation != nil {
		t.Fatal(s.Violation)
	}
	for _, f := range s.Nodes[4:] {
		if f.Driver.IsValidator() {
			t.Fatalf("node %d is a validator", f.ID)
		}
		if f.Sent != 0 || len(f.Signed) != 0 {
			t.Fatalf("follower %d published %d messages", f.ID, f.Sent)
		}
		h, _ := f.Chain.Head()
		if h.Header.Height+10 < s.MinHonestCommitted() || h.Header.Height < 50 {
			t.Fatalf("follower %d at height %d, validators at %d", f.ID, h.Header.Height, s.MinHonestCommitted())
		}
		t.Logf("follower %d at height %d (validators at %d)", f.ID, h.Header.Height, s.MinHonestCommitted())
	}
}

// TestSyncObeysPartitions: a follower cut off from every validator gets
// nothing while the partition lasts, neither by gossip nor by block
// requests or range sync (which obey Network.Connected like gossip), and
// catches up once it heals.
func TestSyncObeysPartitions(t *testing.T) {
	const cutAt, healAt = 100, 700
	s, err := New(Options{Seed: 3, Validators: 4, Followers: 1, BaseTimeoutTicks: 12,
		Network: Network{MinDelay: 1, MaxDelay: 3,
			Connected: func(from, to int, _, now uint64) bool {
				if now >= cutAt && now < healAt && (from == 4) != (to == 4) {
					return false
				}
				return true
			}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Run(cutAt + 5)
	atCut := len(s.Nodes[4].Commits)
	s.Run(healAt - cutAt - 10)
	if got := len(s.Nodes[4].Commits); got > atCut+1 {
		t.Fatalf("the cut-off follower went from %d to %d commits during the partition", atCut, got)
	}
	if v := len(s.Nodes[0].Commits); v < atCut+10 {
		t.Fatalf("the validators committed only %d", v)
	}
	s.Run(400)
	if s.Violation != nil {
		t.Fatal(s.Violation)
	}
	if got, want := len(s.Nodes[4].Commits), len(s.Nodes[0].Commits); got+3 < want {
		t.Fatalf("after the heal the follower has %d commits, the validators %d", got, want)
	}
}
