package crypto

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseAddress(f *testing.F) {
	for _, v := range eip55Vectors {
		f.Add(v)
		f.Add("0x" + v)
		f.Add("orama:" + v)
		f.Add("orama:" + strings.ToLower(v))
		f.Add(flipFirstLetterCase(v))
	}
	f.Add("")
	f.Add("0X" + eip55Vectors[0])
	f.Add(" orama:" + eip55Vectors[0])
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAddress) && !errors.Is(err, ErrBadChecksum) {
				t.Fatalf("ParseAddress(%q): unexpected error kind %v", s, err)
			}
			if a != ([20]byte{}) {
				t.Fatalf("ParseAddress(%q): non-zero address on error", s)
			}
			return
		}
		// Every accepted form round-trips through the display form, the
		// checksummed hex and the all-lower-case hex.
		hexPart := ChecksumHex(a)
		for _, form := range []string{FormatAddress(a), hexPart, "0x" + hexPart, strings.ToLower(hexPart), strings.ToUpper(hexPart)} {
			b, err := ParseAddress(form)
			if err != nil || b != a {
				t.Fatalf("ParseAddress(%q) = %x, %v; re-parse of %q gave %x, %v", s, a, err, form, b, err)
			}
		}
		// The input's hex part spells the same digits as the checksum.
		if !strings.EqualFold(s[len(s)-40:], hexPart) {
			t.Fatalf("ParseAddress(%q) = %s", s, hexPart)
		}
	})
}

func FuzzRecover(f *testing.F) {
	k := mustKey(f, knownKeys[0].priv)
	for _, msg := range []string{"", "a", "seed"} {
		h := testHash(msg)
		sig := mustSign(f, k, h)
		f.Add(append(h[:], sig[:]...))
		mal := highS(sig)
		f.Add(append(h[:], mal[:]...))
	}
	f.Add(make([]byte, 97))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 32+65 {
			return
		}
		hash := [32]byte(data[:32])
		sig := [65]byte(data[32:97])
		addr, err := Recover(hash, sig)
		if err != nil {
			for _, known := range []error{ErrInvalidRecoveryID, ErrInvalidSignatureValues, ErrHighS, ErrRecoveryFailed} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("Recover: unexpected error kind %v", err)
		}
		// Anything accepted is canonical...
		if sig[64] > 1 || !validScalar(sig[0:32]) || !validScalar(sig[32:64]) || string(sig[32:64]) > secp256k1HalfN {
			t.Fatalf("Recover accepted non-canonical signature %x", sig)
		}
		// ...verifies against its own signer...
		if err := Verify(hash, sig, addr); err != nil {
			t.Fatalf("Verify after Recover: %v", err)
		}
		// ...and its malleated twin is rejected.
		if _, err := Recover(hash, highS(sig)); !errors.Is(err, ErrHighS) && !errors.Is(err, ErrInvalidSignatureValues) {
			t.Fatalf("high-S twin: err = %v", err)
		}
	})
}

func FuzzParseAccountRef(f *testing.F) {
	for _, s := range []string{"@alex", "@ab", "@Alex", "alex", "@", "", "orama:" + eip55Vectors[0], "0x" + eip55Vectors[1], "@a_b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseAccountRef(s)
		if err != nil {
			if ref != (AccountRef{}) {
				t.Fatalf("ParseAccountRef(%q) = %+v on error", s, ref)
			}
			return
		}
		if ref.IsUsername {
			if ref.Address != ([20]byte{}) || ValidateUsername(ref.Username) != nil || s != FormatUsername(ref.Username) {
				t.Fatalf("ParseAccountRef(%q) = %+v", s, ref)
			}
		} else if ref.Username != "" || strings.HasPrefix(s, "@") {
			t.Fatalf("ParseAccountRef(%q) = %+v", s, ref)
		}
		again, err := ParseAccountRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseAccountRef(%q) = %+v; re-parse of %q = %+v, %v", s, ref, ref.String(), again, err)
		}
	})
}
