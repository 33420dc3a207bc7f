package sim

import (
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// Twins: four validators of equal power, one of them byzantine and run as
// two nodes with the same key (nodes 0..3 are the validators, node 4 the
// twin of validator Twin). For each of the first Views views the scenario
// fixes the leader and a partition of the five nodes into two groups;
// messages of that view cross only within a group. Later views are fully
// connected with round-robin leaders, and from TwinsHealTick on every
// message crosses, so the run heals.
//
// This produces the byzantine behaviours of the Twins paper with honest
// code: an equivocating leader (both twins lead, each proposes its own block
// to its side), double votes (each twin votes for what its side sees),
// withheld votes (partitions), and, with Replay, votes and timeouts for
// stale views (the twins' messages are delivered again much later).
const (
	TwinsValidators = 4
	TwinsNodes      = 5
)

// Scenario is one Twins scenario.
type Scenario struct {
	Twin       int     // the byzantine validator
	Leaders    []int   // leader (validator index) of views 1..len
	Partitions []uint8 // per view: bit i set = node i in group B
	Replay     bool
}

// numPartitions: the partitions of 5 nodes into at most two groups, as
// bitmasks with node 0 always in group A: 16 of them (mask 0 = connected).
const numPartitions = 16

// ScenarioCount is the size of the enumeration for views views.
func ScenarioCount(views int) uint64 {
	n := uint64(TwinsValidators * 2)
	for range views {
		n *= TwinsValidators * numPartitions
	}
	return n
}

// EnumerateScenario returns scenario i (0 <= i < ScenarioCount(views)) of
// the mixed-radix enumeration twin x replay x (leader x partition)^views.
func EnumerateScenario(i uint64, views int) Scenario {
	sc := Scenario{Twin: int(i % TwinsValidators)}
	i /= TwinsValidators
	sc.Replay = i%2 == 1
	i /= 2
	for range views {
		sc.Leaders = append(sc.Leaders, int(i%TwinsValidators))
		i /= TwinsValidators
		sc.Partitions = append(sc.Partitions, uint8(i%numPartitions)<<1) // node 0 stays in group A
		i /= numPartitions
	}
	return sc
}

// SpreadIndex maps k = 0, 1, 2, ... to distinct scenario indices spread over
// the whole enumeration (multiplication by an odd constant modulo a power of
// two is a bijection), so that the first thousand scenarios are not all
// variations of the last view only.
func SpreadIndex(k uint64, views int) uint64 {
	n := ScenarioCount(views) // a power of two
	return (k * 0x9E3779B97F4A7C15) & (n - 1)
}

type scriptedElector struct {
	addrs   []types.Address
	leaders []int
}

func (e scriptedElector) Leader(view uint64) types.Address {
	if view >= 1 && view <= uint64(len(e.leaders)) {
		return e.addrs[e.leaders[view-1]]
	}
	return e.addrs[view%uint64(len(e.addrs))]
}

// NewTwins builds the simulation of sc.
func NewTwins(sc Scenario, unsafeNoViewCheck bool) (*Sim, error) {
	group := func(node int, view uint64) bool {
		return sc.Partitions[view-1]&(1<<node) != 0
	}
	net := Network{MinDelay: 1, MaxDelay: 1,
		Connected: func(from, to int, view, now uint64) bool {
			if view == 0 || view > uint64(len(sc.Partitions)) || now >= TwinsHealTick {
				return true
			}
			return group(from, view) == group(to, view)
		}}
	if sc.Replay {
		net.Replay = func(from int) []uint64 {
			if from == sc.Twin || from == TwinsValidators {
				return []uint64{25}
			}
			return nil
		}
	}
	return New(Options{Seed: 1, Validators: TwinsValidators, Twins: []int{sc.Twin},
		BaseTimeoutTicks: 6, MaxBackoffExp: 2, Network: net, UnsafeNoViewCheck: unsafeNoViewCheck,
		Elector: func(_ *consensus.ValidatorSet, addrs []types.Address) consensus.LeaderElector {
			return scriptedElector{addrs: addrs, leaders: sc.Leaders}
		}})
}

// TwinsTicks is how long a Twins scenario runs; TwinsHealTick is when the
// partitions end (messages of a partitioned view that are rebroadcast after
// it cross freely).
const (
	TwinsTicks    = 200
	TwinsHealTick = 80
)
