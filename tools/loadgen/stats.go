package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p% of the values at or below
// it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Phases a submission can start in.
const (
	phaseWarmup = iota
	phaseMeasured
	phaseAfter
)

type bucket struct {
	submitted, accepted, rejected int64
	rejections                    map[string]int64
}

// counters counts submissions by the phase they started in, so the
// measured window's counts are exact once the workers drain.
type counters struct {
	mu      sync.Mutex
	buckets [3]bucket
}

// errorKey names a rejection: "<status> <code>", or "transport" for a
// request that got no answer.
func errorKey(status int, code string, err error) string {
	if err != nil || status == 0 {
		return "transport"
	}
	if code == "" {
		code = "-"
	}
	return fmt.Sprintf("%d %s", status, code)
}

func (c *counters) record(phase, status int, code string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := &c.buckets[phase]
	b.submitted++
	if err == nil && status == 202 {
		b.accepted++
		return
	}
	b.rejected++
	if b.rejections == nil {
		b.rejections = map[string]int64{}
	}
	b.rejections[errorKey(status, code, err)]++
}

// sum returns the counts of the given phases together.
func (c *counters) sum(phases ...int) bucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := bucket{rejections: map[string]int64{}}
	for _, p := range phases {
		b := &c.buckets[p]
		out.submitted += b.submitted
		out.accepted += b.accepted
		out.rejected += b.rejected
		for k, v := range b.rejections {
			out.rejections[k] += v
		}
	}
	return out
}

// formatRejections renders "429 pool_full: 3, transport: 1", largest first.
func formatRejections(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// latencyStats summarises finality latencies.
type latencyStats struct {
	n                  int
	p50, p90, p99, max time.Duration
}

func summarise(lat []time.Duration) latencyStats {
	s := slices.Clone(lat)
	slices.Sort(s)
	st := latencyStats{n: len(s)}
	if len(s) > 0 {
		st.p50, st.p90, st.p99, st.max = percentile(s, 50), percentile(s, 90), percentile(s, 99), s[len(s)-1]
	}
	return st
}
