package mempool

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

const benchBatch = 1_000

// benchTxs returns 1,000 signed transfers from 1,000 funded senders.
func benchTxs(b *testing.B) (*memState, []*types.Transaction) {
	b.Helper()
	st := newState()
	ks := keys(b, st, benchBatch)
	txs := make([]*types.Transaction, benchBatch)
	for i, k := range ks {
		txs[i] = transferTx(b, k, 0, tip(uint64(1+i%50), 100))
	}
	return st, txs
}

// BenchmarkAdd admits batches of 1,000 pre-signed transfers from 1,000
// senders into an empty pool, signature verification included. "known" is
// gossip re-delivering transactions the pool already holds.
func BenchmarkAdd(b *testing.B) {
	st, txs := benchTxs(b)
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := Config{ChainID: testChainID, Workers: workers}
			for b.Loop() {
				b.StopTimer()
				p := New(cfg, st)
				b.StartTimer()
				for _, err := range p.Add(txs) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "tx/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/tx")
		})
	}
	b.Run("known", func(b *testing.B) {
		p := New(Config{ChainID: testChainID}, st)
		mustAdd(b, p, txs...)
		for b.Loop() {
			p.Add(txs)
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "tx/s")
	})
}

// BenchmarkRecoverRaw is raw ecrecover (crypto.Recover) over the same
// 1,000 signatures, on one goroutine and on all cores, to compare with
// BenchmarkAdd.
func BenchmarkRecoverRaw(b *testing.B) {
	_, txs := benchTxs(b)
	type job struct {
		hash [crypto.HashLength]byte
		sig  [crypto.SignatureLength]byte
	}
	jobs := make([]job, len(txs))
	for i, tx := range txs {
		payload, err := tx.SigningPayload()
		if err != nil {
			b.Fatal(err)
		}
		if jobs[i].hash, err = crypto.SigningHash(crypto.DomainTransaction, testChainID, payload); err != nil {
			b.Fatal(err)
		}
		jobs[i].sig = tx.Signature
	}
	b.Run("single", func(b *testing.B) {
		i := 0
		for b.Loop() {
			j := &jobs[i%len(jobs)]
			if _, err := crypto.Recover(j.hash, j.sig); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recover/s")
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				j := &jobs[next.Add(1)%uint64(len(jobs))]
				if _, err := crypto.Recover(j.hash, j.sig); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recover/s")
	})
}
