package driver

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// certifiedChain builds n empty blocks on the genesis newTestDriver uses,
// in consecutive views, each certified by keys[0] (the only validator),
// on a store of its own. qcs[i] certifies blocks[i].
func certifiedChain(t *testing.T, keys []*crypto.PrivateKey, b0hash types.Hash, n int) (blocks []types.Block, qcs []types.QuorumCert) {
	t.Helper()
	g := &types.Genesis{ChainID: testChainID, Timestamp: 1_700_000_000,
		Validators: []types.Validator{{Address: keys[0].Address(), Stake: 1}}}
	for _, k := range keys {
		g.Allocations = append(g.Allocations, types.GenesisAllocation{Address: k.Address(), OramaBalance: 1_000 * params.RaysPerOrama})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	store := smt.NewMemStore()
	b0, err := exec.GenesisBlock(store, g)
	if err != nil {
		t.Fatal(err)
	}
	parent, ph := b0.Header, b0hash
	if h, _ := parent.Hash(); h != b0hash {
		t.Fatal("the test genesis is not newTestDriver's")
	}
	var qc types.QuorumCert
	for i := range n {
		hdr := exec.NextHeader(&parent, ph, keys[0].Address(), parent.Timestamp)
		hdr.View, hdr.QC = uint64(i+1), qc
		st, err := state.Open(store, parent.StateRoot)
		if err != nil {
			t.Fatal(err)
		}
		res, err := exec.Execute(st, exec.Env{Height: hdr.Height, Proposer: hdr.Proposer, BaseFee: hdr.BaseFee}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Fill(&hdr)
		h, _ := hdr.Hash()
		v := types.Vote{View: hdr.View, Height: hdr.Height, BlockHash: h, Voter: keys[0].Address()}
		p, _ := v.SigningPayload()
		sig, err := crypto.SignDomain(keys[0], crypto.DomainVote, testChainID, p)
		if err != nil {
			t.Fatal(err)
		}
		qc = types.QuorumCert{View: hdr.View, Height: hdr.Height, BlockHash: h, Votes: []types.ValidatorSignature{{Validator: keys[0].Address(), Signature: sig}}}
		blocks, qcs = append(blocks, types.Block{Header: hdr, Transactions: []types.Transaction{}}), append(qcs, qc)
		parent, ph = hdr, h
	}
	return blocks, qcs
}

// proofOf is the commit proof of blocks[i] (its next two blocks).
func proofOf(blocks []types.Block, qcs []types.QuorumCert, i int) *types.CommitProof {
	return &types.CommitProof{Child: blocks[i+1].Header, Grandchild: blocks[i+2].Header, QC: qcs[i+2]}
}

// TestImporterHoldsBlocksUntilProven: records without a proof are checked
// and held, not executed, until a later record's proof covers them; then
// all are committed. A chain that ends unproven is refused at the first
// block held, and a record repeating final blocks is skipped.
func TestImporterHoldsBlocksUntilProven(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	blocks, qcs := certifiedChain(t, keys, c.hashes[0], 8)
	im := d.Importer()
	if err := im.Add(&types.SyncResponse{Blocks: blocks[0:2]}); err != nil {
		t.Fatal(err)
	}
	if err := im.Add(&types.SyncResponse{Blocks: blocks[2:3]}); err != nil {
		t.Fatal(err)
	}
	if im.Height() != 0 {
		t.Fatalf("unproven blocks committed: height %d", im.Height())
	}
	if err := im.Add(&types.SyncResponse{Blocks: blocks[3:4], Proof: proofOf(blocks, qcs, 3)}); err != nil {
		t.Fatal(err)
	}
	if im.Height() != 4 || c.hashes[4] != qcs[3].BlockHash {
		t.Fatalf("height %d after the proof, want 4", im.Height())
	}
	// The same records again: skipped, nothing refused.
	if err := im.Add(&types.SyncResponse{Blocks: blocks[0:4], Proof: proofOf(blocks, qcs, 3)}); err != nil || im.Height() != 4 {
		t.Fatalf("repeated records: %v, height %d", err, im.Height())
	}
	if err := im.Add(&types.SyncResponse{Blocks: blocks[4:6]}); err != nil {
		t.Fatal(err)
	}
	var ref *RefusedError
	if err := im.Finish(); !errors.As(err, &ref) || ref.Height != 5 || !errors.Is(err, ErrNoCommitProof) {
		t.Fatalf("finish with blocks held: %v, want no commit proof at 5", err)
	}
	if im.Height() != 4 {
		t.Fatalf("height %d", im.Height())
	}
}

// TestImporterRefusals: what the importer refuses, at which height, and
// that nothing moves the head.
func TestImporterRefusals(t *testing.T) {
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	blocks, qcs := certifiedChain(t, keys, c.hashes[0], 8)
	im := d.Importer()
	if err := im.Add(&types.SyncResponse{Blocks: blocks[0:1], Proof: proofOf(blocks, qcs, 0)}); err != nil {
		t.Fatal(err)
	}
	other := blocks[0]
	other.Header.Timestamp++
	wrongQC := proofOf(blocks, qcs, 1)
	wrongQC.QC.Votes = slices.Clone(wrongQC.QC.Votes) // the chain's own QC stays intact
	wrongQC.QC.Votes[0].Signature[3] ^= 1
	for _, c := range []struct {
		name   string
		resp   *types.SyncResponse
		height uint64
		want   error
	}{
		{"a gap", &types.SyncResponse{Blocks: blocks[2:3], Proof: proofOf(blocks, qcs, 2)}, 2, ErrNotExtending},
		{"another block 1", &types.SyncResponse{Blocks: []types.Block{other}}, 1, ErrConflict},
		{"a forged proof QC", &types.SyncResponse{Blocks: blocks[1:2], Proof: wrongQC}, 2, ErrBadSync},
		{"a proof of another block", &types.SyncResponse{Blocks: blocks[1:2], Proof: proofOf(blocks, qcs, 2)}, 2, ErrBadSync},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := im.Add(c.resp)
			var ref *RefusedError
			if !errors.As(err, &ref) || ref.Height != c.height || !errors.Is(err, c.want) {
				t.Fatalf("%v, want a refusal at %d wrapping %v", err, c.height, c.want)
			}
			if im.Height() != 1 {
				t.Fatalf("height %d", im.Height())
			}
		})
	}
}

// TestImporterBoundsHeldBlocks: at most maxSyncBuffer blocks wait for a
// proof, as in range sync.
func TestImporterBoundsHeldBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 1,025 blocks")
	}
	keys := []*crypto.PrivateKey{cryptotest.Key(1), cryptotest.Key(2)}
	d, c := newTestDriver(t, keys)
	blocks, _ := certifiedChain(t, keys, c.hashes[0], maxSyncBuffer+1)
	im := d.Importer()
	var err error
	for i := 0; i < len(blocks) && err == nil; i += params.MaxSyncBlocks {
		err = im.Add(&types.SyncResponse{Blocks: blocks[i:min(i+params.MaxSyncBlocks, len(blocks))]})
	}
	var ref *RefusedError
	if !errors.As(err, &ref) || ref.Height != 1 || !errors.Is(err, ErrNoCommitProof) {
		t.Fatalf("%v, want no commit proof at 1", err)
	}
}
