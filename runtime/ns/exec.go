package ns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"sort"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// Errors of execution that are not outcomes: the request is not logged.
var (
	// ErrStaleNonce: the request's nonce is not the signer's next one at the
	// head the executor runs at (another request of the signer went first).
	ErrStaleNonce = errors.New("ns: nonce is not the signer's next")
	// ErrHostFailure: a store or engine failed; the batch must be retried.
	ErrHostFailure = errors.New("ns: host failure")
)

// Machine is a namespace's state machine on one node: the committed state
// at head, plus one open batch of executed entries not yet committed. It is
// not safe for concurrent use; the executor and the follower serialise.
type Machine struct {
	meta      types.NamespaceMeta
	chainID   uint64
	authority types.Address
	vm        *vm.VM
	kv        smt.Store
	db        Replica
	storage   Blobs

	// compiled keeps the VM's contract of each code hash run so far (the
	// VM's own cache is keyed by hashing the whole module again).
	compiled map[types.Hash]*vm.Contract

	head  head // committed
	bhead head // after the batch's last entry
	batch *overlay
	nodes *bufStore      // tree nodes written by the batch
	pages *smt.PageCache // decoded pages shared by the trees' commits
	inTx  bool
}

// MachineConfig is what a Machine is made of.
type MachineConfig struct {
	Meta      types.NamespaceMeta
	ChainID   uint64
	Authority types.Address // the deposit authority (namespaces.md 3.2)
	VM        *vm.VM        // with generated/host's modules
	KV        smt.Store     // the flat state and the trees
	DB        Replica
	Storage   Blobs
}

// GenesisHash is prev_hash of position 1: SHA-256("orama/ns/genesis" ||
// Borsh(meta)).
func GenesisHash(meta types.NamespaceMeta) (types.Hash, error) {
	b, err := meta.MarshalBorsh()
	if err != nil {
		return types.Hash{}, err
	}
	return sha256.Sum256(append([]byte("orama/ns/genesis"), b...)), nil
}

// NewMachine opens a namespace's state, creating its genesis (the meta leaf)
// in an empty store.
func NewMachine(cfg MachineConfig) (*Machine, error) {
	m := &Machine{meta: cfg.Meta, chainID: cfg.ChainID, authority: cfg.Authority, vm: cfg.VM,
		kv: cfg.KV, db: cfg.DB, storage: cfg.Storage, compiled: map[types.Hash]*vm.Contract{}}
	b := base{m.kv}
	hb, ok, err := b.get([]byte{kHead})
	if err != nil {
		return nil, err
	}
	if ok {
		if m.head, err = decodeHead(hb); err != nil {
			return nil, err
		}
		mb, _, err := b.get([]byte{kMeta})
		if err != nil {
			return nil, err
		}
		var stored types.NamespaceMeta
		if err := stored.UnmarshalBorsh(mb); err != nil {
			return nil, fmt.Errorf("ns: stored meta: %w", err)
		}
		if stored != cfg.Meta {
			return nil, fmt.Errorf("ns: store holds namespace %q (%s), not %q (%s)", stored.Name, stored.Tier, cfg.Meta.Name, cfg.Meta.Tier)
		}
	} else if err := m.genesis(); err != nil {
		return nil, err
	}
	m.bhead = m.head
	m.batch = newOverlay(b)
	// Commits read pages through the page cache (decoded, and mostly the
	// pages the previous entry's commit wrote); a byte cache of the store
	// under it cost more to fill on every write than it saved.
	m.nodes = newBufStore(m.kv)
	m.pages = smt.NewPageCache(0)
	return m, nil
}

func (m *Machine) tier1() bool { return m.meta.Tier == types.NamespaceTierTier1 }

func (m *Machine) genesis() error {
	mb, err := m.meta.MarshalBorsh()
	if err != nil {
		return err
	}
	gh, err := GenesisHash(m.meta)
	if err != nil {
		return err
	}
	m.head = head{Hash: gh}
	batch := m.kv.NewBatch()
	if m.tier1() {
		top, err := smt.Open(m.kv, smt.EmptyRoot, smt.WithNamespace(treeTop), smt.WithoutStaleRecords())
		if err != nil {
			batch.Discard()
			return err
		}
		if err := top.Update(topMeta, mb); err != nil {
			batch.Discard()
			return err
		}
		if m.head.Root, err = top.Commit(0); err != nil {
			batch.Discard()
			return err
		}
	}
	batch.Set([]byte{kMeta}, mb)
	batch.Set([]byte{kHead}, m.head.encode())
	return batch.Write()
}

