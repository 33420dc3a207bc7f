package exec_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// Fixed actors. Their addresses are a repeated byte, so their order
// (needed for genesis allocations) is the order of that byte, and none is
// the curve inventory address 0x00..01.
var (
	alice    = fill(0xa1)
	bob      = fill(0xb2)
	carol    = fill(0xc3) // never funded: a new account
	dave     = fill(0xd4) // poor: 1,000 rays
	whale    = fill(0xe5) // BTC near 2^64
	proposer = fill(0xf6)
)

const (
	orama        = params.RaysPerOrama
	aliceRays    = 10 * orama
	aliceSats    = 50_000
	bobRays      = 5 * orama
	daveRays     = 1_000
	whaleSats    = ^uint64(0) - 10
	defaultBase  = params.InitialBaseFee // 10 rays per gas
	defaultTip   = 2
	defaultCap   = 20
	transferGas  = params.GasTransfer
	blockReward  = params.BlockRewardRays
	curveShare   = blockReward * params.CurveRewardPercent / 100
	proposerPart = blockReward - curveShare
)

func fill(b byte) types.Address {
	var a types.Address
	for i := range a {
		a[i] = b
	}
	return a
}

// baseGenesis allocates alice, bob, dave and whale (sorted by address), with
// a username for bob, and one validator.
func baseGenesis() *types.Genesis {
	return &types.Genesis{
		ChainID:   7,
		Timestamp: 1_700_000_000,
		Allocations: []types.GenesisAllocation{
			{Address: alice, OramaBalance: aliceRays, BTCBalance: aliceSats},
			{Address: bob, OramaBalance: bobRays, Username: "bob"},
			{Address: dave, OramaBalance: daveRays},
			{Address: whale, OramaBalance: orama, BTCBalance: whaleSats},
		},
		Validators: []types.Validator{{Address: proposer, Stake: 1_000 * orama, PeerID: "p"}},
	}
}

func genesisTotal(g *types.Genesis) uint64 {
	var n uint64
	for _, a := range g.Allocations {
		n += a.OramaBalance
	}
	return n
}

// defaultEnv is block 1 under baseGenesis's validator set (the proposer).
func defaultEnv() exec.Env {
	return exec.Env{Height: 1, Proposer: proposer, BaseFee: defaultBase, Validators: []types.Address{proposer}}
}

// chain is a store holding a committed genesis, and the state at its tip.
type chain struct {
	t       *testing.T
	store   *smt.MemStore
	genesis *types.Block
	root    types.Hash
}

func newChain(t *testing.T, g *types.Genesis) *chain {
	t.Helper()
	store := smt.NewMemStore()
	b, err := exec.GenesisBlock(store, g)
	if err != nil {
		t.Fatalf("GenesisBlock: %v", err)
	}
	return &chain{t: t, store: store, genesis: b, root: b.Header.StateRoot}
}

// state opens a fresh State at the chain's tip.
func (c *chain) state() *state.State {
	c.t.Helper()
	st, err := state.Open(c.store, c.root)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// exec executes one block on the tip and advances it.
func (c *chain) exec(env exec.Env, txs ...types.Transaction) *exec.Result {
	c.t.Helper()
	res, err := exec.Execute(c.state(), env, txs)
	if err != nil {
		c.t.Fatalf("Execute at height %d: %v", env.Height, err)
	}
	if len(res.Receipts) != len(txs) {
		c.t.Fatalf("%d receipts for %d transactions", len(res.Receipts), len(txs))
	}
	c.root = res.StateRoot
	return res
}

func (c *chain) account(a types.Address) types.Account {
	c.t.Helper()
	acc, err := c.state().Account(a)
	if err != nil {
		c.t.Fatal(err)
	}
	return acc
}

// exists reports whether a has a leaf in the committed state.
func (c *chain) exists(a types.Address) bool {
	c.t.Helper()
	_, ok, _, err := c.state().ProveAccount(a)
	if err != nil {
		c.t.Fatal(err)
	}
	return ok
}

func (c *chain) supply() types.ChainSupply {
	c.t.Helper()
	s, err := c.state().Supply()
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// runBlock executes txs at env on a fresh chain from g.
func runBlock(t *testing.T, g *types.Genesis, env exec.Env, txs ...types.Transaction) (*chain, *exec.Result) {
	t.Helper()
	c := newChain(t, g)
	return c, c.exec(env, txs...)
}

func transfer(from, to types.Address, amount uint64, asset types.Asset, nonce uint64) types.Transaction {
	return types.Transaction{
		Type: types.TxTypeTransfer, From: from, To: to, Amount: amount, Asset: asset, Nonce: nonce,
		GasLimit: transferGas, GasTipCap: defaultTip, GasFeeCap: defaultCap,
	}
}

func claim(from types.Address, name string, nonce uint64) types.Transaction {
	p := types.ClaimUsernamePayload{Username: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	return types.Transaction{
		Type: types.TxTypeClaimUsername, From: from, Nonce: nonce, Data: data,
		GasLimit: params.GasClaimUsername + uint64(len(data)), GasTipCap: defaultTip, GasFeeCap: defaultCap,
	}
}

// nsCreate is a NamespaceCreate with the default fees and the gas it needs.
func nsCreate(from types.Address, name string, tier types.NamespaceTier, nodes uint8, nonce uint64) types.Transaction {
	p := types.NamespaceCreatePayload{Name: name, Tier: tier, Nodes: nodes}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	return types.Transaction{
		Type: types.TxTypeNamespaceCreate, From: from, Nonce: nonce, Data: data,
		GasLimit: params.GasNamespaceCreate + uint64(len(data)), GasTipCap: defaultTip, GasFeeCap: defaultCap,
	}
}

// nsDelete is a NamespaceDelete with the default fees and the gas it needs.
func nsDelete(from types.Address, name string, nonce uint64) types.Transaction {
	p := types.NamespaceDeletePayload{Name: name}
	data, err := p.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	return types.Transaction{
		Type: types.TxTypeNamespaceDelete, From: from, Nonce: nonce, Data: data,
		GasLimit: params.GasNamespaceDelete + uint64(len(data)), GasTipCap: defaultTip, GasFeeCap: defaultCap,
	}
}

func txHash(t *testing.T, tx types.Transaction) types.Hash {
	t.Helper()
	h, err := tx.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// wantAccount compares every field of an account.
func wantAccount(t *testing.T, got, want types.Account) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("account %v:\n got %+v\nwant %+v", want.Address, got, want)
	}
}

func sameReceipt(a, b types.Receipt) bool {
	ab, err1 := a.MarshalBorsh()
	bb, err2 := b.MarshalBorsh()
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}
