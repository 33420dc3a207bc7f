package consensus

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sort"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// LeaderElector names the leader of a view. It must be deterministic: every
// node computes the same leader for the same view.
type LeaderElector interface {
	Leader(view uint64) types.Address
}

// WeightedElector draws the leader of view v from SHA-256(seed || v) mapped
// onto the cumulative Effective Power of the members sorted by address, so
// validator i leads with probability Power_i / TotalPower. It is stateless:
// the leader of any view is computed in O(log n) without replaying earlier
// views, which a protocol that jumps views on timeout certificates needs.
type WeightedElector struct {
	seed [32]byte
	set  *ValidatorSet
	cum  []uint64 // cum[i] = sum of power of members[0..i]
}

var _ LeaderElector = (*WeightedElector)(nil)

// NewWeightedElector returns the elector for set with the given seed (the
// epoch seed; genesis uses the genesis hash).
func NewWeightedElector(set *ValidatorSet, seed [32]byte) *WeightedElector {
	e := &WeightedElector{seed: seed, set: set, cum: make([]uint64, len(set.members))}
	var acc uint64
	for i, m := range set.members {
		acc += m.Power
		e.cum[i] = acc
	}
	return e
}

// Leader returns the leader of view.
func (e *WeightedElector) Leader(view uint64) types.Address {
	var buf [40]byte
	copy(buf[:32], e.seed[:])
	binary.LittleEndian.PutUint64(buf[32:], view)
	h := sha256.Sum256(buf[:])
	x := binary.LittleEndian.Uint64(h[:8])
	// Lemire's multiply-shift: r = floor(x * total / 2^64), uniform in
	// [0, total) up to a bias below total/2^64.
	r, _ := bits.Mul64(x, e.set.total)
	i := sort.Search(len(e.cum), func(i int) bool { return e.cum[i] > r })
	return e.set.members[i].Address
}
