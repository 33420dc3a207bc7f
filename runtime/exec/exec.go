// Package exec executes blocks against runtime/state: the transaction rules
// of spec/state.md, EIP-1559 fees, the block reward and its halving, and
// receipts with their Merkle roots.
//
// Execution is deterministic: integer arithmetic with overflow checks, no
// clock, no randomness, no map iteration in anything that reaches a hash.
// Signatures are not checked here: they are verified in parallel before a
// transaction reaches a block (runtime/mempool) or before a received block
// is executed. A transaction that breaks a rule gets a receipt with the
// reason and changes nothing; only storage failures are errors.
//
// It must never depend on consensus, networking, the mempool or the REST API.
package exec

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Env is the block context transactions execute in.
type Env struct {
	Height   uint64
	Proposer types.Address
	BaseFee  uint64
}

// Result is the outcome of executing a block's transactions.
type Result struct {
	Receipts         []types.Receipt
	GasUsed          uint64
	StateRoot        types.Hash
	TransactionsRoot types.Hash
	ReceiptsRoot     types.Hash
}

// rejection is a rule failure: a receipt status, never an error.
type rejection struct {
	status types.TxStatus
	err    error
}

func reject(status types.TxStatus, format string, a ...any) *rejection {
	return &rejection{status: status, err: fmt.Errorf(format, a...)}
}

// CurveAddress is params.CurveInventoryAddress, parsed.
func CurveAddress() types.Address {
	a, err := crypto.ParseAddress(params.CurveInventoryAddress)
	if err != nil {
		panic("exec: params.CurveInventoryAddress: " + err.Error()) // a broken spec constant
	}
	return a
}

// Execute runs txs in order, mints the block reward, commits the state as
// version env.Height and returns receipts and roots. The state must be at
// the parent block's root with nothing staged.
func Execute(st *state.State, env Env, txs []types.Transaction) (*Result, error) {
	res := &Result{Receipts: make([]types.Receipt, len(txs))}
	txHashes := make([]types.Hash, len(txs))
	for i := range txs {
		h, err := txs[i].Hash()
		if err != nil {
			return nil, fmt.Errorf("exec: tx %d: %w", i, err)
		}
		txHashes[i] = h
		rcpt, err := applyTx(st, env, &txs[i], params.BlockGasLimit-res.GasUsed)
		if err != nil {
			st.Discard()
			return nil, err
		}
		rcpt.TxHash = h
		res.Receipts[i] = rcpt
		res.GasUsed += rcpt.GasUsed
	}
	if err := mintReward(st, env); err != nil {
		st.Discard()
		return nil, err
	}
	root, err := st.Commit(env.Height)
	if err != nil {
		return nil, err
	}
	res.StateRoot = root
	res.TransactionsRoot = MerkleRoot(txHashes)
	rh := make([]types.Hash, len(res.Receipts))
	for i := range res.Receipts {
		if rh[i], err = res.Receipts[i].Hash(); err != nil {
			return nil, fmt.Errorf("exec: receipt %d: %w", i, err)
		}
	}
	res.ReceiptsRoot = MerkleRoot(rh)
	return res, nil
}

// applyTx applies one transaction or rejects it without touching st.
func applyTx(st *state.State, env Env, tx *types.Transaction, gasLeft uint64) (types.Receipt, error) {
	rcpt, rej, err := tryTx(st, env, tx, gasLeft)
	if err != nil {
		return types.Receipt{}, err
	}
	if rej != nil {
		return types.Receipt{Status: rej.status}, nil
	}
	return rcpt, nil
}

// plan is everything a successful transaction writes, computed before any
// write so that a rejection leaves state untouched.
type plan struct {
	accounts []types.Account
	username string
	supply   types.ChainSupply
}

