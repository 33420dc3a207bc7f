package smt

import (
	"bytes"
	"testing"
)

// countingStore counts reads that reach the underlying store.
type countingStore struct {
	Store
	gets int
}

func (c *countingStore) Get(k []byte) ([]byte, bool, error) {
	c.gets++
	return c.Store.Get(k)
}

// commitHundred commits keys 0..99 (value {i, i}) through cs and returns the root.
func commitHundred(t *testing.T, cs *CachedStore) [HashSize]byte {
	t.Helper()
	tr, _ := Open(cs, EmptyRoot)
	for i := byte(0); i < 100; i++ {
		tr.Update([]byte{i}, []byte{i, i})
	}
	root, err := tr.Commit(1)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestCachedStore(t *testing.T) {
	base := &countingStore{Store: NewMemStore()}
	cs := NewCachedStore(base, 1024)
	root := commitHundred(t, cs)
	// Nodes written through the cache are served from memory.
	base.gets = 0
	tr2, _ := Open(cs, root)
	for i := byte(0); i < 100; i++ {
		v, err := tr2.Get([]byte{i})
		if err != nil || !bytes.Equal(v, []byte{i, i}) {
			t.Fatalf("key %d: %x %v", i, v, err)
		}
	}
	if base.gets != 0 {
		t.Fatalf("%d reads reached the store", base.gets)
	}
	// The same tree through a cold cache and straight from the store agree.
	cold := NewCachedStore(base, 1024)
	tr3, _ := Open(cold, root)
	for i := byte(0); i < 100; i++ {
		if v, _ := tr3.Get([]byte{i}); !bytes.Equal(v, []byte{i, i}) {
			t.Fatalf("cold key %d: %x", i, v)
		}
	}
	if base.gets == 0 {
		t.Fatal("a cold cache read nothing from the store")
	}
	// Pruning through the cache removes what it deletes from the cache too.
	tr4, _ := Open(cs, root)
	for i := byte(0); i < 100; i++ {
		tr4.Update([]byte{i}, []byte{i, 7})
	}
	if _, err := tr4.Commit(2); err != nil {
		t.Fatal(err)
	}
	st, err := Prune(cs, 2)
	if err != nil || st.Deleted == 0 {
		t.Fatalf("prune %+v %v", st, err)
	}
	if _, err := Open(cs, root); err == nil {
		if tr5, _ := Open(cs, root); tr5 != nil {
			if _, err := tr5.Get([]byte{0}); err == nil {
				t.Fatal("a pruned version is still readable through the cache")
			}
		}
	}
}

// TestReadCachedStore: a read cache leaves what is written to the store and
// keeps what is read, and answers as the store does.
func TestReadCachedStore(t *testing.T) {
	base := &countingStore{Store: NewMemStore()}
	cs := NewReadCachedStore(base, 1024)
	root := commitHundred(t, cs)
	if cs.cache.Len() != 0 {
		t.Fatalf("a commit put %d nodes in a read cache", cs.cache.Len())
	}
	for pass := range 2 {
		base.gets = 0
		tr2, _ := Open(cs, root)
		for i := byte(0); i < 100; i++ {
			if v, err := tr2.Get([]byte{i}); err != nil || !bytes.Equal(v, []byte{i, i}) {
				t.Fatalf("pass %d key %d: %x %v", pass, i, v, err)
			}
		}
		if (base.gets == 0) != (pass == 1) {
			t.Fatalf("pass %d: %d reads reached the store", pass, base.gets)
		}
	}
}
