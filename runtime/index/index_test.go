package index

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
)

func memDB(t *testing.T) *badger.DB {
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type chain struct {
	blocks   []*types.Block
	receipts [][]types.Receipt
}

func (c *chain) Block(h uint64) (*types.Block, error)       { return c.blocks[h], nil }
func (c *chain) Receipts(h uint64) ([]types.Receipt, error) { return c.receipts[h], nil }

// build makes blocks 0..n where block h has h transfers from a to b (and a
// username claim by b at height 2).
func build(n int) (*chain, *types.Genesis, types.Address, types.Address) {
	a, b := types.Address{1}, types.Address{2}
	g := &types.Genesis{ChainID: 1, Allocations: []types.GenesisAllocation{{Address: a, Username: "alice"}}}
	c := &chain{blocks: []*types.Block{{}}, receipts: [][]types.Receipt{nil}}
	for h := 1; h <= n; h++ {
		blk := &types.Block{Header: types.BlockHeader{Height: uint64(h)}}
		var rs []types.Receipt
		for i := 0; i < h; i++ {
			blk.Transactions = append(blk.Transactions, types.Transaction{From: a, To: b, Nonce: uint64(len(rs))})
			rs = append(rs, types.Receipt{TxHash: types.Hash{byte(h), byte(i)}})
		}
		if h == 2 {
			p, _ := (&types.ClaimUsernamePayload{Username: "bob"}).MarshalBorsh()
			blk.Transactions = append(blk.Transactions, types.Transaction{Type: types.TxTypeClaimUsername, From: b, Data: p})
			rs = append(rs, types.Receipt{TxHash: types.Hash{9, 9}})
		}
		c.blocks = append(c.blocks, blk)
		c.receipts = append(c.receipts, rs)
	}
	return c, g, a, b
}

func TestSyncLookupAndPaging(t *testing.T) {
	c, g, a, b := build(4)
	ix := New(memDB(t))
	n, err := ix.Sync(c, g, 4)
	if err != nil || n != 5 {
		t.Fatalf("synced %d, %v", n, err)
	}
	if h, ok, _ := ix.Height(); !ok || h != 4 {
		t.Fatalf("height %d %v", h, ok)
	}
	loc, err := ix.Lookup(types.Hash{3, 1})
	if err != nil || loc != (Location{3, 1}) {
		t.Fatalf("lookup %+v %v", loc, err)
	}
	if _, err := ix.Lookup(types.Hash{7}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown tx: %v", err)
	}
	if got, ok, _ := ix.Username("alice"); !ok || got != a {
		t.Fatal("genesis username not indexed")
	}
	if got, ok, _ := ix.Username("bob"); !ok || got != b {
		t.Fatal("claimed username not indexed")
	}
	// a sent 1+2+3+4 = 10 transactions; page through newest first, 3 at a time.
	var all []types.Hash
	var cur *Cursor
	for {
		hs, locs, err := ix.ByAddress(a, 3, true, cur)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
		last := locs[len(locs)-1]
		cur = &Cursor{last.Height, last.Position}
	}
	if len(all) != 10 || all[0] != (types.Hash{4, 3}) || all[9] != (types.Hash{1, 0}) {
		t.Fatalf("desc history %d entries, first %v last %v", len(all), all[0], all[len(all)-1])
	}
	// Oldest first, b (recipient of 10 plus its own claim) has 11.
	hs, _, _ := ix.ByAddress(b, 100, false, nil)
	if len(hs) != 11 || hs[0] != (types.Hash{1, 0}) {
		t.Fatalf("asc history of b: %d, first %v", len(hs), hs[0])
	}
}

func TestAddRejectsGapsAndCatchesUp(t *testing.T) {
	c, g, _, _ := build(5)
	ix := New(memDB(t))
	if _, err := ix.Sync(c, g, 2); err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(c.blocks[4], c.receipts[4]); err == nil {
		t.Fatal("indexed block 4 after 2")
	}
	n, err := ix.Sync(c, g, 5)
	if err != nil || n != 3 {
		t.Fatalf("catch-up indexed %d, %v", n, err)
	}
}

// With the background writer, a read issued after Enqueue returns sees the
// block: reads settle first.
func TestEnqueueThenReadSeesBlock(t *testing.T) {
	c, g, a, _ := build(30)
	ix := New(memDB(t))
	if _, err := ix.Sync(c, g, 0); err != nil {
		t.Fatal(err)
	}
	ix.Start(c, g, slog.New(slog.DiscardHandler))
	defer ix.Stop()
	for h := 1; h <= 30; h++ {
		ix.Enqueue(c.blocks[h], c.receipts[h])
		// Immediately readable, without sleeping.
		if loc, err := ix.Lookup(types.Hash{byte(h), 0}); err != nil || loc.Height != uint64(h) {
			t.Fatalf("block %d: lookup right after Enqueue: %+v %v", h, loc, err)
		}
	}
	hs, _, err := ix.ByAddress(a, 1000, true, nil)
	if err != nil || len(hs) != 30*31/2 {
		t.Fatalf("history %d entries, %v", len(hs), err)
	}
}

// A failed background write (here: a block out of order) is repaired by
// catching up from the block source.
func TestWriterCatchesUpAfterFailure(t *testing.T) {
	c, g, _, _ := build(5)
	ix := New(memDB(t))
	if _, err := ix.Sync(c, g, 1); err != nil {
		t.Fatal(err)
	}
	ix.Start(c, g, slog.New(slog.DiscardHandler))
	ix.Enqueue(c.blocks[4], c.receipts[4]) // 2 and 3 were never enqueued
	ix.Stop()
	if h, ok, _ := ix.Height(); !ok || h != 4 {
		t.Fatalf("indexed height %d, want 4 after catch-up", h)
	}
}

// Namespaces are indexed from successful creates and deletes only, listed
// by name, filtered by owner and paged by the last name.
func TestListNamespaces(t *testing.T) {
	a, b := types.Address{1}, types.Address{2}
	create := func(from types.Address, name string) types.Transaction {
		p, _ := (&types.NamespaceCreatePayload{Name: name}).MarshalBorsh()
		return types.Transaction{Type: types.TxTypeNamespaceCreate, From: from, Data: p}
	}
	del := func(from types.Address, name string) types.Transaction {
		p, _ := (&types.NamespaceDeletePayload{Name: name}).MarshalBorsh()
		return types.Transaction{Type: types.TxTypeNamespaceDelete, From: from, Data: p}
	}
	ok, failed := types.TxStatusSuccess, types.TxStatusNamespaceExists
	blocks := [][]struct {
		tx types.Transaction
		st types.TxStatus
	}{
		{{create(a, "delta"), ok}, {create(b, "alpha"), ok}, {create(a, "charlie"), ok}, {create(b, "delta"), failed}},
		{{create(a, "bravo"), ok}, {del(a, "charlie"), ok}, {create(b, "echo"), ok}, {del(b, "bravo"), types.TxStatusNotOwner}},
		// Deleted and created again by another owner in one block.
		{{del(a, "delta"), ok}, {create(b, "delta"), ok}},
	}
	c := &chain{blocks: []*types.Block{{}}, receipts: [][]types.Receipt{nil}}
	for h, txs := range blocks {
		blk := &types.Block{Header: types.BlockHeader{Height: uint64(h + 1)}}
		var rs []types.Receipt
		for i, x := range txs {
			blk.Transactions = append(blk.Transactions, x.tx)
			rs = append(rs, types.Receipt{TxHash: types.Hash{byte(h), byte(i)}, Status: x.st})
		}
		c.blocks = append(c.blocks, blk)
		c.receipts = append(c.receipts, rs)
	}
	ix := New(memDB(t))
	if _, err := ix.Sync(c, &types.Genesis{ChainID: 1}, uint64(len(blocks))); err != nil {
		t.Fatal(err)
	}
	names := func(es []NamespaceEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	all, err := ix.ListNamespaces(nil, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []NamespaceEntry{{"alpha", b}, {"bravo", a}, {"delta", b}, {"echo", b}}
	if len(all) != len(want) {
		t.Fatalf("all: %+v", all)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, all[i], want[i])
		}
	}
	// Pages of two, by the last name.
	p1, _ := ix.ListNamespaces(nil, "", 2)
	p2, _ := ix.ListNamespaces(nil, p1[len(p1)-1].Name, 2)
	p3, _ := ix.ListNamespaces(nil, p2[len(p2)-1].Name, 2)
	if got := names(append(append(p1, p2...), p3...)); len(got) != 4 || got[0] != "alpha" || got[3] != "echo" || len(p3) != 0 {
		t.Errorf("pages %v %v %v", names(p1), names(p2), names(p3))
	}
	// By owner.
	ofA, _ := ix.ListNamespaces(&a, "", 100)
	if got := names(ofA); len(got) != 1 || got[0] != "bravo" || ofA[0].Owner != a {
		t.Errorf("owned by a: %+v", ofA)
	}
	ofB, _ := ix.ListNamespaces(&b, "alpha", 1)
	if got := names(ofB); len(got) != 1 || got[0] != "delta" {
		t.Errorf("owned by b after alpha: %v", got)
	}
	if none, _ := ix.ListNamespaces(&types.Address{9}, "", 100); len(none) != 0 {
		t.Errorf("an owner of nothing: %+v", none)
	}
}