// Head is the committed position, entry hash and root.
func (m *Machine) Head() (pos uint64, hash, root types.Hash) {
	return m.head.Position, m.head.Hash, m.head.Root
}

// Meta is the namespace's meta.
func (m *Machine) Meta() types.NamespaceMeta { return m.meta }

// Reader gives the committed state for the API (accounts, contract state,
// blobs, code).
func (m *Machine) Reader() StateReader { return StateReader{r: base{m.kv}, storage: m.storage} }

// begin opens a batch if none is open.
func (m *Machine) begin() error {
	if m.inTx {
		return nil
	}
	if err := m.db.Begin(); err != nil {
		return fmt.Errorf("%w: sql begin: %w", ErrHostFailure, err)
	}
	m.inTx = true
	return nil
}

// Rollback drops the open batch: the replica, the overlay and the buffered
// tree nodes return to the committed head.
func (m *Machine) Rollback() {
	if m.inTx {
		m.db.Rollback()
		m.db.TakeWrites() // forget what the hook saw
	}
	m.inTx = false
	m.batch = newOverlay(base{m.kv})
	m.nodes.discard()
	m.bhead = m.head
}

// Pending is the number of entries executed in the open batch.
func (m *Machine) Pending() uint64 { return m.bhead.Position - m.head.Position }

// Commit commits the open batch: objects to the storage engine, then the
// replica (its transaction holds whatever the caller appended with
// HostExec: the embedded TxLog rows), then the key-value store with the new
// head in one batch. The log row is the commit point (namespaces.md 5.4).
func (m *Machine) Commit(ctx context.Context) error {
	if !m.inTx {
		return nil
	}
	// Objects first: content addressed, so an object of a batch that then
	// fails is an orphan and harmless.
	cids := make([]string, 0, len(m.batch.blobs))
	for c := range m.batch.blobs {
		cids = append(cids, c)
	}
	sort.Strings(cids)
	for _, c := range cids {
		if _, err := m.storage.Put(ctx, m.batch.blobs[c]); err != nil {
			return fmt.Errorf("%w: storage: %w", ErrHostFailure, err)
		}
	}
	if err := m.db.Commit(); err != nil {
		return fmt.Errorf("%w: sql commit: %w", ErrHostFailure, err)
	}
	m.inTx = false
	// Tree nodes first, through the node cache (content addressed: an
	// orphan of a failed write is harmless), then the flat state and the
	// head in one batch.
	nb := m.nodes.under.NewBatch()
	if err := m.nodes.flush(nb); err != nil {
		nb.Discard()
		return err
	}
	if err := nb.Write(); err != nil {
		return fmt.Errorf("%w: store: %w", ErrHostFailure, err)
	}
	b := m.kv.NewBatch()
	if err := m.batch.flush(b); err != nil {
		b.Discard()
		return err
	}
	if err := b.Set([]byte{kHead}, m.bhead.encode()); err != nil {
		b.Discard()
		return err
	}
	if err := b.Write(); err != nil {
		return fmt.Errorf("%w: store: %w", ErrHostFailure, err)
	}
	m.head = m.bhead
	m.batch = newOverlay(base{m.kv})
	return nil
}

// Entry is what executing a submission gave, not yet committed.
type Entry struct {
	Log  types.TxLogEntry
	Hash types.Hash
	// Bytes is Borsh(Log).
	Bytes []byte
}

