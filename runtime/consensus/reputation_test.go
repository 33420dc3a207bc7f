package consensus

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestReputationElector: with no history it is the EP-weighted draw; a
// validator absent from the committed window is never drawn, and drawn
// again once the window is empty; recording history out of order (a
// restart replaying older blocks after range sync) gives the same schedule.
func TestReputationElector(t *testing.T) {
	set := testSet(t, 1, 2, 3, 4)
	seed := [32]byte{9}
	w := NewWeightedElector(set, seed)
	e := NewReputationElector(set, seed)
	for v := range uint64(200) {
		if e.Leader(v) != w.Leader(v) {
			t.Fatalf("view %d: no history, yet not the weighted draw", v)
		}
	}
	block := func(view uint64, signers ...int) *types.BlockHeader {
		h := &types.BlockHeader{View: view, Proposer: addr(signers[0])}
		for _, s := range signers[1:] {
			h.QC.Votes = append(h.QC.Votes, types.ValidatorSignature{Validator: addr(s)})
		}
		return h
	}
	var hs []*types.BlockHeader
	for v := uint64(100); v < 200; v++ {
		hs = append(hs, block(v, 1, 2, 3)) // validator 0 signs nothing
	}
	for _, h := range hs {
		e.Committed(h)
	}
	r := NewReputationElector(set, seed)
	for i := len(hs) - 1; i >= 0; i-- {
		r.Committed(hs[i])
	}
	drawn := map[types.Address]int{}
	for v := uint64(120); v < 206; v++ {
		l := e.Leader(v)
		if l == addr(0) {
			t.Fatalf("view %d: the validator absent from the window leads", v)
		}
		if r.Leader(v) != l {
			t.Fatalf("view %d: history recorded out of order gives another leader", v)
		}
		drawn[l]++
	}
	if len(drawn) != 3 {
		t.Fatalf("leaders %v: want all three active validators", drawn)
	}
	// Far beyond the history: the window is empty, everyone is drawn.
	for v := uint64(1000); v < 1100; v++ {
		if e.Leader(v) != w.Leader(v) {
			t.Fatalf("view %d: empty window, yet not the weighted draw", v)
		}
	}
}

// grow commits views [from, to) as a network following e's schedule would:
// a view whose leader is down (down(view, member)) gets no block, and the
// next block carries its TC over the QC of the last block; every member up
// signs each block's QC. Each block is recorded in e at once and returned.
func grow(e *ReputationElector, from, to uint64, down func(view uint64, m int) bool) []*types.BlockHeader {
	var hs []*types.BlockHeader
	last := from - 1 // the view of the last block
	if n := len(e.hist); n > 0 {
		last = e.hist[n-1].view
	}
	for v := from; v < to; v++ {
		l := e.set.index[e.Leader(v)]
		if down(v, l) {
			continue
		}
		h := &types.BlockHeader{View: v, Proposer: addr(l), QC: types.QuorumCert{View: last}}
		if last+1 < v {
			h.TimeoutCert = &types.TimeoutCert{View: v - 1}
		}
		for m := range e.set.members {
			if !down(v, m) {
				h.QC.Votes = append(h.QC.Votes, types.ValidatorSignature{Validator: addr(m)})
			}
		}
		e.Committed(h)
		hs = append(hs, h)
		last = v
	}
	return hs
}

// failedBlock is the view of the first block of hs that shows a failure.
func failedBlock(t *testing.T, hs []*types.BlockHeader) (view, failedView uint64) {
	t.Helper()
	for _, h := range hs {
		if h.TimeoutCert != nil {
			return h.View, h.TimeoutCert.View
		}
	}
	t.Fatal("no block carries a TC")
	return 0, 0
}

