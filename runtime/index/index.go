// Package index maintains the node's query indexes in the index/ database:
// transactions by hash and by address, usernames, and namespaces by name
// and by owner. The index is not
// consensus data: each node keeps its own and rebuilds it from blocks/
// whenever it is missing or behind (Sync), so it is written after a block
// commits and never needs to be atomic with it.
//
// It must never depend on execution, consensus or networking.
package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// ErrNotFound reports a transaction the index does not know.
var ErrNotFound = errors.New("index: not found")

// Key layout (big-endian numbers so keys sort by height):
//
//	"v"                                  -> format (1 byte; see formatVersion)
//	"m"                                  -> indexed height (8)
//	"t" | tx hash                        -> height (8) | position (4)
//	"a" | address | height (8) | pos (4) -> a chunk of the address's history
//	                                        (sender and recipient; history.go)
//	"h"                                  -> height the chunks cover (8)
//	"u" | username                       -> address
//	"n" | namespace name                 -> owner address
//	"o" | owner | namespace name         -> nothing
//
// Namespaces are indexed from successful NamespaceCreate and
// NamespaceDelete transactions (a name deleted and created again is
// indexed with its latest owner): the state tree cannot list its records.
var keyMeta = []byte("m")

// keyFormat holds formatVersion. An index without it (written before
// address history was chunked) is dropped and rebuilt from blocks/ by Sync.
var keyFormat = []byte("v")

const formatVersion = 2

// Location is where a transaction sits in the chain.
type Location struct {
	Height   uint64
	Position uint32
}

// Index is the index/ database.
//
// The node indexes blocks off its commit path: Enqueue hands a committed
// block to one background writer (Start). Every read first waits until all
// blocks enqueued before it was called are written, so a caller that saw a
// block committed (or a transaction leave the mempool) always finds it in
// the index. Without Start, reads do not wait and Add is called directly.
type Index struct {
	db *badger.DB

	mu      sync.Mutex
	cond    *sync.Cond
	queued  uint64 // blocks enqueued
	written uint64 // enqueued blocks the writer has finished
	jobs    chan job
	stopped chan struct{}
	started bool

	histMu     sync.RWMutex // guards hist and histLoaded; read-held by address reads
	hist       history      // address entries not yet flushed (history.go)
	histLoaded bool         // hist holds every block above the stored history
}

type job struct {
	b        *types.Block
	receipts []types.Receipt
}

// New wraps the index database.
func New(db *badger.DB) *Index {
	ix := &Index{db: db}
	ix.cond = sync.NewCond(&ix.mu)
	return ix
}

// Start runs the background writer for Enqueue. If writing a block fails
// (a disk error), the writer logs it and catches up from src, so one bad
// write does not wedge the index.
func (ix *Index) Start(src BlockSource, g *types.Genesis, log *slog.Logger) {
	ix.mu.Lock()
	ix.started = true
	ix.jobs = make(chan job, 256)
	ix.stopped = make(chan struct{})
	ix.mu.Unlock()
	go func() {
		defer close(ix.stopped)
		for j := range ix.jobs {
			if err := ix.Add(j.b, j.receipts); err != nil {
				log.Error("index block; catching up from blocks/", "height", j.b.Header.Height, "err", err)
				if _, err := ix.Sync(src, g, j.b.Header.Height); err != nil {
					log.Error("index catch-up", "err", err)
				}
			}
			ix.mu.Lock()
			ix.written++
			ix.cond.Broadcast()
			ix.mu.Unlock()
		}
	}()
}

// Enqueue hands a committed block to the writer. It blocks only when the
// writer is far behind (back-pressure).
func (ix *Index) Enqueue(b *types.Block, receipts []types.Receipt) {
	ix.mu.Lock()
	ix.queued++
	ix.mu.Unlock()
	ix.jobs <- job{b, receipts}
}

// Stop finishes the queued writes and stops the writer.
func (ix *Index) Stop() {
	ix.mu.Lock()
	started := ix.started
	ix.started = false
	ix.mu.Unlock()
	if started {
		close(ix.jobs)
		<-ix.stopped
	}
}

// settle waits until every block enqueued before the call is written.
func (ix *Index) settle() {
	ix.mu.Lock()
	for target := ix.queued; ix.written < target; {
		ix.cond.Wait()
	}
	ix.mu.Unlock()
}

// Height returns the last indexed height, and false when nothing is indexed.
func (ix *Index) Height() (uint64, bool, error) { return ix.readHeight(keyMeta) }

