package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"
)

var allDomains = []Domain{
	DomainTransaction, DomainVote, DomainTimeout, DomainEnvelope,
	DomainProposal, DomainBridgeAttestation, DomainNamespaceCommitment, DomainNamespaceRequest,
}

func TestDomainValues(t *testing.T) {
	// The numeric values are consensus-critical.
	want := map[Domain]uint8{
		DomainTransaction: 1, DomainVote: 2, DomainTimeout: 3, DomainEnvelope: 4,
		DomainProposal: 5, DomainBridgeAttestation: 6, DomainNamespaceCommitment: 7,
		DomainNamespaceRequest: 8,
	}
	for d, v := range want {
		if uint8(d) != v {
			t.Errorf("%s = %d, want %d", d, uint8(d), v)
		}
	}
	for v := 0; v < 256; v++ {
		d := Domain(v)
		if got, want := d.Valid(), v >= 1 && v <= 8; got != want {
			t.Errorf("Domain(%d).Valid() = %v, want %v", v, got, want)
		}
	}
	if got := DomainBridgeAttestation.String(); got != "bridge-attestation" {
		t.Errorf("String() = %q", got)
	}
	if got := Domain(9).String(); got != "Domain(9)" {
		t.Errorf("String() = %q", got)
	}
}

func TestSigningPreimageLayout(t *testing.T) {
	cases := []struct {
		d       Domain
		chainID uint64
		payload []byte
		want    []byte
	}{
		{
			DomainVote, 0x0102030405060708, []byte("abc"),
			[]byte{
				0x02,
				0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
				0x03, 0x00, 0x00, 0x00,
				'a', 'b', 'c',
			},
		},
		{
			DomainTransaction, 1, nil,
			[]byte{
				0x01,
				0x01, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0,
			},
		},
		{
			DomainNamespaceCommitment, math.MaxUint64, bytes.Repeat([]byte{0xaa}, 0x0102),
			append([]byte{
				0x07,
				0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				0x02, 0x01, 0x00, 0x00,
			}, bytes.Repeat([]byte{0xaa}, 0x0102)...),
		},
	}
	for _, tc := range cases {
		got, err := SigningPreimage(tc.d, tc.chainID, tc.payload)
		if err != nil {
			t.Fatalf("SigningPreimage(%s): %v", tc.d, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("SigningPreimage(%s, %d) =\n%x\nwant\n%x", tc.d, tc.chainID, got, tc.want)
		}
		h, err := SigningHash(tc.d, tc.chainID, tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(tc.want); h != want {
			t.Errorf("SigningHash(%s, %d) = %x, want %x", tc.d, tc.chainID, h, want)
		}
	}
}

func TestSigningHashKnownValue(t *testing.T) {
	// SHA-256 of 01 0100000000000000 00000000, computed with Python's hashlib.
	h, err := SigningHash(DomainTransaction, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h[:]); got != "fa996549d329a871f9ad24bdda86dfc9dba6f1f9ae7b6b9e4aee0c5f55c09285" {
		t.Fatalf("SigningHash(transaction, 1, nil) = %s", got)
	}
}

func TestSigningInvalidDomain(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	for _, d := range []Domain{0, 9, 10, 128, 255} {
		if _, err := SigningPreimage(d, 1, []byte("x")); err == nil {
			t.Errorf("SigningPreimage(%d): no error", d)
		} else {
			wantErr(t, err, ErrInvalidDomain)
		}
		_, err := SigningHash(d, 1, []byte("x"))
		wantErr(t, err, ErrInvalidDomain)
		_, err = SignDomain(k, d, 1, []byte("x"))
		wantErr(t, err, ErrInvalidDomain)
		wantErr(t, VerifyDomain(d, 1, []byte("x"), [65]byte{}, k.Address()), ErrInvalidDomain)
	}
}

func TestSigningPayloadLimit(t *testing.T) {
	max := make([]byte, MaxSigningPayload)
	pre, err := SigningPreimage(DomainEnvelope, 7, max)
	if err != nil {
		t.Fatalf("payload of exactly MaxSigningPayload rejected: %v", err)
	}
	// The u32 little-endian length prefix of 1<<20 + 1024 is 00 04 10 00.
	if len(pre) != 13+MaxSigningPayload || !bytes.Equal(pre[9:13], []byte{0, 0x04, 0x10, 0}) {
		t.Fatalf("bad length prefix %x / len %d", pre[9:13], len(pre))
	}
	if _, err := SigningHash(DomainEnvelope, 7, max); err != nil {
		t.Fatal(err)
	}
	over := make([]byte, MaxSigningPayload+1)
	_, err = SigningPreimage(DomainEnvelope, 7, over)
	wantErr(t, err, ErrPayloadTooLarge)
	_, err = SigningHash(DomainEnvelope, 7, over)
	wantErr(t, err, ErrPayloadTooLarge)
}

func TestSigningHashDoesNotCopyPayload(t *testing.T) {
	payload := make([]byte, MaxSigningPayload)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := SigningHash(DomainTransaction, 1, payload); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("SigningHash allocated %v times per call", allocs)
	}
}

// TestDomainSeparation checks that a signature is valid for exactly one
// (domain, chain id) pair.
func TestDomainSeparation(t *testing.T) {
	k := mustKey(t, knownKeys[2].priv)
	payload := []byte("transfer 10 ORAMA to @alex")
	sig, err := SignDomain(k, DomainTransaction, 1, payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyDomain(DomainTransaction, 1, payload, sig, k.Address()); err != nil {
		t.Fatalf("right domain and chain: %v", err)
	}
	wantErr(t, VerifyDomain(DomainVote, 1, payload, sig, k.Address()), ErrSignerMismatch)
	wantErr(t, VerifyDomain(DomainTransaction, 2, payload, sig, k.Address()), ErrSignerMismatch)
	wantErr(t, VerifyDomain(DomainEnvelope, 1, payload, sig, k.Address()), ErrSignerMismatch)

	seen := map[[32]byte]string{}
	for _, d := range allDomains {
		for _, chain := range []uint64{0, 1, 2, math.MaxUint64} {
			h, err := SigningHash(d, chain, payload)
			if err != nil {
				t.Fatal(err)
			}
			if prev, dup := seen[h]; dup {
				t.Fatalf("%s/%d hashes the same as %s", d, chain, prev)
			}
			seen[h] = d.String()

			err = VerifyDomain(d, chain, payload, sig, k.Address())
			if d == DomainTransaction && chain == 1 {
				if err != nil {
					t.Errorf("%s/%d: %v", d, chain, err)
				}
			} else {
				wantErr(t, err, ErrSignerMismatch)
			}
		}
	}
}

func TestSignDomainMatchesSign(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	payload := []byte("vote")
	a, err := SignDomain(k, DomainVote, 9, payload)
	if err != nil {
		t.Fatal(err)
	}
	h, err := SigningHash(DomainVote, 9, payload)
	if err != nil {
		t.Fatal(err)
	}
	if b := mustSign(t, k, h); a != b {
		t.Fatal("SignDomain differs from Sign(SigningHash)")
	}
}
