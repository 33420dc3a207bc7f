package crypto

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

func TestKnownKeyAddresses(t *testing.T) {
	for _, tc := range knownKeys {
		k := mustKey(t, tc.priv)
		addr := k.Address()
		if got := "0x" + ChecksumHex(addr); got != tc.addr {
			t.Errorf("key %s: address %s, want %s", tc.priv, got, tc.addr)
		}
		if got, want := FormatAddress(addr), "orama:"+tc.addr[2:]; got != want {
			t.Errorf("key %s: FormatAddress = %s, want %s", tc.priv, got, want)
		}
		// Cross-check against go-ethereum's own derivation.
		if want := ethcrypto.PubkeyToAddress(k.ECDSA().PublicKey); addr != [20]byte(want) {
			t.Errorf("key %s: address %x, go-ethereum says %x", tc.priv, addr, want)
		}
		pub := k.PublicKey()
		if pub[0] != 0x04 {
			t.Errorf("key %s: public key prefix %#x, want 0x04", tc.priv, pub[0])
		}
		fromPub, err := PubkeyToAddress(pub)
		if err != nil || fromPub != addr {
			t.Errorf("key %s: PubkeyToAddress = %x, %v; want %x", tc.priv, fromPub, err, addr)
		}
		if b := k.Bytes(); hex.EncodeToString(b[:]) != tc.priv {
			t.Errorf("key %s: Bytes() = %x", tc.priv, b)
		}
	}
}

func TestPublicKeyOfOneIsGenerator(t *testing.T) {
	const g = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" +
		"483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
	pub := mustKey(t, knownKeys[0].priv).PublicKey()
	if got := hex.EncodeToString(pub[:]); got != g {
		t.Fatalf("public key of 1 = %s, want G = %s", got, g)
	}
}

func TestCurveConstants(t *testing.T) {
	n := ethcrypto.S256().Params().N
	if got := new(big.Int).SetBytes([]byte(secp256k1N)); got.Cmp(n) != 0 {
		t.Errorf("secp256k1N = %x, want %x", got, n)
	}
	half := new(big.Int).Rsh(n, 1)
	if got := new(big.Int).SetBytes([]byte(secp256k1HalfN)); got.Cmp(half) != 0 {
		t.Errorf("secp256k1HalfN = %x, want %x", got, half)
	}
	if zero32 != string(make([]byte, 32)) {
		t.Error("zero32 is not 32 zero bytes")
	}
}

func TestPrivateKeyFromBytesRejects(t *testing.T) {
	n := curveN()
	nBytes := scalar32(n)
	nPlus1 := scalar32(new(big.Int).Add(n, big.NewInt(1)))
	cases := map[string][]byte{
		"nil":      nil,
		"empty":    {},
		"31 bytes": bytes.Repeat([]byte{1}, 31),
		"33 bytes": append([]byte{0}, mustHex(t, knownKeys[0].priv)...),
		"zero":     make([]byte, 32),
		"N":        nBytes[:],
		"N+1":      nPlus1[:],
		"all ff":   bytes.Repeat([]byte{0xff}, 32),
	}
	for name, b := range cases {
		k, err := PrivateKeyFromBytes(b)
		if k != nil {
			t.Errorf("%s: got key %v", name, k)
		}
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "crypto:") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
		wantErr(t, err, ErrInvalidPrivateKey)
	}
}

func TestPrivateKeyNMinusOne(t *testing.T) {
	b := scalar32(new(big.Int).Sub(curveN(), big.NewInt(1)))
	k, err := PrivateKeyFromBytes(b[:])
	if err != nil {
		t.Fatalf("N-1 rejected: %v", err)
	}
	// (N-1)·G = -G: same X as G, Y negated.
	g := mustKey(t, knownKeys[0].priv).PublicKey()
	pub := k.PublicKey()
	if !bytes.Equal(pub[1:33], g[1:33]) || bytes.Equal(pub[33:], g[33:]) {
		t.Fatalf("public key of N-1 = %x, want -G", pub)
	}
}

func TestGenerateKey(t *testing.T) {
	k1, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if k1.Bytes() == k2.Bytes() || k1.Address() == k2.Address() {
		t.Fatal("two generated keys are equal")
	}
	b := k1.Bytes()
	again, err := PrivateKeyFromBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	if again.Address() != k1.Address() || again.PublicKey() != k1.PublicKey() {
		t.Fatal("Bytes round trip changed the key")
	}
	if want := ethcrypto.PubkeyToAddress(k1.ECDSA().PublicKey); k1.Address() != [20]byte(want) {
		t.Fatalf("address %x, go-ethereum says %x", k1.Address(), want)
	}
}

func TestPubkeyToAddressRejects(t *testing.T) {
	good := mustKey(t, knownKeys[0].priv).PublicKey()

	compressedPrefix := good
	compressedPrefix[0] = 0x02
	offCurve := good
	offCurve[64] ^= 1
	cases := map[string][65]byte{
		"zero":        {},
		"prefix 0x02": compressedPrefix,
		"off curve":   offCurve,
		"prefix only": {0x04},
	}
	for name, pub := range cases {
		a, err := PubkeyToAddress(pub)
		wantErr(t, err, ErrInvalidPublicKey)
		if a != ([20]byte{}) {
			t.Errorf("%s: non-zero address %x on error", name, a)
		}
	}
}

func TestPrivateKeyFormattingRedacted(t *testing.T) {
	const priv = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	k := mustKey(t, priv)
	d := k.ECDSA().D.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(strings.ToLower(out), priv) || strings.Contains(out, d) {
			t.Errorf("%s leaks the private key: %s", verb, out)
		}
	}
	if got, want := k.String(), "crypto.PrivateKey(orama:f39Fd6e51aad88F6F4ce6aB8827279cffFb92266)"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	var nilKey *PrivateKey
	if got := nilKey.String(); got != "crypto.PrivateKey(nil)" {
		t.Errorf("nil String() = %s", got)
	}
}

func TestHashHelpers(t *testing.T) {
	// Keccak-256 of the empty string (differs from FIPS SHA3-256).
	k := Keccak256()
	if got := hex.EncodeToString(k[:]); got != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" {
		t.Errorf("Keccak256() = %s", got)
	}
	k = Keccak256([]byte("ab"), nil, []byte("c"))
	if got := hex.EncodeToString(k[:]); got != "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" {
		t.Errorf("Keccak256(ab, c) = %s", got)
	}
	s := SHA256([]byte("abc"))
	if got := hex.EncodeToString(s[:]); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("SHA256(abc) = %s", got)
	}
}