// readHeight reads a height stored under key, and false when key is absent.
func (ix *Index) readHeight(key []byte) (uint64, bool, error) {
	v, ok, err := ix.read(key)
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("index: %q holds %d bytes, not a height", key, len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// read returns a copy of the value under key, and false when key is absent.
func (ix *Index) read(key []byte) ([]byte, bool, error) {
	var v []byte
	found := false
	err := ix.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		v, err = item.ValueCopy(nil)
		return err
	})
	return v, found, err
}

func addrKey(a types.Address, h uint64, pos uint32) []byte {
	k := make([]byte, 0, 1+20+12)
	k = append(k, 'a')
	k = append(k, a[:]...)
	k = binary.BigEndian.AppendUint64(k, h)
	return binary.BigEndian.AppendUint32(k, pos)
}

// Add indexes one block; it must be the next height after Height. Blocks are
// indexed in one transaction each, so the index is never half a block ahead.
func (ix *Index) Add(b *types.Block, receipts []types.Receipt) error {
	h := b.Header.Height
	cur, ok, err := ix.Height()
	if err != nil {
		return err
	}
	if (ok && h != cur+1) || (!ok && h != 0) {
		return fmt.Errorf("index: block %d does not follow indexed height %d", h, cur)
	}
	ix.histMu.Lock()
	defer ix.histMu.Unlock()
	if !ix.histLoaded {
		// Without Sync, the buffer may only start empty: nothing indexed,
		// or the stored history as high as the index.
		if ok {
			hist, histOK, err := ix.storedHistoryHeight()
			if err != nil {
				return err
			}
			if !histOK || hist != cur {
				return fmt.Errorf("index: address history at %d behind indexed height %d: Sync first", hist, cur)
			}
		}
		ix.histLoaded = true
	}
	err = ix.db.Update(func(txn *badger.Txn) error {
		if h == 0 {
			if err := txn.Set(keyFormat, []byte{formatVersion}); err != nil {
				return err
			}
		}
		for i := range b.Transactions {
			tx := &b.Transactions[i]
			th := receipts[i].TxHash
			loc := binary.BigEndian.AppendUint64(nil, h)
			loc = binary.BigEndian.AppendUint32(loc, uint32(i))
			if err := txn.Set(append([]byte{'t'}, th[:]...), loc); err != nil {
				return err
			}
			if err := indexNamespace(txn, tx, receipts[i].Status); err != nil {
				return err
			}
			if tx.Type == types.TxTypeClaimUsername && receipts[i].Status == types.TxStatusSuccess {
				var p types.ClaimUsernamePayload
				if p.UnmarshalBorsh(tx.Data) == nil {
					if err := txn.Set(append([]byte{'u'}, p.Username...), tx.From[:]); err != nil {
						return err
					}
				}
			}
		}
		return txn.Set(keyMeta, binary.BigEndian.AppendUint64(nil, h))
	})
	if err != nil {
		return err
	}
	ix.buffer(b, receipts)
	if ix.hist.blocks >= flushBlocks || ix.hist.entries >= flushEntries {
		return ix.flush()
	}
	return nil
}

// storedHistoryHeight returns the height the stored address history covers.
func (ix *Index) storedHistoryHeight() (uint64, bool, error) { return ix.readHeight(keyHistory) }

func nsKey(name string) []byte { return append([]byte{'n'}, name...) }

func nsOwnerKey(owner types.Address, name string) []byte {
	k := make([]byte, 0, 1+20+len(name))
	k = append(k, 'o')
	k = append(k, owner[:]...)
	return append(k, name...)
}

// indexNamespace records a successful namespace create or delete.
func indexNamespace(txn *badger.Txn, tx *types.Transaction, status types.TxStatus) error {
	if status != types.TxStatusSuccess {
		return nil
	}
	switch tx.Type {
	case types.TxTypeNamespaceCreate:
		var p types.NamespaceCreatePayload
		if p.UnmarshalBorsh(tx.Data) != nil {
			return nil
		}
		if err := txn.Set(nsKey(p.Name), tx.From[:]); err != nil {
			return err
		}
		return txn.Set(nsOwnerKey(tx.From, p.Name), nil)
	case types.TxTypeNamespaceDelete:
		var p types.NamespaceDeletePayload
		if p.UnmarshalBorsh(tx.Data) != nil {
			return nil
		}
		// Only the owner deletes (NotOwner otherwise), so From is the owner.
		if err := txn.Delete(nsKey(p.Name)); err != nil {
			return err
		}
		return txn.Delete(nsOwnerKey(tx.From, p.Name))
	}
	return nil
}

