package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// Nodes of the scripted negative-control scenario. The byzantine validator 0
// runs as two nodes with one key: ncA (node 0) builds the A chain, ncB (node
// 4, the twin) builds the B chain. Validators 1, 2, 3 are honest.
const (
	ncA  = 0
	ncH1 = 1
	ncH2 = 2
	ncH3 = 3
	ncB  = TwinsValidators // node 4
)

// ncLeaders are the leaders (validator indices) of views 1..8; later views
// use the scripted elector's round robin (view mod 4).
var ncLeaders = []int{1, 1, 0, 0, 0, 0, 2, 0}

// message kinds, as seen by the network filter
const (
	kindProposal = "proposal"
	kindVote     = "vote"
	kindTimeout  = "timeout"
)

// msgKind classifies a message of view `view` just sent by node `from`.
// Network.Connected does not see the event, but the sender's core has
// already stepped when the simulator calls it, and its safety data tell
// the kinds apart: a node that signed a timeout in a view sends nothing but
// (re)broadcast NewViews of that view afterwards (it can no longer vote or
// propose in it); a vote is sent right after LastVotedView is raised to the
// view; otherwise the message is the leader's proposal, which is broadcast
// in an earlier Step than the leader's own vote for it.
func msgKind(n *Node, view uint64) string {
	sd := n.Driver.Safety()
	switch {
	case sd.LastTimeoutView >= view:
		return kindTimeout
	case sd.LastVotedView >= view:
		return kindVote
	default:
		return kindProposal
	}
}

// ncConnected is the script of the scenario: whether a message of the given
// view and kind may go from one node to another. Views >= 8 are connected,
// except that node ncA has left for good (it is crashed from view 7 on).
//
//	view 1  H1's proposal is lost (cores start in view 1); all time out; TC(1).
//	view 2  H1 proposes A1 (height 1) on genesis. Everyone votes, but the
//	        votes reach only node ncA (the leader of view 3): QC(A1) is
//	        known to ncA alone. The others time out: TC(2), high QCs 0.
//	view 3  ncB proposes B3 (height 1) on genesis with TC(2). The honest
//	        nodes vote; the votes reach only ncB: QC(B3), view 3, known to
//	        ncB alone. ncA's messages of view 3 (its proposal on QC(A1),
//	        its timeout) are withheld. The honest nodes time out: TC(3).
//	view 4  ncA proposes A4 on QC(A1) with TC(3) (max high QC 2 <= 2).
//	        Honest nodes vote (their lock is the genesis QC); the votes reach
//	        only ncA: QC(A4). ncB is silent. Honest time out: TC(4).
//	view 5  ncB proposes B5 on QC(B3) with TC(4) (max high QC 3). Honest
//	        vote; votes only to ncB: QC(B5). ncA is silent. TC(5) at ncA
//	        (max high QC 4).
//	view 6  ncA proposes A6 on QC(A4) with TC(5). Honest vote (inserting A6
//	        locks them on QC(A1), view 2); the votes go to H2, leader of
//	        view 7: QC(A6). ncB only contributes its timeout (high QC 5),
//	        delivered once the honest nodes are in view 6 (its QC(B5) must
//	        not end their view 5 before TC(5)), so H1, H3 and ncB form TC(6).
//	view 7  H2 proposes A7 on QC(A6). Inserting A7 gives the three-chain
//	        A1 <- A4 <- A6 <- A7 with views 2, 4, 6: WITHOUT the
//	        consecutive-view check H2 finalizes A1 at height 1 (its lock
//	        rises to QC(A4), view 4). All of H2's view-7 messages are
//	        withheld. H1, H3 and ncB time out: TC(7), max high QC 5.
//	view 8  ncB proposes B8 on QC(B5) with TC(7). QC(B5)'s view 5 is at or
//	        above every honest lock (H1, H3: 2; H2: 4), so all honest nodes
//	        vote and follow the B chain from now on; the network is healed
//	        (ncA stays cut off; ncB, honest code, keeps the quorum live).
//	        WITHOUT the check H1 finalizes B3 (height 1) as soon as it
//	        inserts B9 (three-chain B3 <- B5 <- B8, views 3, 5, 8): a second
//	        block finalized at height 1 and the checker reports it.
//
// Why the consecutive-view condition matters: H2 finalized A1 because the
// voters of A6 locked on QC(A1) (view 2), but a conflicting QC, QC(B3), was
// formed in view 3, strictly between A1's view and A4's. Its view is above
// that lock, and QC(B5), built on it in view 5 (again between A4 and A6),
// is at or above every honest high QC that TC(7) reports, so the B chain
// can be extended legitimately and voted by everyone. With consecutive
// views no view is left between b0, b1 and b2 in which such a QC could form.
//
// With the check ENABLED the run is identical up to the commits (a commit
// never changes what a core later signs or where the network delivers), but
// A1 <- A4 <- A6 <- A7 and B3 <- B5 <- B8 <- B9 are not consecutive: only
// B8 <- B9 <- B10 <- B11 finalizes B8, B5 and B3, at every honest node.
func ncConnected(s **Sim) func(from, to int, view, now uint64) bool {
	return func(from, to int, view, _ uint64) bool {
		if view >= 7 && (from == ncA || to == ncA) {
			return false
		}
		if view == 0 || view >= 8 {
			return true
		}
		kind := msgKind((*s).Nodes[from], view)
		if view == 1 {
			return kind != kindProposal // H1's view-1 proposal is lost
		}
		switch view {
		case 2:
			if kind == kindVote { // QC(A1) forms at ncA only
				return to == ncA
			}
			return to != ncA // ncA is already in view 3
		case 3:
			switch {
			case from == ncA:
				return false
			case to == ncA:
				return kind == kindTimeout // for TC(3) at ncA
			case kind == kindVote: // QC(B3) forms at ncB only
				return to == ncB
			}
			return true
		case 4:
			switch {
			case from == ncB:
				return false
			case to == ncB:
				return kind == kindTimeout // for TC(4) at ncB
			case kind == kindVote: // QC(A4) at ncA only
				return to == ncA
			}
			return true
		case 5:
			switch {
			case from == ncA:
				return false
			case to == ncA:
				return kind == kindTimeout // for TC(5) at ncA
			case kind == kindVote: // QC(B5) at ncB only
				return to == ncB
			}
			return true
		case 6:
			switch {
			case to == ncA:
				return false
			case from == ncA:
				return kind == kindProposal && to != ncB // A6 to the honest nodes
			case from == ncB:
				// Only ncB's timeout, for TC(6), and only to nodes already
				// in view 6: its NewView carries QC(B5), which must not pull
				// the honest nodes out of view 5 before they time out (TC(5)).
				return kind == kindTimeout && to != ncA && (*s).Nodes[to].Driver.View() >= 6
			case to == ncB:
				return kind == kindTimeout
			case kind == kindVote: // QC(A6) at H2 only
				return to == ncH2
			}
			return true
		case 7:
			return from != ncH2 // A7 and H2's timeout are withheld
		}
		return true
	}
}

