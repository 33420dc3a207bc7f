package crypto

import "testing"

func BenchmarkSign(b *testing.B) {
	k := mustKey(b, knownKeys[2].priv)
	h := testHash("bench")
	for b.Loop() {
		if _, err := Sign(k, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecover(b *testing.B) {
	k := mustKey(b, knownKeys[2].priv)
	h := testHash("bench")
	sig := mustSign(b, k, h)
	for b.Loop() {
		if _, err := Recover(h, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecoverRejectHighS(b *testing.B) {
	k := mustKey(b, knownKeys[2].priv)
	h := testHash("bench")
	sig := highS(mustSign(b, k, h))
	for b.Loop() {
		if _, err := Recover(h, sig); err == nil {
			b.Fatal("accepted high-S")
		}
	}
}

func BenchmarkSigningHash1KiB(b *testing.B) {
	payload := make([]byte, 1024)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := SigningHash(DomainTransaction, 1, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChecksumHex(b *testing.B) {
	a := mustKey(b, knownKeys[0].priv).Address()
	for b.Loop() {
		_ = ChecksumHex(a)
	}
}

func BenchmarkParseAddress(b *testing.B) {
	s := "orama:" + eip55Vectors[0]
	for b.Loop() {
		if _, err := ParseAddress(s); err != nil {
			b.Fatal(err)
		}
	}
}
