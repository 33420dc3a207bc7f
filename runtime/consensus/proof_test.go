package consensus

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// testProof builds last <- child <- grandchild proposed in views, each QC
// signed by validators 0-2 of four. edit, if set, may change the QC that
// child (i = 1) or grandchild (i = 2) carries before that header is hashed;
// parent hashes are kept right whatever it does.
func testProof(t *testing.T, views [3]uint64, edit func(i int, qc *types.QuorumCert)) (types.BlockHeader, types.CommitProof) {
	t.Helper()
	last, hash := proposal(t, views[0], types.QuorumCert{}, nil)
	hs := []types.BlockHeader{last}
	for i := 1; i <= 2; i++ {
		qc := qcFor(&hs[i-1], hash, 0, 1, 2)
		if edit != nil {
			edit(i, &qc)
		}
		h, _ := proposal(t, views[i], qc, nil)
		h.Height = hs[i-1].Height + 1
		h.ParentHash = hash
		hash = mustHash(t, &h)
		hs = append(hs, h)
	}
	return last, types.CommitProof{Child: hs[1], Grandchild: hs[2], QC: qcFor(&hs[2], hash, 0, 1, 2)}
}

// certErrors are the errors a refused proof may wrap besides ErrBadCommitProof.
var certErrors = []error{ErrQCNotForBlock, ErrBadSignature, ErrNoQuorum, ErrUnsortedSigner, ErrUnknownValidator, ErrNonConsecutiveViews}

