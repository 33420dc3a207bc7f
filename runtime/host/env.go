package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"sort"
	"sync"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// CacheEntry is one cache entry: Expires is the block timestamp from which
// it is gone, 0 for never.
type CacheEntry struct {
	Key, Value []byte
	Expires    uint64
}

// StateEntry is one entry of a contract's key-value state (orama.state):
// Contract is the contract that owns it, and only it can read or write it.
type StateEntry struct {
	Contract   types.Address
	Key, Value []byte
}

// stateKey scopes a key to its contract: the 20-byte address, then the key.
func stateKey(contract types.Address, key []byte) string {
	return string(contract[:]) + string(key)
}

// Balance is an account's two balances.
type Balance struct {
	Address types.Address
	Orama   uint64 // rays
	BTC     uint64 // satoshis
}

// Env is a namespace's state in memory: the database, the cache, stored
// objects, the contracts' key-value state and the balances contracts see. Calls run one at a time: Begin
// waits until the previous call has committed or rolled back.
type Env struct {
	mu      sync.Mutex // held from Begin to Commit or Rollback
	db      *SQLite
	cache   map[string]CacheEntry
	storage map[string][]byte
	state   map[string]StateEntry // by stateKey
	ledger  map[types.Address]Balance
}

// NewEnv returns an empty namespace state.
func NewEnv() (*Env, error) {
	db, err := NewSQLite()
	if err != nil {
		return nil, err
	}
	return &Env{db: db, cache: map[string]CacheEntry{}, storage: map[string][]byte{}, state: map[string]StateEntry{}, ledger: map[types.Address]Balance{}}, nil
}

// Close releases the database.
func (e *Env) Close() error { return e.db.Close() }

// DB is the database, for set-up (SQLite.Exec) and checks (QueryHost)
// between calls.
func (e *Env) DB() *SQLite { return e.db }

// SetCache stores an entry directly (set-up between calls).
func (e *Env) SetCache(entry CacheEntry) {
	e.cache[string(entry.Key)] = CacheEntry{Key: clone(entry.Key), Value: clone(entry.Value), Expires: entry.Expires}
}

// CacheEntries lists every entry, expired ones included, by key.
func (e *Env) CacheEntries() []CacheEntry {
	out := make([]CacheEntry, 0, len(e.cache))
	for _, en := range e.cache {
		out = append(out, en)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// SetState stores a contract's state entry directly (set-up between calls).
func (e *Env) SetState(entry StateEntry) {
	e.state[stateKey(entry.Contract, entry.Key)] = StateEntry{Contract: entry.Contract, Key: clone(entry.Key), Value: clone(entry.Value)}
}

// StateEntries lists every contract's state entries, by contract and key.
func (e *Env) StateEntries() []StateEntry {
	out := make([]StateEntry, 0, len(e.state))
	for _, en := range e.state {
		out = append(out, en)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].Contract[:], out[j].Contract[:]); c != 0 {
			return c < 0
		}
		return bytes.Compare(out[i].Key, out[j].Key) < 0
	})
	return out
}

// Store adds an object directly and returns its CID.
func (e *Env) Store(data []byte) []byte {
	cid := abi.RawCID(data)
	e.storage[string(cid)] = clone(data)
	return cid
}

// Objects lists the stored objects' CIDs in byte order.
func (e *Env) Objects() [][]byte {
	out := make([][]byte, 0, len(e.storage))
	for c := range e.storage {
		out = append(out, []byte(c))
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

// Object returns a stored object.
func (e *Env) Object(cid []byte) ([]byte, bool) {
	d, ok := e.storage[string(cid)]
	return d, ok
}

// SetBalance sets an account's balances directly.
func (e *Env) SetBalance(b Balance) { e.ledger[b.Address] = b }

// Balances lists every account with a balance entry, by address.
func (e *Env) Balances() []Balance {
	out := make([]Balance, 0, len(e.ledger))
	for _, b := range e.ledger {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Address[:], out[j].Address[:]) < 0 })
	return out
}

