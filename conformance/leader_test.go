package conformance

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// runLeaderSchedule checks consensus.ReputationElector against the
// leader-schedule vectors: the set, the seed and the committed history of
// each case, each block a header with its proposer, everyone active as QC
// voters, its QC's view and its TC's view, then the leader of each view.
func runLeaderSchedule(t *testing.T, vf vectorFile) int {
	f := vf
	if f.Lag != strconv.FormatUint(params.LeaderReputationLag, 10) || f.Window != strconv.FormatUint(params.LeaderReputationWindow, 10) {
		t.Errorf("vectors use lag %s window %s, params %d %d", f.Lag, f.Window, params.LeaderReputationLag, params.LeaderReputationWindow)
	}
	for _, raw := range vf.Cases {
		var c struct {
			Name       string
			Seed       string
			Validators []struct{ Address, Power string }
			History    []struct {
				View, Proposer string
				Active         []string
				QCView         string  `json:"qc_view"`
				TimeoutView    *string `json:"timeout_view"`
			}
			Leaders []struct{ View, Leader string }
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		addr := func(s string) (a types.Address) { copy(a[:], unhex(t, s)); return }
		var ms []consensus.Member
		for _, v := range c.Validators {
			p, _ := strconv.ParseUint(v.Power, 10, 64)
			ms = append(ms, consensus.Member{Address: addr(v.Address), Power: p})
		}
		set, err := consensus.NewValidatorSet(ms)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		var seed [32]byte
		copy(seed[:], unhex(t, c.Seed))
		e := consensus.NewReputationElector(set, seed)
		u64 := func(s string) uint64 {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			return v
		}
		for _, h := range c.History {
			hdr := types.BlockHeader{View: u64(h.View), Proposer: addr(h.Proposer), QC: types.QuorumCert{View: u64(h.QCView)}}
			for _, a := range h.Active {
				hdr.QC.Votes = append(hdr.QC.Votes, types.ValidatorSignature{Validator: addr(a)})
			}
			if h.TimeoutView != nil {
				hdr.TimeoutCert = &types.TimeoutCert{View: u64(*h.TimeoutView)}
			}
			e.Committed(&hdr)
		}
		for _, q := range c.Leaders {
			view, _ := strconv.ParseUint(q.View, 10, 64)
			if got := e.Leader(view); got != addr(q.Leader) {
				t.Errorf("%s: leader of view %d is %x, want %s", c.Name, view, got, q.Leader)
			}
		}
	}
	return len(vf.Cases)
}
