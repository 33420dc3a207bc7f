package crypto

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

func testHash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func mustSign(t testing.TB, k *PrivateKey, h [32]byte) [65]byte {
	t.Helper()
	sig, err := Sign(k, h)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return sig
}

func TestSignRecoverRoundTrip(t *testing.T) {
	for _, tc := range knownKeys {
		k := mustKey(t, tc.priv)
		for _, msg := range []string{"", "hello", "orama"} {
			h := testHash(msg)
			sig := mustSign(t, k, h)
			if sig[64] > 1 {
				t.Fatalf("V = %d, want 0 or 1", sig[64])
			}
			if string(sig[32:64]) > secp256k1HalfN {
				t.Fatalf("Sign produced high-S signature %x", sig)
			}
			got, err := Recover(h, sig)
			if err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if got != k.Address() {
				t.Fatalf("Recover = %x, want %x", got, k.Address())
			}
			if err := Verify(h, sig, k.Address()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			pub := k.PublicKey()
			if !ethcrypto.VerifySignature(pub[:], h[:], sig[:64]) {
				t.Fatal("go-ethereum VerifySignature rejects our signature")
			}
		}
	}
}

// TestSignKnownVector checks against the widely published RFC 6979
// secp256k1/SHA-256 vector (key 1, message "Satoshi Nakamoto"), low-S form.
func TestSignKnownVector(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	sig := mustSign(t, k, testHash("Satoshi Nakamoto"))
	const wantRS = "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8" +
		"2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
	if got := hex.EncodeToString(sig[:64]); got != wantRS {
		t.Fatalf("R||S = %s, want %s", got, wantRS)
	}
}

func TestSignDeterministic(t *testing.T) {
	k := mustKey(t, knownKeys[2].priv)
	h := testHash("same message")
	a := mustSign(t, k, h)
	b := mustSign(t, k, h)
	if a != b {
		t.Fatalf("signatures differ:\n%x\n%x", a, b)
	}
	if c := mustSign(t, k, testHash("other message")); c == a {
		t.Fatal("different hashes gave the same signature")
	}
	if d := mustSign(t, mustKey(t, knownKeys[1].priv), h); d == a {
		t.Fatal("different keys gave the same signature")
	}
}

func TestSignNilKey(t *testing.T) {
	_, err := Sign(nil, testHash("x"))
	wantErr(t, err, ErrInvalidPrivateKey)
	_, err = Sign(&PrivateKey{}, testHash("x"))
	wantErr(t, err, ErrInvalidPrivateKey)
}

// highS returns the malleated twin of a low-S signature: S' = N - S with
// the recovery id flipped. It recovers to the same key under plain ECDSA.
func highS(sig [65]byte) [65]byte {
	s := new(big.Int).SetBytes(sig[32:64])
	s.Sub(curveN(), s)
	s2 := scalar32(s)
	copy(sig[32:64], s2[:])
	sig[64] ^= 1
	return sig
}

func TestRecoverRejectsHighS(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	for _, msg := range []string{"a", "b", "c", "d"} {
		h := testHash(msg)
		mal := highS(mustSign(t, k, h))
		// The twin is a valid signature to raw ecrecover; only our
		// canonical-form check stops it.
		raw, err := ethcrypto.Ecrecover(h[:], mal[:])
		if err != nil {
			t.Fatalf("raw ecrecover of high-S twin: %v", err)
		}
		pub := k.PublicKey()
		if string(raw) != string(pub[:]) {
			t.Fatal("high-S twin does not recover to the signer under raw ecrecover")
		}
		_, err = Recover(h, mal)
		wantErr(t, err, ErrHighS)
		wantErr(t, Verify(h, mal, k.Address()), ErrHighS)
	}
}

func TestRecoverRejectsBadV(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	h := testHash("v")
	sig := mustSign(t, k, h)
	for _, v := range []byte{2, 3, 27, 28, 35, 255} {
		bad := sig
		bad[64] = v
		a, err := Recover(h, bad)
		wantErr(t, err, ErrInvalidRecoveryID)
		if a != ([20]byte{}) {
			t.Errorf("V=%d: non-zero address on error", v)
		}
	}
}

func TestRecoverRejectsBadValues(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	h := testHash("values")
	sig := mustSign(t, k, h)
	n := scalar32(curveN())
	nPlus1 := scalar32(new(big.Int).Add(curveN(), big.NewInt(1)))
	var ff [32]byte
	for i := range ff {
		ff[i] = 0xff
	}
	set := func(r, s *[32]byte) [65]byte {
		out := sig
		if r != nil {
			copy(out[0:32], r[:])
		}
		if s != nil {
			copy(out[32:64], s[:])
		}
		return out
	}
	var zero [32]byte
	cases := map[string][65]byte{
		"R=0":       set(&zero, nil),
		"S=0":       set(nil, &zero),
		"R=N":       set(&n, nil),
		"S=N":       set(nil, &n), // also > N/2, but out of range wins
		"R=N+1":     set(&nPlus1, nil),
		"R=2^256-1": set(&ff, nil),
		"S=2^256-1": set(nil, &ff),
		"R=S=0":     set(&zero, &zero),
	}
	for name, bad := range cases {
		_, err := Recover(h, bad)
		if !errors.Is(err, ErrInvalidSignatureValues) {
			t.Errorf("%s: err = %v, want ErrInvalidSignatureValues", name, err)
		}
	}
}

func TestCheckSignatureBoundaries(t *testing.T) {
	half := new(big.Int).SetBytes([]byte(secp256k1HalfN))
	one := big.NewInt(1)
	cases := []struct {
		r, s *big.Int
		v    byte
		want error
	}{
		{one, one, 0, nil},
		{one, half, 1, nil},
		{one, new(big.Int).Add(half, one), 0, ErrHighS},
		{new(big.Int).Sub(curveN(), one), one, 0, nil},
		{curveN(), one, 0, ErrInvalidSignatureValues},
		{one, one, 2, ErrInvalidRecoveryID},
	}
	for i, tc := range cases {
		var sig [65]byte
		r, s := scalar32(tc.r), scalar32(tc.s)
		copy(sig[:32], r[:])
		copy(sig[32:64], s[:])
		sig[64] = tc.v
		err := checkSignature(&sig)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("case %d: err = %v, want %v", i, err, tc.want)
		}
	}
}

func TestRecoverFailed(t *testing.T) {
	// About half of all x coordinates are not on the curve, so one of the
	// first few small R values must fail to recover.
	h := testHash("no point")
	for r := byte(1); r < 64; r++ {
		var sig [65]byte
		sig[31] = r
		sig[63] = 1
		_, err := Recover(h, sig)
		if err == nil {
			continue
		}
		wantErr(t, err, ErrRecoveryFailed)
		return
	}
	t.Fatal("no small R failed recovery")
}

func TestVerifySignerMismatch(t *testing.T) {
	k1 := mustKey(t, knownKeys[0].priv)
	k2 := mustKey(t, knownKeys[1].priv)
	h := testHash("mismatch")
	sig := mustSign(t, k1, h)
	if err := Verify(h, sig, k1.Address()); err != nil {
		t.Fatalf("Verify with signer: %v", err)
	}
	wantErr(t, Verify(h, sig, k2.Address()), ErrSignerMismatch)
	wantErr(t, Verify(testHash("other"), sig, k1.Address()), ErrSignerMismatch)
}
