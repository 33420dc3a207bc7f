package ns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// EntrySource yields a TxLog's entries in order: Next returns the Borsh
// bytes of the next entry, or io.EOF after the last.
type EntrySource interface {
	Next(ctx context.Context) ([]byte, error)
}

// Mismatch is the first difference Verify found.
type Mismatch struct {
	Position uint64
	What     string // "position", "prev_hash", "decode", "request", "chain_height", ...
	Recorded string
	Replayed string
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("position %d: %s (recorded %s, replayed %s)", m.Position, m.What, m.Recorded, m.Replayed)
}

// VerifyReport is a successful verification's head.
type VerifyReport struct {
	Entries uint64
	Head    types.Hash
	Root    types.Hash
}

// VerifyConfig says what is verified.
type VerifyConfig struct {
	Meta      types.NamespaceMeta
	ChainID   uint64
	Authority types.Address
	VM        *vm.VM // nil: Verify starts its own
	// CommitEvery is how many entries a replay batch holds (default 1,000).
	CommitEvery int
}

// Verify rebuilds a namespace from an empty store (an in-memory Badger and
// an in-memory replica) by replaying its TxLog through the VM, and checks,
// for each position in order: position = previous + 1, prev_hash, strict
// decoding, the request's signature and limits, chain height and timestamp
// non-decreasing, then the replayed outcome, write set and root against the
// recorded ones (spec/namespaces.md 8). The first difference is returned as
// a *Mismatch.
func Verify(ctx context.Context, cfg VerifyConfig, src EntrySource) (*VerifyReport, error) {
	if cfg.CommitEvery <= 0 {
		cfg.CommitEvery = 1000
	}
	v := cfg.VM
	if v == nil {
		var err error
		if v, err = NewVM(ctx, ""); err != nil {
			return nil, err
		}
		defer v.Close(ctx)
	}
	m, closeMem, err := NewMemoryMachine(cfg.Meta, cfg.ChainID, cfg.Authority, v)
	if err != nil {
		return nil, err
	}
	defer closeMem()
	rep := &VerifyReport{}
	_, rep.Head, rep.Root = m.Head()
	// Reading, decoding and the signature checks of the entries ahead run
	// on another goroutine (another core), in order: the replay itself is
	// sequential.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ahead := make(chan checked, 256)
	go readAhead(ctx, src, cfg, ahead)
	var lastHeight, lastTS uint64
	for pos := uint64(1); ; pos++ {
		c, ok := <-ahead
		if !ok {
			break
		}
		if c.readErr != nil {
			return nil, fmt.Errorf("ns: verify: reading position %d: %w", pos, c.readErr)
		}
		e, err := replayOne(ctx, m, cfg, pos, rep.Head, &lastHeight, &lastTS, &c)
		if err != nil {
			return nil, err
		}
		rep.Head, rep.Root, rep.Entries = e.Hash, e.Log.Root, pos
		if m.Pending() >= uint64(cfg.CommitEvery) {
			if err := m.Commit(ctx); err != nil {
				return nil, err
			}
		}
	}
	if err := m.Commit(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

// NewMemoryMachine returns a machine for the namespace meta on an empty
// store held in memory (an in-memory Badger, an in-memory replica, blobs in
// memory), as Verify replays on, and the function that releases it. The
// conformance vector generator (gen/nsvectors) executes its logs on it.
func NewMemoryMachine(meta types.NamespaceMeta, chainID uint64, authority types.Address, v *vm.VM) (*Machine, func(), error) {
	bdb, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil).WithMemTableSize(16 << 20))
	if err != nil {
		return nil, nil, fmt.Errorf("ns: memory store: %w", err)
	}
	db, err := MemReplica()
	if err != nil {
		bdb.Close()
		return nil, nil, err
	}
	m, err := NewMachine(MachineConfig{Meta: meta, ChainID: chainID, Authority: authority, VM: v,
		KV: smt.NewBadgerStore(bdb, nil), DB: db, Storage: newMemBlobs()})
	if err != nil {
		db.Close()
		bdb.Close()
		return nil, nil, err
	}
	return m, func() {
		db.Close()
		bdb.Close()
	}, nil
}

