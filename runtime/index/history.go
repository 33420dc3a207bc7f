package index

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Address history is kept in chunks: one entry per address per flush, not
// one per transaction. Each block's transactions go into an in-memory
// buffer, by address; every flushBlocks blocks (or flushEntries entries) the
// buffer is written as one key per address it holds,
//
//	"a" | address | height (8) | pos (4) of the chunk's first transaction
//	    -> (height (8) | pos (4) | tx hash (32)) for each transaction, oldest first
//
// and "h" records the height written through. A busy address costs one
// store entry a flush instead of one a transaction (a random-key insert into
// Badger's memtable is most of the index's cost). The chunks of one address
// never overlap, so key order is history order. Blocks above "h" are read
// again from blocks/ when the index is opened (Sync) and flushed at once;
// a flush a crash cut short is thereby rewritten under the same keys.
//
// A chunk holds at most chunkEntries transactions (11 KiB), so a page of a
// busy address's history decodes little more than it returns.
const (
	flushBlocks  = 64
	flushEntries = 1 << 18
	chunkEntries = 256
	entrySize    = 8 + 4 + len(types.Hash{})
)

var keyHistory = []byte("h")

type entry struct {
	loc  Location
	hash types.Hash
}

func (e entry) before(l Location) bool {
	return e.loc.Height < l.Height || (e.loc.Height == l.Height && e.loc.Position < l.Position)
}

// history is the buffer of address entries not yet flushed.
type history struct {
	byAddr  map[types.Address][]entry
	entries int
	blocks  int
	through uint64 // the last block in the buffer, when blocks > 0
}

// buffer adds block b's address entries. The caller holds ix.histMu.
func (ix *Index) buffer(b *types.Block, receipts []types.Receipt) {
	if ix.hist.byAddr == nil {
		ix.hist.byAddr = make(map[types.Address][]entry)
	}
	h := b.Header.Height
	for i := range b.Transactions {
		tx := &b.Transactions[i]
		e := entry{Location{h, uint32(i)}, receipts[i].TxHash}
		ix.hist.byAddr[tx.From] = append(ix.hist.byAddr[tx.From], e)
		ix.hist.entries++
		if tx.To != tx.From && !tx.To.IsZero() {
			ix.hist.byAddr[tx.To] = append(ix.hist.byAddr[tx.To], e)
			ix.hist.entries++
		}
	}
	ix.hist.blocks++
	ix.hist.through = h
}

// flush writes the buffer as chunks and records the height they cover. The
// caller holds ix.histMu. A WriteBatch may commit in parts; the height is
// written after all of them, so a crash leaves it at the previous flush and
// the next Sync writes the same chunks again.
func (ix *Index) flush() error {
	if ix.hist.blocks == 0 {
		return nil
	}
	wb := ix.db.NewWriteBatch()
	defer wb.Cancel()
	for addr, all := range ix.hist.byAddr {
		for es := range slices.Chunk(all, chunkEntries) {
			if err := wb.Set(addrKey(addr, es[0].loc.Height, es[0].loc.Position), encodeChunk(es)); err != nil {
				return err
			}
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	through := ix.hist.through
	if err := ix.db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyHistory, binary.BigEndian.AppendUint64(nil, through))
	}); err != nil {
		return err
	}
	ix.hist = history{}
	return nil
}

// loadHistory buffers the blocks above the stored history's height up to the
// indexed height, from src, and flushes them: after a restart (the buffer
// died with the process) and after a flush a crash cut short.
func (ix *Index) loadHistory(src BlockSource) error {
	hist, histOK, err := ix.storedHistoryHeight()
	if err != nil {
		return err
	}
	indexed, indexedOK, err := ix.Height()
	if err != nil {
		return err
	}
	ix.histMu.Lock()
	defer ix.histMu.Unlock()
	ix.hist = history{}
	ix.histLoaded = true
	if !indexedOK {
		return nil
	}
	from := uint64(0)
	if histOK {
		from = hist + 1
	}
	for h := from; h <= indexed; h++ {
		b, err := src.Block(h)
		if err != nil {
			return fmt.Errorf("index: reload history: %w", err)
		}
		var rs []types.Receipt
		if len(b.Transactions) > 0 {
			if rs, err = src.Receipts(h); err != nil {
				return fmt.Errorf("index: reload history: %w", err)
			}
		}
		ix.buffer(b, rs)
	}
	return ix.flush()
}

