package node

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// EvidenceRecorder is the node's driver.EvidenceSink: it keeps the
// equivocations consensus detects (spec/consensus.md, Equivocation
// evidence) in the store, logs each new one once at Warn, and counts them
// in orama_consensus_equivocations_total{kind}. Its counter is registered
// by whoever serves the node's metrics (Node.Collectors; runtime/rpc), not
// in a global registry.
type EvidenceRecorder struct {
	store *store.Store
	log   *slog.Logger
	total *prometheus.CounterVec
}

var _ driver.EvidenceSink = (*EvidenceRecorder)(nil)

// NewEvidenceRecorder returns a recorder writing to st and logging to log
// (nil: discarded).
func NewEvidenceRecorder(st *store.Store, log *slog.Logger) *EvidenceRecorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &EvidenceRecorder{
		store: st,
		log:   log,
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orama_consensus_equivocations_total",
			Help: "Equivocations detected since the node started (two conflicting signed messages of one validator for one view), by kind; each (validator, view, kind) is counted once while it is stored, and every report once a validator's stored records reach their bound.",
		}, []string{"kind"}),
	}
	// Every kind is exported from the start, at zero, so that a rate or an
	// alert on the counter has a series before the first equivocation.
	for _, k := range []types.EvidenceKind{types.EvidenceKindDoubleProposal, types.EvidenceKindDoubleVote, types.EvidenceKindDoubleTimeout} {
		r.total.WithLabelValues(k.String())
	}
	return r
}

// Collector returns the recorder's counter, to register in a registry.
func (r *EvidenceRecorder) Collector() prometheus.Collector { return r.total }

// RecordEvidence stores ev (store.PutEvidence). A new record is logged at
// Warn and counted; a repeat of a stored one is neither; one beyond its
// validator's bound (store.ErrEvidenceLimit) is counted and logged at
// Debug, as the store cannot tell it from a repeat; one the store fails to
// write is counted and logged at Error. It is called from the
// driver's goroutine: a new record costs one synced write, and there are at
// most store.MaxEvidencePerValidator of them per validator, ever; anything
// else is one read.
func (r *EvidenceRecorder) RecordEvidence(ev *types.Evidence) {
	isNew, err := r.store.PutEvidence(ev)
	switch {
	case errors.Is(err, store.ErrEvidenceLimit):
		r.total.WithLabelValues(ev.Kind.String()).Inc()
		r.log.Debug("equivocation not stored: the validator's evidence bound is reached",
			"kind", ev.Kind.String(), "validator", ev.Validator.String(), "view", ev.View)
	case err != nil:
		r.total.WithLabelValues(ev.Kind.String()).Inc()
		r.log.Error("equivocation evidence not stored", "kind", ev.Kind.String(), "validator", ev.Validator.String(), "view", ev.View, "err", err)
	case isNew:
		r.total.WithLabelValues(ev.Kind.String()).Inc()
		r.log.Warn("validator equivocated: evidence stored",
			"kind", ev.Kind.String(), "validator", ev.Validator.String(), "view", ev.View)
	}
}

// Collectors returns the metrics the node itself keeps (the equivocation
// counter, peer scores, held consensus state), for the server of its
// metrics to register: runtime/rpc adds them to its registry. Call it
// after StartP2P, so that the peer scores are exported.
func (n *Node) Collectors() []prometheus.Collector {
	return []prometheus.Collector{n.evidence.Collector(), newStateCollector(n)}
}
