package smt

import (
	"bytes"
	"errors"
	"maps"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestValueLimits(t *testing.T) {
	tr := mustOpen(t, NewMemStore(), EmptyRoot)
	if err := tr.Update([]byte("k"), nil); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("nil value: %v", err)
	}
	if err := tr.Update([]byte("k"), []byte{}); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("empty value: %v", err)
	}
	if err := tr.Update([]byte("k"), make([]byte, MaxValueSize+1)); !errors.Is(err, ErrValueTooLarge) {
		t.Fatalf("oversized value: %v", err)
	}
	big := bytes.Repeat([]byte{7}, MaxValueSize)
	if err := tr.Update([]byte("k"), big); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Commit(1); err != nil {
		t.Fatal(err)
	}
	if got, err := tr.Get([]byte("k")); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get of a MaxValueSize value: %d bytes, %v", len(got), err)
	}
	if _, err := tr.UpdateBatch(2, [][]byte{[]byte("a")}, nil); !errors.Is(err, ErrLengthMismatch) {
		t.Fatalf("UpdateBatch length mismatch: %v", err)
	}
	if _, err := tr.UpdateBatch(2, [][]byte{[]byte("a"), []byte("b")}, [][]byte{[]byte("1"), nil}); !errors.Is(err, ErrEmptyValue) || tr.Pending() != 0 {
		t.Fatalf("UpdateBatch with an empty value: %v, %d staged", err, tr.Pending())
	}
	if _, err := Open(NewMemStore(), EmptyRoot, WithNamespace(make([]byte, MaxNamespaceSize+1))); !errors.Is(err, ErrNamespaceTooLong) {
		t.Fatalf("long namespace: %v", err)
	}
}

func TestStagingAndReadYourWrites(t *testing.T) {
	store := NewMemStore()
	tr := mustOpen(t, store, EmptyRoot)
	val := []byte("v1")
	_ = tr.Update([]byte("k"), val)
	val[0] = 'X' // Update copied the value
	if got, err := tr.Get([]byte("k")); err != nil || string(got) != "v1" {
		t.Fatalf("staged Get = %q, %v", got, err)
	}
	if tr.Root() != EmptyRoot || store.Len() != 0 {
		t.Fatal("staging changed the root or wrote to the store")
	}
	root, err := tr.Commit(1)
	if err != nil || root == EmptyRoot {
		t.Fatalf("Commit = %x, %v", root, err)
	}
	_ = tr.Delete([]byte("k"))
	if _, err := tr.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after staged delete: %v", err)
	}
	tr.Discard()
	if got, err := tr.Get([]byte("k")); err != nil || string(got) != "v1" {
		t.Fatalf("Get after Discard = %q, %v", got, err)
	}
	// A commit that changes nothing writes nothing.
	n := store.Len()
	_ = tr.Update([]byte("k"), []byte("v1"))
	_ = tr.Delete([]byte("absent"))
	if r, err := tr.Commit(2); err != nil || r != root || store.Len() != n {
		t.Fatalf("no-op commit: root %x (was %x), %v, store %d -> %d keys", r, root, err, n, store.Len())
	}
}

func TestOpenUnknownRoot(t *testing.T) {
	if _, err := Open(NewMemStore(), [HashSize]byte{1}); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("Open of an unknown root: %v", err)
	}
}

