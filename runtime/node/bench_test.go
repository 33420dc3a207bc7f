package node

import (
	"bytes"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The issue-3 bar, side by side in one run:
//
//	go test -run '^$' -bench 'Throughput|Ecrecover' ./runtime/node/
//
// BenchmarkThroughput admits (parallel signature checks), executes and
// commits (synced Badger) signed transfers; BenchmarkEcrecoverAllCores is the
// raw recovery rate of every core. The bar: throughput >= half of it.

const benchSenders = 2000

func benchSetup(b *testing.B) (*Node, []*crypto.PrivateKey, *types.Genesis) {
	keys := make([]*crypto.PrivateKey, benchSenders)
	g := &types.Genesis{ChainID: 99, Timestamp: 1_700_000_000}
	for i := range keys {
		keys[i] = testKey(i + 1)
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: keys[i].Address(), OramaBalance: 10_000 * params.RaysPerOrama})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	g.Validators = []types.Validator{{Address: keys[0].Address(), Stake: 1}}
	n, err := New(Config{DataDir: b.TempDir()}, g, keys[0])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n, keys, g
}

// BenchmarkThroughput runs the node as it runs in production: a client
// goroutine submits signed transfers in batches (the mempool verifies their
// signatures on all cores) while the producer executes and commits blocks
// back to back (synced Badger writes). Signing happens before the timer: it
// is the clients' work, not the node's.
func BenchmarkThroughput(b *testing.B) {
	n, keys, g := benchSetup(b)
	perRound := benchSenders // one tx per sender per round: two blocks' worth
	rounds := make([][]*types.Transaction, b.N)
	for r := range rounds {
		rounds[r] = make([]*types.Transaction, perRound)
		for j := range rounds[r] {
			rounds[r][j] = signedTransfer(keys[j], g.ChainID, uint64(r), keys[(j+1)%len(keys)].Address(), 1)
		}
	}
	want := b.N * perRound
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for _, batch := range rounds {
			// Admission applies back-pressure the way a full pool would:
			// stay at most two rounds ahead of the producer.
			for n.Mempool().Len() > 2*perRound {
				time.Sleep(100 * time.Microsecond)
			}
			for _, err := range n.Mempool().Add(batch) {
				if err != nil {
					errc <- err
					return
				}
			}
		}
		errc <- nil
	}()
	total := 0
	for total < want {
		if n.Mempool().Len() == 0 {
			select {
			case err := <-errc:
				if err != nil {
					b.Fatal(err)
				}
				errc <- nil // keep the "done" signal for the next empty poll
			default:
			}
			time.Sleep(50 * time.Microsecond)
			continue
		}
		blk, err := n.ProduceBlock()
		if err != nil {
			b.Fatal(err)
		}
		total += len(blk.Transactions)
	}
	b.StopTimer()
	if total != want {
		b.Fatalf("committed %d of %d", total, want)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
}

func BenchmarkEcrecoverAllCores(b *testing.B) {
	k := testKey(1)
	h := crypto.SHA256([]byte("bench"))
	sig, _ := crypto.Sign(k, h)
	var count atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := crypto.Recover(h, sig); err != nil {
				b.Error(err)
			}
			count.Add(1)
		}
	})
	b.ReportMetric(float64(count.Load())/b.Elapsed().Seconds(), "recover/s")
}