// CallContext is what a call knows of itself (module orama.ctx).
type CallContext struct {
	Contract       types.Address // the called contract: it pays transfers and emits events
	Caller         types.Address
	BlockHeight    uint64
	BlockTimestamp uint64
	OramaValue     uint64
	BTCValue       uint64
	Input          []byte // the call's argument bytes, at most hostabi.MaxInputBytes
}

// LogLine is one line a call logged.
type LogLine struct {
	Level string // "info" or "error"
	Msg   string
}

// Call is one call's view of an Env: its Imports for vm.CallOptions.Imports,
// and the vm.Tx that keeps or drops what the call wrote. Events and Logs are
// what the call emitted and logged, in order.
type Call struct {
	Imports *hostabi.Imports
	Output  // Events and Logs: what the call emitted and logged, in order

	env     *Env
	cc      CallContext
	cache   map[string]*CacheEntry // written entries; nil value: deleted
	storage map[string][]byte
	state   map[string]*StateEntry // written entries by stateKey; nil value: deleted
	ledger  map[types.Address]Balance
	done    bool
}

// Begin starts a call. It blocks while another call is open; the call ends
// with Commit or Rollback (the VM does this with vm.CallOptions.Tx).
// A call input longer than hostabi.MaxInputBytes is refused.
func (e *Env) Begin(cc CallContext) (*Call, error) {
	if len(cc.Input) > hostabi.MaxInputBytes {
		return nil, fmt.Errorf("host: call input of %d bytes, more than %d", len(cc.Input), hostabi.MaxInputBytes)
	}
	cc.Input = clone(cc.Input)
	e.mu.Lock()
	if err := e.db.begin(); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	c := &Call{Output: Output{Contract: cc.Contract}, env: e, cc: cc, cache: map[string]*CacheEntry{}, storage: map[string][]byte{}, state: map[string]*StateEntry{}, ledger: map[types.Address]Balance{}}
	c.Imports = &hostabi.Imports{
		DB:      e.db,
		Cache:   callCache{c},
		Storage: callStorage{c},
		State:   callState{c},
		Token:   callToken{c},
		Context: Context{CC: &c.cc},
		Events:  &c.Output,
		Log:     &c.Output,
		Crypto:  Crypto{},
	}
	return c, nil
}

// Commit keeps what the call wrote.
func (c *Call) Commit() error {
	if c.done {
		return fmt.Errorf("host: call already ended")
	}
	c.done = true
	defer c.env.mu.Unlock()
	if err := c.env.db.commit(); err != nil {
		c.env.db.rollback()
		return err
	}
	for k, en := range c.cache {
		if en == nil {
			delete(c.env.cache, k)
		} else {
			c.env.cache[k] = *en
		}
	}
	for k, d := range c.storage {
		c.env.storage[k] = d
	}
	for k, en := range c.state {
		if en == nil {
			delete(c.env.state, k)
		} else {
			c.env.state[k] = *en
		}
	}
	for a, b := range c.ledger {
		c.env.ledger[a] = b
	}
	return nil
}