// TestVerifyCommitProof: a proof from testProof passes; each single
// mutation is refused with ErrBadCommitProof wrapping exactly the error of
// what is wrong (none of the others).
func TestVerifyCommitProof(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	consecutive := [3]uint64{4, 5, 6}
	last, p := testProof(t, consecutive, nil)
	if err := VerifyCommitProof(set, fakeVerifier{}, &last, &p); err != nil {
		t.Fatalf("valid proof: %v", err)
	}
	flip := func(b []byte) { b[0] ^= 1 }
	other := func(i int) types.ValidatorSignature { // a valid vote of i for another block
		v := voteFor(i, &p.Grandchild, types.Hash{9})
		return types.ValidatorSignature{Validator: v.Voter, Signature: v.Signature}
	}
	cases := []struct {
		name  string
		views [3]uint64
		edit  func(i int, qc *types.QuorumCert)                // QCs inside the headers
		mut   func(l *types.BlockHeader, p *types.CommitProof) // the rest
		want  error                                            // nil: ErrBadCommitProof alone
	}{
		{name: "child does not extend last", mut: func(_ *types.BlockHeader, p *types.CommitProof) { flip(p.Child.ParentHash[:]) }},
		{name: "grandchild does not extend child", mut: func(_ *types.BlockHeader, p *types.CommitProof) { flip(p.Grandchild.ParentHash[:]) }},
		{name: "last is another block", mut: func(l *types.BlockHeader, _ *types.CommitProof) { l.Timestamp++ }},
		{name: "views 4 6 7", views: [3]uint64{4, 6, 7}, want: ErrNonConsecutiveViews},
		{name: "views 4 5 7", views: [3]uint64{4, 5, 7}, want: ErrNonConsecutiveViews},
		{name: "views 4 4 5", views: [3]uint64{4, 4, 5}, want: ErrNonConsecutiveViews},
		{name: "child's QC for another block", want: ErrQCNotForBlock, edit: func(i int, qc *types.QuorumCert) {
			if i == 1 {
				h := types.BlockHeader{Height: qc.Height, View: qc.View, Timestamp: 99}
				*qc = qcFor(&h, mustHash(t, &h), 0, 1, 2)
			}
		}},
		{name: "grandchild's QC of another view", want: ErrQCNotForBlock, edit: func(i int, qc *types.QuorumCert) {
			if i == 2 {
				qc.View++
			}
		}},
		{name: "grandchild's QC with a bad signature", want: ErrBadSignature, edit: func(i int, qc *types.QuorumCert) {
			if i == 2 {
				flip(qc.Votes[2].Signature[:])
			}
		}},
		{name: "proof QC for another block", want: ErrQCNotForBlock, mut: func(_ *types.BlockHeader, p *types.CommitProof) { flip(p.QC.BlockHash[:]) }},
		{name: "proof QC of another view", want: ErrQCNotForBlock, mut: func(_ *types.BlockHeader, p *types.CommitProof) { p.QC.View++ }},
		{name: "proof QC of another height", want: ErrQCNotForBlock, mut: func(_ *types.BlockHeader, p *types.CommitProof) { p.QC.Height++ }},
		{name: "proof QC is the genesis QC", want: ErrQCNotForBlock, mut: func(_ *types.BlockHeader, p *types.CommitProof) { p.QC = types.QuorumCert{} }},
		{name: "proof QC with a bad signature", want: ErrBadSignature, mut: func(_ *types.BlockHeader, p *types.CommitProof) { flip(p.QC.Votes[1].Signature[:]) }},
		{name: "proof QC signed for another block", want: ErrBadSignature, mut: func(_ *types.BlockHeader, p *types.CommitProof) { p.QC.Votes[0] = other(0) }},
		{name: "proof QC without quorum", want: ErrNoQuorum, mut: func(_ *types.BlockHeader, p *types.CommitProof) { p.QC.Votes = p.QC.Votes[:2] }},
		{name: "proof QC with a duplicate signer", want: ErrUnsortedSigner, mut: func(_ *types.BlockHeader, p *types.CommitProof) {
			p.QC.Votes = []types.ValidatorSignature{p.QC.Votes[0], p.QC.Votes[0], p.QC.Votes[1]}
		}},
		{name: "proof QC with an unknown signer", want: ErrUnknownValidator, mut: func(_ *types.BlockHeader, p *types.CommitProof) {
			v := voteFor(9, &p.Grandchild, p.QC.BlockHash)
			p.QC.Votes[2] = types.ValidatorSignature{Validator: v.Voter, Signature: v.Signature}
		}},
	}
	for _, c := range cases {
		views := c.views
		if views == ([3]uint64{}) {
			views = consecutive
		}
		l, p := testProof(t, views, c.edit)
		if c.mut != nil {
			c.mut(&l, &p)
		}
		err := VerifyCommitProof(set, fakeVerifier{}, &l, &p)
		if !errors.Is(err, ErrBadCommitProof) {
			t.Errorf("%s: %v, want ErrBadCommitProof", c.name, err)
			continue
		}
		for _, e := range certErrors {
			if errors.Is(err, e) != (e == c.want) {
				t.Errorf("%s: %v; want it to wrap %v", c.name, err, c.want)
				break
			}
		}
	}
}

// TestVerifyQCFor: the QC of a header certifies it; the genesis QC
// certifies no header, not even block 0, and a QC for the right block with
// too few votes fails on its signatures.
func TestVerifyQCFor(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	h, hash := proposal(t, 3, types.QuorumCert{}, nil)
	qc := qcFor(&h, hash, 1, 2, 3)
	if err := VerifyQCFor(set, fakeVerifier{}, &qc, &h, hash); err != nil {
		t.Fatal(err)
	}
	if err := VerifyQCFor(set, fakeVerifier{}, &types.QuorumCert{}, &testGenesis, mustHash(t, &testGenesis)); !errors.Is(err, ErrQCNotForBlock) {
		t.Fatalf("genesis QC: %v", err)
	}
	if err := VerifyQCFor(set, fakeVerifier{}, &types.QuorumCert{}, &types.BlockHeader{}, types.Hash{}); !errors.Is(err, ErrQCNotForBlock) {
		t.Fatalf("genesis QC for a zero hash: %v", err)
	}
	few := qcFor(&h, hash, 1, 2)
	if err := VerifyQCFor(set, fakeVerifier{}, &few, &h, hash); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("two of four: %v", err)
	}
}
