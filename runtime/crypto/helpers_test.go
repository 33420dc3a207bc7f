package crypto

import (
	"encoding/hex"
	"errors"
	"math/big"
	"testing"
)

// Well-known test keys with their EIP-55 addresses.
var knownKeys = []struct {
	priv string
	addr string
}{
	{"0000000000000000000000000000000000000000000000000000000000000001", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
	{"0000000000000000000000000000000000000000000000000000000000000002", "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"},
	// Hardhat/Anvil default account 0.
	{"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustKey(t testing.TB, privHex string) *PrivateKey {
	t.Helper()
	k, err := PrivateKeyFromBytes(mustHex(t, privHex))
	if err != nil {
		t.Fatalf("PrivateKeyFromBytes(%s): %v", privHex, err)
	}
	return k
}

func curveN() *big.Int { return new(big.Int).SetBytes([]byte(secp256k1N)) }

// scalar32 encodes x as 32 big-endian bytes.
func scalar32(x *big.Int) [32]byte {
	var b [32]byte
	x.FillBytes(b[:])
	return b
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}
