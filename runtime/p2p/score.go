package p2p

import (
	"math"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/oramanetwork/orama-chain/generated/params"
)

// Scoring constants; the package doc explains the choices.
const (
	scoreDecayInterval  = time.Second
	scoreDecayToZero    = 0.01
	scoreRetain         = time.Hour
	scoreInspectPeriod  = time.Second
	topicScoreCap       = 30
	timeInMeshWeight    = 0.01
	timeInMeshCap       = 600 // quanta of one second
	firstDeliveryWeight = 1
	firstDeliveryCap    = 10
	firstDeliveryDecay  = 10 * time.Minute
	invalidWeight       = -100
	invalidDecay        = time.Hour
	behaviourWeight     = -10
	behaviourThreshold  = 6
	behaviourDecay      = 10 * time.Minute

	gossipThreshold      = -50
	publishThreshold     = -100
	graylistThreshold    = -300
	acceptPXThreshold    = 100
	opportunisticGraftAt = 5

	// penaltyStep is what one Penalize call takes off the application
	// score; penaltyHalfLife is how fast it recovers; penaltyFloor bounds it.
	penaltyStep     = 10
	penaltyHalfLife = 10 * time.Minute
	penaltyFloor    = -1000
)

// topicScoreParams returns the score parameters of one topic.
func topicScoreParams(weight float64) *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight: weight,

		TimeInMeshWeight:  timeInMeshWeight,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     timeInMeshCap,

		FirstMessageDeliveriesWeight: firstDeliveryWeight,
		FirstMessageDeliveriesDecay:  pubsub.ScoreParameterDecayWithBase(firstDeliveryDecay, scoreDecayInterval, scoreDecayToZero),
		FirstMessageDeliveriesCap:    firstDeliveryCap,

		// P3 and P3b (mesh delivery rates) are off: see the package doc.

		InvalidMessageDeliveriesWeight: invalidWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecayWithBase(invalidDecay, scoreDecayInterval, scoreDecayToZero),
	}
}

// peerScoreParams returns the gossipsub scoring parameters, with app as
// the application-specific score (P5).
func peerScoreParams(app func(peer.ID) float64) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		Topics: map[string]*pubsub.TopicScoreParams{
			params.TopicBlocks:  topicScoreParams(1),
			params.TopicVotes:   topicScoreParams(1),
			params.TopicNewView: topicScoreParams(1),
			params.TopicTxs:     topicScoreParams(0.5),
		},
		TopicScoreCap:     topicScoreCap,
		AppSpecificScore:  app,
		AppSpecificWeight: 1,

		// P6 (IP colocation) is off: see the package doc.
		IPColocationFactorWeight: 0,

		BehaviourPenaltyWeight:    behaviourWeight,
		BehaviourPenaltyThreshold: behaviourThreshold,
		BehaviourPenaltyDecay:     pubsub.ScoreParameterDecayWithBase(behaviourDecay, scoreDecayInterval, scoreDecayToZero),

		DecayInterval: scoreDecayInterval,
		DecayToZero:   scoreDecayToZero,
		RetainScore:   scoreRetain,
	}
}

// peerScoreThresholds returns the gossipsub score thresholds.
func peerScoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           acceptPXThreshold,
		OpportunisticGraftThreshold: opportunisticGraftAt,
	}
}

// penalties is the application-specific score: the decayed sum of
// Penalize calls per peer. It is safe for concurrent use.
type penalties struct {
	mu    sync.Mutex
	now   func() time.Time
	peers map[peer.ID]penalty
}

// penalty is a score value as of a time.
type penalty struct {
	value float64
	at    time.Time
}

func newPenalties(now func() time.Time) *penalties {
	return &penalties{now: now, peers: make(map[peer.ID]penalty)}
}

// decayed returns p's value at t.
func (p penalty) decayed(t time.Time) float64 {
	dt := t.Sub(p.at)
	if dt <= 0 {
		return p.value
	}
	return p.value * math.Exp2(-float64(dt)/float64(penaltyHalfLife))
}

// add lowers id's score by penaltyStep.
func (ps *penalties) add(id peer.ID) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t := ps.now()
	v := ps.peers[id].decayed(t) - penaltyStep
	v = max(v, penaltyFloor)
	ps.peers[id] = penalty{value: v, at: t}
	return v
}

// score returns id's current application score; gossipsub calls it under
// its own lock, so it must be quick.
func (ps *penalties) score(id peer.ID) float64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, ok := ps.peers[id]
	if !ok {
		return 0
	}
	v := p.decayed(ps.now())
	if v > -scoreDecayToZero {
		delete(ps.peers, id)
		return 0
	}
	return v
}
