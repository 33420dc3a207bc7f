package consensus

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

type fakeSigner struct{ a types.Address }
type fakeVerifier struct{}

func fsig(d types.SigningDomain, a types.Address, p []byte) (s types.Signature) {
	h := sha256.Sum256(append(append([]byte{byte(d)}, a[:]...), p...))
	copy(s[:], h[:])
	return
}
func (f fakeSigner) Address() types.Address { return f.a }
func (f fakeSigner) Sign(d types.SigningDomain, p []byte) (types.Signature, error) {
	return fsig(d, f.a, p), nil
}
func (fakeVerifier) Verify(d types.SigningDomain, p []byte, s types.Signature, a types.Address) error {
	if fsig(d, a, p) != s {
		return errors.New("bad")
	}
	return nil
}

func addr(i int) (a types.Address) { a[19] = byte(i + 1); return }

func TestQuorumArithmetic(t *testing.T) {
	cases := []struct {
		p, total uint64
		want     bool
	}{
		{2, 3, false}, // exactly 2/3
		{3, 3, true},
		{66, 99, false}, // exactly 2/3
		{67, 99, true},
		{2, 4, false},
		{3, 4, true},
		{math.MaxUint64 / 3 * 2, math.MaxUint64 / 3 * 3, false}, // exact 2/3, no overflow
		{math.MaxUint64/3*2 + 1, math.MaxUint64 / 3 * 3, true},
		{0, 1, false},
	}
	for _, c := range cases {
		if got := IsQuorum(c.p, c.total); got != c.want {
			t.Errorf("IsQuorum(%d, %d) = %v, want %v", c.p, c.total, got, c.want)
		}
	}
}

func TestValidatorSetRejects(t *testing.T) {
	if _, err := NewValidatorSet(nil); !errors.Is(err, ErrEmptySet) {
		t.Errorf("empty: %v", err)
	}
	if _, err := NewValidatorSet([]Member{{addr(1), 1}, {addr(1), 2}}); !errors.Is(err, ErrDuplicateMember) {
		t.Errorf("dup: %v", err)
	}
	if _, err := NewValidatorSet([]Member{{addr(1), 0}}); !errors.Is(err, ErrZeroPower) {
		t.Errorf("zero: %v", err)
	}
	if _, err := NewValidatorSet([]Member{{addr(1), math.MaxUint64}, {addr(2), 1}}); !errors.Is(err, ErrPowerOverflow) {
		t.Errorf("overflow: %v", err)
	}
	p, _ := EffectivePower(types.Validator{Stake: 1000, TrustedOS: true})
	if p != 1500 {
		t.Errorf("trusted OS power %d, want 1500", p)
	}
}

