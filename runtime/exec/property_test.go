package exec_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Actors of the random blocks: the four funded genesis accounts, two that
// start empty, and the fixed proposer. Every balance in the chain lives in
// one of these or the curve inventory, so conservation can be summed.
var propActors = []types.Address{alice, bob, dave, whale, carol, fill(0x17), proposer}

var propNames = []string{"alpha", "beta", "gamma", "bob", "Bad!", "ab"}

// pTx is a generated transaction before its nonce is resolved against the
// sender's account.
type pTx struct {
	Kind       uint8 // 0-6 transfer, 7-8 claim, 9 an inactive type
	From, To   uint8
	Amount     uint64
	BTC        bool
	NonceDelta int8 // added to the sender's current nonce
	GasExtra   int8 // added to the intrinsic gas (negative: too low)
	TipCap     uint64
	FeeCap     uint64
	Name       uint8
}

type pBlock struct {
	Proposer uint8
	BaseFee  uint64
	Txs      []pTx
}

func genPTx() gopter.Gen {
	return gen.Struct(reflect.TypeOf(pTx{}), map[string]gopter.Gen{
		"Kind": gen.UInt8Range(0, 9),
		"From": gen.UInt8Range(0, uint8(len(propActors)-1)),
		"To":   gen.UInt8Range(0, uint8(len(propActors)-1)),
		"Amount": gen.Weighted([]gen.WeightedGen{
			{Weight: 6, Gen: gen.UInt64Range(0, 1_000)},
			{Weight: 3, Gen: gen.UInt64Range(0, 6*orama)},
			{Weight: 1, Gen: gen.UInt64()},
		}),
		"BTC": gen.Bool(),
		"NonceDelta": gen.Weighted([]gen.WeightedGen{
			{Weight: 8, Gen: gen.Const(int8(0))},
			{Weight: 1, Gen: gen.Const(int8(1))},
			{Weight: 1, Gen: gen.Const(int8(-1))},
		}),
		"GasExtra": gen.Weighted([]gen.WeightedGen{
			{Weight: 7, Gen: gen.Const(int8(0))},
			{Weight: 2, Gen: gen.Int8Range(1, 100)},
			{Weight: 1, Gen: gen.Const(int8(-1))},
		}),
		"TipCap": gen.UInt64Range(0, 30),
		"FeeCap": gen.Weighted([]gen.WeightedGen{
			{Weight: 3, Gen: gen.UInt64Range(100, 130)}, // never below the base fee
			{Weight: 1, Gen: gen.UInt64Range(0, 120)},
		}),
		"Name": gen.UInt8Range(0, uint8(len(propNames)-1)),
	})
}

func genPBlocks() gopter.Gen {
	return gen.SliceOfN(6, gen.Struct(reflect.TypeOf(pBlock{}), map[string]gopter.Gen{
		"Proposer": gen.UInt8Range(0, uint8(len(propActors)-1)),
		"BaseFee":  gen.UInt64Range(1, 100),
		"Txs":      gen.SliceOf(genPTx()),
	}))
}

// resolve turns a generated transaction into a concrete one, reading the
// sender's nonce from st.
func (p pTx) resolve(st *state.State) (types.Transaction, error) {
	from := propActors[p.From]
	acc, err := st.Account(from)
	if err != nil {
		return types.Transaction{}, err
	}
	tx := types.Transaction{
		Type: types.TxTypeTransfer, From: from, To: propActors[p.To], Amount: p.Amount,
		Nonce: uint64(int64(acc.Nonce) + int64(p.NonceDelta)), GasTipCap: p.TipCap, GasFeeCap: p.FeeCap,
	}
	if p.BTC {
		tx.Asset = types.AssetBTC
	}
	switch {
	case p.Kind >= 9:
		tx.Type = types.TxTypeStake
	case p.Kind >= 7:
		tx.Type, tx.To, tx.Amount, tx.Asset = types.TxTypeClaimUsername, types.Address{}, 0, types.AssetOrama
		pl := types.ClaimUsernamePayload{Username: propNames[p.Name]}
		if tx.Data, err = pl.MarshalBorsh(); err != nil {
			return types.Transaction{}, err
		}
	}
	tx.GasLimit = uint64(int64(txrules.IntrinsicGas(&tx)) + int64(p.GasExtra))
	return tx, nil
}

// propGenesis is baseGenesis with BTC spread so that BTC transfers succeed
// and overflow.
func propGenesis() *types.Genesis {
	g := baseGenesis()
	g.Allocations[1].BTCBalance = 1_000
	return g
}

type replay struct {
	store *smt.MemStore
	root  types.Hash
}

func newReplay(g *types.Genesis) (*replay, error) {
	s := smt.NewMemStore()
	b, err := exec.GenesisBlock(s, g)
	if err != nil {
		return nil, err
	}
	return &replay{store: s, root: b.Header.StateRoot}, nil
}

