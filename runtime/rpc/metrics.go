package rpc

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the node's Prometheus metrics. The chain gauges are computed
// from the Backend at scrape time, so nothing in the node has to push them.
type metrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	// observers caches duration's child per route and status: the label
	// lookup (hashing both values) is otherwise paid on every request.
	observers sync.Map // observerKey -> prometheus.Observer
}

type observerKey struct {
	route  string
	status int
}

func (m *metrics) observer(route string, status int) prometheus.Observer {
	k := observerKey{route, status}
	if o, ok := m.observers.Load(k); ok {
		return o.(prometheus.Observer)
	}
	o := m.duration.WithLabelValues(route, strconv.Itoa(status))
	m.observers.Store(k, o)
	return o
}

func newMetrics(reg *prometheus.Registry, b Backend, log *slog.Logger) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		if err := reg.Register(collectors.NewGoCollector()); err != nil {
			return nil, fmt.Errorf("rpc: register metrics: %w", err)
		}
		if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, fmt.Errorf("rpc: register metrics: %w", err)
		}
	}
	m := &metrics{
		reg: reg,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orama_api_request_duration_seconds",
			Help:    "Time to answer a REST API request, by route template and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "status"}),
	}
	txs := &txCounter{b: b, log: log, height: b.Head().Header.Height}
	cs := []prometheus.Collector{
		m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "orama_chain_height",
			Help: "Height of the last committed block.",
		}, func() float64 { return float64(b.Head().Header.Height) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "orama_chain_finalized_height",
			Help: "Height of the last final block.",
		}, func() float64 { return float64(b.FinalizedHeight()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "orama_mempool_transactions",
			Help: "Transactions waiting in the mempool.",
		}, func() float64 { return float64(b.Mempool().Len()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "orama_transactions_total",
			Help: "Transactions committed in blocks since this process started serving (rejected ones included).",
		}, txs.value),
	}
	cs = append(cs, b.Collectors()...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("rpc: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// txCounter counts the transactions of the blocks committed after the
// height it started at, reading each new block once, at scrape time.
type txCounter struct {
	b   Backend
	log *slog.Logger

	mu     sync.Mutex
	height uint64 // blocks up to here are counted
	total  uint64
}

func (c *txCounter) value() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := c.b.Head().Header.Height
	for h := c.height + 1; h <= head; h++ {
		blk, err := c.b.Store().Block(h)
		if err != nil {
			c.log.Warn("metrics: read block", "height", h, "err", err)
			break
		}
		c.total += uint64(len(blk.Transactions))
		c.height = h
	}
	return float64(c.total)
}

// observe records each request's duration by route and status and writes
// the access log (debug level). It is the outermost layer.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, route: "unmatched"}
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		s.metrics.observer(sw.route, sw.status).Observe(d.Seconds())
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", sw.route),
				slog.Int("status", sw.status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", d),
				slog.String("remote", r.RemoteAddr),
			)
		}
	})
}
