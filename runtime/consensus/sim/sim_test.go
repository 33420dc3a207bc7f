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
		for s.MaxHonestView() < viewAtHeal+maxViews && s.MinHonestCommitted() <= before+3 {
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