// Execute runs one submission as the entry after the batch's last, at the
// given chain height and timestamp, and adds it to the open batch. A
// returned error means nothing of it was applied: ErrStaleNonce (the
// request is not logged) or ErrHostFailure (roll back and retry).
func (m *Machine) Execute(ctx context.Context, sub *types.NamespaceSubmission, chainHeight, chainTS uint64) (*Entry, error) {
	if err := m.begin(); err != nil {
		return nil, err
	}
	if err := m.db.Savepoint("entry"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	e, err := m.execute(ctx, sub, chainHeight, chainTS)
	if err != nil {
		m.db.RollbackTo("entry")
		m.db.Release("entry")
		m.db.TakeWrites()
		return nil, err
	}
	if err := m.db.Release("entry"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	return e, nil
}

func (m *Machine) execute(ctx context.Context, sub *types.NamespaceSubmission, chainHeight, chainTS uint64) (*Entry, error) {
	req := &sub.Request
	pos := m.bhead.Position + 1
	eo, err := m.openEntry(req, chainTS)
	if err != nil {
		return nil, err
	}
	out, sqlw, err := m.apply(ctx, eo, sub, chainHeight, chainTS)
	if err != nil {
		return nil, err
	}
	e, err := m.finish(ctx, eo, sub, out, sqlw, pos, chainHeight, chainTS)
	if !errors.Is(err, errEntryLimits) {
		return e, err
	}
	// What the request did does not fit an entry's limits: it is recorded
	// as failed instead (limit_exceeded), its effects discarded as any
	// failed request's, so it cannot fail the requests batched with it
	// (namespaces.md 4). The nodes its trees wrote are left unreferenced.
	if err := m.db.RollbackTo("entry"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	m.db.TakeWrites()
	if eo, err = m.openEntry(req, chainTS); err != nil {
		return nil, err
	}
	over := types.NsOutcome{Status: types.NsStatusTrap, Trap: "limit_exceeded", GasUsed: out.GasUsed}
	e, err = m.finish(ctx, eo, sub, over, nil, pos, chainHeight, chainTS)
	if errors.Is(err, errEntryLimits) {
		return nil, fmt.Errorf("ns: entry at %d: a failed request's entry is over the limits: %w", pos, err)
	}
	return e, err
}

// errEntryLimits: an entry's encoding is over a list's maximum or
// MaxTxLogEntryBytes, or a tree value over smt.MaxValueSize.
var errEntryLimits = errors.New("ns: entry over its limits")

// openEntry opens an entry's overlay: the expired cache entries deleted, the
// signer's nonce checked and used.
func (m *Machine) openEntry(req *types.NamespaceRequest, chainTS uint64) (*overlay, error) {
	eo := newOverlay(m.batch)
	// Expired cache entries leave the state before the entry runs, at most
	// MaxExpiredCachePerEntry of them (the earliest); the rest read as
	// absent until a later entry deletes them (namespaces.md 5.1).
	expired, err := eo.expired(chainTS, params.MaxExpiredCachePerEntry)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	for _, e := range expired {
		eo.ch[string(e.key)] = nil
	}
	signer, _, err := eo.account(req.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if signer.Nonce != req.Nonce {
		return nil, fmt.Errorf("%w: %d, want %d", ErrStaleNonce, req.Nonce, signer.Nonce)
	}
	signer.Nonce++
	eo.accounts[req.Signer] = signer
	return eo, nil
}

// apply runs the request's kind on eo.
func (m *Machine) apply(ctx context.Context, eo *overlay, sub *types.NamespaceSubmission, chainHeight, chainTS uint64) (types.NsOutcome, []types.SQLWrite, error) {
	req := &sub.Request
	var out types.NsOutcome
	var sqlw []types.SQLWrite
	var err error
	payload := req.Kind.NewPayload()
	if err := payload.UnmarshalBorsh(req.Payload); err != nil {
		return out, nil, fmt.Errorf("ns: payload checked before ordering does not decode: %w", err)
	}
	switch p := payload.(type) {
	case *types.NsDeposit:
		out, err = m.deposit(eo, p)
	case *types.NsWithdraw:
		out = m.withdraw(eo, req.Signer, p)
	case *types.NsDeploy:
		out, sqlw, err = m.deploy(ctx, eo, req, p, sub.Module, chainHeight, chainTS)
	case *types.NsCall:
		out, sqlw, err = m.call(ctx, eo, req.Signer, p, chainHeight, chainTS)
	default:
		return out, nil, fmt.Errorf("ns: request kind %s has no executor", req.Kind)
	}
	return out, sqlw, err
}

// finish makes the entry of what eo holds: its write set, its trees and
// root, its encoding, and adds it to the batch. errEntryLimits if it does
// not fit.
func (m *Machine) finish(ctx context.Context, eo *overlay, sub *types.NamespaceSubmission, out types.NsOutcome, sqlw []types.SQLWrite, pos, chainHeight, chainTS uint64) (*Entry, error) {
	ws, err := m.writeSet(ctx, eo, sqlw, pos)
	if err != nil {
		return nil, err
	}
	entry := types.TxLogEntry{
		Namespace: m.meta.Name, Position: pos, PrevHash: m.bhead.Hash,
		ChainHeight: chainHeight, ChainTimestamp: chainTS,
		Submission: *sub, Outcome: out, Writes: ws,
	}
	nh := m.bhead
	if m.tier1() {
		if nh, err = m.commitTrees(eo, &ws, sqlw, pos); err != nil {
			if errors.Is(err, smt.ErrValueTooLarge) {
				return nil, fmt.Errorf("%w: %w", errEntryLimits, err)
			}
			return nil, err
		}
		entry.Writes = ws
	}
	entry.Root = nh.Root
	enc, err := entry.MarshalBorsh()
	if err != nil {
		return nil, fmt.Errorf("%w: at %d: %w", errEntryLimits, pos, err)
	}
	if len(enc) > params.MaxTxLogEntryBytes {
		return nil, fmt.Errorf("%w: at %d: %d bytes, over %d", errEntryLimits, pos, len(enc), params.MaxTxLogEntryBytes)
	}
	h := types.Hash(sha256.Sum256(enc))
	nh.Position, nh.Hash = pos, h
	eo.mergeInto(m.batch)
	m.bhead = nh
	return &Entry{Log: entry, Hash: h, Bytes: enc}, nil
}

// failed is a failure whose status says it all: its trap is ""
// (namespaces.md 5.3, NsOutcome.trap).
func failed(status types.NsStatus) types.NsOutcome {
	return types.NsOutcome{Status: status}
}

func (m *Machine) deposit(eo *overlay, p *types.NsDeposit) (types.NsOutcome, error) {
	seen, err := eo.deposit(p.Source)
	if err != nil {
		return types.NsOutcome{}, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if seen {
		return failed(types.NsStatusDuplicateDeposit), nil
	}
	to, _, _ := eo.account(p.To)
	sup, _ := eo.supply()
	bal := balanceOf(&to, p.Asset)
	in := &sup.OramaIn
	if p.Asset == types.AssetBTC {
		in = &sup.BTCIn
	}
	if *bal > math.MaxUint64-p.Amount || *in > math.MaxUint64-p.Amount {
		return failed(types.NsStatusOverflow), nil
	}
	*bal += p.Amount
	*in += p.Amount
	eo.accounts[p.To] = to
	eo.sup = &sup
	eo.deps[p.Source] = true
	return types.NsOutcome{Status: types.NsStatusOk}, nil
}

func (m *Machine) withdraw(eo *overlay, signer types.Address, p *types.NsWithdraw) types.NsOutcome {
	acc, _, _ := eo.account(signer)
	sup, _ := eo.supply()
	bal := balanceOf(&acc, p.Asset)
	if *bal < p.Amount {
		return failed(types.NsStatusInsufficientBalance)
	}
	out := &sup.OramaOut
	if p.Asset == types.AssetBTC {
		out = &sup.BTCOut
	}
	*bal -= p.Amount
	*out += p.Amount // out <= in always: the sum of balances is in - out
	eo.accounts[signer] = acc
	eo.sup = &sup
	return types.NsOutcome{Status: types.NsStatusOk}
}

// ContractAddress is namespaces.md 1's: Keccak256("orama/ns/contract" ||
// Borsh(name) || deployer || u64le(nonce))[12:].
func ContractAddress(name string, deployer types.Address, nonce uint64) types.Address {
	b := []byte("orama/ns/contract")
	b = append(b, byte(len(name)), byte(len(name)>>8), byte(len(name)>>16), byte(len(name)>>24))
	b = append(b, name...)
	b = append(b, deployer[:]...)
	b = append(b, u64le(nonce)...)
	h := crypto.Keccak256(b)
	var a types.Address
	copy(a[:], h[12:])
	return a
}

// DeployGas is what deploying a module costs before its init runs: one gas
// per byte (params.GasPerDataByte), the work of validating, rewriting and
// compiling it being linear in its size.
func DeployGas(moduleBytes int) uint64 { return uint64(moduleBytes) * params.GasPerDataByte }

func (m *Machine) deploy(ctx context.Context, eo *overlay, req *types.NamespaceRequest, p *types.NsDeploy, module []byte, height, ts uint64) (types.NsOutcome, []types.SQLWrite, error) {
	gas := DeployGas(len(module))
	if gas > p.GasLimit {
		return types.NsOutcome{Status: types.NsStatusOutOfGas, Trap: trapOutOfGas, GasUsed: p.GasLimit}, nil, nil
	}
	c, err := m.vm.Deploy(ctx, module)
	if err != nil {
		if !isRefusal(err) {
			// Not the module's fault (the node's compilation cache, memory):
			// never recorded as the deploy's outcome.
			return types.NsOutcome{}, nil, fmt.Errorf("%w: deploy: %w", ErrHostFailure, err)
		}
		return types.NsOutcome{Status: types.NsStatusInvalidModule, Trap: refusalName(err), GasUsed: gas}, nil, nil
	}
	addr := ContractAddress(m.meta.Name, req.Signer, req.Nonce)
	if acc, ok, _ := eo.account(addr); ok && acc.CodeHash != (types.Hash{}) {
		return types.NsOutcome{}, nil, fmt.Errorf("ns: contract address %x already taken", addr) // a Keccak collision
	}
	co := newOverlay(eo)
	acc, _, _ := co.account(addr)
	acc.CodeHash = p.CodeHash
	co.accounts[addr] = acc
	co.codes[p.CodeHash] = clone(module)
	out := types.NsOutcome{Status: types.NsStatusOk, GasUsed: gas, Contract: &addr}
	var sqlw []types.SQLWrite
	if p.Init != "" {
		res := m.run(ctx, co, c, p.Init, p.Args, host.CallContext{
			Contract: addr, Caller: req.Signer, BlockHeight: height, BlockTimestamp: ts, Input: p.Input,
		}, p.GasLimit-gas)
		if res.err != nil {
			return types.NsOutcome{}, nil, res.err
		}
		res.out.GasUsed += gas
		if res.out.Status != types.NsStatusOk {
			return res.out, nil, nil
		}
		res.out.Contract = &addr
		out, sqlw = res.out, res.sql
	}
	co.mergeInto(eo)
	return out, sqlw, nil
}

func (m *Machine) call(ctx context.Context, eo *overlay, signer types.Address, p *types.NsCall, height, ts uint64) (types.NsOutcome, []types.SQLWrite, error) {
	acc, ok, err := eo.account(p.Contract)
	if err != nil {
		return types.NsOutcome{}, nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if !ok || acc.CodeHash == (types.Hash{}) {
		return failed(types.NsStatusUnknownContract), nil, nil
	}
	c, err := m.contract(ctx, eo, acc.CodeHash)
	if err != nil {
		return types.NsOutcome{}, nil, err
	}
	co := newOverlay(eo)
	// The value moves first, inside the call: a failed call returns it.
	from, _, _ := co.account(signer)
	if from.Orama < p.OramaValue || from.BTC < p.BTCValue {
		return failed(types.NsStatusInsufficientValue), nil, nil
	}
	if signer != p.Contract {
		to, _, _ := co.account(p.Contract)
		if to.Orama > math.MaxUint64-p.OramaValue || to.BTC > math.MaxUint64-p.BTCValue {
			return failed(types.NsStatusOverflow), nil, nil
		}
		from.Orama -= p.OramaValue
		from.BTC -= p.BTCValue
		to.Orama += p.OramaValue
		to.BTC += p.BTCValue
		co.accounts[signer] = from
		co.accounts[p.Contract] = to
	}
	res := m.run(ctx, co, c, p.Function, p.Args, host.CallContext{
		Contract: p.Contract, Caller: signer, BlockHeight: height, BlockTimestamp: ts,
		OramaValue: p.OramaValue, BTCValue: p.BTCValue, Input: p.Input,
	}, p.GasLimit)
	if res.err != nil || res.out.Status != types.NsStatusOk {
		return res.out, nil, res.err
	}
	co.mergeInto(eo)
	return res.out, res.sql, nil
}

// contract returns the compiled contract of a code hash (the VM keeps
// compiled modules by hash; after a restart the code comes from the store).
func (m *Machine) contract(ctx context.Context, r reader, h types.Hash) (*vm.Contract, error) {
	if c, ok := m.compiled[h]; ok {
		return c, nil
	}
	code, ok, err := r.code(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostFailure, err)
	}
	if !ok {
		return nil, fmt.Errorf("ns: code %x of a contract is missing from the store", h)
	}
	c, err := m.vm.Deploy(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("ns: stored code %x no longer deploys: %w", h, err)
	}
	m.compiled[h] = c
	return c, nil
}

type runResult struct {
	out types.NsOutcome
	sql []types.SQLWrite
	err error // host failure: not an outcome
}

// run calls fn of c with the call's state in co; on success co holds its
// writes, on failure the caller drops co and the replica is back at the
// call's savepoint.
func (m *Machine) run(ctx context.Context, co *overlay, c *vm.Contract, fn string, args []uint64, cc host.CallContext, gas uint64) runResult {
	if err := m.db.Savepoint("call"); err != nil {
		return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, err)}
	}
	hc := &call{ov: co, cc: cc, out: host.Output{Contract: cc.Contract}, storage: m.storage}
	tx := &callTx{db: m.db}
	res, err := m.vm.Call(ctx, c, fn, vm.CallOptions{Imports: hc.imports(m.db), Gas: gas, Params: args, Tx: tx})
	if err != nil {
		var ce *vm.CallError
		used := gas
		if errors.As(err, &ce) {
			used = ce.GasUsed
		}
		if tx.err != nil {
			return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, tx.err)}
		}
		m.db.TakeWrites()
		switch {
		case errors.Is(err, hostabi.ErrHostFailure), errors.Is(err, vm.ErrHostPanic), errors.Is(err, vm.ErrCommit):
			return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, err)}
		case errors.Is(err, vm.ErrOutOfGas):
			return runResult{out: types.NsOutcome{Status: types.NsStatusOutOfGas, Trap: trapOutOfGas, GasUsed: used}}
		case errors.Is(err, vm.ErrNoFunction):
			return runResult{out: types.NsOutcome{Status: types.NsStatusUnknownFunction, GasUsed: used}}
		case errors.Is(err, vm.ErrArgs), errors.Is(err, vm.ErrGasLimit):
			return runResult{out: types.NsOutcome{Status: types.NsStatusBadArgs, GasUsed: used}}
		case !errors.Is(err, vm.ErrTrap) && !errors.Is(err, vm.ErrStackOverflow):
			// Neither the contract's trap nor its stack: the VM failed.
			return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, err)}
		}
		return runResult{out: types.NsOutcome{Status: types.NsStatusTrap, Trap: trapName(err), GasUsed: used}}
	}
	if len(res.Values) > 1 {
		// The call's savepoint is released; the entry's holds only its writes.
		if err := m.db.RollbackTo("entry"); err != nil {
			return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, err)}
		}
		m.db.TakeWrites()
		return runResult{out: types.NsOutcome{Status: types.NsStatusUnknownFunction, GasUsed: res.GasUsed}}
	}
	sqlw, err := m.db.TakeWrites()
	if err != nil {
		return runResult{err: fmt.Errorf("%w: %w", ErrHostFailure, err)}
	}
	return runResult{out: types.NsOutcome{Status: types.NsStatusOk, GasUsed: res.GasUsed, Results: res.Values, Events: hc.out.Events}, sql: sqlw}
}