// Rollback drops what the call wrote.
func (c *Call) Rollback() {
	if c.done {
		return
	}
	c.done = true
	c.env.db.rollback()
	c.env.mu.Unlock()
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// callCache is the call's view of the cache: its own writes over the Env's.
type callCache struct{ c *Call }

func (v callCache) lookup(key []byte) (CacheEntry, bool) {
	if en, ok := v.c.cache[string(key)]; ok {
		if en == nil {
			return CacheEntry{}, false
		}
		return *en, true
	}
	en, ok := v.c.env.cache[string(key)]
	return en, ok
}

// live reports whether an entry is visible at the call's block time.
func (v callCache) live(en CacheEntry) bool {
	return en.Expires == 0 || v.c.cc.BlockTimestamp < en.Expires
}

func (v callCache) Get(_ context.Context, key []byte) ([]byte, error) {
	en, ok := v.lookup(key)
	if !ok || !v.live(en) {
		return nil, hostabi.ErrNotFound
	}
	return clone(en.Value), nil
}

func (v callCache) Set(_ context.Context, key, value []byte, ttl uint32) error {
	en := &CacheEntry{Key: clone(key), Value: clone(value)}
	if ttl > 0 {
		if v.c.cc.BlockTimestamp > math.MaxUint64-uint64(ttl) {
			return fmt.Errorf("host: cache expiry overflows")
		}
		en.Expires = v.c.cc.BlockTimestamp + uint64(ttl)
	}
	v.c.cache[string(key)] = en
	return nil
}

func (v callCache) Delete(_ context.Context, key []byte) error {
	en, ok := v.lookup(key)
	v.c.cache[string(key)] = nil
	if !ok || !v.live(en) {
		return hostabi.ErrNotFound
	}
	return nil
}

// callStorage is the call's view of stored objects.
type callStorage struct{ c *Call }

func (v callStorage) Put(_ context.Context, data []byte) ([]byte, error) {
	cid := abi.RawCID(data)
	v.c.storage[string(cid)] = clone(data)
	return cid, nil
}

func (v callStorage) Get(_ context.Context, cid []byte) ([]byte, error) {
	if d, ok := v.c.storage[string(cid)]; ok {
		return clone(d), nil
	}
	if d, ok := v.c.env.storage[string(cid)]; ok {
		return clone(d), nil
	}
	return nil, hostabi.ErrNotFound
}

// callState is the running contract's key-value state: the call's own
// writes over the Env's, every key scoped to cc.Contract.
type callState struct{ c *Call }

func (v callState) lookup(key []byte) (StateEntry, bool) {
	k := stateKey(v.c.cc.Contract, key)
	if en, ok := v.c.state[k]; ok {
		if en == nil {
			return StateEntry{}, false
		}
		return *en, true
	}
	en, ok := v.c.env.state[k]
	return en, ok
}

func (v callState) Get(_ context.Context, key []byte) ([]byte, error) {
	en, ok := v.lookup(key)
	if !ok {
		return nil, hostabi.ErrNotFound
	}
	return clone(en.Value), nil
}

func (v callState) Set(_ context.Context, key, value []byte) error {
	v.c.state[stateKey(v.c.cc.Contract, key)] = &StateEntry{Contract: v.c.cc.Contract, Key: clone(key), Value: clone(value)}
	return nil
}

func (v callState) Delete(_ context.Context, key []byte) error {
	_, ok := v.lookup(key)
	if !ok {
		return hostabi.ErrNotFound
	}
	v.c.state[stateKey(v.c.cc.Contract, key)] = nil
	return nil
}

// callToken moves the contract's balances.
type callToken struct{ c *Call }

func (v callToken) balance(a types.Address) Balance {
	if b, ok := v.c.ledger[a]; ok {
		return b
	}
	if b, ok := v.c.env.ledger[a]; ok {
		return b
	}
	return Balance{Address: a}
}

func (v callToken) transfer(to types.Address, amount uint64, asset types.Asset) error {
	if amount == 0 {
		return hostabi.ErrInvalidAmount
	}
	from := v.balance(v.c.cc.Contract)
	field := func(b *Balance) *uint64 {
		if asset == types.AssetBTC {
			return &b.BTC
		}
		return &b.Orama
	}
	if *field(&from) < amount {
		return fmt.Errorf("%w: holds %d, sends %d", hostabi.ErrInsufficientBalance, *field(&from), amount)
	}
	if to == v.c.cc.Contract {
		return nil
	}
	dest := v.balance(to)
	if *field(&dest) > math.MaxUint64-amount {
		return fmt.Errorf("host: balance of %x overflows", to)
	}
	*field(&from) -= amount
	*field(&dest) += amount
	v.c.ledger[from.Address] = from
	v.c.ledger[dest.Address] = dest
	return nil
}

func (v callToken) TransferOrama(_ context.Context, to types.Address, amount uint64) error {
	return v.transfer(to, amount, types.AssetOrama)
}

func (v callToken) TransferBTC(_ context.Context, to types.Address, amount uint64) error {
	return v.transfer(to, amount, types.AssetBTC)
}

func (v callToken) Balance(_ context.Context, a types.Address, asset types.Asset) (uint64, error) {
	b := v.balance(a)
	if asset == types.AssetBTC {
		return b.BTC, nil
	}
	return b.Orama, nil
}

// Context answers module orama.ctx from a call's CallContext (the
// reference Env and the namespace executor alike).
type Context struct{ CC *CallContext }

func (v Context) Caller(context.Context) (types.Address, error)  { return v.CC.Caller, nil }
func (v Context) BlockHeight(context.Context) (uint64, error)    { return v.CC.BlockHeight, nil }
func (v Context) BlockTimestamp(context.Context) (uint64, error) { return v.CC.BlockTimestamp, nil }
func (v Context) OramaValue(context.Context) (uint64, error)     { return v.CC.OramaValue, nil }
func (v Context) BTCValue(context.Context) (uint64, error)       { return v.CC.BTCValue, nil }
func (v Context) Self(context.Context) (types.Address, error)    { return v.CC.Contract, nil }

// Input gives the call's argument bytes; none is ErrNotFound (result 0).
func (v Context) Input(context.Context) ([]byte, error) {
	if len(v.CC.Input) == 0 {
		return nil, hostabi.ErrNotFound
	}
	return clone(v.CC.Input), nil
}

// Output collects a call's events (emitted by Contract) and log lines, in
// order, within the per-call limits: modules orama.events and orama.log.
type Output struct {
	Contract types.Address
	Events   []types.Event
	Logs     []LogLine
}

// Emit implements hostabi.Events.
func (o *Output) Emit(_ context.Context, topic string, data []byte) error {
	if len(o.Events) >= hostabi.MaxEventsPerReceipt {
		return fmt.Errorf("%w: more than %d events", hostabi.ErrLimitExceeded, hostabi.MaxEventsPerReceipt)
	}
	o.Events = append(o.Events, types.Event{Emitter: o.Contract, Topic: topic, Data: clone(data)})
	return nil
}

func (o *Output) add(level, msg string) error {
	if len(o.Logs) >= hostabi.MaxLogsPerCall {
		return fmt.Errorf("%w: more than %d log lines", hostabi.ErrLimitExceeded, hostabi.MaxLogsPerCall)
	}
	o.Logs = append(o.Logs, LogLine{Level: level, Msg: msg})
	return nil
}

// Info implements hostabi.Log.
func (o *Output) Info(_ context.Context, msg string) error { return o.add("info", msg) }

// Error implements hostabi.Log.
func (o *Output) Error(_ context.Context, msg string) error { return o.add("error", msg) }

// Crypto implements hostabi.Crypto with the chain's own primitives
// (runtime/crypto): the same hashes and signature rules as transactions.
type Crypto struct{}

// SHA256 implements hostabi.Crypto.
func (Crypto) SHA256(_ context.Context, data []byte) (types.Hash, error) {
	return types.Hash(sha256.Sum256(data)), nil
}

// Keccak256 implements hostabi.Crypto.
func (Crypto) Keccak256(_ context.Context, data []byte) (types.Hash, error) {
	return types.Hash(crypto.Keccak256(data)), nil
}

// VerifySignature implements hostabi.Crypto: sig over SHA-256(msg) by addr,
// canonical signatures only. A malformed signature is false, not an error.
func (Crypto) VerifySignature(_ context.Context, msg []byte, sig types.Signature, addr types.Address) (bool, error) {
	return crypto.Verify(sha256.Sum256(msg), sig, addr) == nil, nil
}
