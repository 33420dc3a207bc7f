package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

func block(h uint64, parent types.Hash) *types.Block {
	return &types.Block{Header: types.BlockHeader{Height: h, ParentHash: parent, View: h + 1, Timestamp: 1}}
}

// TestFinalBlocksProofsAndSafety covers what consensus adds to the store:
// commit proofs found by LastProofHeight, the safety record and pending
// blocks, across a reopen (the data must be on disk, not in memory).
func TestFinalBlocksProofsAndSafety(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var parent types.Hash
	for h := uint64(0); h <= 5; h++ {
		b := block(h, parent)
		var proof *types.CommitProof
		if h == 2 || h == 5 {
			proof = &types.CommitProof{Child: types.BlockHeader{Height: h + 1}, QC: types.QuorumCert{View: h + 3}}
		}
		if err := s.CommitFinal(b, nil, proof); err != nil {
			t.Fatal(err)
		}
		parent, _ = b.Header.Hash()
	}
	if err := s.CommitBlock(block(9, parent), nil); !errors.Is(err, ErrHeightMismatch) {
		t.Fatalf("a gap: %v", err)
	}
	for i, b := range []*types.Block{block(6, parent), block(7, types.Hash{1}), block(3, types.Hash{2})} {
		if err := s.PutPending(b); err != nil {
			t.Fatalf("pending %d: %v", i, err)
		}
	}
	rec := &types.SafetyRecord{LastVotedView: 7, HighQC: types.QuorumCert{View: 6}, LastTimeout: &types.Timeout{View: 5}}
	if err := s.SaveSafety(rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		upto, want uint64
		ok         bool
	}{{1, 0, false}, {2, 2, true}, {4, 2, true}, {5, 5, true}, {100, 5, true}} {
		h, ok, err := s.LastProofHeight(c.upto)
		if err != nil || ok != c.ok || (ok && h != c.want) {
			t.Errorf("LastProofHeight(%d) = %d, %v, %v; want %d, %v", c.upto, h, ok, err, c.want, c.ok)
		}
	}
	p, err := s.CommitProof(5)
	if err != nil || p.QC.View != 8 {
		t.Fatalf("proof 5: %+v, %v", p, err)
	}
	if _, err := s.CommitProof(4); !errors.Is(err, ErrNotFound) {
		t.Fatalf("proof 4: %v", err)
	}
	got, ok, err := s.Safety()
	if err != nil || !ok || got.LastVotedView != 7 || got.HighQC.View != 6 || got.LastTimeout == nil || got.LastTimeout.View != 5 {
		t.Fatalf("safety after reopen: %+v, %v, %v", got, ok, err)
	}
	pend, err := s.PendingBlocks(5)
	if err != nil || len(pend) != 2 || pend[0].Header.Height != 6 || pend[1].Header.Height != 7 {
		t.Fatalf("pending above 5: %d blocks, %v", len(pend), err)
	}
	// Committing block 6 forgets the proposals at or below it.
	head, _, err := s.Head()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CommitFinal(block(6, head.Hash), nil, nil); err != nil {
		t.Fatal(err)
	}
	pend, _ = s.PendingBlocks(0)
	if len(pend) != 1 || pend[0].Header.Height != 7 {
		t.Fatalf("after committing block 6: %d blocks", len(pend))
	}
}

func TestNoSafetyRecord(t *testing.T) {
	s, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok, err := s.Safety(); ok || err != nil {
		t.Fatalf("fresh store: %v, %v", ok, err)
	}
}

// TestOpenAfterCrashLeftEmptyLogs: a crash between Badger creating a
// memtable WAL (.mem) or value-log (.vlog) file and sizing it leaves a
// zero-length file, on which badger.Open fails with z.NewFile
// (dgraph-io/badger#2207). Open must start the node anyway, with its data.
func TestOpenAfterCrashLeftEmptyLogs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var parent types.Hash
	big := &types.Block{Header: types.BlockHeader{Timestamp: 1}, Transactions: make([]types.Transaction, 64)}
	for i := range big.Transactions {
		big.Transactions[i].Data = make([]byte, 200) // over the value threshold: the body goes to the value log
	}
	if err := s.CommitBlock(big, nil); err != nil {
		t.Fatal(err)
	}
	parent, _ = big.Header.Hash()
	if err := s.CommitBlock(block(1, parent), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"blocks", "state", "index"} {
		for _, name := range []string{"99999.mem", "099999.vlog"} {
			if err := os.WriteFile(filepath.Join(dir, db, name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after a crash left empty log files: %v", err)
	}
	defer s.Close()
	head, ok, err := s.Head()
	if err != nil || !ok || head.Height != 1 {
		t.Fatalf("head %+v %v %v", head, ok, err)
	}
	b0, err := s.Block(0)
	if err != nil || len(b0.Transactions) != 64 {
		t.Fatalf("block 0 from the value log: %v", err)
	}
	if err := s.CommitBlock(block(2, head.Hash), nil); err != nil {
		t.Fatalf("writing after the reopen: %v", err)
	}
}