// The trap field holds a stable name, never an engine's or a library's
// text: that differs between engines and versions and is hashed into the
// entry (namespaces.md 5.3, NsOutcome.trap).
const trapOutOfGas = "out_of_gas"

// trapName is a trapped call's trap: a host function's trap reason
// (spec/hostfuncs.yaml), stack_overflow, or trap for anything the guest or
// the VM itself did.
func trapName(err error) string {
	if errors.Is(err, vm.ErrStackOverflow) {
		return "stack_overflow"
	}
	switch r := hostabi.TrapReason(err); r {
	case "out_of_bounds", "too_long", "malformed_input", "alloc_failed", "limit_exceeded":
		return r
	}
	return "trap"
}

// isRefusal says whether a vm.Deploy error is the module's fault (one of
// vm.md's refusals) rather than the node's.
func isRefusal(err error) bool {
	for _, e := range []error{vm.ErrMalformed, vm.ErrLimit, vm.ErrFeature, vm.ErrReserved, vm.ErrImport} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// refusalName is an invalid module's trap: why vm.Deploy refused it.
func refusalName(err error) string {
	switch {
	case errors.Is(err, vm.ErrLimit):
		return "limit"
	case errors.Is(err, vm.ErrFeature):
		return "feature"
	case errors.Is(err, vm.ErrReserved):
		return "reserved"
	case errors.Is(err, vm.ErrImport):
		return "import"
	}
	return "malformed"
}

// callTx is the vm.Tx of a call: the replica's "call" savepoint.
type callTx struct {
	db  Replica
	err error
}

func (t *callTx) Commit() error {
	t.err = t.db.Release("call")
	return t.err
}

func (t *callTx) Rollback() {
	if err := t.db.RollbackTo("call"); err != nil {
		t.err = err
	}
	if err := t.db.Release("call"); err != nil && t.err == nil {
		t.err = err
	}
}

// writeSet is the entry's writes in canonical order (namespaces.md 5.3).
func (m *Machine) writeSet(ctx context.Context, eo *overlay, sqlw []types.SQLWrite, pos uint64) (types.WriteSet, error) {
	ws := types.WriteSet{Sql: sqlw}
	stk := make([]string, 0, len(eo.st))
	for k := range eo.st {
		stk = append(stk, k)
	}
	sort.Strings(stk)
	for _, k := range stk {
		w := types.StateWrite{Key: []byte(k[20:])}
		copy(w.Contract[:], k[:20])
		if v := eo.st[k]; v != nil {
			w.Present, w.Value = true, clone(*v)
		}
		ws.State = append(ws.State, w)
	}
	chk := make([]string, 0, len(eo.ch))
	for k := range eo.ch {
		chk = append(chk, k)
	}
	sort.Strings(chk)
	for _, k := range chk {
		w := types.CacheWrite{Key: []byte(k)}
		if v := eo.ch[k]; v != nil {
			cv := *v
			w.Value = &cv
		}
		ws.Cache = append(ws.Cache, w)
	}
	cids := make([]string, 0, len(eo.blobs))
	for c := range eo.blobs {
		cids = append(cids, c)
	}
	sort.Strings(cids)
	for _, c := range cids {
		ws.Blobs = append(ws.Blobs, types.BlobPut{Data: eo.blobs[c]})
	}
	if eo.sup != nil {
		s := *eo.sup
		ws.Supply = &s
	}
	ws.Accounts = accountWrites(eo)
	return ws, nil
}

func accountWrites(eo *overlay) []types.NsAccountWrite {
	addrs := make([]types.Address, 0, len(eo.accounts))
	for a := range eo.accounts {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return bytes.Compare(addrs[i][:], addrs[j][:]) < 0 })
	out := make([]types.NsAccountWrite, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, types.NsAccountWrite{Address: a, Account: eo.accounts[a]})
	}
	return out
}

// NewVM starts a contract VM with the host modules (cacheDir "" keeps
// compiled modules in memory only).
func NewVM(ctx context.Context, cacheDir string) (*vm.VM, error) {
	return vm.New(ctx, vm.Config{CacheDir: cacheDir, HostModules: hostabi.Instantiate})
}

// View runs a call at the committed head and discards everything it did
// (no nonce, no log): the outcome a read-only client asks for. It must not
// run while a batch is open.
func (m *Machine) View(ctx context.Context, caller types.Address, p *types.NsCall, chainHeight, chainTS uint64) (types.NsOutcome, error) {
	if m.inTx {
		return types.NsOutcome{}, fmt.Errorf("ns: view while a batch is open")
	}
	if err := m.begin(); err != nil {
		return types.NsOutcome{}, err
	}
	defer m.Rollback()
	eo := newOverlay(m.batch)
	out, _, err := m.call(ctx, eo, caller, p, chainHeight, chainTS)
	return out, err
}
