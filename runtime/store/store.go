// Package store owns the node's three BadgerDB databases, laid out as
// Appendix G section 3 describes:
//
//	<data dir>/blocks/  headers, bodies and receipts by height, and the head
//	<data dir>/state/   Sparse Merkle Tree nodes (runtime/smt's key layout)
//	<data dir>/index/   per-node query indexes (not consensus; rebuildable)
//
// # Atomic block commits
//
// A block is committed in two steps. First the state tree's new nodes are
// written to state/ and synced once (SyncState; runtime/smt writes them
// content-addressed, so nodes of a block that never commits are unreachable
// garbage, not corruption). Then
// CommitBlock writes the block, its receipts and the new head pointer to
// blocks/ in ONE Badger transaction, synced to disk. The head pointer is the
// commit point: a crash at any instant leaves the node at the previous head
// or the new one. A Badger WriteBatch may split a large batch into several
// transactions, so it is never used for blocks/.
//
// The package must never depend on execution, consensus or networking.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// ErrNotFound reports a block or receipt the store does not hold.
var ErrNotFound = errors.New("store: not found")

// ErrHeightMismatch reports a CommitBlock that does not extend the head.
var ErrHeightMismatch = errors.New("store: block does not extend the head")

// stateValueThreshold is the size above which a state/ value goes to the
// value log (see Open).
const stateValueThreshold = 128

// Options configure Open.
type Options struct {
	// NoSync turns off syncing commits to disk. Only for tests and
	// benchmarks: a crash may then lose committed blocks.
	NoSync bool
	// InMemory keeps all three databases in memory (tests).
	InMemory bool
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
}

// Store is the node's storage.
type Store struct {
	Blocks *badger.DB
	State  *badger.DB
	Index  *badger.DB
	log    *slog.Logger
	evMu   sync.Mutex // serializes PutEvidence's read-check-write
}

// Open opens (creating on first use) blocks/, state/ and index/ under dir.
func Open(dir string, o Options) (*Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log}
	open := func(name string) (*badger.DB, error) {
		p := filepath.Join(dir, name)
		// Only blocks/ syncs each write. state/ is synced once per block by
		// SyncState, before the block commits (see the package comment);
		// index/ is rebuilt from blocks/ whenever it is behind (it records
		// its own height), so it never needs a synced write.
		bo := badger.DefaultOptions(p).
			WithSyncWrites(!o.NoSync && name == "blocks").
			WithLogger(badgerLogger{log.With("db", name)}).
			WithInMemory(o.InMemory).
			// Each database has a single writer (the node's commit path), so
			// Badger's optimistic conflict tracking is pure overhead.
			WithDetectConflicts(false).
			// Values over 4 KiB (block bodies, receipt lists, the state
			// tree's per-block stale record) go to the value log, written
			// once, instead of through the LSM tree, whose memtable,
			// flushes and compactions would copy them again and again.
			WithValueThreshold(4 << 10)
		if name == "state" {
			// Tree nodes are mostly SHA-256 hashes, which do not compress:
			// compressing them only costs CPU.
			bo = bo.WithCompression(options.None).
				// Leaves and most pages (over 128 bytes) go to the value log
				// too, leaving the LSM tree their keys and 12-byte pointers:
				// every block writes hundreds of them at random keys, and in
				// the LSM tree each was copied again by every flush and
				// compaction (D31: 12-17% of a transfer's CPU over 500,000
				// transfers). Pruned nodes' space comes back through RunGC.
				WithValueThreshold(stateValueThreshold)
		}
		if o.InMemory {
			bo = bo.WithDir("").WithValueDir("")
		} else if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, err
		}
		db, err := openBadger(bo, log)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", name, err)
		}
		return db, nil
	}
	var err error
	if s.Blocks, err = open("blocks"); err != nil {
		return nil, err
	}
	if s.State, err = open("state"); err != nil {
		s.Close()
		return nil, err
	}
	if s.Index, err = open("index"); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openBadger opens a Badger database, getting past empty log files a crash
// left behind. A crash between Badger creating a memtable WAL (.mem) or
// value-log (.vlog) file and sizing it leaves the file empty, and
// badger.Open then fails with z.NewFile (dgraph-io/badger#2207, unfixed in
// v4.9.6) after sizing the file itself, so the next attempt reads it as an
// empty log: nothing is lost, since an empty file holds no entry. Each
// attempt gets past one such file; the retries are bounded by the number of
// kinds of log file in each of Badger's directories. Files are never
// deleted here: Open may be racing another process for the directory lock.
func openBadger(bo badger.Options, log *slog.Logger) (*badger.DB, error) {
	for attempt := 1; ; attempt++ {
		db, err := badger.Open(bo)
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), z.NewFile.Error()) {
			return db, err
		}
		log.Warn("reopening past an empty log file a crash left behind", "dir", bo.Dir, "err", err)
	}
}

