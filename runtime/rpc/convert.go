package rpc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The API's value forms (spec/openapi.yaml "Conventions"): u64 as decimal
// strings, bytes as 0x + lowercase hex, addresses as "orama:" + EIP-55 hex,
// enums by variant name. Protocol types are converted by the generated
// api.FromT functions (gen/openapi); these helpers are for the API-only
// values around them.

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func hexBytes(b []byte) string {
	return string(borsh.AppendHex(make([]byte, 0, 2+hex.EncodedLen(len(b))), b))
}

func hash32(h [32]byte) string { return types.Hash(h).String() }

func address(a types.Address) string { return crypto.FormatAddress(a) }

// toTransaction converts tx; h is its hash (the caller usually has it).
// api.FromTransaction, generated from the spec, fills every spec field; the
// hash is the one API-only property.
func toTransaction(tx *types.Transaction, h types.Hash) api.Transaction {
	t := api.FromTransaction(tx)
	t.Hash = h.String()
	return t
}

// toHeader converts a header and returns its hash too. The Borsh encoding
// is included: its SHA-256 is the block hash, which lets a light client
// check that the header it was given is the block it asked for.
func toHeader(hd *types.BlockHeader) (api.BlockHeader, types.Hash, error) {
	enc, err := hd.MarshalBorsh()
	if err != nil {
		return api.BlockHeader{}, types.Hash{}, fmt.Errorf("encode header %d: %w", hd.Height, err)
	}
	out := api.FromBlockHeader(hd)
	b := hexBytes(enc)
	out.Borsh = &b
	return out, types.Hash(sha256.Sum256(enc)), nil // = hd.Hash(), without encoding again
}

// Display decimals of the two assets.
var (
	oramaDecimals = decimalsOf(params.RaysPerOrama)
	btcDecimals   = decimalsOf(params.SatsPerBTC)
)

// decimalsOf returns n for unit = 10^n; it panics on any other unit, which
// would be a broken params file.
func decimalsOf(unit uint64) int {
	n := 0
	for u := unit; u > 1; u /= 10 {
		if u%10 != 0 {
			panic(fmt.Sprintf("rpc: unit %d is not a power of ten", unit))
		}
		n++
	}
	return n
}

// formatUnits renders v base units as an exact decimal of units worth
// 10^decimals base units, without trailing zeros: 1500000 rays -> "1.5",
// 100000 sats -> "0.001", 0 -> "0". Integer arithmetic only.
func formatUnits(v uint64, decimals int) string {
	var unit uint64 = 1
	for range decimals {
		unit *= 10
	}
	whole, frac := v/unit, v%unit
	s := strconv.FormatUint(whole, 10)
	if frac == 0 {
		return s
	}
	f := strconv.FormatUint(frac, 10)
	for len(f) < decimals {
		f = "0" + f
	}
	for f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	return s + "." + f
}

// effectivePower is consensus.EffectivePower, saturating at the u64 max
// where that overflows (its only error).
func effectivePower(v *types.Validator) uint64 {
	p, err := consensus.EffectivePower(*v)
	if err != nil {
		return math.MaxUint64
	}
	return p
}