// TestFailedLeaderPassedOver: a validator that crashes as leader of view u
// is passed over from the view whose window first holds the block carrying
// TC(u) until that block leaves it, although it signed blocks of the same
// window before it crashed. Negative control: the same history with each
// TC carried by a block that did not need it (its QC of the view before)
// blames nobody and keeps drawing it in that range.
func TestFailedLeaderPassedOver(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	seed := [32]byte{7}
	lag, window := uint64(params.LeaderReputationLag), uint64(params.LeaderReputationWindow)
	e := NewReputationElector(set, seed)
	hs := grow(e, 1, 60, func(uint64, int) bool { return false })
	// The leader of view 60 crashes for good.
	x := set.index[e.Leader(60)]
	hs = append(hs, grow(e, 60, 200, func(v uint64, m int) bool { return m == x })...)
	bf, u := failedBlock(t, hs[59:])
	if e.Leader(u) != addr(x) {
		t.Fatalf("the view before block %d failed, but its leader is %x, not the crashed %x", bf, e.Leader(u), addr(x))
	}
	// The control keeps the TCs but raises each block's QC to the view
	// before it, so no block needed its TC: a TC carried that way blames
	// nobody, and the history shows activity alone.
	plain := NewReputationElector(set, seed)
	for _, h := range hs {
		s := *h
		s.QC.View = s.View - 1
		plain.Committed(&s)
	}
	first, plainLeads := bf+lag+1, 0
	for v := uint64(61); v < first; v++ {
		if e.Leader(v) != plain.Leader(v) {
			t.Fatalf("view %d: the failure acts before its block %d enters the window", v, bf)
		}
	}
	for v := first; v <= bf+lag+window; v++ {
		if e.Leader(v) == addr(x) {
			t.Fatalf("view %d: the validator that failed at view %d leads", v, u)
		}
		if plain.Leader(v) == addr(x) && v < 60+lag+window {
			plainLeads++
		}
	}
	if plainLeads == 0 {
		t.Fatal("negative control: with TCs that blame nobody the crashed validator leads no view of the range either")
	}
	t.Logf("crash at view 60, TC in block %d: passed over from view %d; activity alone draws it %d more times until view %d",
		bf, first, plainLeads, 60+lag+window-1)
}

// TestFailedLeaderRecovers: a validator that fails as leader once and then
// proposes a committed block of a later view (it was drawn again before its
// failure was committed) is active again once that block is in the window,
// although the failure still is; before that it is passed over.
func TestFailedLeaderRecovers(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	lag, window := uint64(params.LeaderReputationLag), uint64(params.LeaderReputationWindow)
	for s := range byte(50) {
		seed := [32]byte{s}
		e := NewReputationElector(set, seed)
		hs := grow(e, 1, 40, func(uint64, int) bool { return false })
		// Validator x misses its view 40 only.
		x := set.index[e.Leader(40)]
		hs = append(hs, grow(e, 40, 120, func(v uint64, m int) bool { return m == x && v == 40 })...)
		bf, _ := failedBlock(t, hs[39:])
		w := uint64(0) // x's first committed proposal after its failure
		for _, h := range hs[39:] {
			if h.Proposer == addr(x) {
				w = h.View
				break
			}
		}
		if w == 0 || w+lag+1 > bf+lag+window || w <= bf {
			continue // this seed does not draw x again soon enough
		}
		passed, after := 0, 0
		for v := bf + lag + 1; v <= bf+lag+window; v++ {
			l := e.Leader(v)
			if v <= w+lag && l == addr(x) {
				t.Fatalf("seed %d view %d: x leads before its proposal of view %d is in the window", s, v, w)
			}
			if v <= w+lag {
				passed++
			} else if l == addr(x) {
				after++
			}
		}
		if passed == 0 || after == 0 {
			continue // the ranges are too short to tell for this seed
		}
		t.Logf("seed %d: failed at view 40 (TC in block %d), proposed view %d: passed over for %d views, then led %d", s, bf, w, passed, after)
		return
	}
	t.Fatal("no seed showed the failed validator leading after its later proposal entered the window")
}

