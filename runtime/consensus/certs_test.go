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

// TestCertCacheJudgesEachCertificate: what a verifier has seen never makes
// another certificate valid. After a good QC and TC, certificates with the
// same signed fields but other entries (none, too few, a forged signature,
// an unknown signer) fail exactly as they do at a fresh verifier, and a
// certificate made of entries seen before needs no new signature check.
func TestCertCacheJudgesEachCertificate(t *testing.T) {
	set := testSet(t, 1, 1, 1, 1)
	h, hash := proposal(t, 3, types.QuorumCert{}, nil)
	good := qcFor(&h, hash, 0, 1, 2)
	goodTC := tcOf(5, good, 0, 1, 2)
	cached := &countingVerifier{}
	c := newCertVerifier(set, cached)
	if err := c.verifyQC(&good); err != nil {
		t.Fatal(err)
	}
	if err := c.verifyTC(goodTC); err != nil {
		t.Fatal(err)
	}
	forged := good
	forged.Votes = append([]types.ValidatorSignature{}, good.Votes...)
	forged.Votes[1].Signature[0] ^= 1
	few := good
	few.Votes = good.Votes[:2]
	stranger := good
	stranger.Votes = append(append([]types.ValidatorSignature{}, good.Votes[:2]...), types.ValidatorSignature{Validator: types.Address{0xff}, Signature: good.Votes[2].Signature})
	for name, qc := range map[string]types.QuorumCert{
		"no votes":       {View: good.View, Height: good.Height, BlockHash: good.BlockHash},
		"two of four":    few,
		"forged":         forged,
		"unknown signer": stranger,
	} {
		fresh := newCertVerifier(set, fakeVerifier{}).verifyQC(&qc)
		if fresh == nil {
			t.Fatalf("%s: a fresh verifier accepts it", name)
		}
		if err := c.verifyQC(&qc); err == nil || err.Error() != fresh.Error() {
			t.Errorf("QC %s: cached verifier %v, fresh %v", name, err, fresh)
		}
	}
	for name, tc := range map[string]*types.TimeoutCert{
		"no timeouts": {View: 5},
		"two of four": {View: 5, Timeouts: goodTC.Timeouts[:2]},
	} {
		if err := c.verifyTC(tc); !errors.Is(err, ErrNoQuorum) {
			t.Errorf("TC %s: %v", name, err)
		}
	}
	// The same votes in another valid certificate: no signature checked again.
	before := cached.n
	again := qcFor(&h, hash, 0, 1, 2)
	if err := c.verifyQC(&again); err != nil || cached.n != before {
		t.Errorf("a QC of seen votes: %v, %d new checks", err, cached.n-before)
	}
}

type countingVerifier struct{ n int }

func (v *countingVerifier) Verify(d types.SigningDomain, p []byte, s types.Signature, a types.Address) error {
	v.n++
	return fakeVerifier{}.Verify(d, p, s, a)
}
