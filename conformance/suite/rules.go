package suite

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"
	"slices"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// The suite's own arithmetic from the spec's rules: what a node's answers
// are checked against. Each function is written from spec/state.md, not
// taken from the node, and tested against conformance/vectors-state.

// nextBaseFee is spec/state.md "The base fee".
func nextBaseFee(parentBaseFee, parentGasUsed uint64) uint64 {
	b := min(max(parentBaseFee, params.MinBaseFee), params.MaxBaseFee)
	u := min(parentGasUsed, params.BlockGasLimit)
	t := params.BlockGasTarget
	next := b
	switch {
	case u > t:
		next = b + max(b*(u-t)/t/params.BaseFeeChangeDenominator, 1)
	case u < t:
		next = b - min(max(b*(t-u)/t/params.BaseFeeChangeDenominator, 1), b)
	}
	return min(max(next, params.MinBaseFee), params.MaxBaseFee)
}

// typeGas is each type's gas before data bytes (spec/params.yaml).
func typeGas(t types.TxType) uint64 {
	switch t {
	case types.TxTypeTransfer:
		return params.GasTransfer
	case types.TxTypeClaimUsername:
		return params.GasClaimUsername
	case types.TxTypeStake, types.TxTypeUnstake:
		return params.GasStake
	case types.TxTypeDEXOrder, types.TxTypeDEXCancel:
		return params.GasDEXTrade
	case types.TxTypeBridgeDeposit, types.TxTypeBridgeWithdraw:
		return params.GasBridge
	case types.TxTypeNamespaceCommit:
		return params.GasNamespaceCommit
	case types.TxTypeNamespaceCreate:
		return params.GasNamespaceCreate
	case types.TxTypeNamespaceDelete:
		return params.GasNamespaceDelete
	case types.TxTypeGovernancePropose, types.TxTypeGovernanceVote:
		return params.GasGovernance
	case types.TxTypeReportEquivocation:
		return params.GasReportEquivocation
	case types.TxTypeShield, types.TxTypeUnshield, types.TxTypePrivateTransfer:
		return params.GasTransfer * params.PrivateGasMultiplier
	}
	return 0
}

// intrinsicGas is spec/state.md's intrinsic_gas(tx): what every included
// transaction uses, succeeded or failed.
func intrinsicGas(tx *types.Transaction) uint64 {
	return typeGas(tx.Type) + uint64(len(tx.Data))*params.GasPerDataByte
}

// fees are what an included transaction pays at a base fee (spec/state.md
// "Fee, nonce, then the type", step 1): burned and tipped, in rays.
func fees(tx *types.Transaction, baseFee uint64) (gas, burned, tip uint64) {
	gas = intrinsicGas(tx)
	perGas := uint64(0)
	if tx.GasFeeCap >= baseFee {
		perGas = min(tx.GasTipCap, tx.GasFeeCap-baseFee)
	}
	return gas, gas * baseFee, gas * perGas
}

// blockReward is what height h mints and how it is split (spec/state.md,
// after the transactions), given the curve's receipts so far.
func blockReward(h, minted, curveReceived uint64) (proposer, curve uint64) {
	if h == 0 {
		return 0, 0
	}
	shift := (h - 1) / params.HalvingIntervalBlocks
	var r uint64
	if shift < 64 {
		r = params.BlockRewardRays >> shift
	}
	r = min(r, params.SupplyCapRays-min(minted, params.SupplyCapRays))
	if curveReceived < params.CurveInventoryCapRays {
		hi, lo := bits.Mul64(r, params.CurveRewardPercent)
		q, _ := bits.Div64(hi, lo, 100)
		curve = min(q, params.CurveInventoryCapRays-curveReceived)
	}
	return r - curve, curve
}

// curveAddress is CurveInventoryAddress (spec/params.yaml).
func curveAddress() types.Address {
	var a types.Address
	if err := a.UnmarshalText([]byte(params.CurveInventoryAddress)); err != nil {
		panic(fmt.Sprintf("params.CurveInventoryAddress: %v", err))
	}
	return a
}

// merkleRoot is the RFC 6962-shaped root of spec/state.md over hashes in
// order: SHA-256("") for none, a leaf SHA-256(0x00 || h), a node
// SHA-256(0x01 || left || right), n leaves split at the largest power of
// two below n.
func merkleRoot(hashes []types.Hash) types.Hash {
	if len(hashes) == 0 {
		return sha256.Sum256(nil)
	}
	if len(hashes) == 1 {
		return sha256.Sum256(append([]byte{0}, hashes[0][:]...))
	}
	k := 1
	for k*2 < len(hashes) {
		k *= 2
	}
	l, r := merkleRoot(hashes[:k]), merkleRoot(hashes[k:])
	b := make([]byte, 0, 65)
	b = append(b, 1)
	b = append(b, l[:]...)
	b = append(b, r[:]...)
	return sha256.Sum256(b)
}

