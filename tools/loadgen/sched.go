package main

import (
	"sync"
	"time"
)

// signedTx is a pre-signed transfer ready to POST.
type signedTx struct {
	sender int
	nonce  uint64
	body   []byte // the JSON request body of POST /v1/transactions/send
	hash   string // "0x" + 64 hex digits

	attempts int  // failed submissions so far (retry backoff)
	queued   bool // in the retry queue
}

// Outcome classes of a submission.
const (
	outcomeOK        = iota // admitted, or already known to the pool
	outcomeBenign           // nonce already used: nothing to do
	outcomeRetry            // transient: submit the same bytes again later
	outcomePermanent        // the sender cannot continue
)

// classify maps a submission's HTTP status and error code (or transport
// error) to what the scheduler does next.
func classify(status int, code string, err error) int {
	switch {
	case err != nil || status == 0:
		return outcomeRetry
	case status == 202:
		return outcomeOK
	case code == "already_known":
		return outcomeOK
	case code == "nonce_too_low", code == "replacement_underpriced":
		return outcomeBenign
	case status == 429, status >= 500, code == "nonce_gap", code == "pool_full", code == "internal":
		return outcomeRetry
	}
	return outcomePermanent
}

type senderState struct {
	ch        <-chan *signedTx // pre-signed transactions in nonce order
	confirmed uint64           // the finalized account nonce, as far as we know
	next      uint64           // the next nonce to dispatch
	inflight  []*signedTx      // dispatched, not yet final: nonces confirmed..next-1
	progress  time.Time        // last confirmation, or first dispatch after idling
	dead      string           // why the sender stopped, if it did
}

type retryItem struct {
	tx  *signedTx
	due time.Time
}

// scheduler decides which transaction to submit next. It keeps each
// sender's nonces strictly sequential, lets no sender get window or more
// transactions ahead of its finalized nonce, resubmits transient failures
// with backoff, and resends a stalled sender's in-flight transactions.
// It is safe for concurrent use.
type scheduler struct {
	mu      sync.Mutex
	window  uint64
	stall   time.Duration
	senders []*senderState
	rr      int
	retries []retryItem

	retried, resent int64
	deadCount       int
}

// newScheduler returns a scheduler for senders whose finalized nonces are
// start and whose pre-signed transactions arrive on chans, starting at
// those nonces.
func newScheduler(window int, stall time.Duration, start []uint64, chans []<-chan *signedTx) *scheduler {
	s := &scheduler{window: uint64(window), stall: stall, senders: make([]*senderState, len(start))}
	for i := range start {
		s.senders[i] = &senderState{ch: chans[i], confirmed: start[i], next: start[i]}
	}
	return s
}

func backoff(attempts int) time.Duration {
	d := 50 * time.Millisecond << min(attempts, 6)
	return min(d, 2*time.Second)
}

// pick returns the next transaction to submit: a due retry first, else the
// next nonce of the next sender (round robin) that has room in its window
// and a signed transaction ready.
func (s *scheduler) pick(now time.Time) (*signedTx, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.retries) > 0 && !s.retries[0].due.After(now) {
		it := s.retries[0]
		s.retries = s.retries[1:]
		it.tx.queued = false
		ss := s.senders[it.tx.sender]
		if ss.dead != "" || it.tx.nonce < ss.confirmed {
			continue
		}
		s.retried++
		return it.tx, true
	}
	n := len(s.senders)
	for k := 0; k < n; k++ {
		i := (s.rr + k) % n
		ss := s.senders[i]
		if ss.dead != "" || ss.next-ss.confirmed >= s.window {
			continue
		}
		for {
			var tx *signedTx
			select {
			case tx = <-ss.ch:
			default:
			}
			if tx == nil {
				break // signer behind: try the next sender
			}
			if tx.nonce < ss.next {
				continue // already final (the nonce moved on without us)
			}
			if len(ss.inflight) == 0 {
				ss.progress = now
			}
			ss.next = tx.nonce + 1
			ss.inflight = append(ss.inflight, tx)
			s.rr = (i + 1) % n
			return tx, true
		}
	}
	return nil, false
}

// result records a submission's outcome.
func (s *scheduler) result(tx *signedTx, status int, code string, err error, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch classify(status, code, err) {
	case outcomeRetry:
		tx.attempts++
		s.queue(tx, now.Add(backoff(tx.attempts)))
	case outcomePermanent:
		ss := s.senders[tx.sender]
		if ss.dead == "" {
			ss.dead = errorKey(status, code, err)
			s.deadCount++
		}
	}
}

func (s *scheduler) queue(tx *signedTx, due time.Time) {
	if tx.queued {
		return
	}
	tx.queued = true
	// Keep the queue ordered by due time; it is short.
	i := len(s.retries)
	for i > 0 && s.retries[i-1].due.After(due) {
		i--
	}
	s.retries = append(s.retries, retryItem{})
	copy(s.retries[i+1:], s.retries[i:])
	s.retries[i] = retryItem{tx, due}
}

// confirm records that sender's finalized account nonce is at least nonce.
func (s *scheduler) confirm(sender int, nonce uint64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.senders[sender]
	if nonce <= ss.confirmed {
		return
	}
	drop := 0
	for drop < len(ss.inflight) && ss.inflight[drop].nonce < nonce {
		drop++
	}
	ss.inflight = append(ss.inflight[:0], ss.inflight[drop:]...)
	ss.confirmed = nonce
	if ss.next < nonce {
		ss.next = nonce
	}
	ss.progress = now
}

// checkStalls queues again every in-flight transaction of a sender whose
// finalized nonce has not moved for the stall timeout (a transaction lost
// from a pool leaves a gap nothing else fills). It returns how many it queued.
func (s *scheduler) checkStalls(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.senders {
		if ss.dead != "" || len(ss.inflight) == 0 || now.Sub(ss.progress) < s.stall {
			continue
		}
		ss.progress = now
		for _, tx := range ss.inflight {
			if !tx.queued {
				s.queue(tx, now)
				n++
			}
		}
	}
	s.resent += int64(n)
	return n
}

// inflight returns how many dispatched transactions are not yet final.
func (s *scheduler) inflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.senders {
		n += len(ss.inflight)
	}
	return n
}

// dead returns how many senders stopped and why (reason -> count).
func (s *scheduler) dead() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	why := map[string]int{}
	for _, ss := range s.senders {
		if ss.dead != "" {
			why[ss.dead]++
		}
	}
	return s.deadCount, why
}

// pacer spreads sends evenly at rate per second. Sends that come due while
// nothing can be sent accumulate up to burst; beyond that they are skipped
// (counted), so the pacer never floods to catch up.
type pacer struct {
	rate    float64
	start   time.Time
	burst   int64
	issued  int64
	skipped int64
}

func newPacer(rate float64, start time.Time) *pacer {
	return &pacer{rate: rate, start: start, burst: max(1, int64(rate/50))} // 20 ms of sends
}

// due returns how many sends are due at now.
func (p *pacer) due(now time.Time) int64 {
	target := int64(float64(now.Sub(p.start)) * p.rate / float64(time.Second))
	if lag := target - p.issued; lag > p.burst {
		p.skipped += lag - p.burst
		p.issued = target - p.burst
	}
	return max(0, target-p.issued)
}

// take records one send.
func (p *pacer) take() { p.issued++ }