// TestFailuresOutOfOrder: the same committed history recorded newest first,
// or shuffled with replays, gives the schedule in-order recording gives,
// failures included. The history chains three failures: x misses its view
// u1 and keeps voting; y fails at view u2, where everyone's draw gives x, so
// it is blamed on y only because x's failure is in u2's window; z fails at
// u3, where everyone's draw gives y, so it is blamed on z only because y's
// failure is in u3's window (x's is not). Recorded newest first, the block
// carrying x's failure comes after both others, below u3's window: it must
// correct y's failure and, through it, z's.
func TestFailuresOutOfOrder(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	lag, window := uint64(params.LeaderReputationLag), uint64(params.LeaderReputationWindow)
	all := []bool{true, true, true, true}
	blamed := func(e *ReputationElector, u uint64) int {
		i := slices.IndexFunc(e.hist, func(a activity) bool { return a.tc && a.tcView == u })
		if i < 0 {
			return -2
		}
		return e.hist[i].failed
	}
	first := func(from, to uint64, ok func(v uint64) bool) uint64 {
		for v := from; v < to; v++ {
			if ok(v) {
				return v
			}
		}
		return 0
	}
	for s := range byte(255) {
		seed := [32]byte{s, 1}
		e := NewReputationElector(set, seed)
		const u1 = 40
		hs := grow(e, 1, u1, func(uint64, int) bool { return false })
		x := set.index[e.Leader(u1)]
		noX := slices.Clone(all)
		noX[x] = false
		// u1+1, the block carrying x's failure, in u2's window.
		u2 := first(u1+1+lag+1, u1+1+lag+window+1, func(v uint64) bool { return e.draw(v, all) == addr(x) })
		if u2 == 0 {
			continue
		}
		down := func(v uint64, m int) bool { return m == x && v == u1 }
		hs = append(hs, grow(e, u1, u2, down)...)
		y := set.index[e.Leader(u2)]
		down2 := func(v uint64, m int) bool { return down(v, m) || m == y && v == u2 }
		// u2+1 in u3's window, u1+1 below it.
		lo := max(u2+1+lag+1, u1+1+lag+window+1)
		hs = append(hs, grow(e, u2, lo, down2)...)
		u3 := first(lo, u2+1+lag+window+1, func(v uint64) bool {
			return e.draw(v, all) == addr(y) && e.Leader(v) != addr(y) && e.draw(v, noX) != e.Leader(v)
		})
		if u3 == 0 {
			continue
		}
		z := set.index[e.Leader(u3)]
		hs = append(hs, grow(e, lo, 200, func(v uint64, m int) bool { return down2(v, m) || m == z && v == u3 })...)
		if blamed(e, u1) != x || blamed(e, u2) != y || blamed(e, u3) != z {
			continue // a failure was not carried by the block after it, or x proposed again
		}

		rev := NewReputationElector(set, seed)
		for i := len(hs) - 1; i >= 0; i-- {
			if hs[i].View == u1+1 && (blamed(rev, u2) == y || blamed(rev, u3) == z) {
				t.Fatalf("seed %d: y's or z's failure is blamed right before x's failure is recorded: the test tests nothing", s)
			}
			rev.Committed(hs[i])
		}
		shuf := NewReputationElector(set, seed)
		rng := rand.New(rand.NewPCG(uint64(s), 1))
		for _, i := range rng.Perm(len(hs)) {
			shuf.Committed(hs[i])
			shuf.Committed(hs[rng.IntN(len(hs))]) // a replay
		}
		for v := uint64(1); v < 200+lag+window; v++ {
			if l := e.Leader(v); rev.Leader(v) != l || shuf.Leader(v) != l {
				t.Fatalf("seed %d view %d: in order %s, newest first %s, shuffled %s", s, v, l, rev.Leader(v), shuf.Leader(v))
			}
		}
		t.Logf("seed %d: x failed at view %d, y at view %d, z at view %d", s, u1, u2, u3)
		return
	}
	t.Fatal("no seed gave a chain of three failures")
}

// TestReputationBounded: a long history keeps at most maxHistory blocks and
// cached leaders, and the schedule at its end is unchanged by the trimming.
func TestReputationBounded(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	e := NewReputationElector(set, [32]byte{3})
	hs := grow(e, 1, 5000, func(v uint64, m int) bool { return m == int(v/300)%4 && v%300 < 40 })
	if len(e.hist) > maxHistory || len(e.cache) > maxHistory {
		t.Fatalf("%d blocks and %d leaders kept, bound %d", len(e.hist), len(e.cache), maxHistory)
	}
	r := NewReputationElector(set, [32]byte{3})
	for _, h := range hs[len(hs)-300:] {
		r.Committed(h)
	}
	for v := uint64(4900); v < 5020; v++ {
		if e.Leader(v) != r.Leader(v) {
			t.Fatalf("view %d: the trimmed elector and one fed the last 300 blocks disagree", v)
		}
	}
}

// TestSettled: Leader(v) is final once a block of view v-Lag or later is
// recorded (or v-Lag is 0); before that a later commit can still change it.
func TestSettled(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	e := NewReputationElector(set, [32]byte{3})
	lag := e.lag
	for v := range lag + 1 {
		if !e.Settled(v) {
			t.Fatalf("view %d: an empty window is final", v)
		}
	}
	if e.Settled(lag + 1) {
		t.Fatal("view Lag+1 settled with no block recorded")
	}
	e.Committed(&types.BlockHeader{View: 10, Proposer: addr(1)})
	if !e.Settled(10+lag) || e.Settled(11+lag) {
		t.Fatalf("with view 10 recorded: Settled(10+Lag) %v, Settled(11+Lag) %v", e.Settled(10+lag), e.Settled(11+lag))
	}
	// What Settled promises: no block recorded later changes a settled view.
	before := map[uint64]types.Address{}
	for v := uint64(0); v <= 10+lag; v++ {
		before[v] = e.Leader(v)
	}
	for v := uint64(11); v < 40; v++ {
		e.Committed(&types.BlockHeader{View: v, Proposer: addr(int(v % 2))})
	}
	for v, l := range before {
		if e.Leader(v) != l {
			t.Fatalf("view %d: settled leader changed", v)
		}
	}
}