// Close closes the databases.
func (s *Store) Close() error {
	var errs []error
	for _, db := range []*badger.DB{s.Index, s.State, s.Blocks} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// Keys in blocks/. Heights are big-endian so keys sort by height.
var (
	keyHead = []byte("head")
)

func heightKey(prefix byte, h uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], h)
	return k
}

const (
	prefixBlock    = 'b'
	prefixReceipts = 'r'
	prefixHash     = 'h' // block hash -> height
	prefixProof    = 'p' // height -> CommitProof of that final block
	prefixPending  = 'u' // height | hash -> a proposed block not yet final
)

// keySafety holds the validator's consensus SafetyRecord.
var keySafety = []byte("safety")

// SyncState makes every write to state/ so far durable. The node calls it
// after writing a block's state nodes and before CommitBlock: one fsync per
// block, however many internal transactions Badger split the nodes into.
func (s *Store) SyncState() error {
	if err := s.State.Sync(); err != nil {
		return fmt.Errorf("store: sync state: %w", err)
	}
	return nil
}

// Head is the last committed block.
type Head struct {
	Height uint64
	Hash   types.Hash
}

// Head returns the last committed block, or ok == false for an empty store.
func (s *Store) Head() (Head, bool, error) {
	var h Head
	found := false
	err := s.Blocks.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyHead)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 40 {
				return fmt.Errorf("store: head record is %d bytes", len(v))
			}
			h.Height = binary.BigEndian.Uint64(v)
			copy(h.Hash[:], v[8:])
			found = true
			return nil
		})
	})
	return h, found, err
}

// CommitBlock makes b the new head, with its receipts, in one synced Badger
// transaction. b must be at height 0 on an empty store, or extend the head.
func (s *Store) CommitBlock(b *types.Block, receipts []types.Receipt) error {
	return s.CommitFinal(b, receipts, nil)
}

// CommitFinal is CommitBlock that also records proof, the CommitProof that
// shows b final, in the same transaction. Block sync serves blocks up to a
// height with a recorded proof.
func (s *Store) CommitFinal(b *types.Block, receipts []types.Receipt, proof *types.CommitProof) error {
	hash, err := b.Header.Hash()
	if err != nil {
		return fmt.Errorf("store: block hash: %w", err)
	}
	head, ok, err := s.Head()
	if err != nil {
		return err
	}
	switch {
	case !ok && b.Header.Height != 0,
		ok && (b.Header.Height != head.Height+1 || b.Header.ParentHash != head.Hash):
		return fmt.Errorf("%w: height %d parent %v, head %+v", ErrHeightMismatch, b.Header.Height, b.Header.ParentHash, head)
	}
	body, err := b.MarshalBorsh()
	if err != nil {
		return fmt.Errorf("store: encode block: %w", err)
	}
	rs, err := (&types.BlockReceipts{Receipts: receipts}).MarshalBorsh()
	if err != nil {
		return fmt.Errorf("store: encode receipts: %w", err)
	}
	headRec := binary.BigEndian.AppendUint64(make([]byte, 0, 40), b.Header.Height)
	headRec = append(headRec, hash[:]...)
	kvs := [][2][]byte{
		{heightKey(prefixBlock, b.Header.Height), body},
		{heightKey(prefixReceipts, b.Header.Height), rs},
		{append([]byte{prefixHash}, hash[:]...), binary.BigEndian.AppendUint64(nil, b.Header.Height)},
		{keyHead, headRec},
	}
	if proof != nil {
		pb, err := proof.MarshalBorsh()
		if err != nil {
			return fmt.Errorf("store: encode commit proof: %w", err)
		}
		kvs = append(kvs, [2][]byte{heightKey(prefixProof, b.Header.Height), pb})
	}
	err = s.Blocks.Update(func(txn *badger.Txn) error {
		for _, kv := range kvs {
			if err := txn.Set(kv[0], kv[1]); err != nil {
				return err
			}
		}
		// Proposed blocks at or below a final height can never be final:
		// they go in the same synced write.
		return deletePending(txn, b.Header.Height)
	})
	if err != nil {
		return fmt.Errorf("store: commit block %d: %w", b.Header.Height, err)
	}
	return nil
}

func (s *Store) get(key []byte, into interface{ UnmarshalBorsh([]byte) error }) error {
	return s.Blocks.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return into.UnmarshalBorsh(v) })
	})
}

// Block returns the block at height h.
func (s *Store) Block(h uint64) (*types.Block, error) {
	var b types.Block
	if err := s.get(heightKey(prefixBlock, h), &b); err != nil {
		return nil, fmt.Errorf("store: block %d: %w", h, err)
	}
	return &b, nil
}

