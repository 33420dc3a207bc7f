package ns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// Status is a namespace's applied head on this node.
type Status struct {
	Meta     types.NamespaceMeta
	Position uint64
	Hash     types.Hash
	Root     types.Hash
}

// Status reports the committed head.
func (n *Namespace) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	pos, h, root := n.m.Head()
	return Status{Meta: n.m.Meta(), Position: pos, Hash: h, Root: root}
}

// Account reads an account inside the namespace at the committed head. A
// cluster node first catches up with the log (a leader read), so the nonce
// a client reads here is the one its next request needs wherever the
// previous one was accepted; if the log cannot be read it answers from
// what it has applied.
func (n *Namespace) Account(a types.Address) (types.NsAccount, uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rq != nil && n.halted.Load() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.catchUp(ctx, nsengine.LevelWeak); err != nil {
			n.log.Debug("namespace: account read without catching up", "namespace", n.name, "err", err)
		}
		cancel()
	}
	acc, _, err := n.m.Reader().Account(a)
	pos, _, _ := n.m.Head()
	return acc, pos, err
}

// ContractState reads a contract's orama.state value at the committed head.
func (n *Namespace) ContractState(contract types.Address, key []byte) ([]byte, bool, uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok, err := n.m.Reader().State(contract, key)
	pos, _, _ := n.m.Head()
	return v, ok, pos, err
}

// Blob reads an object the namespace stored.
func (n *Namespace) Blob(ctx context.Context, cid []byte) ([]byte, bool, error) {
	n.mu.Lock()
	r := n.m.Reader()
	n.mu.Unlock()
	return r.Blob(ctx, cid)
}

// ContractInfo is a deployed contract.
type ContractInfo struct {
	Address    types.Address
	CodeHash   types.Hash
	Account    types.NsAccount
	DeployedAt uint64 // the position of its deploy
}

// ErrNotFound: no such contract, entry or event page.
var ErrNotFound = errors.New("not_found")

