package exec_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
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

// pTx is a generated candidate transaction before its nonce is resolved
// against the sender's account in the block being built.
type pTx struct {
	Kind       uint8 // 0-6 transfer, 7-8 claim, 9 an inactive type
	From, To   uint8
	Amount     uint64
	BTC        bool
	NonceDelta int8  // added to the sender's current nonce
	GasMode    uint8 // 0 exact, 1 extra, 2 one below intrinsic, 3 above the block limit
	GasExtra   uint8
	TipCap     uint64
	FeeCap     uint64
	Name       uint8
}

// pBlock is a generated block: its candidates, and a non-includable
// transaction to insert into the built block at BadPos (mod its length + 1).
type pBlock struct {
	Proposer uint8
	BaseFee  uint64
	Txs      []pTx
	BadKind  uint8
	BadPos   uint16
	BadFrom  uint8
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
			{Weight: 12, Gen: gen.Const(int8(0))},
			{Weight: 1, Gen: gen.Const(int8(1))},
			{Weight: 1, Gen: gen.Const(int8(-1))},
		}),
		"GasMode": gen.Weighted([]gen.WeightedGen{
			{Weight: 14, Gen: gen.Const(uint8(0))},
			{Weight: 3, Gen: gen.Const(uint8(1))},
			{Weight: 1, Gen: gen.Const(uint8(2))},
			{Weight: 1, Gen: gen.Const(uint8(3))},
		}),
		"GasExtra": gen.UInt8Range(1, 100),
		"TipCap":   gen.UInt64Range(0, 30),
		"FeeCap": gen.Weighted([]gen.WeightedGen{
			{Weight: 12, Gen: gen.UInt64Range(100, 130)}, // never below the base fee
			{Weight: 3, Gen: gen.UInt64Range(0, 120)},
			{Weight: 1, Gen: gen.Const(uint64(1) << 62)}, // gas limit x fee cap overflows
		}),
		"Name": gen.UInt8Range(0, uint8(len(propNames)-1)),
	})
}

func genPBlocks() gopter.Gen {
	return gen.SliceOfN(6, gen.Struct(reflect.TypeOf(pBlock{}), map[string]gopter.Gen{
		"Proposer": gen.UInt8Range(0, uint8(len(propActors)-1)),
		"BaseFee":  gen.UInt64Range(1, 100),
		"Txs":      gen.SliceOf(genPTx()),
		"BadKind":  gen.UInt8Range(0, 5),
		"BadPos":   gen.UInt16(),
		"BadFrom":  gen.UInt8Range(0, uint8(len(propActors)-1)),
	}))
}

// resolve turns a generated transaction into a concrete one, reading the
// sender's nonce from st (the block being built: staged changes included).
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
	tx.GasLimit = txrules.IntrinsicGas(&tx)
	switch p.GasMode {
	case 1:
		tx.GasLimit += uint64(p.GasExtra)
	case 2:
		tx.GasLimit--
	case 3:
		tx.GasLimit = params.BlockGasLimit + uint64(p.GasExtra)
	}
	return tx, nil
}

