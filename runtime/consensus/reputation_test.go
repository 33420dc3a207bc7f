package consensus

import (
	"testing"

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
