package driver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// server answers a range request; "" name is never used.
type rangeServer struct {
	name   string
	answer func(from uint64, max int) *types.SyncResponse
}

// mimicNet mimics p2p.SyncClient.ask: servers asked in order (the
// Byzantine one is fastest), first answer passing check wins, an answer
// failing check is a fault (penalised), an empty one is "nothing".
type mimicNet struct {
	askNet
	servers []rangeServer
	rounds  int
}

func (n *mimicNet) SyncRange(ctx context.Context, from uint64, max int, check func(*types.SyncResponse) error) (*types.SyncResponse, string, error) {
	n.rounds++
	var nothing *types.SyncResponse
	for _, s := range n.servers {
		r := s.answer(from, max)
		if len(r.Blocks) == 0 {
			if nothing == nil {
				nothing = r
			}
			continue
		}
		if err := check(r); err != nil {
			n.penalized = append(n.penalized, s.name)
			continue
		}
		return r, s.name, nil
	}
	if nothing != nil {
		return nothing, "", nil
	}
	return nil, "", errors.New("no answer")
}

func honestServer(blocks []types.Block, qcs []types.QuorumCert) func(uint64, int) *types.SyncResponse {
	return func(from uint64, max int) *types.SyncResponse {
		head := uint64(len(blocks) - 2) // last two unproven
		r := &types.SyncResponse{HeadHeight: head}
		if from > head {
			return r
		}
		end := min(from+uint64(max)-1, head)
		r.Blocks = append(r.Blocks, blocks[from-1:end]...)
		r.Proof = proofOf(blocks, qcs, int(end-1))
		return r
	}
}

// TestSyncForgedLastBlock: a peer whose answers end in a forged block
// (a real QC copied into a changed header, no proof) cannot make it the
// header later answers must extend: a proof-less answer's last block is
// never kept, so the honest peer's answers are taken, not blamed, and the
// node syncs the whole final chain.
func TestSyncForgedLastBlock(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	blocks, qcs := certifiedChain(t, keys, c.hashes[0], 40)
	forger := func(from uint64, max int) *types.SyncResponse {
		if from != 1 {
			return &types.SyncResponse{HeadHeight: from - 1} // "I have nothing"
		}
		r := &types.SyncResponse{HeadHeight: 16}
		r.Blocks = append(r.Blocks, blocks[0:16]...)
		r.Blocks[15].Header.Timestamp++ // hash differs; the copied QC still certifies block 15
		return r
	}
	net := &mimicNet{servers: []rangeServer{{"byzantine", forger}, {"honest", honestServer(blocks, qcs)}}}
	d.net = net
	if err := d.syncRange(context.Background()); err != nil {
		t.Fatal(err)
	}
	head, _ := c.Head()
	if want := uint64(len(blocks) - 2); head.Header.Height != want {
		t.Errorf("head %d, want %d (the final chain)", head.Header.Height, want)
	}
	for _, p := range net.penalized {
		if p == "honest" {
			t.Errorf("the honest peer was penalised: %v", net.penalized)
		}
	}
}

// TestSyncWithoutProofEnds: a peer that serves real blocks but never a
// commit proof cannot hold the sync loop (and with it consensus): once no
// proof is within reach the answer counts as a failure and the peer is
// penalised, and the loop returns.
func TestSyncWithoutProofEnds(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	blocks, _ := certifiedChain(t, keys, c.hashes[0], maxSyncBuffer+40)
	noProof := func(from uint64, max int) *types.SyncResponse {
		r := &types.SyncResponse{HeadHeight: uint64(len(blocks))}
		end := min(from+uint64(max)-1, uint64(len(blocks)))
		if from <= end {
			r.Blocks = append(r.Blocks, blocks[from-1:end]...)
		}
		return r
	}
	net := &mimicNet{servers: []rangeServer{{"byzantine", noProof}}}
	d.net = net
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.syncRange(ctx); err != nil || ctx.Err() != nil {
		t.Fatalf("syncRange: %v (context %v): it must return on its own", err, ctx.Err())
	}
	if len(net.penalized) == 0 {
		t.Error("the peer that never proves anything was not penalised")
	}
	if net.rounds > 3*(maxSyncBuffer/(params.MaxSyncBlocks-1)+2) {
		t.Errorf("%d rounds", net.rounds)
	}
}
