package smt

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// TestPageCacheSameRootsAndNodes: trees whose commits go through a page
// cache (a tiny one, so generations turn over, shared by two namespaces and
// by trees reopened at old roots, as a namespace's executor does after a
// rollback) give the same roots, and write the same nodes, as trees without
// it, commit after commit.
func TestPageCacheSameRootsAndNodes(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	plain, cached := NewMemStore(), NewMemStore()
	pc := NewPageCache(8)
	nss := [][]byte{[]byte("a"), []byte("b")}
	roots := map[string][][HashSize]byte{} // by namespace, every committed root
	for _, ns := range nss {
		roots[string(ns)] = [][HashSize]byte{EmptyRoot}
	}
	for step := 0; step < 600; step++ {
		ns := nss[rng.Intn(len(nss))]
		hist := roots[string(ns)]
		from := hist[len(hist)-1]
		if rng.Intn(5) == 0 { // reopen an older root: a rolled-back batch
			from = hist[rng.Intn(len(hist))]
		}
		a, err := Open(plain, from, WithNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Open(cached, from, WithNamespace(ns), WithPageCache(pc))
		if err != nil {
			t.Fatal(err)
		}
		for i := rng.Intn(6) + 1; i > 0; i-- {
			k := []byte(fmt.Sprintf("k%d", rng.Intn(300)))
			if rng.Intn(4) == 0 {
				err = a.Delete(k)
				if err == nil {
					err = b.Delete(k)
				}
			} else {
				v := []byte(fmt.Sprintf("v%d", rng.Intn(1000)))
				err = a.Update(k, v)
				if err == nil {
					err = b.Update(k, v)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		ra, err := a.Commit(uint64(step + 1))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Commit(uint64(step + 1))
		if err != nil {
			t.Fatal(err)
		}
		if ra != rb {
			t.Fatalf("step %d: root %x with the cache, %x without", step, rb, ra)
		}
		roots[string(ns)] = append(hist, ra)
	}
	if plain.Len() != cached.Len() {
		t.Fatalf("%d nodes stored with the cache, %d without", cached.Len(), plain.Len())
	}
	err := plain.Scan(nil, func(k, v []byte) (bool, error) {
		w, ok, _ := cached.Get(k)
		if !ok || !bytes.Equal(v, w) {
			return false, fmt.Errorf("node %x differs", k)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.cur)+len(pc.old) == 0 {
		t.Fatal("the cache was never filled")
	}
}
