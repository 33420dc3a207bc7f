package node

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Transaction gossip batching: what clients submit is gossiped as one
// TransactionBatch every batchInterval, or sooner once a batch is full.
// One envelope signature (and one check at each peer) per batch instead
// of per transaction is what lets a node take thousands of transactions a
// second on a small machine.
const (
	batchInterval = 20 * time.Millisecond
	batchMaxBytes = params.MaxEnvelopePayloadBytes / 2
)

type txBatcher struct {
	mu    sync.Mutex
	raw   [][]byte
	size  int
	ready chan struct{} // signalled when a batch is full
	once  sync.Once
}

func (b *txBatcher) init() { b.once.Do(func() { b.ready = make(chan struct{}, 1) }) }

// add queues one encoded transaction.
func (b *txBatcher) add(raw []byte) {
	b.init()
	b.mu.Lock()
	b.raw = append(b.raw, raw)
	b.size += len(raw)
	full := len(b.raw) >= params.MaxTxBatch || b.size >= batchMaxBytes
	b.mu.Unlock()
	if full {
		select {
		case b.ready <- struct{}{}:
		default:
		}
	}
}

// take removes and returns the queued transactions as the Borsh encoding
// of a TransactionBatch (a u32 count, then the transactions), or nil.
func (b *txBatcher) take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.raw) == 0 {
		return nil
	}
	n := min(len(b.raw), params.MaxTxBatch)
	size := 4
	k := 0
	for ; k < n && (k == 0 || size+len(b.raw[k]) <= batchMaxBytes); k++ {
		size += len(b.raw[k])
	}
	out := binary.LittleEndian.AppendUint32(make([]byte, 0, size), uint32(k))
	for _, r := range b.raw[:k] {
		out = append(out, r...)
		b.size -= len(r)
	}
	b.raw = b.raw[k:]
	return out
}

// run publishes batches until ctx ends.
func (b *txBatcher) run(ctx context.Context, net Network, log *slog.Logger) {
	b.init()
	t := time.NewTicker(batchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.ready:
		}
		for {
			p := b.take()
			if p == nil {
				break
			}
			if err := net.Publish(ctx, types.MessageTypeTransactionBatch, p); err != nil {
				log.Warn("gossip transactions", "bytes", len(p), "err", err)
			}
		}
	}
}