func tryTx(st *state.State, env Env, tx *types.Transaction, gasLeft uint64) (types.Receipt, *rejection, error) {
	payload, err := txrules.CheckStatic(tx)
	if err != nil {
		return types.Receipt{}, &rejection{txrules.Status(err), err}, nil
	}
	tip, err := txrules.EffectiveTip(tx, env.BaseFee)
	if err != nil {
		return types.Receipt{}, &rejection{txrules.Status(err), err}, nil
	}
	sender, err := st.Account(tx.From)
	if err != nil {
		return types.Receipt{}, nil, err
	}
	if tx.Nonce != sender.Nonce {
		return types.Receipt{}, reject(types.TxStatusBadNonce, "nonce %d, account %d", tx.Nonce, sender.Nonce), nil
	}
	maxCost, err := txrules.MaxCost(tx)
	if err != nil {
		return types.Receipt{}, reject(types.TxStatusAmountOverflow, "%v", err), nil
	}
	if sender.OramaBalance < maxCost {
		return types.Receipt{}, reject(types.TxStatusInsufficientBalance, "needs %d rays, has %d", maxCost, sender.OramaBalance), nil
	}
	if tx.Type == types.TxTypeTransfer && tx.Asset == types.AssetBTC && sender.BTCBalance < tx.Amount {
		return types.Receipt{}, reject(types.TxStatusInsufficientBalance, "needs %d sats, has %d", tx.Amount, sender.BTCBalance), nil
	}
	gas := txrules.IntrinsicGas(tx)
	if gas > gasLeft {
		return types.Receipt{}, reject(types.TxStatusBlockGasExceeded, "needs %d gas, %d left", gas, gasLeft), nil
	}
	// Fees: gas x base fee burned, gas x tip to the proposer. Both fit: the
	// product with the (larger) fee cap was checked by MaxCost.
	burned, tipped := gas*env.BaseFee, gas*tip
	sup, err := st.Supply()
	if err != nil {
		return types.Receipt{}, nil, err
	}
	if sup.BurnedRays, err = txrules.Add(sup.BurnedRays, burned); err != nil {
		return types.Receipt{}, reject(types.TxStatusAmountOverflow, "burned total"), nil
	}
	sender.OramaBalance -= burned + tipped
	sender.Nonce++

	// The accounts this transaction writes, by address; later entries see
	// earlier ones (sender == recipient, proposer == sender). At most
	// sender, recipient and proposer: the capacity keeps get's pointers
	// valid, since append never reallocates.
	touched := make([]types.Account, 1, 3)
	touched[0] = sender
	get := func(a types.Address) (*types.Account, error) {
		for i := range touched {
			if touched[i].Address == a {
				return &touched[i], nil
			}
		}
		acc, err := st.Account(a)
		if err != nil {
			return nil, err
		}
		if len(touched) == cap(touched) {
			panic("exec: a transaction touches more accounts than planned")
		}
		touched = append(touched, acc)
		return &touched[len(touched)-1], nil
	}
	var events []types.Event
	p := plan{supply: sup}
	switch tx.Type {
	case types.TxTypeTransfer:
		from, err := get(tx.From)
		if err != nil {
			return types.Receipt{}, nil, err
		}
		to, err := get(tx.To)
		if err != nil {
			return types.Receipt{}, nil, err
		}
		// Debit before credit, so a self-transfer nets to zero.
		if tx.Asset == types.AssetOrama {
			from.OramaBalance -= tx.Amount
			if to.OramaBalance, err = txrules.Add(to.OramaBalance, tx.Amount); err != nil {
				return types.Receipt{}, reject(types.TxStatusAmountOverflow, "recipient ORAMA balance"), nil
			}
		} else {
			from.BTCBalance -= tx.Amount
			if to.BTCBalance, err = txrules.Add(to.BTCBalance, tx.Amount); err != nil {
				return types.Receipt{}, reject(types.TxStatusAmountOverflow, "recipient BTC balance"), nil
			}
		}
		ev := types.TransferEvent{From: tx.From, To: tx.To, Amount: tx.Amount, Asset: tx.Asset}
		data, _ := ev.MarshalBorsh()
		events = append(events, types.Event{Emitter: tx.From, Topic: "transfer", Data: data})
	case types.TxTypeClaimUsername:
		name := payload.(*types.ClaimUsernamePayload).Username // format checked by CheckStatic
		if sender.Username != "" {
			return types.Receipt{}, reject(types.TxStatusUsernameAlreadySet, "already @%s", sender.Username), nil
		}
		if _, taken, err := st.UsernameOwner(name); err != nil {
			return types.Receipt{}, nil, err
		} else if taken {
			return types.Receipt{}, reject(types.TxStatusUsernameTaken, "@%s is taken", name), nil
		}
		touched[0].Username = name
		p.username = name
		ev := types.UsernameClaimedEvent{Address: tx.From, Username: name}
		data, _ := ev.MarshalBorsh()
		events = append(events, types.Event{Emitter: tx.From, Topic: "username", Data: data})
	default:
		return types.Receipt{}, reject(types.TxStatusUnsupportedType, "%v", tx.Type), nil
	}
	if tipped > 0 {
		prop, err := get(env.Proposer)
		if err != nil {
			return types.Receipt{}, nil, err
		}
		if prop.OramaBalance, err = txrules.Add(prop.OramaBalance, tipped); err != nil {
			return types.Receipt{}, reject(types.TxStatusAmountOverflow, "proposer balance"), nil
		}
	}
	// Every check passed: write.
	p.accounts = touched
	for _, a := range p.accounts {
		st.SetAccount(a)
	}
	if p.username != "" {
		st.SetUsername(p.username, tx.From)
	}
	st.SetSupply(p.supply)
	return types.Receipt{
		Status:    types.TxStatusSuccess,
		GasUsed:   gas,
		FeeBurned: burned,
		FeeTip:    tipped,
		Events:    events,
	}, nil, nil
}

// BlockReward is the reward minted at height h (h >= 1) before the supply
// cap clamp: BlockRewardRays halved every HalvingIntervalBlocks.
func BlockReward(h uint64) uint64 {
	if h == 0 {
		return 0
	}
	halvings := (h - 1) / params.HalvingIntervalBlocks
	if halvings >= 64 {
		return 0
	}
	return params.BlockRewardRays >> halvings
}

// mintReward credits the block reward to the proposer and the bonding-curve
// inventory, never exceeding the supply cap.
func mintReward(st *state.State, env Env) error {
	reward := BlockReward(env.Height)
	if reward == 0 {
		return nil
	}
	sup, err := st.Supply()
	if err != nil {
		return err
	}
	if sup.MintedRays > params.SupplyCapRays {
		return errors.New("exec: minted supply above the cap: state is corrupt")
	}
	reward = min(reward, params.SupplyCapRays-sup.MintedRays)
	if reward == 0 {
		return nil
	}
	var curve uint64
	if sup.CurveReceivedRays < params.CurveInventoryCapRays {
		curve = min(reward*params.CurveRewardPercent/100, params.CurveInventoryCapRays-sup.CurveReceivedRays)
	}
	credit := func(a types.Address, amount uint64) error {
		acc, err := st.Account(a)
		if err != nil {
			return err
		}
		// Cannot overflow: every balance is part of minted supply <= cap < 2^64.
		acc.OramaBalance += amount
		st.SetAccount(acc)
		return nil
	}
	if curve > 0 {
		if err := credit(CurveAddress(), curve); err != nil {
			return err
		}
	}
	if err := credit(env.Proposer, reward-curve); err != nil {
		return err
	}
	sup.MintedRays += reward
	sup.CurveReceivedRays += curve
	st.SetSupply(sup)
	return nil
}