// Receipts returns the receipts of the block at height h.
func (s *Store) Receipts(h uint64) ([]types.Receipt, error) {
	var r types.BlockReceipts
	if err := s.get(heightKey(prefixReceipts, h), &r); err != nil {
		return nil, fmt.Errorf("store: receipts %d: %w", h, err)
	}
	return r.Receipts, nil
}

// HeightOf returns the height of the block with the given header hash.
func (s *Store) HeightOf(hash types.Hash) (uint64, error) {
	var h uint64
	err := s.Blocks.View(func(txn *badger.Txn) error {
		item, err := txn.Get(append([]byte{prefixHash}, hash[:]...))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			h = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	return h, err
}

// RunGC runs Badger's value-log garbage collection on every database each
// interval until ctx ends. Badger never reclaims value-log space on its own.
func (s *Store) RunGC(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for name, db := range map[string]*badger.DB{"blocks": s.Blocks, "state": s.State, "index": s.Index} {
				n := 0
				for db.RunValueLogGC(0.5) == nil {
					n++ // each success rewrote one value-log file; try again
				}
				if n > 0 {
					s.log.Info("value-log GC", "db", name, "files", n)
				}
			}
		}
	}
}

// badgerLogger routes Badger's logging into slog, dropping its chatty info
// and debug lines.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}

// CommitProof returns the recorded CommitProof of the final block at h.
func (s *Store) CommitProof(h uint64) (*types.CommitProof, error) {
	var p types.CommitProof
	if err := s.get(heightKey(prefixProof, h), &p); err != nil {
		return nil, fmt.Errorf("store: commit proof %d: %w", h, err)
	}
	return &p, nil
}

// LastProofHeight returns the highest height <= upto that has a recorded
// CommitProof.
func (s *Store) LastProofHeight(upto uint64) (uint64, bool, error) {
	var h uint64
	var found bool
	err := s.Blocks.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixProof}, Reverse: true})
		defer it.Close()
		it.Seek(heightKey(prefixProof, upto))
		if it.Valid() {
			k := it.Item().Key()
			if len(k) == 9 {
				h, found = binary.BigEndian.Uint64(k[1:]), true
			}
		}
		return nil
	})
	return h, found, err
}

// SaveSafety writes the validator's safety record in one synced
// transaction (blocks/ syncs every write): the consensus layer calls it
// before any vote or timeout that depends on it leaves the node.
func (s *Store) SaveSafety(r *types.SafetyRecord) error {
	b, err := r.MarshalBorsh()
	if err != nil {
		return fmt.Errorf("store: encode safety record: %w", err)
	}
	if err := s.Blocks.Update(func(txn *badger.Txn) error { return txn.Set(keySafety, b) }); err != nil {
		return fmt.Errorf("store: save safety record: %w", err)
	}
	return nil
}

// Safety returns the saved safety record, or ok == false if none was saved.
func (s *Store) Safety() (*types.SafetyRecord, bool, error) {
	var r types.SafetyRecord
	err := s.get(keySafety, &r)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: safety record: %w", err)
	}
	return &r, true, nil
}

func pendingKey(height uint64, h types.Hash) []byte {
	return append(heightKey(prefixPending, height), h[:]...)
}

// PutPending records a proposed block that is not final yet, so that a
// restarted validator still has the blocks its safety data refers to (its
// high QC may certify one that only it holds).
func (s *Store) PutPending(b *types.Block) error {
	h, err := b.Header.Hash()
	if err != nil {
		return err
	}
	v, err := b.MarshalBorsh()
	if err != nil {
		return fmt.Errorf("store: encode pending block: %w", err)
	}
	if err := s.Blocks.Update(func(txn *badger.Txn) error { return txn.Set(pendingKey(b.Header.Height, h), v) }); err != nil {
		return fmt.Errorf("store: pending block %d: %w", b.Header.Height, err)
	}
	return nil
}

// PendingBlocks returns the recorded proposed blocks above height, lowest
// first.
func (s *Store) PendingBlocks(above uint64) ([]*types.Block, error) {
	var out []*types.Block
	err := s.Blocks.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixPending}, PrefetchValues: true})
		defer it.Close()
		for it.Seek(heightKey(prefixPending, above+1)); it.Valid(); it.Next() {
			var b types.Block
			if err := it.Item().Value(func(v []byte) error { return b.UnmarshalBorsh(v) }); err != nil {
				return err
			}
			out = append(out, &b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending blocks: %w", err)
	}
	return out, nil
}

// deletePending deletes, in txn, the proposed blocks at or below upto.
func deletePending(txn *badger.Txn, upto uint64) error {
	var keys [][]byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixPending}})
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().KeyCopy(nil)
		if len(k) < 9 || binary.BigEndian.Uint64(k[1:9]) > upto {
			break
		}
		keys = append(keys, k)
	}
	it.Close()
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
