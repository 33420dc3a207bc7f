package node

import (
	"bytes"
	"slices"
	"sync/atomic"
	"testing"

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
	b.Cleanup(func() { n.store.Close() })
	return n, keys, g
}

func BenchmarkThroughput(b *testing.B) {
	n, keys, g := benchSetup(b)
	perRound := benchSenders // one tx per sender per round: two blocks' worth
	var nonce uint64
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		txs := make([]*types.Transaction, perRound)
		for j := range txs {
			txs[j] = signedTransfer(keys[j], g.ChainID, nonce, keys[(j+1)%len(keys)].Address(), 1)
		}
		nonce++
		b.StartTimer()
		for _, err := range n.Mempool().Add(txs) {
			if err != nil {
				b.Fatal(err)
			}
		}
		for n.Mempool().Len() > 0 {
			blk, err := n.ProduceBlock()
			if err != nil {
				b.Fatal(err)
			}
			total += len(blk.Transactions)
		}
	}
	b.StopTimer()
	if total != b.N*perRound {
		b.Fatalf("committed %d of %d", total, b.N*perRound)
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