// replayOne checks the entry read ahead as position pos after head and
// replays it into m's open batch (Verify's step for one position).
func replayOne(ctx context.Context, m *Machine, cfg VerifyConfig, pos uint64, head types.Hash, lastHeight, lastTS *uint64, c *checked) (*Entry, error) {
	enc, rec := c.enc, &c.rec
	if c.decodeErr != nil {
		return nil, &Mismatch{Position: pos, What: "decode", Recorded: c.decodeErr.Error(), Replayed: "a TxLogEntry"}
	}
	if rec.Position != pos {
		return nil, &Mismatch{Position: pos, What: "position", Recorded: fmt.Sprint(rec.Position), Replayed: fmt.Sprint(pos)}
	}
	if rec.Namespace != cfg.Meta.Name {
		return nil, &Mismatch{Position: pos, What: "namespace", Recorded: rec.Namespace, Replayed: cfg.Meta.Name}
	}
	if rec.PrevHash != head {
		return nil, &Mismatch{Position: pos, What: "prev_hash", Recorded: fmt.Sprintf("%x", rec.PrevHash), Replayed: fmt.Sprintf("%x", head)}
	}
	if rec.ChainHeight < *lastHeight || rec.ChainTimestamp < *lastTS {
		return nil, &Mismatch{Position: pos, What: "chain_time",
			Recorded: fmt.Sprintf("%d/%d", rec.ChainHeight, rec.ChainTimestamp), Replayed: fmt.Sprintf(">= %d/%d", *lastHeight, *lastTS)}
	}
	*lastHeight, *lastTS = rec.ChainHeight, rec.ChainTimestamp
	if c.requestErr != nil {
		return nil, &Mismatch{Position: pos, What: "request", Recorded: c.requestErr.Error(), Replayed: "a valid request"}
	}
	e, err := m.Execute(ctx, &rec.Submission, rec.ChainHeight, rec.ChainTimestamp)
	if errors.Is(err, ErrStaleNonce) {
		return nil, &Mismatch{Position: pos, What: "nonce", Recorded: fmt.Sprint(rec.Submission.Request.Nonce), Replayed: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("ns: verify: position %d: %w", pos, err)
	}
	if !bytes.Equal(e.Bytes, enc) {
		return nil, diffEntry(pos, rec, &e.Log)
	}
	return e, nil
}

// check decodes an entry and checks its request (the read-ahead's work).
func check(enc []byte, cfg VerifyConfig) checked {
	c := checked{enc: enc}
	if c.decodeErr = c.rec.UnmarshalBorsh(enc); c.decodeErr == nil {
		_, c.requestErr = CheckSubmission(&c.rec.Submission, cfg.Meta.Name, cfg.ChainID, cfg.Authority)
	}
	return c
}

// checked is one entry read ahead: its bytes, decoding and request check.
type checked struct {
	enc        []byte
	rec        types.TxLogEntry
	readErr    error
	decodeErr  error
	requestErr error
}

// readAhead reads entries, decodes them and checks their requests, in
// order, until the source ends (closing out) or ctx is done.
func readAhead(ctx context.Context, src EntrySource, cfg VerifyConfig, out chan<- checked) {
	defer close(out)
	for {
		enc, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return
		}
		c := checked{readErr: err}
		if err == nil {
			c = check(enc, cfg)
		}
		select {
		case out <- c:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// diffEntry names the first field where a replayed entry differs.
func diffEntry(pos uint64, rec, got *types.TxLogEntry) *Mismatch {
	fields := []struct {
		name     string
		rec, got any
	}{
		{"outcome.status", rec.Outcome.Status, got.Outcome.Status},
		{"outcome.trap", rec.Outcome.Trap, got.Outcome.Trap},
		{"outcome.gas_used", rec.Outcome.GasUsed, got.Outcome.GasUsed},
		{"outcome.results", rec.Outcome.Results, got.Outcome.Results},
		{"outcome.contract", rec.Outcome.Contract, got.Outcome.Contract},
		{"outcome.events", rec.Outcome.Events, got.Outcome.Events},
		{"writes.sql", rec.Writes.Sql, got.Writes.Sql},
		{"writes.state", rec.Writes.State, got.Writes.State},
		{"writes.cache", rec.Writes.Cache, got.Writes.Cache},
		{"writes.blobs", rec.Writes.Blobs, got.Writes.Blobs},
		{"writes.accounts", rec.Writes.Accounts, got.Writes.Accounts},
		{"writes.supply", rec.Writes.Supply, got.Writes.Supply},
		{"root", rec.Root, got.Root},
	}
	for _, f := range fields {
		if !same(f.rec, f.got) {
			return &Mismatch{Position: pos, What: f.name, Recorded: short(f.rec), Replayed: short(f.got)}
		}
	}
	return &Mismatch{Position: pos, What: "entry bytes", Recorded: "differ", Replayed: "differ"}
}

// same says whether two values of one type hold the same data: pointers
// are followed (two nil pointers are the same, a nil and a non-nil one are
// not), and a nil slice is the same as an empty one (the decoder gives
// empty slices, the executor may give nil).
func same(a, b any) bool { return sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) }

func sameValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() || a.IsValid() && a.Type() != b.Type() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map, reflect.Func, reflect.Chan:
		// No entry field is one; compare by identity rather than panic.
		return a.Pointer() == b.Pointer()
	default:
		return a.Equal(b)
	}
}

// short renders a field for a message: its JSON (pointers followed, bytes
// in hex), cut at 200 characters.
func short(v any) string {
	var s string
	if b, err := json.Marshal(v); err == nil {
		s = string(b)
	} else {
		s = fmt.Sprintf("%+v", v)
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// memBlobs is an in-memory object store (Verify, tests).
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemBlobs() *memBlobs { return &memBlobs{m: map[string][]byte{}} }

func (b *memBlobs) Put(_ context.Context, data []byte) ([]byte, error) {
	cid := abi.RawCID(data)
	b.mu.Lock()
	b.m[string(cid)] = clone(data)
	b.mu.Unlock()
	return cid, nil
}

func (b *memBlobs) Get(_ context.Context, cid []byte) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.m[string(cid)]
	return clone(d), ok, nil
}

// SliceSource is an EntrySource over entries in memory.
type SliceSource struct {
	Entries [][]byte
	i       int
}

// Next implements EntrySource.
func (s *SliceSource) Next(context.Context) ([]byte, error) {
	if s.i >= len(s.Entries) {
		return nil, io.EOF
	}
	s.i++
	return s.Entries[s.i-1], nil
}
