package rpc

import (
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// testChain commits blocks 0..len(views)-1 with the given views to a new
// store, each certifying its parent with an (unsigned) QC; recorded maps a
// height to the commit proof stored with it. The finder reads headers and
// proofs only, so no state or signature is needed.
func testChain(t *testing.T, views []uint64, recorded map[uint64]*types.CommitProof) (*store.Store, []*types.Block) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var blocks []*types.Block
	for h, v := range views {
		b := &types.Block{Header: types.BlockHeader{Height: uint64(h), View: v, Timestamp: 1_700_000_000 + uint64(h)}}
		if h > 0 {
			p := &blocks[h-1].Header
			ph, err := p.Hash()
			if err != nil {
				t.Fatal(err)
			}
			b.Header.ParentHash = ph
			b.Header.QC = types.QuorumCert{View: p.View, Height: p.Height, BlockHash: ph}
		}
		if err := st.CommitFinal(b, nil, recorded[uint64(h)]); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	return st, blocks
}

// TestFinalityFinder checks which commit proof, and which headers, the
// finder gives for each height: recorded proofs first, else ones built from
// consecutive views, else the lowest such block above, within the bound.
func TestFinalityFinder(t *testing.T) {
	// Views: a timeout between heights 3 and 4 (views 3, 5), and from
	// height 8 on none are consecutive for longer than the bound.
	views := []uint64{0, 1, 2, 3, 5, 6, 7, 8}
	for v := uint64(10); len(views) < 8+maxFinalityHeaders+4; v += 2 {
		views = append(views, v)
	}
	marker := &types.CommitProof{QC: types.QuorumCert{View: 999, Height: 2}}
	st, blocks := testChain(t, views, map[uint64]*types.CommitProof{2: marker})
	head := blocks[len(blocks)-1]
	f := newFinalityFinder(st, head)

	type want struct {
		proven  uint64 // the block the commit proof is for; 0: none
		builtOf uint64 // a built proof: its QC is block builtOf's
	}
	for h, w := range map[uint64]want{
		0:                       {proven: 1, builtOf: 4}, // block 0 has none: 1, 2, 3 are consecutive
		1:                       {proven: 1, builtOf: 4}, // views 1, 2, 3
		2:                       {proven: 2},             // recorded, though it could not be built (2, 3, 5)
		3:                       {proven: 4, builtOf: 7}, // 3, 5, 6 and 4, 5, 6 (views 5, 6, 7)
		4:                       {proven: 4, builtOf: 7}, // views 5, 6, 7
		5:                       {proven: 5, builtOf: 8}, // views 6, 7, 8
		6:                       {},                      // views 7, 8, 10 and nothing later
		uint64(len(views) - 1):  {},                      // the head
		uint64(len(views) - 3):  {},                      // too close to the head to build
		uint64(len(views) - 4):  {},                      // non-consecutive
		uint64(len(views) - 20): {},                      // non-consecutive all the way up
	} {
		fp, err := f.finality(h)
		if err != nil {
			t.Fatal(err)
		}
		if w.proven == 0 {
			if fp != nil {
				t.Errorf("height %d: finality %+v, want none", h, fp)
			}
			continue
		}
		if fp == nil {
			t.Errorf("height %d: no finality, want a proof of %d", h, w.proven)
			continue
		}
		if got := uint64(len(fp.Headers)); got != w.proven-h {
			t.Errorf("height %d: %d headers, want %d", h, got, w.proven-h)
			continue
		}
		for i, hdr := range fp.Headers {
			if hdr.Height != u64(h+1+uint64(i)) || hdr.Borsh == nil {
				t.Errorf("height %d: header %d is height %s", h, i, hdr.Height)
			}
		}
		cp := fp.CommitProof
		if w.builtOf == 0 {
			if cp.Qc.View != "999" {
				t.Errorf("height %d: not the recorded proof: %+v", h, cp.Qc)
			}
			continue
		}
		qc := blocks[w.builtOf].Header.QC
		if cp.Child.Height != u64(w.proven+1) || cp.Grandchild.Height != u64(w.proven+2) ||
			cp.Qc.View != u64(qc.View) || cp.Qc.Height != u64(qc.Height) || cp.Qc.BlockHash != hash32(qc.BlockHash) ||
			cp.Child.Borsh == nil || cp.Grandchild.Borsh == nil {
			t.Errorf("height %d: built proof %+v, want child %d and the QC of block %d", h, cp, w.proven+1, w.builtOf)
		}
	}

	// The latest proven height: the highest within the bound below the head.
	if h, ok, err := f.latestProven(); err != nil || ok {
		t.Errorf("latest proven: %d %v %v, want none within %d of the head", h, ok, err, maxFinalityHeaders)
	}
	short := newFinalityFinder(st, blocks[9])
	if h, ok, err := short.latestProven(); err != nil || !ok || h != 5 {
		t.Errorf("latest proven below 9: %d %v %v, want 5", h, ok, err)
	}
	if fp, err := short.finality(6); err != nil || fp != nil {
		t.Errorf("a head of 9 sees no proof for 6: %+v %v", fp, err)
	}
}