// ByAddress returns up to limit transaction hashes that involve addr, newest
// first (desc) or oldest first, starting after cursor when one is given.
func (ix *Index) ByAddress(addr types.Address, limit int, desc bool, after *Cursor) ([]types.Hash, []Location, error) {
	ix.settle()
	ix.histMu.RLock()
	defer ix.histMu.RUnlock()
	var hashes []types.Hash
	var locs []Location
	var cur *Location
	if after != nil {
		cur = &Location{after.Height, after.Position}
	}
	// take appends e if it lies beyond the cursor; false once the page is full.
	take := func(e entry) bool {
		if len(hashes) >= limit {
			return false
		}
		if cur != nil && (e.loc == *cur || (desc != e.before(*cur))) {
			return true
		}
		hashes = append(hashes, e.hash)
		locs = append(locs, e.loc)
		return len(hashes) < limit
	}
	buffered := ix.hist.byAddr[addr]
	if desc {
		for _, e := range slices.Backward(buffered) {
			if !take(e) {
				return hashes, locs, nil
			}
		}
	}
	if limit > 0 {
		if err := ix.storedHistory(addr, desc, cur, take); err != nil {
			return nil, nil, err
		}
	}
	if !desc {
		for _, e := range buffered {
			if !take(e) {
				break
			}
		}
	}
	return hashes, locs, nil
}

// storedHistory feeds fn the stored entries of addr in order (newest first
// when desc), from the chunk that holds cur on, until fn returns false.
func (ix *Index) storedHistory(addr types.Address, desc bool, cur *Location, fn func(entry) bool) error {
	prefix := append([]byte{'a'}, addr[:]...)
	return ix.db.View(func(txn *badger.Txn) error {
		// The first chunk to read: the last one whose first entry is at or
		// before the cursor, in either direction.
		var start []byte
		if cur != nil {
			o := badger.DefaultIteratorOptions
			o.Reverse, o.Prefix, o.PrefetchValues = true, prefix, false
			it := txn.NewIterator(o)
			it.Seek(addrKey(addr, cur.Height, cur.Position))
			if it.ValidForPrefix(prefix) {
				start = it.Item().KeyCopy(nil)
			}
			it.Close()
			if start == nil && desc {
				return nil // nothing stored before the cursor
			}
		}
		o := badger.DefaultIteratorOptions
		o.Reverse, o.Prefix = desc, prefix
		it := txn.NewIterator(o)
		defer it.Close()
		switch {
		case start != nil:
			it.Seek(start)
		case desc:
			it.Seek(append(append([]byte{}, prefix...), 0xff))
		default:
			it.Seek(prefix)
		}
		for ; it.ValidForPrefix(prefix); it.Next() {
			var es []entry
			err := it.Item().Value(func(v []byte) (err error) {
				es, err = decodeChunk(v)
				return err
			})
			if err != nil {
				return err
			}
			if desc {
				slices.Reverse(es)
			}
			for _, e := range es {
				if !fn(e) {
					return nil
				}
			}
		}
		return nil
	})
}

func encodeChunk(es []entry) []byte {
	v := make([]byte, 0, len(es)*entrySize)
	for _, e := range es {
		v = binary.BigEndian.AppendUint64(v, e.loc.Height)
		v = binary.BigEndian.AppendUint32(v, e.loc.Position)
		v = append(v, e.hash[:]...)
	}
	return v
}

// decodeChunk decodes a stored chunk; a damaged one is an error, never a
// panic.
func decodeChunk(v []byte) ([]entry, error) {
	if len(v)%entrySize != 0 || len(v) == 0 || len(v) > chunkEntries*entrySize {
		return nil, fmt.Errorf("index: history chunk of %d bytes", len(v))
	}
	es := make([]entry, len(v)/entrySize)
	for i := range es {
		r := v[i*entrySize:]
		es[i].loc = Location{binary.BigEndian.Uint64(r), binary.BigEndian.Uint32(r[8:])}
		copy(es[i].hash[:], r[12:entrySize])
	}
	return es, nil
}
