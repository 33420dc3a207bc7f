package consensus

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"slices"
	"sort"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// ReputationElector is the leader schedule of spec/consensus.md, "Leader
// selection": the EP-weighted draw of WeightedElector, restricted to the
// validators that were active in committed history and have not failed as
// leader since. A validator is active for view v if it proposed a committed
// block, or signed a vote in its QC or a timeout in its TC, in a view of
// [v-Lag-Window, v-Lag). A validator that is down signs nothing, falls out
// of that window and is no longer drawn. Sooner than that, a committed block
// of the window that carries TC(u) shows that Leader(u) failed at view u:
// that validator is passed over until it proposes a committed block of a
// later view, so a crashed leader stops breaking the run of consecutive
// views a commit needs a few views after its first failed view is
// committed. When nobody is left (the chain's start, a long stall, everyone
// failed), every validator is drawn.
//
// The schedule is a function of committed history alone, so nodes agree
// on it once each has committed a block of view v-Lag or later; Lag views
// is well beyond the usual commit delay of three views. A node further
// behind may disagree; that costs only liveness (it refuses a proposal
// whose proposer it does not expect), never safety, which does not depend
// on who leads.
//
// It is not safe for concurrent use; the driver's goroutine owns it.
type ReputationElector struct {
	set    *ValidatorSet
	seed   [32]byte
	lag    uint64
	window uint64
	hist   []activity // committed blocks, ascending by view
	cache  map[uint64]types.Address
}

// activity is what one committed block shows: who signed it and, when it
// shows a failed view (FailedView), who failed as that view's leader.
type activity struct {
	view     uint64
	proposer int   // member index, -1 for an unknown address
	signers  []int // member indices
	tc       bool  // it shows view tcView failed
	tcView   uint64
	failed   int // member index of Leader(tcView); -1 unless tc
}

// maxHistory bounds the committed blocks kept: the window never needs more
// than Window of them, and older views are not asked about. A block's
// failed leader is kept with it, so dropping the blocks its computation
// read loses nothing.
const maxHistory = 1024

var _ LeaderElector = (*ReputationElector)(nil)

// NewReputationElector returns the schedule for set with the given seed and
// the params' lag and window.
func NewReputationElector(set *ValidatorSet, seed [32]byte) *ReputationElector {
	return &ReputationElector{set: set, seed: seed, lag: params.LeaderReputationLag,
		window: params.LeaderReputationWindow, cache: map[uint64]types.Address{}}
}

// Committed records a committed block's header, in any order (a restarted
// node replays older history after range sync recorded newer blocks); a
// view already recorded is ignored, so replays are harmless. A block
// recorded below the newest may change the failed leader of later blocks
// whose TC's view has it in its window; those are computed again, oldest
// first, so the result is the one in-order recording gives.
func (e *ReputationElector) Committed(h *types.BlockHeader) {
	at := sort.Search(len(e.hist), func(i int) bool { return e.hist[i].view >= h.View })
	if at < len(e.hist) && e.hist[at].view == h.View {
		return
	}
	a := activity{view: h.View, proposer: -1, failed: -1}
	add := func(addr types.Address) {
		if i, ok := e.set.index[addr]; ok {
			a.signers = append(a.signers, i)
		}
	}
	if i, ok := e.set.index[h.Proposer]; ok {
		a.proposer = i
	}
	add(h.Proposer)
	for _, v := range h.QC.Votes {
		add(v.Validator)
	}
	if tc := h.TimeoutCert; tc != nil {
		for _, t := range tc.Timeouts {
			add(t.Validator)
		}
	}
	a.tcView, a.tc = FailedView(h)
	e.hist = slices.Insert(e.hist, at, a)
	if at < len(e.hist)-1 {
		clear(e.cache) // a view was filled in below the newest: recompute
	}
	e.refail(at)
	if len(e.hist) > maxHistory {
		e.hist = append(e.hist[:0:0], e.hist[len(e.hist)-maxHistory/2:]...)
	}
}

