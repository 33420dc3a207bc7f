package driver

import (
	"sync"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// inboundLimit bounds the inbound queue, all classes together. Only a loop
// stalled for many views fills it, and by then the oldest messages are
// stale: the node catches up by sync, not from the queue.
const inboundLimit = 65536

// class is a priority class of the inbound queue: a higher class is popped
// first and evicted last.
type class int

const (
	// classProposal: proposals, and blocks fetched by hash (an Incoming of
	// type proposal holding a *types.Block). A lost one is fetched again
	// once a certificate names it.
	classProposal class = iota
	// classCert: votes and new views, from which QCs and TCs form. A lost
	// one can cost the view.
	classCert

	numClasses
)

// classOf returns the class of messages of type mt; false for types that
// are never queued (transactions: the mempool took them at validation).
func classOf(mt types.MessageType) (class, bool) {
	switch mt {
	case types.MessageTypeVote, types.MessageTypeNewView:
		return classCert, true
	case types.MessageTypeProposal:
		return classProposal, true
	}
	return 0, false
}

// inbound is the one queue between the network and the consensus loop:
// every message for the loop waits here and nowhere else, so its bound
// and drop rule are the whole story of what a slow loop loses.
//
// push never blocks, so the network's readers never stall. The queue holds
// at most its limit, all classes together. When it is full, a new message
// evicts the oldest message of the lowest non-empty class whose priority
// is not higher than its own (an old proposal makes room for a vote, an
// old vote for a new one: the newest messages are the ones the current
// view needs); if every queued message outranks it, the new one is
// dropped. Transactions are never queued. pop takes the highest class
// first, FIFO within a class.
//
// Its methods are safe for concurrent use.
type inbound struct {
	sig chan struct{}

	mu    sync.Mutex
	limit int
	n     int // messages queued, all classes
	q     [numClasses]fifo
	drops [numClasses]uint64
}

// newInbound returns an empty queue holding at most limit messages (at
// least one).
func newInbound(limit int) *inbound {
	return &inbound{sig: make(chan struct{}, 1), limit: max(limit, 1)}
}

// push queues m without blocking. It returns false if m was not queued:
// refused (not a consensus message) or dropped because the queue is full
// of messages that outrank it.
func (q *inbound) push(m Incoming) bool {
	c, ok := classOf(m.Type)
	if !ok {
		return false
	}
	q.mu.Lock()
	queued := true
	if q.n >= q.limit {
		queued = q.evict(c)
	}
	if queued {
		q.q[c].push(m)
		q.n++
	}
	q.mu.Unlock()
	q.wake()
	return queued
}

// evict makes room for a message of class c; false if it cannot, in which
// case the new message counts as dropped. The caller holds mu.
func (q *inbound) evict(c class) bool {
	for k := range c + 1 {
		if q.q[k].len() > 0 {
			q.q[k].pop()
			q.n--
			q.drops[k]++
			return true
		}
	}
	q.drops[c]++
	return false
}

// wake signals ready without blocking. One pending signal is enough: the
// loop pops until the queue is empty, or wakes itself again if it stops
// early.
func (q *inbound) wake() {
	select {
	case q.sig <- struct{}{}:
	default:
	}
}

// pop returns the oldest message of the highest non-empty class; false
// when the queue is empty.
func (q *inbound) pop() (Incoming, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for c := numClasses - 1; c >= 0; c-- {
		if q.q[c].len() > 0 {
			q.n--
			return q.q[c].pop(), true
		}
	}
	return Incoming{}, false
}

// ready is signalled after each push, so the loop can select on it. It
// holds one signal at most: after a wake-up, pop until the queue is empty
// (or call wake to come back for the rest).
func (q *inbound) ready() <-chan struct{} { return q.sig }

// len returns the number of queued messages.
func (q *inbound) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// dropped returns how many messages of class c were lost: evicted, or
// dropped on arrival because the queue was full.
func (q *inbound) dropped(c class) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.drops[c]
}

// fifo is an unbounded queue of messages; inbound bounds it.
type fifo struct {
	items []Incoming
	head  int
}

func (f *fifo) len() int { return len(f.items) - f.head }

func (f *fifo) push(m Incoming) {
	if f.head > 0 && f.head >= len(f.items)/2 {
		// Compact so the backing array stays within twice the queue: the
		// copy moves at most as many messages as were popped since the
		// last compaction, so pushes stay amortised O(1).
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items = f.items[:n]
		f.head = 0
	}
	f.items = append(f.items, m)
}

// pop removes the oldest message; the caller checks len first.
func (f *fifo) pop() Incoming {
	m := f.items[f.head]
	f.items[f.head] = Incoming{} // let the payload be collected
	f.head++
	if f.head == len(f.items) {
		f.items = f.items[:0]
		f.head = 0
	}
	return m
}