// TestPruneKeepsRecreatedNode: a leaf removed at version 2 and created again
// at version 3 survives Prune(3), which reclaims the stale record of
// version 2.
func TestPruneKeepsRecreatedNode(t *testing.T) {
	store := NewMemStore()
	tr := mustOpen(t, store, EmptyRoot)
	for v, val := range []string{"one", "two", "one"} {
		_ = tr.Update([]byte("k"), []byte(val))
		if _, err := tr.Commit(uint64(v + 1)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Prune(store, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st != (PruneStats{Records: 2, Deleted: 1, Kept: 1}) {
		t.Fatalf("Prune stats %+v", st)
	}
	if got, err := mustOpen(t, store, tr.Root()).Get([]byte("k")); err != nil || string(got) != "one" {
		t.Fatalf("Get after prune = %q, %v", got, err)
	}
	if store.Len() != 1 {
		t.Fatalf("%d keys stored after prune, want the one leaf", store.Len())
	}
}

func TestPrunedRootIsMissing(t *testing.T) {
	store := NewMemStore()
	tr := mustOpen(t, store, EmptyRoot)
	_ = tr.Update([]byte("a"), []byte("1"))
	_ = tr.Update([]byte("b"), []byte("1"))
	old, _ := tr.Commit(1)
	_ = tr.Update([]byte("a"), []byte("2"))
	_, _ = tr.Commit(2)
	if _, err := Prune(store, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(store, old); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("Open of a pruned root: %v", err)
	}
	if _, err := mustOpen(t, store, tr.Root()).Prove([]byte("a")); err != nil {
		t.Fatal(err)
	}
}

func TestWithoutStaleRecords(t *testing.T) {
	store := NewMemStore()
	tr := mustOpen(t, store, EmptyRoot, WithoutStaleRecords())
	for v := range uint64(5) {
		_ = tr.Update([]byte("k"), []byte{byte('a' + v)})
		if _, err := tr.Commit(v + 1); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := Prune(store, 5); err != nil || st != (PruneStats{}) {
		t.Fatalf("Prune = %+v, %v", st, err)
	}
	if store.Len() != 5 {
		t.Fatalf("%d keys, want the 5 leaves of an archive", store.Len())
	}
}

// TestConcurrentReads runs readers of committed roots while a writer
// commits; run with -race.
func TestConcurrentReads(t *testing.T) {
	tr, m := fixture(t, 200)
	root := tr.Root()
	var wg sync.WaitGroup
	for range 4 {
		r := mustOpen(t, tr.store, root)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, v := range m {
				got, err := r.Get([]byte(k))
				if err != nil || !bytes.Equal(got, v) {
					t.Errorf("Get(%s) = %q, %v", k, got, err)
					return
				}
				p, err := r.Prove([]byte(k))
				if err == nil {
					err = VerifyInclusion(root, []byte(k), v, p)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for v := range uint64(20) {
		_ = tr.Update([]byte("writer"), []byte{byte(v + 1)})
		if _, err := tr.Commit(v + 2); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func openBadger(t testing.TB, dir string) *badger.DB {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBadgerStore(t *testing.T) {
	dir := t.TempDir()
	db := openBadger(t, dir)
	store := NewBadgerStore(db, []byte("state/"))
	tr := mustOpen(t, store, EmptyRoot)
	rng := rand.New(rand.NewSource(1))
	m := map[string][]byte{}
	type snap struct {
		root [HashSize]byte
		m    map[string][]byte
	}
	var snaps []snap
	for v := range uint64(20) {
		for range 30 {
			o := tOp{Key: uint8(rng.Intn(256)), Val: uint8(rng.Intn(256)), Del: rng.Intn(4) == 0}
			_ = o.stage(tr)
			o.apply(m)
		}
		root, err := tr.Commit(v + 1)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap{root, maps.Clone(m)})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: every version reads back from disk.
	db = openBadger(t, dir)
	defer db.Close()
	store = NewBadgerStore(db, []byte("state/"))
	for i, s := range snaps {
		if msg := checkState(mustOpen(t, store, s.root), s.m); msg != "" {
			t.Fatalf("version %d after reopen: %s", i+1, msg)
		}
	}
	if _, err := Prune(store, 16); err != nil {
		t.Fatal(err)
	}
	live := map[[HashSize]byte]bool{}
	for _, s := range snaps[15:] {
		tr := mustOpen(t, store, s.root)
		if msg := checkState(tr, s.m); msg != "" {
			t.Fatalf("after prune: %s", msg)
		}
		maps.Copy(live, reachable(t, tr))
	}
	if got := storedNodes(t, store, nil); !maps.Equal(got, live) {
		t.Fatalf("after Prune(16): %d nodes stored, %d live in versions 16..20", len(got), len(live))
	}
	if _, err := Open(store, snaps[0].root); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("Open of pruned version 1: %v", err)
	}
	// Everything the tree wrote is under the store's prefix.
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); !strings.HasPrefix(string(k), "state/") && !strings.HasPrefix(string(k), "!badger!") {
				t.Errorf("key %q outside the prefix", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLargeCommits: commits big enough to be split over goroutines (see
// minParallelOps) give the reference root and read back; run with -race.
func TestLargeCommits(t *testing.T) {
	store := NewMemStore()
	tr := mustOpen(t, store, EmptyRoot)
	rng := rand.New(rand.NewSource(3))
	m := map[string][]byte{}
	for v := range uint64(3) {
		for range 1500 {
			k := []byte{byte(rng.Intn(8)), byte(rng.Intn(256)), byte(rng.Intn(256))}
			if rng.Intn(3) == 0 {
				_ = tr.Delete(k)
				delete(m, string(k))
				continue
			}
			val := []byte{byte(rng.Intn(256)), 1}
			_ = tr.Update(k, val)
			m[string(k)] = val
		}
		root, err := tr.Commit(v + 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := newRefTree(m).root(); root != want {
			t.Fatalf("version %d: root %x, reference %x", v+1, root, want)
		}
	}
	for k, want := range m {
		if got, err := tr.Get([]byte(k)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get(%x) = %x, %v; want %x", k, got, err, want)
		}
	}
	reachable(t, tr) // every stored node decodes canonically and hashes to its key
}

// TestLeafPlacement: a leaf with a small value lives in its parent's page and
// costs no entry of its own; a one-key tree's leaf, and a leaf whose value is
// over maxInlineValue, are stored under their hashes; a stored leaf that a
// later commit moves into a page stays stored (the page refers to it) until
// it leaves the tree.
func TestLeafPlacement(t *testing.T) {
	s := NewMemStore()
	tr := mustOpen(t, s, EmptyRoot)
	leafEntries := func() int {
		t.Helper()
		n := 0
		for h := range storedNodes(t, s, nil) {
			if b, _ := tr.load(&h); b[0] == tagLeaf {
				n++
			}
		}
		return n
	}
	commit := func(v uint64, kv ...string) {
		t.Helper()
		for i := 0; i < len(kv); i += 2 {
			if err := tr.Update([]byte(kv[i]), []byte(kv[i+1])); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tr.Commit(v); err != nil {
			t.Fatal(err)
		}
	}
	commit(1, "a", "1")
	if n := leafEntries(); n != 1 {
		t.Fatalf("one-key tree: %d leaf entries, want its leaf stored", n)
	}
	commit(2, "b", "2", "c", "3", "d", "4")
	if n := leafEntries(); n != 1 {
		t.Fatalf("after adding three small values: %d leaf entries, want only the former root's", n)
	}
	big := strings.Repeat("x", maxInlineValue+1)
	commit(3, "e", big, "f", strings.Repeat("y", maxInlineValue))
	if n := leafEntries(); n != 2 {
		t.Fatalf("after a value over the inline limit and one at it: %d leaf entries, want 2", n)
	}
	for k, want := range map[string]string{"a": "1", "b": "2", "e": big} {
		if got, err := tr.Get([]byte(k)); err != nil || string(got) != want {
			t.Fatalf("Get(%s) = %.20q, %v", k, got, err)
		}
	}
	// The former root leaf leaves the tree: its entry is recorded stale and
	// pruned; nothing else of version 2's nodes survives that is not live.
	if err := tr.Delete([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Commit(4); err != nil {
		t.Fatal(err)
	}
	if _, err := Prune(s, 4); err != nil {
		t.Fatal(err)
	}
	if got, want := storedNodes(t, s, nil), reachable(t, tr); !maps.Equal(got, want) {
		t.Fatalf("after Prune: %d nodes stored, %d live", len(got), len(want))
	}
	if n := leafEntries(); n != 1 {
		t.Fatalf("after deleting the former root leaf and pruning: %d leaf entries, want the large value's", n)
	}
}