// badTx returns a transaction that is not includable at position pos of
// the block txs (executed at env from the parent state st), and the
// reason it must be refused for.
func (blk pBlock) badTx(st *state.State, env exec.Env, txs []types.Transaction, pos int) (types.Transaction, types.TxStatus, error) {
	from := propActors[blk.BadFrom]
	// The sender's nonce at pos: the parent's plus its transactions before pos.
	acc, err := st.Account(from)
	if err != nil {
		return types.Transaction{}, 0, err
	}
	nonce := acc.Nonce
	for _, tx := range txs[:pos] {
		if tx.From == from {
			nonce++
		}
	}
	tx := types.Transaction{
		Type: types.TxTypeTransfer, From: from, To: bob, Amount: 1, Nonce: nonce,
		GasLimit: transferGas, GasTipCap: 0, GasFeeCap: env.BaseFee,
	}
	switch kind := blk.BadKind; {
	case kind == 0 && pos > 0:
		// The same bytes as an earlier transaction of the block.
		return txs[int(blk.BadPos)%pos], types.TxStatusBadNonce, nil
	case kind <= 1:
		tx.Nonce += 1 + uint64(blk.BadPos)
		return tx, types.TxStatusBadNonce, nil
	case kind == 2:
		tx.GasFeeCap = env.BaseFee - 1 // base fees are >= 1
		return tx, types.TxStatusFeeCapBelowBaseFee, nil
	case kind == 3:
		tx.GasLimit = transferGas - 1
		return tx, types.TxStatusGasLimitTooLow, nil
	case kind == 4:
		tx.GasTipCap = tx.GasFeeCap + 1
		return tx, types.TxStatusTipAboveFeeCap, nil
	default:
		tx.GasLimit = params.BlockGasLimit + 1
		return tx, types.TxStatusBlockGasExceeded, nil
	}
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

func sameResults(a, b *exec.Result) error {
	if a.StateRoot != b.StateRoot || a.ReceiptsRoot != b.ReceiptsRoot ||
		a.TransactionsRoot != b.TransactionsRoot || a.GasUsed != b.GasUsed {
		return errors.New("roots or gas differ")
	}
	if !reflect.DeepEqual(a.Receipts, b.Receipts) {
		return errors.New("receipts differ")
	}
	return nil
}

// TestPropertyBuiltBlocksAreAccepted replays random chains of blocks. Each
// block is BUILT the way a proposer builds one: every candidate (valid,
// failing or not includable, mixed) is tried with Block.Apply and left out
// if refused. Then, on a second store (a validator):
//
//   - the built block with one non-includable transaction inserted at a
//     random place (a duplicate of an earlier one, a nonce ahead, a fee cap
//     below the base fee, a gas limit below the intrinsic gas or above the
//     block's, a tip above the fee cap) is refused by Execute with
//     ErrNotIncludable, the expected reason and index;
//   - the built block itself is then accepted by Execute on the same State
//     (so the refusal left nothing staged), with the same roots, gas and
//     receipts as the proposer's: proposers and validators agree;
//   - every receipt pays its intrinsic gas at the base fee plus the
//     effective tip, failed or not, and the block's gas is their sum;
//   - balances plus burned fees equal the minted supply, and the BTC total
//     is the genesis total.
//
// The run must produce Success, at least 4 failure statuses and at least 4
// refusal reasons, or it says little.
func TestPropertyBuiltBlocksAreAccepted(t *testing.T) {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 150
	p.MaxSize = 30
	properties := gopter.NewProperties(p)
	g := propGenesis()
	var genesisSats uint64
	for _, a := range g.Allocations {
		genesisSats += a.BTCBalance
	}
	statuses := map[types.TxStatus]int{} // receipts of built blocks
	refusals := map[types.TxStatus]int{} // candidates Block.Apply refused
	inserted := map[types.TxStatus]int{} // inserted transactions Execute refused

	properties.Property("built blocks are accepted, with a bad transaction refused", prop.ForAll(func(blocks []pBlock) (bool, error) {
		proposerChain, err := newReplay(g)
		if err != nil {
			return false, err
		}
		validator, err := newReplay(g)
		if err != nil {
			return false, err
		}
		for i, blk := range blocks {
			env := exec.Env{Height: uint64(i + 1), Proposer: propActors[blk.Proposer], BaseFee: blk.BaseFee}

			// The proposer builds the block.
			stP, err := proposerChain.open()
			if err != nil {
				return false, err
			}
			b := exec.Begin(stP, env, len(blk.Txs))
			var included []types.Transaction
			for j, ptx := range blk.Txs {
				tx, err := ptx.resolve(stP)
				if err != nil {
					return false, err
				}
				lenBefore, leftBefore := b.Len(), b.GasLeft()
				r, err := b.Apply(&tx)
				var ne *exec.NotIncludableError
				switch {
				case errors.As(err, &ne):
					if !errors.Is(err, exec.ErrNotIncludable) || b.Len() != lenBefore || b.GasLeft() != leftBefore {
						return false, fmt.Errorf("height %d candidate %d: refusal %v moved the block", env.Height, j, err)
					}
					refusals[ne.Status]++
					continue
				case err != nil:
					return false, err
				}
				if r.TxHash != txHash(t, tx) || b.GasLeft() != leftBefore-r.GasUsed {
					return false, fmt.Errorf("height %d candidate %d: receipt %+v, gas left %d", env.Height, j, r, b.GasLeft())
				}
				included = append(included, tx)
			}
			built, err := b.Finish()
			if err != nil {
				return false, err
			}
			proposerChain.root = built.StateRoot

			// The validator: first the block with a bad transaction inserted.
			stV, err := validator.open()
			if err != nil {
				return false, err
			}
			parent, err := validator.open()
			if err != nil {
				return false, err
			}
			pos := int(blk.BadPos) % (len(included) + 1)
			bad, wantStatus, err := blk.badTx(parent, env, included, pos)
			if err != nil {
				return false, err
			}
			withBad := append(append(append([]types.Transaction{}, included[:pos]...), bad), included[pos:]...)
			if _, err := exec.Execute(stV, env, withBad); err == nil {
				return false, fmt.Errorf("height %d: block with %+v inserted at %d accepted", env.Height, bad, pos)
			} else {
				var ne *exec.NotIncludableError
				if !errors.Is(err, exec.ErrNotIncludable) || !errors.As(err, &ne) {
					return false, fmt.Errorf("height %d: inserted tx: %v is not a refusal", env.Height, err)
				}
				if ne.Status != wantStatus || !strings.Contains(err.Error(), fmt.Sprintf("transaction %d:", pos)) {
					return false, fmt.Errorf("height %d: inserted tx at %d: %v, want %v", env.Height, pos, err, wantStatus)
				}
				inserted[ne.Status]++
			}
			if stV.Root() != validator.root {
				return false, fmt.Errorf("height %d: a refused block moved the root", env.Height)
			}

			// Then the built block, on the same State.
			res, err := exec.Execute(stV, env, included)
			if err != nil {
				return false, fmt.Errorf("height %d: the built block is refused: %w", env.Height, err)
			}
			validator.root = res.StateRoot
			if err := sameResults(res, built); err != nil {
				return false, fmt.Errorf("height %d: validator and proposer disagree: %w", env.Height, err)
			}

			var gas uint64
			for j, r := range res.Receipts {
				statuses[r.Status]++
				tx := included[j]
				ig := txrules.IntrinsicGas(&tx)
				tip := min(tx.GasTipCap, tx.GasFeeCap-env.BaseFee)
				if r.GasUsed != ig || r.FeeBurned != ig*env.BaseFee || r.FeeTip != ig*tip {
					return false, fmt.Errorf("height %d tx %d (%v): gas %d burned %d tip %d, want %d %d %d",
						env.Height, j, r.Status, r.GasUsed, r.FeeBurned, r.FeeTip, ig, ig*env.BaseFee, ig*tip)
				}
				if (r.Status == types.TxStatusSuccess) != (len(r.Events) == 1) {
					return false, fmt.Errorf("height %d tx %d: %v with %d events", env.Height, j, r.Status, len(r.Events))
				}
				gas += r.GasUsed
			}
			if gas != res.GasUsed || gas > params.BlockGasLimit {
				return false, fmt.Errorf("height %d: gas %d, block says %d", env.Height, gas, res.GasUsed)
			}
			rays, sats, sup, err := validator.balances()
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

	if statuses[types.TxStatusSuccess] == 0 {
		t.Errorf("no built block had a successful transaction (%v)", statuses)
	}
	if n := len(statuses) - min(statuses[types.TxStatusSuccess], 1); n < 4 {
		t.Errorf("built blocks had %d failure statuses, want at least 4: %v", n, statuses)
	}
	if len(refusals) < 4 {
		t.Errorf("Block.Apply refused for %d reasons, want at least 4: %v", len(refusals), refusals)
	}
	if len(inserted) < 4 {
		t.Errorf("inserted transactions refused for %d reasons, want at least 4: %v", len(inserted), inserted)
	}
	t.Logf("receipt statuses: %v", statuses)
	t.Logf("candidates refused: %v", refusals)
	t.Logf("inserted refused: %v", inserted)
}