func testSet(t *testing.T, powers ...uint64) *ValidatorSet {
	ms := make([]Member, len(powers))
	for i, p := range powers {
		ms[i] = Member{addr(i), p}
	}
	s, err := NewValidatorSet(ms)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signedVote(i int, view uint64, h types.Hash) types.Vote {
	v := types.Vote{View: view, Height: 1, BlockHash: h, Voter: addr(i)}
	p, _ := v.SigningPayload()
	v.Signature = fsig(types.SigningDomainVote, addr(i), p)
	return v
}

// voteFor is validator i's signed vote for the header h whose hash is hash.
func voteFor(i int, h *types.BlockHeader, hash types.Hash) types.Vote {
	v := types.Vote{View: h.View, Height: h.Height, BlockHash: hash, Voter: addr(i)}
	p, _ := v.SigningPayload()
	v.Signature = fsig(types.SigningDomainVote, addr(i), p)
	return v
}

// qcFor is the QC of validators voters (ascending) for h whose hash is hash.
func qcFor(h *types.BlockHeader, hash types.Hash, voters ...int) types.QuorumCert {
	qc := types.QuorumCert{View: h.View, Height: h.Height, BlockHash: hash}
	for _, i := range voters {
		v := voteFor(i, h, hash)
		qc.Votes = append(qc.Votes, types.ValidatorSignature{Validator: v.Voter, Signature: v.Signature})
	}
	return qc
}

// newViewOf is validator i's signed NewView for view with high QC hq.
func newViewOf(i int, view uint64, hq types.QuorumCert) types.NewView {
	t := types.Timeout{View: view, HighQCView: hq.View, Sender: addr(i)}
	p, _ := t.SigningPayload()
	t.Signature = fsig(types.SigningDomainTimeout, addr(i), p)
	return types.NewView{Timeout: t, HighQC: hq}
}

// tcOf is the TC of validators senders (ascending) for view, all with high QC hq.
func tcOf(view uint64, hq types.QuorumCert, senders ...int) *types.TimeoutCert {
	tc := &types.TimeoutCert{View: view}
	for _, i := range senders {
		t := newViewOf(i, view, hq).Timeout
		tc.Timeouts = append(tc.Timeouts, types.TimeoutSignature{Validator: t.Sender, HighQCView: t.HighQCView, Signature: t.Signature})
	}
	return tc
}

// testGenesis is the genesis header of newTestCore.
var testGenesis = types.BlockHeader{Timestamp: 1}

// proposal is addr(0)'s block of view on the block qc certifies (the
// genesis block for the genesis QC), at the height after it, carrying tc.
func proposal(t *testing.T, view uint64, qc types.QuorumCert, tc *types.TimeoutCert) (types.BlockHeader, types.Hash) {
	t.Helper()
	parent := qc.BlockHash
	if IsGenesisQC(&qc) {
		parent = mustHash(t, &testGenesis)
	}
	h := types.BlockHeader{Height: qc.Height + 1, ParentHash: parent, Proposer: addr(0), View: view,
		Timestamp: 1 + view, QC: qc, TimeoutCert: tc}
	return h, mustHash(t, &h)
}

func mustHash(t *testing.T, h *types.BlockHeader) types.Hash {
	t.Helper()
	hash, err := h.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// kinds names the actions, in order, for exact comparisons.
func kinds(acts []Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = strings.TrimPrefix(fmt.Sprintf("%T", a), "consensus.")
	}
	return out
}

// fixedElector makes addr(0) lead every view.
type fixedElector struct{}

func (fixedElector) Leader(uint64) types.Address { return addr(0) }

func newTestCore(t *testing.T, set *ValidatorSet, self int, sd *SafetyData) *Core {
	c, err := NewCore(Config{Validators: set, Elector: fixedElector{}, Signer: fakeSigner{addr(self)},
		Verifier: fakeVerifier{}, Genesis: testGenesis, BaseTimeoutTicks: 4, MaxBackoffExp: 3}, sd)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVotesDuplicateAndUnknown: powers 1,1,1,1: two votes are not a quorum
// even when one voter votes twice; an unknown voter is rejected; the third
// distinct voter forms the QC and the leader enters the next view.
func TestVotesDuplicateAndUnknown(t *testing.T) {
	c := newTestCore(t, testSet(t, 1, 1, 1, 1), 0, nil)
	h := types.Hash{7}
	for _, v := range []types.Vote{signedVote(1, 1, h), signedVote(1, 1, h), signedVote(2, 1, h)} {
		if _, err := c.Step(VoteReceived{Vote: v}); err != nil {
			t.Fatal(err)
		}
	}
	if c.View() != 1 {
		t.Fatalf("QC formed from a duplicate vote: view %d", c.View())
	}
	if _, err := c.Step(VoteReceived{Vote: signedVote(9, 1, h)}); !errors.Is(err, ErrUnknownValidator) {
		t.Fatalf("unknown voter: %v", err)
	}
	bad := signedVote(3, 1, h)
	bad.Signature[0] ^= 1
	if _, err := c.Step(VoteReceived{Vote: bad}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("bad signature: %v", err)
	}
	acts, err := c.Step(VoteReceived{Vote: signedVote(3, 1, h)})
	if err != nil {
		t.Fatal(err)
	}
	if c.View() != 2 || c.Safety().HighQC.View != 1 || len(c.Safety().HighQC.Votes) != 3 {
		t.Fatalf("view %d highQC %+v", c.View(), c.Safety().HighQC)
	}
	var req *RequestProposal
	for _, a := range acts {
		if r, ok := a.(RequestProposal); ok {
			req = &r
		}
	}
	if req == nil || req.View != 2 || req.QC.View != 1 {
		t.Fatalf("leader did not ask to propose on the new QC: %+v", acts)
	}
}

func TestCommitRuleConsecutiveViews(t *testing.T) {
	hs := func(v0, v1, v2 uint64) (a, b, c *types.BlockHeader) {
		return &types.BlockHeader{View: v0}, &types.BlockHeader{View: v1}, &types.BlockHeader{View: v2}
	}
	if !ConsecutiveViews(hs(4, 5, 6)) {
		t.Error("4,5,6 must commit")
	}
	for _, v := range [][3]uint64{{4, 6, 7}, {4, 5, 7}, {4, 4, 5}, {1, 3, 5}} {
		if ConsecutiveViews(hs(v[0], v[1], v[2])) {
			t.Errorf("%v must not commit", v)
		}
	}
	// Through commitCandidate on a chain g(0) <- b0 <- b1 <- b2 <- b3 (b3's QC certifies b2).
	chain := func(views ...uint64) *block {
		var p *block
		for i, v := range views {
			p = &block{header: types.BlockHeader{View: v, Height: uint64(i), QC: types.QuorumCert{View: v - 1}}, parent: p}
		}
		return p
	}
	var sd SafetyData
	if b0 := commitCandidate(chain(0, 1, 2, 3, 4).parent, &sd, true); b0 == nil || b0.header.View != 1 {
		t.Errorf("consecutive chain: commit %v", b0)
	}
	if sd.LockedQC.View != 2 {
		t.Errorf("lock %d, want b2.QC, the QC of the two-chain head b1 (view 2)", sd.LockedQC.View)
	}
	if b0 := commitCandidate(chain(0, 1, 3, 4, 5).parent, &sd, true); b0 != nil {
		t.Errorf("gap between b0 and b1 committed %d", b0.header.View)
	}
	if b0 := commitCandidate(chain(0, 1, 3, 4, 5).parent, &sd, false); b0 == nil {
		t.Error("with the check disabled the gap chain commits (negative control of the switch)")
	}
}

func TestPacemakerBackoff(t *testing.T) {
	p := newPacemaker(1, 4, 2)
	fire := func() (n uint64) {
		for n = 1; !p.tick(); n++ {
		}
		return
	}
	if got := fire(); got != 4 {
		t.Fatalf("first timeout after %d ticks, want 4", got)
	}
	if got := fire(); got != 8 {
		t.Fatalf("rebroadcast after %d ticks, want 8", got)
	}
	p.advance(2, true) // TC: backoff 1
	if got := fire(); got != 8 {
		t.Fatalf("after one TC: %d, want 8", got)
	}
	p.advance(3, true) // backoff 2 = cap
	if got := fire(); got != 16 {
		t.Fatalf("after two TCs: %d, want 16", got)
	}
	if got := fire(); got != 16 {
		t.Fatalf("capped: %d, want 16", got)
	}
	p.advance(4, false) // QC resets
	if got := fire(); got != 4 {
		t.Fatalf("after QC: %d, want 4", got)
	}
	if p.advance(3, false) {
		t.Fatal("went back a view")
	}
}

func TestLeaderSelectionWeighted(t *testing.T) {
	set := testSet(t, 10, 20, 30, 40)
	e := NewWeightedElector(set, [32]byte{1})
	e2 := NewWeightedElector(set, [32]byte{1})
	counts := map[types.Address]int{}
	const views = 200000
	for v := uint64(1); v <= views; v++ {
		l := e.Leader(v)
		if l != e2.Leader(v) {
			t.Fatal("not deterministic")
		}
		counts[l]++
	}
	for _, m := range set.Members() {
		want := float64(views) * float64(m.Power) / float64(set.TotalPower())
		if got := float64(counts[m.Address]); math.Abs(got-want) > 0.02*views {
			t.Errorf("%x led %v views, want %v", m.Address, got, want)
		}
	}
	other := NewWeightedElector(set, [32]byte{2})
	same := 0
	for v := uint64(1); v <= 1000; v++ {
		if other.Leader(v) == e.Leader(v) {
			same++
		}
	}
	if same > 500 {
		t.Errorf("seed has little effect: %d/1000 equal", same)
	}
}

// TestRestartNeverEquivocates: a node votes in view 1, crashes, restarts
// from its persisted safety data and receives a conflicting proposal for
// view 1: it must not vote. It times out in view 2, restarts, and on its
// next timeout rebroadcasts the identical timeout instead of signing anew.
//
// Every batch is compared whole, in order: a vote is exactly
// [PersistSafety, SendVote], a first timeout exactly [PersistSafety,
// BroadcastNewView], a rebroadcast exactly [BroadcastNewView], so a send
// before its persist, or a persist missing from the batch, fails.
func TestRestartNeverEquivocates(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	c := newTestCore(t, set, 1, nil)
	prop := func(ts uint64) (types.BlockHeader, types.Hash) {
		h := types.BlockHeader{Height: 1, ParentHash: mustHash(t, &testGenesis), Proposer: addr(0), View: 1, Timestamp: ts}
		return h, mustHash(t, &h)
	}
	var persisted SafetyData
	var votes []types.Vote
	run := func(c *Core, ev Event, want ...string) {
		t.Helper()
		acts, err := c.Step(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(acts); !slices.Equal(got, want) {
			t.Fatalf("%T: actions %v, want exactly %v", ev, got, want)
		}
		for _, a := range acts {
			switch a := a.(type) {
			case PersistSafety:
				persisted = a.Data.Clone()
			case SendVote:
				votes = append(votes, a.Vote)
				if persisted.LastVotedView != a.Vote.View {
					t.Fatalf("vote of view %d sent, persisted last voted view %d", a.Vote.View, persisted.LastVotedView)
				}
			case BroadcastNewView:
				if persisted.LastTimeout == nil || *persisted.LastTimeout != a.Msg.Timeout {
					t.Fatal("timeout sent that was not persisted first")
				}
			}
		}
	}
	h1, hash1 := prop(1)
	run(c, ProposalReceived{Header: h1}, "RequestExecute")
	run(c, BlockExecuted{Hash: hash1, Valid: true}, "PersistSafety", "SendVote")
	if len(votes) != 1 {
		t.Fatalf("votes %d", len(votes))
	}
	c = newTestCore(t, set, 1, &persisted) // crash + restart
	h2, hash2 := prop(2)
	run(c, ProposalReceived{Header: h2}, "RequestExecute")
	run(c, BlockExecuted{Hash: hash2, Valid: true}) // already voted in view 1: nothing
	if len(votes) != 1 {
		t.Fatal("restarted node voted twice in view 1")
	}
	for range 3 {
		run(c, Tick{})
	}
	run(c, Tick{}, "PersistSafety", "BroadcastNewView")
	first := *persisted.LastTimeout
	c = newTestCore(t, set, 1, &persisted)
	var resent []types.Timeout
	for range 100 {
		acts, err := c.Step(Tick{})
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) == 0 {
			continue
		}
		if got := kinds(acts); !slices.Equal(got, []string{"BroadcastNewView"}) {
			t.Fatalf("restarted node timed out again with %v, want exactly [BroadcastNewView]: a persist means a new signature", got)
		}
		resent = append(resent, acts[0].(BroadcastNewView).Msg.Timeout)
	}
	if len(resent) == 0 {
		t.Fatal("no rebroadcast after restart")
	}
	for _, r := range resent {
		if r != first {
			t.Fatalf("rebroadcast %+v differs from %+v", r, first)
		}
	}
}

// TestEffectivePowerBoundary: stake × 1.5, rounded down, with the overflow
// error exactly where stake + stake/2 no longer fits in 64 bits.
func TestEffectivePowerBoundary(t *testing.T) {
	const max = ^uint64(0)
	edge := max / 3 * 2 // the largest stake whose 1.5x fits
	for _, stake := range []uint64{0, 1, 2, 3, 999, 1 << 62, edge - 2, edge - 1, edge, edge + 1, edge + 2, edge + 3, max} {
		want, carry := bits.Add64(stake, stake/2, 0)
		got, err := EffectivePower(types.Validator{Stake: stake, TrustedOS: true})
		if carry != 0 {
			if !errors.Is(err, ErrPowerOverflow) {
				t.Errorf("stake %d: %d, %v; want ErrPowerOverflow", stake, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("stake %d: %d, %v; want %d", stake, got, err, want)
		}
	}
}

// TestLeaderLost: a validator told that the leader of its current
// view is unreachable times out at once (PersistSafety, BroadcastNewView),
// once; the hint is ignored for another view, by the leader itself, and by
// a follower.
func TestLeaderLost(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	c := newTestCore(t, set, 1, nil) // addr(0) leads every view
	view := c.View()
	acts, err := c.Step(LeaderLost{View: view + 1})
	if err != nil || len(acts) != 0 {
		t.Fatalf("hint for another view: %v, %v", kinds(acts), err)
	}
	acts, err = c.Step(LeaderLost{View: view})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds(acts), ","); got != "PersistSafety,BroadcastNewView" {
		t.Fatalf("unreachable leader: actions %s, want PersistSafety,BroadcastNewView", got)
	}
	if sd := c.Safety(); sd.LastTimeout == nil || sd.LastTimeout.View != view {
		t.Fatalf("no timeout signed for view %d: %+v", view, sd.LastTimeout)
	}
	if acts, _ := c.Step(LeaderLost{View: view}); len(acts) != 0 {
		t.Fatalf("second hint for the same view: %v", kinds(acts))
	}

	leader := newTestCore(t, set, 0, nil)
	if acts, _ := leader.Step(LeaderLost{View: leader.View()}); len(acts) != 0 {
		t.Fatalf("the leader timed itself out: %v", kinds(acts))
	}
	follower := newTestCore(t, set, 7, nil)
	if acts, err := follower.Step(LeaderLost{View: follower.View()}); len(acts) != 0 || err != nil {
		t.Fatalf("a follower signed a timeout: %v, %v", kinds(acts), err)
	}
}
