package node

import (
	"bytes"
	"slices"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

// testKey returns a deterministic key (i >= 1).
func testKey(i int) *crypto.PrivateKey { return cryptotest.Key(i) }

// testGenesis funds n deterministic keys; keys[0] is the validator.
func testGenesis(n int) (*types.Genesis, []*crypto.PrivateKey) {
	keys := make([]*crypto.PrivateKey, n)
	g := &types.Genesis{ChainID: 4242, Timestamp: 1_700_000_000}
	for i := range keys {
		keys[i] = testKey(i + 1)
		g.Allocations = append(g.Allocations, types.GenesisAllocation{
			Address: keys[i].Address(), OramaBalance: 1_000_000 * params.RaysPerOrama, BTCBalance: 10 * params.SatsPerBTC,
		})
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	g.Validators = []types.Validator{{Address: keys[0].Address(), Stake: 1000 * params.RaysPerOrama}}
	return g, keys
}

// signedTransfer builds and signs an ORAMA transfer.
func signedTransfer(k *crypto.PrivateKey, chainID, nonce uint64, to types.Address, amount uint64) *types.Transaction {
	tx := &types.Transaction{
		Type: types.TxTypeTransfer, From: k.Address(), To: to, Amount: amount, Asset: types.AssetOrama,
		Nonce: nonce, GasLimit: params.GasTransfer, GasTipCap: 1, GasFeeCap: params.MaxBaseFee,
	}
	p, err := tx.SigningPayload()
	if err != nil {
		panic(err)
	}
	sig, err := crypto.SignDomain(k, crypto.DomainTransaction, chainID, p)
	if err != nil {
		panic(err)
	}
	tx.Signature = sig
	return tx
}

func mustHash(h *types.BlockHeader) types.Hash {
	hh, err := h.Hash()
	if err != nil {
		panic(err)
	}
	return hh
}