// newNegativeControl builds the scripted scenario.
func newNegativeControl(t *testing.T, unsafeNoViewCheck bool) *Sim {
	t.Helper()
	var s *Sim
	s, err := New(Options{Seed: 1, Validators: TwinsValidators, Twins: []int{0},
		BaseTimeoutTicks: 6, MaxBackoffExp: 2, UnsafeNoViewCheck: unsafeNoViewCheck,
		Network: Network{MinDelay: 1, MaxDelay: 1, Connected: ncConnected(&s)},
		Elector: func(_ *consensus.ValidatorSet, addrs []types.Address) consensus.LeaderElector {
			return scriptedElector{addrs: addrs, leaders: ncLeaders}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// headerAt returns the proposal of the given view by validator v.
func headerAt(s *Sim, view uint64, v int) (types.BlockHeader, types.Hash, bool) {
	for h, hd := range s.headers {
		if hd.View == view && hd.Proposer == Addr(v) {
			return hd, h, true
		}
	}
	return types.BlockHeader{}, types.Hash{}, false
}

// ncChain follows the QCs back from the proposal of the given view by
// validator v and returns the views of the chain, genesis excluded.
func ncChain(t *testing.T, s *Sim, view uint64, v int) []uint64 {
	t.Helper()
	hd, _, ok := headerAt(s, view, v)
	if !ok {
		t.Fatalf("no proposal by validator %d in view %d: the scenario did not run as scripted", v, view)
	}
	views := []uint64{hd.View}
	for hd.QC.View != 0 {
		p, ok := s.headers[hd.QC.BlockHash]
		if !ok {
			t.Fatalf("unknown block certified by the QC of view %d", hd.QC.View)
		}
		hd = p
		views = append([]uint64{hd.View}, views...)
	}
	return views
}

// committedAt returns the block node n finalized at height h.
func committedAt(n *Node, h uint64) (types.BlockHeader, bool) {
	for _, hd := range n.Commits {
		if hd.Height == h {
			return hd, true
		}
	}
	return types.BlockHeader{}, false
}

func describeCommits(s *Sim) string {
	var b strings.Builder
	for _, n := range s.Nodes {
		fmt.Fprintf(&b, "\n  node %d (honest %v) view %d lock %d, finalized (height/view):", n.ID, n.Honest, n.Driver.View(), n.Driver.Safety().LockedQC.View)
		for i, h := range n.Commits {
			if i == 8 {
				fmt.Fprintf(&b, " ... (%d)", len(n.Commits))
				break
			}
			fmt.Fprintf(&b, " %d/%d", h.Height, h.View)
		}
	}
	return b.String()
}

// ncTicks is how long the scenario runs: view 8 starts near tick 140, and
// the B chain finalizes from tick ~145 on.
const ncTicks = 300

// TestNegativeControlConsecutiveViews is the harness-level negative control
// of the commit rule: the scripted Twins scenario above, run through the
// simulator's safety checker (Sim.Violation, the one TestTwinsSafety uses),
// must be reported unsafe when the consecutive-view check is disabled
// (consensus.Config.DisableConsecutiveViewCheck via Options.UnsafeNoViewCheck)
// and must be safe, and live, with the check enabled.
func TestNegativeControlConsecutiveViews(t *testing.T) {
	a1Proposer := ncLeaders[1] // validator 1 (H1) proposes A1 in view 2

	t.Run("check disabled: violation", func(t *testing.T) {
		s := newNegativeControl(t, true)
		s.Run(ncTicks)
		// The scenario must really have forked, independently of the
		// checker: H2 finalized A1 (view 2), H1 a different block, B3
		// (view 3), at height 1.
		if got := ncChain(t, s, 7, 2); fmt.Sprint(got) != "[2 4 6 7]" {
			t.Fatalf("A chain views %v, want [2 4 6 7]", got)
		}
		a, okA := committedAt(s.Nodes[ncH2], 1)
		b, okB := committedAt(s.Nodes[ncH1], 1)
		if !okA || a.View != 2 || a.Proposer != Addr(a1Proposer) || !okB || b.View != 3 || b.Proposer != Addr(0) {
			t.Fatalf("the scenario did not fork as scripted (H2 height 1: %v view %d, H1 height 1: %v view %d); violation %v%s",
				okA, a.View, okB, b.View, s.Violation, describeCommits(s))
		}
		if s.Violation == nil {
			t.Fatalf("safety checker missed the fork at height 1 with the consecutive-view check disabled%s", describeCommits(s))
		}
		if !strings.Contains(s.Violation.Error(), "two blocks finalized at height 1") {
			t.Fatalf("unexpected violation %v%s", s.Violation, describeCommits(s))
		}
		t.Logf("detected at tick %d: %v%s", s.Now, s.Violation, describeCommits(s))
	})

	t.Run("check enabled: safe", func(t *testing.T) {
		s := newNegativeControl(t, false)
		s.Run(ncTicks)
		if s.Violation != nil {
			t.Fatalf("violation with the consecutive-view check enabled: %v%s", s.Violation, describeCommits(s))
		}
		// Not vacuous: the same non-consecutive three-chain A1 <- A4 <- A6
		// was built and extended by A7 (H2 inserted it), and the B chain
		// that conflicts with it took over.
		if got := ncChain(t, s, 7, 2); fmt.Sprint(got) != "[2 4 6 7]" {
			t.Fatalf("A chain views %v, want [2 4 6 7]", got)
		}
		if got := s.MinHonestCommitted(); got < 10 {
			t.Fatalf("only height %d finalized by every honest node%s", got, describeCommits(s))
		}
		for _, n := range s.Nodes {
			if !n.Honest {
				continue
			}
			h1, ok := committedAt(n, 1)
			if !ok || h1.View != 3 || h1.Proposer != Addr(0) {
				t.Fatalf("node %d finalized %v at height 1 (view %d), want B3 (view 3)%s", n.ID, ok, h1.View, describeCommits(s))
			}
		}
		t.Logf("safe; honest nodes finalized up to height %d%s", s.MinHonestCommitted(), describeCommits(s))
	})
}
