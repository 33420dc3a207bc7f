package index

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// want lists addr's history in c through height top, oldest first.
func want(c *chain, addr types.Address, top int) []Location {
	var out []Location
	for h := 1; h <= top; h++ {
		for i, tx := range c.blocks[h].Transactions {
			if tx.From == addr || (tx.To == addr && tx.To != tx.From) {
				out = append(out, Location{uint64(h), uint32(i)})
			}
		}
	}
	return out
}

// pages reads addr's whole history limit entries at a time.
func pages(t *testing.T, ix *Index, addr types.Address, limit int, desc bool) []Location {
	t.Helper()
	var all []Location
	var cur *Cursor
	for range 1 << 20 {
		hs, locs, err := ix.ByAddress(addr, limit, desc, cur)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != len(locs) || len(hs) > limit {
			t.Fatalf("page of %d hashes, %d locations, limit %d", len(hs), len(locs), limit)
		}
		if len(hs) == 0 {
			return all
		}
		all = append(all, locs...)
		last := locs[len(locs)-1]
		cur = &Cursor{last.Height, last.Position}
	}
	t.Fatal("history does not end")
	return nil
}

// checkHistory compares every page size and direction with the chain.
func checkHistory(t *testing.T, ix *Index, c *chain, top int) {
	t.Helper()
	for _, addr := range []types.Address{{1}, {2}, {3}} {
		w := want(c, addr, top)
		for _, limit := range []int{1, 7, 64, 1000} {
			if limit == 1 && len(w) > 3000 {
				continue // a page at a time is slow; address 3's history is enough
			}
			if got := pages(t, ix, addr, limit, false); !slices.Equal(got, w) {
				t.Fatalf("address %x, oldest first by %d: %d entries, want %d", addr[0], limit, len(got), len(w))
			}
			rev := slices.Clone(w)
			slices.Reverse(rev)
			if got := pages(t, ix, addr, limit, true); !slices.Equal(got, rev) {
				t.Fatalf("address %x, newest first by %d: %d entries, want %d", addr[0], limit, len(got), len(w))
			}
		}
	}
	// Every hash is the one at its location.
	hs, locs, err := ix.ByAddress(types.Address{1}, 1<<20, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range locs {
		if c.receipts[l.Height][l.Position].TxHash != hs[i] {
			t.Fatalf("entry %d at %+v: wrong hash", i, l)
		}
	}
}

// chainN is build's chain with a third address that receives from the
// first in every fifth block, so histories differ in density.
func chainN(n int) (*chain, *types.Genesis) {
	c, g, a, _ := build(n)
	for h := 5; h <= n; h += 5 {
		c.blocks[h].Transactions = append(c.blocks[h].Transactions, types.Transaction{From: a, To: types.Address{3}})
		c.receipts[h] = append(c.receipts[h], types.Receipt{TxHash: types.Hash{byte(h), 0xee}})
	}
	return c, g
}

// Address history in chunks reads exactly like the chain: across flushes
// (every flushBlocks blocks), from the buffer, and in both directions with
// any page size.
func TestHistoryChunks(t *testing.T) {
	c, g := chainN(150)
	db := memDB(t)
	ix := New(db)
	if _, err := ix.Sync(c, g, 150); err != nil {
		t.Fatal(err)
	}
	h, ok, err := ix.storedHistoryHeight()
	if err != nil || !ok || h != 127 { // blocks 0..127 are two flushes of 64
		t.Fatalf("history stored through %d (%v, %v), want 127", h, ok, err)
	}
	checkHistory(t, ix, c, 150)
	// One store entry per address per flush, not one per transaction.
	chunks := 0
	err = db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = []byte{'a'}
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			chunks++
		}
		return nil
	})
	// Per address and flush (blocks 0-63 and 64-127), chunks of up to
	// chunkEntries.
	wantChunks := 0
	for _, addr := range []types.Address{{1}, {2}, {3}} {
		w := want(c, addr, 127)
		first := 0
		for first < len(w) && w[first].Height <= 63 {
			first++
		}
		wantChunks += (first+chunkEntries-1)/chunkEntries + (len(w)-first+chunkEntries-1)/chunkEntries
	}
	if err != nil || chunks != wantChunks {
		t.Fatalf("%d history chunks stored (%v), want %d", chunks, err, wantChunks)
	}
}

// A restart loses the buffer: Sync reads its blocks again from blocks/, and
// a flush a crash cut short (chunks written, height not) leaves neither
// duplicates nor gaps.
func TestHistoryAfterRestart(t *testing.T) {
	c, g := chainN(150)
	db := memDB(t)
	if _, err := New(db).Sync(c, g, 150); err != nil {
		t.Fatal(err)
	}
	reopened := New(db)
	if err := reopened.Add(c.blocks[1], c.receipts[1]); err == nil {
		t.Fatal("Add on a reopened index with buffered blocks lost: want an error until Sync")
	}
	if _, err := reopened.Sync(c, g, 150); err != nil {
		t.Fatal(err)
	}
	checkHistory(t, reopened, c, 150)

	// A crash cuts the second flush short: its chunks are stored (here all
	// of them) but its height is not.
	db = memDB(t)
	if _, err := New(db).Sync(c, g, 127); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyHistory, binary.BigEndian.AppendUint64(nil, 63))
	}); err != nil {
		t.Fatal(err)
	}
	crashed := New(db)
	if _, err := crashed.Sync(c, g, 150); err != nil {
		t.Fatal(err)
	}
	checkHistory(t, crashed, c, 150)
	if err := crashed.Add(c.blocks[1], c.receipts[1]); err == nil {
		t.Fatal("indexed block 1 again")
	}
}

// An index written before history was chunked is rebuilt by Sync.
func TestOldFormatRebuilt(t *testing.T) {
	c, g := chainN(20)
	db := memDB(t)
	if err := db.Update(func(txn *badger.Txn) error {
		// The old layout: a key per transaction and no format key.
		if err := txn.Set(keyMeta, binary.BigEndian.AppendUint64(nil, 20)); err != nil {
			return err
		}
		return txn.Set(addrKey(types.Address{1}, 1, 0), make([]byte, 32))
	}); err != nil {
		t.Fatal(err)
	}
	ix := New(db)
	if n, err := ix.Sync(c, g, 20); err != nil || n != 21 {
		t.Fatalf("rebuilt %d blocks, %v", n, err)
	}
	checkHistory(t, ix, c, 20)
}

// FuzzDecodeChunk: a stored chunk, however damaged, decodes to an error or
// to entries that encode back to the same bytes.
func FuzzDecodeChunk(f *testing.F) {
	f.Add(encodeChunk([]entry{{Location{3, 1}, types.Hash{7}}, {Location{4, 0}, types.Hash{8}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		es, err := decodeChunk(v)
		if err != nil {
			return
		}
		if out := encodeChunk(es); !slices.Equal(out, v) {
			t.Fatalf("chunk re-encodes to %x, stored %x", out, v)
		}
	})
}
