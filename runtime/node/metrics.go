package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector exports, at scrape time, what the node holds rather than
// counts: each connected peer's gossipsub score (an operator, and the
// fault harness, read whether honest peers stay above zero while a
// Byzantine one sinks) and how many views of votes and timeouts the
// consensus core holds (bounded by the view window whatever a peer sends).
type stateCollector struct {
	n     *Node
	score *prometheus.Desc
	held  *prometheus.Desc
}

func newStateCollector(n *Node) *stateCollector {
	return &stateCollector{
		n: n,
		score: prometheus.NewDesc("orama_p2p_peer_score",
			"Gossipsub score of each connected peer as last sampled (every second); below zero the peer's messages are ignored, far below it is disconnected.",
			[]string{"peer_id"}, nil),
		held: prometheus.NewDesc("orama_consensus_held_views",
			"Views for which the consensus core holds votes or timeouts (at most params.ViewWindow ahead of the current view, spec/consensus.md \"Bounded state\").",
			[]string{"kind"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.score
	ch <- c.held
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	if h := c.n.host; h != nil {
		for _, p := range h.Peers() {
			ch <- prometheus.MustNewConstMetric(c.score, prometheus.GaugeValue, p.Score, p.ID.String())
		}
	}
	votes, timeouts := 0, 0
	if d := c.n.driver.Load(); d != nil {
		votes, timeouts = d.Held()
	}
	ch <- prometheus.MustNewConstMetric(c.held, prometheus.GaugeValue, float64(votes), "votes")
	ch <- prometheus.MustNewConstMetric(c.held, prometheus.GaugeValue, float64(timeouts), "timeouts")
}
