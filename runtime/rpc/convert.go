package rpc

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// The API's value forms (spec/openapi.yaml "Conventions"): u64 as decimal
// strings, bytes as 0x + lowercase hex, addresses as "orama:" + EIP-55 hex,
// enums by variant name.

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func hexBytes(b []byte) string {
	out := make([]byte, 2+hex.EncodedLen(len(b)))
	out[0], out[1] = '0', 'x'
	hex.Encode(out[2:], b)
	return string(out)
}

func hash32(h [32]byte) string { return hexBytes(h[:]) }

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

// txHash is the transaction id: SHA-256 of its Borsh encoding.
func txHash(tx *types.Transaction) (types.Hash, error) {
	h, err := tx.Hash()
	if err != nil {
		return types.Hash{}, fmt.Errorf("hash transaction: %w", err)
	}
	return h, nil
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
	h, err := hd.Hash()
	if err != nil {
		return api.BlockHeader{}, types.Hash{}, fmt.Errorf("hash header %d: %w", hd.Height, err)
	}
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

// effectivePower is a validator's power until scores exist: its stake, times
// 1.5 for an attested trusted OS (rounded down, saturating at the u64 max).
func effectivePower(v *types.Validator) uint64 {
	if !v.TrustedOS {
		return v.Stake
	}
	half := v.Stake / 2
	if v.Stake > ^uint64(0)-half {
		return ^uint64(0)
	}
	return v.Stake + half
}
