package p2p

import (
	"context"
	"log/slog"
	"sync"
)

// Inbox bounds; the package doc explains them.
const (
	inboxConsensusCap = 65536
	inboxTxCap        = 4096
	inboxChanCap      = 64
)

// inbox holds validated messages between pubsub and the reader of
// Messages. push never blocks; consensus messages go out before
// transactions; when a queue is full its oldest message is dropped.
type inbox struct {
	log  *slog.Logger
	out  chan *Message
	wake chan struct{}

	mu        sync.Mutex
	consensus fifo
	txs       fifo
	droppedTx uint64
}

// fifo is a bounded queue of messages.
type fifo struct {
	items []*Message
	head  int
	limit int
}

func (q *fifo) len() int { return len(q.items) - q.head }

// push appends m and reports whether the oldest message was dropped to
// make room.
func (q *fifo) push(m *Message) bool {
	dropped := false
	if q.len() >= q.limit {
		q.items[q.head] = nil
		q.head++
		dropped = true
	}
	if q.head > 0 && q.head >= len(q.items)/2 {
		// Compact so the backing array does not grow without bound.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, m)
	return dropped
}

func (q *fifo) pop() *Message {
	if q.len() == 0 {
		return nil
	}
	m := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items = q.items[:0]
		q.head = 0
	}
	return m
}

func newInbox(log *slog.Logger) *inbox {
	return &inbox{
		log:       log,
		out:       make(chan *Message, inboxChanCap),
		wake:      make(chan struct{}, 1),
		consensus: fifo{limit: inboxConsensusCap},
		txs:       fifo{limit: inboxTxCap},
	}
}

// push queues m without blocking.
func (in *inbox) push(m *Message) {
	in.mu.Lock()
	if IsTransactions(m.Type) {
		if in.txs.push(m) {
			in.droppedTx++
			if n := in.droppedTx; n == 1 || n%1000 == 0 {
				in.log.Warn("p2p: inbox full, dropping oldest transactions", "dropped_total", n)
			}
		}
	} else if in.consensus.push(m) {
		in.log.Error("p2p: inbox full, dropped a consensus message; the reader of Messages is not keeping up",
			"queued", in.consensus.len())
	}
	in.mu.Unlock()
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

func (in *inbox) pop() *Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	if m := in.consensus.pop(); m != nil {
		return m
	}
	return in.txs.pop()
}

// run moves queued messages to out until ctx is done, then closes out.
func (in *inbox) run(ctx context.Context) {
	defer close(in.out)
	for {
		m := in.pop()
		if m == nil {
			select {
			case <-in.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case in.out <- m:
		case <-ctx.Done():
			return
		}
	}
}
