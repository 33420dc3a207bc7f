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
// validators that were active in committed history. A validator is active
// for view v if it proposed a committed block, or signed a vote in its QC
// or a timeout in its TC, in a view of [v-Lag-Window, v-Lag). A validator
// that is down signs nothing, falls out of that window and is no longer
// drawn: it stops costing a view timeout every few views. When the window
// holds no committed block (the chain's start, a long stall), or nobody in
// it is active, every validator is drawn.
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

// activity is who signed what one committed block carries.
type activity struct {
	view    uint64
	signers []int // member indices
}

// maxHistory bounds the committed blocks kept: the window never needs more
// than Window of them, and older views are not asked about.
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
// view already recorded is ignored, so replays are harmless.
func (e *ReputationElector) Committed(h *types.BlockHeader) {
	at := sort.Search(len(e.hist), func(i int) bool { return e.hist[i].view >= h.View })
	if at < len(e.hist) && e.hist[at].view == h.View {
		return
	}
	a := activity{view: h.View}
	add := func(addr types.Address) {
		if i, ok := e.set.index[addr]; ok {
			a.signers = append(a.signers, i)
		}
	}
	add(h.Proposer)
	for _, v := range h.QC.Votes {
		add(v.Validator)
	}
	if h.TimeoutCert != nil {
		for _, t := range h.TimeoutCert.Timeouts {
			add(t.Validator)
		}
	}
	e.hist = slices.Insert(e.hist, at, a)
	if at < len(e.hist)-1 {
		clear(e.cache) // a view was filled in below the newest: recompute
	}
	if len(e.hist) > maxHistory {
		e.hist = append(e.hist[:0:0], e.hist[len(e.hist)-maxHistory/2:]...)
	}
}

// Leader returns the leader of view.
func (e *ReputationElector) Leader(view uint64) types.Address {
	if l, ok := e.cache[view]; ok {
		return l
	}
	hi := satSub(view, e.lag)
	lo := satSub(hi, e.window)
	active := make([]bool, len(e.set.members))
	any := false
	i := sort.Search(len(e.hist), func(i int) bool { return e.hist[i].view >= lo })
	for ; i < len(e.hist) && e.hist[i].view < hi; i++ {
		for _, m := range e.hist[i].signers {
			active[m] = true
			any = true
		}
	}
	if !any {
		for m := range active {
			active[m] = true
		}
	}
	l := e.draw(view, active)
	// Final once a block of view hi or later is recorded: nothing can be
	// added to the window any more.
	if n := len(e.hist); n > 0 && e.hist[n-1].view >= hi {
		if len(e.cache) >= maxHistory {
			clear(e.cache)
		}
		e.cache[view] = l
	}
	return l
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
