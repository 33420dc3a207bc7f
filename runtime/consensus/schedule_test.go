package consensus

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// overrideElector is fixedElector except at one view, where this node
// believes another validator leads: a node whose committed history, and
// so whose schedule, differs from the voters' (spec/consensus.md "Leader
// selection": a node behind, or one that committed more than they had).
type overrideElector struct {
	view   uint64
	leader types.Address
}

func (e overrideElector) Leader(v uint64) types.Address {
	if v == e.view {
		return e.leader
	}
	return addr(0)
}

// TestFetchedBlockOutsideOwnSchedule: a block a quorum certified is the
// chain's whatever this node's schedule says. Found on a 4-process devnet:
// a validator restarted after its peers had proposed under a schedule
// computed before the blocks of its window were committed, refused the
// fetched block its next proposal needed, voted no more, and when another
// validator was then SIGKILLed the network stalled for 30 s. The proposal
// itself is still refused (it is not voted for), the fetched block is
// taken, and the chain on it commits.
func TestFetchedBlockOutsideOwnSchedule(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	c, err := NewCore(Config{Validators: set, Elector: overrideElector{view: 2, leader: addr(3)}, Signer: fakeSigner{addr(2)},
		Verifier: fakeVerifier{}, Genesis: testGenesis, BaseTimeoutTicks: 4, MaxBackoffExp: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []Action
	var step func(ev Event) error
	step = func(ev Event) error {
		acts, err := c.Step(ev)
		all = append(all, acts...)
		for _, a := range acts {
			if r, ok := a.(RequestExecute); ok {
				if err := step(BlockExecuted{Hash: mustHash(t, &r.Header), Valid: true}); err != nil {
					return err
				}
			}
		}
		return err
	}
	qc := types.QuorumCert{}
	blocks := map[uint64]types.BlockHeader{}
	for view := uint64(1); view <= 5; view++ {
		h, hash := proposal(t, view, qc, nil)
		blocks[view] = h
		err := step(ProposalReceived{Header: h})
		switch {
		case view == 2 && !errors.Is(err, ErrWrongProposer):
			t.Fatalf("the proposal of view 2 from a proposer this node does not expect: %v, want ErrWrongProposer", err)
		case view != 2 && err != nil:
			t.Fatalf("view %d: %v", view, err)
		}
		if view == 3 { // carries QC(2): b2 is fetched and must be taken
			if err := step(BlockFetched{Header: blocks[2]}); err != nil {
				t.Fatalf("the certified block of view 2, fetched: %v", err)
			}
		}
		qc = qcFor(&h, hash, 0, 1, 2)
	}
	var committed []uint64
	for _, a := range all {
		if cb, ok := a.(CommitBlocks); ok {
			for _, h := range cb.Headers {
				committed = append(committed, h.View)
			}
		}
	}
	// QC(4) in b5 over b2, b3, b4 in consecutive views makes b2 final.
	if len(committed) < 2 || committed[0] != 1 || committed[1] != 2 {
		t.Fatalf("committed views %v, want 1 and 2 first", committed)
	}
}