// refail computes the failed leader of the block at hist[at] and then of
// every later block whose TC's view has, in its window, a block whose
// record changed. Leader(u) reads only blocks below u-Lag, all earlier in
// hist, so going up in order computes each from final inputs.
func (e *ReputationElector) refail(at int) {
	changed := []uint64{e.hist[at].view}
	for i := at; i < len(e.hist); i++ {
		a := &e.hist[i]
		if !a.tc {
			continue
		}
		hi := satSub(a.tcView, e.lag)
		lo := satSub(hi, e.window)
		if i > at && !slices.ContainsFunc(changed, func(c uint64) bool { return c >= lo && c < hi }) {
			continue
		}
		f := e.set.index[e.Leader(a.tcView)]
		if i > at && f != a.failed {
			changed = append(changed, a.view)
		}
		a.failed = f
	}
}

// FailedView reports the view a committed header shows failed: the view
// before its own when it carries that view's TC and needed it, its QC
// being older. A TC a proposer attaches without needing it (any TC
// verifies) blames nobody. Views further below the block that have no
// committed block either are not counted: their certificates are not in
// the block, and a leader there may have had its block certified and then
// orphaned.
func FailedView(h *types.BlockHeader) (uint64, bool) {
	if tc := h.TimeoutCert; tc != nil && tc.View+1 == h.View && h.QC.View < tc.View {
		return tc.View, true
	}
	return 0, false
}

// Leader returns the leader of view.
func (e *ReputationElector) Leader(view uint64) types.Address {
	if l, ok := e.cache[view]; ok {
		return l
	}
	hi := satSub(view, e.lag)
	lo := satSub(hi, e.window)
	n := len(e.set.members)
	active := make([]bool, n)
	// failedAt and proposedAt are 1 + the view of a member's last failure
	// and last committed proposal in the window (0: none).
	failedAt := make([]uint64, n)
	proposedAt := make([]uint64, n)
	i := sort.Search(len(e.hist), func(i int) bool { return e.hist[i].view >= lo })
	for ; i < len(e.hist) && e.hist[i].view < hi; i++ {
		a := &e.hist[i]
		for _, m := range a.signers {
			active[m] = true
		}
		if a.proposer >= 0 {
			proposedAt[a.proposer] = a.view + 1
		}
		if a.failed >= 0 {
			failedAt[a.failed] = max(failedAt[a.failed], a.tcView+1)
		}
	}
	any := false
	for m := range active {
		if failedAt[m] > 0 && proposedAt[m] <= failedAt[m] {
			active[m] = false // failed as leader and not proposed since
		}
		any = any || active[m]
	}
	if !any {
		for m := range active {
			active[m] = true
		}
	}
	l := e.draw(view, active)
	// Final once a block of view hi or later is recorded: nothing can be
	// added to the window any more.
	if e.Settled(view) {
		if len(e.cache) >= maxHistory {
			clear(e.cache)
		}
		e.cache[view] = l
	}
	return l
}

// Settled reports whether Leader(view) is final here: a block of view
// view-Lag or later is recorded (or view-Lag is 0: the window is empty), so
// no committed block can still enter view's window. Before that this
// node's answer may differ from that of nodes that have committed more
// (spec/consensus.md "Leader selection").
func (e *ReputationElector) Settled(view uint64) bool {
	hi := satSub(view, e.lag)
	n := len(e.hist)
	return hi == 0 || n > 0 && e.hist[n-1].view >= hi // [0, 0): block 0 only
}

// draw maps SHA-256(seed || view) onto the cumulative power of the active
// members, sorted by address, as WeightedElector does over all of them.
func (e *ReputationElector) draw(view uint64, active []bool) types.Address {
	var total uint64
	for m, ok := range active {
		if ok {
			total += e.set.members[m].Power
		}
	}
	var buf [40]byte
	copy(buf[:32], e.seed[:])
	binary.LittleEndian.PutUint64(buf[32:], view)
	h := sha256.Sum256(buf[:])
	x := binary.LittleEndian.Uint64(h[:8])
	r, _ := bits.Mul64(x, total)
	var acc uint64
	for m, ok := range active {
		if !ok {
			continue
		}
		acc += e.set.members[m].Power
		if acc > r {
			return e.set.members[m].Address
		}
	}
	return e.set.members[len(e.set.members)-1].Address // unreachable: r < total
}

func satSub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