// Contracts lists deployed contracts by address after the cursor (an
// address, or nil), at most limit.
func (n *Namespace) Contracts(after *types.Address, limit int) ([]ContractInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	from := []byte{}
	if after != nil {
		from = after[:]
	}
	rows, err := n.db.HostQuery("SELECT address, code_hash, pos FROM _orama_contracts WHERE address > ?1 ORDER BY address LIMIT ?2",
		abi.Blob(from), abi.Integer(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("ns: contracts: %w", err)
	}
	out := make([]ContractInfo, 0, len(rows.Rows))
	for _, r := range rows.Rows {
		var c ContractInfo
		copy(c.Address[:], r[0].Bytes)
		copy(c.CodeHash[:], r[1].Bytes)
		c.DeployedAt = uint64(r[2].Int)
		if c.Account, _, err = n.m.Reader().Account(c.Address); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Contract returns one contract.
func (n *Namespace) Contract(a types.Address) (ContractInfo, error) {
	list, err := n.Contracts(prevAddress(a), 1)
	if err != nil {
		return ContractInfo{}, err
	}
	if len(list) == 0 || list[0].Address != a {
		return ContractInfo{}, ErrNotFound
	}
	return list[0], nil
}

// prevAddress is the largest address below a, or nil for the zero address
// (so "address > prev" starts at a).
func prevAddress(a types.Address) *types.Address {
	if a == (types.Address{}) {
		return nil
	}
	p := a
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] > 0 {
			p[i]--
			break
		}
		p[i] = 0xff
	}
	return &p
}

// LoggedEntry is one TxLog entry as stored.
type LoggedEntry struct {
	Position uint64
	Bytes    []byte
}

// TxLog reads entries from position from (>= 1), at most limit.
func (n *Namespace) TxLog(from uint64, limit int) ([]LoggedEntry, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	rows, err := n.db.HostQuery("SELECT pos, entry FROM _orama_txlog WHERE pos >= ?1 ORDER BY pos LIMIT ?2",
		abi.Integer(int64(from)), abi.Integer(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("ns: txlog: %w", err)
	}
	out := make([]LoggedEntry, 0, len(rows.Rows))
	for _, r := range rows.Rows {
		out = append(out, LoggedEntry{Position: uint64(r[0].Int), Bytes: r[1].Bytes})
	}
	return out, nil
}

// EventFilter selects events (every field optional).
type EventFilter struct {
	Contract     *types.Address
	Topic        *string
	Caller       *types.Address
	FromPosition uint64
	ToPosition   uint64 // 0: no bound
	Desc         bool
	Limit        int
	Cursor       string // from a previous page's Next
}

// EventRecord is one indexed event.
type EventRecord struct {
	Position uint64
	Index    uint32
	CallID   types.Hash
	Caller   types.Address
	Event    types.Event
}

// ErrBadCursor: a cursor that no page of this query gave.
var ErrBadCursor = errors.New("invalid_parameter")

// Events lists events matching f in position order, with the cursor of the
// next page ("" at the end). The cursor is base64url(position u64be ||
// index u32be || order byte).
func (n *Namespace) Events(f EventFilter) ([]EventRecord, string, error) {
	var where []string
	var args []abi.Value
	arg := func(v abi.Value) string {
		args = append(args, v)
		return fmt.Sprintf("?%d", len(args))
	}
	if f.Contract != nil {
		where = append(where, "emitter = "+arg(abi.Blob(f.Contract[:])))
	}
	if f.Topic != nil {
		where = append(where, "topic = "+arg(abi.Text(*f.Topic)))
	}
	if f.Caller != nil {
		where = append(where, "caller = "+arg(abi.Blob(f.Caller[:])))
	}
	// Positions are u64 and SQLite's integers i64: a bound above the
	// largest i64 is clamped to it (no position is that high), never
	// wrapped to a negative one.
	if f.FromPosition > 0 {
		where = append(where, "pos >= "+arg(abi.Integer(int64(min(f.FromPosition, math.MaxInt64)))))
	}
	if f.ToPosition > 0 {
		where = append(where, "pos <= "+arg(abi.Integer(int64(min(f.ToPosition, math.MaxInt64)))))
	}
	order := byte('a')
	if f.Desc {
		order = 'd'
	}
	if f.Cursor != "" {
		c, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(c) != 13 || c[12] != order {
			return nil, "", fmt.Errorf("%w: cursor", ErrBadCursor)
		}
		p, i := binary.BigEndian.Uint64(c), binary.BigEndian.Uint32(c[8:])
		if p > 1<<62 {
			return nil, "", fmt.Errorf("%w: cursor", ErrBadCursor)
		}
		cmp := ">"
		if f.Desc {
			cmp = "<"
		}
		where = append(where, fmt.Sprintf("(pos, idx) %s (%s, %s)", cmp, arg(abi.Integer(int64(p))), arg(abi.Integer(int64(i)))))
	}
	q := "SELECT pos, idx, call_id, emitter, topic, data, caller FROM _orama_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += fmt.Sprintf(" ORDER BY pos %s, idx %s LIMIT %s", dir, dir, arg(abi.Integer(int64(limit+1))))
	n.mu.Lock()
	rows, err := n.db.HostQuery(q, args...)
	n.mu.Unlock()
	if err != nil {
		return nil, "", fmt.Errorf("ns: events: %w", err)
	}
	out := make([]EventRecord, 0, len(rows.Rows))
	for i, r := range rows.Rows {
		if i == limit {
			break
		}
		var e EventRecord
		e.Position, e.Index = uint64(r[0].Int), uint32(r[1].Int)
		copy(e.CallID[:], r[2].Bytes)
		copy(e.Event.Emitter[:], r[3].Bytes)
		e.Event.Topic = string(r[4].Bytes)
		e.Event.Data = bytes.Clone(r[5].Bytes)
		copy(e.Caller[:], r[6].Bytes)
		out = append(out, e)
	}
	next := ""
	if len(rows.Rows) > limit {
		last := out[len(out)-1]
		c := binary.BigEndian.AppendUint64(nil, last.Position)
		c = binary.BigEndian.AppendUint32(c, last.Index)
		next = base64.RawURLEncoding.EncodeToString(append(c, order))
	}
	return out, next, nil
}

// View runs a call at the committed head without logging it.
func (n *Namespace) View(ctx context.Context, caller types.Address, p *types.NsCall) (types.NsOutcome, uint64, error) {
	if err := checkFunction(p.Function, false); err != nil {
		return types.NsOutcome{}, 0, err
	}
	if p.GasLimit == 0 || p.GasLimit > params.MaxNamespaceCallGas {
		return types.NsOutcome{}, 0, refuse(ErrInvalidRequest, "gas_limit %d is not in 1..%d", p.GasLimit, params.MaxNamespaceCallGas)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h, ts := n.chain.Final()
	out, err := n.m.View(ctx, caller, p, h, ts)
	pos, _, _ := n.m.Head()
	return out, pos, err
}

// QueryResult is a read-only query's answer.
type QueryResult struct {
	Position  uint64
	Columns   []string
	Rows      [][]abi.Value
	Truncated bool
}

// Query runs one read-only statement on the namespace's query connection
// (opened read-only: the engine refuses writes), at most MaxQueryRows rows.
func (n *Namespace) Query(ctx context.Context, sql string, params []abi.Value) (*QueryResult, error) {
	if n.query == nil {
		return nil, fmt.Errorf("%w: %s has no query connection", ErrHostFailure, n.name)
	}
	n.mu.Lock()
	pos, _, _ := n.m.Head()
	n.mu.Unlock()
	res, err := n.query.ReadQuery(ctx, sql, params, MaxQueryRows)
	if err != nil {
		return nil, err
	}
	res.Position = pos
	return res, nil
}

// MaxQueryRows bounds a query's answer (namespaces.md 2.1).
const MaxQueryRows = 10000

// QueryDB is the read-only connection of the query endpoint.
type QueryDB interface {
	ReadQuery(ctx context.Context, sql string, params []abi.Value, maxRows int) (*QueryResult, error)
	Close() error
}

// Read2 runs fn on the replica under the namespace's lock (tests, tools).
func (n *Namespace) Read2(fn func(db Replica) (abi.Rows, error)) (abi.Rows, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fn(n.db)
}

// Engine is "cluster" when the namespace's log is an rqlite cluster, else
// "embedded".
func (n *Namespace) Engine() string {
	if n.rq != nil {
		return "cluster"
	}
	return "embedded"
}

// Halted reports the mismatch that halted the namespace on this node, or nil.
func (n *Namespace) Halted() *Mismatch { return n.haltedAt() }

// Authority is the deposit authority the namespace checks Deposits against.
func (n *Namespace) Authority() types.Address { return n.authority }
