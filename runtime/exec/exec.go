// Package exec executes blocks against runtime/state: the transaction rules
// of spec/state.md, EIP-1559 fees, the block reward and its halving, and
// receipts with their Merkle roots.
//
// Execution is deterministic: integer arithmetic with overflow checks, no
// clock, no randomness, no map iteration in anything that reaches a hash.
// Signatures are not checked here: they are verified in parallel before a
// transaction reaches a block (runtime/mempool) or before a received block
// is executed. A transaction is either not includable (the block holding
// it is invalid: ErrNotIncludable) or it pays its fee and uses its nonce,
// and then succeeds or fails with a receipt status saying why.
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
	// Validators is the active validator set the block executes under,
	// distinct addresses: the pool namespaces are placed on
	// (spec/namespaces.md 9). While staking is inactive (DECISIONS.md D10)
	// it is the genesis validators (ValidatorAddresses).
	Validators []types.Address
}

// ValidatorAddresses is the addresses of vs, in their order: Env.Validators
// of a chain whose validator set is vs (its genesis set).
func ValidatorAddresses(vs []types.Validator) []types.Address {
	out := make([]types.Address, len(vs))
	for i := range vs {
		out[i] = vs[i].Address
	}
	return out
}

// Result is the outcome of executing a block's transactions.
type Result struct {
	Receipts         []types.Receipt
	GasUsed          uint64
	StateRoot        types.Hash
	TransactionsRoot types.Hash
	ReceiptsRoot     types.Hash
}

// ErrNotIncludable reports a transaction that breaks an includability rule
// of spec/state.md at its place in a block: a block containing it is
// invalid. Test with errors.Is; errors.As to *NotIncludableError gives the
// reason.
var ErrNotIncludable = errors.New("exec: transaction not includable")

// NotIncludableError is a transaction that may not be in a block at its
// place. Status names the rule (a TxStatus, never in a receipt).
type NotIncludableError struct {
	Status types.TxStatus
	Err    error
}

func (e *NotIncludableError) Error() string {
	return fmt.Sprintf("%v (%v): %v", ErrNotIncludable, e.Status, e.Err)
}

func (e *NotIncludableError) Unwrap() []error { return []error{ErrNotIncludable, e.Err} }

func notIncludable(status types.TxStatus, format string, a ...any) *NotIncludableError {
	return &NotIncludableError{Status: status, Err: fmt.Errorf(format, a...)}
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
// the parent block's root with nothing staged. A transaction that is not
// includable at its place makes the block invalid: Execute discards every
// staged change and returns an error wrapping ErrNotIncludable.
func Execute(st *state.State, env Env, txs []types.Transaction) (*Result, error) {
	b := Begin(st, env, len(txs))
	for i := range txs {
		if _, err := b.Apply(&txs[i]); err != nil {
			b.Abort()
			return nil, fmt.Errorf("exec: transaction %d: %w", i, err)
		}
	}
	return b.Finish()
}

// Block executes one block a transaction at a time. Proposers use it to
// build a block (a transaction Apply refuses is left out, and the state is
// as if it had never been tried); Execute uses it to check one.
type Block struct {
	st       *state.State
	env      Env
	receipts []types.Receipt
	hashes   []types.Hash
	gasUsed  uint64
}

// Begin starts a block on st, which must be at the parent block's root
// with nothing staged. sizeHint is the expected number of transactions.
func Begin(st *state.State, env Env, sizeHint int) *Block {
	return &Block{
		st:       st,
		env:      env,
		receipts: make([]types.Receipt, 0, sizeHint),
		hashes:   make([]types.Hash, 0, sizeHint),
	}
}

// GasLeft is the block gas not yet used: a transaction whose gas limit is
// above it is not includable.
func (b *Block) GasLeft() uint64 { return params.BlockGasLimit - b.gasUsed }

// Len is the number of transactions applied.
func (b *Block) Len() int { return len(b.receipts) }

// Apply executes tx as the block's next transaction and returns its
// receipt: Success, or an execution failure that charged the fee and used
// the nonce. A transaction that is not includable here returns a
// *NotIncludableError and changes nothing; other errors are storage
// failures.
func (b *Block) Apply(tx *types.Transaction) (types.Receipt, error) {
	h, err := tx.Hash()
	if err != nil {
		return types.Receipt{}, notIncludable(types.TxStatusInvalidPayload, "encode: %v", err)
	}
	return b.ApplyHashed(tx, h)
}

// ApplyHashed is Apply for a caller that has computed h = tx.Hash() already
// (a producer checking the hash against its ancestors' transactions): the
// hash goes into the receipt, so it must be exactly that.
func (b *Block) ApplyHashed(tx *types.Transaction, h types.Hash) (types.Receipt, error) {
	rcpt, err := applyTx(b.st, b.env, tx, b.GasLeft())
	if err != nil {
		return types.Receipt{}, err
	}
	rcpt.TxHash = h
	b.receipts = append(b.receipts, rcpt)
	b.hashes = append(b.hashes, h)
	b.gasUsed += rcpt.GasUsed
	return rcpt, nil
}

// Abort discards everything the block staged.
func (b *Block) Abort() { b.st.Discard() }

// Finish mints the block reward, commits the state as version env.Height
// and returns the receipts and roots.
func (b *Block) Finish() (*Result, error) {
	if err := mintReward(b.st, b.env); err != nil {
		b.st.Discard()
		return nil, err
	}
	root, err := b.st.Commit(b.env.Height)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Receipts:         b.receipts,
		GasUsed:          b.gasUsed,
		StateRoot:        root,
		TransactionsRoot: MerkleRoot(b.hashes),
	}
	rh := make([]types.Hash, len(res.Receipts))
	for i := range res.Receipts {
		if rh[i], err = res.Receipts[i].Hash(); err != nil {
			return nil, fmt.Errorf("exec: receipt %d: %w", i, err)
		}
	}
	res.ReceiptsRoot = MerkleRoot(rh)
	return res, nil
}

