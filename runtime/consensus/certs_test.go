package consensus

import (
	"errors"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestVerifyCertificates pins what verifyQC and verifyTC, one loop
// (verifySigners) since they were two, accept and which error each fault
// gives, including which fault wins when an entry has two: ordering, then
// the TC entry's own high QC view, then membership, then the signature.
func TestVerifyCertificates(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	h, hash := proposal(t, 3, types.QuorumCert{}, nil)
	qc := func(voters ...int) *types.QuorumCert { q := qcFor(&h, hash, voters...); return &q }
	hq := *qc(0, 1, 2)
	hq.View = 4
	tc := func(senders ...int) *types.TimeoutCert { return tcOf(5, hq, senders...) }

	badSig := qc(0, 1, 2)
	badSig.Votes[1].Signature[0] ^= 1
	swapped := qc(0, 1, 2)
	swapped.Votes[0], swapped.Votes[1] = swapped.Votes[1], swapped.Votes[0]
	qcs := []struct {
		name string
		qc   *types.QuorumCert
		want error
	}{
		{"genesis", &types.QuorumCert{}, nil},
		{"three of four", qc(0, 1, 2), nil},
		{"four of four", qc(0, 1, 2, 3), nil},
		{"two of four", qc(0, 1), ErrNoQuorum},
		{"none", &types.QuorumCert{View: 3, Height: 1, BlockHash: hash}, ErrNoQuorum},
		{"duplicate", qc(0, 1, 1, 2), ErrUnsortedSigner},
		{"descending", swapped, ErrUnsortedSigner},
		{"unknown", qc(0, 1, 2, 9), ErrUnknownValidator},
		{"bad signature", badSig, ErrBadSignature},
	}
	for _, c := range qcs {
		if err := newCertVerifier(set, fakeVerifier{}).verifyQC(c.qc); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("QC %s: %v, want %v", c.name, err, c.want)
		}
	}

	highView := tc(0, 1, 2)
	highView.Timeouts[1].HighQCView = 5 // not below the TC's view
	unsortedAndHigh := tc(1, 0, 2)
	unsortedAndHigh.Timeouts[1].HighQCView = 5 // the order is checked first
	unknownAndHigh := tc(0, 1, 9)
	unknownAndHigh.Timeouts[2].HighQCView = 7 // the entry is checked before membership
	badTimeout := tc(0, 1, 2)
	badTimeout.Timeouts[2].Signature[0] ^= 1
	tcs := []struct {
		name string
		tc   *types.TimeoutCert
		want error
	}{
		{"three of four", tc(0, 1, 2), nil},
		{"two of four", tc(0, 1), ErrNoQuorum},
		{"duplicate", tc(0, 0, 1, 2), ErrUnsortedSigner},
		{"high QC view not below", highView, ErrBadTC},
		{"unsorted and high", unsortedAndHigh, ErrUnsortedSigner},
		{"unknown and high", unknownAndHigh, ErrBadTC},
		{"unknown", tc(0, 1, 9), ErrUnknownValidator},
		{"bad signature", badTimeout, ErrBadSignature},
	}
	for _, c := range tcs {
		if err := newCertVerifier(set, fakeVerifier{}).verifyTC(c.tc); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("TC %s: %v, want %v", c.name, err, c.want)
		}
	}
}
