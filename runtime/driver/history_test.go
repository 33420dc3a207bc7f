package driver

import (
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// TestLoadHistoryFollowsFailures: a restarted node's schedule is the one of
// a node that recorded every final block, when each failure's leader
// depends on an earlier failure's, back to the chain's start (the leader of
// every ninth view misses it, so each failure is in the window of the
// next). Negative control: the last LeaderReputationLag +
// LeaderReputationWindow views alone, what a restart read before failures
// counted, give another schedule.
func TestLoadHistoryFollowsFailures(t *testing.T) {
	var ms []consensus.Member
	for i := range 4 {
		var a types.Address
		a[19] = byte(i + 1)
		ms = append(ms, consensus.Member{Address: a, Power: 1})
	}
	set, err := consensus.NewValidatorSet(ms)
	if err != nil {
		t.Fatal(err)
	}
	span := params.LeaderReputationLag + params.LeaderReputationWindow
	seed := [32]byte{3}
	full := consensus.NewReputationElector(set, seed)
	c := &testChain{blocks: []*types.Block{{}}}
	var last types.BlockHeader // genesis: height 0, view 0
	for v := uint64(1); v < 400; v++ {
		if v%9 == 0 {
			continue // its leader missed it
		}
		h := types.BlockHeader{Height: last.Height + 1, View: v, Proposer: full.Leader(v), QC: types.QuorumCert{View: last.View}}
		if last.View+1 < v {
			h.TimeoutCert = &types.TimeoutCert{View: v - 1}
		}
		for _, m := range ms {
			h.QC.Votes = append(h.QC.Votes, types.ValidatorSignature{Validator: m.Address})
		}
		full.Committed(&h)
		c.blocks = append(c.blocks, &types.Block{Header: h})
		last = h
	}
	restarted := consensus.NewReputationElector(set, seed)
	d := &Driver{chain: c, elect: restarted}
	if err := d.loadHistory(&last); err != nil {
		t.Fatal(err)
	}
	short := consensus.NewReputationElector(set, seed)
	for _, b := range c.blocks[1:] {
		if b.Header.View+span >= last.View {
			short.Committed(&b.Header)
		}
	}
	differ := 0
	for v := last.View + 1; v <= last.View+span+1; v++ {
		if restarted.Leader(v) != full.Leader(v) {
			t.Fatalf("view %d: restarted node's leader %s, the one that never stopped %s", v, restarted.Leader(v), full.Leader(v))
		}
		if short.Leader(v) != full.Leader(v) {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("negative control: the last span of views alone gives the same schedule: the test tests nothing")
	}
	t.Logf("%d final blocks, failures chained from the start; with the last %d views alone %d of the next %d leaders differ", len(c.blocks)-1, span, differ, span+1)
}