// checkIncludable applies the includability rules of spec/state.md that
// read the transaction alone and the block context (every rule but the
// signature, the nonce and the sender's balance): gas limit covers the
// intrinsic gas and fits in gasLeft, tip cap <= fee cap, fee cap >= base
// fee. It returns the effective tip per gas.
func checkIncludable(tx *types.Transaction, baseFee, gasLeft uint64) (uint64, *NotIncludableError) {
	if g := txrules.IntrinsicGas(tx); tx.GasLimit < g {
		return 0, notIncludable(types.TxStatusGasLimitTooLow, "gas limit %d, needs %d", tx.GasLimit, g)
	}
	if tx.GasLimit > gasLeft {
		return 0, notIncludable(types.TxStatusBlockGasExceeded, "gas limit %d, block gas left %d", tx.GasLimit, gasLeft)
	}
	if tx.GasTipCap > tx.GasFeeCap {
		return 0, notIncludable(types.TxStatusTipAboveFeeCap, "tip cap %d above fee cap %d", tx.GasTipCap, tx.GasFeeCap)
	}
	tip, err := txrules.EffectiveTip(tx, baseFee)
	if err != nil {
		return 0, notIncludable(types.TxStatusFeeCapBelowBaseFee, "%v", err)
	}
	return tip, nil
}

// accounts are the accounts one transaction writes, by address; later
// reads see earlier writes (sender == recipient, proposer == sender). At
// most sender, recipient and proposer.
type accounts struct {
	st   *state.State
	list [3]types.Account
	n    int
}

func (a *accounts) get(addr types.Address) (*types.Account, error) {
	for i := range a.n {
		if a.list[i].Address == addr {
			return &a.list[i], nil
		}
	}
	acc, err := a.st.Account(addr)
	if err != nil {
		return nil, err
	}
	if a.n == len(a.list) {
		panic("exec: a transaction touches more accounts than planned")
	}
	a.list[a.n] = acc
	a.n++
	return &a.list[a.n-1], nil
}

// applyTx applies one includable transaction: the fee and the nonce
// always, the type's effects only if its rules hold. It returns a
// *NotIncludableError, touching nothing, if tx is not includable.
func applyTx(st *state.State, env Env, tx *types.Transaction, gasLeft uint64) (types.Receipt, error) {
	tip, nerr := checkIncludable(tx, env.BaseFee, gasLeft)
	if nerr != nil {
		return types.Receipt{}, nerr
	}
	fees := accounts{st: st}
	sender, err := fees.get(tx.From)
	if err != nil {
		return types.Receipt{}, err
	}
	if tx.Nonce != sender.Nonce {
		return types.Receipt{}, notIncludable(types.TxStatusBadNonce, "nonce %d, account %d", tx.Nonce, sender.Nonce)
	}
	maxFee, err := txrules.Mul(tx.GasLimit, tx.GasFeeCap)
	if err != nil {
		return types.Receipt{}, notIncludable(types.TxStatusAmountOverflow, "gas limit x fee cap: %v", err)
	}
	if sender.OramaBalance < maxFee {
		return types.Receipt{}, notIncludable(types.TxStatusInsufficientBalance, "gas limit x fee cap is %d rays, has %d", maxFee, sender.OramaBalance)
	}

	// Includable: the fee is charged and the nonce used whatever follows.
	// gas <= gas limit and base fee + tip <= fee cap, so both products are
	// at most maxFee: no overflow.
	gas := txrules.IntrinsicGas(tx)
	burned, tipped := gas*env.BaseFee, gas*tip
	sender.OramaBalance -= burned + tipped
	sender.Nonce++
	sup, err := st.Supply()
	if err != nil {
		return types.Receipt{}, err
	}
	// Burned and tips are parts of the minted supply (<= SupplyCapRays <
	// 2^64), so these sums cannot overflow in a state that is not corrupt.
	if sup.BurnedRays, err = txrules.Add(sup.BurnedRays, burned); err != nil {
		return types.Receipt{}, fmt.Errorf("exec: burned total overflows: state is corrupt")
	}
	if tipped > 0 {
		prop, err := fees.get(env.Proposer)
		if err != nil {
			return types.Receipt{}, err
		}
		if prop.OramaBalance, err = txrules.Add(prop.OramaBalance, tipped); err != nil {
			return types.Receipt{}, fmt.Errorf("exec: proposer balance overflows: state is corrupt")
		}
	}
	rcpt := types.Receipt{Status: types.TxStatusSuccess, GasUsed: gas, FeeBurned: burned, FeeTip: tipped}

	// The type's effects, on a copy: a failure keeps only the fee.
	eff := fees
	fx, events, status, err := applyType(&eff, env, tx)
	if err != nil {
		return types.Receipt{}, err
	}
	written := &eff
	if status != types.TxStatusSuccess {
		rcpt.Status = status
		written = &fees
		fx = effects{}
		if deviationNoCharge { // a conformance negative control only: deviation_nocharge.go
			sender.OramaBalance += burned + tipped
		}
	} else {
		rcpt.Events = events
	}
	for i := range written.n {
		st.SetAccount(written.list[i])
	}
	fx.write(st, tx.From)
	st.SetSupply(sup)
	return rcpt, nil
}