func (r *replay) open() (*state.State, error) { return state.Open(r.store, r.root) }

// balances sums every ORAMA and BTC balance in the chain.
func (r *replay) balances() (rays, sats uint64, sup types.ChainSupply, err error) {
	st, err := r.open()
	if err != nil {
		return 0, 0, sup, err
	}
	for _, a := range append([]types.Address{exec.CurveAddress()}, propActors...) {
		acc, err := st.Account(a)
		if err != nil {
			return 0, 0, sup, err
		}
		rays += acc.OramaBalance
		sats += acc.BTCBalance // cannot wrap: the BTC total is fixed at genesis and fits
	}
	sup, err = st.Supply()
	return rays, sats, sup, err
}

// TestPropertyReplayDeterministicAndConserving replays random blocks (valid
// and invalid transactions mixed) on two fresh stores: every height must give
// the same state root, receipts root and receipts, and after every block the
// balances plus the burned fees must equal the minted supply, with the BTC
// total unchanged.
func TestPropertyReplayDeterministicAndConserving(t *testing.T) {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 120
	p.MaxSize = 25
	properties := gopter.NewProperties(p)
	g := propGenesis()
	var genesisSats uint64
	for _, a := range g.Allocations {
		genesisSats += a.BTCBalance
	}
	seen := map[types.TxStatus]int{}

	properties.Property("replays agree and conserve supply", prop.ForAll(func(blocks []pBlock) (bool, error) {
		a, err := newReplay(g)
		if err != nil {
			return false, err
		}
		b, err := newReplay(g)
		if err != nil {
			return false, err
		}
		for i, blk := range blocks {
			env := exec.Env{Height: uint64(i + 1), Proposer: propActors[blk.Proposer], BaseFee: blk.BaseFee}
			stA, err := a.open()
			if err != nil {
				return false, err
			}
			txs := make([]types.Transaction, len(blk.Txs))
			for j, ptx := range blk.Txs {
				if txs[j], err = ptx.resolve(stA); err != nil {
					return false, err
				}
			}
			resA, err := exec.Execute(stA, env, txs)
			if err != nil {
				return false, err
			}
			stB, err := b.open()
			if err != nil {
				return false, err
			}
			resB, err := exec.Execute(stB, env, append([]types.Transaction(nil), txs...))
			if err != nil {
				return false, err
			}
			a.root, b.root = resA.StateRoot, resB.StateRoot
			if resA.StateRoot != resB.StateRoot || resA.ReceiptsRoot != resB.ReceiptsRoot ||
				resA.TransactionsRoot != resB.TransactionsRoot || resA.GasUsed != resB.GasUsed {
				return false, fmt.Errorf("height %d: roots differ between replays", env.Height)
			}
			if !reflect.DeepEqual(resA.Receipts, resB.Receipts) {
				return false, fmt.Errorf("height %d: receipts differ between replays", env.Height)
			}
			var gas uint64
			for j, r := range resA.Receipts {
				seen[r.Status]++
				gas += r.GasUsed
				if r.Status != types.TxStatusSuccess && (r.GasUsed != 0 || r.FeeBurned != 0 || r.FeeTip != 0 || len(r.Events) != 0) {
					return false, fmt.Errorf("height %d tx %d: rejected (%v) but charged", env.Height, j, r.Status)
				}
			}
			if gas != resA.GasUsed || gas > params.BlockGasLimit {
				return false, fmt.Errorf("height %d: gas %d, block says %d", env.Height, gas, resA.GasUsed)
			}
			rays, sats, sup, err := a.balances()
			if err != nil {
				return false, err
			}
			if rays+sup.BurnedRays != sup.MintedRays {
				return false, fmt.Errorf("height %d: balances %d + burned %d != minted %d", env.Height, rays, sup.BurnedRays, sup.MintedRays)
			}
			if sats != genesisSats {
				return false, fmt.Errorf("height %d: BTC total %d, genesis %d", env.Height, sats, genesisSats)
			}
			if sup.MintedRays > params.SupplyCapRays || sup.CurveReceivedRays > params.CurveInventoryCapRays {
				return false, fmt.Errorf("height %d: supply %+v over a cap", env.Height, sup)
			}
		}
		return true, nil
	}, genPBlocks()))
	properties.TestingRun(t)

	// The generator must reach success and the main rejections, or the
	// property says little.
	for _, s := range []types.TxStatus{types.TxStatusSuccess, types.TxStatusBadNonce, types.TxStatusInsufficientBalance,
		types.TxStatusFeeCapBelowBaseFee, types.TxStatusGasLimitTooLow, types.TxStatusUnsupportedType, types.TxStatusUsernameTaken} {
		if seen[s] == 0 {
			t.Errorf("random blocks never produced %v (%v)", s, seen)
		}
	}
	t.Logf("statuses seen: %v", seen)
}