// NamespaceEntry is one namespace as the index lists it: its name and
// owner. The record itself (tier, placement) is in the state
// (state.State.Namespace).
type NamespaceEntry struct {
	Name  string
	Owner types.Address
}

// ListNamespaces returns up to limit namespaces in ascending name order,
// only those owned by *owner when owner is not nil, starting after the
// name after ("" from the first). A page of limit entries may have more
// after it: the next page starts after its last name.
func (ix *Index) ListNamespaces(owner *types.Address, after string, limit int) ([]NamespaceEntry, error) {
	ix.settle()
	out := []NamespaceEntry{}
	if limit <= 0 {
		return out, nil
	}
	prefix := []byte{'n'}
	if owner != nil {
		prefix = append([]byte{'o'}, owner[:]...)
	}
	err := ix.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = prefix
		o.PrefetchValues = owner == nil
		it := txn.NewIterator(o)
		defer it.Close()
		seek := append(append([]byte{}, prefix...), after...)
		for it.Seek(seek); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
			name := string(it.Item().Key()[len(prefix):])
			if name == after {
				continue // the cursor itself was returned on the previous page
			}
			e := NamespaceEntry{Name: name}
			if owner != nil {
				e.Owner = *owner
			} else if err := it.Item().Value(func(v []byte) error { copy(e.Owner[:], v); return nil }); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AddGenesis indexes genesis usernames (block 0 has no transactions).
func (ix *Index) AddGenesis(g *types.Genesis, b0 *types.Block) error {
	if err := ix.Add(b0, nil); err != nil {
		return err
	}
	return ix.db.Update(func(txn *badger.Txn) error {
		for _, a := range g.Allocations {
			if a.Username != "" {
				if err := txn.Set(append([]byte{'u'}, a.Username...), a.Address[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Lookup returns where a transaction is.
func (ix *Index) Lookup(h types.Hash) (Location, error) {
	ix.settle()
	var loc Location
	err := ix.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(append([]byte{'t'}, h[:]...))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			loc.Height = binary.BigEndian.Uint64(v)
			loc.Position = binary.BigEndian.Uint32(v[8:])
			return nil
		})
	})
	return loc, err
}

// Cursor is an opaque position in an address's history.
type Cursor struct {
	Height   uint64
	Position uint32
}

// Username returns the address that claimed name, per the index.
func (ix *Index) Username(name string) (types.Address, bool, error) {
	ix.settle()
	var a types.Address
	v, found, err := ix.read(append([]byte{'u'}, name...))
	copy(a[:], v)
	return a, found, err
}

// BlockSource is where Sync reads blocks from (runtime/store).
type BlockSource interface {
	Block(h uint64) (*types.Block, error)
	Receipts(h uint64) ([]types.Receipt, error)
}

// Sync indexes every block from the index's height up to head: the rebuild
// when index/ is missing and the catch-up after a crash.
func (ix *Index) Sync(src BlockSource, g *types.Genesis, head uint64) (int, error) {
	if err := ix.checkFormat(); err != nil {
		return 0, err
	}
	if err := ix.loadHistory(src); err != nil {
		return 0, err
	}
	cur, ok, err := ix.Height()
	if err != nil {
		return 0, err
	}
	next := uint64(0)
	if ok {
		next = cur + 1
	}
	n := 0
	for h := next; h <= head; h++ {
		b, err := src.Block(h)
		if err != nil {
			return n, err
		}
		if h == 0 {
			if err := ix.AddGenesis(g, b); err != nil {
				return n, err
			}
			n++
			continue
		}
		rs, err := src.Receipts(h)
		if err != nil {
			return n, err
		}
		if err := ix.Add(b, rs); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// checkFormat drops an index written in an older format: Sync then rebuilds
// it from blocks/.
func (ix *Index) checkFormat() error {
	_, indexed, err := ix.Height()
	if err != nil {
		return err
	}
	v, _, err := ix.read(keyFormat)
	if err != nil || !indexed || (len(v) == 1 && v[0] == formatVersion) {
		return err
	}
	ix.histMu.Lock()
	ix.hist, ix.histLoaded = history{}, false
	ix.histMu.Unlock()
	if err := ix.db.DropAll(); err != nil {
		return fmt.Errorf("index: drop the old format: %w", err)
	}
	return nil
}