// effects are a successful transaction's writes beyond accounts.
type effects struct {
	username  string                 // claimed by the sender
	namespace *types.NamespaceRecord // created
	deleted   string                 // namespace deleted
	nodes     []nodeSlots            // node slot lists changed, in placement order
}

// nodeSlots is one node's slot list after a namespace create or delete.
type nodeSlots struct {
	node  types.Address
	slots types.NodeNamespaces
}

func (fx *effects) write(st *state.State, from types.Address) {
	if fx.username != "" {
		st.SetUsername(fx.username, from)
	}
	if fx.namespace != nil {
		st.SetNamespace(*fx.namespace)
	}
	if fx.deleted != "" {
		st.DeleteNamespace(fx.deleted)
	}
	for _, n := range fx.nodes {
		st.SetNodeNamespaces(n.node, n.slots)
	}
}

// applyType applies the rules and effects of tx's type to acc, whose
// sender has paid the fee. It returns the writes beyond accounts and the
// events with Success, or the status of the execution failure that voids
// them; errors are storage failures.
func applyType(acc *accounts, env Env, tx *types.Transaction) (effects, []types.Event, types.TxStatus, error) {
	const ok = types.TxStatusSuccess
	payload, err := txrules.CheckType(tx)
	if err != nil {
		return effects{}, nil, txrules.Status(err), nil
	}
	switch tx.Type {
	case types.TxTypeTransfer:
		from, err := acc.get(tx.From)
		if err != nil {
			return effects{}, nil, ok, err
		}
		// Debit before credit, so a self-transfer nets to zero.
		if tx.Asset == types.AssetOrama {
			if from.OramaBalance < tx.Amount {
				return effects{}, nil, types.TxStatusInsufficientBalance, nil
			}
			from.OramaBalance -= tx.Amount
		} else {
			if from.BTCBalance < tx.Amount {
				return effects{}, nil, types.TxStatusInsufficientBalance, nil
			}
			from.BTCBalance -= tx.Amount
		}
		to, err := acc.get(tx.To)
		if err != nil {
			return effects{}, nil, ok, err
		}
		if tx.Asset == types.AssetOrama {
			if to.OramaBalance, err = txrules.Add(to.OramaBalance, tx.Amount); err != nil {
				return effects{}, nil, types.TxStatusAmountOverflow, nil
			}
		} else if to.BTCBalance, err = txrules.Add(to.BTCBalance, tx.Amount); err != nil {
			return effects{}, nil, types.TxStatusAmountOverflow, nil
		}
		ev := types.TransferEvent{From: tx.From, To: tx.To, Amount: tx.Amount, Asset: tx.Asset}
		data, _ := ev.MarshalBorsh()
		return effects{}, []types.Event{{Emitter: tx.From, Topic: "transfer", Data: data}}, ok, nil
	case types.TxTypeClaimUsername:
		name := payload.(*types.ClaimUsernamePayload).Username // format checked by CheckType
		sender, err := acc.get(tx.From)
		if err != nil {
			return effects{}, nil, ok, err
		}
		if sender.Username != "" {
			return effects{}, nil, types.TxStatusUsernameAlreadySet, nil
		}
		if _, taken, err := acc.st.UsernameOwner(name); err != nil {
			return effects{}, nil, ok, err
		} else if taken {
			return effects{}, nil, types.TxStatusUsernameTaken, nil
		}
		sender.Username = name
		ev := types.UsernameClaimedEvent{Address: tx.From, Username: name}
		data, _ := ev.MarshalBorsh()
		return effects{username: name}, []types.Event{{Emitter: tx.From, Topic: "username", Data: data}}, ok, nil
	case types.TxTypeNamespaceCreate:
		return createNamespace(acc.st, env, tx.From, payload.(*types.NamespaceCreatePayload))
	case types.TxTypeNamespaceDelete:
		return deleteNamespace(acc.st, tx.From, payload.(*types.NamespaceDeletePayload).Name)
	}
	// CheckType refuses every inactive type.
	return effects{}, nil, types.TxStatusUnsupportedType, nil
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
