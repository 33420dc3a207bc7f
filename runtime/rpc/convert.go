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
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// The API's value forms (spec/openapi.yaml "Conventions"): u64 as decimal
// strings, bytes as 0x + lowercase hex, addresses as "orama:" + EIP-55 hex,
// enums by variant name.

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func hexBytes(b []byte) string {
	return string(borsh.AppendHex(make([]byte, 0, 2+hex.EncodedLen(len(b))), b))
}

func hash32(h [32]byte) string { return types.Hash(h).String() }

func address(a types.Address) string { return crypto.FormatAddress(a) }

func toAccount(a *types.Account) api.Account {
	return api.Account{
		Address:        address(a.Address),
		Username:       a.Username,
		Nonce:          u64(a.Nonce),
		OramaBalance:   u64(a.OramaBalance),
		BtcBalance:     u64(a.BTCBalance),
		CodeHash:       hash32(a.CodeHash),
		StorageRoot:    hash32(a.StorageRoot),
		CommitmentRoot: hash32(a.CommitmentRoot),
		NullifierRoot:  hash32(a.NullifierRoot),
	}
}

// toTransaction converts tx; h is its hash (the caller usually has it).
func toTransaction(tx *types.Transaction, h types.Hash) api.Transaction {
	return api.Transaction{
		Hash:      hash32(h),
		Type:      tx.Type.String(),
		From:      address(tx.From),
		To:        address(tx.To),
		Amount:    u64(tx.Amount),
		Asset:     api.TransactionAsset(tx.Asset.String()),
		Nonce:     u64(tx.Nonce),
		GasLimit:  u64(tx.GasLimit),
		GasTipCap: u64(tx.GasTipCap),
		GasFeeCap: u64(tx.GasFeeCap),
		Data:      hexBytes(tx.Data),
		Signature: hexBytes(tx.Signature[:]),
	}
}

func toReceipt(r *types.Receipt) api.Receipt {
	events := make([]api.Event, len(r.Events))
	for i := range r.Events {
		e := &r.Events[i]
		events[i] = api.Event{Emitter: address(e.Emitter), Topic: e.Topic, Data: hexBytes(e.Data)}
	}
	return api.Receipt{
		TxHash:    hash32(r.TxHash),
		Status:    r.Status.String(),
		GasUsed:   u64(r.GasUsed),
		FeeBurned: u64(r.FeeBurned),
		FeeTip:    u64(r.FeeTip),
		Events:    events,
	}
}

// toHeader converts a header and returns its hash too. The Borsh encoding
// is included: its SHA-256 is the block hash, which lets a light client
// check that the header it was given is the block it asked for.
func toHeader(hd *types.BlockHeader) (api.BlockHeader, types.Hash, error) {
	enc, err := hd.MarshalBorsh()
	if err != nil {
		return api.BlockHeader{}, types.Hash{}, fmt.Errorf("encode header %d: %w", hd.Height, err)
	}
	h := types.Hash(sha256.Sum256(enc)) // = hd.Hash(), without encoding again
	qc := api.QuorumCert{
		View:      u64(hd.QC.View),
		Height:    u64(hd.QC.Height),
		BlockHash: hash32(hd.QC.BlockHash),
	}
	qc.Votes = make([]struct {
		Signature api.HexBytes `json:"signature"`
		Validator api.Address  `json:"validator"`
	}, len(hd.QC.Votes))
	for i, v := range hd.QC.Votes {
		qc.Votes[i].Validator = address(v.Validator)
		qc.Votes[i].Signature = hexBytes(v.Signature[:])
	}
	b := hexBytes(enc)
	return api.BlockHeader{
		Height:           u64(hd.Height),
		ParentHash:       hash32(hd.ParentHash),
		StateRoot:        hash32(hd.StateRoot),
		TransactionsRoot: hash32(hd.TransactionsRoot),
		ReceiptsRoot:     hash32(hd.ReceiptsRoot),
		Timestamp:        u64(hd.Timestamp),
		Proposer:         address(hd.Proposer),
		Epoch:            u64(hd.Epoch),
		View:             u64(hd.View),
		BaseFee:          u64(hd.BaseFee),
		GasUsed:          u64(hd.GasUsed),
		Qc:               qc,
		Borsh:            &b,
	}, h, nil
}

func toProofFields(p *smt.Proof) api.SMTProof {
	out := api.SMTProof{
		Bitmap:   hexBytes(p.Bitmap[:]),
		Siblings: make([]api.Hash, len(p.Siblings)),
	}
	for i := range p.Siblings {
		out.Siblings[i] = hash32(p.Siblings[i])
	}
	if p.Leaf != nil {
		out.Leaf = &struct {
			Path      api.Hash `json:"path"`
			ValueHash api.Hash `json:"value_hash"`
		}{Path: hash32(p.Leaf.Path), ValueHash: hash32(p.Leaf.ValueHash)}
	}
	return out
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