// State tree keys (spec/state.md "The global state tree").
func accountKey(a types.Address) []byte { return a[:] }

func usernameKey(name string) []byte {
	h := sha256.Sum256([]byte("orama/username/" + name))
	return h[:]
}

func supplyKey() []byte {
	h := sha256.Sum256([]byte("orama/supply"))
	return h[:]
}

// genesisStateRoot is block 0's state root (spec/state.md "Block 0 and the
// genesis hash"): the allocations' accounts, their usernames, and the
// chain supply, in a Sparse Merkle Tree (spec/smt.md).
func genesisStateRoot(g *types.Genesis) (types.Hash, error) {
	var keys, values [][]byte
	var minted uint64
	for _, a := range g.Allocations {
		acc := types.Account{Address: a.Address, Username: a.Username, OramaBalance: a.OramaBalance, BTCBalance: a.BTCBalance}
		v, err := acc.MarshalBorsh()
		if err != nil {
			return types.Hash{}, err
		}
		keys, values = append(keys, accountKey(a.Address)), append(values, v)
		if a.Username != "" {
			rec := types.UsernameRecord{Address: a.Address}
			v, err := rec.MarshalBorsh()
			if err != nil {
				return types.Hash{}, err
			}
			keys, values = append(keys, usernameKey(a.Username)), append(values, v)
		}
		minted += a.OramaBalance
	}
	sup := types.ChainSupply{MintedRays: minted}
	v, err := sup.MarshalBorsh()
	if err != nil {
		return types.Hash{}, err
	}
	keys, values = append(keys, supplyKey()), append(values, v)
	t, err := smt.Open(smt.NewMemStore(), smt.EmptyRoot)
	if err != nil {
		return types.Hash{}, err
	}
	root, err := t.UpdateBatch(0, keys, values)
	if err != nil {
		return types.Hash{}, fmt.Errorf("genesis state tree: %w", err)
	}
	return root, nil
}

// genesisHeader is block 0's header as spec/state.md builds it from the
// genesis file alone.
func genesisHeader(g *types.Genesis) (types.BlockHeader, error) {
	gh, err := g.Hash()
	if err != nil {
		return types.BlockHeader{}, err
	}
	root, err := genesisStateRoot(g)
	if err != nil {
		return types.BlockHeader{}, err
	}
	empty := merkleRoot(nil)
	return types.BlockHeader{
		Height: 0, View: 0, Epoch: 0, ParentHash: gh, StateRoot: root,
		TransactionsRoot: empty, ReceiptsRoot: empty, Timestamp: g.Timestamp,
		BaseFee: params.InitialBaseFee,
	}, nil
}

// placement is spec/namespaces.md 9: the pool's nodes with fewer than
// MaxNamespacesPerNode slots taken (taken[node] lists them), sorted by
// (slots taken, SHA-256(name || address)); the first want (nodes 0: the
// smaller of DefaultNamespaceNodes and the pool), each in its lowest free
// slot. ok is false when fewer than want nodes have a free slot.
func placement(pool []types.Address, taken map[types.Address][]uint8, name string, nodes uint8) ([]types.NamespaceNode, bool) {
	want := int(nodes)
	if want == 0 {
		want = min(params.DefaultNamespaceNodes, len(pool))
	}
	type cand struct {
		node types.Address
		used int
		key  [32]byte
	}
	var cs []cand
	for _, a := range pool {
		if n := len(taken[a]); n < params.MaxNamespacesPerNode {
			cs = append(cs, cand{a, n, sha256.Sum256(append([]byte(name), a[:]...))})
		}
	}
	if want < 1 || len(cs) < want {
		return nil, false
	}
	slices.SortFunc(cs, func(x, y cand) int {
		if x.used != y.used {
			return x.used - y.used
		}
		return bytes.Compare(x.key[:], y.key[:])
	})
	out := make([]types.NamespaceNode, 0, want)
	for _, c := range cs[:want] {
		var slot uint8
		for slices.Contains(taken[c.node], slot) {
			slot++
		}
		out = append(out, types.NamespaceNode{Node: c.node, Slot: slot})
	}
	return out, true
}
